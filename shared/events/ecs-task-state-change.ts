import { z } from 'zod';
import { eventBridgeEvent } from './eventbridge-event';

/**
 * Detail-type of the event Amazon ECS sends when a task changes state.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
export const ECS_TASK_STATE_CHANGE = 'ECS Task State Change' as const;

/**
 * `detail` of an "ECS Task State Change" event: the task as DescribeTasks shows it. Only the fields
 * autopilot reads are required; unknown keys are kept.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
export const EcsTaskStateChangeDetailSchema = z.looseObject({
  clusterArn: z.string().startsWith('arn:'),
  taskArn: z.string().startsWith('arn:'),
  taskDefinitionArn: z.string().startsWith('arn:'),
  /** `service:<name>` for tasks of a service, `family:<family>` (or a custom group) for standalone tasks */
  group: z.string().optional(),
  lastStatus: z.string(),
  desiredStatus: z.string().optional(),
  stopCode: z.string().optional(),
  stoppedReason: z.string().optional(),
  stoppedAt: z.iso.datetime({ offset: true }).optional(),
  updatedAt: z.iso.datetime({ offset: true }),
  containers: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        exitCode: z.number().int().optional(),
        image: z.string().optional(),
      }),
    )
    .default([]),
});

/** `detail` of an "ECS Task State Change" event. */
export type EcsTaskStateChangeDetail = z.infer<typeof EcsTaskStateChangeDetailSchema>;

/**
 * A complete "ECS Task State Change" EventBridge event (source `aws.ecs`).
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
export const EcsTaskStateChangeEventSchema = eventBridgeEvent(
  'aws.ecs',
  ECS_TASK_STATE_CHANGE,
  EcsTaskStateChangeDetailSchema,
);

/** A complete "ECS Task State Change" event. */
export type EcsTaskStateChangeEvent = z.infer<typeof EcsTaskStateChangeEventSchema>;
