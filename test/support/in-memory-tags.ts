/**
 * In-memory fakes of the tag policy ports (issue 14): an account of ECS and ECR resources with their
 * tags (`InMemoryTagAccount`), read by `InMemoryEcsTaggedResources` and `InMemoryEcrTaggedResources`
 * in the pages and batches the AWS adapters use (each describe counted as the call it stands for, and
 * refused over AWS's batch size, so a fake sweep cannot be cheaper than the real one), written by
 * `InMemoryTagWriter` (old-format ARNs and the 50-tag limit refused in ECS's words), acted on by
 * `InMemoryTagEnforcer`, and `InMemoryTagMarkStore` with the DynamoDB adapter's conditions. The
 * contract suites in test/contract/tags-*.test.ts run them beside the real adapters.
 */
import { parseTaskDefinition } from '../../shared/domain/aws/arn';
import type { TagResourceView } from '../../shared/domain/tags/evaluate';
import {
  ECS_TAG_RESOURCE_TYPES,
  isAwsOwned,
  MAX_USER_TAGS,
  type TagResourceType,
} from '../../shared/domain/tags/tag-rules';
import type {
  EnforceResult,
  ScaledToZero,
  TagEnforcer,
  TaggedResourcePage,
  TaggedResourceReader,
  TagMarkStore,
  TagRecord,
  TagSweepCheckpoint,
  TagSweepStore,
  TagWriteResult,
  TagWriter,
} from '../../shared/ports';

const ECS = 'arn:aws:ecs:eu-west-1:123456789012:';
const ECR = 'arn:aws:ecr:eu-west-1:123456789012:';
type Tags = Record<string, string>;

interface Resource {
  arn: string;
  type: TagResourceType;
  name: string;
  tags: Tags;
  cluster?: string;
  /** a task's service (its group `service:<name>`) */
  service?: string;
  /** a task's revision */
  taskDefinition?: string;
  desiredCount?: number;
  stopped?: string;
  /** an old-format ARN (services and tasks of an account that never opted in) */
  oldFormat?: boolean;
}

/** AWS's batch sizes, which the fake API refuses to exceed. */
const BATCH = {
  DescribeClusters: 100,
  DescribeServices: 10,
  DescribeTasks: 100,
  DescribeCapacityProviders: 10,
};

/** An account's ECS and ECR resources with their tags, and the calls made to read and change them. */
export class InMemoryTagAccount {
  readonly resources = new Map<string, Resource>();
  /** calls by `<service>:<operation>`, as the real adapters would make them */
  readonly calls = new Map<string, number>();
  private readonly revisions = new Map<string, number>();

  /** Counts one call; `batch` checks AWS's batch size for the operation. */
  call(operation: string, batch = 1): void {
    const max = (BATCH as Record<string, number>)[operation.split(':')[1] ?? ''];
    if (max !== undefined && batch > max) throw new Error(`${operation} takes at most ${max}, not ${batch}`);
    this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
  }

  /** Calls of every operation whose name starts with `prefix` (`ecs:Describe`). */
  callsOf(prefix: string): number {
    return [...this.calls].filter(([op]) => op.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0);
  }

  private add(resource: Resource): string {
    this.resources.set(resource.arn, resource);
    return resource.arn;
  }

  addCluster(name: string, tags: Tags = {}): string {
    return this.add({ arn: `${ECS}cluster/${name}`, type: 'ecs:cluster', name, tags: { ...tags } });
  }

  addService(
    cluster: string,
    name: string,
    options: { tags?: Tags; desiredCount?: number; oldFormat?: boolean } = {},
  ): string {
    const arn = options.oldFormat ? `${ECS}service/${name}` : `${ECS}service/${cluster}/${name}`;
    return this.add({
      arn,
      type: 'ecs:service',
      name,
      cluster,
      tags: { ...options.tags },
      desiredCount: options.desiredCount ?? 1,
      ...(options.oldFormat ? { oldFormat: true } : {}),
    });
  }

  /** Registers the next revision of `family`. */
  addTaskDefinition(family: string, tags: Tags = {}): string {
    const revision = (this.revisions.get(family) ?? 0) + 1;
    this.revisions.set(family, revision);
    const arn = `${ECS}task-definition/${family}:${revision}`;
    return this.add({ arn, type: 'ecs:task-definition', name: family, tags: { ...tags } });
  }

  addTask(
    cluster: string,
    taskDefinition: string,
    options: { id: string; service?: string; tags?: Tags; oldFormat?: boolean },
  ): string {
    const arn = options.oldFormat ? `${ECS}task/${options.id}` : `${ECS}task/${cluster}/${options.id}`;
    return this.add({
      arn,
      type: 'ecs:task',
      name: parseTaskDefinition(taskDefinition)?.family ?? '',
      cluster,
      taskDefinition,
      tags: { ...options.tags },
      ...(options.service ? { service: options.service } : {}),
      ...(options.oldFormat ? { oldFormat: true } : {}),
    });
  }

  addCapacityProvider(name: string, tags: Tags = {}): string {
    return this.add({ arn: `${ECS}capacity-provider/${name}`, type: 'ecs:capacity-provider', name, tags });
  }

  addRepository(name: string, tags: Tags = {}): string {
    return this.add({ arn: `${ECR}repository/${name}`, type: 'ecr:repository', name, tags: { ...tags } });
  }

  tagsOf(arn: string): Tags | undefined {
    const found = this.resources.get(arn);
    return found ? { ...found.tags } : undefined;
  }

  get(arn: string): Resource | undefined {
    return this.resources.get(arn);
  }

  /** The resource of `arn`, which a test made (a test that names a missing one is wrong). */
  must(arn: string): Resource {
    const found = this.resources.get(arn);
    if (!found) throw new Error(`the account has no ${arn}`);
    return found;
  }

  /** Resources of `type`, sorted by ARN (the order a listing gives). */
  ofType(type: TagResourceType, cluster?: string): Resource[] {
    return [...this.resources.values()]
      .filter((r) => r.type === type && (cluster === undefined || r.cluster === cluster) && !r.stopped)
      .sort((a, b) => (a.arn < b.arn ? -1 : 1));
  }

  clusterArn(name: string): string {
    return `${ECS}cluster/${name}`;
  }
}

/** A page step of the fake ECS sweep: clusters, then each cluster's services and tasks, families, providers. */
type EcsStep =
  | { s: 'clusters'; i: number }
  | { s: 'services' | 'tasks'; c: number; i: number }
  | { s: 'families'; i: number }
  | { s: 'providers'; i: number };

const PAGE = 100;
/** Families a page of task definitions takes (each family's active revisions are described one by one). */
const FAMILIES_PER_PAGE = 10;

/** ECS's tagged resources in memory, paged and batched as `EcsTaggedResources` reads them. */
export class InMemoryEcsTaggedResources implements TaggedResourceReader {
  readonly types: readonly TagResourceType[] = ECS_TAG_RESOURCE_TYPES;
  private readonly clusterTags = new Map<string, Tags>();
  private readonly serviceTags = new Map<string, Tags>();
  private readonly definitionTags = new Map<string, Tags>();

  constructor(private readonly account: InMemoryTagAccount) {}

  reads(arn: string): boolean {
    return arn.startsWith('arn:aws:ecs:');
  }

  async readPage(token?: string): Promise<TaggedResourcePage> {
    const step: EcsStep = token ? JSON.parse(token) : { s: 'clusters', i: 0 };
    const page = this.read(step);
    return { resources: page.resources, ...(page.next ? { next: JSON.stringify(page.next) } : {}) };
  }

  private read(step: EcsStep): { resources: TagResourceView[]; next?: EcsStep } {
    const a = this.account;
    const clusters = a.ofType('ecs:cluster');
    const inCluster = (c: number, i: number): EcsStep =>
      c < clusters.length ? { s: 'services', c, i } : { s: 'families', i: 0 };
    switch (step.s) {
      case 'clusters': {
        const slice = clusters.slice(step.i, step.i + PAGE);
        a.call('ecs:ListClusters');
        if (slice.length > 0) a.call('ecs:DescribeClusters', slice.length);
        for (const c of slice) this.clusterTags.set(c.name, c.tags);
        const more = step.i + PAGE < clusters.length;
        return {
          resources: slice.map((c) => this.view(c)),
          next: more ? { s: 'clusters', i: step.i + PAGE } : inCluster(0, 0),
        };
      }
      case 'services':
      case 'tasks': {
        const cluster = clusters[step.c];
        if (!cluster) return { resources: [], next: { s: 'families', i: 0 } };
        const all = a.ofType(step.s === 'services' ? 'ecs:service' : 'ecs:task', cluster.name);
        const slice = all.slice(step.i, step.i + PAGE);
        a.call(step.s === 'services' ? 'ecs:ListServices' : 'ecs:ListTasks');
        if (step.s === 'services') {
          for (let i = 0; i < slice.length; i += 10)
            a.call('ecs:DescribeServices', slice.slice(i, i + 10).length);
        } else if (slice.length > 0) a.call('ecs:DescribeTasks', slice.length);
        const views = this.withParents(slice);
        // Read once per reader: the tasks of this cluster find their service's tags here.
        for (const r of step.s === 'services' ? slice : [])
          this.serviceTags.set(`${r.cluster}/${r.name}`, r.tags);
        const next: EcsStep =
          step.i + PAGE < all.length
            ? { ...step, i: step.i + PAGE }
            : step.s === 'services'
              ? { s: 'tasks', c: step.c, i: 0 }
              : inCluster(step.c + 1, 0);
        return { resources: views, next };
      }
      case 'families': {
        const families = [...new Set(a.ofType('ecs:task-definition').map((d) => d.name))].sort();
        const slice = families.slice(step.i, step.i + FAMILIES_PER_PAGE);
        a.call('ecs:ListTaskDefinitionFamilies');
        const resources: TagResourceView[] = [];
        for (const family of slice) {
          a.call('ecs:ListTaskDefinitions');
          const revisions = a.ofType('ecs:task-definition').filter((d) => d.name === family);
          for (const revision of revisions.filter((r) => !this.definitionTags.has(r.arn))) {
            a.call('ecs:DescribeTaskDefinition');
            this.definitionTags.set(revision.arn, revision.tags);
          }
          for (const revision of revisions) resources.push(this.revisionView(revision, revisions));
        }
        const more = step.i + FAMILIES_PER_PAGE < families.length;
        return {
          resources,
          next: more ? { s: 'families', i: step.i + FAMILIES_PER_PAGE } : { s: 'providers', i: 0 },
        };
      }
      case 'providers': {
        const providers = a.ofType('ecs:capacity-provider');
        const slice = providers.slice(step.i, step.i + 10);
        a.call('ecs:DescribeCapacityProviders', slice.length);
        const more = step.i + 10 < providers.length;
        return {
          resources: slice.map((p) => this.view(p)),
          ...(more ? { next: { s: 'providers', i: step.i + 10 } as EcsStep } : {}),
        };
      }
    }
  }

  /** Services and tasks with their parents' tags, each parent described once per reader. */
  private withParents(resources: Resource[]): TagResourceView[] {
    const a = this.account;
    const clusters = [...new Set(resources.flatMap((r) => (r.cluster ? [r.cluster] : [])))].filter(
      (c) => !this.clusterTags.has(c),
    );
    if (clusters.length > 0) a.call('ecs:DescribeClusters', clusters.length);
    for (const c of clusters) this.clusterTags.set(c, a.tagsOf(a.clusterArn(c)) ?? {});
    const services = [
      ...new Set(
        resources.flatMap((r) => (r.type === 'ecs:task' && r.service ? [`${r.cluster}/${r.service}`] : [])),
      ),
    ].filter((s) => !this.serviceTags.has(s));
    for (let i = 0; i < services.length; i += 10)
      a.call('ecs:DescribeServices', services.slice(i, i + 10).length);
    for (const s of services) {
      const [cluster = '', name = ''] = s.split('/');
      const found = a.ofType('ecs:service', cluster).find((r) => r.name === name);
      this.serviceTags.set(s, found?.tags ?? {});
    }
    for (const r of resources) {
      if (r.taskDefinition && !this.definitionTags.has(r.taskDefinition)) {
        a.call('ecs:DescribeTaskDefinition');
        this.definitionTags.set(r.taskDefinition, a.tagsOf(r.taskDefinition) ?? {});
      }
    }
    return resources.map((r) => this.view(r));
  }

  private view(r: Resource): TagResourceView {
    const parentTags: TagResourceView['parentTags'] = {};
    if (r.type === 'ecs:service' || r.type === 'ecs:task') {
      parentTags.cluster = { ...(this.clusterTags.get(r.cluster ?? '') ?? {}) };
    }
    if (r.type === 'ecs:task') {
      if (r.service) parentTags.service = { ...(this.serviceTags.get(`${r.cluster}/${r.service}`) ?? {}) };
      parentTags.taskDefinition = { ...(this.definitionTags.get(r.taskDefinition ?? '') ?? {}) };
    }
    return {
      type: r.type,
      arn: r.arn,
      name: r.name,
      ...(r.cluster && r.type !== 'ecs:cluster' ? { cluster: r.cluster } : {}),
      ...(r.service ? { service: r.service } : {}),
      ...(r.type === 'ecs:service' ? { desiredCount: r.desiredCount ?? 0 } : {}),
      tags: { ...r.tags },
      parentTags,
    };
  }

  /** A revision, its family's tags being those of its newest other active revision. */
  private revisionView(r: Resource, revisions: readonly Resource[]): TagResourceView {
    const others = revisions.filter((o) => o.arn !== r.arn);
    const newest = others.sort((x, y) => revisionOf(y) - revisionOf(x))[0];
    return { ...this.view(r), parentTags: newest ? { family: { ...newest.tags } } : {} };
  }

  async readResource(arn: string): Promise<TagResourceView | undefined> {
    const a = this.account;
    const r = a.get(arn);
    if (!r || r.stopped || r.type === 'ecr:repository') return undefined;
    if (r.type === 'ecs:task-definition') {
      a.call('ecs:DescribeTaskDefinition');
      a.call('ecs:ListTaskDefinitions');
      const revisions = a.ofType('ecs:task-definition').filter((d) => d.name === r.name);
      const newest = revisions
        .filter((o) => o.arn !== r.arn)
        .sort((x, y) => revisionOf(y) - revisionOf(x))[0];
      if (newest) a.call('ecs:DescribeTaskDefinition');
      return { ...this.view(r), parentTags: newest ? { family: { ...newest.tags } } : {} };
    }
    const operation = {
      'ecs:cluster': 'ecs:DescribeClusters',
      'ecs:service': 'ecs:DescribeServices',
      'ecs:task': 'ecs:DescribeTasks',
      'ecs:capacity-provider': 'ecs:DescribeCapacityProviders',
    }[r.type];
    a.call(operation);
    if (r.type === 'ecs:cluster' || r.type === 'ecs:capacity-provider') return this.view(r);
    return this.withParents([r])[0];
  }
}

const revisionOf = (r: Resource): number => parseTaskDefinition(r.arn)?.revision ?? 0;

/** ECR repositories in memory, a page of 100 with one ListTagsForResource each (ECR has no batch tag read). */
export class InMemoryEcrTaggedResources implements TaggedResourceReader {
  readonly types: readonly TagResourceType[] = ['ecr:repository'];

  constructor(private readonly account: InMemoryTagAccount) {}

  reads(arn: string): boolean {
    return arn.startsWith('arn:aws:ecr:');
  }

  async readPage(token?: string): Promise<TaggedResourcePage> {
    const at = token ? Number(JSON.parse(token).i) : 0;
    const all = this.account.ofType('ecr:repository');
    const slice = all.slice(at, at + PAGE);
    this.account.call('ecr:DescribeRepositories');
    for (const _ of slice) this.account.call('ecr:ListTagsForResource');
    const more = at + PAGE < all.length;
    return {
      resources: slice.map((r) => viewOfRepository(r)),
      ...(more ? { next: JSON.stringify({ i: at + PAGE }) } : {}),
    };
  }

  async readResource(arn: string): Promise<TagResourceView | undefined> {
    const r = this.account.get(arn);
    this.account.call('ecr:DescribeRepositories');
    if (r?.type !== 'ecr:repository') return undefined;
    this.account.call('ecr:ListTagsForResource');
    return viewOfRepository(r);
  }
}

const viewOfRepository = (r: Resource): TagResourceView => ({
  type: 'ecr:repository',
  arn: r.arn,
  name: r.name,
  tags: { ...r.tags },
  parentTags: {},
});

const OLD_FORMAT = 'Long arn format must be used for tagging operations';

/** TagResource / UntagResource in memory, refusing as ECS and ECR do. */
export class InMemoryTagWriter implements TagWriter {
  /** every write, in order */
  readonly written: Array<{ op: 'tag' | 'untag'; arn: string; tags?: Tags; keys?: string[] }> = [];

  constructor(
    private readonly account: InMemoryTagAccount,
    private readonly service: 'ecs' | 'ecr',
  ) {}

  writes(arn: string): boolean {
    return arn.startsWith(`arn:aws:${this.service}:`);
  }

  async tagResource(arn: string, tags: Readonly<Record<string, string>>): Promise<TagWriteResult> {
    this.account.call(`${this.service}:TagResource`);
    this.written.push({ op: 'tag', arn, tags: { ...tags } });
    const r = this.account.get(arn);
    if (!r) return { refused: `${arn} was not found` };
    if (r.oldFormat) return { refused: OLD_FORMAT };
    const after = { ...r.tags, ...tags };
    const count = Object.keys(after).filter((k) => !isAwsOwned(k)).length;
    if (count > MAX_USER_TAGS)
      return { refused: `${arn} would have ${count} tags; at most ${MAX_USER_TAGS}` };
    r.tags = after;
    return 'done';
  }

  async untagResource(arn: string, keys: readonly string[]): Promise<TagWriteResult> {
    this.account.call(`${this.service}:UntagResource`);
    this.written.push({ op: 'untag', arn, keys: [...keys] });
    const r = this.account.get(arn);
    if (!r) return { refused: `${arn} was not found` };
    if (r.oldFormat) return { refused: OLD_FORMAT };
    for (const key of keys) delete r.tags[key];
    return 'done';
  }
}

/** StopTask and UpdateService's desired count in memory. */
export class InMemoryTagEnforcer implements TagEnforcer {
  readonly stops: Array<{ taskArn: string; reason: string }> = [];
  readonly updates: Array<{ serviceArn: string; desiredCount: number }> = [];
  /** when set, UpdateService throws it once */
  failNextUpdate?: Error;

  constructor(private readonly account: InMemoryTagAccount) {}

  async stopTask(_cluster: string, taskArn: string, reason: string): Promise<EnforceResult> {
    this.account.call('ecs:StopTask');
    const task = this.account.get(taskArn);
    if (!task || task.stopped) return { gone: `task ${taskArn} has stopped already` };
    task.stopped = reason;
    this.stops.push({ taskArn, reason });
    return 'done';
  }

  async setDesiredCount(_cluster: string, serviceArn: string, desiredCount: number): Promise<EnforceResult> {
    this.account.call('ecs:UpdateService');
    const failure = this.failNextUpdate;
    if (failure) {
      this.failNextUpdate = undefined;
      throw failure;
    }
    const service = this.account.get(serviceArn);
    if (!service) return { gone: `service ${serviceArn} no longer exists` };
    service.desiredCount = desiredCount;
    this.updates.push({ serviceArn, desiredCount });
    return 'done';
  }
}

/** Tag policy records in memory, with the DynamoDB adapter's conditions. */
export class InMemoryTagMarkStore implements TagMarkStore {
  private readonly records = new Map<string, TagRecord>();
  /** recordsOf's reads, one per batch of 100 (BatchGetItem) */
  batchReads = 0;

  /** @param _options - the state fakes' options (this fake keeps no TTLs, so it needs no clock) */
  // biome-ignore lint/complexity/noUselessConstructor: the contract suites build every fake with options
  constructor(_options: { now?: () => Date } = {}) {}

  async recordsOf(arns: readonly string[]): Promise<Map<string, TagRecord>> {
    this.batchReads += Math.ceil(new Set(arns).size / 100);
    const found = new Map<string, TagRecord>();
    for (const arn of arns) {
      const record = this.records.get(arn);
      if (record && (Object.keys(record.marks).length > 0 || record.scaledToZero)) {
        found.set(arn, structuredClone(record));
      }
    }
    return found;
  }

  private recordOf(arn: string): TagRecord {
    let record = this.records.get(arn);
    if (!record) {
      record = { marks: {} };
      this.records.set(arn, record);
    }
    return record;
  }

  async markRecord(arn: string, rule: string, due: string): Promise<boolean> {
    const record = this.recordOf(arn);
    if (record.marks[rule] !== undefined) return false;
    record.marks[rule] = due;
    return true;
  }

  async clearMarkRecord(arn: string, rule: string, due: string): Promise<boolean> {
    const record = this.records.get(arn);
    if (record?.marks[rule] !== due) return false;
    delete record.marks[rule];
    return true;
  }

  async recordScaledToZero(arn: string, scaled: ScaledToZero): Promise<boolean> {
    const record = this.recordOf(arn);
    if (record.scaledToZero) return false;
    record.scaledToZero = { ...scaled };
    return true;
  }

  async clearScaledToZero(arn: string, rule: string): Promise<boolean> {
    const record = this.records.get(arn);
    if (record?.scaledToZero?.rule !== rule) return false;
    delete record.scaledToZero;
    return true;
  }
}

/** An account, its readers, writers, enforcer and mark store, together. */
export function aTagWorld() {
  const account = new InMemoryTagAccount();
  const ecsWriter = new InMemoryTagWriter(account, 'ecs');
  const ecrWriter = new InMemoryTagWriter(account, 'ecr');
  return {
    account,
    readers: [new InMemoryEcsTaggedResources(account), new InMemoryEcrTaggedResources(account)],
    ecsWriter,
    ecrWriter,
    writers: [ecsWriter, ecrWriter],
    enforcer: new InMemoryTagEnforcer(account),
    marks: new InMemoryTagMarkStore(),
  };
}

/** The tag policy sweep's checkpoint and lease in memory, with the DynamoDB adapter's conditions. */
export class InMemoryTagSweep implements TagSweepStore {
  private sweep?: TagSweepCheckpoint;
  private lease?: { owner: string; until: string };

  /** @param _options - the state fakes' options (the lease is compared with the `now` it is given) */
  // biome-ignore lint/complexity/noUselessConstructor: the contract suites build every fake with options
  constructor(_options: { now?: () => Date } = {}) {}

  async currentSweep(): Promise<TagSweepCheckpoint | undefined> {
    return this.sweep && structuredClone(this.sweep);
  }

  async claimSweep(
    owner: string,
    now: string,
    until: string,
  ): Promise<{ sweep?: TagSweepCheckpoint } | undefined> {
    // Free, run out, or held by the same event (a retry).
    if (this.lease && this.lease.until >= now && this.lease.owner !== owner) return undefined;
    this.lease = { owner, until };
    return this.sweep ? { sweep: structuredClone(this.sweep) } : {};
  }

  async saveSweep(owner: string, sweep: TagSweepCheckpoint): Promise<boolean> {
    if (this.lease?.owner !== owner) return false;
    this.sweep = structuredClone(sweep);
    return true;
  }

  async releaseSweep(owner: string): Promise<boolean> {
    if (this.lease?.owner !== owner) return false;
    this.lease = undefined;
    return true;
  }
}
