/**
 * SQS queues with delays delivered to a function through the event source mapping of serverless.yml:
 * batch size, concurrency, ReportBatchItemFailures, the visibility timeout and the redrive to the
 * queue's dead-letter queue. The functions are stand-ins (`invoke`): this is the plumbing. Waits end on
 * what is awaited (a delivery), never on a length of time.
 */
import { join } from 'node:path';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type BusRecord, type DeliveryRecord, type SqsEvent, startRuntime } from '../../../sandbox/runtime';
import type { Runtime } from '../../../sandbox/runtime/index';
import { QueueTriggers } from '../../../sandbox/runtime/queue-triggers';
import { LocalQueue } from '../../../sandbox/runtime/sqs';
import { readServerlessConfig } from '../../../tools/serverless-config';

const root = join(__dirname, '..', '..', '..');

/** A promise and its resolver. */
function signal<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('serverless.yml as the sandbox reads it', () => {
  it('maps the restart delay queue to restart-due: batch 10, 2 at a time, partial failures, redrive after 5', () => {
    // Prepare
    const config = readServerlessConfig(root);

    // Act
    const due = config.functions.find((f) => f.name === 'restart-due');
    const queue = config.queueDefinitions[due?.queueTriggers[0]?.queue ?? ''];

    // Assess
    expect(due?.queueTriggers).toEqual([
      {
        functionName: 'restart-due',
        queue: 'RestartDelayQueue',
        batchSize: 10,
        maximumBatchingWindowSeconds: 0,
        maximumConcurrency: 2,
        reportBatchItemFailures: true,
        enabled: true,
      },
    ]);
    expect(queue).toMatchObject({
      name: 'ecs-autopilot-sandbox-restart-delay',
      redrive: { deadLetterQueue: 'RestartDelayDeadLetterQueue', maxReceiveCount: 5 },
    });
  });
});

describe('QueueTriggers', () => {
  const queues: LocalQueue[] = [];
  let triggers: QueueTriggers | undefined;

  afterEach(async () => {
    await triggers?.stop();
    for (const queue of queues.splice(0)) queue.close();
  });

  /** A queue `work` (with a dead-letter queue after `maxReceiveCount`) polled for `fn`. */
  function poll(
    invoke: (event: SqsEvent) => Promise<unknown>,
    options: { batchSize?: number; maxReceiveCount?: number; records?: DeliveryRecord[] } = {},
  ) {
    const dlq = new LocalQueue(
      'work-dlq',
      'http://127.0.0.1:1/123456789012/work-dlq',
      'arn:aws:sqs:eu-west-1:123456789012:work-dlq',
    );
    const queue = new LocalQueue(
      'work',
      'http://127.0.0.1:1/123456789012/work',
      'arn:aws:sqs:eu-west-1:123456789012:work',
    ).configure({
      visibilityTimeoutSeconds: 30,
      redrive: { deadLetterQueue: dlq, maxReceiveCount: options.maxReceiveCount ?? 3 },
    });
    queues.push(queue, dlq);
    triggers = new QueueTriggers({
      triggers: [
        {
          functionName: 'fn',
          queue: 'Work',
          batchSize: options.batchSize ?? 10,
          maximumBatchingWindowSeconds: 0,
          maximumConcurrency: 2,
          reportBatchItemFailures: true,
          enabled: true,
        },
      ],
      queueOf: (id) => (id === 'Work' ? queue : undefined),
      invoke: (_name, event) => invoke(event),
      tell: (record) => options.records?.push(record),
      // A failed message comes back at once: the tests wait for its next delivery, not for a timeout.
      retryAfterSeconds: 0,
    });
    triggers.start();
    return { queue, dlq };
  }

  it('delivers the messages sent in SQS event records, in batches of at most batchSize, and deletes them', async () => {
    // Prepare
    const seen: string[][] = [];
    const all = signal<void>();
    const records: DeliveryRecord[] = [];
    const { queue } = poll(
      async (event) => {
        seen.push(event.Records.map((r) => r.body));
        if (seen.flat().length === 5) all.resolve();
        return { batchItemFailures: [] };
      },
      { batchSize: 2, records },
    );

    // Act
    for (const n of [1, 2, 3, 4, 5])
      queue.send(`m${n}`, { kind: { DataType: 'String', StringValue: 'restart' } });
    await all.promise;
    await triggers?.idle();

    // Assess
    expect(seen.flat().sort()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect(Math.max(...seen.map((b) => b.length))).toBe(2);
    expect(queue.messages()).toEqual([]);
    expect(records.every((r) => r.outcome === 'ok' && r.function === 'fn')).toBe(true);
  });

  it('shapes each record as Lambda does', async () => {
    // Prepare
    const got = signal<SqsEvent>();
    const { queue } = poll(async (event) => {
      got.resolve(event);
      return {};
    });

    // Act
    const sent = queue.send('{"chain":"c1"}', { kind: { DataType: 'String', StringValue: 'restart' } });
    const event = await got.promise;

    // Assess
    expect(event.Records).toEqual([
      {
        messageId: sent.MessageId,
        receiptHandle: expect.any(String),
        body: '{"chain":"c1"}',
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: expect.stringMatching(/^\d+$/),
          SenderId: '123456789012',
          ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
        },
        messageAttributes: {
          kind: { stringValue: 'restart', stringListValues: [], binaryListValues: [], dataType: 'String' },
        },
        md5OfBody: sent.MD5OfMessageBody,
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:work',
        awsRegion: 'eu-west-1',
      },
    ]);
  });

  it('gives back only the messages a batch reports as failed, and they come again', async () => {
    // Prepare
    const deliveries: string[][] = [];
    const twice = signal<void>();
    const { queue } = poll(async (event) => {
      deliveries.push(event.Records.map((r) => r.body));
      if (deliveries.length === 2) twice.resolve();
      const failed = deliveries.length === 1 ? event.Records.filter((r) => r.body === 'bad') : [];
      return { batchItemFailures: failed.map((r) => ({ itemIdentifier: r.messageId })) };
    });

    // Act
    queue.send('good');
    queue.send('bad');
    await twice.promise;
    await triggers?.idle();

    // Assess
    expect(deliveries[0]?.sort()).toEqual(['bad', 'good']);
    expect(deliveries[1]).toEqual(['bad']);
    expect(queue.messages()).toEqual([]);
  });

  it('gives the whole batch back when the function throws or names a message not in it', async () => {
    // Prepare
    let calls = 0;
    const thrice = signal<void>();
    const { queue } = poll(async () => {
      calls++;
      if (calls === 3) thrice.resolve();
      if (calls === 1) throw new Error('boom');
      if (calls === 2) return { batchItemFailures: [{ itemIdentifier: 'not-in-the-batch' }] };
      return { batchItemFailures: [] };
    });

    // Act
    queue.send('one');
    await thrice.promise;
    await triggers?.idle();

    // Assess
    expect(calls).toBe(3);
    expect(queue.messages()).toEqual([]);
  });

  it('moves a message that keeps failing to the dead-letter queue after maxReceiveCount receives', async () => {
    // Prepare
    let receives = 0;
    const { queue, dlq } = poll(
      async () => {
        receives++;
        throw new Error('always');
      },
      { maxReceiveCount: 3 },
    );
    const moved = dlq.nextSend();

    // Act
    queue.send('poison');
    await moved;
    await triggers?.idle();

    // Assess
    expect(receives).toBe(3);
    expect(queue.messages()).toEqual([]);
    expect(dlq.messages()).toEqual([expect.objectContaining({ body: 'poison', receiveCount: 3 })]);
  });

  it('holds a delayed message back until its delay has passed', async () => {
    // Prepare
    const got = signal<number>();
    const { queue } = poll(async () => {
      got.resolve(Date.now());
      return {};
    });

    // Act
    const sentAt = Date.now();
    queue.send('in a second', {}, 1);
    const deliveredAt = await got.promise;

    // Assess
    expect(deliveredAt - sentAt).toBeGreaterThanOrEqual(1000);
  });

  it('lets delays pass faster with a delay speed', async () => {
    // Prepare
    const got = signal<void>();
    const { queue } = poll(async () => {
      got.resolve();
      return {};
    });
    queue.configure({ ...queue.settings, delaySpeed: 900 });

    // Act
    queue.send('in fifteen minutes, a second here', {}, 900);
    const waiting = queue.attributes().ApproximateNumberOfMessagesDelayed;
    await got.promise;

    // Assess
    expect(waiting).toBe('1');
  });

  it('is idle while the only message waits its delay', async () => {
    // Prepare
    let delivered = false;
    const { queue } = poll(async () => {
      delivered = true;
      return {};
    });

    // Act
    queue.send('in fifteen minutes', {}, 900);
    await triggers?.idle();

    // Assess
    expect(delivered).toBe(false);
    expect(queue.attributes()).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '1',
    });
  });
});

describe('the runtime with the event source mappings of serverless.yml', () => {
  let runtime: Runtime;
  let records: BusRecord[];
  const batches: { name: string; event: SqsEvent }[] = [];
  const arrived = new Set<() => void>();

  beforeAll(async () => {
    runtime = await startRuntime({
      root,
      endpoints: { ecs: 'http://127.0.0.1:9', ecr: 'http://127.0.0.1:9' },
      source: 'typescript',
      schedules: false,
      queueRetryAfterSeconds: 0,
      invoke: async (name, event) => {
        batches.push({ name, event: event as unknown as SqsEvent });
        for (const wake of arrived) wake();
        return { batchItemFailures: [] };
      },
    });
    records = [];
    runtime.bus.subscribe((record) => records.push(record));
  });

  afterAll(async () => {
    await runtime.stop();
  });

  it('delivers what is sent to the restart delay queue through the SQS API to restart-due, per-message delays included', async () => {
    // Prepare
    const sqs = new SQSClient({
      endpoint: runtime.sqsEndpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'sandbox' },
    });
    const queue = runtime.queues.get('ecs-autopilot-sandbox-restart-delay');
    const three = new Promise<void>((resolve) => {
      const wake = () => {
        if (batches.flatMap((b) => b.event.Records).length >= 3) resolve();
      };
      arrived.add(wake);
    });

    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: queue?.url, MessageBody: 'now' }));
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue?.url,
        Entries: [
          { Id: 'a', MessageBody: 'in a second', DelaySeconds: 1 },
          { Id: 'b', MessageBody: 'also now', DelaySeconds: 0 },
        ],
      }),
    );
    await three;
    await runtime.idle();
    sqs.destroy();

    // Assess
    expect(batches.every((b) => b.name === 'restart-due')).toBe(true);
    expect(batches.flatMap((b) => b.event.Records.map((r) => r.body)).sort()).toEqual([
      'also now',
      'in a second',
      'now',
    ]);
    expect(batches.flatMap((b) => b.event.Records.map((r) => r.eventSourceARN))).toContain(queue?.arn);
    expect(
      records.filter((r) => r.kind === 'delivery' && r.function === 'restart-due' && r.outcome === 'ok')
        .length,
    ).toBe(batches.length);
    expect(queue?.messages()).toEqual([]);
  });
});
