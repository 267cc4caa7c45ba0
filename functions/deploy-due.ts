/**
 * deploy-due: deploys the pushes that waited for a cooldown or a deploy window once they are due.
 * Triggered by a schedule.
 */
import { makeDeployDeps } from '../shared/adapters/compose-deploy';
import { BaseEnvSchema } from '../shared/config/env';
import { deployDuePushes } from '../shared/domain/deploy/deploy-pushed-image';
import { ScheduledEventSchema } from '../shared/events/scheduled-event';
import { withHandler } from '../shared/middleware/with-handler';

/** The Lambda handler. Returns every decision with its reason. */
export const handler = withHandler({
  name: 'deploy-due',
  envSchema: BaseEnvSchema,
  eventSchema: ScheduledEventSchema,
  idempotencyKey: 'id',
}).handler(async (_event, { env }) => {
  const decisions = await deployDuePushes(makeDeployDeps(env));
  return { decisions };
});
