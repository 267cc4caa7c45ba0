/**
 * Tag policies on Amazon ECS (issue 14): {@link TaggedResourceReader} (the sweep's pages and one
 * resource by ARN, with its parents' tags), {@link TagWriter} (TagResource / UntagResource) and
 * {@link TagEnforcer} (StopTask, UpdateService's desired count).
 *
 * A sweep reads, page by page: clusters (ListClusters 100, DescribeClusters 100 with TAGS), then per
 * cluster its services (ListServices 100, DescribeServices 10 a call with TAGS) and its tasks
 * (ListTasks 100, DescribeTasks 100 with TAGS; the parents of a task are its cluster, its service
 * and its revision), then task definitions by family (ListTaskDefinitionFamilies 10 families a page,
 * ListTaskDefinitions ACTIVE of each, DescribeTaskDefinition with TAGS one per revision: ECS has no
 * batch describe for them), then capacity providers (DescribeCapacityProviders 10 with TAGS;
 * FARGATE and FARGATE_SPOT are AWS's, cannot be tagged, and are left out). Parents' tags are
 * described once per reader, which lives one invocation. A family's tags, for a revision's
 * inheritance, are those of its newest other active revision.
 *
 * Throttling is retried by the SDK's standard retry (clients.ts); an error left is mapped to a clear
 * message with the call it came from (aws-errors.ts).
 */
import {
  type Cluster,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  type Service,
  StopTaskCommand,
  type Tag,
  TagResourceCommand,
  type Task,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  clusterNameOf,
  parseClusterArn,
  parseServiceArn,
  parseTaskArn,
  parseTaskDefinition,
} from '../../domain/aws/arn';
import type { TagResourceView } from '../../domain/tags/evaluate';
import { ECS_TAG_RESOURCE_TYPES, type TagResourceType } from '../../domain/tags/tag-rules';
import type {
  EnforceResult,
  TagEnforcer,
  TaggedResourcePage,
  TaggedResourceReader,
  TagWriteResult,
  TagWriter,
} from '../../ports';
import { awsErrorName, classifyAwsError, PERMANENT_ECS_ERRORS, tagWriteOutcome } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

type Tags = Record<string, string>;

/** ECS's `{ key, value }` tags as a map. */
const tagsOf = (tags: readonly Tag[] | undefined): Tags =>
  Object.fromEntries((tags ?? []).flatMap((t) => (t.key ? [[t.key, t.value ?? '']] : [])));

/** Where the sweep stands: the JSON of a sweep token. */
type Step =
  | { s: 'clusters'; token?: string }
  | { s: 'services' | 'tasks'; cluster: string; token?: string; clusters?: string; at: number }
  | { s: 'families'; token?: string }
  | { s: 'providers'; token?: string };

const FAMILIES_PER_PAGE = 10;
/** Capacity providers AWS owns: no tags, none can be added. */
const AWS_PROVIDERS = new Set(['FARGATE', 'FARGATE_SPOT']);

const ecsClient = () => cachedClient('ecs', () => new ECSClient(clientConfig()));

/** Reads ECS resources with their tags through the AWS SDK. */
export class EcsTaggedResources implements TaggedResourceReader {
  readonly types: readonly TagResourceType[] = ECS_TAG_RESOURCE_TYPES;
  private readonly clusterTags = new Map<string, Tags>();
  private readonly serviceTags = new Map<string, Tags>();
  private readonly definitionTags = new Map<string, Tags>();

  /** @param client - the ECS client; the shared traced one by default */
  constructor(private readonly client: ECSClient = ecsClient()) {}

  reads(arn: string): boolean {
    return /^arn:aws[a-z-]*:ecs:/.test(arn);
  }

  async readPage(token?: string): Promise<TaggedResourcePage> {
    const step: Step = token ? (JSON.parse(token) as Step) : { s: 'clusters' };
    const page = await this.read(step);
    return { resources: page.resources, ...(page.next ? { next: JSON.stringify(page.next) } : {}) };
  }

  private async read(step: Step): Promise<{ resources: TagResourceView[]; next?: Step }> {
    switch (step.s) {
      case 'clusters': {
        const listed = await this.call('ListClusters', () =>
          this.client.send(new ListClustersCommand({ maxResults: 100, ...tokenOf(step.token) })),
        );
        const clusters = await this.describeClusters(listed.clusterArns ?? []);
        const next: Step = listed.nextToken
          ? { s: 'clusters', token: listed.nextToken }
          : ((await this.clusterAfter(undefined, -1)) ?? { s: 'families' });
        return { resources: clusters.map((c) => clusterView(c)), next };
      }
      case 'services': {
        const listed = await this.listIn('ListServices', step, (cluster, token) =>
          this.client.send(new ListServicesCommand({ cluster, maxResults: 100, ...tokenOf(token) })),
        );
        const arns = listed.map((out) => out.serviceArns ?? []);
        // ListClusters gives ARNs; a view names its cluster, and the parents are kept by name.
        const cluster = clusterNameOf(step.cluster);
        const services = await this.describeServices(cluster, arns.arns);
        await this.ensureClusters([cluster]);
        for (const s of services) this.serviceTags.set(`${cluster}/${s.serviceName}`, tagsOf(s.tags));
        const next: Step = arns.next
          ? { ...step, token: arns.next }
          : { s: 'tasks', cluster: step.cluster, at: step.at, ...clustersOf(step) };
        return { resources: services.map((s) => this.serviceView(s, cluster)), next };
      }
      case 'tasks': {
        const listed = await this.listIn('ListTasks', step, (cluster, token) =>
          this.client.send(new ListTasksCommand({ cluster, maxResults: 100, ...tokenOf(token) })),
        );
        const arns = listed.map((out) => out.taskArns ?? []);
        const cluster = clusterNameOf(step.cluster);
        const tasks = await this.describeTasks(cluster, arns.arns);
        const views = await this.taskViews(cluster, tasks);
        const next: Step = arns.next
          ? { ...step, token: arns.next }
          : ((await this.clusterAfter(step.clusters, step.at)) ?? { s: 'families' });
        return { resources: views, next };
      }
      case 'families': {
        const listed = await this.call('ListTaskDefinitionFamilies', () =>
          this.client.send(
            new ListTaskDefinitionFamiliesCommand({
              status: 'ACTIVE',
              maxResults: FAMILIES_PER_PAGE,
              ...tokenOf(step.token),
            }),
          ),
        );
        const resources: TagResourceView[] = [];
        for (const family of listed.families ?? []) resources.push(...(await this.familyViews(family)));
        return {
          resources,
          next: listed.nextToken ? { s: 'families', token: listed.nextToken } : { s: 'providers' },
        };
      }
      case 'providers': {
        const out = await this.call('DescribeCapacityProviders', () =>
          this.client.send(
            new DescribeCapacityProvidersCommand({
              include: ['TAGS'],
              maxResults: 10,
              ...tokenOf(step.token),
            }),
          ),
        );
        const resources = (out.capacityProviders ?? [])
          .filter((p) => p.name && !AWS_PROVIDERS.has(p.name))
          .map(
            (p): TagResourceView => ({
              type: 'ecs:capacity-provider',
              arn: p.capacityProviderArn ?? '',
              name: p.name ?? '',
              tags: tagsOf(p.tags),
              parentTags: {},
            }),
          );
        return { resources, ...(out.nextToken ? { next: { s: 'providers', token: out.nextToken } } : {}) };
      }
    }
  }

  /** A page of a cluster's listing; a token ECS no longer takes starts the cluster's listing again. */
  private async listIn<T extends { nextToken?: string }>(
    operation: string,
    step: Extract<Step, { cluster: string }>,
    list: (cluster: string, token?: string) => Promise<T>,
  ): Promise<{ map: (arns: (out: T) => string[]) => { arns: string[]; next?: string } }> {
    let out: T;
    try {
      out = await list(step.cluster, step.token);
    } catch (error) {
      const name = awsErrorName(error);
      if (name === 'ClusterNotFoundException') out = {} as T;
      else if (step.token && name === 'InvalidParameterException') out = await list(step.cluster);
      else throw classifyAwsError(error, `${operation} ${step.cluster}`, PERMANENT_ECS_ERRORS);
    }
    return {
      map: (arns) => ({ arns: arns(out), ...(out.nextToken ? { next: out.nextToken } : {}) }),
    };
  }

  /**
   * The services step of the cluster after position `at` of the ListClusters page `clusters` (its
   * token), or undefined after the last cluster. One ListClusters call: the cursor keeps no list of
   * clusters, so it stays small whatever the account.
   */
  private async clusterAfter(clusters: string | undefined, at: number): Promise<Step | undefined> {
    let token = clusters;
    let index = at + 1;
    for (;;) {
      const out = await this.call('ListClusters', () =>
        this.client.send(new ListClustersCommand({ maxResults: 100, ...tokenOf(token) })),
      );
      const cluster = out.clusterArns?.[index];
      if (cluster) return { s: 'services', cluster, at: index, ...(token ? { clusters: token } : {}) };
      if (!out.nextToken) return undefined;
      token = out.nextToken;
      index = 0;
    }
  }

  private async describeClusters(arns: readonly string[]): Promise<Cluster[]> {
    const clusters: Cluster[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await this.call('DescribeClusters', () =>
        this.client.send(
          new DescribeClustersCommand({ clusters: arns.slice(i, i + 100), include: ['TAGS'] }),
        ),
      );
      for (const c of out.clusters ?? []) {
        if (c.clusterName) this.clusterTags.set(c.clusterName, tagsOf(c.tags));
        clusters.push(c);
      }
    }
    return clusters;
  }

  /** Describes the clusters whose tags this reader has not read yet. */
  private async ensureClusters(names: readonly string[]): Promise<void> {
    const missing = [...new Set(names)].filter((n) => !this.clusterTags.has(n));
    if (missing.length > 0) await this.describeClusters(missing);
    for (const name of missing) if (!this.clusterTags.has(name)) this.clusterTags.set(name, {});
  }

  private async describeServices(cluster: string, arns: readonly string[]): Promise<Service[]> {
    const services: Service[] = [];
    for (let i = 0; i < arns.length; i += 10) {
      const out = await this.call(`DescribeServices ${cluster}`, () =>
        this.client.send(
          new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10), include: ['TAGS'] }),
        ),
      );
      services.push(...(out.services ?? []).filter((s) => s.status !== 'INACTIVE'));
    }
    return services;
  }

  private async describeTasks(cluster: string, arns: readonly string[]): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      const out = await this.call(`DescribeTasks ${cluster}`, () =>
        this.client.send(
          new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100), include: ['TAGS'] }),
        ),
      );
      tasks.push(...(out.tasks ?? []).filter((t) => t.lastStatus !== 'STOPPED'));
    }
    return tasks;
  }

  /** A revision's tags, described once per reader; undefined when it is gone. */
  private async definitionTagsOf(arn: string): Promise<Tags | undefined> {
    const known = this.definitionTags.get(arn);
    if (known) return known;
    try {
      const out = await this.client.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
      );
      const tags = tagsOf(out.tags);
      this.definitionTags.set(arn, tags);
      return out.taskDefinition ? tags : undefined;
    } catch (error) {
      if (awsErrorName(error) === 'ClientException') return undefined;
      throw classifyAwsError(error, `DescribeTaskDefinition ${arn}`, PERMANENT_ECS_ERRORS);
    }
  }

  private async taskViews(cluster: string, tasks: readonly Task[]): Promise<TagResourceView[]> {
    await this.ensureClusters([cluster]);
    const services = [...new Set(tasks.flatMap((t) => serviceOfGroup(t.group) ?? []))].filter(
      (s) => !this.serviceTags.has(`${cluster}/${s}`),
    );
    for (const s of await this.describeServices(cluster, services)) {
      this.serviceTags.set(`${cluster}/${s.serviceName}`, tagsOf(s.tags));
    }
    const views: TagResourceView[] = [];
    for (const task of tasks) {
      const service = serviceOfGroup(task.group);
      const definition = task.taskDefinitionArn ?? '';
      views.push({
        type: 'ecs:task',
        arn: task.taskArn ?? '',
        name: parseTaskDefinition(definition)?.family ?? '',
        cluster,
        ...(service ? { service } : {}),
        tags: tagsOf(task.tags),
        parentTags: {
          cluster: { ...this.clusterTags.get(cluster) },
          ...(service ? { service: { ...this.serviceTags.get(`${cluster}/${service}`) } } : {}),
          taskDefinition: { ...(await this.definitionTagsOf(definition)) },
        },
      });
    }
    return views;
  }

  private serviceView(s: Service, cluster: string): TagResourceView {
    return {
      type: 'ecs:service',
      arn: s.serviceArn ?? '',
      name: s.serviceName ?? '',
      cluster,
      desiredCount: s.desiredCount ?? 0,
      tags: tagsOf(s.tags),
      parentTags: { cluster: { ...this.clusterTags.get(cluster) } },
    };
  }

  /** A family's active revisions, each described (one call per revision: no batch describe). */
  private async familyViews(family: string): Promise<TagResourceView[]> {
    const arns: string[] = [];
    let token: string | undefined;
    do {
      const out = await this.call(`ListTaskDefinitions ${family}`, () =>
        this.client.send(
          new ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', ...tokenOf(token) }),
        ),
      );
      // familyPrefix is a prefix: `api` also lists `api-worker`'s revisions.
      arns.push(...(out.taskDefinitionArns ?? []).filter((a) => parseTaskDefinition(a)?.family === family));
      token = out.nextToken;
    } while (token);
    const described: Array<{ arn: string; tags: Tags }> = [];
    for (const arn of arns) {
      const tags = await this.definitionTagsOf(arn);
      if (tags) described.push({ arn, tags });
    }
    const newestFirst = [...described].sort((a, b) => revisionOf(b.arn) - revisionOf(a.arn));
    return described.map(({ arn, tags }) => {
      const newest = newestFirst.find((o) => o.arn !== arn);
      return {
        type: 'ecs:task-definition' as const,
        arn,
        name: family,
        tags,
        parentTags: newest ? { family: { ...newest.tags } } : {},
      };
    });
  }

  async readResource(arn: string): Promise<TagResourceView | undefined> {
    const cluster = parseClusterArn(arn);
    if (cluster) {
      const [found] = await this.describeClusters([arn]);
      return found && found.status !== 'INACTIVE' ? clusterView(found) : undefined;
    }
    // An old-format service ARN names no cluster: such a service is found by the sweep, not by ARN.
    const service = parseServiceArn(arn);
    if (service) {
      const [found] = await this.describeServices(service.cluster, [arn]);
      if (!found) return undefined;
      await this.ensureClusters([service.cluster]);
      return this.serviceView(found, service.cluster);
    }
    const task = parseTaskArn(arn);
    if (task) {
      if (!task.cluster) return undefined;
      const [found] = await this.describeTasks(task.cluster, [arn]);
      return found
        ? (await this.taskViews(clusterNameOf(found.clusterArn ?? task.cluster), [found]))[0]
        : undefined;
    }
    const revision = parseTaskDefinition(arn);
    if (revision && arn.includes(':task-definition/')) return this.revisionView(arn, revision.family);
    const provider = /:capacity-provider\/(.+)$/.exec(arn)?.[1];
    if (provider) {
      const out = await this.call('DescribeCapacityProviders', () =>
        this.client.send(
          new DescribeCapacityProvidersCommand({ capacityProviders: [arn], include: ['TAGS'] }),
        ),
      );
      const found = out.capacityProviders?.[0];
      return found?.name && !AWS_PROVIDERS.has(found.name)
        ? { type: 'ecs:capacity-provider', arn, name: found.name, tags: tagsOf(found.tags), parentTags: {} }
        : undefined;
    }
    return undefined;
  }

  /** One revision, with its family's newest other active revision's tags. */
  private async revisionView(arn: string, family: string): Promise<TagResourceView | undefined> {
    const tags = await this.definitionTagsOf(arn);
    if (!tags) return undefined;
    const out = await this.call(`ListTaskDefinitions ${family}`, () =>
      this.client.send(
        new ListTaskDefinitionsCommand({
          familyPrefix: family,
          status: 'ACTIVE',
          sort: 'DESC',
          maxResults: 10,
        }),
      ),
    );
    const newest = (out.taskDefinitionArns ?? []).find(
      (a) => a !== arn && parseTaskDefinition(a)?.family === family,
    );
    const familyTags = newest ? await this.definitionTagsOf(newest) : undefined;
    return {
      type: 'ecs:task-definition',
      arn,
      name: family,
      tags,
      parentTags: familyTags ? { family: { ...familyTags } } : {},
    };
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw classifyAwsError(error, what, PERMANENT_ECS_ERRORS);
    }
  }
}

const tokenOf = (token?: string) => (token ? { nextToken: token } : {});
const clustersOf = (step: { clusters?: string }) => (step.clusters ? { clusters: step.clusters } : {});
const revisionOf = (arn: string) => parseTaskDefinition(arn)?.revision ?? 0;
/** The service a task belongs to, from its group (`service:<name>`). */
const serviceOfGroup = (group?: string) => (group?.startsWith('service:') ? group.slice(8) : undefined);

const clusterView = (c: Cluster): TagResourceView => ({
  type: 'ecs:cluster',
  arn: c.clusterArn ?? '',
  name: c.clusterName ?? '',
  tags: tagsOf(c.tags),
  parentTags: {},
});

/**
 * ECS's answers to a tag write that no retry changes: an old-format ARN ("Long arn format must be
 * used for tagging operations"), a tag over a limit, a resource gone.
 */
const REFUSED = ['InvalidParameterException', 'ResourceNotFoundException', 'ClientException'];

/** ECS TagResource / UntagResource (at most 50 tags a call, ECS's limit). */
export class EcsTagWriter implements TagWriter {
  /** @param client - the ECS client; the shared traced one by default */
  constructor(private readonly client: ECSClient = ecsClient()) {}

  writes(arn: string): boolean {
    return /^arn:aws[a-z-]*:ecs:/.test(arn);
  }

  tagResource(arn: string, tags: Readonly<Record<string, string>>): Promise<TagWriteResult> {
    const list = Object.entries(tags).map(([key, value]) => ({ key, value }));
    return this.write(`TagResource ${arn}`, async () => {
      for (let i = 0; i < list.length; i += 50) {
        await this.client.send(new TagResourceCommand({ resourceArn: arn, tags: list.slice(i, i + 50) }));
      }
    });
  }

  untagResource(arn: string, keys: readonly string[]): Promise<TagWriteResult> {
    return this.write(`UntagResource ${arn}`, () =>
      this.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [...keys] })),
    );
  }

  private write(what: string, send: () => Promise<unknown>): Promise<TagWriteResult> {
    return tagWriteOutcome(what, send, REFUSED, PERMANENT_ECS_ERRORS);
  }
}

/** StopTask and UpdateService's desired count through the AWS SDK. */
export class EcsTagEnforcer implements TagEnforcer {
  /** @param client - the ECS client; the shared traced one by default */
  constructor(private readonly client: ECSClient = ecsClient()) {}

  async stopTask(cluster: string, taskArn: string, reason: string): Promise<EnforceResult> {
    try {
      const out = await this.client.send(new StopTaskCommand({ cluster, task: taskArn, reason }));
      // StopTask on a task stopped already answers it as it is (a task being stopped is not yet).
      return out.task?.lastStatus === 'STOPPED'
        ? { gone: `task ${taskArn} had stopped already: ${out.task.stoppedReason ?? 'no reason given'}` }
        : 'done';
    } catch (error) {
      const name = awsErrorName(error);
      if (name === 'ClusterNotFoundException' || name === 'InvalidParameterException') {
        return { gone: `task ${taskArn} is no longer there (${name})` };
      }
      throw classifyAwsError(error, `StopTask ${taskArn}`, PERMANENT_ECS_ERRORS);
    }
  }

  async setDesiredCount(cluster: string, serviceArn: string, desiredCount: number): Promise<EnforceResult> {
    try {
      await this.client.send(new UpdateServiceCommand({ cluster, service: serviceArn, desiredCount }));
      return 'done';
    } catch (error) {
      const name = awsErrorName(error);
      if (
        name === 'ServiceNotFoundException' ||
        name === 'ServiceNotActiveException' ||
        name === 'ClusterNotFoundException'
      ) {
        return { gone: `service ${serviceArn} is no longer there (${name})` };
      }
      throw classifyAwsError(
        error,
        `UpdateService ${serviceArn} desiredCount ${desiredCount}`,
        PERMANENT_ECS_ERRORS,
      );
    }
  }
}
