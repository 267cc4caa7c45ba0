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
  CapacityProviderStrategyItem,
  Cluster,
  Deployment,
  LaunchType,
  Service,
  Tag,
  Task,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { sha256Hex } from './random';

/**
 * What a container running an image does, looked up by image (digest or tag) when a task starts.
 *
 * - `healthy`: runs and passes its health checks.
 * - `crash`: stops shortly after RUNNING, exit code `exitCode` (default 1).
 * - `unhealthy`: runs but fails the load balancer health checks (services with a load balancer) or its
 *   container health check (anything else).
 * - `exit`: runs to completion and exits with `exitCode` (0 is a successful batch job).
 */
export type ImageBehaviour =
  | { kind: 'healthy' }
  | { kind: 'crash'; exitCode?: number }
  | { kind: 'unhealthy' }
  | { kind: 'exit'; exitCode: number };

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
  /** Started by the circuit breaker to roll back (a failed rollback is not rolled back again). */
  rollback?: boolean;
}

/** A service; `service` holds the description (without counts and tags, which are computed). */
export interface ServiceRecord {
  arn: string;
  name: string;
  clusterName: string;
  service: Service & { deployments: Deployment[] };
  /** Per deployment id. */
  deploymentState: Map<string, DeploymentState>;
  /** The last deployment that reached COMPLETED: where a circuit-breaker rollback returns to. */
  lastCompleted?: { id: string; taskDefinition: string };
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
  /** The behaviour of the task: the first misbehaving essential container decides. */
  behaviour: ImageBehaviour;
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

/** Task statuses that still hold resources. */
const STOPPED = 'STOPPED';

/** The state of the local account. */
export class ControlPlaneModel {
  /** Clusters by name (INACTIVE ones stay until a cluster of the same name is created). */
  readonly clusters = new Map<string, ClusterRecord>();
  /** Task definition revisions by family, revision 1 first. */
  readonly taskDefinitions = new Map<string, TaskDefinitionRecord[]>();
  /** Services by ARN. */
  readonly services = new Map<string, ServiceRecord>();
  /** Tasks by ARN, stopped ones included. */
  readonly tasks = new Map<string, TaskRecord>();
  /** Tags of ECS resources by ARN. */
  readonly tags = new Map<string, Tag[]>();
  /** ECR repositories by name. */
  readonly repositories = new Map<string, RepositoryRecord>();
  /** Tags of ECR repositories by ARN (ECR spells them `Key`/`Value`). */
  readonly ecrTags = new Map<string, { Key: string; Value: string }[]>();

  /**
   * @param accountId - the account, e.g. `123456789012`
   * @param region - the region, e.g. `eu-west-1`
   */
  constructor(
    readonly accountId: string,
    readonly region: string,
  ) {}

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

  /** `...:task-definition/<family>:<revision>` */
  taskDefinitionArn(family: string, revision: number): string {
    return `${this.ecsArnPrefix}task-definition/${family}:${revision}`;
  }

  /** The long-format task ARN: `...:task/<cluster>/<id>`. */
  taskArn(cluster: string, id: string): string {
    return `${this.ecsArnPrefix}task/${cluster}/${id}`;
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
    return this.services.get(this.serviceArn(clusterName, ref));
  }

  /** The services of a cluster, in creation order. */
  servicesOf(clusterName: string): ServiceRecord[] {
    return [...this.services.values()].filter((s) => s.clusterName === clusterName);
  }

  /** The tasks of a service (all deployments), stopped ones included. */
  tasksOfService(serviceArn: string): TaskRecord[] {
    return [...this.tasks.values()].filter((t) => t.serviceArn === serviceArn);
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
      return {
        name,
        image,
        behaviour: HEALTHY,
        pullError:
          `CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref ` +
          `${what}: ${what}: not found`,
      };
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
