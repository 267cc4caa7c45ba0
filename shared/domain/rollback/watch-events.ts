/**
 * Roll back, reported: the events of a watcher's plan, derived from its decisions as carried out
 * (amended where the world answered otherwise, with what the effects learned), never guessed before:
 * a rollback that lost the cooldown race is announced as `Action Failed`, a stop ECS refused as
 * `method: update-service`, and an image only when it was newly quarantined. In dry run the
 * decisions are the planned ones, marked `dryRun`, and so are their events.
 */
import {
  ACTION_FAILED,
  type AutopilotEvent,
  DEPLOYMENT_ROLLED_BACK,
  DEPLOYMENT_SUCCEEDED,
  IMAGE_QUARANTINED,
  ROLLBACK_FAILED,
} from '../../events/autopilot-events';
import { imageKey } from './watch-effects';
import type { WatchAnnouncement, WatchDecision, WatchPlan } from './watch-plan';

/**
 * The events of the decisions carried out (all of them, or those finished before a failure: the
 * first `decisions.length` of the plan).
 *
 * @example
 * await applyPlan(plan, watchEffects(deps), {
 *   dryRun: deps.dryRun,
 *   report: (done) => deps.events.publish(rollbackEvents(plan, done)),
 * });
 */
export function rollbackEvents(plan: WatchPlan, decisions: readonly WatchDecision[]): AutopilotEvent[] {
  return plan.announcements.flatMap((announcement) => {
    const decision = decisions[announcement.of];
    return decision ? eventsOf(plan, announcement, decision) : [];
  });
}

function eventsOf(
  plan: WatchPlan,
  announcement: WatchAnnouncement,
  decision: WatchDecision,
): AutopilotEvent[] {
  const dryRun = decision.dryRun === true;
  switch (announcement.about) {
    case 'known-good':
      if (decision.action !== 'known-good') return [];
      return [
        {
          detailType: DEPLOYMENT_SUCCEEDED,
          detail: {
            ...announcement.service,
            taskDefinition: announcement.taskDefinition,
            deploymentId: announcement.deploymentId,
            bakedUntil: announcement.bakedUntil,
            dryRun,
          },
        },
      ];
    case 'person':
      if (decision.action !== 'update-service') return [];
      return [
        {
          detailType: DEPLOYMENT_ROLLED_BACK,
          detail: {
            ...announcement.service,
            fromTaskDefinition: decision.from,
            toTaskDefinition: decision.to,
            reason: decision.reason,
            by: 'person',
            method: 'update-service',
            signals: [{ kind: 'manual', reason: 'autopilot rollback', at: announcement.at }],
            dryRun,
            triggeredBy: announcement.triggeredBy,
          },
        },
      ];
    case 'signal':
      return signalEvents(plan, announcement, decision, dryRun);
  }
}

/** The events of a decision about an unhealthy signal. */
function signalEvents(
  plan: WatchPlan,
  announcement: Extract<WatchAnnouncement, { about: 'signal' }>,
  decision: WatchDecision,
  dryRun: boolean,
): AutopilotEvent[] {
  const common = { ...announcement.service, dryRun, triggeredBy: announcement.triggeredBy };
  const signals = [announcement.signal];
  switch (decision.action) {
    case 'notify':
      return [
        { detailType: ACTION_FAILED, detail: { action: 'rollback', ...common, reason: decision.reason } },
      ];
    case 'rollback-failed':
      return [
        {
          detailType: ROLLBACK_FAILED,
          detail: {
            ...common,
            taskDefinition: decision.from ?? announcement.running,
            reason: decision.reason,
            signals,
          },
        },
      ];
    case 'quarantine-only': {
      const rolledBack: AutopilotEvent[] =
        decision.from && announcement.rolledBackByEcsTo
          ? [
              {
                detailType: DEPLOYMENT_ROLLED_BACK,
                detail: {
                  ...common,
                  fromTaskDefinition: decision.from,
                  toTaskDefinition: announcement.rolledBackByEcsTo,
                  reason: decision.reason,
                  by: 'ecs',
                  method: 'none',
                  signals,
                },
              },
            ]
          : [];
      return [...quarantined(plan, announcement, decision, common), ...rolledBack];
    }
    case 'stop-deployment':
    case 'update-service':
      return [
        {
          detailType: DEPLOYMENT_ROLLED_BACK,
          detail: {
            ...common,
            fromTaskDefinition: decision.from,
            toTaskDefinition: decision.to,
            reason: decision.reason,
            by: 'autopilot',
            method: decision.action,
            signals,
          },
        },
        ...quarantined(plan, announcement, decision, common),
      ];
    default:
      return [];
  }
}

/** `Image Quarantined` for each image the decision quarantined that was not quarantined already. */
function quarantined(
  plan: WatchPlan,
  announcement: { of: number },
  decision: Extract<WatchDecision, { action: 'quarantine-only' | 'stop-deployment' | 'update-service' }>,
  common: { cluster: string; service: string; dryRun: boolean; triggeredBy: string },
): AutopilotEvent[] {
  const already = new Set(decision.alreadyQuarantined ?? []);
  return plan.effects.flatMap((effect) =>
    effect.kind === 'quarantine-image' &&
    effect.decision === announcement.of &&
    !already.has(imageKey(effect.image))
      ? [
          {
            detailType: IMAGE_QUARANTINED,
            detail: {
              repository: effect.image.repository,
              digest: effect.image.digest,
              reason: effect.image.reason,
              cluster: common.cluster,
              service: common.service,
              taskDefinition: decision.from,
              dryRun: common.dryRun,
              triggeredBy: common.triggeredBy,
            },
          },
        ]
      : [],
  );
}
