/**
 * restart-tasks: decides whether a stopped standalone task is started again (issue 13), and captures
 * the launch spec of the tasks it may have to restart. Triggered by ECS Task State Change of tasks
 * outside services (STOPPED: decide; RUNNING: capture) and by the CloudTrail records of RunTask /
 * StartTask (capture).
 */
import * as z from 'zod/mini';
import { makeRestartTasksDeps } from '../shared/adapters/compose-restart-tasks';
import { RestartEnvSchema } from '../shared/config/env';
import { parseTaskArn } from '../shared/domain/aws/arn';
import type { RestartDecision } from '../shared/domain/restart/restart-plan';
import {
  captureLaunch,
  captureRunning,
  onStandaloneTaskStopped,
} from '../shared/domain/restart/restart-tasks';
import { assertNever } from '../shared/errors';
import {
  EcsCloudTrailApiCallEventSchema,
  taskLaunchFromApiCall,
} from '../shared/events/ecs-cloudtrail-api-call';
import { EcsTaskStateChangeEventSchema } from '../shared/events/ecs-task-state-change';
import { withHandler } from '../shared/middleware/with-handler';

const RestartEventSchema = z.discriminatedUnion('detail-type', [
  EcsTaskStateChangeEventSchema,
  EcsCloudTrailApiCallEventSchema,
]);

/** The cluster ARN of a long-format task ARN (`…:task/<cluster>/<id>`); none for the old format. */
const clusterOfTask = (taskArn: string) => {
  const task = parseTaskArn(taskArn);
  return task?.cluster
    ? `arn:${task.partition}:ecs:${task.region}:${task.account}:cluster/${task.cluster}`
    : undefined;
};

/** The Lambda handler. Returns every decision with its reason. */
export const handler = withHandler({
  name: 'restart-tasks',
  envSchema: RestartEnvSchema,
  eventSchema: RestartEventSchema,
  idempotencyKey: 'id',
}).handler(async (event, { env }): Promise<{ decisions: RestartDecision[]; ignored?: string }> => {
  const deps = makeRestartTasksDeps(env);
  switch (event['detail-type']) {
    case 'ECS Task State Change': {
      const d = event.detail;
      const task = {
        clusterArn: d.clusterArn,
        taskArn: d.taskArn,
        taskDefinitionArn: d.taskDefinitionArn,
        ...(d.group ? { group: d.group } : {}),
        ...(d.startedBy ? { startedBy: d.startedBy } : {}),
      };
      if (d.lastStatus === 'RUNNING') {
        const decisions = await captureRunning(
          {
            ...task,
            ...(d.launchType ? { launchType: d.launchType } : {}),
            ...(d.capacityProviderName ? { capacityProviderName: d.capacityProviderName } : {}),
            ...(d.platformVersion ? { platformVersion: d.platformVersion } : {}),
            ...(d.overrides ? { overrides: d.overrides } : {}),
            attachments: d.attachments,
          },
          deps,
        );
        return { decisions };
      }
      if (d.lastStatus !== 'STOPPED') return { decisions: [], ignored: `task ${d.lastStatus}` };
      const decisions = await onStandaloneTaskStopped(
        {
          ...task,
          stopCode: d.stopCode,
          stoppedReason: d.stoppedReason,
          containers: d.containers,
          ...(typeof d.startedAt === 'string' ? { startedAt: d.startedAt } : {}),
          stoppedAt: d.stoppedAt ?? d.updatedAt,
          eventId: event.id,
        },
        deps,
      );
      return { decisions };
    }
    case 'AWS API Call via CloudTrail': {
      const launched = taskLaunchFromApiCall(event.detail);
      if (!launched) return { decisions: [], ignored: `${event.detail.eventName} started no task` };
      return { decisions: await captureLaunch({ ...launched, clusterArn: clusterOfTask }, deps) };
    }
    default:
      return assertNever(event);
  }
});
