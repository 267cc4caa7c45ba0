/**
 * watch-deployments: follows the deployments of watched services and rolls back the unhealthy ones.
 * Triggered by ECS Deployment State Change, ECS Task State Change (stopped tasks of services) and
 * CloudWatch Alarm State Change (to ALARM).
 */
import * as z from 'zod/mini';
import { makeWatchDeps } from '../shared/adapters/compose-watch';
import { BaseEnvSchema } from '../shared/config/env';
import {
  onAlarm,
  onDeploymentStateChange,
  onTaskStopped,
  type WatchDecision,
} from '../shared/domain/rollback/watch-deployments';
import { assertNever } from '../shared/errors';
import { CloudWatchAlarmStateChangeEventSchema } from '../shared/events/cloudwatch-alarm-state-change';
import { EcsDeploymentStateChangeEventSchema } from '../shared/events/ecs-deployment-state-change';
import { EcsTaskStateChangeEventSchema } from '../shared/events/ecs-task-state-change';
import { withHandler } from '../shared/middleware/with-handler';

const WatchEventSchema = z.discriminatedUnion('detail-type', [
  EcsDeploymentStateChangeEventSchema,
  EcsTaskStateChangeEventSchema,
  CloudWatchAlarmStateChangeEventSchema,
]);

/** The Lambda handler. Returns every decision with its reason. */
export const handler = withHandler({
  name: 'watch-deployments',
  envSchema: BaseEnvSchema,
  eventSchema: WatchEventSchema,
  idempotencyKey: 'id',
}).handler(async (event, { env }): Promise<{ decisions: WatchDecision[] }> => {
  const deps = makeWatchDeps(env);
  let decisions: WatchDecision[];
  switch (event['detail-type']) {
    case 'ECS Deployment State Change':
      decisions = await onDeploymentStateChange(
        { serviceArn: event.resources[0], ...event.detail, eventId: event.id },
        deps,
      );
      break;
    case 'ECS Task State Change': {
      const d = event.detail;
      decisions = await onTaskStopped(
        {
          clusterArn: d.clusterArn,
          group: d.group ?? '',
          taskArn: d.taskArn,
          taskDefinitionArn: d.taskDefinitionArn,
          stopCode: d.stopCode,
          stoppedReason: d.stoppedReason,
          stoppedAt: d.stoppedAt ?? d.updatedAt,
          containers: d.containers,
          eventId: event.id,
          // ECS's `startedBy`: the deployment that started the task (kept by the loose schema).
          ...(typeof d.startedBy === 'string' ? { startedBy: d.startedBy } : {}),
        },
        deps,
      );
      break;
    }
    case 'CloudWatch Alarm State Change':
      decisions = await onAlarm(
        {
          name: event.detail.alarmName,
          state: event.detail.state.value,
          reason: event.detail.state.reason,
          at: event.time,
          eventId: event.id,
        },
        deps,
      );
      break;
    default:
      return assertNever(event);
  }
  return { decisions };
});
