/**
 * Deploy on push, the use case: from a pushed image to updated services, through the ports. Decide,
 * then apply: {@link planPush} reads and returns the decisions with the effects they call for (see
 * `plan-push.ts`), the blast-radius cap is checked on that plan, and {@link applyPlan} carries it
 * out with the deploy effects (`deploy-effects.ts`: one lease per service, ordering of racing
 * pushes, a record of everything done). Dry run is the applier doing nothing; what was decided is
 * published either way (`Deployment Started`, `Scheduled`, `Action Failed`, marked `dryRun`).
 */
import type { PolicyFile } from '../../config/policy-file';
import { RetryableError } from '../../errors';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  DEPLOYMENT_SCHEDULED,
  DEPLOYMENT_STARTED,
} from '../../events/autopilot-events';
import type {
  ContainerPlatform,
  DeploymentHistory,
  EventPublisher,
  ImageRegistry,
  LeaseRelease,
  PauseStore,
  PendingPushes,
  Quarantine,
  ServiceIndex,
  ServiceLease,
  SkippedPush,
  SkippedPushes,
  TaskDefinitionDocument,
} from '../../ports';
import { clusterNameOf } from '../aws/arn';
import { repositoryKey } from '../aws/ecr-repository';
import { applyPlan } from '../plan/plan';
import { deployEffects } from './deploy-effects';
import { type DeploymentDecision, findsPushInPlace, type PushedImage, SERVICE_GONE } from './plan-deployment';
import {
  checkBlastRadius,
  type DeployPlan,
  LEASE_GROUP,
  LEASE_SECONDS,
  type LeasedService,
  mapInPool,
  planDuePush,
  planLeased,
  planPush,
  planPushFor,
} from './plan-push';

/** What the deploy use case needs from the outside. */
export interface DeployDeps {
  ecs: ContainerPlatform;
  ecr: ImageRegistry;
  /** the services of a repository */
  index: ServiceIndex;
  /** images rollback judged bad */
  quarantine: Quarantine;
  /** the deployments autopilot started */
  history: DeploymentHistory;
  /** one deployment per service at a time, and the newest push deployed */
  lease: ServiceLease;
  /** pushes waiting for a cooldown or a deploy window */
  pending: PendingPushes;
  /** the last push skipped for each service (`autopilot status`) */
  skips: SkippedPushes;
  /** the pauses of deploy on push (`autopilot pause`) */
  pauses: PauseStore;
  events: EventPublisher;
  policyFile: PolicyFile;
  dryRun: boolean;
  now: () => Date;
}

/**
 * Handles one push: finds the services indexed for the repository and deploys, defers or skips each.
 *
 * @returns every decision with its reason
 * @throws ResourceLimitExceededError when more services would be updated than the cap allows
 * @throws RetryableError when a service is locked by a concurrent deployment
 */
export async function deployPushedImage(push: PushedImage, deps: DeployDeps): Promise<DeploymentDecision[]> {
  const cached = withRevisionCache(deps);
  if (deps.dryRun) return apply(await planPush(push, cached), push, cached);
  return deployUnderLeases(push, cached);
}

/**
 * Deploys a push to one service only, whether or not the index lists it under the push's repository
 * (`autopilot sync`: a service just opted in, a push missed): a push's own path for that service
 * alone, its lease, the plan made under it, the cap, the same effects and events.
 *
 * @returns the decision for the service (a skip when it no longer exists)
 * @throws RetryableError when the service is being deployed by another invocation
 */
export async function deployPushTo(
  push: PushedImage,
  service: LeasedService,
  deps: DeployDeps,
): Promise<DeploymentDecision[]> {
  const cached = withRevisionCache(deps);
  if (deps.dryRun) return apply(await planPushFor(push, service, cached), push, cached);
  return deployUnderLeases(push, cached, [service]);
}

/**
 * A real run: the leases of every service the index lists for the repository first (or of the
 * services given), then the push planned once under all of them (`planLeased`: nothing read before
 * the leases is carried out, so nothing is read twice), the cap checked on that plan, and the plan
 * applied. All or nothing: a lease held by another invocation (a push deploying the service now)
 * gives the ones taken back and the event is retried, so the cap is always checked on a plan of
 * every service the push hits.
 *
 * @throws RetryableError when a service is being deployed by another invocation
 */
async function deployUnderLeases(
  push: PushedImage,
  deps: DeployDeps,
  services?: readonly LeasedService[],
): Promise<DeploymentDecision[]> {
  const owner = push.eventId;
  const refs: LeasedService[] =
    services !== undefined
      ? [...services]
      : (await deps.index.servicesForRepository(repositoryKey(push))).map((s) => ({
          cluster: s.clusterArn,
          service: s.serviceName,
          serviceArn: s.serviceArn,
        }));
  const giveBack = (services: readonly LeasedService[]) =>
    services.length === 0
      ? Promise.resolve([])
      : deps.lease.releaseLeases(services.map((s) => ({ serviceArn: s.serviceArn, owner })));
  // Together (`takeLeases`: one transaction on a first attempt, not one call each).
  const taken = await deps.lease.takeLeases(
    refs.map((s) => s.serviceArn),
    owner,
    LEASE_SECONDS,
  );
  const failed = taken.findIndex((t) => t !== 'taken' && t !== 'again');
  if (failed >= 0) {
    await giveBack(refs.filter((_, i) => taken[i] === 'taken' || taken[i] === 'again'));
    const outcome = taken[failed];
    if (typeof outcome === 'object') throw outcome.error;
    const { cluster, service } = refs[failed] as LeasedService;
    throw new RetryableError(
      `service ${clusterNameOf(cluster)}/${service} is being deployed by another invocation`,
    );
  }
  let planned: Awaited<ReturnType<typeof planLeased>>;
  try {
    // The intents are read only where this event took the lease before: an earlier attempt of it
    // may have left work there (any other intent is found when a registration's save meets it).
    const again = new Set(refs.filter((_, i) => taken[i] === 'again').map((s) => s.serviceArn));
    planned = await planLeased(push, refs, deps, again);
    checkBlastRadius(planned.plan, deps.policyFile);
  } catch (error) {
    await giveBack(refs);
    throw error;
  }
  // A service gone from ECS has nothing to deploy: its lease is given back now, its index entry
  // dropped with the plan.
  await giveBack(planned.gone);
  return apply(planned.plan, push, deps);
}

/**
 * Deploys the remembered pushes whose cooldown or deploy window has come, one after the other: each
 * is planned once the one before was applied, so it sees what that one changed.
 *
 * @returns the decisions taken for each due push
 */
export async function deployDuePushes(given: DeployDeps): Promise<DeploymentDecision[]> {
  const deps = withRevisionCache(given);
  const decisions: DeploymentDecision[] = [];
  for (const pending of await deps.pending.listDuePending(deps.now())) {
    const push: PushedImage = { ...pending.push, pushedAt: new Date(pending.push.pushedAt) };
    decisions.push(...(await apply(await planDuePush(pending, deps), push, deps)));
  }
  return decisions;
}

/**
 * The deps with DescribeTaskDefinition asked once per revision ARN for the run: a revision's
 * definition never changes once registered, and the plan made before the lease, the plans made again
 * under each service's lease and the services sharing a revision all read the same ones (one call
 * per revision, not two per service).
 */
function withRevisionCache(deps: DeployDeps): DeployDeps {
  const platform = deps.ecs;
  const revisions = new Map<string, Promise<TaskDefinitionDocument | undefined>>();
  const describeTaskDefinition = (arn: string) => {
    let revision = revisions.get(arn);
    if (revision === undefined) {
      revision = platform.describeTaskDefinition(arn);
      revisions.set(arn, revision);
      // A failed read is not remembered: the next asks again.
      revision.catch(() => revisions.delete(arn));
    }
    return revision;
  };
  // Every other call goes to the platform itself (its methods keep it as `this`).
  const ecs = new Proxy(platform, {
    get: (target, property, receiver) => {
      if (property === 'describeTaskDefinition') return describeTaskDefinition;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...deps, ecs };
}

/**
 * Checks the cap, applies the plan and publishes what was done (also when a later service fails),
 * then marks the intents of the deployments published as announced, so a retry of the event (another
 * service failed) neither announces them again nor deploys them again. A due push is forgotten
 * (`delete-pending`) only after that: forgotten before, a run stopped before publishing would leave
 * its retry nothing to plan, and the deployment it made unannounced.
 */
async function apply(plan: DeployPlan, push: PushedImage, deps: DeployDeps): Promise<DeploymentDecision[]> {
  checkBlastRadius(plan, deps.policyFile);
  // A real run gives the leases back together once its services were carried out, each with the
  // writes closing its deployment (`releaseLeases`: a transaction for many services, not one each).
  const held: LeaseRelease[] = [];
  const effects = deployEffects(deps, plan, deps.dryRun ? undefined : held);
  const forget = plan.effects.filter((e) => e.kind === 'delete-pending');
  const report = async (decisions: DeploymentDecision[]) => {
    const events = decisions.flatMap((decision) => eventFor(decision, push) ?? []);
    if (events.length > 0) await deps.events.publish(events);
    await Promise.all([markAnnounced(decisions, push, deps), rememberSkips(decisions, push, deps)]);
  };
  const rest = { ...plan, effects: plan.effects.filter((e) => e.kind !== 'delete-pending') };
  const decisions = deps.dryRun
    ? await applyPlan(rest, effects, { dryRun: true, report })
    : await applyEach(rest, effects, report, () => releaseHeld(held.splice(0), deps));
  if (forget.length > 0) await applyPlan({ decisions, effects: forget }, effects, { dryRun: deps.dryRun });
  return decisions;
}

/**
 * How many services are deployed at a time: a push hitting many services takes a few times one's
 * wall time, and ECS's rate of RegisterTaskDefinition and UpdateService calls is not approached (the
 * SDK retries throttling). At least {@link LEASE_GROUP}: a group's guards wait for all its leases.
 */
export const DEPLOY_CONCURRENCY = LEASE_GROUP;

/**
 * Applies each decision's effects as a plan of its own, {@link DEPLOY_CONCURRENCY} at a time in plan
 * order (one applier, so a group's guards and the services sharing a revision meet), then reports
 * the decisions carried out, also when some failed: a failure fails the run (its first error goes on)
 * after the others were carried out and announced, and the retry deploys what is left.
 */
async function applyEach(
  plan: DeployPlan,
  effects: ReturnType<typeof deployEffects>,
  report: (decisions: DeploymentDecision[]) => Promise<void>,
  release: () => Promise<{ serviceArn: string; error: unknown }[]>,
): Promise<DeploymentDecision[]> {
  const decisions = [...plan.decisions];
  const finished = new Set<number>();
  const failures: unknown[] = [];
  const units = plan.decisions.map((decision, index) => ({
    index,
    plan: {
      decisions: [decision],
      effects: plan.effects.flatMap((e) =>
        'decision' in e && e.decision === index ? [{ ...e, decision: 0 }] : [],
      ),
    },
  }));
  await mapInPool(units, DEPLOY_CONCURRENCY, async ({ index, plan: unit }) => {
    try {
      const [done] = await applyPlan(unit, effects, { dryRun: false });
      if (done) decisions[index] = done;
      finished.add(index);
    } catch (error) {
      failures.push(error);
    }
  });
  // Effects of no decision (a service gone from ECS unindexed) once the services are done.
  const others = plan.effects.filter((e) => !('decision' in e) || e.decision === undefined);
  try {
    // A service whose release threw is not reported, as when its own effect threw: its closing
    // writes may be missing, and the retry records and announces it.
    for (const { serviceArn, error } of await release()) {
      for (const index of finished) if (decisions[index]?.serviceArn === serviceArn) finished.delete(index);
      failures.push(error);
    }
    if (failures.length === 0 && others.length > 0)
      await applyPlan({ decisions, effects: others }, effects, { dryRun: false });
  } finally {
    await report(decisions.filter((_, index) => finished.has(index)));
  }
  if (failures.length > 0) throw failures[0];
  return decisions;
}

/** Gives back the leases held by the run's effects, together; the ones whose release threw. */
async function releaseHeld(
  releases: LeaseRelease[],
  deps: DeployDeps,
): Promise<{ serviceArn: string; error: unknown }[]> {
  if (releases.length === 0) return [];
  const outcomes = await deps.lease.releaseLeases(releases);
  return releases.flatMap((r, i) => {
    const outcome = outcomes[i];
    return outcome && 'error' in outcome ? [{ serviceArn: r.serviceArn, error: outcome.error }] : [];
  });
}

/**
 * Marks the intents of the deployments just published, and the pending pushes of the deferrals (a
 * retry of the push then finds its deferral announced and announces nothing again). A mark that fails
 * (after the SDK's retries) does not fail the run: the announcement went out, and failing would make
 * the event retried and announced twice; an intent left `updating` is only ever finished by a retry
 * of this same event.
 */
async function markAnnounced(
  decisions: readonly DeploymentDecision[],
  push: PushedImage,
  deps: DeployDeps,
): Promise<void> {
  const done = decisions.filter((d) => d.dryRun !== true);
  // The deployments' intents in one call (a push hitting many services marks them together).
  const intents = done.flatMap((d) =>
    d.action === 'deploy' && d.toTaskDefinition !== undefined
      ? [
          {
            serviceArn: d.serviceArn,
            digest: d.digest,
            fromTaskDefinition: d.fromTaskDefinition ?? '',
            triggeredBy: push.eventId,
          },
        ]
      : [],
  );
  const marks = done.flatMap((d) =>
    d.action === 'defer'
      ? [deps.pending.markPendingAnnounced(d.serviceArn, repositoryKey(push), push.eventId, d.dueAt)]
      : [],
  );
  if (intents.length > 0) marks.push(deps.history.markIntentsAnnounced(intents).then(() => true));
  await Promise.allSettled(marks);
}

/**
 * Keeps, for each service a real run skipped the push for, that skip as the service's last, so
 * `autopilot status` can say why a push did not deploy: a skip leaves no deployment, no pending push
 * and no announcement. A notify-only pause's decision (carried out as a dry run in a real run) is
 * kept as a skip too: nothing was changed. Not kept: a dry run's decisions (nothing was decided for
 * real), a service gone from ECS, and a skip that finds the push in place already (a retry's word for
 * what its first attempt did, which would hide that deployment or deferral). Best effort, as the
 * marks: every service in one call, and a failed write neither fails the run nor has the push retried
 * for it (status then shows the skip before).
 */
async function rememberSkips(
  decisions: readonly DeploymentDecision[],
  push: PushedImage,
  deps: DeployDeps,
): Promise<void> {
  if (deps.dryRun) return;
  const at = deps.now().toISOString();
  const skips = decisions.flatMap((d): SkippedPush[] =>
    isSkipToRemember(d)
      ? [
          {
            serviceArn: d.serviceArn,
            repository: d.repository,
            tag: d.tag,
            digest: d.digest,
            reason: d.reason,
            triggeredBy: push.eventId,
            at,
          },
        ]
      : [],
  );
  if (skips.length > 0) await Promise.allSettled([deps.skips.recordSkips(skips)]);
}

/** Whether a real run's decision is a skip `autopilot status` shows (see {@link rememberSkips}). */
function isSkipToRemember(d: DeploymentDecision): boolean {
  const notifyOnly = d.dryRun === true && (d.action === 'deploy' || d.action === 'defer');
  if (d.action !== 'skip' && !notifyOnly) return false;
  return d.serviceArn !== '' && d.reason !== SERVICE_GONE && !findsPushInPlace(d);
}

/** The event that announces a decision as carried out, if it calls for one. */
export function eventFor(decision: DeploymentDecision, push: PushedImage): AutopilotEvent | undefined {
  const dryRun = decision.dryRun === true;
  const common = {
    cluster: decision.cluster,
    service: decision.service,
    serviceArn: decision.serviceArn,
    repository: push.repositoryName,
    tag: push.tag,
    digest: push.digest,
    reason: decision.reason,
    triggeredBy: push.eventId,
  };
  switch (decision.action) {
    case 'deploy':
      return {
        detailType: DEPLOYMENT_STARTED,
        detail: {
          ...common,
          reason: decision.announcedAs ?? decision.reason,
          image: decision.image,
          containers: decision.containers,
          fromTaskDefinition: decision.fromTaskDefinition,
          toTaskDefinition: decision.toTaskDefinition ?? '(dry run: not registered)',
          ...(decision.managedBy ? { managedBy: decision.managedBy } : {}),
          dryRun,
        },
      };
    case 'defer':
      return { detailType: DEPLOYMENT_SCHEDULED, detail: { ...common, dueAt: decision.dueAt, dryRun } };
    case 'failed':
    case 'unsupported':
      return {
        detailType: ACTION_FAILED,
        detail: {
          action: 'deploy',
          cluster: decision.cluster,
          service: decision.service,
          serviceArn: decision.serviceArn,
          reason: decision.reason,
          dryRun,
          triggeredBy: push.eventId,
        },
      };
    case 'skip':
      return undefined;
  }
}
