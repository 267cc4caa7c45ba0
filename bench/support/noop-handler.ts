/**
 * The baseline of bench/handler-cpu.bench.ts: a handler that does nothing, through the same
 * `withHandler` stack as every function (logger, tracer, metrics, error classification, env
 * validation, the parser, idempotency in the table), so a function's ratio to it is what its own
 * work costs on top of the stack. bench/bundles.bench.ts bundles it too: the import cost of that stack
 * alone, without any of autopilot's work.
 */
import * as z from 'zod/mini';
import { BaseEnvSchema } from '../../shared/config/env';
import { withHandler } from '../../shared/middleware/with-handler';

/** Accepts any event and decides nothing. */
export const handler = withHandler({
  name: 'bench-noop',
  envSchema: BaseEnvSchema,
  eventSchema: z.looseObject({ id: z.string() }),
  idempotencyKey: 'id',
}).handler(async () => ({ decisions: [] }));
