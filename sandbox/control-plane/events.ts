/**
 * Builders of the EventBridge events AWS sends for ECS and ECR, in their documented shapes:
 *
 * - "ECS Task State Change": the DescribeTasks view of the task with ISO timestamps
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html)
 * - "ECS Deployment State Change"
 *   (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html)
 * - "ECS Service Action" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html)
 * - "ECR Image Action" and "ECR Replication Action"
 *   (https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html)
 * - "AWS API Call via CloudTrail"
 *   (https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html and the CloudTrail record
 *   contents, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html)
 * - "CloudWatch Alarm State Change"
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html)
 */
import type { Task } from '@aws-sdk/client-ecs';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import type { AlarmRecord, AlarmState } from './model';
import type { IdGenerator } from './random';

/** Who made an API call, as CloudTrail's `userIdentity` shows it. */
export interface CallerIdentity {
  type: string;
  principalId: string;
  arn: string;
  accountId: string;
  accessKeyId?: string;
  [key: string]: unknown;
}

/**
 * The `userIdentity` CloudTrail gives a call made with a role's temporary credentials (a Lambda
 * function's execution role, whose session is named after the function): `AssumedRole`, the
 * `assumed-role/<role>/<session>` ARN and the `sessionContext` naming the role. A caller recognises its
 * own calls by the role.
 *
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
 * @example assumedRoleIdentity('123456789012', 'ecs-autopilot-prod', 'ecs-autopilot-prod-tags')
 */
export function assumedRoleIdentity(
  accountId: string,
  roleName: string,
  sessionName: string,
  roleId = 'AROASANDBOXROLE00001',
): CallerIdentity {
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${sessionName}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`,
    accountId,
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleId,
        arn: `arn:aws:iam::${accountId}:role/${roleName}`,
        accountId,
        userName: roleName,
      },
      webIdFederationData: {},
      attributes: { creationDate: '2025-03-14T09:00:00Z', mfaAuthenticated: 'false' },
    },
  };
}

/** `eventName` values of "ECS Deployment State Change". */
export type DeploymentEventName =
  | 'SERVICE_DEPLOYMENT_IN_PROGRESS'
  | 'SERVICE_DEPLOYMENT_COMPLETED'
  | 'SERVICE_DEPLOYMENT_FAILED';

/** ISO 8601 with milliseconds: `2025-03-14T09:21:47.123Z` (the event details' format). */
export function isoMillis(date: Date): string {
  return date.toISOString();
}

/** ISO 8601 in seconds: `2025-03-14T09:21:47Z` (the envelope's `time` and CloudTrail's `eventTime`). */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/**
 * The timestamp format of CloudWatch alarm states: `2019-10-02T17:04:40.989+0000` (UTC, milliseconds,
 * `+0000` rather than `Z`).
 */
export function cloudWatchTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}+0000`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The timestamp format ECS uses inside CloudTrail `responseElements`: `Mar 14, 2025, 9:22:30 AM` (UTC).
 *
 * @example cloudTrailDate(new Date('2025-03-14T21:05:09Z')) // 'Mar 14, 2025, 9:05:09 PM'
 */
export function cloudTrailDate(date: Date): string {
  const hours = date.getUTCHours();
  const h12 = hours % 12 === 0 ? 12 : hours % 12;
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}, ${date.getUTCFullYear()}, ` +
    `${h12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`
  );
}

/**
 * Whether `value` is a `Date`, from any realm (`structuredClone` in a jest sandbox returns dates of the
 * outer realm, which `instanceof Date` does not recognise).
 */
export function isDate(value: unknown): value is Date {
  return Object.prototype.toString.call(value) === '[object Date]';
}

/**
 * A deep copy of `value` as plain JSON: `Date`s formatted with `formatDate`, `undefined` members
 * dropped.
 */
export function toEventJson(value: unknown, formatDate: (date: Date) => string): unknown {
  if (isDate(value)) return formatDate(value);
  if (Array.isArray(value)) return value.map((item) => toEventJson(item, formatDate));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) out[key] = toEventJson(member, formatDate);
    }
    return out;
  }
  return value;
}

/** The task fields the "ECS Task State Change" detail leaves out (the event carries neither tags nor health). */
const TASK_FIELDS_NOT_IN_EVENTS = new Set(['tags', 'healthStatus']);

/** Builds events for one account and region. */
export class EventFactory {
  /**
   * @param accountId - the account of every event
   * @param region - the region of every event
   * @param ids - event ids
   * @param now - the clock
   */
  constructor(
    private readonly accountId: string,
    private readonly region: string,
    private readonly ids: IdGenerator,
    private readonly now: () => Date,
  ) {}

  private envelope<D>(
    source: string,
    detailType: string,
    resources: string[],
    detail: D,
    at?: Date,
  ): EventBridgeEvent<D> {
    return {
      version: '0',
      id: this.ids.uuid(),
      'detail-type': detailType,
      source,
      account: this.accountId,
      time: isoSeconds(at ?? this.now()),
      region: this.region,
      resources,
      detail,
    };
  }

  /** "ECS Task State Change": the task as DescribeTasks shows it, timestamps in ISO, plus `updatedAt`. */
  taskStateChange(task: Task): EventBridgeEvent {
    const updatedAt = this.now();
    const detail = toEventJson(task, isoMillis) as Record<string, unknown>;
    for (const key of TASK_FIELDS_NOT_IN_EVENTS) delete detail[key];
    const containers = detail.containers as Record<string, unknown>[] | undefined;
    for (const container of containers ?? []) delete container.healthStatus;
    detail.updatedAt = isoMillis(updatedAt);
    return this.envelope('aws.ecs', 'ECS Task State Change', [task.taskArn ?? ''], detail, updatedAt);
  }

  /** "ECS Deployment State Change" for the service `serviceArn`. */
  deploymentStateChange(
    serviceArn: string,
    change: { eventName: DeploymentEventName; deploymentId: string; reason: string },
  ): EventBridgeEvent {
    const at = this.now();
    return this.envelope('aws.ecs', 'ECS Deployment State Change', [serviceArn], {
      eventType: change.eventName === 'SERVICE_DEPLOYMENT_FAILED' ? 'ERROR' : 'INFO',
      eventName: change.eventName,
      deploymentId: change.deploymentId,
      updatedAt: isoMillis(at),
      reason: change.reason,
    });
  }

  /** "ECS Service Action", e.g. SERVICE_STEADY_STATE (INFO) or SERVICE_TASK_START_IMPAIRED (WARN). */
  serviceAction(
    serviceArn: string,
    clusterArn: string,
    action: { eventType: 'INFO' | 'WARN' | 'ERROR'; eventName: string; reason?: string },
  ): EventBridgeEvent {
    const at = this.now();
    return this.envelope('aws.ecs', 'ECS Service Action', [serviceArn], {
      eventType: action.eventType,
      eventName: action.eventName,
      clusterArn,
      ...(action.reason === undefined ? {} : { reason: action.reason }),
      createdAt: isoMillis(at),
    });
  }

  /** "ECR Image Action" for a push or a deletion. */
  ecrImageAction(action: {
    actionType: 'PUSH' | 'DELETE';
    result: 'SUCCESS' | 'FAILURE';
    repositoryName: string;
    digest?: string;
    tag?: string;
    manifestMediaType?: string;
    artifactMediaType?: string;
  }): EventBridgeEvent {
    return this.envelope('aws.ecr', 'ECR Image Action', [], {
      result: action.result,
      'repository-name': action.repositoryName,
      ...(action.digest === undefined ? {} : { 'image-digest': action.digest }),
      'action-type': action.actionType,
      ...(action.tag === undefined ? {} : { 'image-tag': action.tag }),
      ...(action.manifestMediaType === undefined ? {} : { 'manifest-media-type': action.manifestMediaType }),
      ...(action.artifactMediaType === undefined ? {} : { 'artifact-media-type': action.artifactMediaType }),
    });
  }

  /**
   * "ECR Replication Action" SUCCESS for an image ECR replicated into this registry from `from` (its
   * region, and its account, this one by default): sent here, in the destination, with the
   * destination repository in `resources`.
   */
  ecrReplicationAction(action: {
    repositoryName: string;
    digest: string;
    tag?: string;
    from: { region: string; accountId?: string };
  }): EventBridgeEvent {
    const repositoryArn = `arn:aws:ecr:${this.region}:${this.accountId}:repository/${action.repositoryName}`;
    return this.envelope('aws.ecr', 'ECR Replication Action', [repositoryArn], {
      result: 'SUCCESS',
      'repository-name': action.repositoryName,
      'image-digest': action.digest,
      'source-account': action.from.accountId ?? this.accountId,
      'action-type': 'REPLICATE',
      'source-region': action.from.region,
      ...(action.tag === undefined ? {} : { 'image-tag': action.tag }),
    });
  }

  /**
   * "CloudWatch Alarm State Change" (source `aws.cloudwatch`) for a single-metric alarm moving from
   * `previous` to its current state; `resources` holds the alarm ARN.
   */
  alarmStateChange(alarm: AlarmRecord, previous: AlarmState): EventBridgeEvent {
    const state = (s: AlarmState) => ({
      reason: s.reason,
      ...(s.reasonData === undefined ? {} : { reasonData: s.reasonData }),
      timestamp: cloudWatchTimestamp(s.timestamp),
      value: s.value,
    });
    return this.envelope(
      'aws.cloudwatch',
      'CloudWatch Alarm State Change',
      [alarm.arn],
      {
        alarmName: alarm.name,
        configuration: structuredClone(alarm.configuration),
        previousState: state(previous),
        state: state(alarm.state),
      },
      alarm.state.timestamp,
    );
  }

  /**
   * "AWS API Call via CloudTrail" for a mutating call. `responseElements` keeps ECS's CloudTrail date
   * format (`Mar 14, 2025, 9:22:30 AM`); it is `null` for calls without output and for failed calls.
   */
  cloudTrail(call: {
    service: 'ecs' | 'ecr';
    eventName: string;
    requestParameters: unknown;
    responseElements: unknown;
    caller: CallerIdentity;
    userAgent?: string;
    requestId: string;
    error?: { code: string; message: string };
    at: Date;
  }): EventBridgeEvent {
    const response =
      call.error || isEmptyObject(call.responseElements)
        ? null
        : toEventJson(call.responseElements, cloudTrailDate);
    const detail: Record<string, unknown> = {
      eventVersion: '1.09',
      userIdentity: { ...call.caller },
      eventTime: isoSeconds(call.at),
      eventSource: `${call.service}.amazonaws.com`,
      eventName: call.eventName,
      awsRegion: this.region,
      sourceIPAddress: '127.0.0.1',
      userAgent: call.userAgent ?? 'unknown',
      ...(call.error ? { errorCode: call.error.code, errorMessage: call.error.message } : {}),
      requestParameters: isEmptyObject(call.requestParameters)
        ? null
        : toEventJson(call.requestParameters, isoSeconds),
      responseElements: response,
      requestID: call.requestId,
      eventID: this.ids.uuid(),
      ...(call.service === 'ecr' ? this.ecrResources(call.requestParameters) : {}),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: this.accountId,
      eventCategory: 'Management',
    };
    return this.envelope(`aws.${call.service}`, 'AWS API Call via CloudTrail', [], detail, call.at);
  }

  /**
   * The `resources` ECR's CloudTrail records list: the repository a call names (`repositoryName`,
   * or `resourceArn` for the tag calls), as `{ accountId, ARN }`; nothing when it names none.
   */
  private ecrResources(request: unknown): { resources?: { accountId: string; ARN: string }[] } {
    const input = (request ?? {}) as { repositoryName?: unknown; resourceArn?: unknown };
    const arn =
      typeof input.resourceArn === 'string'
        ? input.resourceArn
        : typeof input.repositoryName === 'string'
          ? `arn:aws:ecr:${this.region}:${this.accountId}:repository/${input.repositoryName}`
          : undefined;
    return arn === undefined ? {} : { resources: [{ accountId: this.accountId, ARN: arn }] };
  }
}

function isEmptyObject(value: unknown): boolean {
  return (
    value === null || value === undefined || (typeof value === 'object' && Object.keys(value).length === 0)
  );
}
