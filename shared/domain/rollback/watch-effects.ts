/**
 * Roll back, applied: the handler of each {@link WatchEffect} over the ports. Where the world answers
 * otherwise, the answer becomes the decision (an amendment, which skips the decision's later
 * effects): a deployment already marked unhealthy makes the signal `ignore` (a duplicate or concurrent
 * signal acts once), a rollback slot taken within the cooldown makes it `notify`, a crash count that
 * reached the threshold meanwhile makes it `plan-again`. What a handler learns and its decision goes
 * on with: a stop ECS refused fell back to UpdateService (`update-service`), an image was quarantined
 * already (`alreadyQuarantined`: not announced again).
 */
import type {
  BakeSchedule,
  DeploymentControl,
  DeploymentHistory,
  Quarantine,
  RollbackHistory,
  ServiceRef,
  ServiceUpdater,
} from '../../ports';
import type { EffectHandlers } from '../plan/plan';
import { crashRecordReason, type WatchDecision, type WatchEffect } from './watch-plan';

/** What applying a watcher's plan writes to and changes. */
export interface WatchWrites {
  ecs: Pick<ServiceUpdater, 'updateService'>;
  control: DeploymentControl;
  history: Pick<
    DeploymentHistory,
    'recordDeploymentState' | 'noteDeploymentStarted' | 'markUnhealthy' | 'recordCrash'
  >;
  rollbacks: Pick<RollbackHistory, 'setLastKnownGood' | 'claimRollback'>;
  bakes: Pick<BakeSchedule, 'scheduleBake' | 'deleteBake'>;
  quarantine: Pick<Quarantine, 'quarantineImage'>;
}

/** Where a decision's UpdateService leaves the deployment ECS started, for `note-rollback-started`. */
const startedSlot = (decision: number) => `rollback-started#${decision}`;

/** The key of a quarantined image, as decisions list it (`alreadyQuarantined`). */
export const imageKey = (image: { repositoryKey: string; digest: string }) =>
  `${image.repositoryKey}@${image.digest}`;

/**
 * The watcher's effect handlers.
 *
 * @example
 * await applyPlan(await planAlarm(alarm, deps), watchEffects(deps), { dryRun: deps.dryRun, report });
 */
export function watchEffects(deps: WatchWrites): EffectHandlers<WatchDecision, WatchEffect> {
  /** UpdateService back to `taskDefinitionArn`; the deployment it starts is noted next. */
  const updateService = async (
    decision: number,
    ref: ServiceRef,
    taskDefinitionArn: string,
    produced: Map<string, string>,
  ) => {
    const deploymentId = await deps.ecs.updateService(ref, taskDefinitionArn);
    if (deploymentId) produced.set(startedSlot(decision), deploymentId);
  };

  return {
    'record-deployment-state': async (effect) => {
      // Forward only: false means a newer state change is recorded already, which changes nothing here.
      await deps.history.recordDeploymentState(effect.serviceArn, effect.deployment, effect.updatedAt);
    },

    'schedule-bake': async (effect) => {
      await deps.bakes.scheduleBake(effect.serviceArn, effect.deploymentId, effect.dueAt);
    },

    'record-crash': async (effect) => {
      const { serviceArn, taskDefinitionArn, taskArn, at, since, counted, threshold } = effect;
      const crashes = await deps.history.recordCrash({ serviceArn, taskDefinitionArn, taskArn, at }, since);
      // A crash loop decided stays decided (at least `counted` crashed); below it, the count recorded
      // is the one that holds: other crashes were recorded since the decision read them.
      if (crashes === counted || counted >= threshold) return;
      if (crashes >= threshold) {
        return {
          action: 'plan-again',
          reason: `crash ${crashes} of ${threshold} recorded (${counted} when decided): a crash was counted concurrently`,
        };
      }
      return { action: 'record', reason: crashRecordReason(crashes, threshold, effect.why) };
    },

    'mark-unhealthy': async (effect) => {
      if (await deps.history.markUnhealthy(effect.serviceArn, effect.deploymentId)) return;
      return { action: 'ignore', reason: `deployment ${effect.deploymentId} was already handled` };
    },

    'claim-rollback': async (effect) => {
      if (await deps.rollbacks.claimRollback(effect.serviceArn, effect.rollback, effect.cooldownMs)) return;
      return { action: 'notify', reason: 'another rollback of this service happened within the cooldown' };
    },

    'record-rollback': async (effect) => {
      // A person's rollback is remembered whatever the cooldown (a cooldown of 0 always claims).
      await deps.rollbacks.claimRollback(effect.serviceArn, effect.rollback, 0);
    },

    'stop-deployment': async (effect, { produced }) => {
      if (await deps.control.stopDeploymentWithRollback(effect.ref, effect.taskDefinitionArn)) return;
      // ECS has no deployment of that revision in progress to stop: return to the target directly.
      await updateService(effect.decision, effect.ref, effect.fallbackTo, produced);
      return { learned: { action: 'update-service' } };
    },

    'update-service': async (effect, { produced }) => {
      await updateService(effect.decision, effect.ref, effect.taskDefinitionArn, produced);
    },

    'note-rollback-started': async (effect, { produced }) => {
      const deploymentId = produced.get(startedSlot(effect.decision));
      if (!deploymentId) return;
      await deps.history.noteDeploymentStarted(effect.serviceArn, {
        deploymentId,
        taskDefinitionArn: effect.taskDefinitionArn,
        startedAt: effect.startedAt,
        isRollback: true,
      });
    },

    'quarantine-image': async (effect, { decisions }) => {
      if (await deps.quarantine.quarantineImage(effect.image)) return;
      const decision = decisions[effect.decision];
      const already = decision && 'alreadyQuarantined' in decision ? (decision.alreadyQuarantined ?? []) : [];
      return { learned: { alreadyQuarantined: [...already, imageKey(effect.image)] } };
    },

    'set-last-known-good': async (effect) => {
      // Never backwards: false means a newer revision is known good already, which changes nothing here.
      await deps.rollbacks.setLastKnownGood(effect.serviceArn, effect.good);
    },

    'delete-bake': async (effect) => {
      await deps.bakes.deleteBake(effect.serviceArn, effect.deploymentId);
    },
  };
}
