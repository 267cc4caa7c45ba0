/**
 * Roll back, the use cases: follows the deployments of watched services, turns unhealthy signals
 * (failed deployment, alarm, crash loop) into decisions, and carries them out: ECS's own rollback of an
 * in-progress deployment or UpdateService to the last known good revision, quarantine of the bad
 * digests, and events. Never rolls back a rollback; at most one automatic rollback per service per
 * cooldown.
 *
 * Each entry plans (`watch-plan.ts`: reads only), applies the plan (`watch-effects.ts`) and reports
 * it (`watch-events.ts`: the events of the decisions as carried out). Dry run is the applier doing
 * nothing: the planned decisions are reported, marked `dryRun`, and nothing is written.
 */
import type { PolicyFile } from '../../config/policy-file';
import type {
  BakeSchedule,
  ContainerPlatform,
  DeploymentControl,
  DeploymentHistory,
  EventPublisher,
  Quarantine,
  RollbackHistory,
  ServiceIndex,
  ServiceReader,
  ServiceRevisionReader,
  ServiceUpdater,
} from '../../ports';
import { applyPlan } from '../plan/plan';
import { type WatchWrites, watchEffects } from './watch-effects';
import { rollbackEvents } from './watch-events';
import {
  type AlarmStateChange,
  type DeploymentStateChange,
  planAlarm,
  planDeploymentStateChange,
  planPromoteBaked,
  planRollbackByPerson,
  planTaskStopped,
  type TaskStopped,
  type WatchDecision,
  type WatchEffect,
  type WatchPlan,
  type WatchReads,
} from './watch-plan';

export type { AlarmStateChange, DeploymentStateChange, TaskStopped, WatchDecision } from './watch-plan';

/**
 * What watching deployments needs: the ports, of which deciding gets read views
 * ({@link WatchReads}: the alarm index is one, read-only) and applying the writes ({@link WatchWrites}).
 */
export interface WatchDeps {
  /**
   * ECS reads, UpdateService, and RegisterTaskDefinition of a pinned copy of a rollback target (found
   * again by its tags on a retry: DescribeTaskDefinition)
   */
  ecs: ServiceUpdater & Pick<ContainerPlatform, 'registerTaskDefinition' | 'findRevision'>;
  /** the service revisions: the digests a revision ran when it became known good */
  revisions: ServiceRevisionReader;
  control: DeploymentControl;
  /** the deployments of services, their health signals and crashes */
  history: DeploymentHistory;
  /** last known good revisions and the rollback slot */
  rollbacks: RollbackHistory;
  /** completed deployments waiting to become known good */
  bakes: BakeSchedule;
  /** where the bad digests go */
  quarantine: Quarantine;
  /** which services listed an alarm (written by the indexer only) */
  index: Pick<ServiceIndex, 'servicesForAlarm'>;
  events: EventPublisher;
  policyFile: PolicyFile;
  dryRun: boolean;
  now: () => Date;
}

/** How many times a stopped task is decided again when a concurrent crash changed the count. */
const PLAN_ATTEMPTS = 3;

/**
 * Carries a plan out (nothing in dry run) and publishes the events of what was carried out. Once they
 * are out, the deployments the plan marked unhealthy are marked announced: the same event delivered
 * again is then a duplicate (already handled), while a retry of one that failed before announcing
 * goes on with its rollback. The bake timers of the decisions reported are deleted then too: the
 * timer is what makes a retry announce `Deployment Succeeded`, so deleted before publishing, a run
 * stopped in between would lose the announcement; so is a person's rollback marked announced
 * (`markRollbackAnnounced`), which until then is the intent a rerun of the command goes on with. A
 * failure between publishing and the mark (or the deletion) costs a duplicate announcement, never a
 * lost one.
 */
async function carryOut(
  plan: WatchPlan,
  deps: WatchWrites & Pick<WatchDeps, 'events' | 'dryRun'>,
): Promise<WatchDecision[]> {
  const marks = new Set<WatchEffect['kind']>(['delete-bake', 'mark-rollback-announced']);
  const applied = { ...plan, effects: plan.effects.filter((e) => !marks.has(e.kind)) };
  return applyPlan(applied, watchEffects(deps), {
    dryRun: deps.dryRun,
    report: async (decisions) => {
      const events = rollbackEvents(plan, decisions);
      if (events.length > 0) await deps.events.publish(events);
      if (deps.dryRun) return;
      for (const effect of plan.effects) {
        if (decisions[effect.decision] === undefined) continue;
        if (effect.kind === 'mark-unhealthy')
          await deps.history.markAnnounced(effect.serviceArn, effect.deploymentId, effect.by);
        if (effect.kind === 'delete-bake')
          await deps.bakes.deleteBake(effect.serviceArn, effect.deploymentId);
        if (effect.kind === 'mark-rollback-announced')
          await deps.rollbacks.markRollbackAnnounced(effect.serviceArn, effect.triggeredBy, effect.at);
      }
    },
  });
}

/**
 * Records a deployment's state change; a FAILED deployment is an unhealthy signal.
 *
 * @returns the decisions taken
 */
export async function onDeploymentStateChange(
  change: DeploymentStateChange,
  deps: WatchDeps,
): Promise<WatchDecision[]> {
  return carryOut(await planDeploymentStateChange(change, deps), deps);
}

/**
 * A CloudWatch alarm went to ALARM: every service that listed it (the alarm index) and has a
 * deployment in progress or in its bake time gets an unhealthy signal.
 */
export async function onAlarm(alarm: AlarmStateChange, deps: WatchDeps): Promise<WatchDecision[]> {
  return carryOut(await planAlarm(alarm, deps), deps);
}

/**
 * A task of a service stopped: crashes of the primary deployment's revision are counted; enough of
 * them is a crash loop. Every other stopped task gets an `ignore` decision saying why. When a crash
 * was counted concurrently (the count recorded is not the one decided from), it is decided again.
 */
export async function onTaskStopped(task: TaskStopped, deps: WatchDeps): Promise<WatchDecision[]> {
  for (let attempt = 1; ; attempt++) {
    const done = await carryOut(await planTaskStopped(task, deps), deps);
    if (attempt >= PLAN_ATTEMPTS || !done.some((d) => d.action === 'plan-again')) return done;
  }
}

/**
 * What the bake timer needs: the watcher's ports less those that change a service or quarantine an
 * image, and ECS to read only. Its function's role holds exactly what its bundle calls
 * (`test/contract/iam.test.ts`), so no UpdateService or StopServiceDeployment.
 */
export type BakeDeps = Omit<WatchDeps, 'ecs' | 'control' | 'quarantine'> & { ecs: ServiceReader };

/**
 * Stands in for the writes a bake timer's plan never calls for (its effects are `set-last-known-good`
 * and `delete-bake`): reaching one is a bug, not a reason to hold UpdateService in its role.
 */
const NO_SERVICE_CHANGES: Pick<WatchWrites, 'ecs' | 'control' | 'quarantine'> = {
  ecs: {
    updateService: () => refuse('UpdateService'),
    registerTaskDefinition: () => refuse('RegisterTaskDefinition'),
    findRevision: () => refuse('a search for a pinned copy'),
  },
  control: { stopDeploymentWithRollback: () => refuse('StopServiceDeployment') },
  quarantine: { quarantineImage: () => refuse('a quarantine') },
};

function refuse(what: string): never {
  throw new Error(`the bake timer does not call ${what}`);
}

/** The bake timer: completed deployments whose bake time passed become the last known good. */
export async function promoteBaked(deps: BakeDeps): Promise<WatchDecision[]> {
  return carryOut(await planPromoteBaked(deps), { ...deps, ...NO_SERVICE_CHANGES });
}

/**
 * A person's rollback (`autopilot rollback`): to a given revision or the last known good one. Run
 * again after it was stopped part-way, the same command goes on with it ({@link planRollbackByPerson}).
 */
export async function rollbackByPerson(
  serviceArn: string,
  to: string | undefined,
  deps: WatchDeps,
): Promise<WatchDecision> {
  const [decision] = await carryOut(await planRollbackByPerson(serviceArn, to, deps), deps);
  if (!decision) throw new Error('a rollback plan decides once');
  return decision;
}
