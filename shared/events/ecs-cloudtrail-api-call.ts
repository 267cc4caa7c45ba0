import * as z from 'zod/mini';
import '../zod-messages';
import { parseClusterArn, parseLegacyServiceArn, parseServiceArn } from '../domain/aws/arn';
import { eventBridgeEvent } from './eventbridge-event';

/**
 * Detail-type of the events CloudTrail delivers to EventBridge for calls to AWS APIs (here: the
 * Amazon ECS API, source `aws.ecs`).
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const AWS_API_CALL_VIA_CLOUDTRAIL = 'AWS API Call via CloudTrail' as const;

/**
 * ECS API calls that create, change, retag or remove a service, i.e. the calls after which the index
 * of managed services must be refreshed. The contract keeps `eventName` a plain string (the rule may
 * deliver other ECS calls); this list names the ones {@link serviceRefFromApiCall} understands.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/logging-using-cloudtrail.html
 */
export const SERVICE_INDEX_API_CALLS = [
  'CreateService',
  'UpdateService',
  'DeleteService',
  'TagResource',
  'UntagResource',
] as const;

/** One of {@link SERVICE_INDEX_API_CALLS}. */
export type ServiceIndexApiCall = (typeof SERVICE_INDEX_API_CALLS)[number];

/**
 * `detail` of an "AWS API Call via CloudTrail" event of one AWS API (`eventSource`, e.g.
 * `ecs.amazonaws.com`): a CloudTrail record, the same for every service but for its source.
 *
 * - `requestParameters` / `responseElements`: the call's input and output. CloudTrail sends `null`
 *   when there is none (e.g. `responseElements` of `TagResource`, or of any failed call) and may omit
 *   them, so both are nullish. Their content differs per API and is kept as an open record.
 * - `errorCode` / `errorMessage`: present only when the call failed.
 * - `userIdentity`: who made the call; its shape depends on `userIdentity.type`.
 *
 * CloudTrail adds fields to its records over time (`tlsDetails`, `sessionCredentialFromConsole`, ...),
 * so unknown keys are kept rather than rejected, at every level.
 *
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/logging-using-cloudtrail.html
 */
export function cloudTrailRecordDetail<const Source extends string>(eventSource: Source) {
  return z.looseObject({
    eventVersion: z.optional(z.string()),
    eventSource: z.literal(eventSource),
    eventName: z.string().check(z.minLength(1)),
    eventTime: z.iso.datetime({ offset: true }),
    awsRegion: z.string().check(z.minLength(1)),
    recipientAccountId: z.string().check(z.minLength(1)),
    userIdentity: z.looseObject({
      type: z.optional(z.string()),
      principalId: z.optional(z.string()),
      arn: z.optional(z.string()),
      accountId: z.optional(z.string()),
      invokedBy: z.optional(z.string()),
    }),
    requestParameters: z.nullish(z.looseObject({})),
    responseElements: z.nullish(z.looseObject({})),
    errorCode: z.optional(z.string()),
    errorMessage: z.optional(z.string()),
    eventID: z.optional(z.string()),
    requestID: z.optional(z.string()),
    eventType: z.optional(z.string()),
  });
}

/** `detail` of an "AWS API Call via CloudTrail" event for the ECS API (see {@link cloudTrailRecordDetail}). */
export const EcsCloudTrailApiCallDetailSchema = cloudTrailRecordDetail('ecs.amazonaws.com');

/** `detail` of an ECS "AWS API Call via CloudTrail" event, as parsed by {@link EcsCloudTrailApiCallDetailSchema}. */
export type EcsCloudTrailApiCallDetail = z.infer<typeof EcsCloudTrailApiCallDetailSchema>;

/**
 * A complete "AWS API Call via CloudTrail" EventBridge event for the ECS API (source `aws.ecs`,
 * `detail.eventSource` `ecs.amazonaws.com`). CloudTrail events carry an empty `resources` array.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const EcsCloudTrailApiCallEventSchema = eventBridgeEvent(
  'aws.ecs',
  AWS_API_CALL_VIA_CLOUDTRAIL,
  EcsCloudTrailApiCallDetailSchema,
);

/** A complete ECS "AWS API Call via CloudTrail" event, as parsed by {@link EcsCloudTrailApiCallEventSchema}. */
export type EcsCloudTrailApiCallEvent = z.infer<typeof EcsCloudTrailApiCallEventSchema>;

/** Cluster and service named by a long-format service ARN, or `undefined` for any other string. */
function serviceRefOfArn(arn: string): { cluster: string; service: string } | undefined {
  const parsed = parseServiceArn(arn);
  return parsed ? { cluster: parsed.cluster, service: parsed.service } : undefined;
}

/** The object at `value`, or `undefined` when it is anything else (including `null` and arrays). */
function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A non-empty string, or `undefined`. */
function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/**
 * Cluster name from a `cluster` request parameter or a `clusterArn`, which take a name or an ARN.
 * `undefined` when absent; `null` when present but not a cluster reference we can read.
 */
function clusterName(value: unknown): string | undefined | null {
  const ref = asString(value);
  if (ref === undefined) return undefined;
  if (!ref.startsWith('arn:')) return ref;
  return parseClusterArn(ref)?.cluster ?? null;
}

/** Service referenced by a CreateService / UpdateService / DeleteService record. */
function serviceRefFromServiceCall(
  detail: EcsCloudTrailApiCallDetail,
  request: Record<string, unknown>,
): { cluster: string; service: string } | undefined {
  // The response is authoritative: it holds the service ARN ECS actually resolved.
  const responseService = asRecord(asRecord(detail.responseElements)?.service);
  const responseArn = asString(responseService?.serviceArn);
  const fromResponse = responseArn === undefined ? undefined : serviceRefOfArn(responseArn);
  if (fromResponse) return fromResponse;

  // CreateService names the new service `serviceName`; Update/Delete take `service` (name or ARN).
  const serviceParam = asString(detail.eventName === 'CreateService' ? request.serviceName : request.service);
  const fromParamArn = serviceParam === undefined ? undefined : serviceRefOfArn(serviceParam);
  if (fromParamArn) return fromParamArn;

  const legacyName = responseArn === undefined ? undefined : parseLegacyServiceArn(responseArn)?.service;
  const paramName =
    serviceParam === undefined || !serviceParam.startsWith('arn:')
      ? serviceParam
      : parseLegacyServiceArn(serviceParam)?.service;
  const service = legacyName ?? paramName;
  if (service === undefined) return undefined;

  // A missing `cluster` parameter means the account's `default` cluster.
  const cluster = clusterName(responseService?.clusterArn) ?? clusterName(request.cluster);
  if (cluster === null) return undefined;
  return { cluster: cluster ?? 'default', service };
}

/**
 * The ECS service an API call created, changed, retagged or deleted.
 *
 * - CreateService / UpdateService / DeleteService: `responseElements.service.serviceArn` when present,
 *   else `requestParameters.serviceName` (CreateService) or `requestParameters.service` (a name or an
 *   ARN) with `requestParameters.cluster` (a name or an ARN; absent means `default`).
 * - TagResource / UntagResource: only when `requestParameters.resourceArn` is a service ARN
 *   (`arn:aws:ecs:<region>:<account>:service/<cluster>/<service>`); tags on clusters, task
 *   definitions, tasks, ... return `undefined`.
 *
 * @param detail - the CloudTrail record (`detail` of an {@link EcsCloudTrailApiCallEvent})
 * @returns cluster and service names, or `undefined` for a failed call (`errorCode` present), another
 *   API, a record that does not name a service, or names ECS does not allow (`[A-Za-z0-9_-]{1,255}`)
 *
 * @example
 * serviceRefFromApiCall(event.detail) // { cluster: 'prod', service: 'api' }
 */
export function serviceRefFromApiCall(
  detail: EcsCloudTrailApiCallDetail,
): { cluster: string; service: string } | undefined {
  const ref = anyServiceRef(detail);
  // What a record names is the caller's text: only names ECS allows are looked up and indexed.
  return ref && ECS_NAME.test(ref.cluster) && ECS_NAME.test(ref.service) ? ref : undefined;
}

/** ECS cluster and service names: up to 255 letters, digits, hyphens and underscores. */
const ECS_NAME = /^[A-Za-z0-9_-]{1,255}$/;

function anyServiceRef(detail: EcsCloudTrailApiCallDetail): { cluster: string; service: string } | undefined {
  if (detail.errorCode !== undefined) return undefined;
  const request = asRecord(detail.requestParameters) ?? {};
  switch (detail.eventName) {
    case 'CreateService':
    case 'UpdateService':
    case 'DeleteService':
      return serviceRefFromServiceCall(detail, request);
    case 'TagResource':
    case 'UntagResource': {
      const resourceArn = asString(request.resourceArn);
      return resourceArn === undefined ? undefined : serviceRefOfArn(resourceArn);
    }
    default:
      return undefined;
  }
}

/**
 * ECS API calls that start standalone tasks: their CloudTrail record holds the launch spec the
 * restart capability starts a failed task again with (`requestParameters`), keyed by the tasks in its
 * `responseElements.tasks[].taskArn`.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StartTask.html
 */
export const TASK_LAUNCH_API_CALLS = ['RunTask', 'StartTask'] as const;

/** What a RunTask / StartTask record says: the tasks it started and what it was asked. */
export interface TaskLaunchCall {
  eventName: (typeof TASK_LAUNCH_API_CALLS)[number];
  /** the ARNs of the tasks the call started (`responseElements.tasks[].taskArn`) */
  taskArns: string[];
  /** the call's `requestParameters`, as CloudTrail recorded them */
  request: Record<string, unknown>;
  /** who called, `userIdentity.arn` when known */
  caller?: string;
}

/**
 * The tasks a successful RunTask or StartTask call started and the request that started them, or
 * `undefined` for a failed call, another API, or a record without task ARNs.
 *
 * @example
 * taskLaunchFromApiCall(event.detail) // { eventName: 'RunTask', taskArns: ['arn:aws:ecs:…:task/batch/0f6b…'], request: { cluster: 'batch', … } }
 */
export function taskLaunchFromApiCall(detail: EcsCloudTrailApiCallDetail): TaskLaunchCall | undefined {
  if (detail.errorCode !== undefined) return undefined;
  const eventName = TASK_LAUNCH_API_CALLS.find((name) => name === detail.eventName);
  if (eventName === undefined) return undefined;
  const tasks = asRecord(detail.responseElements)?.tasks;
  const taskArns = (Array.isArray(tasks) ? tasks : [])
    .map((task) => asString(asRecord(task)?.taskArn))
    .filter((arn): arn is string => arn !== undefined && arn.length <= 1024);
  if (taskArns.length === 0) return undefined;
  const caller = detail.userIdentity.arn;
  return {
    eventName,
    taskArns,
    request: asRecord(detail.requestParameters) ?? {},
    ...(caller ? { caller } : {}),
  };
}
