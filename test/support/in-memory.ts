/**
 * In-memory implementations of the ports and fixture builders for domain tests. No mocks: the fakes keep
 * state the way the AWS adapters do (DynamoStateStore, EcsGateway), and record every mutating call so a
 * test can assert that a run made no extra API mutations.
 */
import { createHash } from 'node:crypto';
import type { ChannelConfig } from '../../shared/config/notifications';
import type { PushedImage } from '../../shared/domain/deploy/plan-deployment';
import { READ_ONLY_TASK_DEFINITION_FIELDS } from '../../shared/domain/deploy/task-definition';
import type { NotificationMessage } from '../../shared/domain/notify/message';
import { PermanentError, RetryableError } from '../../shared/errors';
import type { AutopilotEvent } from '../../shared/events/autopilot-events';
import type {
  AnnouncedProblem,
  ChatSender,
  ContainerPlatform,
  DeploymentControl,
  DeploymentRecord,
  EventPublisher,
  HealthStore,
  ImageRegistry,
  IndexedService,
  KnownDeployment,
  LastKnownGood,
  NotificationStore,
  NotificationWindow,
  PendingPush,
  PushWatermark,
  QuarantinedImage,
  SentMessage,
  ServiceInventory,
  ServiceRef,
  ServiceState,
  StartedDeployment,
  StateStore,
  TaskDefinitionDocument,
  TaskDefinitionState,
  ThreadRef,
  UndeliveredSink,
} from '../../shared/ports';

// ---------------------------------------------------------------------------------------------------------
// Fixture constants
// ---------------------------------------------------------------------------------------------------------

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const REPOSITORY = 'team/api';
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
/** The application image as a team writes it into a task definition: private ECR, tag `main`. */
export const IMAGE = `${REGISTRY}/${REPOSITORY}:main`;
/** A sidecar from a public registry; it must never be touched by a push to `team/api`. */
export const SIDECAR_IMAGE = 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable';
/** The index / quarantine key of `team/api`. */
export const REPOSITORY_KEY = `${ACCOUNT}:${REGION}:${REPOSITORY}`;

/** A valid, deterministic `sha256:<64 hex>` digest derived from a seed. */
export function aDigest(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

export function clusterArnOf(clusterName: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${clusterName}`;
}

export function serviceArnOf(clusterName: string, serviceName: string): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${clusterName}/${serviceName}`;
}

export function taskDefinitionArnOf(family: string, revision: number): string {
  return `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
}

/** `team/api` pinned to a digest, optionally keeping a tag: `<registry>/team/api[:tag]@<digest>`. */
export function pinnedImage(digest: string, tag?: string): string {
  return `${REGISTRY}/${REPOSITORY}${tag === undefined ? '' : `:${tag}`}@${digest}`;
}

// ---------------------------------------------------------------------------------------------------------
// Fixture builders
// ---------------------------------------------------------------------------------------------------------

/**
 * An ACTIVE ECS-controlled service `api` in cluster `prod` following `tag:main`. The ARNs follow `name` and
 * `clusterName` unless they are overridden themselves.
 */
export function aService(overrides: Partial<ServiceState> = {}): ServiceState {
  const name = overrides.name ?? 'api';
  const clusterName = overrides.clusterName ?? 'prod';
  return {
    arn: serviceArnOf(clusterName, name),
    name,
    clusterArn: clusterArnOf(clusterName),
    clusterName,
    status: 'ACTIVE',
    tags: { 'autopilot:deploy': 'tag:main', team: 'payments' },
    deploymentController: 'ECS',
    taskDefinitionArn: taskDefinitionArnOf('api', 7),
    launchType: 'FARGATE',
    capacityProviders: [],
    loadBalancerCount: 1,
    deployments: [
      {
        id: 'ecs-svc/1000000000000000007',
        status: 'PRIMARY',
        taskDefinitionArn: overrides.taskDefinitionArn ?? taskDefinitionArnOf('api', 7),
        rolloutState: 'COMPLETED',
      },
    ],
    deploymentConfiguration: {
      circuitBreaker: { enable: true, rollback: true },
      alarmRollback: false,
      strategy: 'ROLLING',
    },
    ...overrides,
  };
}

/** Options of {@link aTaskDefinitionDoc}. */
export interface TaskDefinitionOptions {
  family?: string;
  revision?: number;
  /** image of the `app` container */
  image?: string;
  /** image of the `log-router` sidecar */
  sidecarImage?: string;
  /** replaces the containers entirely */
  containers?: (Record<string, unknown> & { name: string; image: string })[];
  tags?: { key: string; value: string }[];
  /** extra or replaced top-level fields of the definition */
  fields?: Record<string, unknown>;
}

/**
 * A task definition as DescribeTaskDefinition returns it (with tags): Fargate, awsvpc, an `app` container
 * using {@link IMAGE} with secrets, a volume and FireLens logging, and a `log-router` sidecar, plus the
 * read-only fields a registered revision carries.
 */
export function aTaskDefinitionDoc(options: TaskDefinitionOptions = {}): TaskDefinitionDocument {
  const family = options.family ?? 'api';
  const revision = options.revision ?? 7;
  const containers = options.containers ?? [
    {
      name: 'app',
      image: options.image ?? IMAGE,
      essential: true,
      cpu: 0,
      portMappings: [
        { containerPort: 8080, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' },
      ],
      environment: [{ name: 'NODE_ENV', value: 'production' }],
      secrets: [
        {
          name: 'DATABASE_URL',
          valueFrom: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:api/database-AbCdEf`,
        },
      ],
      mountPoints: [{ sourceVolume: 'scratch', containerPath: '/tmp/scratch', readOnly: false }],
      healthCheck: {
        command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'],
        interval: 30,
        timeout: 5,
        retries: 3,
        startPeriod: 10,
      },
      dependsOn: [{ containerName: 'log-router', condition: 'START' }],
      logConfiguration: {
        logDriver: 'awsfirelens',
        options: {
          Name: 'cloudwatch_logs',
          region: REGION,
          log_group_name: '/ecs/api',
          auto_create_group: 'true',
        },
      },
    },
    {
      name: 'log-router',
      image: options.sidecarImage ?? SIDECAR_IMAGE,
      essential: true,
      cpu: 0,
      memoryReservation: 50,
      user: '0',
      firelensConfiguration: { type: 'fluentbit', options: { 'enable-ecs-log-metadata': 'true' } },
    },
  ];
  return {
    definition: {
      taskDefinitionArn: taskDefinitionArnOf(family, revision),
      containerDefinitions: containers,
      family,
      taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/${family}-task`,
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${family}-execution`,
      networkMode: 'awsvpc',
      revision,
      volumes: [{ name: 'scratch', host: {} }],
      status: 'ACTIVE',
      requiresAttributes: [
        { name: 'com.amazonaws.ecs.capability.ecr-auth' },
        { name: 'ecs.capability.secrets.asm.environment-variables' },
        { name: 'ecs.capability.firelens.fluentbit' },
        { name: 'com.amazonaws.ecs.capability.task-iam-role' },
        { name: 'ecs.capability.execution-role-ecr-pull' },
        { name: 'ecs.capability.task-eni' },
      ],
      placementConstraints: [],
      compatibilities: ['EC2', 'FARGATE'],
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      ephemeralStorage: { sizeInGiB: 30 },
      registeredAt: '2026-01-05T09:12:44.123Z',
      registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/github-deployer/ci`,
      ...options.fields,
    },
    tags: options.tags ?? [
      { key: 'team', value: 'payments' },
      { key: 'cost-center', value: 'cc-1234' },
    ],
  };
}

/** What the use case derives from a described document: ARN, family, revision and container images. */
export function stateOf(doc: TaskDefinitionDocument): TaskDefinitionState {
  const revision = Number(doc.definition.revision);
  return {
    arn: String(doc.definition.taskDefinitionArn ?? taskDefinitionArnOf(doc.definition.family, revision)),
    family: doc.definition.family,
    revision,
    containers: doc.definition.containerDefinitions.map((c) => ({ name: c.name, image: c.image })),
  };
}

/** A successful push of `team/api:main` in 123456789012/eu-west-1. */
export function aPush(overrides: Partial<PushedImage> = {}): PushedImage {
  return {
    eventId: '0693ee7f-aa6b-41a9-81b7-77aefdc2eddf',
    accountId: ACCOUNT,
    region: REGION,
    repositoryName: REPOSITORY,
    digest: aDigest('team/api main build 42'),
    tag: 'main',
    pushedAt: new Date('2026-01-13T10:00:00.000Z'),
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------------------
// ContainerPlatform
// ---------------------------------------------------------------------------------------------------------

/** A mutating ECS call, as recorded by {@link InMemoryContainerPlatform}. */
export type PlatformCall =
  | { op: 'registerTaskDefinition'; family: string; arn: string; document: TaskDefinitionDocument }
  | { op: 'updateService'; cluster: string; service: string; taskDefinitionArn: string };

/**
 * ECS in memory: services by ARN and task definitions by ARN, and the {@link ServiceInventory} of them.
 * `registerTaskDefinition` behaves like ECS: the next revision of the family, read-only fields filled in,
 * and a ClientException-like PermanentError for requests ECS rejects (read-only fields, reserved `aws:` tag
 * keys, more than 50 tags).
 */
export class InMemoryContainerPlatform implements ContainerPlatform, ServiceInventory {
  /** Every mutating call, in order. */
  readonly calls: PlatformCall[] = [];
  /** How many DescribeTaskDefinition calls were made (reads are not in `calls`). */
  describeTaskDefinitionCount = 0;
  private readonly services = new Map<string, ServiceState>();
  private readonly taskDefinitions = new Map<string, TaskDefinitionDocument>();
  private readonly clusters = new Set<string>();
  private readonly registrationFailures = new Map<string, Error>();
  private deploymentSeq = 0;

  /** Adds (or replaces) a service, and its running task definition when given. */
  addService(service: ServiceState, taskDefinition?: TaskDefinitionDocument): this {
    this.services.set(service.arn, structuredClone(service));
    this.clusters.add(service.clusterArn);
    if (taskDefinition) this.addTaskDefinition(taskDefinition);
    return this;
  }

  /** Stores a described task definition under its `taskDefinitionArn`; returns that ARN. */
  addTaskDefinition(doc: TaskDefinitionDocument): string {
    const arn = stateOf(doc).arn;
    this.taskDefinitions.set(arn, structuredClone(doc));
    return arn;
  }

  /** A cluster without services (ListClusters lists it). */
  addCluster(clusterArn: string): this {
    this.clusters.add(clusterArn);
    return this;
  }

  removeService(serviceArn: string): void {
    this.services.delete(serviceArn);
  }

  removeTaskDefinition(arn: string): void {
    this.taskDefinitions.delete(arn);
  }

  /** Makes every RegisterTaskDefinition of `family` throw `error`. */
  failRegistrationOf(family: string, error: Error): void {
    this.registrationFailures.set(family, error);
  }

  /** The current state of a service. */
  service(serviceArn: string): ServiceState | undefined {
    const service = this.services.get(serviceArn);
    return service && structuredClone(service);
  }

  /** A stored task definition. */
  taskDefinition(arn: string): TaskDefinitionDocument | undefined {
    const doc = this.taskDefinitions.get(arn);
    return doc && structuredClone(doc);
  }

  async describeServices(refs: readonly ServiceRef[]): Promise<ServiceState[]> {
    const found = new Map<string, ServiceState>();
    for (const ref of refs) {
      const service = this.find(ref);
      if (service) found.set(service.arn, structuredClone(service));
    }
    return [...found.values()];
  }

  async describeTaskDefinition(arn: string): Promise<TaskDefinitionDocument | undefined> {
    this.describeTaskDefinitionCount++;
    return this.taskDefinition(arn);
  }

  async registerTaskDefinition(doc: TaskDefinitionDocument): Promise<string> {
    const family = doc.definition.family;
    const failure = this.registrationFailures.get(family);
    if (failure) throw failure;
    const readOnly = READ_ONLY_TASK_DEFINITION_FIELDS.filter((field) => field in doc.definition);
    if (readOnly.length > 0) {
      throw new PermanentError(`ClientException: unexpected read-only fields ${readOnly.join(', ')}`);
    }
    if (doc.tags.some((t) => t.key.toLowerCase().startsWith('aws:'))) {
      throw new PermanentError('ClientException: tag keys starting with aws: are reserved');
    }
    if (doc.tags.length > 50) {
      throw new PermanentError(`ClientException: ${doc.tags.length} tags, at most 50 are allowed`);
    }
    const latest = Math.max(
      0,
      ...[...this.taskDefinitions.values()]
        .filter((stored) => stored.definition.family === family)
        .map((stored) => Number(stored.definition.revision)),
    );
    const revision = latest + 1;
    const arn = taskDefinitionArnOf(family, revision);
    const stored = structuredClone(doc);
    this.taskDefinitions.set(arn, {
      definition: {
        ...stored.definition,
        taskDefinitionArn: arn,
        revision,
        status: 'ACTIVE',
        requiresAttributes: [],
        compatibilities: ['EC2', 'FARGATE'],
        registeredAt: '2026-01-13T12:00:00.000Z',
        registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/autopilot/deploy-on-push`,
      },
      tags: stored.tags,
    });
    this.calls.push({ op: 'registerTaskDefinition', family, arn, document: structuredClone(doc) });
    return arn;
  }

  async updateService(ref: ServiceRef, taskDefinitionArn: string): Promise<string | undefined> {
    const service = this.find(ref);
    if (service?.status !== 'ACTIVE') {
      throw new PermanentError(`ServiceNotFoundException: ${ref.cluster}/${ref.service}`);
    }
    if (!this.taskDefinitions.has(taskDefinitionArn)) {
      throw new PermanentError(`ClientException: task definition ${taskDefinitionArn} does not exist`);
    }
    service.taskDefinitionArn = taskDefinitionArn;
    this.calls.push({ op: 'updateService', cluster: ref.cluster, service: ref.service, taskDefinitionArn });
    // Like ECS: the PRIMARY deployment becomes ACTIVE and a new PRIMARY rolls the revision out.
    this.deploymentSeq += 1;
    const id = `ecs-svc/9${String(this.deploymentSeq).padStart(18, '0')}`;
    service.deployments = [
      { id, status: 'PRIMARY', taskDefinitionArn, rolloutState: 'IN_PROGRESS' },
      ...service.deployments.map((d) => (d.status === 'PRIMARY' ? { ...d, status: 'ACTIVE' } : d)),
    ];
    return id;
  }

  async listClusters(): Promise<string[]> {
    return [...this.clusters];
  }

  async listServices(clusterArn: string): Promise<string[]> {
    // ListServices does not return INACTIVE (deleted) services.
    return [...this.services.values()]
      .filter((s) => s.clusterArn === clusterArn && s.status !== 'INACTIVE')
      .map((s) => s.arn);
  }

  /** ECS accepts a cluster by name or ARN and a service by name or ARN. */
  private find(ref: ServiceRef): ServiceState | undefined {
    return [...this.services.values()].find(
      (s) =>
        (ref.cluster === s.clusterArn || ref.cluster === s.clusterName) &&
        (ref.service === s.arn || ref.service === s.name),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// ImageRegistry
// ---------------------------------------------------------------------------------------------------------

/** ECR in memory: the tags of each digest. Records each lookup. */
export class InMemoryImageRegistry implements ImageRegistry {
  readonly lookups: { registryId: string; repositoryName: string; digest: string }[] = [];
  private readonly tagsByDigest = new Map<string, string[]>();

  /** Points `tags` at `digest` (replacing what it had). */
  tag(digest: string, ...tags: string[]): this {
    this.tagsByDigest.set(digest, tags);
    return this;
  }

  async tagsOfDigest(
    repository: { registryId: string; repositoryName: string },
    digest: string,
  ): Promise<string[]> {
    this.lookups.push({ ...repository, digest });
    return [...(this.tagsByDigest.get(digest) ?? [])];
  }
}

// ---------------------------------------------------------------------------------------------------------
// StateStore
// ---------------------------------------------------------------------------------------------------------

/** A mutating state call, as recorded by {@link InMemoryStateStore}. */
export type StateWrite =
  | { op: 'indexService'; serviceArn: string; repositoryKeys: string[] }
  | { op: 'unindexService'; serviceArn: string }
  | { op: 'recordDeployment'; record: DeploymentRecord }
  | { op: 'acquireServiceLock'; serviceArn: string; owner: string; acquired: boolean }
  | { op: 'releaseServiceLock'; serviceArn: string; owner: string }
  | { op: 'setWatermark'; serviceArn: string; repositoryKey: string; watermark: PushWatermark }
  | { op: 'savePending'; pending: PendingPush; saved: boolean }
  | { op: 'deletePending'; serviceArn: string; repositoryKey: string; eventId: string }
  | { op: 'rememberProblem'; problem: AnnouncedProblem; news: boolean }
  | { op: 'forgetProblem'; serviceArn: string; tagKey: string; forgotten: boolean };

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * The state table in memory, with the semantics of DynamoStateStore: a lease per service with owner and
 * expiry, a watermark that never moves backwards, pending pushes replaced only by newer ones and deleted
 * only by the event that wrote them, announced problems that are news once per service, tag and value.
 */
export class InMemoryStateStore implements StateStore {
  /** Every mutating call, in order. */
  readonly writes: StateWrite[] = [];
  readonly deployments: DeploymentRecord[] = [];
  private readonly index = new Map<string, Map<string, IndexedService>>();
  private readonly repositoriesByService = new Map<string, string[]>();
  private readonly quarantined = new Set<string>();
  private readonly locks = new Map<string, { owner: string; expiresAt: number }>();
  private readonly watermarks = new Map<string, PushWatermark>();
  private readonly pending = new Map<string, PendingPush>();
  private readonly problems = new Map<string, AnnouncedProblem>();

  /** @param now - clock for lease expiry */
  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Quarantines a digest (test setup; not recorded as a write). */
  quarantine(repositoryKey: string, digest: string): this {
    this.quarantined.add(`${repositoryKey}@${digest}`);
    return this;
  }

  /** Indexes a service (test setup; not recorded as a write). */
  seedIndex(service: IndexedService, repositoryKeys: readonly string[]): this {
    this.put(service, repositoryKeys);
    return this;
  }

  /** Another invocation holds the service lease (test setup; not recorded as a write). */
  seedLock(serviceArn: string, owner: string, ttlSeconds: number): this {
    this.locks.set(serviceArn, { owner, expiresAt: epochSeconds(this.now()) + ttlSeconds });
    return this;
  }

  /** Stores a watermark unconditionally (test setup; not recorded as a write). */
  seedWatermark(serviceArn: string, repositoryKey: string, watermark: PushWatermark): this {
    this.watermarks.set(`${serviceArn}#${repositoryKey}`, { ...watermark });
    return this;
  }

  /** Stores a pending push unconditionally (test setup; not recorded as a write). */
  seedPending(pending: PendingPush): this {
    this.pending.set(pendingKey(pending), structuredClone(pending));
    return this;
  }

  /** Remembers an announced problem unconditionally (test setup; not recorded as a write). */
  seedProblem(problem: AnnouncedProblem): this {
    this.problems.set(`${problem.serviceArn}#${problem.tagKey}`, { ...problem });
    return this;
  }

  /** The repository keys a service is indexed under. */
  repositoriesOf(serviceArn: string): string[] {
    return [...(this.repositoriesByService.get(serviceArn) ?? [])];
  }

  lockOf(serviceArn: string): { owner: string; expiresAt: number } | undefined {
    const lock = this.locks.get(serviceArn);
    return lock && { ...lock };
  }

  watermarkOf(serviceArn: string, repositoryKey: string): PushWatermark | undefined {
    const watermark = this.watermarks.get(`${serviceArn}#${repositoryKey}`);
    return watermark && { ...watermark };
  }

  pendingFor(serviceArn: string, repositoryKey: string): PendingPush | undefined {
    const pending = this.pending.get(`${serviceArn}#${repositoryKey}`);
    return pending && structuredClone(pending);
  }

  allPending(): PendingPush[] {
    return [...this.pending.values()].map((p) => structuredClone(p));
  }

  async servicesForRepository(repositoryKey: string): Promise<IndexedService[]> {
    return [...(this.index.get(repositoryKey)?.values() ?? [])].map((s) => ({ ...s }));
  }

  async indexService(service: IndexedService, repositoryKeys: readonly string[]): Promise<void> {
    this.writes.push({
      op: 'indexService',
      serviceArn: service.serviceArn,
      repositoryKeys: [...repositoryKeys],
    });
    this.put(service, repositoryKeys);
  }

  async unindexService(serviceArn: string): Promise<void> {
    this.writes.push({ op: 'unindexService', serviceArn });
    this.remove(serviceArn);
  }

  async isQuarantined(repositoryKey: string, digest: string): Promise<boolean> {
    return this.quarantined.has(`${repositoryKey}@${digest}`);
  }

  async recordDeployment(record: DeploymentRecord): Promise<void> {
    this.writes.push({ op: 'recordDeployment', record: { ...record } });
    this.deployments.push({ ...record });
  }

  async deploymentTriggeredBy(serviceArn: string, eventId: string): Promise<DeploymentRecord | undefined> {
    const found = this.deployments.find((d) => d.serviceArn === serviceArn && d.triggeredBy === eventId);
    return found ? { ...found } : undefined;
  }

  async acquireServiceLock(serviceArn: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const now = epochSeconds(this.now());
    const current = this.locks.get(serviceArn);
    const acquired = current === undefined || current.expiresAt < now || current.owner === owner;
    if (acquired) this.locks.set(serviceArn, { owner, expiresAt: now + ttlSeconds });
    this.writes.push({ op: 'acquireServiceLock', serviceArn, owner, acquired });
    return acquired;
  }

  async releaseServiceLock(serviceArn: string, owner: string): Promise<void> {
    this.writes.push({ op: 'releaseServiceLock', serviceArn, owner });
    // Someone else's lease (ours expired and was taken over) is not ours to release.
    if (this.locks.get(serviceArn)?.owner === owner) this.locks.delete(serviceArn);
  }

  async getWatermark(serviceArn: string, repositoryKey: string): Promise<PushWatermark | undefined> {
    return this.watermarkOf(serviceArn, repositoryKey);
  }

  async setWatermark(serviceArn: string, repositoryKey: string, watermark: PushWatermark): Promise<void> {
    this.writes.push({ op: 'setWatermark', serviceArn, repositoryKey, watermark: { ...watermark } });
    const key = `${serviceArn}#${repositoryKey}`;
    const current = this.watermarks.get(key);
    // Never backwards, whatever order the writes land in.
    if (current === undefined || current.pushedAt <= watermark.pushedAt) {
      this.watermarks.set(key, { ...watermark });
    }
  }

  async savePending(pending: PendingPush, isNewer: (existing: PendingPush) => boolean): Promise<boolean> {
    const key = pendingKey(pending);
    const existing = this.pending.get(key);
    const saved = existing === undefined || isNewer(structuredClone(existing));
    if (saved) this.pending.set(key, structuredClone(pending));
    this.writes.push({ op: 'savePending', pending: structuredClone(pending), saved });
    return saved;
  }

  async listDuePending(now: Date): Promise<PendingPush[]> {
    const cutoff = now.toISOString();
    return [...this.pending.values()].filter((p) => p.dueAt <= cutoff).map((p) => structuredClone(p));
  }

  async deletePending(serviceArn: string, repositoryKey: string, eventId: string): Promise<void> {
    this.writes.push({ op: 'deletePending', serviceArn, repositoryKey, eventId });
    const key = `${serviceArn}#${repositoryKey}`;
    // A newer push replaced it meanwhile: that one stays.
    if (this.pending.get(key)?.push.eventId === eventId) this.pending.delete(key);
  }

  async announcedProblems(serviceArn: string): Promise<AnnouncedProblem[]> {
    return [...this.problems.values()].filter((p) => p.serviceArn === serviceArn).map((p) => ({ ...p }));
  }

  async rememberProblem(problem: AnnouncedProblem): Promise<boolean> {
    const key = `${problem.serviceArn}#${problem.tagKey}`;
    const current = this.problems.get(key);
    // News: nothing remembered, another value, or a retry of the event that announced it.
    const news =
      current === undefined ||
      current.tagValue !== problem.tagValue ||
      current.triggeredBy === problem.triggeredBy;
    if (news) this.problems.set(key, { ...problem });
    else if (current) current.problem = problem.problem;
    this.writes.push({ op: 'rememberProblem', problem: { ...problem }, news });
    return news;
  }

  async forgetProblem(serviceArn: string, tagKey: string): Promise<boolean> {
    const forgotten = this.problems.delete(`${serviceArn}#${tagKey}`);
    this.writes.push({ op: 'forgetProblem', serviceArn, tagKey, forgotten });
    return forgotten;
  }

  private put(service: IndexedService, repositoryKeys: readonly string[]): void {
    this.remove(service.serviceArn);
    for (const key of repositoryKeys) {
      const services = this.index.get(key) ?? new Map<string, IndexedService>();
      services.set(service.serviceArn, { ...service });
      this.index.set(key, services);
    }
    this.repositoriesByService.set(service.serviceArn, [...repositoryKeys]);
  }

  private remove(serviceArn: string): void {
    for (const key of this.repositoriesByService.get(serviceArn) ?? []) {
      const services = this.index.get(key);
      services?.delete(serviceArn);
      if (services?.size === 0) this.index.delete(key);
    }
    this.repositoriesByService.delete(serviceArn);
  }
}

function pendingKey(pending: PendingPush): string {
  const { accountId, region, repositoryName } = pending.push;
  return `${pending.serviceArn}#${accountId}:${region}:${repositoryName}`;
}

// ---------------------------------------------------------------------------------------------------------
// EventPublisher
// ---------------------------------------------------------------------------------------------------------

/** Collects published events. */
export class InMemoryEventPublisher implements EventPublisher {
  readonly published: AutopilotEvent[] = [];
  /** How many PutEvents calls were made. */
  batches = 0;

  async publish(events: readonly AutopilotEvent[]): Promise<void> {
    this.batches++;
    this.published.push(...structuredClone(events));
  }
}

// ---------------------------------------------------------------------------------------------------------
// A world of fakes
// ---------------------------------------------------------------------------------------------------------

/** A settable clock. */
export class Clock {
  constructor(private current: Date) {}

  now = (): Date => new Date(this.current);

  set(iso: string): void {
    this.current = new Date(iso);
  }
}

/** All fakes together, sharing one clock. */
export function anInMemoryWorld(now = '2026-01-13T10:05:00.000Z') {
  const clock = new Clock(new Date(now));
  return {
    clock,
    ecs: new InMemoryContainerPlatform(),
    ecr: new InMemoryImageRegistry(),
    state: new InMemoryStateStore(clock.now),
    events: new InMemoryEventPublisher(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// HealthStore
// ---------------------------------------------------------------------------------------------------------

/** A mutating health call, as recorded by {@link InMemoryHealthStore}. */
export type HealthWrite =
  | { op: 'noteDeploymentStarted'; serviceArn: string; started: StartedDeployment }
  | {
      op: 'recordDeployment';
      serviceArn: string;
      deployment: KnownDeployment;
      updatedAt: string;
      saved: boolean;
    }
  | { op: 'markUnhealthy'; serviceArn: string; deploymentId: string; marked: boolean }
  | { op: 'setLastKnownGood'; serviceArn: string; good: LastKnownGood; saved: boolean }
  | {
      op: 'claimRollback';
      serviceArn: string;
      rollback: { at: string; from: string; to: string; reason: string };
      cooldownMs: number;
      claimed: boolean;
    }
  | { op: 'recordCrash'; serviceArn: string; taskDefinitionArn: string; taskArn: string; at: string }
  | { op: 'scheduleBake'; serviceArn: string; deploymentId: string; dueAt: string }
  | { op: 'deleteBake'; serviceArn: string; deploymentId: string }
  | { op: 'indexAlarms'; serviceArn: string; alarmNames: string[] }
  | { op: 'quarantine'; image: QuarantinedImage; added: boolean }
  | { op: 'release'; repositoryKey: string; digest: string; released: boolean };

/**
 * Deployment health in memory, with the semantics of DynamoHealthStore: deployments recorded forward
 * only by `updatedAt`, a deployment marked unhealthy once, a last known good revision that never goes
 * backwards, one rollback per cooldown, crashes counted per distinct task, bake timers, an alarm index
 * replaced per service and idempotent quarantine.
 */
export class InMemoryHealthStore implements HealthStore {
  /** Every mutating call, in order (seeding is not recorded). */
  readonly writes: HealthWrite[] = [];
  private readonly deployments = new Map<string, { deployment: KnownDeployment; updatedAt: string }>();
  private readonly good = new Map<string, LastKnownGood>();
  private readonly rollbacks = new Map<string, { at: string; from: string; to: string; reason: string }>();
  private readonly crashes = new Map<string, { serviceArn: string; taskDefinitionArn: string; at: string }>();
  private readonly bakes = new Map<string, { serviceArn: string; deploymentId: string; dueAt: string }>();
  private readonly alarmsByService = new Map<string, string[]>();
  private readonly alarmIndex = new Map<string, Map<string, IndexedService>>();
  private readonly quarantined = new Map<string, QuarantinedImage>();

  /** Stores a deployment unconditionally (test setup; not recorded as a write). */
  seedDeployment(
    serviceArn: string,
    deployment: KnownDeployment,
    updatedAt = '1970-01-01T00:00:00.000Z',
  ): this {
    this.deployments.set(`${serviceArn}#${deployment.deploymentId}`, {
      deployment: structuredClone(deployment),
      updatedAt,
    });
    return this;
  }

  /** Stores the last known good revision unconditionally (test setup; not recorded as a write). */
  seedLastKnownGood(serviceArn: string, good: LastKnownGood): this {
    this.good.set(serviceArn, { ...good });
    return this;
  }

  /** Stores the last rollback unconditionally (test setup; not recorded as a write). */
  seedRollback(serviceArn: string, rollback: { at: string; from: string; to: string; reason: string }): this {
    this.rollbacks.set(serviceArn, { ...rollback });
    return this;
  }

  /** The bake timers, due or not. */
  allBakes(): { serviceArn: string; deploymentId: string; dueAt: string }[] {
    return [...this.bakes.values()].map((b) => ({ ...b }));
  }

  async getDeployment(serviceArn: string, deploymentId: string): Promise<KnownDeployment | undefined> {
    const stored = this.deployments.get(`${serviceArn}#${deploymentId}`);
    return stored && structuredClone(stored.deployment);
  }

  async noteDeploymentStarted(serviceArn: string, started: StartedDeployment): Promise<void> {
    const key = `${serviceArn}#${started.deploymentId}`;
    const current = this.deployments.get(key);
    // Fills what state changes have not written, like the if_not_exists of DynamoHealthStore.
    const deployment: KnownDeployment = {
      deploymentId: started.deploymentId,
      taskDefinitionArn: current?.deployment.taskDefinitionArn ?? started.taskDefinitionArn,
      state: current?.deployment.state ?? 'IN_PROGRESS',
      startedAt: current?.deployment.startedAt ?? started.startedAt,
      ...current?.deployment,
      isRollback: started.isRollback || (current?.deployment.isRollback ?? false),
    };
    this.deployments.set(key, { deployment, updatedAt: current?.updatedAt ?? '' });
    this.writes.push({ op: 'noteDeploymentStarted', serviceArn, started: { ...started } });
  }

  async recordDeployment(serviceArn: string, deployment: KnownDeployment, updatedAt: string): Promise<void> {
    const key = `${serviceArn}#${deployment.deploymentId}`;
    const current = this.deployments.get(key);
    // Forward only: an older state change than the recorded one is dropped.
    const saved = current === undefined || current.updatedAt <= updatedAt;
    if (saved) this.deployments.set(key, { deployment: structuredClone(deployment), updatedAt });
    this.writes.push({
      op: 'recordDeployment',
      serviceArn,
      deployment: structuredClone(deployment),
      updatedAt,
      saved,
    });
  }

  async markUnhealthy(serviceArn: string, deploymentId: string): Promise<boolean> {
    const key = `${serviceArn}#${deploymentId}`;
    const current = this.deployments.get(key);
    const marked = current?.deployment.unhealthy !== true;
    if (current && marked) current.deployment.unhealthy = true;
    // Like an UpdateItem, marking an unknown deployment creates a bare item.
    if (!current)
      this.deployments.set(key, { deployment: { unhealthy: true } as KnownDeployment, updatedAt: '' });
    this.writes.push({ op: 'markUnhealthy', serviceArn, deploymentId, marked });
    return marked;
  }

  async lastKnownGood(serviceArn: string): Promise<LastKnownGood | undefined> {
    const good = this.good.get(serviceArn);
    return good && { ...good };
  }

  async setLastKnownGood(serviceArn: string, good: LastKnownGood): Promise<void> {
    const current = this.good.get(serviceArn);
    // Never backwards, whatever order the writes land in.
    const saved = current === undefined || current.at <= good.at;
    if (saved) this.good.set(serviceArn, { ...good });
    this.writes.push({ op: 'setLastKnownGood', serviceArn, good: { ...good }, saved });
  }

  async lastRollback(serviceArn: string): Promise<{ at: string; to: string } | undefined> {
    const rollback = this.rollbacks.get(serviceArn);
    return rollback && { at: rollback.at, to: rollback.to };
  }

  async claimRollback(
    serviceArn: string,
    rollback: { at: string; from: string; to: string; reason: string },
    cooldownMs: number,
  ): Promise<boolean> {
    const windowStart = new Date(new Date(rollback.at).getTime() - cooldownMs).toISOString();
    const current = this.rollbacks.get(serviceArn);
    const claimed = current === undefined || current.at <= windowStart;
    if (claimed) this.rollbacks.set(serviceArn, { ...rollback });
    this.writes.push({ op: 'claimRollback', serviceArn, rollback: { ...rollback }, cooldownMs, claimed });
    return claimed;
  }

  async recordCrash(
    serviceArn: string,
    taskDefinitionArn: string,
    taskArn: string,
    at: string,
    since: string,
  ): Promise<number> {
    // Keyed by task: a duplicate event of the same stopped task counts once.
    this.crashes.set(`${serviceArn}#${taskDefinitionArn}#${taskArn}`, { serviceArn, taskDefinitionArn, at });
    this.writes.push({ op: 'recordCrash', serviceArn, taskDefinitionArn, taskArn, at });
    return [...this.crashes.values()].filter(
      (c) => c.serviceArn === serviceArn && c.taskDefinitionArn === taskDefinitionArn && c.at >= since,
    ).length;
  }

  async scheduleBake(serviceArn: string, deploymentId: string, dueAt: string): Promise<void> {
    this.bakes.set(`${serviceArn}#${deploymentId}`, { serviceArn, deploymentId, dueAt });
    this.writes.push({ op: 'scheduleBake', serviceArn, deploymentId, dueAt });
  }

  async listBaked(now: Date): Promise<{ serviceArn: string; deploymentId: string }[]> {
    const cutoff = now.toISOString();
    return [...this.bakes.values()]
      .filter((b) => b.dueAt <= cutoff)
      .map(({ serviceArn, deploymentId }) => ({ serviceArn, deploymentId }));
  }

  async deleteBake(serviceArn: string, deploymentId: string): Promise<void> {
    this.bakes.delete(`${serviceArn}#${deploymentId}`);
    this.writes.push({ op: 'deleteBake', serviceArn, deploymentId });
  }

  async servicesForAlarm(alarmName: string): Promise<IndexedService[]> {
    return [...(this.alarmIndex.get(alarmName)?.values() ?? [])].map((s) => ({ ...s }));
  }

  async indexAlarms(service: IndexedService, alarmNames: readonly string[]): Promise<void> {
    for (const name of this.alarmsByService.get(service.serviceArn) ?? []) {
      const services = this.alarmIndex.get(name);
      services?.delete(service.serviceArn);
      if (services?.size === 0) this.alarmIndex.delete(name);
    }
    for (const name of alarmNames) {
      const services = this.alarmIndex.get(name) ?? new Map<string, IndexedService>();
      services.set(service.serviceArn, { ...service });
      this.alarmIndex.set(name, services);
    }
    this.alarmsByService.set(service.serviceArn, [...alarmNames]);
    this.writes.push({ op: 'indexAlarms', serviceArn: service.serviceArn, alarmNames: [...alarmNames] });
  }

  async quarantine(image: QuarantinedImage): Promise<boolean> {
    const key = `${image.repositoryKey}@${image.digest}`;
    const added = !this.quarantined.has(key);
    if (added) this.quarantined.set(key, { ...image });
    this.writes.push({ op: 'quarantine', image: { ...image }, added });
    return added;
  }

  async listQuarantined(): Promise<QuarantinedImage[]> {
    return [...this.quarantined.values()].map((image) => ({ ...image }));
  }

  async release(repositoryKey: string, digest: string): Promise<boolean> {
    const released = this.quarantined.delete(`${repositoryKey}@${digest}`);
    this.writes.push({ op: 'release', repositoryKey, digest, released });
    return released;
  }
}

// ---------------------------------------------------------------------------------------------------------
// DeploymentControl
// ---------------------------------------------------------------------------------------------------------

/** A StopServiceDeployment attempt, as recorded by {@link InMemoryDeploymentControl}. */
export interface StopCall {
  cluster: string;
  service: string;
  taskDefinitionArn: string;
  stopped: boolean;
}

/**
 * ECS's StopServiceDeployment (ROLLBACK) in memory: answers `true` (stopped) unless told that ECS has
 * no deployment in progress to stop (`refuse()`). Records every attempt.
 */
export class InMemoryDeploymentControl implements DeploymentControl {
  /** Every attempt, in order, with its answer. */
  readonly calls: StopCall[] = [];

  constructor(private stoppable = true) {}

  /** From now on ECS answers that there is nothing to stop (the adapter's `false`). */
  refuse(): this {
    this.stoppable = false;
    return this;
  }

  async stopDeploymentWithRollback(ref: ServiceRef, taskDefinitionArn: string): Promise<boolean> {
    this.calls.push({ ...ref, taskDefinitionArn, stopped: this.stoppable });
    return this.stoppable;
  }
}

/**
 * Aggregation windows and threads in memory, with the semantics of DynamoNotificationStore: one
 * counter per channel, group and window, a few examples, windows closed once, threads saved once.
 */
export class InMemoryNotificationStore implements NotificationStore {
  private readonly windows = new Map<string, NotificationWindow>();
  private readonly threads = new Map<string, ThreadRef>();

  async admit(
    channel: string,
    groupKey: string,
    window: { start: string; end: string },
  ): Promise<NotificationWindow> {
    const key = `${channel}#${groupKey}#${window.start}`;
    const current = this.windows.get(key) ?? {
      channel,
      groupKey,
      windowStart: window.start,
      windowEnd: window.end,
      count: 0,
      examples: [],
    };
    const next = { ...current, count: current.count + 1 };
    this.windows.set(key, next);
    return structuredClone(next);
  }

  async addExample(channel: string, groupKey: string, windowStart: string, example: string): Promise<void> {
    const window = this.windows.get(`${channel}#${groupKey}#${windowStart}`);
    if (window && window.examples.length < 5) window.examples.push(example);
  }

  async listEndedWindows(now: Date): Promise<NotificationWindow[]> {
    return [...this.windows.values()]
      .filter((w) => w.windowEnd <= now.toISOString())
      .map((w) => structuredClone(w));
  }

  async closeWindow(window: NotificationWindow): Promise<boolean> {
    return this.windows.delete(`${window.channel}#${window.groupKey}#${window.windowStart}`);
  }

  async getThread(channel: string, threadKey: string): Promise<ThreadRef | undefined> {
    const thread = this.threads.get(`${channel}#${threadKey}`);
    return thread && structuredClone(thread);
  }

  async saveThread(channel: string, threadKey: string, thread: ThreadRef): Promise<boolean> {
    const key = `${channel}#${threadKey}`;
    if (this.threads.has(key)) return false;
    this.threads.set(key, structuredClone(thread));
    return true;
  }
}

/** One message a {@link RecordingChatSender} was asked to send. */
export interface SentChatMessage {
  channel: string;
  type: string;
  message: NotificationMessage;
  thread?: ThreadRef;
}

/**
 * A chat that records what it is sent. Channels named in `failing` throw like a channel that keeps
 * failing after its retries; a Slack bot channel answers a ts, so threads can form.
 */
export class RecordingChatSender implements ChatSender {
  readonly sent: SentChatMessage[] = [];
  private ts = 0;

  constructor(private readonly failing: ReadonlySet<string> = new Set()) {}

  async send(
    name: string,
    channel: ChannelConfig,
    message: NotificationMessage,
    thread?: ThreadRef,
  ): Promise<SentMessage | undefined> {
    if (this.failing.has(name)) throw new RetryableError(`channel ${name}: HTTP 503 after 4 attempts`);
    this.sent.push({
      channel: name,
      type: channel.type,
      message: structuredClone(message),
      ...(thread ? { thread: structuredClone(thread) } : {}),
    });
    if (channel.type !== 'slack' || !channel.token) return undefined;
    this.ts += 1;
    return { ts: `1767261600.${String(this.ts).padStart(6, '0')}`, channelId: channel.channel ?? '' };
  }
}

/** Keeps what could not be delivered, like the dead-letter queue. */
export class InMemoryUndeliveredSink implements UndeliveredSink {
  readonly parked: { channel: string; message: NotificationMessage; error: string }[] = [];

  async park(entry: { channel: string; message: NotificationMessage; error: string }): Promise<void> {
    this.parked.push(structuredClone(entry));
  }
}
