/**
 * The whole runtime with the real functions (TypeScript sources, no build): events reach the
 * handlers through the rules of serverless.yml, the handlers reach dynalite, the bus and the queue
 * through the endpoint variables, and failures end in the dead-letter queue. ECS and ECR point at a
 * closed loopback port: these scenarios must not need them, and when one does, it fails.
 *
 * One runtime for the file: the functions' SDK clients keep the endpoints of their first call.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BusRecord, type DeliveryRecord, startRuntime } from '../../../sandbox/runtime';
import type { Runtime } from '../../../sandbox/runtime/index';
import type { EventBridgeEvent } from '../../../tools/eventbridge/event';

const root = join(__dirname, '..', '..', '..');
const CLOSED = 'http://127.0.0.1:9';

let runtime: Runtime;
let records: BusRecord[];

function sample(name: string): EventBridgeEvent {
  const event = JSON.parse(readFileSync(join(root, 'events', `${name}.json`), 'utf8')) as EventBridgeEvent;
  // A fresh id: idempotency records are keyed on it.
  return { ...event, id: crypto.randomUUID() };
}

function deliveriesOf(eventId: string): DeliveryRecord[] {
  return records.filter((r): r is DeliveryRecord => r.kind === 'delivery' && r.eventId === eventId);
}

beforeAll(async () => {
  runtime = await startRuntime({
    root,
    endpoints: { ecs: CLOSED, ecr: CLOSED },
    source: 'typescript',
    retryDelaysMs: [10, 20],
    schedules: false,
  });
  records = [];
  runtime.bus.subscribe((record) => records.push(record));
});

afterAll(async () => {
  await runtime.stop();
});

beforeEach(() => {
  records.length = 0;
  runtime.dlq.purge();
});

describe('startRuntime', () => {
  it("gives the functions serverless.yml's environment, pointed at the local services", () => {
    // Prepare
    const env = process.env;

    // Act
    const endpoints = [
      env.AWS_ENDPOINT_URL_EVENTBRIDGE,
      env.AWS_ENDPOINT_URL_SQS,
      env.AWS_ENDPOINT_URL_DYNAMODB,
    ];

    // Assess
    expect(endpoints).toEqual([runtime.eventsEndpoint, runtime.sqsEndpoint, runtime.dynamo.endpoint]);
    expect(env).toEqual(
      expect.objectContaining({
        AUTOPILOT_TABLE: runtime.dynamo.tableName,
        AUTOPILOT_BUS: 'ecs-autopilot-sandbox',
        AUTOPILOT_CONFIG: join(root, 'autopilot.yml'),
        AUTOPILOT_DRY_RUN: 'false',
        AUTOPILOT_DLQ_URL: runtime.dlq.url,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        AWS_ENDPOINT_URL_ECS: CLOSED,
        AWS_ENDPOINT_URL_ECR: CLOSED,
      }),
    );
    expect(runtime.dlq.url).toBe(`${runtime.sqsEndpoint}/123456789012/ecs-autopilot-sandbox-dlq`);
  });

  it('delivers an ECR push to deploy-on-push, which finds no service following it', async () => {
    // Prepare
    const push = sample('ecr-image-push');

    // Act
    const { targets } = runtime.bus.put(push);
    await runtime.idle();

    // Assess
    expect(targets).toEqual(['deploy-on-push']);
    expect(deliveriesOf(push.id)).toEqual([
      expect.objectContaining({ function: 'deploy-on-push', outcome: 'ok', result: { decisions: [] } }),
    ]);
  });

  it('delivers an ECR delete to no function', async () => {
    // Prepare
    const deletion = sample('ecr-image-delete');

    // Act
    const { targets } = runtime.bus.put(deletion);
    await runtime.idle();

    // Assess
    expect(targets).toEqual([]);
    expect(deliveriesOf(deletion.id)).toEqual([]);
  });

  it('runs deploy-due when its schedule rule fires', async () => {
    // Prepare
    const fired = records.length;

    // Act
    await runtime.trigger('deploy-due');

    // Assess
    const [event, delivery] = records.slice(fired);
    expect(event).toEqual(
      expect.objectContaining({
        kind: 'event',
        origin: 'schedule',
        targets: ['deploy-due'],
        event: expect.objectContaining({
          resources: ['arn:aws:events:eu-west-1:123456789012:rule/ecs-autopilot-sandbox-deploy-due'],
        }),
      }),
    );
    expect(delivery).toEqual(
      expect.objectContaining({ function: 'deploy-due', outcome: 'ok', result: { decisions: [] } }),
    );
  });

  it('lets a function park an invalid event in the dead-letter queue itself, through SQS', async () => {
    // Prepare: matches the rule, but violates the event contract (no repository name).
    const push = sample('ecr-image-push');
    delete (push.detail as Record<string, unknown>)['repository-name'];

    // Act
    runtime.bus.put(push);
    await runtime.idle();

    // Assess
    expect(deliveriesOf(push.id).map((d) => d.outcome)).toEqual(['rejected']);
    const [parked] = runtime.dlq.messages();
    expect(JSON.parse(parked?.body ?? '{}')).toEqual({
      rejectedBy: 'deploy-on-push',
      reason: expect.stringContaining('repository-name'),
      event: push,
    });
  });

  it('retries a function that fails twice and then keeps the event in the dead-letter queue', async () => {
    // Prepare: the reconcile lists the clusters, and ECS is unreachable.
    const before = records.length;

    // Act
    await runtime.trigger('index-services');

    // Assess
    const deliveries = records.slice(before).filter((r): r is DeliveryRecord => r.kind === 'delivery');
    expect(deliveries.map((d) => [d.function, d.attempt, d.outcome])).toEqual([
      ['index-services', 1, 'retry'],
      ['index-services', 2, 'retry'],
      ['index-services', 3, 'failed'],
    ]);
    const record = JSON.parse(runtime.dlq.messages()[0]?.body ?? '{}');
    expect(record.requestContext).toEqual(
      expect.objectContaining({
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
        functionArn:
          'arn:aws:lambda:eu-west-1:123456789012:function:ecs-autopilot-sandbox-index-services:$LATEST',
      }),
    );
    expect(record.requestPayload['detail-type']).toBe('Scheduled Event');
    expect(record.responsePayload.errorMessage).toEqual(expect.any(String));
  });
});
