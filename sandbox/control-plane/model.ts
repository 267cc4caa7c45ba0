/**
 * The in-memory state of the local ECS + ECR account: clusters, task definitions, services with their
 * deployments, tasks, tags, repositories and images. Pure data and lookups: no timers, no I/O. The
 * API handlers change it, the simulator moves tasks and deployments along, tests read it.
 *
 * Objects are kept in the shapes the AWS SDK uses (`Service`, `Task`, `TaskDefinition`, ...), with
 * `Date` timestamps; the server turns them into the wire format.
 */

import type { Repository } from '@aws-sdk/client-ecr';
import type {
  CapacityProvider,
  CapacityProviderStrategyItem,
  Cluster,
  Deployment,
  LaunchType,
  Service,
  ServiceDeployment,
  Setting,
  Tag,
  Task,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import { sha256Hex } from './random';

/**
 * What a container running an image does, looked up by image (digest or tag) when a task starts.
 *
 * - `healthy`: runs and passes its health checks.
 * - `crash`: stops shortly after RUNNING, exit code `exitCode` (default 1).
 * - `unhealthy`: runs but fails the load balancer health checks (services with a load balancer) or its
 *   container health check (anything else).
 * - `exit`: runs to completion and exits with `exitCode` (0 is a successful batch job).
 * - `oom`: killed for using more memory than it may, shortly after RUNNING: exit code 137 and the reason
 *   ECS gives ({@link OOM_REASON}).
 */
export type ImageBehaviour =
  | { kind: 'healthy' }
  | { kind: 'crash'; exitCode?: number }
  | { kind: 'unhealthy' }
  | { kind: 'exit'; exitCode: number }
  | { kind: 'oom' };

/** The container `reason` of an OOM-killed container (its exit code is 137: SIGKILL). */
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

/**
 * What one task does, beyond what its images make it do: the task is interrupted while RUNNING
 * (`spot-interruption`: Fargate Spot reclaims its capacity, or the EC2 Spot instance under it gets its
 * termination notice), or it never starts (`fail-to-start`, with the `stoppedReason` ECS gives).
 */
export type TaskBehaviour =
  | ImageBehaviour
  | { kind: 'spot-interruption' }
  | { kind: 'fail-to-start'; reason: string; stage: 'PROVISIONING' | 'PENDING' };

/**
 * What the tasks of one RunTask call will do, whatever their images say (`ControlPlane.setTaskFate`,
 * `autopilot sandbox run-task`): exit with a code, be OOM-killed, be interrupted (Spot), or fail to
 * start because the image cannot be pulled, a secret cannot be read (`ResourceInitializationError`) or
 * there is no capacity (Fargate: TaskFailedToStart; EC2: RunTask's `failures[]`, no task).
 */
export type TaskFate =
  | { kind: 'exit'; exitCode: number }
  | { kind: 'oom' }
  | { kind: 'spot' }
  | { kind: 'fail-to-start'; cause: FailToStartCause };

/** Why a task fails to start (see {@link TaskFate}). */
export type FailToStartCause = 'image' | 'resource-initialization' | 'capacity';

/** The causes of {@link FailToStartCause}, for parsers. */
export const FAIL_TO_START_CAUSES: readonly FailToStartCause[] = [
  'image',
  'resource-initialization',
  'capacity',
];

/** `stoppedReason` of a Fargate task that found no capacity (TaskFailedToStart). */
export const NO_CAPACITY_REASON =
  'Capacity is unavailable at this time. Please try again later or in a different availability zone';

/** The `CannotPullContainerError` of an image reference that does not resolve. */
export function cannotPullReason(image: string): string {
  return (
    `CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref ` +
    `${image}: ${image}: not found`
  );
}

/** A RunTask call remembered by its client token (ECS keeps them 24 hours, per cluster). */
export interface RunTaskToken {
  /** The request without its token: the same token with other parameters is a conflict. */
  request: string;
  /** The answer of the first call, given again to a retry. */
  response: unknown;
  at: Date;
}

/** The behaviour of images the model knows nothing about (other registries). */
export const HEALTHY: ImageBehaviour = { kind: 'healthy' };

/** A cluster; `cluster` holds its static fields (counts are computed when described). */
export interface ClusterRecord {
  name: string;
  arn: string;
  cluster: Cluster;
}

/** One revision of a task definition family, as DescribeTaskDefinition returns it. */
export interface TaskDefinitionRecord {
  arn: string;
  family: string;
  revision: number;
  definition: TaskDefinition;
}

/** Simulator bookkeeping of one deployment, beyond what DescribeServices shows. */
export interface DeploymentState {
  /** Failed tasks counted by the circuit breaker (reset by a healthy task unless configured not to). */
  breakerFailures: number;
  /** Images resolved to digests at the first launch (ECS pins a deployment to the digests it resolved). */
  resolvedImages?: ResolvedContainer[];
  /** A SERVICE_TASK_START_IMPAIRED event was sent for this deployment. */
  impairedReported: boolean;
  /** Started to roll back (by the circuit breaker or StopServiceDeployment); a failed rollback is not rolled back again. */
  rollback?: boolean;
  /** The service revision the deployment runs (a rollback runs an older one). */
  revisionArn?: string;
  /** The service deployment this deployment belongs to (a rollback belongs to the one it rolls back). */
  serviceDeploymentArn?: string;
}

/**
 * A service revision: the workload configuration one service deployment set out to deploy. ECS
 * creates one per service deployment and none for a rollback, which reuses the revision it returns to.
 */
export interface ServiceRevisionRecord {
  /** `arn:aws:ecs:<region>:<account>:service-revision/<cluster>/<service>/<19 digits>` */
  arn: string;
  taskDefinition: string;
  createdAt: Date;
  /** The `ecs-svc/...` deployment that first ran it; its resolved digests are the revision's images. */
  deploymentId: string;
}

/** Task counts of a service revision, as `ServiceRevisionSummary` shows them. */
export interface RevisionCounts {
  requestedTaskCount: number;
  runningTaskCount: number;
  pendingTaskCount: number;
}

/**
 * A service deployment (ListServiceDeployments / DescribeServiceDeployments): the move of a service
 * from its source revisions to a target revision, including the rollback if one happened. `view`
 * holds the fields kept current by the simulator; revision counts are computed when described, and
 * frozen in `finalCounts` once the service deployment has finished.
 */
export interface ServiceDeploymentRecord {
  /** `arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>` */
  arn: string;
  /** The `ecs-svc/...` deployment that rolls the target revision out. */
  targetDeploymentId: string;
  /** The `ecs-svc/...` deployment that rolls back, once a rollback started. */
  rollbackDeploymentId?: string;
  targetRevisionArn: string;
  sourceRevisionArns: string[];
  view: ServiceDeployment & { createdAt: Date; updatedAt: Date };
  finalCounts?: Map<string, RevisionCounts>;
}

/** Service deployment statuses of the Ongoing and Pending stages (a stop request is accepted in them). */
export const ONGOING_SERVICE_DEPLOYMENT_STATUSES: ReadonlySet<string> = new Set([
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
]);

/** The state values of a CloudWatch alarm. */
export type AlarmStateValue = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/** One state of an alarm, as the "CloudWatch Alarm State Change" event shows it. */
export interface AlarmState {
  value: AlarmStateValue;
  reason: string;
  reasonData?: string;
  timestamp: Date;
}

/** What an alarm watches, as the event's `detail.configuration` shows it. */
export interface AlarmConfiguration {
  description?: string;
  metrics: Record<string, unknown>[];
  [key: string]: unknown;
}

/** A CloudWatch alarm. */
export interface AlarmRecord {
  name: string;
  arn: string;
  configuration: AlarmConfiguration;
  state: AlarmState;
}

/** A service; `service` holds the description (without counts and tags, which are computed). */
export interface ServiceRecord {
  arn: string;
  name: string;
  clusterName: string;
  service: Service & { deployments: Deployment[] };
  /** Per deployment id. */
  deploymentState: Map<string, DeploymentState>;
  /** The last deployment that reached COMPLETED: where a rollback returns to. */
  lastCompleted?: { id: string; taskDefinition: string; revisionArn?: string };
  /** Service revisions by ARN. */
  revisions: Map<string, ServiceRevisionRecord>;
  /** Service deployments, oldest first. */
  serviceDeployments: ServiceDeploymentRecord[];
  /** Whether the last SERVICE_STEADY_STATE still holds. */
  steady: boolean;
}

/** An image reference of a container resolved against the registry. */
export interface ResolvedContainer {
  name: string;
  image: string;
  /** The digest the container runs; absent when the image cannot be pulled. */
  digest?: string;
  behaviour: ImageBehaviour;
  /** Why the image cannot be pulled (`CannotPullContainerError: ...`). */
  pullError?: string;
  /** The ECR image pulled, if the image is in this account's registry. */
  ecr?: { repositoryName: string; digest: string };
}

/** A task; `task` is the DescribeTasks view, kept current by the simulator. */
export interface TaskRecord {
  id: string;
  arn: string;
  clusterName: string;
  task: Task;
  /** The service and deployment that started it, for service tasks. */
  serviceArn?: string;
  deploymentId?: string;
  containers: ResolvedContainer[];
  /**
   * The behaviour of the task: the first misbehaving essential container decides, unless the task was
   * given a behaviour of its own (`ControlPlane.setTaskBehaviour`).
   */
  behaviour: TaskBehaviour;
  /** The container whose image decides the behaviour. */
  decidingContainer?: string;
  /** RUNNING and past its health checks. */
  healthy: boolean;
}

/** An image in a repository. */
export interface ImageRecord {
  digest: string;
  tags: string[];
  pushedAt: Date;
  sizeInBytes: number;
  manifest: string;
  manifestMediaType: string;
  artifactMediaType: string;
  behaviour: ImageBehaviour;
  lastRecordedPullTime?: Date;
}

/** A repository and its images by digest. */
export interface RepositoryRecord {
  name: string;
  repository: Repository;
  images: Map<string, ImageRecord>;
}

/** An image reference split into its parts. */
export interface ImageReference {
  /** Registry host, absent for Docker Hub short names (`nginx:1.27`). */
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/**
 * Splits `registry/repository:tag` or `registry/repository@sha256:...`. The first path segment is a
 * registry when it has a dot or a port, or is `localhost`.
 *
 * @example parseImage('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:main')
 * // { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'team/api', tag: 'main' }
 */
export function parseImage(image: string): ImageReference {
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (digest === undefined && tag === undefined) tag = 'latest';
  return { registry, repository: rest, tag, digest };
}

/** An awsvpc task's elastic network interface, as EC2 describes it. */
export interface NetworkInterfaceRecord {
  networkInterfaceId: string;
  subnetId: string;
  securityGroups: string[];
  /** its public IPv4 address, when RunTask asked `assignPublicIp` ENABLED */
  publicIp?: string;
  privateIpAddress: string;
  /** the ECS attachment it serves (`description` in EC2: `arn:aws:ecs:…:attachment/<id>`) */
  attachmentId: string;
  taskArn: string;
  status: 'in-use' | 'available';
}

/** Task statuses that still hold resources. */
const STOPPED = 'STOPPED';

/** The state of the local account. */
export class ControlPlaneModel {
  /** Clusters by name (INACTIVE ones stay until a cluster of the same name is created). */
  readonly clusters = new Map<string, ClusterRecord>();
  /** Task definition revisions by family, revision 1 first. */
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord[]>();
  /** Services by ARN (the ARN they show: old-format ones by `service/<name>`). */
  readonly services = new Map<string, ServiceRecord>();
  /** Tasks by ARN (the ARN they show: old-format ones by `task/<id>`), stopped ones included. */
  readonly tasks = new Map<string, TaskRecord>();
  /** Tags of ECS resources by ARN. */
  readonly tags = new Map<string, Tag[]>();
  /**
   * Capacity providers by name: Fargate's two (`FARGATE`, `FARGATE_SPOT`), which every account has,
   * and those CreateCapacityProvider made (kept, never scaled: the sandbox places no EC2 tasks).
   */
  readonly capacityProviders = new Map<string, CapacityProvider>();
  /**
   * Whether new services and tasks get old-format ARNs (`service/<name>`, `task/<id>`), as in an
   * account that had not opted in to the long format when they were created
   * (`ControlPlane.useOldArnFormat`). ECS refuses to tag such resources.
   */
  readonly oldArnFormat = { services: false, tasks: false };
  /** Account settings put with PutAccountSetting, by name (the ARN formats excepted). */
  readonly accountSettings = new Map<string, Setting>();
  /** ECR repositories by name. */
  readonly repositories = new Map<string, RepositoryRecord>();
  /** Tags of ECR repositories by ARN (ECR spells them `Key`/`Value`). */
  readonly ecrTags = new Map<string, { Key: string; Value: string }[]>();
  /** CloudWatch alarms by name (only their state: the sandbox evaluates no metrics). */
  readonly alarms = new Map<string, AlarmRecord>();
  /** RunTask calls by `<cluster>/<clientToken>`, for 24 hours. */
  readonly runTaskTokens = new Map<string, RunTaskToken>();
  /** Fates of the tasks of the RunTask call with that client token, until it is made. */
  readonly taskFates = new Map<string, TaskFate>();
  /**
   * Client tokens of RunTask calls whose CloudTrail record never reaches the bus
   * (`ControlPlane.loseRunTaskRecord`), as when EventBridge or CloudTrail drops it.
   */
  readonly lostRunTaskRecords = new Set<string>();
  /**
   * RunTask CloudTrail records held back by client token (`ControlPlane.delayRunTaskRecord`) until
   * `releaseRunTaskRecord`, as CloudTrail delivers a call's record minutes after its tasks' events.
   */
  readonly heldRunTaskRecords = new Map<string, EventBridgeEvent[]>();
  /**
   * Elastic network interfaces of awsvpc tasks by id (EC2 DescribeNetworkInterfaces): created with
   * the task, in the subnet and security groups RunTask asked for, `available` once it stopped,
   * deleted when ECS forgets the task.
   */
  readonly networkInterfaces = new Map<string, NetworkInterfaceRecord>();

  /**
   * @param accountId - the account, e.g. `123456789012`
   * @param region - the region, e.g. `eu-west-1`
   */
  constructor(
    readonly accountId: string,
    readonly region: string,
  ) {
    for (const name of ['FARGATE', 'FARGATE_SPOT']) {
      this.capacityProviders.set(name, {
        capacityProviderArn: `${this.ecsArnPrefix}capacity-provider/${name}`,
        name,
        status: 'ACTIVE',
      });
    }
  }

  /** `arn:aws:ecs:<region>:<account>:` */
  get ecsArnPrefix(): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:`;
  }

  /** The ECR registry host of the account: `<account>.dkr.ecr.<region>.amazonaws.com`. */
  get registryHost(): string {
    return `${this.accountId}.dkr.ecr.${this.region}.amazonaws.com`;
  }

  /** `arn:aws:ecs:<region>:<account>:cluster/<name>` */
  clusterArn(name: string): string {
    return `${this.ecsArnPrefix}cluster/${name}`;
  }

  /** The long-format service ARN: `...:service/<cluster>/<name>`. */
  serviceArn(cluster: string, name: string): string {
    return `${this.ecsArnPrefix}service/${cluster}/${name}`;
  }

  /** The old-format service ARN, without the cluster: `...:service/<name>`. */
  oldServiceArn(name: string): string {
    return `${this.ecsArnPrefix}service/${name}`;
  }

  /** The ARN a new service gets: long, or old when {@link oldArnFormat} says so. */
  newServiceArn(cluster: string, name: string): string {
    return this.oldArnFormat.services ? this.oldServiceArn(name) : this.serviceArn(cluster, name);
  }

  /** `...:capacity-provider/<name>` */
  capacityProviderArn(name: string): string {
    return `${this.ecsArnPrefix}capacity-provider/${name}`;
  }

  /** `...:service-deployment/<cluster>/<service>/<id>` (the id is not the `ecs-svc/...` deployment id). */
  serviceDeploymentArn(cluster: string, service: string, id: string): string {
    return `${this.ecsArnPrefix}service-deployment/${cluster}/${service}/${id}`;
  }

  /** `...:service-revision/<cluster>/<service>/<id>` */
  serviceRevisionArn(cluster: string, service: string, id: string): string {
    return `${this.ecsArnPrefix}service-revision/${cluster}/${service}/${id}`;
  }

  /** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>` */
  alarmArn(name: string): string {
    return `arn:aws:cloudwatch:${this.region}:${this.accountId}:alarm:${name}`;
  }

  /** `...:task-definition/<family>:<revision>` */
  taskDefinitionArn(family: string, revision: number): string {
    return `${this.ecsArnPrefix}task-definition/${family}:${revision}`;
  }

  /** The long-format task ARN: `...:task/<cluster>/<id>`. */
  taskArn(cluster: string, id: string): string {
    return `${this.ecsArnPrefix}task/${cluster}/${id}`;
  }

  /** The ARN a new task gets: long, or old (`...:task/<id>`) when {@link oldArnFormat} says so. */
  newTaskArn(cluster: string, id: string): string {
    return this.oldArnFormat.tasks ? `${this.ecsArnPrefix}task/${id}` : this.taskArn(cluster, id);
  }

  /** The task `ref` (an id or an ARN, long or old format) of cluster `clusterName`. */
  findTask(clusterName: string, ref: string): TaskRecord | undefined {
    const record = ref.startsWith('arn:')
      ? this.tasks.get(ref)
      : (this.tasks.get(this.taskArn(clusterName, ref)) ?? this.tasks.get(`${this.ecsArnPrefix}task/${ref}`));
    return record?.clusterName === clusterName ? record : undefined;
  }

  /** `arn:aws:ecr:<region>:<account>:repository/<name>` */
  repositoryArn(name: string): string {
    return `arn:aws:ecr:${this.region}:${this.accountId}:repository/${name}`;
  }

  /** The name of a cluster given by name or ARN; `default` when absent. */
  clusterNameOf(ref: string | undefined): string {
    if (!ref) return 'default';
    const marker = ':cluster/';
    const at = ref.indexOf(marker);
    return ref.startsWith('arn:') && at >= 0 ? ref.slice(at + marker.length) : ref;
  }

  /** The ACTIVE cluster named (or ARN'd) by `ref`, `default` when absent. */
  activeCluster(ref: string | undefined): ClusterRecord | undefined {
    const record = this.clusters.get(this.clusterNameOf(ref));
    return record?.cluster.status === 'ACTIVE' ? record : undefined;
  }

  /**
   * The service `ref` (a name or an ARN, long or short format) in cluster `clusterName`, whatever
   * its status. A name matches the ACTIVE or DRAINING service before an INACTIVE one.
   */
  findService(clusterName: string, ref: string): ServiceRecord | undefined {
    if (ref.startsWith('arn:')) {
      const marker = ':service/';
      const at = ref.indexOf(marker);
      if (at < 0) return undefined;
      const parts = ref.slice(at + marker.length).split('/');
      const name = parts.length === 2 ? parts[1] : parts[0];
      const cluster = parts.length === 2 ? parts[0] : clusterName;
      return name === undefined || cluster === undefined ? undefined : this.findService(cluster, name);
    }
    const old = this.services.get(this.oldServiceArn(ref));
    return (
      this.services.get(this.serviceArn(clusterName, ref)) ??
      (old?.clusterName === clusterName ? old : undefined)
    );
  }

  /**
   * The service deployment named by `arn` and its service, unless the service was deleted (ECS deletes
   * the service deployments of a deleted service).
   *
   * @returns `undefined` for a well-formed ARN nothing matches; `'malformed'` for anything else
   */
  findServiceDeployment(
    arn: string,
  ): { service: ServiceRecord; deployment: ServiceDeploymentRecord } | undefined | 'malformed' {
    const service = this.serviceOfArn(arn, 'service-deployment');
    if (service === 'malformed') return service;
    if (!service || service.service.status === 'INACTIVE') return undefined;
    const deployment = service.serviceDeployments.find((d) => d.arn === arn);
    return deployment ? { service, deployment } : undefined;
  }

  /** A service revision by ARN: undefined when unknown, 'malformed' when the ARN is not one. */
  findServiceRevision(
    arn: string,
  ): { service: ServiceRecord; revision: ServiceRevisionRecord } | undefined | 'malformed' {
    const service = this.serviceOfArn(arn, 'service-revision');
    if (service === 'malformed') return service;
    const revision = service?.revisions.get(arn);
    return service && revision ? { service, revision } : undefined;
  }

  /**
   * The service, whatever its status, of a `<kind>/<cluster>/<service>/<id>` ARN of this account and
   * region; `'malformed'` when `arn` is no such ARN.
   */
  private serviceOfArn(
    arn: string,
    kind: 'service-deployment' | 'service-revision',
  ): ServiceRecord | undefined | 'malformed' {
    const marker = `${this.ecsArnPrefix}${kind}/`;
    const parts = arn.startsWith(marker) ? arn.slice(marker.length).split('/') : [];
    const [cluster, name, id] = parts;
    if (parts.length !== 3 || !cluster || !name || !id) return 'malformed';
    return this.findService(cluster, name);
  }

  /**
   * The service deployment an `ecs-svc/...` deployment id (of an "ECS Deployment State Change" event or
   * of DescribeServices `deployments[]`) belongs to: the one it rolls out, or the one it rolls back.
   * A sandbox shortcut for tests; AWS callers list the service's deployments instead.
   */
  serviceDeploymentOf(deploymentId: string): ServiceDeploymentRecord | undefined {
    for (const service of this.services.values()) {
      const arn = service.deploymentState.get(deploymentId)?.serviceDeploymentArn;
      if (arn !== undefined) return service.serviceDeployments.find((d) => d.arn === arn);
    }
    return undefined;
  }

  /** The services of a cluster, in creation order. */
  servicesOf(clusterName: string): ServiceRecord[] {
    return [...this.services.values()].filter((s) => s.clusterName === clusterName);
  }

  /** The tasks of a service (all deployments), stopped ones included. */
  tasksOfService(serviceArn: string): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => t.serviceArn === serviceArn);
  }

  /**
   * Task counts of a service revision: its tasks running and pending now, and the tasks requested
   * (the service's desired count for the revision of the PRIMARY deployment, else the tasks not asked
   * to stop yet).
   */
  revisionCounts(service: ServiceRecord, revisionArn: string): RevisionCounts {
    const revisionOf = (deploymentId: string | undefined) =>
      deploymentId === undefined ? undefined : service.deploymentState.get(deploymentId)?.revisionArn;
    const tasks = this.tasksOfService(service.arn).filter((t) => revisionOf(t.deploymentId) === revisionArn);
    const live = tasks.filter((t) => t.task.desiredStatus === 'RUNNING');
    const primary = service.service.deployments[0];
    const requested =
      service.service.status === 'ACTIVE' && revisionOf(primary?.id) === revisionArn
        ? (service.service.desiredCount ?? 0)
        : live.length;
    return {
      requestedTaskCount: requested,
      runningTaskCount: tasks.filter((t) => t.task.lastStatus === 'RUNNING').length,
      pendingTaskCount: live.filter((t) =>
        ['PROVISIONING', 'PENDING', 'ACTIVATING'].includes(t.task.lastStatus ?? ''),
      ).length,
    };
  }

  /** The tasks of a cluster, stopped ones included. */
  tasksOfCluster(clusterName: string): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => t.clusterName === clusterName);
  }

  /** Whether a task has not reached STOPPED yet. */
  static isAlive(task: TaskRecord): boolean {
    return task.task.lastStatus !== STOPPED;
  }

  /**
   * The task definition named by `ref`: an ARN or `family:revision` (that revision, any status), or a
   * bare family (its latest ACTIVE revision).
   */
  findTaskDefinition(ref: string): TaskDefinitionRecord | undefined {
    let spec = ref;
    if (spec.startsWith('arn:')) {
      const marker = ':task-definition/';
      const at = spec.indexOf(marker);
      if (at < 0) return undefined;
      spec = spec.slice(at + marker.length);
    }
    const colon = spec.lastIndexOf(':');
    if (colon < 0) {
      const revisions = this.taskDefinitions.get(spec) ?? [];
      return [...revisions].reverse().find((r) => r.definition.status === 'ACTIVE');
    }
    const revision = Number(spec.slice(colon + 1));
    const family = spec.slice(0, colon);
    return this.taskDefinitions.get(family)?.find((r) => r.revision === revision);
  }

  /** The tags of an ECS resource (a copy). */
  tagsOf(arn: string): Tag[] {
    return (this.tags.get(arn) ?? []).map((t) => ({ ...t }));
  }

  /** Adds or replaces tags of an ECS resource. */
  putTags(arn: string, tags: readonly Tag[]): void {
    const current = this.tags.get(arn) ?? [];
    for (const tag of tags) {
      const existing = current.find((t) => t.key === tag.key);
      if (existing) existing.value = tag.value;
      else current.push({ key: tag.key, value: tag.value });
    }
    this.tags.set(arn, current);
  }

  /** Removes tags of an ECS resource by key. */
  removeTags(arn: string, keys: readonly string[]): void {
    this.tags.set(
      arn,
      (this.tags.get(arn) ?? []).filter((t) => !keys.includes(t.key ?? '')),
    );
  }

  /** The image `reference` (a tag or a `sha256:` digest) of a repository. */
  findImage(repositoryName: string, reference: { tag?: string; digest?: string }): ImageRecord | undefined {
    const repository = this.repositories.get(repositoryName);
    if (!repository) return undefined;
    if (reference.digest !== undefined) return repository.images.get(reference.digest);
    return [...repository.images.values()].find(
      (i) => reference.tag !== undefined && i.tags.includes(reference.tag),
    );
  }

  /**
   * What running `image` means: its digest and behaviour. Images in this account's registry must exist
   * in the model (else `pullError`, as ECS fails the pull); images from any other registry are healthy
   * and get a stable made-up digest.
   */
  resolveImage(name: string, image: string): ResolvedContainer {
    const ref = parseImage(image);
    if (ref.registry !== this.registryHost) {
      return { name, image, digest: ref.digest ?? `sha256:${sha256Hex(image)}`, behaviour: HEALTHY };
    }
    const found = this.findImage(ref.repository, ref);
    if (!found) {
      const what = ref.digest === undefined ? `${ref.registry}/${ref.repository}:${ref.tag}` : image;
      return { name, image, behaviour: HEALTHY, pullError: cannotPullReason(what) };
    }
    return {
      name,
      image,
      digest: found.digest,
      behaviour: found.behaviour,
      ecr: { repositoryName: ref.repository, digest: found.digest },
    };
  }

  /** The launch type and capacity provider a service or RunTask resolves to. */
  static placement(
    launchType: LaunchType | undefined,
    strategy: CapacityProviderStrategyItem[] | undefined,
  ): { launchType: LaunchType; capacityProviderName?: string } {
    if (strategy && strategy.length > 0) {
      const first = [...strategy].sort(
        (a, b) => (b.base ?? 0) - (a.base ?? 0) || (b.weight ?? 0) - (a.weight ?? 0),
      )[0];
      const provider = first?.capacityProvider ?? 'FARGATE';
      return {
        launchType: provider.startsWith('FARGATE') ? 'FARGATE' : 'EC2',
        capacityProviderName: provider,
      };
    }
    return { launchType: launchType ?? 'EC2' };
  }
}
