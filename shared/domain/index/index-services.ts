/**
 * The repository -> services index. Deploy on push looks up the services that use a repository here,
 * so the AWS calls for one push grow with those services, not with the size of the account. Kept
 * current from ECS events (CloudTrail API calls, deployment state changes) and a periodic reconcile.
 * Seeing every service when its tags change, it also tells people about the tags autopilot cannot use
 * (`Configuration Problem`), once per problem, and once more when it is resolved.
 */
import type { PolicyFile } from '../../config/policy-file';
import { type AutopilotEvent, CONFIGURATION_PROBLEM } from '../../events/autopilot-events';
import type {
  ConfigurationProblems,
  EventPublisher,
  RollbackHistory,
  ServiceIndex,
  ServiceInventory,
  ServiceReader,
  ServiceRef,
  ServiceState,
  TaskDefinitionDocument,
} from '../../ports';
import { repositoryKey } from '../aws/ecr-repository';
import { parseEcrRegistry, parseImageReference } from '../aws/image-reference';
import { notFollowed } from '../policy/effective-policy';
import { checkServiceTags, type TagProblem } from '../policy/tag-problems';
import { alarmsOf, rollbackSettings } from '../rollback/rollback-policy';

/** What indexing needs. */
export interface IndexDeps {
  ecs: ServiceReader;
  inventory: ServiceInventory;
  /** the repository index (deploy on push) and the alarm index (rollback) */
  index: ServiceIndex;
  /** the configuration problems announced */
  problems: ConfigurationProblems;
  /** the first known good revision of a service watched for rollback */
  rollbacks: RollbackHistory;
  /** announces configuration problems */
  events: EventPublisher;
  now: () => Date;
  policyFile: PolicyFile;
  dryRun: boolean;
}

/** What happened to one configuration problem of a service's tag. */
export interface ProblemDecision {
  tagKey: string;
  tagValue: string;
  /** announced now; known (announced before); resolved (gone, announced as such) */
  action: 'announced' | 'known' | 'resolved';
  problem: string;
}

/** The outcome for one service. */
export interface IndexDecision {
  service: string;
  action: 'indexed' | 'removed';
  repositories: string[];
  reason: string;
  /** the service's configuration problems, when it has (or had) some */
  problems?: ProblemDecision[];
}

/** Input of {@link indexServices}. */
export interface IndexInput {
  refs: readonly ServiceRef[];
  /** id of the event that asked for it: announcements name it */
  triggeredBy: string;
}

/**
 * The private ECR repositories (as index keys) a task definition's containers use.
 *
 * @example repositoriesOf([{ image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:main' }])
 * // ['123456789012:eu-west-1:team/api']
 */
export function repositoriesOf(containers: readonly { image: string }[]): string[] {
  const keys = new Set<string>();
  for (const { image } of containers) {
    const ref = parseImageReference(image);
    if (!ref.ok) continue;
    const registry = parseEcrRegistry(ref.value.registry);
    if (registry) keys.add(repositoryKey({ ...registry, repositoryName: ref.value.repository }));
  }
  return [...keys].sort();
}

/**
 * Re-indexes the given services: opted-in services are indexed under the repositories of their
 * task definition, the others (and vanished ones, when given by ARN) are removed. Tags autopilot
 * cannot use are announced once (`Configuration Problem`), and once more when they are fixed.
 */
export async function indexServices(input: IndexInput, deps: IndexDeps): Promise<IndexDecision[]> {
  const { refs, triggeredBy } = input;
  if (refs.length === 0) return [];
  const services = await deps.ecs.describeServices(refs);
  const documents = new Map<string, Promise<TaskDefinitionDocument | undefined>>();
  const decisions: IndexDecision[] = [];
  const events: AutopilotEvent[] = [];
  try {
    for (const service of services) {
      if (!deps.dryRun) await watchHealth(service, deps);
      const problems = await reviewTags(service, triggeredBy, deps, events);
      const withProblems = problems.length > 0 ? { problems } : {};
      const reason = notFollowed(service, deps.policyFile);
      if (reason) {
        if (!deps.dryRun) await deps.index.unindexRepositories(service.arn);
        decisions.push({
          service: service.arn,
          action: 'removed',
          repositories: [],
          reason,
          ...withProblems,
        });
        continue;
      }
      let doc = documents.get(service.taskDefinitionArn);
      if (!doc) {
        doc = deps.ecs.describeTaskDefinition(service.taskDefinitionArn);
        documents.set(service.taskDefinitionArn, doc);
      }
      const repositories = repositoriesOf((await doc)?.definition.containerDefinitions ?? []);
      const indexed = { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name };
      if (!deps.dryRun) await deps.index.indexRepositories(indexed, repositories);
      decisions.push({
        service: service.arn,
        action: 'indexed',
        repositories,
        reason: 'opted in',
        ...withProblems,
      });
    }
    const found = new Set(services.map((s) => s.arn));
    for (const ref of refs) {
      if (ref.service.startsWith('arn:') && !found.has(ref.service)) {
        if (!deps.dryRun) {
          await deps.index.unindexRepositories(ref.service);
          await forgetProblems(ref.service, deps);
        }
        decisions.push({
          service: ref.service,
          action: 'removed',
          repositories: [],
          reason: 'service not found',
        });
      }
    }
  } finally {
    // Also when a later service aborts the run: the problems remembered so far must not go unsaid
    // (a retry of this event announces them again rather than never).
    if (events.length > 0) await deps.events.publish(events);
  }
  return decisions;
}

/**
 * Compares the tag problems of a service with those announced before: a new one (or a new value) is
 * announced, a known one is only kept from expiring, one that is gone is forgotten and announced as
 * resolved. A service no longer ACTIVE has its problems forgotten without a word. In a dry run the
 * same is decided from what is remembered, and nothing is written.
 */
async function reviewTags(
  service: ServiceState,
  triggeredBy: string,
  deps: IndexDeps,
  events: AutopilotEvent[],
): Promise<ProblemDecision[]> {
  const found = checkServiceTags(service, deps.policyFile);
  const announced = await deps.problems.announcedProblems(service.arn);
  const base = { cluster: service.clusterName, service: service.name, serviceArn: service.arn };
  const common = { ...base, dryRun: deps.dryRun, triggeredBy };
  const decisions: ProblemDecision[] = [];
  for (const problem of found) {
    const news = deps.dryRun
      ? !announced.some((a) => a.tagKey === problem.tagKey && a.tagValue === problem.tagValue)
      : await deps.problems.rememberProblem({ ...base, ...recordOf(problem), triggeredBy });
    decisions.push({ ...recordOf(problem), action: news ? 'announced' : 'known' });
    if (news)
      events.push({ detailType: CONFIGURATION_PROBLEM, detail: { ...common, ...problem, resolved: false } });
  }
  for (const gone of announced.filter((a) => !found.some((p) => p.tagKey === a.tagKey))) {
    const forgotten = deps.dryRun || (await deps.problems.forgetProblem(service.arn, gone.tagKey));
    if (!forgotten || service.status !== 'ACTIVE') continue;
    const { tagKey, tagValue, problem } = gone;
    decisions.push({ tagKey, tagValue, problem, action: 'resolved' });
    events.push({
      detailType: CONFIGURATION_PROBLEM,
      detail: { ...common, tagKey, tagValue, problem, resolved: true },
    });
  }
  return decisions;
}

const recordOf = ({ tagKey, tagValue, problem }: TagProblem) => ({ tagKey, tagValue, problem });

/** A service that no longer exists has nothing left to fix: its problems are forgotten silently. */
async function forgetProblems(serviceArn: string, deps: IndexDeps): Promise<void> {
  for (const problem of await deps.problems.announcedProblems(serviceArn))
    await deps.problems.forgetProblem(serviceArn, problem.tagKey);
}

/**
 * Keeps the alarm index of a service and, for a service watched for the first time whose primary
 * deployment completed longer than a bake time ago, records that revision as known good: it has
 * been running steadily, and without it the first bad deployment would have nothing to return to.
 */
async function watchHealth(service: ServiceState, deps: IndexDeps): Promise<void> {
  const settings = rollbackSettings(deps.policyFile, service);
  const indexed = { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name };
  await deps.index.indexAlarms(indexed, settings.enabled ? alarmsOf(deps.policyFile, service) : []);
  if (!settings.enabled) return;
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  const now = deps.now();
  const settledAt = primary?.updatedAt ?? primary?.createdAt;
  if (primary?.rolloutState !== 'COMPLETED' || !settledAt) return;
  if (new Date(settledAt).getTime() + settings.bakeTimeMs > now.getTime()) return;
  if (await deps.rollbacks.lastKnownGood(service.arn)) return;
  await deps.rollbacks.setLastKnownGood(service.arn, {
    taskDefinitionArn: primary.taskDefinitionArn,
    deploymentId: primary.id,
    at: now.toISOString(),
  });
}

/** Walks every cluster and service of the account and re-indexes them all. */
export async function reconcileIndex(
  input: Pick<IndexInput, 'triggeredBy'>,
  deps: IndexDeps,
): Promise<IndexDecision[]> {
  const decisions: IndexDecision[] = [];
  for (const clusterArn of await deps.inventory.listClusters()) {
    const serviceArns = await deps.inventory.listServices(clusterArn);
    const refs = serviceArns.map((service) => ({ cluster: clusterArn, service }));
    decisions.push(...(await indexServices({ refs, triggeredBy: input.triggeredBy }, deps)));
  }
  return decisions;
}
