/**
 * Faults injected by the runtime's servers (`sandbox/runtime/faults.ts`): DynamoDB (every operation,
 * in front of dynalite, TransactWriteItems included), EventBridge PutEvents and SQS, through the real
 * SDK clients, so the SDK's own classification of each answer (throttling, transient) is part of the
 * test. Throttling and 5xx change nothing; a lost answer or a lost connection comes after the change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mulberry32 } from '../../../sandbox/control-plane/random';
import { FaultInjector, type FaultRecord } from '../../../sandbox/faults';
import { type AwsJsonServer, startAwsJsonServer } from '../../../sandbox/runtime/aws-json-server';
import { type BusRecord, LocalBus } from '../../../sandbox/runtime/bus';
import { type LocalDynamo, startDynamo } from '../../../sandbox/runtime/dynamo';
import { eventsOperations } from '../../../sandbox/runtime/events-api';
import type { RuntimeFaults } from '../../../sandbox/runtime/faults';
import { type LocalQueue, LocalQueues, sqsOperations } from '../../../sandbox/runtime/sqs';
import { EventBridgePublisher } from '../../../shared/adapters/aws/event-publisher';
import { DynamoTable } from '../../../shared/adapters/state/dynamo-table';
import type { AutopilotEvent } from '../../../shared/events/autopilot-events';
import { quickRetries } from '../control-plane/support';

const root = join(__dirname, '..', '..', '..');

const BUS = 'ecs-autopilot-sandbox';
const credentials = { accessKeyId: 'AKIDFAULTS', secretAccessKey: 'sandbox' };

const injector = new FaultInjector(mulberry32(11));
const faulted: FaultRecord[] = [];
const faults: RuntimeFaults = { injector, record: (record) => faulted.push(record) };

let dynamo: LocalDynamo;
let server: AwsJsonServer;
let bus: LocalBus;
let queues: LocalQueues;
let queue: LocalQueue;
const onBus: BusRecord[] = [];

beforeAll(async () => {
  dynamo = await startDynamo({ tableName: 'autopilot-faults', faults });
  const operations = {};
  server = await startAwsJsonServer({ operations, faults });
  bus = new LocalBus({ routes: [], invoke: async () => ({ decisions: [] }) });
  bus.subscribe((record) => onBus.push(record));
  queues = new LocalQueues(server.endpoint, '123456789012', 'eu-west-1');
  queue = queues.create('ecs-autopilot-sandbox-dlq');
  Object.assign(
    operations,
    eventsOperations(bus, { busNames: [BUS], account: '123456789012', region: 'eu-west-1' }),
    sqsOperations(queues),
  );
});

afterEach(() => {
  injector.set([]);
});

afterAll(async () => {
  await bus.close();
  queues.close();
  await server.close();
  await dynamo.stop();
});

/** A document client for the table whose attempts are classified into `classified`. */
function table(maxAttempts: number, classified: string[] = []) {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials,
    retryStrategy: quickRetries(maxAttempts, classified),
  });
  return { doc: DynamoDBDocumentClient.from(client), client };
}

/** The item as the table holds it now, read without faults. */
async function stored(pk: string, sk: string) {
  const rules = injector.current();
  injector.set([]);
  const { doc, client } = table(1);
  try {
    return (
      await doc.send(new GetCommand({ TableName: dynamo.tableName, Key: { pk, sk }, ConsistentRead: true }))
    ).Item;
  } finally {
    client.destroy();
    injector.set(rules);
  }
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('DynamoDB faults', () => {
  it('writes a PutItem whose answer is lost and answers 500 InternalServerError', async () => {
    // Prepare
    const { doc, client } = table(1);
    injector.set([{ operation: 'dynamodb:PutItem', kind: 'lost', rate: 1 }]);

    // Act
    const error = await failure(
      doc.send(new PutCommand({ TableName: dynamo.tableName, Item: { pk: 'L1', sk: 'a', v: 1 } })),
    );
    client.destroy();

    // Assess
    expect(error).toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    expect(await stored('L1', 'a')).toEqual({ pk: 'L1', sk: 'a', v: 1 });
    expect(faulted.at(-1)).toMatchObject({ service: 'dynamodb', operation: 'PutItem', fault: 'lost' });
  });

  it("reports written a conditional put whose answer was lost, though the SDK's retry fails the condition the first made false", async () => {
    // Prepare: the first attempt is written and its answer lost; the SDK's second finds the item
    const { client } = table(3);
    let attempts = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        attempts += 1;
        injector.set(attempts === 1 ? [{ operation: 'dynamodb:PutItem', kind: 'lost', rate: 1 }] : []);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'loseTheFirstAnswer' },
    );
    const autopilotTable = new DynamoTable(dynamo.tableName, client, () => new Date());
    const item = { pk: 'C1', sk: 'a', state: 'registering', at: '2026-12-03T10:00:00.000Z' };

    // Act
    const written = await autopilotTable.put(item, { if: 'attribute_not_exists(pk)' });
    const again = await autopilotTable.put({ ...item, state: 'other' }, { if: 'attribute_not_exists(pk)' });
    client.destroy();

    // Assess: before, `written` was false (a lost race), and the deploy intent's retry failed for good
    expect(faulted.at(-1)).toMatchObject({ service: 'dynamodb', operation: 'PutItem', fault: 'lost' });
    expect(written).toBe(true);
    expect(again).toBe(false);
    expect(await stored('C1', 'a')).toEqual(item);
  });

  it('writes nothing for a throttled PutItem, which the SDK classifies as throttling and retries', async () => {
    // Prepare
    const classified: string[] = [];
    const { doc, client } = table(3, classified);
    injector.set([{ operation: 'dynamodb:*', kind: 'throttle', rate: 1 }]);

    // Act
    const error = await failure(
      doc.send(new PutCommand({ TableName: dynamo.tableName, Item: { pk: 'T1', sk: 'a', v: 1 } })),
    );
    client.destroy();

    // Assess
    expect(error).toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(classified).toEqual(['THROTTLING', 'THROTTLING', 'THROTTLING']);
    expect(await stored('T1', 'a')).toBeUndefined();
  });

  it('writes nothing for a 5xx, answered 500 InternalServerError and retried by the SDK as transient', async () => {
    // Prepare
    const classified: string[] = [];
    const { doc, client } = table(2, classified);
    injector.set([{ operation: 'PutItem', kind: '5xx', rate: 1 }]);

    // Act
    const error = await failure(
      doc.send(new PutCommand({ TableName: dynamo.tableName, Item: { pk: 'F1', sk: 'a', v: 2 } })),
    );
    client.destroy();

    // Assess
    expect(error).toMatchObject({ name: 'InternalServerError', $metadata: { httpStatusCode: 500 } });
    expect(classified).toEqual(['TRANSIENT', 'TRANSIENT']);
    expect(await stored('F1', 'a')).toBeUndefined();
  });

  it('writes a PutItem whose connection is lost; the SDK sees a transient error and retries', async () => {
    // Prepare
    const classified: string[] = [];
    const { doc, client } = table(2, classified);
    injector.set([{ operation: 'dynamodb:PutItem', kind: 'timeout', rate: 1 }]);

    // Act
    const error = await failure(
      doc.send(new PutCommand({ TableName: dynamo.tableName, Item: { pk: 'C1', sk: 'a', v: 3 } })),
    );
    client.destroy();

    // Assess
    expect(String(error)).toMatch(/socket hang up/);
    expect(classified).toEqual(['TRANSIENT', 'TRANSIENT']);
    expect(await stored('C1', 'a')).toEqual({ pk: 'C1', sk: 'a', v: 3 });
  });

  it('carries out a TransactWriteItems whose answer is lost, and its retry (same token) succeeds without writing again', async () => {
    // Prepare: the first answer lost; the fault ends when the SDK decides to retry
    const classified: string[] = [];
    const retries = quickRetries(3, classified);
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: 'eu-west-1',
      credentials,
      retryStrategy: {
        ...retries,
        refreshRetryTokenForRetry: (token, info) => {
          injector.set([]);
          return retries.refreshRetryTokenForRetry(token, info);
        },
      },
    });
    const doc = DynamoDBDocumentClient.from(client);
    injector.set([{ operation: 'dynamodb:TransactWriteItems', kind: 'lost', rate: 1 }]);
    const transaction = new TransactWriteCommand({
      TransactItems: [
        {
          Put: {
            TableName: dynamo.tableName,
            Item: { pk: 'X1', sk: 'a', v: 'once' },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Put: { TableName: dynamo.tableName, Item: { pk: 'X1', sk: 'b', v: 'once' } } },
      ],
    });
    // Act
    await doc.send(transaction);
    client.destroy();

    // Assess
    expect(classified).toEqual(['TRANSIENT']);
    expect([await stored('X1', 'a'), await stored('X1', 'b')]).toEqual([
      { pk: 'X1', sk: 'a', v: 'once' },
      { pk: 'X1', sk: 'b', v: 'once' },
    ]);
  });

  it('writes nothing of a throttled TransactWriteItems', async () => {
    // Prepare
    const { doc, client } = table(1);
    injector.set([{ operation: 'TransactWriteItems', kind: 'throttle', rate: 1 }]);

    // Act
    const error = await failure(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [{ Put: { TableName: dynamo.tableName, Item: { pk: 'X2', sk: 'a' } } }],
        }),
      ),
    );
    client.destroy();

    // Assess
    expect(error).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    expect(await stored('X2', 'a')).toBeUndefined();
  });
});

describe('EventBridge faults', () => {
  const events = (classified: string[] = [], maxAttempts = 1) =>
    new EventBridgeClient({
      endpoint: server.endpoint,
      region: 'eu-west-1',
      credentials,
      retryStrategy: quickRetries(maxAttempts, classified),
    });
  const entry = (n: number) => ({
    EventBusName: BUS,
    Source: 'autopilot',
    DetailType: 'Deployment Started',
    Detail: JSON.stringify({ n }),
  });
  const putOnBus = (n: number) =>
    onBus.filter((r) => r.kind === 'event' && (r.event.detail as { n?: number }).n === n).length;

  it('puts nothing for a throttled PutEvents, answered ThrottlingException and classified as throttling', async () => {
    // Prepare
    const classified: string[] = [];
    const client = events(classified, 2);
    injector.set([{ operation: 'events:PutEvents', kind: 'throttle', rate: 1 }]);

    // Act
    const error = await failure(client.send(new PutEventsCommand({ Entries: [entry(101)] })));
    client.destroy();

    // Assess
    expect(error).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect(classified).toEqual(['THROTTLING', 'THROTTLING']);
    expect(putOnBus(101)).toBe(0);
  });

  it('puts the events of a PutEvents whose answer is lost, and answers 500', async () => {
    // Prepare
    const client = events();
    injector.set([{ operation: 'events:*', kind: 'lost', rate: 1 }]);

    // Act
    const error = await failure(client.send(new PutEventsCommand({ Entries: [entry(102)] })));
    client.destroy();

    // Assess
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(putOnBus(102)).toBe(1);
  });

  it('fails some entries of a partially failed PutEvents, puts the others', async () => {
    // Prepare
    const client = events();
    injector.set([{ operation: 'events:PutEvents', kind: 'partial', rate: 1 }]);

    // Act
    const out = await client.send(new PutEventsCommand({ Entries: [200, 201, 202, 203].map(entry) }));
    client.destroy();

    // Assess
    const failed = (out.Entries ?? []).flatMap((e, i) => (e.ErrorCode ? [i] : []));
    expect(out.FailedEntryCount).toBe(failed.length);
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set((out.Entries ?? []).flatMap((e) => e.ErrorCode ?? []))).toEqual(
      new Set(
        ['ThrottlingException', 'InternalFailure'].filter((c) => out.Entries?.some((e) => e.ErrorCode === c)),
      ),
    );
    expect([200, 201, 202, 203].map(putOnBus)).toEqual([0, 1, 2, 3].map((i) => (failed.includes(i) ? 0 : 1)));
  });
  it("autopilot's publisher sends failed entries again: each event on the bus once", async () => {
    // Prepare
    const sample = JSON.parse(
      readFileSync(join(root, 'events', 'autopilot-deployment-started.json'), 'utf8'),
    );
    const published: AutopilotEvent[] = Array.from({ length: 6 }, (_, i) => ({
      detailType: 'Deployment Started',
      detail: { ...sample.detail, triggeredBy: `publisher-${i}` },
    })) as AutopilotEvent[];
    const client = events([], 1);
    injector.set([{ operation: 'events:PutEvents', kind: 'partial', rate: 0.5 }]);
    const before = onBus.length;

    // Act
    await new EventBridgePublisher(BUS, client, { pause: async () => undefined }).publish(published);
    client.destroy();

    // Assess
    const seen = onBus
      .slice(before)
      .flatMap((r) => (r.kind === 'event' ? [(r.event.detail as { triggeredBy: string }).triggeredBy] : []));
    expect(seen.sort()).toEqual(
      published.map((e) => (e.detail as { triggeredBy: string }).triggeredBy).sort(),
    );
    expect(faulted.some((f) => f.fault === 'partial')).toBe(true);
  });
});

describe('SQS faults', () => {
  const sqs = (classified: string[] = [], maxAttempts = 1) =>
    new SQSClient({
      endpoint: server.endpoint,
      region: 'eu-west-1',
      credentials,
      retryStrategy: quickRetries(maxAttempts, classified),
    });

  it('queues nothing for a throttled SendMessage, answered RequestThrottled and classified as throttling', async () => {
    // Prepare
    const classified: string[] = [];
    const client = sqs(classified, 2);
    injector.set([{ operation: 'sqs:SendMessage', kind: 'throttle', rate: 1 }]);
    const before = queue.messages().length;

    // Act
    const error = await failure(
      client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'a' })),
    );
    client.destroy();

    // Assess
    expect(error).toMatchObject({ name: 'RequestThrottled' });
    expect(classified).toEqual(['THROTTLING', 'THROTTLING']);
    expect(queue.messages().length).toBe(before);
  });

  it('queues a SendMessage whose answer is lost, and answers 500', async () => {
    // Prepare
    const client = sqs();
    injector.set([{ operation: 'sqs:*', kind: 'lost', rate: 1 }]);
    const before = queue.messages().length;

    // Act
    const error = await failure(
      client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'b' })),
    );
    client.destroy();

    // Assess
    expect(error).toMatchObject({ $metadata: { httpStatusCode: 500 } });
    expect(
      queue
        .messages()
        .slice(before)
        .map((m) => m.body),
    ).toEqual(['b']);
  });
});

describe('fault rules', () => {
  it('refuses a partial failure addressed to another service than EventBridge, and unknown services', () => {
    // Prepare
    const set = (operation: string, kind: 'partial' | 'throttle') => () =>
      injector.set([{ operation, kind, rate: 1 }]);

    // Act, Assess
    expect(set('dynamodb:PutItem', 'partial')).toThrow(/events:PutEvents/);
    expect(set('lambda:*', 'throttle')).toThrow(/not a fault target/);
    expect(set('events:PutEvents', 'partial')).not.toThrow();
  });

  it('spends a rule with `times` after that many faulted calls, and refuses a times that is not a whole number', () => {
    // Prepare
    const own = new FaultInjector(mulberry32(5));
    own.set([{ operation: 'ecr:*', kind: 'throttle', rate: 1, times: 2 }]);

    // Act
    const decisions = [1, 2, 3, 4].map(() => own.decide('ecr', 'DescribeImages').error);

    // Assess
    expect(decisions).toEqual(['throttle', 'throttle', undefined, undefined]);
    expect(() => own.set([{ operation: '*', kind: 'lost', rate: 1, times: 0.5 }])).toThrow(/whole number/);
  });

  it('takes the rules addressed to a service only for that service', () => {
    // Prepare
    const own = new FaultInjector(mulberry32(3));
    own.set([
      { operation: 'dynamodb:*', kind: 'throttle', rate: 1 },
      { operation: 'ecs:UpdateService', kind: 'lost', rate: 1 },
    ]);

    // Act
    const decisions = [
      own.decide('dynamodb', 'PutItem').error,
      own.decide('ecs', 'UpdateService').error,
      own.decide('sqs', 'SendMessage').error,
      own.decide('ecr', 'UpdateService').error,
    ];

    // Assess
    expect(decisions).toEqual(['throttle', 'lost', undefined, undefined]);
  });
});
