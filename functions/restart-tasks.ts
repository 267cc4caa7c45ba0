/**
 * restart-tasks: decides whether a stopped standalone task is started again (issue 13), and captures
 * the launch spec of the tasks it may have to restart. Triggered by ECS Task State Change of tasks
 * outside services (STOPPED, RUNNING) and by the CloudTrail records of RunTask / StartTask.
 */
import * as z from 'zod';
import { RestartEnvSchema } from '../shared/config/env';
import { EcsCloudTrailApiCallEventSchema } from '../shared/events/ecs-cloudtrail-api-call';
import { EcsTaskStateChangeEventSchema } from '../shared/events/ecs-task-state-change';
import { withHandler } from '../shared/middleware/with-handler';

const RestartEventSchema = z.discriminatedUnion('detail-type', [
  EcsTaskStateChangeEventSchema,
  EcsCloudTrailApiCallEventSchema,
]);

/** The Lambda handler. Returns every decision with its reason. */
export const handler = withHandler({
  name: 'restart-tasks',
  envSchema: RestartEnvSchema,
  eventSchema: RestartEventSchema,
  idempotencyKey: 'id',
}).handler(async () => ({ decisions: [], ignored: 'restart decisions are not wired yet' }));
