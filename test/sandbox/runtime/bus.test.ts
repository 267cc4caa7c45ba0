/**
 * The local bus routes like the deployed rules (serverless.yml through tools/eventbridge/routing.ts)
 * and delivers like Lambda's asynchronous invocation: retries, then the OnFailure queue. Functions
 * are replaced by an injected invoker here; runtime.test.ts runs the real ones.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type BusRecord,
  type DeliveryRecord,
  type Invoker,
  LocalBus,
  type LocalBusOptions,
} from '../../../sandbox/runtime/bus';
import { LocalQueue } from '../../../sandbox/runtime/sqs';
import { type EventBridgeEvent, MAX_EVENT_NESTING } from '../../../tools/eventbridge/event';
import { compileRoute, loadRoutes } from '../../../tools/eventbridge/routing';

const root = join(__dirname, '..', '..', '..');
const routes = loadRoutes(root);

function sample(name: string): EventBridgeEvent {
  return JSON.parse(readFileSync(join(root, 'events', `${name}.json`), 'utf8')) as EventBridgeEvent;
}

/** A bus whose functions are `invoke`, recording every record it reports. */
function busWith(invoke: Invoker, options: Partial<LocalBusOptions> = {}) {
  const records: BusRecord[] = [];
  const dlq = new LocalQueue(
    'dlq',
    'http://127.0.0.1:9/123456789012/dlq',
    'arn:aws:sqs:eu-west-1:123456789012:dlq',
  );
  const bus = new LocalBus({
    routes,
    invoke,
    retryDelaysMs: [5, 10],
    failureDestination: () => dlq,
    functionArn: (name) => `arn:aws:lambda:eu-west-1:123456789012:function:ecs-autopilot-sandbox-${name}`,
    ...options,
  });
  bus.subscribe((record) => records.push(record));
  const deliveries = () => records.filter((r): r is DeliveryRecord => r.kind === 'delivery');
  return { bus, records, deliveries, dlq };
}

describe('LocalBus', () => {
  it('delivers an ECR push to deploy-on-push only, after put returned', async () => {
    // Prepare
    const calls: string[] = [];
    const { bus, deliveries } = busWith(async (name, event) => {
      calls.push(`${name} ${event.id}`);
      return { decisions: [] };
    });
    const push = sample('ecr-image-push');

    // Act
    const { targets, delivered } = bus.put(push);
    const callsRightAfterPut = [...calls];
    await delivered;

    // Assess
    expect(targets).toEqual(['deploy-on-push']);
    expect(callsRightAfterPut).toEqual([]);
    expect(calls).toEqual([`deploy-on-push ${push.id}`]);
    expect(deliveries()).toEqual([
      expect.objectContaining({
        function: 'deploy-on-push',
        eventId: push.id,
        attempt: 1,
        outcome: 'ok',
        result: { decisions: [] },
      }),
    ]);
  });

  it('delivers an ECR delete to nothing, and subscribers still see it', async () => {
    // Prepare
    const invoke = jest.fn(async () => ({}));
    const { bus, records } = busWith(invoke);

    // Act
    bus.put(sample('ecr-image-delete'));
    await bus.idle();

    // Assess
    expect(invoke).not.toHaveBeenCalled();
    expect(records).toEqual([
      expect.objectContaining({ kind: 'event', targets: [], origin: 'aws', eventBusName: 'default' }),
    ]);
  });

  it('shows an event that matches no rule to subscribers only', async () => {
    // Prepare
    const invoke = jest.fn(async () => ({}));
    const { bus, records } = busWith(invoke);

    // Act
    const { event } = bus.put(
      { source: 'team.billing', 'detail-type': 'Invoice Sent', detail: { invoice: 'inv-1' } },
      { eventBusName: 'ecs-autopilot-sandbox', origin: 'put-events' },
    );
    await bus.idle();

    // Assess
    expect(invoke).not.toHaveBeenCalled();
    expect(records).toEqual([
      {
        kind: 'event',
        event,
        eventBusName: 'ecs-autopilot-sandbox',
        origin: 'put-events',
        targets: [],
        depth: 0,
      },
    ]);
    expect(event).toEqual(
      expect.objectContaining({ version: '0', account: '123456789012', region: 'eu-west-1', resources: [] }),
    );
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('retries a function that throws twice, then keeps the event in the dead-letter queue with the error', async () => {
    // Prepare
    const attempts: number[] = [];
    const { bus, deliveries, dlq } = busWith(async (_name, _event, { attempt }) => {
      attempts.push(attempt);
      throw new TypeError('ECS is down');
    });
    const push = sample('ecr-image-push');

    // Act
    const { delivered } = bus.put(push);
    const [final] = await delivered;

    // Assess
    expect(attempts).toEqual([1, 2, 3]);
    expect(deliveries().map((d) => [d.attempt, d.outcome, d.error?.message])).toEqual([
      [1, 'retry', 'ECS is down'],
      [2, 'retry', 'ECS is down'],
      [3, 'failed', 'ECS is down'],
    ]);
    const record = JSON.parse(dlq.messages()[0]?.body ?? '{}');
    expect(dlq.messages()).toHaveLength(1);
    expect(record).toEqual({
      version: '1.0',
      timestamp: expect.any(String),
      requestContext: {
        requestId: final?.requestId,
        functionArn:
          'arn:aws:lambda:eu-west-1:123456789012:function:ecs-autopilot-sandbox-deploy-on-push:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: push,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: { errorType: 'TypeError', errorMessage: 'ECS is down', trace: expect.any(Array) },
    });
  });

  it('does not retry an event the function rejected as permanently invalid', async () => {
    // Prepare
    const invoke = jest.fn(async () => ({ status: 'rejected', reason: 'bad event' }));
    const { bus, deliveries, dlq } = busWith(invoke);

    // Act
    await bus.put(sample('ecr-image-push')).delivered;

    // Assess
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(deliveries().map((d) => d.outcome)).toEqual(['rejected']);
    expect(dlq.messages()).toEqual([]);
  });

  it('becomes idle only after the deliveries, retries and the events they put have settled', async () => {
    // Prepare
    const done: string[] = [];
    const { bus } = busWith(async (name, event, { attempt }) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (name === 'deploy-on-push' && attempt === 1) throw new Error('flaky');
      // What the ECS control plane does after UpdateService: an event index-services receives.
      if (name === 'deploy-on-push') bus.put(sample('ecs-deployment-in-progress'));
      done.push(`${name} ${event['detail-type']}`);
      return {};
    });

    // Act
    bus.put(sample('ecr-image-push'));
    await bus.idle();

    // Assess
    expect(done).toEqual([
      'deploy-on-push ECR Image Action',
      'index-services ECS Deployment State Change',
      'watch-deployments ECS Deployment State Change',
    ]);
  });

  it('stops a loop of functions that put the events that invoke them', async () => {
    // Prepare
    const loopRoutes = [
      compileRoute({ functionName: 'echo', patterns: [{ source: ['echo'] }], schedules: [] }),
    ];
    let invocations = 0;
    const { bus, deliveries, dlq } = busWith(
      async () => {
        invocations++;
        bus.put({ source: 'echo', 'detail-type': 'Echo', detail: {} });
        return {};
      },
      { routes: loopRoutes, maxChainDepth: 3 },
    );

    // Act
    bus.put({ source: 'echo', 'detail-type': 'Echo', detail: {} });
    await bus.idle();

    // Assess
    expect(invocations).toBe(4);
    expect(deliveries().map((d) => d.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'dropped']);
    expect(JSON.parse(dlq.messages()[0]?.body ?? '{}').requestContext.condition).toBe(
      'RecursiveInvocationLoop',
    );
  });

  it('refuses an event nested deeper than EventBridge processes, and delivers one just within it', async () => {
    // Prepare
    const { bus, deliveries } = busWith(async () => ({ decisions: [] }));
    const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown;
    const push = (depth: number) => ({
      ...sample('ecr-image-push'),
      detail: { ...sample('ecr-image-push').detail, junk: nested(depth) },
    });

    // Act
    const hostile = () => bus.put(push(10_000));
    const { delivered } = bus.put(push(MAX_EVENT_NESTING - 2));
    await delivered;

    // Assess
    expect(hostile).toThrow(
      new TypeError('event detail nested deeper than EventBridge processes (1000 levels)'),
    );
    expect(deliveries()).toEqual([expect.objectContaining({ function: 'deploy-on-push', outcome: 'ok' })]);
  });

  it('reports pending retries as dropped when closed', async () => {
    // Prepare
    const { bus, deliveries } = busWith(
      async () => {
        throw new Error('down');
      },
      { retryDelaysMs: [60_000] },
    );
    const { delivered } = bus.put(sample('ecr-image-push'));
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    await bus.close();

    // Assess
    expect((await delivered).map((d) => d.outcome)).toEqual(['dropped']);
    expect(deliveries().map((d) => d.outcome)).toEqual(['retry', 'dropped']);
  });
  describe('at-least-once delivery (deliveries: 3)', () => {
    /** Puts five events and records which function got which event, in order. */
    async function deliverFive(options: Partial<LocalBusOptions>) {
      const order: string[] = [];
      const { bus, records } = busWith(async (name, event) => {
        order.push(`${name} ${event['detail-type']}`);
        return {};
      }, options);
      const events = ['ecr-image-push', 'ecs-task-stopped-crash', 'cloudwatch-alarm-state-change'].map(
        sample,
      );
      const results = events.map((event) => bus.put(event));
      const children = [
        bus.put(sample('ecs-deployment-completed')),
        bus.put(sample('autopilot-action-failed')),
      ];
      await bus.idle();
      const settled = await Promise.all([...results, ...children].map((r) => r.delivered));
      return { order, records, settled };
    }

    it('delivers every event three times to each target, the copies shuffled among the other events', async () => {
      // Prepare: five events, one of them for two functions

      // Act
      const { order, records, settled } = await deliverFive({ deliveries: 3, deliverySeed: 7 });

      // Assess
      const once = await deliverFive({});
      expect([...order].sort()).toEqual([...once.order, ...once.order, ...once.order].sort());
      expect(settled.map((deliveries) => deliveries.length)).toEqual(
        once.settled.map((deliveries) => deliveries.length * 3),
      );
      // Shuffled: some copies of one event are apart, with another event delivered between them.
      const apart = order.some((delivery, i) => {
        const next = order.indexOf(delivery, i + 1);
        return next > i + 1 && order.slice(i + 1, next).some((other) => other !== delivery);
      });
      expect(apart).toBe(true);
      expect(order).not.toEqual(once.order.flatMap((delivery) => [delivery, delivery, delivery]));
      // One event each on the bus: subscribers see it once, and its deliveries three times.
      expect(records.filter((r) => r.kind === 'event')).toHaveLength(5);
    });

    it('shuffles the same way for the same seed, and another way for another', async () => {
      // Prepare
      const seeded = await deliverFive({ deliveries: 3, deliverySeed: 7 });

      // Act
      const again = await deliverFive({ deliveries: 3, deliverySeed: 7 });
      const other = await deliverFive({ deliveries: 3, deliverySeed: 8 });

      // Assess
      expect(again.order).toEqual(seeded.order);
      expect(other.order).not.toEqual(seeded.order);
    });

    it('becomes idle only after every copy was delivered, and drops held copies when closed', async () => {
      // Prepare
      const { bus, deliveries } = busWith(async () => ({}), { deliveries: 3, deliverySpread: 100 });

      // Act
      bus.put(sample('ecr-image-push'));
      await bus.idle();
      const { delivered } = bus.put(sample('ecr-image-push'));
      await bus.close();

      // Assess
      expect(
        deliveries()
          .slice(0, 3)
          .map((d) => d.outcome),
      ).toEqual(['ok', 'ok', 'ok']);
      expect((await delivered).map((d) => d.outcome)).toEqual(['dropped', 'dropped', 'dropped']);
    });
  });
});
