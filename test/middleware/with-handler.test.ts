/**
 * The shared middleware stack: what every handler reports without writing it itself — each decision
 * logged with the event id as correlation id, decisions counted as metrics (EMF), and a rejected event
 * logged with its reason.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { BaseEnvSchema } from '../../shared/config/env';
import { lambdaContext } from '../support/handler';

type Stack = typeof import('../../shared/middleware/with-handler');

/** Loads the stack afresh with logs and metrics switched on, and captures what they print. */
function loadStack(): { stack: Stack; printed: () => Record<string, unknown>[] } {
  const lines: string[] = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
  }
  let stack: Stack | undefined;
  jest.isolateModules(() => {
    stack = require('../../shared/middleware/with-handler') as Stack;
  });
  const printed = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { stack: stack as Stack, printed };
}

const saved = { ...process.env };

beforeEach(() => {
  process.env.POWERTOOLS_DEV = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.AUTOPILOT_TABLE = 'table';
  process.env.AUTOPILOT_BUS = 'bus';
});

afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

const EventSchema = z.object({
  id: z.string(),
  'detail-type': z.literal('Test'),
  detail: z.object({ n: z.number() }),
});
const event = (n: unknown) => ({ id: 'evt-1', 'detail-type': 'Test', source: 'test', detail: { n } });

describe('withHandler', () => {
  it('logs and counts every decision the handler returns, under the event id', async () => {
    // Prepare
    const { stack, printed } = loadStack();
    const handler = stack
      .withHandler({ name: 'test-fn', envSchema: BaseEnvSchema, eventSchema: EventSchema })
      .handler(async (e) => ({
        decisions: [
          { action: 'deploy', reason: `n=${e.detail.n}` },
          { action: 'skip', reason: 'not followed' },
          { action: 'skip', reason: 'quarantined' },
        ],
      }));

    // Act
    const result = await handler(event(1), lambdaContext('test-fn') satisfies Context);

    // Assess
    expect(result).toEqual({
      decisions: [
        { action: 'deploy', reason: 'n=1' },
        { action: 'skip', reason: 'not followed' },
        { action: 'skip', reason: 'quarantined' },
      ],
    });
    const logged = printed().filter((l) => l.message === 'decision');
    expect(logged).toHaveLength(3);
    expect(logged[0]).toMatchObject({ correlation_id: 'evt-1', decision: { action: 'deploy' } });
    const emf = printed().find((l) => '_aws' in l);
    expect(emf).toMatchObject({ EventsHandled: 1, 'Decision.deploy': 1, 'Decision.skip': 2 });
  });

  it('logs why an event was not acted on', async () => {
    // Prepare
    const { stack, printed } = loadStack();
    const handler = stack
      .withHandler({ name: 'test-fn', envSchema: BaseEnvSchema, eventSchema: EventSchema })
      .handler(async () => ({ decisions: [], ignored: 'not a push' }));

    // Act
    await handler(event(1), lambdaContext('test-fn'));

    // Assess
    expect(printed()).toEqual(
      expect.arrayContaining([expect.objectContaining({ message: 'not acted on', reason: 'not a push' })]),
    );
  });

  it('rejects an event that does not parse, naming the field, and counts it', async () => {
    // Prepare
    const { stack, printed } = loadStack();
    const handler = stack
      .withHandler({ name: 'test-fn', envSchema: BaseEnvSchema, eventSchema: EventSchema })
      .handler(async () => ({ decisions: [{ action: 'deploy' }] }));

    // Act
    const result = await handler(event('one'), lambdaContext('test-fn'));

    // Assess
    expect(result).toMatchObject({ status: 'rejected', reason: expect.stringContaining('detail.n') });
    expect(printed()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          level: 'ERROR',
          correlation_id: 'evt-1',
          reason: expect.stringContaining('detail.n'),
        }),
      ]),
    );
    expect(printed().find((l) => '_aws' in l)).toMatchObject({ RejectedEvents: 1 });
    expect(printed().some((l) => l.message === 'decision')).toBe(false);
  });
});
