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
  /**
   * Who started the task: `ecs-svc/<id>` for a service's, `events-rule/<rule>` for a scheduled task,
   * what RunTask's caller named (`autopilot` for the tasks autopilot restarted), or nothing.
   */
  startedBy: z.string().max(256).optional(),
  lastStatus: z.string(),
  desiredStatus: z.string().optional(),
  /**
   * Why ECS stopped the task: `TaskFailedToStart`, `EssentialContainerExited`, `UserInitiated`,
   * `ServiceSchedulerInitiated`, `SpotInterruption`, `TerminationNotice` (a plain string: ECS may add
   * codes, and the restart classification names what it does not know).
   */
  stopCode: z.string().max(128).optional(),
  stoppedReason: z.string().max(2048).optional(),
  stoppedAt: z.iso.datetime({ offset: true }).optional(),
  updatedAt: z.iso.datetime({ offset: true }),
  launchType: z.string().max(32).optional(),
  capacityProviderName: z.string().max(255).optional(),
  platformVersion: z.string().max(32).optional(),
  containers: z
    .array(
      z.looseObject({
        name: z.string().optional(),
        exitCode: z.number().int().optional(),
        image: z.string().optional(),
        /** why the container stopped, e.g. `OutOfMemoryError: Container killed due to memory usage` */
        reason: z.string().max(2048).optional(),
        lastStatus: z.string().optional(),
      }),
    )
    .max(100)
    .default([]),
  /**
   * The task's elastic network interface (awsvpc): `details` name its `subnetId`,
   * `networkInterfaceId`, `privateIPv4Address`…; the event carries no security groups.
   */
  attachments: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        status: z.string().optional(),
        details: z
          .array(z.looseObject({ name: z.string(), value: z.string().optional() }))
          .max(50)
          .optional(),
      }),
    )
    .max(50)
    .default([]),
  /** the task's overrides as RunTask gave them (container overrides, cpu, memory, roles) */
  overrides: z.looseObject({}).optional(),
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
