/**
 * bake-timer: completed deployments whose bake time passed without an unhealthy signal become the
 * last known good revision of their service (`Deployment Succeeded`). Triggered by a schedule.
 */
import { makeBakeDeps } from '../shared/adapters/compose-bake';
import { BaseEnvSchema } from '../shared/config/env';
import { promoteBaked } from '../shared/domain/rollback/watch-deployments';
import { ScheduledEventSchema } from '../shared/events/scheduled-event';
import { withHandler } from '../shared/middleware/with-handler';

/** The Lambda handler. Returns every decision with its reason. */
export const handler = withHandler({
  name: 'bake-timer',
  envSchema: BaseEnvSchema,
  eventSchema: ScheduledEventSchema,
  idempotencyKey: 'id',
}).handler(async (_event, { env }) => {
  const decisions = await promoteBaked(makeBakeDeps(env));
  return { decisions };
});
