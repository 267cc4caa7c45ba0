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
  IndexSweep,
  RollbackHistory,
  ServiceIndex,
  ServiceInventory,
  ServiceReader,
  ServiceRef,
  ServiceState,
} from '../../ports';
import { applyPlan } from '../plan/plan';
import { indexFingerprint } from './fingerprint';
import { indexEffects } from './index-effects';
import { type IndexInput, type IndexPlan, type IndexStep, planIndexing } from './plan-index';

export { type IndexInput, repositoriesOf } from './plan-index';

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
  /** what the reconcile remembers of each service, and its sweep's checkpoint */
  sweep: IndexSweep;
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
  dryRun?: boolean;
}

/**
 * Re-indexes the given services: opted-in services are indexed under the repositories of their
 * task definition, the others (and vanished ones, when given by ARN) are removed. Tags autopilot
 * cannot use are announced once (`Configuration Problem`), and once more when they are fixed.
 * Decide, then apply: {@link planIndexing} reads, {@link indexEffects} writes (nothing in a dry run),
 * and the announcements are the report of what was carried out (marked `dryRun` in a dry run; also
 * when a later service fails the run, so a problem remembered is never left unsaid).
 */
export async function indexServices(input: IndexInput, deps: IndexDeps): Promise<IndexDecision[]> {
  if (input.refs.length === 0) return [];
  // Before planning: a fingerprint that says a deployment is steady was taken no later than the plan.
  const now = deps.now();
  const described = input.described ?? (await deps.ecs.describeServices(input.refs));
  const decisions = await applyIndexing(await planIndexing({ ...input, described }, deps), deps);
  if (!deps.dryRun) await rememberIndexed(decisions, input.refs, described, now, deps);
  return decisions;
}

/**
 * Remembers what each service was indexed from, so the reconcile finds it unchanged (nothing more to
 * do for it) only while the index holds what these inputs give; events write it too, or a change an
 * event indexed and a later missed event undid would look unchanged to the reconcile. Written after
 * the announcements (applyIndexing's report): a run stopped before them leaves its retry the service
 * to plan again and announce; remembered first, the retry would find it unchanged and stay silent.
 */
async function rememberIndexed(
  decisions: readonly IndexDecision[],
  refs: readonly ServiceRef[],
  described: readonly ServiceState[],
  now: Date,
  deps: IndexDeps,
): Promise<void> {
  for (const decision of decisions) {
    const service = described.find((s) => s.arn === decision.service);
    if (service) {
      await deps.sweep.rememberFingerprint(service.clusterArn, {
        serviceArn: service.arn,
        fingerprint: indexFingerprint(service, deps.policyFile, now),
        taskDefinitionArn: service.taskDefinitionArn,
        // None when it uses no private repository or its revision was not found: described again then.
        ...(decision.repositories.length > 0 ? { repositories: [...decision.repositories] } : {}),
        indexedAt: now.toISOString(),
      });
      continue;
    }
    // Gone: forgotten where the event named its cluster by ARN (else the reconcile finds it gone).
    const cluster = refs.find((ref) => ref.service === decision.service)?.cluster;
    if (cluster?.startsWith('arn:')) await deps.sweep.forgetFingerprint(cluster, decision.service);
  }
}

/**
 * Carries an indexing plan out (nothing in a dry run) and announces the problems as reported: the
 * apply half of {@link indexServices}, shared with the reconcile.
 */
export async function applyIndexing(plan: IndexPlan, deps: IndexDeps): Promise<IndexDecision[]> {
  const done = await applyPlan(plan, indexEffects(deps), {
    dryRun: deps.dryRun,
    report: async (steps) => {
      const events = announcements(steps);
      if (events.length > 0) await deps.events.publish(events);
      if (!deps.dryRun) await forgetResolved(steps, deps);
    },
  });
  return perService(done);
}

/**
 * Forgets the problems whose resolution was just announced. Forgotten before, a run stopped before
 * PutEvents would leave its retry nothing to resolve, and the resolution unannounced; until then the
 * claim (`resolvedBy`) keeps other runs from announcing it too. A failure to forget does not fail the
 * run (the announcement went out; failing would announce it again): the claim stays until the item
 * expires, and the problem coming back is news all the same.
 */
async function forgetResolved(steps: readonly IndexStep[], deps: Pick<IndexDeps, 'problems'>): Promise<void> {
  await Promise.allSettled(
    steps.flatMap((step) =>
      step.action === 'resolved'
        ? [deps.problems.forgetProblem(step.service, step.announcement.tagKey, step.announcement.triggeredBy)]
        : [],
    ),
  );
}

/** The `Configuration Problem` events of the problems announced or resolved. */
function announcements(steps: readonly IndexStep[]): AutopilotEvent[] {
  return steps.flatMap((step): AutopilotEvent[] =>
    step.action === 'announced' || step.action === 'resolved'
      ? [
          {
            detailType: CONFIGURATION_PROBLEM,
            detail: { ...step.announcement, dryRun: step.dryRun === true },
          },
        ]
      : [],
  );
}

/** One decision per service, with the outcomes of its problems (those of a service come before it). */
function perService(steps: readonly IndexStep[]): IndexDecision[] {
  const decisions: IndexDecision[] = [];
  let problems: ProblemDecision[] = [];
  for (const step of steps) {
    switch (step.action) {
      case 'announced':
      case 'known':
      case 'resolved': {
        const { tagKey, tagValue, problem } = step.announcement;
        problems.push({ tagKey, tagValue, problem, action: step.action });
        break;
      }
      case 'resolved-elsewhere':
        break;
      case 'indexed':
      case 'removed':
        decisions.push({ ...step, ...(problems.length > 0 ? { problems } : {}) });
        problems = [];
        break;
    }
  }
  return decisions;
}
