import * as z from 'zod/mini';
import '../zod-messages';
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
  group: z.optional(z.string().check(z.maxLength(512))),
  /**
   * Who started the task: `ecs-svc/<id>` for a service's, `events-rule/<rule>` for a scheduled task,
   * what RunTask's caller named (`autopilot` for the tasks autopilot restarted), or nothing.
   */
  startedBy: z.optional(z.string().check(z.maxLength(256))),
  lastStatus: z.string(),
  desiredStatus: z.optional(z.string()),
  /**
   * Why ECS stopped the task: `TaskFailedToStart`, `EssentialContainerExited`, `UserInitiated`,
   * `ServiceSchedulerInitiated`, `SpotInterruption`, `TerminationNotice` (a plain string: ECS may add
   * codes, and the restart classification names what it does not know).
   */
  stopCode: z.optional(z.string().check(z.maxLength(128))),
  stoppedReason: z.optional(z.string().check(z.maxLength(2048))),
  stoppedAt: z.optional(z.iso.datetime({ offset: true })),
  updatedAt: z.iso.datetime({ offset: true }),
  launchType: z.optional(z.string().check(z.maxLength(32))),
  capacityProviderName: z.optional(z.string().check(z.maxLength(255))),
  platformVersion: z.optional(z.string().check(z.maxLength(32))),
  containers: z._default(
    z
      .array(
        z.looseObject({
          name: z.optional(z.string()),
          exitCode: z.optional(z.number().check(z.int())),
          image: z.optional(z.string()),
          /** why the container stopped, e.g. `OutOfMemoryError: Container killed due to memory usage` */
          reason: z.optional(z.string().check(z.maxLength(2048))),
          lastStatus: z.optional(z.string()),
        }),
      )
      .check(z.maxLength(100)),
    [],
  ),
  /**
   * The task's elastic network interface (awsvpc): `details` name its `subnetId`,
   * `networkInterfaceId`, `privateIPv4Address`…; the event carries no security groups.
   */
  attachments: z._default(
    z
      .array(
        z.looseObject({
          type: z.optional(z.string()),
          status: z.optional(z.string()),
          details: z.optional(
            z
              .array(z.looseObject({ name: z.string(), value: z.optional(z.string()) }))
              .check(z.maxLength(50)),
          ),
        }),
      )
      .check(z.maxLength(50)),
    [],
  ),
  /** the task's overrides as RunTask gave them (container overrides, cpu, memory, roles) */
  overrides: z.optional(z.looseObject({})),
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
