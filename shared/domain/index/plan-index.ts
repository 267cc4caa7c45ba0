/**
 * Indexing, planned: what re-indexing some services calls for, from reads only. Per service: its
 * configuration problems compared with those announced before (one decision each: announce, keep,
 * resolve), the alarm index and the first known good revision rollback needs, and the repository
 * index deploy on push reads. Its dependencies are read views of the ports, so planning cannot write;
 * `index-effects.ts` carries the plan out.
 */
import type { PolicyFile } from '../../config/policy-file';
import type { AutopilotEvent } from '../../events/autopilot-events';
import type {
  AnnouncedProblem,
  ConfigurationProblems,
  IndexedService,
  LastKnownGood,
  RollbackHistory,
  ServiceReader,
  ServiceRef,
  ServiceState,
  TaskDefinitionDocument,
} from '../../ports';
import { repositoryKey } from '../aws/ecr-repository';
import { parseEcrRegistry, parseImageReference } from '../aws/image-reference';
import type { Decided, Plan } from '../plan/plan';
import { notFollowed } from '../policy/effective-policy';
import { checkServiceTags } from '../policy/tag-problems';
import { alarmsOf, rollbackSettings } from '../rollback/rollback-policy';

/** What indexing decides about one service. */
export interface ServiceIndexing extends Decided {
  action: 'indexed' | 'removed';
  /** the service's ARN */
  service: string;
  repositories: string[];
  reason: string;
}

/** A `Configuration Problem` as published, without its `dryRun`. */
export type ProblemAnnouncement = Omit<
  Extract<AutopilotEvent, { detailType: 'Configuration Problem' }>['detail'],
  'dryRun'
>;

/**
 * What happens to one configuration problem of a service's tag: announced (new, or a new value),
 * known (announced before: kept from expiring), resolved (gone: announced as such, then forgotten),
 * or resolved elsewhere (another run claimed or forgot it first: nothing to say).
 */
export interface ProblemOutcome extends Decided {
  action: 'announced' | 'known' | 'resolved' | 'resolved-elsewhere';
  /** the service's ARN */
  service: string;
  reason: string;
  /** what is announced when the outcome is `announced` or `resolved` */
  announcement: ProblemAnnouncement;
}

/** One decision of an indexing plan. */
export type IndexStep = ServiceIndexing | ProblemOutcome;

/** What indexing calls for, in order. */
export type IndexEffect =
  | {
      /** remembers a problem as announced: it is news (to announce) unless another event announced it */
      kind: 'remember-problem';
      decision: number;
      problem: AnnouncedProblem;
    }
  | {
      /**
       * claims the announcement of a gone problem's resolution for this event (the problem is forgotten
       * after the announcement): lost when another run claimed it, or forgot it, first
       */
      kind: 'resolve-problem';
      decision: number;
      serviceArn: string;
      tagKey: string;
      triggeredBy: string;
    }
  | {
      /** forgets a problem without a word (the service is no longer active, or gone) */
      kind: 'forget-problem';
      decision: number;
      serviceArn: string;
      tagKey: string;
    }
  | { kind: 'index-alarms'; decision: number; service: IndexedService; alarmNames: string[] }
  | {
      /** the first known good revision of a service watched for the first time (never backwards) */
      kind: 'set-last-known-good';
      decision: number;
      serviceArn: string;
      good: LastKnownGood;
    }
  | { kind: 'index-repositories'; decision: number; service: IndexedService; repositoryKeys: string[] }
  | { kind: 'unindex-repositories'; decision: number; serviceArn: string };

/** An indexing plan. */
export type IndexPlan = Plan<IndexStep, IndexEffect>;

/** What planning reads: read views of the ports, so that planning cannot write. */
export interface IndexReads {
  ecs: ServiceReader;
  problems: Pick<ConfigurationProblems, 'announcedProblems'>;
  rollbacks: Pick<RollbackHistory, 'lastKnownGood'>;
  policyFile: PolicyFile;
  now: () => Date;
}

/** Input of {@link planIndexing}. */
export interface IndexInput {
  refs: readonly ServiceRef[];
  /** id of the event that asked for it: announcements name it */
  triggeredBy: string;
  /**
   * The refs described already (the reconcile describes a page of services before it knows which
   * changed): DescribeServices is not called again, and a ref by ARN not among them is not found.
   */
  described?: readonly ServiceState[];
  /**
   * The repositories of revisions known already (revisions never change), filled in as revisions are
   * described: the reconcile shares it across its pages, so DescribeTaskDefinition is called once per
   * revision not yet indexed.
   */
  revisions?: Map<string, string[]>;
  /**
   * The problems announced for some of the services, read for them all at once (the reconcile reads
   * a cluster's with one query); a service not in it has its own read.
   */
  announced?: ReadonlyMap<string, AnnouncedProblem[]>;
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
 * Plans the re-indexing of the given services: opted-in services are indexed under the repositories
 * of their task definition, the others (and vanished ones, when given by ARN) are removed; each
 * service's configuration problems come first, one decision each, so a failure while indexing
 * still leaves what was remembered announced.
 *
 * @example
 * const plan = await planIndexing({ refs, triggeredBy: event.id }, deps);
 * // decisions: [{ action: 'announced', … }, { action: 'indexed', service: 'arn:…', repositories: […] }]
 */
export async function planIndexing(input: IndexInput, deps: IndexReads): Promise<IndexPlan> {
  const { refs, triggeredBy } = input;
  const plan: IndexPlan = { decisions: [], effects: [] };
  if (refs.length === 0) return plan;
  const services = input.described ? [...input.described] : await deps.ecs.describeServices(refs);
  const documents = new Map<string, Promise<TaskDefinitionDocument | undefined>>();
  const revisions = input.revisions ?? new Map<string, string[]>();
  for (const service of services) {
    const indexed = { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name };
    const health = await watchHealth(service, indexed, deps);
    const review = await reviewTags(service, triggeredBy, plan.decisions.length, input.announced, deps);
    const reason = notFollowed(service, deps.policyFile);
    let repositories: string[] = [];
    if (!reason) {
      const known = revisions.get(service.taskDefinitionArn);
      if (known) repositories = [...known];
      else {
        let doc = documents.get(service.taskDefinitionArn);
        if (!doc) {
          doc = deps.ecs.describeTaskDefinition(service.taskDefinitionArn);
          documents.set(service.taskDefinitionArn, doc);
        }
        const found = await doc;
        repositories = repositoriesOf(found?.definition.containerDefinitions ?? []);
        // A revision that does not exist (any more) is not remembered: it may be a read too early.
        if (found) revisions.set(service.taskDefinitionArn, repositories);
      }
    }
    const decision = plan.decisions.length + review.outcomes.length;
    plan.decisions.push(
      ...review.outcomes,
      reason
        ? { service: service.arn, action: 'removed', repositories: [], reason }
        : { service: service.arn, action: 'indexed', repositories, reason: 'opted in' },
    );
    plan.effects.push(
      ...health.map((effect) => ({ ...effect, decision })),
      ...review.effects,
      ...review.silent.map((tagKey) => ({
        kind: 'forget-problem' as const,
        decision,
        serviceArn: service.arn,
        tagKey,
      })),
      reason
        ? { kind: 'unindex-repositories', decision, serviceArn: service.arn }
        : { kind: 'index-repositories', decision, service: indexed, repositoryKeys: repositories },
    );
  }
  const found = new Set(services.map((s) => s.arn));
  for (const ref of refs) {
    if (!ref.service.startsWith('arn:') || found.has(ref.service)) continue;
    const decision = plan.decisions.length;
    plan.decisions.push({
      service: ref.service,
      action: 'removed',
      repositories: [],
      reason: 'service not found',
    });
    plan.effects.push({ kind: 'unindex-repositories', decision, serviceArn: ref.service });
    // A service that no longer exists has nothing left to fix: its problems are forgotten silently.
    const announced =
      input.announced?.get(ref.service) ?? (await deps.problems.announcedProblems(ref.service));
    for (const problem of announced) {
      plan.effects.push({
        kind: 'forget-problem',
        decision,
        serviceArn: ref.service,
        tagKey: problem.tagKey,
      });
    }
  }
  return plan;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * Compares the tag problems of a service with those announced before: a new one (or a new value, or
 * one this very event announced: a retry, whose announcement may not have gone out) is announced, a
 * known one is only kept from expiring, one that is gone is announced as resolved (its resolution
 * claimed first, the problem forgotten after the announcement: `indexServices`). A
 * service no longer ACTIVE has its problems forgotten without a word (`silent`: their tag keys).
 * The outcomes are the decisions `first`, `first + 1`…
 */
async function reviewTags(
  service: ServiceState,
  triggeredBy: string,
  first: number,
  known: ReadonlyMap<string, AnnouncedProblem[]> | undefined,
  deps: IndexReads,
): Promise<{ outcomes: ProblemOutcome[]; effects: IndexEffect[]; silent: string[] }> {
  const found = checkServiceTags(service, deps.policyFile);
  const announced = known?.get(service.arn) ?? (await deps.problems.announcedProblems(service.arn));
  const base = { cluster: service.clusterName, service: service.name, serviceArn: service.arn };
  const outcomes: ProblemOutcome[] = [];
  const effects: IndexEffect[] = [];
  const silent: string[] = [];
  for (const problem of found) {
    const { tagKey, tagValue } = problem;
    const before = announced.find((a) => a.tagKey === tagKey && a.tagValue === tagValue);
    const news = !before || before.triggeredBy === triggeredBy;
    effects.push({
      kind: 'remember-problem',
      decision: first + outcomes.length,
      problem: { ...base, tagKey, tagValue, problem: problem.problem, triggeredBy },
    });
    outcomes.push({
      service: service.arn,
      action: news ? 'announced' : 'known',
      reason: news ? NOT_ANNOUNCED : `announced before by ${before?.triggeredBy}`,
      announcement: { ...base, ...problem, resolved: false, triggeredBy },
    });
  }
  for (const gone of announced.filter((a) => !found.some((p) => p.tagKey === a.tagKey))) {
    const { tagKey, tagValue, problem } = gone;
    if (service.status !== 'ACTIVE') {
      silent.push(tagKey);
      continue;
    }
    effects.push({
      kind: 'resolve-problem',
      decision: first + outcomes.length,
      serviceArn: service.arn,
      tagKey,
      triggeredBy,
    });
    outcomes.push({
      service: service.arn,
      action: 'resolved',
      reason: 'the tag no longer has the problem announced',
      announcement: { ...base, tagKey, tagValue, problem, resolved: true, triggeredBy },
    });
  }
  return { outcomes, effects, silent };
}

/** The reason of a problem announced now. */
export const NOT_ANNOUNCED = 'not announced yet';

/**
 * Keeps the alarm index of a service and, for a service watched for the first time whose primary
 * deployment completed longer than a bake time ago, records that revision as known good: it has
 * been running steadily, and without it the first bad deployment would have nothing to return to.
 */
async function watchHealth(
  service: ServiceState,
  indexed: IndexedService,
  deps: IndexReads,
): Promise<
  DistributiveOmit<Extract<IndexEffect, { kind: 'index-alarms' | 'set-last-known-good' }>, 'decision'>[]
> {
  const settings = rollbackSettings(deps.policyFile, service);
  const alarms = {
    kind: 'index-alarms',
    service: indexed,
    alarmNames: settings.enabled ? alarmsOf(deps.policyFile, service) : [],
  } as const;
  if (!settings.enabled) return [alarms];
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  const now = deps.now();
  const settledAt = primary?.updatedAt ?? primary?.createdAt;
  if (primary?.rolloutState !== 'COMPLETED' || !settledAt) return [alarms];
  if (new Date(settledAt).getTime() + settings.bakeTimeMs > now.getTime()) return [alarms];
  if (await deps.rollbacks.lastKnownGood(service.arn)) return [alarms];
  const good = {
    taskDefinitionArn: primary.taskDefinitionArn,
    deploymentId: primary.id,
    at: now.toISOString(),
  };
  return [alarms, { kind: 'set-last-known-good', serviceArn: service.arn, good }];
}
