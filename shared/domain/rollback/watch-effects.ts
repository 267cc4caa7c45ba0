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
  ContainerPlatform,
  DeploymentControl,
  DeploymentHistory,
  Quarantine,
  RollbackHistory,
  ServiceRef,
  ServiceUpdater,
} from '../../ports';
import { shortTaskDefinition } from '../aws/arn';
import type { ApplyContext, EffectHandlers } from '../plan/plan';
import { pinnedMarkers } from './pinned-revision';
import { crashRecordReason, type PinnedTarget, type WatchDecision, type WatchEffect } from './watch-plan';

/** What applying a watcher's plan writes to and changes. */
export interface WatchWrites {
  /** UpdateService, and RegisterTaskDefinition of a pinned copy of the rollback target (or finding it again) */
  ecs: Pick<ServiceUpdater, 'updateService'> &
    Pick<ContainerPlatform, 'registerTaskDefinition' | 'findRevision'>;
  control: DeploymentControl;
  history: Pick<
    DeploymentHistory,
    'recordDeploymentState' | 'noteDeploymentStarted' | 'markUnhealthy' | 'markAnnounced' | 'recordCrash'
  >;
  rollbacks: Pick<
    RollbackHistory,
    'setLastKnownGood' | 'claimRollback' | 'pinRollback' | 'markRollbackAnnounced'
  >;
  bakes: Pick<BakeSchedule, 'scheduleBake' | 'deleteBake'>;
  quarantine: Pick<Quarantine, 'quarantineImage'>;
}

/** Where a decision's UpdateService leaves the deployment ECS started, for `note-rollback-started`. */
const startedSlot = (decision: number) => `rollback-started#${decision}`;
/** Where it leaves the revision it updated the service to (a pinned copy, or the planned target). */
const targetSlot = (decision: number) => `rollback-target#${decision}`;

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
  /**
   * UpdateService back to `taskDefinitionArn`, or with `pin` to a copy of it pinned to the digests it
   * ran, registered first and recorded with the claimed rollback (a retry reuses it); the deployment
   * it starts is noted next. A retry whose earlier attempt may have registered the copy without
   * recording it (its answer lost, or the run stopped before the record) looks for it by its tags
   * among the revisions registered since the rollback was claimed, and registers it only when none is
   * found.
   *
   * @returns what the decision learns: the copy it went to, when it is one
   */
  const findPinned = async (pin: PinnedTarget): Promise<string | undefined> => {
    const markers = pinnedMarkers(pin.document);
    // Without its markers (no room for them among the source's tags) any revision would match.
    if (pin.registeredSince === undefined || !markers) return undefined;
    return deps.ecs.findRevision(pin.document.definition.family, markers, pin.registeredSince);
  };

  const updateService = async (
    decision: number,
    ref: ServiceRef,
    taskDefinitionArn: string,
    pin: PinnedTarget | undefined,
    { produced, decisions }: ApplyContext<WatchDecision>,
  ): Promise<Partial<WatchDecision> | undefined> => {
    let target = taskDefinitionArn;
    if (pin) {
      target = (await findPinned(pin)) ?? (await deps.ecs.registerTaskDefinition(pin.document));
      if (pin.claimedBy) await deps.rollbacks.pinRollback(pin.serviceArn, pin.claimedBy, target);
    }
    const deploymentId = await deps.ecs.updateService(ref, target);
    produced.set(targetSlot(decision), target);
    if (deploymentId) produced.set(startedSlot(decision), deploymentId);
    if (!pin) return undefined;
    return {
      to: target,
      pinnedFrom: taskDefinitionArn,
      reason: `${decisions[decision]?.reason ?? ''}; to ${shortTaskDefinition(target)}, a copy of ${shortTaskDefinition(taskDefinitionArn)} pinned to the digests it ran when known good (${pin.pinned.join(', ')})`,
    };
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
      if (await deps.history.markUnhealthy(effect.serviceArn, effect.deploymentId, effect.by)) return;
      return { action: 'ignore', reason: `deployment ${effect.deploymentId} was already handled` };
    },

    'claim-rollback': async (effect) => {
      if (await deps.rollbacks.claimRollback(effect.serviceArn, effect.rollback, effect.cooldownMs)) return;
      return { action: 'notify', reason: 'another rollback of this service happened within the cooldown' };
    },

    'record-rollback': async (effect) => {
      // A person's rollback is remembered whatever the cooldown (a cooldown of 0 always claims); a
      // pinned copy it goes to is recorded with it when registered (`pinRollback`).
      await deps.rollbacks.claimRollback(effect.serviceArn, effect.rollback, 0);
    },

    'stop-deployment': async (effect, context) => {
      if (await deps.control.stopDeploymentWithRollback(effect.ref, effect.taskDefinitionArn)) return;
      // ECS has no deployment of that revision in progress to stop: return to the target directly.
      const learned = await updateService(
        effect.decision,
        effect.ref,
        effect.fallbackTo,
        effect.pin,
        context,
      );
      return { learned: { action: 'update-service', ...learned } };
    },

    'update-service': async (effect, context) => {
      const learned = await updateService(
        effect.decision,
        effect.ref,
        effect.taskDefinitionArn,
        effect.pin,
        context,
      );
      return learned && { learned };
    },

    'note-rollback-started': async (effect, { produced }) => {
      const deploymentId = effect.deploymentId ?? produced.get(startedSlot(effect.decision));
      if (!deploymentId) return;
      await deps.history.noteDeploymentStarted(effect.serviceArn, {
        deploymentId,
        taskDefinitionArn: produced.get(targetSlot(effect.decision)) ?? effect.taskDefinitionArn,
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

    'mark-rollback-announced': async (effect) => {
      // False: another rollback was recorded since, which is not this one's to mark.
      await deps.rollbacks.markRollbackAnnounced(effect.serviceArn, effect.triggeredBy, effect.at);
    },

    'delete-bake': async (effect) => {
      await deps.bakes.deleteBake(effect.serviceArn, effect.deploymentId);
    },
  };
}
