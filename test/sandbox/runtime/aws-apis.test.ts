/**
 * The sandbox's EventBridge and SQS APIs, called by the real AWS SDK clients through the endpoint
 * variables the functions use (AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL_SQS), so the SDK's own
 * serialisation, error parsing and MD5 checks are part of the test.
 */
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetQueueUrlCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { type AwsJsonServer, startAwsJsonServer } from '../../../sandbox/runtime/aws-json-server';
import { type BusRecord, LocalBus } from '../../../sandbox/runtime/bus';
import { eventsOperations } from '../../../sandbox/runtime/events-api';
import { LocalQueues, md5OfBody, md5OfMessageAttributes, sqsOperations } from '../../../sandbox/runtime/sqs';
import { DeadLetterQueue } from '../../../shared/adapters/aws/dead-letter-queue';
import { compileRoute, loadRoutes } from '../../../tools/eventbridge/routing';

const root = join(__dirname, '..', '..', '..');
const BUS = 'ecs-autopilot-sandbox';

let server: AwsJsonServer;
let bus: LocalBus;
let queues: LocalQueues;
let eventBridge: EventBridgeClient;
let sqs: SQSClient;

beforeAll(async () => {
  const operations = {};
  server = await startAwsJsonServer({ operations });
  bus = new LocalBus({ routes: loadRoutes(root), invoke: async () => ({ decisions: [] }) });
  queues = new LocalQueues(server.endpoint, '123456789012', 'eu-west-1');
  queues.create('ecs-autopilot-sandbox-dlq');
  Object.assign(
    operations,
    eventsOperations(bus, { busNames: [BUS], account: '123456789012', region: 'eu-west-1' }),
    sqsOperations(queues),
  );
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = server.endpoint;
  process.env.AWS_ENDPOINT_URL_SQS = server.endpoint;
  eventBridge = new EventBridgeClient({ maxAttempts: 1 });
  sqs = new SQSClient({ maxAttempts: 1 });
});

afterAll(async () => {
  eventBridge.destroy();
  sqs.destroy();
  await bus.close();
  queues.close();
  await server.close();
  delete process.env.AWS_ENDPOINT_URL_EVENTBRIDGE;
  delete process.env.AWS_ENDPOINT_URL_SQS;
});

describe('PutEvents', () => {
  it('puts autopilot events on the bus, where subscribers see them', async () => {
    // Prepare
    const seen: BusRecord[] = [];
    const unsubscribe = bus.subscribe((record) => seen.push(record));
    const detail = { cluster: 'prod', service: 'api', reason: 'follows tag main' };

    // Act
    const out = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: BUS,
            Source: 'autopilot',
            DetailType: 'Deployment Started',
            Detail: JSON.stringify(detail),
            Time: new Date('2026-11-23T10:00:00Z'),
          },
        ],
      }),
    );
    unsubscribe();

    // Assess
    expect(out.FailedEntryCount).toBe(0);
    const eventId = out.Entries?.[0]?.EventId;
    // The notifier subscribes to every autopilot event; its delivery is recorded after the event.
    expect(seen.filter((r) => r.kind === 'event')).toEqual([
      {
        kind: 'event',
        eventBusName: BUS,
        origin: 'put-events',
        targets: ['notify'],
        depth: 0,
        event: {
          version: '0',
          id: eventId,
          'detail-type': 'Deployment Started',
          source: 'autopilot',
          account: '123456789012',
          time: '2026-11-23T10:00:00Z',
          region: 'eu-west-1',
          resources: [],
          detail,
        },
      },
    ]);
  });

  it('fails bad entries one by one, as EventBridge does', async () => {
    // Prepare
    const good = { EventBusName: BUS, Source: 'autopilot', DetailType: 'Action Failed', Detail: '{}' };

    // Act
    const out = await eventBridge.send(
      new PutEventsCommand({
        Entries: [
          good,
          { ...good, Source: 'aws.ecr' },
          { ...good, Detail: '[1]' },
          { ...good, EventBusName: 'nope' },
        ],
      }),
    );

    // Assess
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.map((e) => e.ErrorCode)).toEqual([
      undefined,
      'NotAuthorizedForSourceException',
      'MalformedDetail',
      'ResourceNotFoundException',
    ]);
  });

  it('fails an entry whose detail nests deeper than EventBridge processes (1000 levels), as malformed', async () => {
    // Prepare
    const deep = `{"junk":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const entry = { EventBusName: BUS, Source: 'autopilot', DetailType: 'Action Failed', Detail: deep };

    // Act
    const out = await eventBridge.send(new PutEventsCommand({ Entries: [entry] }));

    // Assess
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.map((e) => e.ErrorCode)).toEqual(['MalformedDetail']);
  });

  it('counts events a running function publishes as one step deeper, so a publishing loop stops', async () => {
    // Prepare: a rule on autopilot's own events whose function publishes another one.
    const operations = {};
    const loopServer = await startAwsJsonServer({ operations });
    const client = new EventBridgeClient({ endpoint: loopServer.endpoint, maxAttempts: 1 });
    let invocations = 0;
    const loopBus = new LocalBus({
      routes: [
        compileRoute({ functionName: 'notifier', patterns: [{ source: ['autopilot'] }], schedules: [] }),
      ],
      invoke: async () => {
        invocations++;
        await client.send(
          new PutEventsCommand({
            Entries: [{ EventBusName: BUS, Source: 'autopilot', DetailType: 'Action Failed', Detail: '{}' }],
          }),
        );
        return {};
      },
      maxChainDepth: 2,
    });
    const outcomes: string[] = [];
    loopBus.subscribe((record) => {
      if (record.kind === 'delivery') outcomes.push(record.outcome);
    });
    Object.assign(
      operations,
      eventsOperations(loopBus, { busNames: [BUS], account: '123456789012', region: 'eu-west-1' }),
    );

    // Act
    loopBus.put({ source: 'autopilot', 'detail-type': 'Action Failed', detail: {} }, { eventBusName: BUS });
    await loopBus.idle();

    // Assess
    expect(invocations).toBe(3);
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'dropped']);
    client.destroy();
    await loopServer.close();
  });

  it('answers an unknown operation with an error the SDK parses', async () => {
    // Prepare
    const body = JSON.stringify({});

    // Act
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.Nope' },
      body,
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await response.json()).toEqual({
      __type: 'UnknownOperationException',
      message: 'unknown operation AWSEvents.Nope',
    });
  });
});

describe('SQS', () => {
  it('sends and receives with checksums the SDK verifies', async () => {
    // Prepare
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'ecs-autopilot-sandbox-dlq' }));
    const attributes = { reason: { DataType: 'String', StringValue: 'bad event' } };

    // Act
    const sent = await sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: '{"hello":"world"}', MessageAttributes: attributes }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));

    // Assess
    expect(QueueUrl).toBe(`${server.endpoint}/123456789012/ecs-autopilot-sandbox-dlq`);
    expect(sent.MD5OfMessageBody).toBe(md5OfBody('{"hello":"world"}'));
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes(attributes));
    expect(received.Messages).toEqual([
      expect.objectContaining({
        MessageId: sent.MessageId,
        Body: '{"hello":"world"}',
        MessageAttributes: attributes,
        Attributes: { ApproximateReceiveCount: '1' },
      }),
    ]);
    expect(again.Messages ?? []).toEqual([]);
    queues.get('ecs-autopilot-sandbox-dlq')?.purge();
  });

  it("takes the project's dead-letter adapter as it is", async () => {
    // Prepare
    const queue = queues.create('ecs-autopilot-sandbox-dlq');
    const dlq = new DeadLetterQueue(queue.url, sqs);

    // Act
    await dlq.park('deploy-on-push', 'event does not match the expected schema', { id: 'e-1' });

    // Assess
    expect(queue.messages()).toEqual([
      expect.objectContaining({
        body: JSON.stringify({
          rejectedBy: 'deploy-on-push',
          reason: 'event does not match the expected schema',
          event: { id: 'e-1' },
        }),
        attributes: {
          reason: { DataType: 'String', StringValue: 'event does not match the expected schema' },
        },
      }),
    ]);
    queue.purge();
  });

  it('reports a missing queue as the modelled QueueDoesNotExist error', async () => {
    // Prepare
    const command = new GetQueueUrlCommand({ QueueName: 'missing' });

    // Act
    const sent = sqs.send(command);

    // Assess
    await expect(sent).rejects.toBeInstanceOf(QueueDoesNotExist);
  });
});

describe('md5OfMessageAttributes', () => {
  it('computes the digest SQS computes', () => {
    // Prepare
    const attributes = {
      ordinal: { DataType: 'Number', StringValue: '1' },
      category: { DataType: 'String', StringValue: 'test' },
    };

    // Act
    const digest = md5OfMessageAttributes(attributes);

    // Assess: the value SQS returns for these attributes
    expect(digest).toBe('d21ae90c49061e927f57df5f5d72be1f');
    expect(md5OfMessageAttributes({})).toBeUndefined();
  });
});
