import * as z from 'zod';
import { parseClusterArn, parseTaskArn, parseTaskDefinition } from '../domain/aws/arn';
import { checkedString, eventBridgeEvent } from './eventbridge-event';

/** An ARN that `parse` reads; `what` names what it should be. */
const arnOf = (parse: (arn: string) => unknown, what: string) =>
  checkedString(
    (arn) => (arn.startsWith('arn:') && parse(arn) !== undefined ? undefined : `expected ${what}`),
    1024,
  );

/**
 * Detail-type of the event Amazon ECS sends when a task changes state.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
export const ECS_TASK_STATE_CHANGE = 'ECS Task State Change' as const;

/**
 * `detail` of an "ECS Task State Change" event: the task as DescribeTasks shows it. Only the fields
 * autopilot reads are required; unknown keys are kept. The ARNs autopilot keys its records on and
 * reads the revision from are checked to be ECS ARNs of their kind.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
export const EcsTaskStateChangeDetailSchema = z.looseObject({
  clusterArn: arnOf(parseClusterArn, 'an ECS cluster ARN'),
  taskArn: arnOf(parseTaskArn, 'an ECS task ARN'),
  taskDefinitionArn: arnOf(
    parseTaskDefinition,
    'an ECS task-definition ARN (…:task-definition/<family>:<revision>)',
  ),
  /** `service:<name>` for tasks of a service, `family:<family>` (or a custom group) for standalone tasks */
  group: z.string().max(512).optional(),
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
