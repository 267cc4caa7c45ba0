/**
 * Schedule rules of serverless.yml as timers and on demand: the "Scheduled Event" they put reaches
 * its function through the bus by rule name, as the deployed rules do.
 */
import { join } from 'node:path';
import { LocalBus } from '../../../sandbox/runtime/bus';
import { parseRate, Scheduler } from '../../../sandbox/runtime/schedules';
import type { EventBridgeEvent } from '../../../tools/eventbridge/event';
import { loadRoutes } from '../../../tools/eventbridge/routing';
import { readServerlessConfig } from '../../../tools/serverless-config';

const root = join(__dirname, '..', '..', '..');
const config = readServerlessConfig(root);

function schedulerWith(overridesMs: Record<string, number> = {}) {
  const invoked: { name: string; event: EventBridgeEvent }[] = [];
  const bus = new LocalBus({
    routes: loadRoutes(root),
    invoke: async (name, event) => {
      invoked.push({ name, event });
      return {};
    },
  });
  const scheduler = new Scheduler({
    schedules: config.functions.flatMap((f) => f.schedules),
    bus,
    account: '123456789012',
    region: 'eu-west-1',
    overridesMs,
  });
  return { bus, scheduler, invoked };
}

describe('parseRate', () => {
  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(6 hours)', 21_600_000],
    ['rate(2 days)', 172_800_000],
  ])('reads %s', (expression, expected) => {
    // Prepare
    const text = expression;

    // Act
    const period = parseRate(text);

    // Assess
    expect(period).toBe(expected);
  });

  it.each(['rate(1 minutes)', 'rate(2 minute)', 'rate(0 minutes)', 'cron(0 12 * * ? *)'])(
    'refuses %s',
    (text) => {
      // Prepare
      const parse = () => parseRate(text);

      // Act
      const act = parse;

      // Assess
      expect(act).toThrow(/not a rate expression/);
    },
  );
});

describe('Scheduler', () => {
  it('triggers a function by its schedule rule, through the bus', async () => {
    // Prepare
    const { scheduler, invoked } = schedulerWith();

    // Act
    const [result] = scheduler.trigger('deploy-due');
    await result?.delivered;

    // Assess
    expect(invoked).toEqual([
      {
        name: 'deploy-due',
        event: expect.objectContaining({
          source: 'aws.events',
          'detail-type': 'Scheduled Event',
          resources: ['arn:aws:events:eu-west-1:123456789012:rule/ecs-autopilot-sandbox-deploy-due'],
          detail: {},
        }),
      },
    ]);
  });

  it('triggers a rule by its name', async () => {
    // Prepare
    const { scheduler, invoked } = schedulerWith();

    // Act
    await Promise.all(scheduler.trigger('ecs-autopilot-sandbox-reconcile').map((r) => r.delivered));

    // Assess
    expect(invoked.map((i) => i.name)).toEqual(['index-services']);
  });

  it('refuses a name that is neither a rule nor a scheduled function', () => {
    // Prepare
    const { scheduler } = schedulerWith();

    // Act
    const act = () => scheduler.trigger('deploy-on-push');

    // Assess
    expect(act).toThrow(/no schedule rule or function with a schedule named deploy-on-push/);
  });

  it('runs an overridden rule on its own period', async () => {
    // Prepare
    const { scheduler, invoked, bus } = schedulerWith({ 'deploy-due': 20 });

    // Act
    scheduler.start();
    // Waits for the invocations, however slow the machine: never for a fixed time.
    while (invoked.length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    scheduler.stop();
    await bus.idle();

    // Assess
    expect(invoked.length).toBeGreaterThanOrEqual(3);
    expect(new Set(invoked.map((i) => i.name))).toEqual(new Set(['deploy-due']));
    expect(scheduler.rules.find((r) => r.functionName === 'index-services')?.periodMs).toBe(600_000);
  });
});
