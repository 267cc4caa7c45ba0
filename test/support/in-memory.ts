/**
 * In-memory implementations of the ports and fixture builders for domain tests. No mocks: the fakes keep
 * state the way the AWS adapters do (EcsGateway; the state ports' fakes, in in-memory-state.ts and
 * re-exported here, run their adapters' contract suites), and record every mutating call so a test can
 * assert that a run made no extra API mutations.
 */
import { createHash } from 'node:crypto';
import type { PolicyFile } from '../../shared/config/policy-file';
import { REGISTERED_REVISION_FIELDS } from '../../shared/domain/aws/task-definition';
import type { PushedImage } from '../../shared/domain/deploy/plan-deployment';
import type { IndexDeps } from '../../shared/domain/index/index-services';
import type { NotificationMessage } from '../../shared/domain/notify/message';
import { countedLate } from '../../shared/domain/notify/notify-plan';
import { PermanentError, RetryableError } from '../../shared/errors';
import type { AutopilotEvent } from '../../shared/events/autopilot-events';
import type {
  AdmittedWindow,
  ChatSender,
  ContainerPlatform,
  DeploymentControl,
  EventPublisher,
  ImageCatalog,
  ImageDescription,
  ImageRegistry,
  NotificationStore,
  NotificationWindow,
  ServiceInventory,
  ServiceRef,
  ServiceRevisionReader,
  ServiceRevisionState,
  ServiceState,
  TaskDefinitionDocument,
  TaskDefinitionState,
  ThreadRef,
  UndeliveredSink,
} from '../../shared/ports';
import { inMemoryState } from './in-memory-state';

export * from './in-memory-state';

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
export class InMemoryContainerPlatform implements ContainerPlatform, ServiceInventory, ServiceRevisionReader {
  /** Every mutating call, in order. */
  readonly calls: PlatformCall[] = [];
  /** How many DescribeTaskDefinition calls were made (reads are not in `calls`). */
  describeTaskDefinitionCount = 0;
  /** The reads of the inventory and of services, by operation, as calls to ECS would count them. */
  readonly reads = { ListServices: 0, DescribeServices: 0 };
  /** How many services a page of ListServices holds (ECS: at most 100). */
  servicePageSize = 100;
  private readonly services = new Map<string, ServiceState>();
  private readonly taskDefinitions = new Map<string, TaskDefinitionDocument>();
  private readonly serviceRevisions = new Map<string, ServiceRevisionState>();
  private readonly clusters = new Set<string>();
  private readonly registrationFailures = new Map<string, Error>();
  private readonly lostResponses = new Map<PlatformCall['op'], number>();
  private deploymentSeq = 0;

  /** @param now - the clock of `registeredAt` (the world's clock in {@link anInMemoryWorld}) */
  constructor(private readonly now: () => Date = () => new Date('2026-01-13T12:00:00.000Z')) {}

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

  /**
   * A service revision: what a deployment of `taskDefinitionArn` ran (DescribeServiceRevisions). A
   * service lists the revisions running in its `currentServiceRevisions`.
   */
  addServiceRevision(revision: ServiceRevisionState): this {
    this.serviceRevisions.set(revision.arn, structuredClone(revision));
    return this;
  }

  async describeServiceRevisions(arns: readonly string[]): Promise<ServiceRevisionState[]> {
    return arns.flatMap((arn) => {
      const revision = this.serviceRevisions.get(arn);
      return revision ? [structuredClone(revision)] : [];
    });
  }

  removeTaskDefinition(arn: string): void {
    this.taskDefinitions.delete(arn);
  }

  /** Makes every RegisterTaskDefinition of `family` throw `error`. */
  failRegistrationOf(family: string, error: Error): void {
    this.registrationFailures.set(family, error);
  }

  /**
   * The next `count` calls of `op` are carried out, and then their answer is lost: they throw a
   * RetryableError as a 5xx or a timeout after the change was made would.
   */
  loseResponses(op: PlatformCall['op'], count = 1): this {
    this.lostResponses.set(op, (this.lostResponses.get(op) ?? 0) + count);
    return this;
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
    // Ten services per DescribeServices, one cluster per call, as the adapter sends them.
    const perCluster = new Map<string, number>();
    for (const ref of refs) perCluster.set(ref.cluster, (perCluster.get(ref.cluster) ?? 0) + 1);
    for (const count of perCluster.values()) this.reads.DescribeServices += Math.ceil(count / 10);
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
    const readOnly = REGISTERED_REVISION_FIELDS.filter((field) => field in doc.definition);
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
        registeredAt: this.now().toISOString(),
        registeredBy: `arn:aws:sts::${ACCOUNT}:assumed-role/autopilot/deploy-on-push`,
      },
      tags: stored.tags,
    });
    this.calls.push({ op: 'registerTaskDefinition', family, arn, document: structuredClone(doc) });
    this.answerOrLose('registerTaskDefinition');
    return arn;
  }

  async findRevision(
    family: string,
    tags: readonly { key: string; value: string }[],
    registeredSince: string,
  ): Promise<string | undefined> {
    const found = [...this.taskDefinitions.values()]
      .filter(
        (doc) =>
          doc.definition.family === family &&
          String(doc.definition.registeredAt ?? '') >= registeredSince &&
          tags.every((t) => doc.tags.some((own) => own.key === t.key && own.value === t.value)),
      )
      .sort((a, b) => Number(b.definition.revision) - Number(a.definition.revision));
    return found[0] && stateOf(found[0]).arn;
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
    this.answerOrLose('updateService');
    return id;
  }

  /**
   * ECS's own rollback of the service's in-progress deployment of `taskDefinitionArn`
   * (StopServiceDeployment with stop type ROLLBACK): the stopped deployment leaves the list and a new
   * primary one rolls out the revision of the last deployment that completed.
   *
   * @returns false when ECS has no such deployment in progress (or nothing completed to return to)
   */
  rollBackDeployment(ref: ServiceRef, taskDefinitionArn: string): boolean {
    const service = this.find(ref);
    const stopped = service?.deployments.find(
      (d) => d.taskDefinitionArn === taskDefinitionArn && d.rolloutState === 'IN_PROGRESS',
    );
    const previous = service?.deployments.find((d) => d !== stopped && d.rolloutState === 'COMPLETED');
    if (!service || !stopped || !previous) return false;
    this.deploymentSeq += 1;
    const id = `ecs-svc/9${String(this.deploymentSeq).padStart(18, '0')}`;
    service.taskDefinitionArn = previous.taskDefinitionArn;
    service.deployments = [
      { id, status: 'PRIMARY', taskDefinitionArn: previous.taskDefinitionArn, rolloutState: 'IN_PROGRESS' },
      ...service.deployments
        .filter((d) => d !== stopped)
        .map((d) => (d.status === 'PRIMARY' ? { ...d, status: 'ACTIVE' } : d)),
    ];
    return true;
  }

  /** Throws after a change was made when its answer is to be lost ({@link loseResponses}). */
  private answerOrLose(op: PlatformCall['op']): void {
    const lost = this.lostResponses.get(op) ?? 0;
    if (lost === 0) return;
    this.lostResponses.set(op, lost - 1);
    throw new RetryableError(`${op}: 503 Service Unavailable (the change was made; its answer was lost)`);
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

  async listServicePage(
    clusterArn: string,
    nextToken?: string,
  ): Promise<{ serviceArns: string[]; nextToken?: string }> {
    this.reads.ListServices++;
    const all = await this.listServices(clusterArn);
    const from = nextToken ? Number(nextToken) : 0;
    const to = from + this.servicePageSize;
    return { serviceArns: all.slice(from, to), ...(to < all.length ? { nextToken: String(to) } : {}) };
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

/**
 * ECR in memory: the tags of each digest, and the digest each tag of a repository points at (the
 * newest push of it). Records each lookup.
 */
export class InMemoryImageRegistry implements ImageRegistry, ImageCatalog {
  readonly lookups: { registryId: string; repositoryName: string; digest: string }[] = [];
  /** Every listing of a repository's tagged images (`taggedImages`), in order. */
  readonly listings: { registryId: string; repositoryName: string; limit: number }[] = [];
  /** Every DescribeImages by tag, in order. */
  readonly tagLookups: { registryId: string; repositoryName: string; tag: string }[] = [];
  /** Every DescribeImages of one image (`describeImage`), in order. */
  readonly imageLookups: { registryId: string; repositoryName: string; tag?: string; digest?: string }[] = [];
  private readonly tagsByDigest = new Map<string, string[]>();
  private readonly heads = new Map<string, string>();
  /** When each digest was pushed, where the test said (its repository: `repository@digest`). */
  private readonly pushedAt = new Map<string, string>();

  /** Points `tags` at `digest` (replacing what it had). */
  tag(digest: string, ...tags: string[]): this {
    this.tagsByDigest.set(digest, tags);
    return this;
  }

  /**
   * A push of `repositoryName:tag`: the tag moves to `digest`, as ECR moves it (takes a {@link PushedImage});
   * its `pushedAt`, when given, is the image's first push time.
   */
  pushImage(push: Pick<PushedImage, 'repositoryName' | 'tag' | 'digest'> & { pushedAt?: Date }): this {
    const pushed = `${push.repositoryName}@${push.digest}`;
    if (push.pushedAt && !this.pushedAt.has(pushed)) this.pushedAt.set(pushed, push.pushedAt.toISOString());
    const key = `${push.repositoryName}:${push.tag}`;
    const previous = this.heads.get(key);
    if (previous !== undefined && previous !== push.digest) {
      this.tagsByDigest.set(
        previous,
        (this.tagsByDigest.get(previous) ?? []).filter((t) => t !== push.tag),
      );
    }
    this.heads.set(key, push.digest);
    const tags = this.tagsByDigest.get(push.digest) ?? [];
    if (!tags.includes(push.tag)) this.tagsByDigest.set(push.digest, [...tags, push.tag]);
    return this;
  }

  /** Removes a tag from its repository (BatchDeleteImage by tag). */
  untag(repositoryName: string, tag: string): this {
    const key = `${repositoryName}:${tag}`;
    const digest = this.heads.get(key);
    this.heads.delete(key);
    if (digest !== undefined) {
      this.tagsByDigest.set(
        digest,
        (this.tagsByDigest.get(digest) ?? []).filter((t) => t !== tag),
      );
    }
    return this;
  }

  async digestOfTag(
    repository: { registryId: string; repositoryName: string },
    tag: string,
  ): Promise<string | undefined> {
    this.tagLookups.push({ ...repository, tag });
    return this.heads.get(`${repository.repositoryName}:${tag}`);
  }

  async tagsOfDigest(
    repository: { registryId: string; repositoryName: string },
    digest: string,
  ): Promise<string[]> {
    this.lookups.push({ ...repository, digest });
    return [...(this.tagsByDigest.get(digest) ?? [])];
  }

  /**
   * The image a tag points at, or a digest the registry knows (pushed, or given tags with {@link tag}),
   * as DescribeImages answers: its tags now and its push time.
   */
  async describeImage(
    repository: { registryId: string; repositoryName: string },
    image: { tag: string } | { digest: string },
  ): Promise<ImageDescription | undefined> {
    this.imageLookups.push({ ...repository, ...image });
    const digest =
      'tag' in image ? this.heads.get(`${repository.repositoryName}:${image.tag}`) : image.digest;
    if (digest === undefined || !this.tagsByDigest.has(digest)) return undefined;
    const pushedAt = this.pushedAt.get(`${repository.repositoryName}@${digest}`);
    return { digest, tags: [...(this.tagsByDigest.get(digest) ?? [])], ...(pushedAt ? { pushedAt } : {}) };
  }

  /**
   * The images the tags of a repository point at, each with its tags and push time, in the order they
   * were first tagged; at most `limit`, `more` when there are more (as DescribeImages pages them).
   */
  async taggedImages(
    repository: { registryId: string; repositoryName: string },
    limit: number,
  ): Promise<{ images: ImageDescription[]; more: boolean }> {
    this.listings.push({ ...repository, limit });
    const prefix = `${repository.repositoryName}:`;
    const tagsOf = new Map<string, string[]>();
    for (const [key, digest] of this.heads) {
      if (key.startsWith(prefix))
        tagsOf.set(digest, [...(tagsOf.get(digest) ?? []), key.slice(prefix.length)]);
    }
    const images = [...tagsOf].map(([digest, tags]) => {
      const pushedAt = this.pushedAt.get(`${repository.repositoryName}@${digest}`);
      return { digest, tags, ...(pushedAt ? { pushedAt } : {}) };
    });
    return { images: images.slice(0, limit), more: images.length > limit };
  }
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

/**
 * All fakes together, sharing one clock: ECS, ECR, the events published, and every state port
 * (`index`, `problems`, `history`, `rollbacks`, `bakes`, `quarantine`, `lease`, `pending`) recording
 * into one log of state writes (`writes`).
 */
export function anInMemoryWorld(now = '2026-01-13T10:05:00.000Z') {
  const clock = new Clock(new Date(now));
  return {
    clock,
    ecs: new InMemoryContainerPlatform(clock.now),
    ecr: new InMemoryImageRegistry(),
    events: new InMemoryEventPublisher(),
    ...inMemoryState(clock.now),
  };
}

/**
 * The indexer's ports on a world of fakes (reconcile and index tests, crash-anywhere's reconcile), with
 * the policy file and dry run the test gives.
 */
export function indexDepsOf(
  world: ReturnType<typeof anInMemoryWorld>,
  policyFile: PolicyFile,
  dryRun = false,
): IndexDeps {
  return {
    ecs: world.ecs,
    inventory: world.ecs,
    index: world.index,
    problems: world.problems,
    rollbacks: world.rollbacks,
    sweep: world.sweep,
    events: world.events,
    policyFile,
    dryRun,
    now: world.clock.now,
  };
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
 * no deployment in progress to stop (`refuse()`). Records every attempt. Given the ECS it acts on, a
 * stop rolls the deployment back there as ECS does ({@link InMemoryContainerPlatform.rollBackDeployment}),
 * and a deployment not in progress (stopped already) is not stopped again.
 */
export class InMemoryDeploymentControl implements DeploymentControl {
  /** Every attempt, in order, with its answer. */
  readonly calls: StopCall[] = [];

  constructor(
    private stoppable = true,
    private readonly ecs?: InMemoryContainerPlatform,
  ) {}

  /** From now on ECS answers that there is nothing to stop (the adapter's `false`). */
  refuse(): this {
    this.stoppable = false;
    return this;
  }

  async stopDeploymentWithRollback(ref: ServiceRef, taskDefinitionArn: string): Promise<boolean> {
    const stopped = this.stoppable && (this.ecs?.rollBackDeployment(ref, taskDefinitionArn) ?? true);
    this.calls.push({ ...ref, taskDefinitionArn, stopped });
    return stopped;
  }
}

/** A write to the {@link InMemoryNotificationStore}, with what it did. */
export type NotificationWrite =
  | { op: 'admit'; channel: string; groupKey: string; windowStart: string; count: number }
  | { op: 'addExample'; channel: string; groupKey: string; windowStart: string; example: string }
  | { op: 'closeWindow'; channel: string; groupKey: string; windowStart: string; closed: boolean }
  | { op: 'noteLateCount'; channel: string; groupKey: string; windowStart: string; seen: number }
  | { op: 'saveThread'; channel: string; threadKey: string; saved: boolean };

/**
 * Aggregation windows and threads in memory, with the semantics of DynamoNotificationStore: one
 * counter per channel, group and window, a few examples, windows closed and remembered (what was told,
 * the count they were closed at: events counted after it are late), threads saved once.
 */
export class InMemoryNotificationStore implements NotificationStore {
  private readonly windows = new Map<string, NotificationWindow>();
  /** the count each event was given in its window (`<window key>#<eventId>`), as the table keeps it on the window */
  private readonly counted = new Map<string, number>();
  private readonly threads = new Map<string, ThreadRef>();
  /** Every write, in order, with its outcome: a test asserts that planning or a dry run wrote nothing. */
  readonly writes: NotificationWrite[] = [];

  async admit(
    channel: string,
    groupKey: string,
    window: { start: string; end: string },
    eventId: string,
  ): Promise<AdmittedWindow> {
    const key = `${channel}#${groupKey}#${window.start}`;
    const current = this.windows.get(key) ?? {
      channel,
      groupKey,
      windowStart: window.start,
      windowEnd: window.end,
      count: 0,
      examples: [],
    };
    // Counted before (a retry): the count it was given then, and nothing counted again.
    const before = this.counted.get(`${key}#${eventId}`);
    const next = before === undefined ? { ...current, count: current.count + 1 } : current;
    this.windows.set(key, next);
    this.counted.set(`${key}#${eventId}`, before ?? next.count);
    this.writes.push({ op: 'admit', channel, groupKey, windowStart: window.start, count: next.count });
    const given = before ?? next.count;
    return structuredClone({ ...next, count: given, late: countedLate(next.closed, given) });
  }

  async addExample(
    channel: string,
    groupKey: string,
    windowStart: string,
    example: string,
    options: { late?: boolean } = {},
  ): Promise<void> {
    const window = this.windows.get(`${channel}#${groupKey}#${windowStart}`);
    const examples = options.late ? window?.closed?.lateExamples : window?.examples;
    if (examples && examples.length < 5 && !examples.includes(example)) examples.push(example);
    this.writes.push({ op: 'addExample', channel, groupKey, windowStart, example });
  }

  async listEndedWindows(now: Date): Promise<NotificationWindow[]> {
    return [...this.windows.values()]
      .filter((w) => w.windowEnd <= now.toISOString() && (!w.closed || w.count > w.closed.told))
      .map((w) => structuredClone(w));
  }

  async closeWindow(window: NotificationWindow): Promise<boolean> {
    const { channel, groupKey, windowStart } = window;
    const kept = this.windows.get(`${channel}#${groupKey}#${windowStart}`);
    const closed = kept !== undefined && (!kept.closed || kept.closed.told < window.count);
    if (kept && closed)
      kept.closed = {
        lateExamples: [],
        atCount: kept.count,
        ...kept.closed,
        told: window.count,
      };
    this.writes.push({ op: 'closeWindow', channel, groupKey, windowStart, closed });
    return closed;
  }

  async noteLateCount(window: NotificationWindow): Promise<void> {
    const { channel, groupKey, windowStart } = window;
    const kept = this.windows.get(`${channel}#${groupKey}#${windowStart}`);
    if (kept?.closed) kept.closed.seen = window.count;
    this.writes.push({ op: 'noteLateCount', channel, groupKey, windowStart, seen: window.count });
  }

  async getThread(channel: string, threadKey: string): Promise<ThreadRef | undefined> {
    const thread = this.threads.get(`${channel}#${threadKey}`);
    return thread && structuredClone(thread);
  }

  async saveThread(channel: string, threadKey: string, thread: ThreadRef): Promise<boolean> {
    const key = `${channel}#${threadKey}`;
    const saved = !this.threads.has(key);
    if (saved) this.threads.set(key, structuredClone(thread));
    this.writes.push({ op: 'saveThread', channel, threadKey, saved });
    return saved;
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

  /** Typed by the port, so that the fake's parameters are the port's. */
  readonly send: ChatSender['send'] = async (name, channel, message, thread) => {
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
  };
}

/** Keeps what could not be delivered, like the dead-letter queue. */
export class InMemoryUndeliveredSink implements UndeliveredSink {
  readonly parked: { channel: string; message: NotificationMessage; error: string }[] = [];

  async park(entry: { channel: string; message: NotificationMessage; error: string }): Promise<void> {
    this.parked.push(structuredClone(entry));
  }
}
