/**
 * Roll back, deciding: what each input of the watcher (a deployment's state change, an alarm, a
 * stopped task, the bake timer, a person's `autopilot rollback`) leads to, as a {@link WatchPlan}:
 * the decisions, each with its reason, the effects they call for (record, mark, claim, stop, update,
 * quarantine…) and what to announce once they are carried out. Planners only read: their ports are
 * read views ({@link WatchReads}), so deciding cannot write. The applier (`watch-effects.ts`) carries
 * a plan out; the events are derived from the decisions as carried out (`rollbackEvents`).
 */
import type { PolicyFile } from '../../config/policy-file';
import type {
  BakeSchedule,
  DeploymentHistory,
  KnownDeployment,
  LastKnownGood,
  QuarantinedImage,
  RollbackHistory,
  RollbackRecord,
  RunningImage,
  ServiceIndex,
  ServiceReader,
  ServiceRef,
  ServiceRevisionReader,
  ServiceState,
  TaskDefinitionDocument,
} from '../../ports';
import {
  clusterNameOf,
  clusterOfServiceArn,
  parseClusterArn,
  parseServiceArn,
  parseTaskArn,
  serviceArnIn,
  shortTaskDefinition,
} from '../aws/arn';
import { parseImageReference, pinToDigest } from '../aws/image-reference';
import type { Plan } from '../plan/plan';
import { pinnedCopy } from './pinned-revision';
import {
  crashReason,
  decideRollback,
  digestsToQuarantine,
  hasBaked,
  notACrashReason,
  otherRevisionCrashReason,
  type ResumedRollback,
  resumeRollback,
  type SignalKind,
  type StoppedTask,
  type UnhealthySignal,
} from './rollback-decision';
import { rollbackSettings } from './rollback-policy';

/** What deciding reads: read views of the watcher's ports (no method that writes). */
export interface WatchReads {
  ecs: ServiceReader;
  /** the service revisions: which digests a known good revision really ran */
  revisions: ServiceRevisionReader;
  history: Pick<DeploymentHistory, 'getDeployment' | 'crashedTasks'>;
  rollbacks: Pick<RollbackHistory, 'lastKnownGood' | 'lastRollback'>;
  bakes: Pick<BakeSchedule, 'listBaked'>;
  /** the alarm index: which services listed an alarm */
  index: Pick<ServiceIndex, 'servicesForAlarm'>;
  policyFile: PolicyFile;
  now: () => Date;
}

/** What every decision says: about what (`cluster/service`, or what the input was about), and why. */
interface Decided {
  /** `cluster/service`; when no service is concerned, what the input was about (`alarm <name>`, a cluster) */
  service: string;
  reason: string;
  /** marked by the applier in dry run: nothing was applied */
  dryRun?: boolean;
}

/**
 * One decision about one input, with its reason (printed by `autopilot dispatch` and the sandbox
 * timeline as `<action> <service>: <reason>`, so the reason is one line people read). Every input gets
 * at least one, also those that are not signals.
 */
export type WatchDecision =
  /** nothing to do (not a signal, not watched, stale, already handled…) */
  | (Decided & { action: 'ignore'; deploymentId?: string; from?: string })
  /** a deployment's state change, or a crash below the crash-loop threshold, is recorded */
  | (Decided & { action: 'record'; deploymentId?: string })
  /** a deployment completed: it bakes, then becomes known good */
  | (Decided & { action: 'bake'; deploymentId: string })
  /** a deployment baked without an unhealthy signal: the last known good revision */
  | (Decided & { action: 'known-good'; deploymentId: string })
  /** a signal autopilot cannot act on (no known good revision, cooldown): people are told */
  | (Decided & { action: 'notify'; deploymentId: string; from?: string })
  /** the unhealthy deployment was itself a rollback: people are told, nothing more */
  | (Decided & { action: 'rollback-failed'; deploymentId: string; from?: string })
  /** ECS rolled back (or rolls back) by itself: quarantine the bad images and tell */
  | (Decided & { action: 'quarantine-only'; deploymentId: string; from?: string } & Quarantining)
  /**
   * roll back: ECS's own rollback of the deployment, or UpdateService to `to` (a person's has no
   * deployment); a stop ECS refused becomes `update-service`
   */
  | (Decided & {
      action: 'stop-deployment' | 'update-service';
      deploymentId?: string;
      from: string;
      /** where the service goes: a copy of the known good revision pinned to its digests, once registered */
      to: string;
      /** the known good revision `to` is a pinned copy of */
      pinnedFrom?: string;
    } & Quarantining)
  /** a person's rollback that cannot be done */
  | (Decided & { action: 'failed' })
  /** what the plan was decided from changed before it was applied (a concurrent crash): decide again */
  | (Decided & { action: 'plan-again' });

/** What a decision that quarantines learns when the world answers otherwise. */
interface Quarantining {
  /** images (`<repositoryKey>@<digest>`) that were quarantined already: not announced again */
  alreadyQuarantined?: string[];
}

/** The action of a {@link WatchDecision}. */
export type WatchAction = WatchDecision['action'];

/** One change a decision calls for; `decision` is its index in the plan. */
export type WatchEffect =
  /** record an ECS deployment's state (forward only: an older state change is dropped) */
  | {
      kind: 'record-deployment-state';
      decision: number;
      serviceArn: string;
      deployment: KnownDeployment;
      updatedAt: string;
    }
  /** the bake timer of a completed deployment */
  | { kind: 'schedule-bake'; decision: number; serviceArn: string; deploymentId: string; dueAt: string }
  /**
   * count a crashed task; `counted` is how many the decision counted (this one included), so a count
   * that reached the threshold meanwhile (a concurrent crash) plans again
   */
  | {
      kind: 'record-crash';
      decision: number;
      serviceArn: string;
      taskDefinitionArn: string;
      taskArn: string;
      at: string;
      since: string;
      counted: number;
      threshold: number;
      /** what made it a crash, for the reason if the count differs */
      why: string;
    }
  /**
   * mark the deployment unhealthy, by the event whose signal acts (the intent, before acting): a
   * duplicate or concurrent signal acts once (false: ignore); a retry of the same event goes on
   */
  | { kind: 'mark-unhealthy'; decision: number; serviceArn: string; deploymentId: string; by: string }
  /** claim the service's rollback slot, conditional on the cooldown (false: notify instead) */
  | {
      kind: 'claim-rollback';
      decision: number;
      serviceArn: string;
      rollback: RollbackRecord;
      cooldownMs: number;
    }
  /**
   * remember a person's rollback (whatever the cooldown), for the cooldown and later crashes: the
   * intent, before UpdateService, that a rerun of the same command goes on with
   */
  | { kind: 'record-rollback'; decision: number; serviceArn: string; rollback: RollbackRecord }
  /**
   * mark a person's rollback announced, once its event is published (by `carryOut`, with the other
   * marks): a rerun of the command then finds it done
   */
  | { kind: 'mark-rollback-announced'; decision: number; serviceArn: string; triggeredBy: string; at: string }
  /**
   * StopServiceDeployment (ROLLBACK) of the deployment rolling out `taskDefinitionArn`; when ECS has
   * none to stop, UpdateService to `fallbackTo` instead (the decision becomes `update-service`)
   */
  | {
      kind: 'stop-deployment';
      decision: number;
      ref: ServiceRef;
      taskDefinitionArn: string;
      fallbackTo: string;
      /** for the fallback: register this pinned copy of `fallbackTo` and update to it instead */
      pin?: PinnedTarget;
    }
  /** UpdateService to a revision (with `pin`: to a pinned copy of it, registered first) */
  | {
      kind: 'update-service';
      decision: number;
      ref: ServiceRef;
      taskDefinitionArn: string;
      pin?: PinnedTarget;
    }
  /**
   * note the deployment the decision's UpdateService started (if it did) as a rollback, or the one
   * named (`deploymentId`: a retried rollback found done)
   */
  | {
      kind: 'note-rollback-started';
      decision: number;
      serviceArn: string;
      taskDefinitionArn: string;
      startedAt: string;
      deploymentId?: string;
    }
  /** quarantine a digest (false: it already was, and it is not announced again) */
  | { kind: 'quarantine-image'; decision: number; image: QuarantinedImage }
  /** the last known good revision (never backwards) */
  | { kind: 'set-last-known-good'; decision: number; serviceArn: string; good: LastKnownGood }
  /** remove a bake timer (done, or nothing to do) */
  | { kind: 'delete-bake'; decision: number; serviceArn: string; deploymentId: string };

/**
 * A copy of the rollback target pinned to the digests it ran when it was known good, registered
 * (RegisterTaskDefinition) right before the UpdateService to it.
 */
export interface PinnedTarget {
  serviceArn: string;
  document: TaskDefinitionDocument;
  /** the containers it pins, for the reason */
  pinned: string[];
  /** the event whose claimed rollback records the copy (`pinRollback`), so its retry reuses it */
  claimedBy?: string;
  /**
   * a retry's: when the rollback was claimed. An earlier attempt may have registered the copy without
   * recording it (the answer lost, or stopped before `pinRollback`): one registered since, carrying
   * the copy's tags, is reused rather than registered again
   */
  registeredSince?: string;
}

/** The service an announcement is about, as the events name it. */
export interface AnnouncedService {
  cluster: string;
  service: string;
  serviceArn: string;
}

/** An unhealthy signal, as the events carry it. */
export interface AnnouncedSignal {
  kind: SignalKind | 'manual';
  reason: string;
  at: string;
}

/**
 * What to announce about one decision once the plan is carried out: the context its events need
 * besides the decision itself. Which events are published follows from the decision as carried out
 * (amended where the world answered otherwise) and from what the effects answered.
 */
export type WatchAnnouncement =
  /** an unhealthy signal: Action Failed, Rollback Failed, Deployment Rolled Back, Image Quarantined */
  | {
      about: 'signal';
      /** the index of the decision */
      of: number;
      service: AnnouncedService;
      signal: AnnouncedSignal;
      triggeredBy: string;
      /** the revision found unhealthy when the decision names none */
      running: string;
      /** ECS rolled back by itself from the failed deployment to this revision (`by: ecs`) */
      rolledBackByEcsTo?: string;
    }
  /** a deployment became the last known good revision: Deployment Succeeded */
  | {
      about: 'known-good';
      of: number;
      service: AnnouncedService;
      taskDefinition: string;
      deploymentId: string;
      bakedUntil: string;
    }
  /** a person rolled the service back: Deployment Rolled Back (`by: person`) */
  | { about: 'person'; of: number; service: AnnouncedService; at: string; triggeredBy: string };

/** A plan of the watcher: decisions, effects, and what to announce once applied. */
export interface WatchPlan extends Plan<WatchDecision, WatchEffect> {
  announcements: WatchAnnouncement[];
}

/** An ECS Deployment State Change, as the watcher needs it. */
export interface DeploymentStateChange {
  serviceArn: string;
  eventName: string;
  deploymentId: string;
  updatedAt: string;
  reason?: string;
  eventId: string;
}

/** A CloudWatch Alarm State Change, as the watcher needs it. */
export interface AlarmStateChange {
  name: string;
  state: string;
  reason: string;
  at: string;
  eventId: string;
}

/** An ECS Task State Change of a stopped task, as the watcher needs it. */
export interface TaskStopped extends StoppedTask {
  clusterArn: string;
  group: string;
  taskArn: string;
  taskDefinitionArn: string;
  stoppedAt: string;
  eventId: string;
  /** the deployment (`ecs-svc/…`) that started the task, as ECS says in `startedBy` */
  startedBy?: string;
}

/** Who asked for a person's rollback, as its event says. */
export const PERSON_TRIGGER = 'autopilot-cli';

const ROLLBACK_REASON = /roll(ing|ed)? ?back|rollback/i;

const refOf = (service: ServiceState): ServiceRef => ({ cluster: service.clusterArn, service: service.arn });
const named = (service: ServiceState) => `${service.clusterName}/${service.name}`;
const announced = (service: ServiceState): AnnouncedService => ({
  cluster: service.clusterName,
  service: service.name,
  serviceArn: service.arn,
});
/** `cluster/service` of a service ARN; anything else as is. */
const namedArn = (serviceArn: string) => {
  const parsed = parseServiceArn(serviceArn);
  return parsed ? `${parsed.cluster}/${parsed.service}` : serviceArn;
};
/** The id of a task ARN, shortened for reasons: `1a2b3c4d…`. */
const shortTaskId = (taskArn: string) => {
  const id = parseTaskArn(taskArn)?.taskId ?? taskArn;
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
};

/** Builds a plan decision by decision; each decision's effects refer to it by index. */
class WatchPlanBuilder {
  private readonly plan: WatchPlan = { decisions: [], effects: [], announcements: [] };

  /** Adds a decision; returns its index. */
  decide(decision: WatchDecision): number {
    this.plan.decisions.push(decision);
    return this.plan.decisions.length - 1;
  }

  effect(effect: WatchEffect): void {
    this.plan.effects.push(effect);
  }

  announce(announcement: WatchAnnouncement): void {
    this.plan.announcements.push(announcement);
  }

  build(): WatchPlan {
    return this.plan;
  }
}

/** A plan of one decision and nothing to do. */
const only = (decision: WatchDecision): WatchPlan => ({
  decisions: [decision],
  effects: [],
  announcements: [],
});

async function describe(reads: WatchReads, serviceArn: string): Promise<ServiceState | undefined> {
  const cluster = clusterOfServiceArn(serviceArn);
  if (!cluster) return undefined;
  return (await reads.ecs.describeServices([{ cluster, service: serviceArn }]))[0];
}

/**
 * Plans a deployment's state change: record it; COMPLETED schedules its bake; FAILED is an unhealthy
 * signal.
 */
export async function planDeploymentStateChange(
  change: DeploymentStateChange,
  reads: WatchReads,
): Promise<WatchPlan> {
  const service = await describe(reads, change.serviceArn);
  if (!service) return only({ service: change.serviceArn, action: 'ignore', reason: 'service not found' });
  const settings = rollbackSettings(reads.policyFile, service);
  if (!settings.enabled)
    return only({ service: named(service), action: 'ignore', reason: 'service is not watched for rollback' });
  const listed = service.deployments.find((d) => d.id === change.deploymentId);
  const known = await reads.history.getDeployment(service.arn, change.deploymentId);
  const taskDefinitionArn = listed?.taskDefinitionArn ?? known?.taskDefinitionArn;
  if (!taskDefinitionArn) {
    return only({
      service: named(service),
      action: 'ignore',
      reason: `deployment ${change.deploymentId} is unknown to ECS and to autopilot`,
    });
  }
  const lastRollback = await reads.rollbacks.lastRollback(service.arn);
  const isRollback =
    known?.isRollback === true ||
    ROLLBACK_REASON.test(change.reason ?? '') ||
    (lastRollback !== undefined &&
      lastRollback.to === taskDefinitionArn &&
      lastRollback.at <= change.updatedAt);
  const state =
    change.eventName === 'SERVICE_DEPLOYMENT_COMPLETED'
      ? 'COMPLETED'
      : change.eventName === 'SERVICE_DEPLOYMENT_FAILED'
        ? 'FAILED'
        : 'IN_PROGRESS';
  const bakeUntil = new Date(new Date(change.updatedAt).getTime() + settings.bakeTimeMs).toISOString();
  const record: KnownDeployment = {
    ...known,
    deploymentId: change.deploymentId,
    taskDefinitionArn,
    state,
    isRollback,
    startedAt: known?.startedAt ?? change.updatedAt,
    ...(state === 'COMPLETED' ? { completedAt: change.updatedAt, bakeUntil } : {}),
  };
  const plan = new WatchPlanBuilder();
  const base = { service: named(service), deploymentId: change.deploymentId };
  const recordState = (decision: number): WatchEffect => ({
    kind: 'record-deployment-state',
    decision,
    serviceArn: service.arn,
    deployment: record,
    updatedAt: change.updatedAt,
  });
  if (state === 'COMPLETED') {
    // A COMPLETED that comes again (a duplicate state change with its own event id, or autopilot's
    // own output fed back) after the bake made it known good would bake it again and announce
    // Deployment Succeeded twice. Before that, baking again is harmless: one timer per deployment.
    // The indexer also makes a service's first deployment known good when it first sees it steady,
    // without the digests it ran: a COMPLETED that finds only that (this deployment never seen
    // COMPLETED) is baked all the same, so the digests are recorded whichever of the two came first.
    if (
      known?.state === 'COMPLETED' &&
      (await reads.rollbacks.lastKnownGood(service.arn))?.deploymentId === change.deploymentId
    ) {
      return only({
        ...base,
        action: 'ignore',
        reason: 'completed and known good already: nothing to bake again',
      });
    }
    const decision = plan.decide({
      ...base,
      action: 'bake',
      reason: `completed; known good after ${bakeUntil} unless unhealthy`,
    });
    plan.effect(recordState(decision));
    if (!record.unhealthy) {
      plan.effect({
        kind: 'schedule-bake',
        decision,
        serviceArn: service.arn,
        deploymentId: change.deploymentId,
        dueAt: bakeUntil,
      });
    }
    return plan.build();
  }
  if (state === 'IN_PROGRESS') {
    const decision = plan.decide({
      ...base,
      action: 'record',
      reason: isRollback ? 'rollback deployment in progress' : 'deployment in progress',
    });
    plan.effect(recordState(decision));
    return plan.build();
  }
  const signal: UnhealthySignal = {
    kind: 'deployment-failed',
    deploymentId: change.deploymentId,
    reason: change.reason ?? 'deployment failed',
    at: new Date(change.updatedAt),
  };
  await planSignal(plan, { signal, service, known: record, eventId: change.eventId }, reads, (decision) => [
    recordState(decision),
  ]);
  return plan.build();
}

/**
 * Plans an alarm that went to ALARM: every service that listed it and has a deployment in progress or
 * in its bake time gets an unhealthy signal.
 */
export async function planAlarm(alarm: AlarmStateChange, reads: WatchReads): Promise<WatchPlan> {
  const subject = `alarm ${alarm.name}`;
  if (alarm.state !== 'ALARM') {
    return only({
      service: subject,
      action: 'ignore',
      reason: `alarm ${alarm.name} is ${alarm.state}, not ALARM: not a signal`,
    });
  }
  const listing = await reads.index.servicesForAlarm(alarm.name);
  if (listing.length === 0) {
    return only({
      service: subject,
      action: 'ignore',
      reason: `alarm ${alarm.name} is in ALARM but no service lists it (tag autopilot:alarms or rollback.alarms)`,
    });
  }
  const plan = new WatchPlanBuilder();
  for (const { serviceArn } of listing) {
    const service = await describe(reads, serviceArn);
    if (!service) {
      plan.decide({
        service: namedArn(serviceArn),
        action: 'ignore',
        reason: `alarm ${alarm.name} is in ALARM but the service was not found`,
      });
      continue;
    }
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary) {
      plan.decide({
        service: named(service),
        action: 'ignore',
        reason: `alarm ${alarm.name} is in ALARM but ECS lists no primary deployment for the service`,
      });
      continue;
    }
    const known = await reads.history.getDeployment(service.arn, primary.id);
    // As instants: EventBridge writes `time` without milliseconds, so the strings do not compare.
    const inBake =
      known?.state === 'COMPLETED' &&
      known.bakeUntil !== undefined &&
      new Date(known.bakeUntil) > new Date(alarm.at);
    if (primary.rolloutState !== 'IN_PROGRESS' && !inBake) {
      plan.decide({
        service: named(service),
        action: 'ignore',
        reason: `alarm ${alarm.name} fired outside any deployment or bake time`,
      });
      continue;
    }
    const signal: UnhealthySignal = {
      kind: 'alarm',
      deploymentId: primary.id,
      reason: `alarm ${alarm.name} in ALARM: ${alarm.reason}`,
      at: new Date(alarm.at),
    };
    await planSignal(plan, { signal, service, known, eventId: alarm.eventId }, reads);
  }
  return plan.build();
}

/**
 * Plans a stopped task of a service: a crash of the primary deployment's revision is counted (the
 * crashes recorded, this one counted in); enough of them is a crash loop. Every other stopped task
 * gets an `ignore` decision saying why.
 */
export async function planTaskStopped(task: TaskStopped, reads: WatchReads): Promise<WatchPlan> {
  const cluster = clusterNameOf(task.clusterArn);
  const taskId = shortTaskId(task.taskArn);
  const name = /^service:(.+)$/.exec(task.group)?.[1];
  if (!name) {
    return only({
      service: cluster,
      action: 'ignore',
      reason: `task ${taskId} (group ${task.group || 'none'}) is not a task of a service: not watched`,
    });
  }
  const why = crashReason(task);
  if (!why) {
    return only({
      service: `${cluster}/${name}`,
      action: 'ignore',
      reason: `task ${taskId} ${notACrashReason(task)}: not a crash`,
    });
  }
  const clusterArn = parseClusterArn(task.clusterArn);
  const service = clusterArn ? await describe(reads, serviceArnIn(clusterArn, name)) : undefined;
  if (!service) {
    return only({
      service: `${cluster}/${name}`,
      action: 'ignore',
      reason: `task ${taskId} crashed (${why}); the service was not found`,
    });
  }
  const settings = rollbackSettings(reads.policyFile, service);
  if (!settings.enabled) {
    return only({
      service: named(service),
      action: 'ignore',
      reason: `task ${taskId} crashed (${why}); the service is not watched for rollback`,
    });
  }
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (!primary) {
    return only({
      service: named(service),
      action: 'ignore',
      reason: `a task of ${shortTaskDefinition(task.taskDefinitionArn)} crashed but ECS lists no primary deployment for the service: not counted`,
    });
  }
  // A retry of the event whose crash loop rolled the service back finds the target primary already
  // (ECS's rollback runs it): it goes on with the rollback it claimed, which announces it.
  if (
    primary.taskDefinitionArn !== task.taskDefinitionArn &&
    !(await claimedBy(reads, service, task.eventId))
  ) {
    return only({
      service: named(service),
      action: 'ignore',
      reason: await otherRevision(task, service, primary, reads),
    });
  }
  const since = new Date(new Date(task.stoppedAt).getTime() - settings.crashLoop.windowMs).toISOString();
  const recorded = await reads.history.crashedTasks(service.arn, task.taskDefinitionArn, since);
  // This task counted in (once: a redelivered event finds it recorded already).
  const crashes = new Set([...recorded, task.taskArn]).size;
  const threshold = settings.crashLoop.tasks;
  const recordCrash = (decision: number): WatchEffect => ({
    kind: 'record-crash',
    decision,
    serviceArn: service.arn,
    taskDefinitionArn: task.taskDefinitionArn,
    taskArn: task.taskArn,
    at: task.stoppedAt,
    since,
    counted: crashes,
    threshold,
    why,
  });
  const plan = new WatchPlanBuilder();
  if (crashes < threshold) {
    const decision = plan.decide({
      service: named(service),
      action: 'record',
      reason: crashRecordReason(crashes, threshold, why),
    });
    plan.effect(recordCrash(decision));
    return plan.build();
  }
  const known = await reads.history.getDeployment(service.arn, primary.id);
  const signal: UnhealthySignal = {
    kind: 'crash-loop',
    deploymentId: primary.id,
    reason: `${crashes} tasks of the new revision crashed within ${Math.round(settings.crashLoop.windowMs / 60_000)}m (last: ${why})`,
    at: new Date(task.stoppedAt),
  };
  await planSignal(plan, { signal, service, known, eventId: task.eventId }, reads, (decision) => [
    recordCrash(decision),
  ]);
  return plan.build();
}

/** Whether the service's last rollback was claimed by the event `eventId`. */
async function claimedBy(reads: WatchReads, service: ServiceState, eventId: string): Promise<boolean> {
  return (await reads.rollbacks.lastRollback(service.arn))?.triggeredBy === eventId;
}

/** The reason of a crash counted below the crash-loop threshold. */
export const crashRecordReason = (crashes: number, threshold: number, why: string) =>
  `crash ${crashes} of ${threshold}: ${why}`;

/** Why a crash of a task of another revision than the primary deployment's is not counted. */
async function otherRevision(
  task: { taskDefinitionArn: string; startedBy?: string },
  service: ServiceState,
  primary: ServiceState['deployments'][number],
  reads: WatchReads,
): Promise<string> {
  const listed =
    service.deployments.find((d) => d.id === task.startedBy) ??
    service.deployments.find((d) => d.status !== 'PRIMARY' && d.taskDefinitionArn === task.taskDefinitionArn);
  const deploymentId = listed?.id ?? task.startedBy;
  const [found, primaryKnown, lastRollback] = await Promise.all([
    deploymentId ? reads.history.getDeployment(service.arn, deploymentId) : undefined,
    reads.history.getDeployment(service.arn, primary.id),
    reads.rollbacks.lastRollback(service.arn),
  ]);
  // A record of another revision (a reused `startedBy`?) says nothing about this one.
  const known = found?.taskDefinitionArn === task.taskDefinitionArn ? found : undefined;
  return otherRevisionCrashReason({
    taskDefinitionArn: task.taskDefinitionArn,
    primary,
    listed: listed?.taskDefinitionArn === task.taskDefinitionArn ? listed : undefined,
    known,
    primaryKnown,
    lastRollback,
    deploymentConfiguration: service.deploymentConfiguration,
  });
}

/** Plans the bake timer: completed deployments whose bake time passed become the last known good. */
export async function planPromoteBaked(reads: WatchReads): Promise<WatchPlan> {
  const plan = new WatchPlanBuilder();
  const now = reads.now();
  for (const due of await reads.bakes.listBaked(now)) {
    const known = await reads.history.getDeployment(due.serviceArn, due.deploymentId);
    const service = await describe(reads, due.serviceArn);
    const primary = service?.deployments.find((d) => d.status === 'PRIMARY');
    const base = { service: service ? named(service) : due.serviceArn, deploymentId: due.deploymentId };
    let decision: number;
    if (!service || !known || !hasBaked(known, now) || primary?.id !== due.deploymentId) {
      decision = plan.decide({
        ...base,
        action: 'ignore',
        reason: 'not known good: unhealthy, replaced or gone before the bake time ended',
      });
    } else {
      const bakedUntil = known.bakeUntil ?? now.toISOString();
      decision = plan.decide({
        ...base,
        action: 'known-good',
        reason: `baked until ${known.bakeUntil} without an unhealthy signal`,
      });
      const images = await imagesRunning(reads, service, known.taskDefinitionArn);
      plan.effect({
        kind: 'set-last-known-good',
        decision,
        serviceArn: service.arn,
        good: {
          taskDefinitionArn: known.taskDefinitionArn,
          deploymentId: known.deploymentId,
          at: bakedUntil,
          ...(images ? { images } : {}),
        },
      });
      plan.announce({
        about: 'known-good',
        of: decision,
        service: announced(service),
        taskDefinition: known.taskDefinitionArn,
        deploymentId: known.deploymentId,
        bakedUntil,
      });
    }
    plan.effect({
      kind: 'delete-bake',
      decision,
      serviceArn: due.serviceArn,
      deploymentId: due.deploymentId,
    });
  }
  return plan.build();
}

/**
 * What a service's tasks of a revision really run: the containers of its current service revision of
 * that task definition, with the digests ECS resolved their images to; undefined when ECS does not
 * say (no service revisions: another deployment controller, or ECS before them).
 *
 * @example await imagesRunning(reads, service, api7) // [{ container: 'app', image: '…/team/api:main', digest: 'sha256:…' }]
 */
export async function imagesRunning(
  reads: Pick<WatchReads, 'revisions'>,
  service: ServiceState,
  taskDefinitionArn: string,
): Promise<RunningImage[] | undefined> {
  const current = service.currentServiceRevisions ?? [];
  if (current.length === 0) return undefined;
  const revisions = await reads.revisions.describeServiceRevisions(current.slice(0, 20));
  return revisions.find((r) => r.taskDefinitionArn === taskDefinitionArn)?.images;
}

/**
 * The pinned copy of a rollback target (`to`) when it is the last known good revision, names images
 * by tag, and what it ran is recorded; undefined otherwise (the target runs as it is).
 */
async function pinTarget(
  reads: WatchReads,
  service: ServiceState,
  to: string,
  lastKnownGood: LastKnownGood | undefined,
  by: { claimedBy?: string; triggeredBy: string; registeredSince?: string | undefined },
): Promise<PinnedTarget | undefined> {
  if (lastKnownGood?.taskDefinitionArn !== to || !lastKnownGood.images) return undefined;
  const target = await reads.ecs.describeTaskDefinition(to);
  const copy = target && pinnedCopy(target, lastKnownGood.images, { triggeredBy: by.triggeredBy });
  return (
    copy && {
      serviceArn: service.arn,
      ...copy,
      ...(by.claimedBy ? { claimedBy: by.claimedBy } : {}),
      ...(by.registeredSince ? { registeredSince: by.registeredSince } : {}),
    }
  );
}

/**
 * Plans a person's rollback (`autopilot rollback`): to a given revision or the last known good one.
 * The rollback slot records it (`record-rollback`, by {@link PERSON_TRIGGER}) before UpdateService,
 * as the intent; it is marked announced after its event is published. A rerun of the same command
 * (same service, same target) that finds that intent not announced goes on with it
 * ({@link resumeRollback}): UpdateService if the service still runs what it ran, else only the note
 * and the announcement, at the intent's time, so both runs announce the same event.
 */
export async function planRollbackByPerson(
  serviceArn: string,
  to: string | undefined,
  reads: WatchReads,
): Promise<WatchPlan> {
  const service = await describe(reads, serviceArn);
  if (!service) return only({ service: serviceArn, action: 'failed', reason: 'service not found' });
  const [lastKnownGood, lastRollback] = await Promise.all([
    reads.rollbacks.lastKnownGood(service.arn),
    reads.rollbacks.lastRollback(service.arn),
  ]);
  const target = to ?? lastKnownGood?.taskDefinitionArn;
  if (!target) {
    return only({
      service: named(service),
      action: 'failed',
      reason: 'no known good revision: give one with --to',
    });
  }
  const earlier =
    lastRollback?.triggeredBy === PERSON_TRIGGER &&
    lastRollback.announced !== true &&
    (lastRollback.pinnedFrom ?? lastRollback.to) === target
      ? lastRollback
      : undefined;
  const resumed = earlier && resumeRollback({ service, claimed: earlier });
  // A service that moved on since gets a rollback of its own.
  const intent = resumed?.action === 'ignore' ? undefined : earlier;
  const from = intent?.from ?? service.taskDefinitionArn;
  // The copy of the target a rollback pinned is the target (a rerun would pin yet another copy).
  const pinnedCopyOfTarget = lastRollback?.pinnedFrom === target && lastRollback.to === from;
  if (!intent && (target === from || pinnedCopyOfTarget)) {
    const running = pinnedCopyOfTarget ? `${from}, a copy of ${target} pinned by its rollback` : target;
    return only({ service: named(service), action: 'ignore', reason: `already running ${running}` });
  }
  const at = intent?.at ?? reads.now().toISOString();
  const reason = intent?.reason ?? 'rolled back by a person';
  const plan = new WatchPlanBuilder();
  const decision = plan.decide({
    service: named(service),
    action: 'update-service',
    reason,
    from,
    to: intent?.to ?? target,
    ...(intent?.pinnedFrom ? { pinnedFrom: intent.pinnedFrom } : {}),
  });
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (!intent) {
    plan.effect({
      kind: 'record-rollback',
      decision,
      serviceArn: service.arn,
      rollback: { at, from, to: target, reason, triggeredBy: PERSON_TRIGGER, method: 'update-service' },
    });
  }
  if (resumed?.done && primary) {
    // An earlier run changed ECS: its deployment is noted, nothing is changed again.
    plan.effect({
      kind: 'note-rollback-started',
      decision,
      serviceArn: service.arn,
      taskDefinitionArn: primary.taskDefinitionArn,
      startedAt: at,
      deploymentId: primary.id,
    });
  } else if (!resumed?.done) {
    // A copy recorded with the intent is the target already; one registered but not recorded is
    // looked for among the revisions registered since the intent.
    const pin = intent?.pinnedFrom
      ? undefined
      : await pinTarget(reads, service, target, lastKnownGood, {
          claimedBy: PERSON_TRIGGER,
          triggeredBy: PERSON_TRIGGER,
          registeredSince: intent?.at,
        });
    plan.effect({
      kind: 'update-service',
      decision,
      ref: refOf(service),
      taskDefinitionArn: intent?.to ?? target,
      ...(pin ? { pin } : {}),
    });
    plan.effect({
      kind: 'note-rollback-started',
      decision,
      serviceArn: service.arn,
      taskDefinitionArn: target,
      startedAt: at,
    });
  }
  plan.effect({
    kind: 'mark-rollback-announced',
    decision,
    serviceArn: service.arn,
    triggeredBy: PERSON_TRIGGER,
    at,
  });
  plan.announce({
    about: 'person',
    of: decision,
    service: announced(service),
    at,
    triggeredBy: PERSON_TRIGGER,
  });
  return plan.build();
}

/** An unhealthy signal about a deployment of a service, and what is known about that deployment. */
interface SignalInput {
  signal: UnhealthySignal;
  service: ServiceState;
  known: KnownDeployment | undefined;
  eventId: string;
}

/**
 * Plans what an unhealthy signal leads to ({@link decideRollback}): one decision, its effects in the
 * order they are carried out (`first`: the input's own, such as recording the state change; then the
 * unhealthy mark, the rollback slot, the pinned copy and the rollback, the quarantine) and what to
 * announce. The mark and the claim record the intent with the triggering event before ECS is
 * changed, so a retry of that event goes on with its rollback ({@link resumeRollback}) and announces
 * it, instead of finding its own mark and claim and stopping there.
 */
async function planSignal(
  plan: WatchPlanBuilder,
  input: SignalInput,
  reads: WatchReads,
  first: (decision: number) => WatchEffect[] = () => [],
): Promise<void> {
  const { service, eventId } = input;
  const settings = rollbackSettings(reads.policyFile, service);
  const now = reads.now();
  const [lastKnownGood, lastRollback] = await Promise.all([
    reads.rollbacks.lastKnownGood(service.arn),
    reads.rollbacks.lastRollback(service.arn),
  ]);
  // A rollback this very event claimed: the deployment it acted on is the one its claim names (an
  // alarm's primary deployment may since be the rollback itself).
  const claimedByEvent = lastRollback?.triggeredBy === eventId ? lastRollback : undefined;
  const actedOn = claimedByEvent?.deploymentId ?? input.signal.deploymentId;
  const signal = { ...input.signal, deploymentId: actedOn };
  const known =
    actedOn === input.signal.deploymentId
      ? input.known
      : await reads.history.getDeployment(service.arn, actedOn);
  // Announced already: the same event again is a duplicate, which its own mark makes "already
  // handled". Not announced: a retry, which its own mark and claim do not stop; a rollback it claimed
  // is carried on rather than decided again.
  const duplicate = known?.unhealthyAnnounced === true && known.unhealthyBy === eventId;
  const markedByThisEvent = !duplicate && known?.unhealthy === true && known.unhealthyBy === eventId;
  const claimed = duplicate ? undefined : claimedByEvent;
  const decided: ResumedRollback = duplicate
    ? {
        action: 'ignore',
        from: known?.taskDefinitionArn,
        reason: `deployment ${signal.deploymentId} was already handled`,
      }
    : claimed
      ? resumeRollback({ service, claimed })
      : decideRollback({
          signal,
          service,
          deployment: markedByThisEvent ? { ...known, unhealthy: false } : known,
          lastKnownGood,
          lastRollbackAt: lastRollback ? new Date(lastRollback.at) : undefined,
          settings,
          now,
        });
  const base = {
    service: named(service),
    deploymentId: signal.deploymentId,
    reason: decided.reason,
    ...(decided.from === undefined ? {} : { from: decided.from }),
  };
  const from = decided.from ?? service.taskDefinitionArn;
  const to = decided.to ?? '';
  const decision = plan.decide(
    decided.action === 'stop-deployment' || decided.action === 'update-service'
      ? {
          ...base,
          action: decided.action,
          from,
          to,
          ...(claimed?.pinnedFrom ? { pinnedFrom: claimed.pinnedFrom } : {}),
        }
      : { ...base, action: decided.action },
  );
  for (const effect of first(decision)) plan.effect(effect);
  if (decided.action === 'ignore') return;
  // A duplicate or concurrent signal about the same deployment acts once.
  if (known)
    plan.effect({
      kind: 'mark-unhealthy',
      decision,
      serviceArn: service.arn,
      deploymentId: signal.deploymentId,
      by: eventId,
    });
  const announcement: WatchAnnouncement = {
    about: 'signal',
    of: decision,
    service: announced(service),
    signal: { kind: signal.kind, reason: signal.reason, at: signal.at.toISOString() },
    triggeredBy: eventId,
    running: service.taskDefinitionArn,
  };
  const quarantine = (good: string) =>
    planQuarantine(plan, decision, decided, good, { service, lastKnownGood, eventId }, reads, now);
  switch (decided.action) {
    case 'notify':
    case 'rollback-failed':
      break;
    case 'quarantine-only': {
      const primary = service.deployments.find((d) => d.status === 'PRIMARY');
      const current = primary?.taskDefinitionArn ?? service.taskDefinitionArn;
      // While the bad revision is still primary (ECS has not rolled back yet, or rolls back by its own
      // rules), the images to keep are those of the last known good revision.
      await quarantine(current === decided.from && lastKnownGood ? lastKnownGood.taskDefinitionArn : current);
      if (signal.kind === 'deployment-failed' && decided.from && current !== decided.from)
        announcement.rolledBackByEcsTo = current;
      break;
    }
    case 'stop-deployment':
    case 'update-service': {
      const done = decided.done === true;
      if (!claimed) {
        plan.effect({
          kind: 'claim-rollback',
          decision,
          serviceArn: service.arn,
          rollback: {
            at: now.toISOString(),
            from,
            to,
            reason: decided.reason,
            triggeredBy: eventId,
            deploymentId: signal.deploymentId,
            method: decided.action,
          },
          cooldownMs: settings.cooldownMs,
        });
      }
      const primary = service.deployments.find((d) => d.status === 'PRIMARY');
      if (done) {
        // ECS already runs the target: the rollback deployment is noted, nothing is changed again.
        if (primary)
          plan.effect({
            kind: 'note-rollback-started',
            decision,
            serviceArn: service.arn,
            taskDefinitionArn: primary.taskDefinitionArn,
            startedAt: claimed?.at ?? now.toISOString(),
            deploymentId: primary.id,
          });
      } else {
        // A copy pinned once (recorded with the claim) is the target already; one registered but not
        // recorded is looked for among the revisions registered since the claim.
        const pin = claimed?.pinnedFrom
          ? undefined
          : await pinTarget(reads, service, to, lastKnownGood, {
              claimedBy: eventId,
              triggeredBy: eventId,
              registeredSince: claimed?.at,
            });
        plan.effect(
          decided.action === 'stop-deployment'
            ? {
                kind: 'stop-deployment',
                decision,
                ref: refOf(service),
                taskDefinitionArn: from,
                fallbackTo: to,
                ...(pin ? { pin } : {}),
              }
            : {
                kind: 'update-service',
                decision,
                ref: refOf(service),
                taskDefinitionArn: to,
                ...(pin ? { pin } : {}),
              },
        );
        plan.effect({
          kind: 'note-rollback-started',
          decision,
          serviceArn: service.arn,
          taskDefinitionArn: to,
          startedAt: now.toISOString(),
        });
      }
      await quarantine(claimed?.pinnedFrom ?? to);
      break;
    }
  }
  plan.announce(announcement);
}

/**
 * Plans the quarantine of the private ECR digests the bad revision runs and the good one does not
 * (nor the digests the last known good revision ran, when `good` is it: a revision naming tags ran
 * those), each marked with the triggering event, so its retry announces what it quarantined.
 */
async function planQuarantine(
  plan: WatchPlanBuilder,
  decision: number,
  decided: { from?: string; reason: string },
  goodTaskDefinition: string,
  context: { service: ServiceState; lastKnownGood: LastKnownGood | undefined; eventId: string },
  reads: WatchReads,
  now: Date,
): Promise<void> {
  const { service, lastKnownGood, eventId } = context;
  if (!decided.from) return;
  const [bad, good] = await Promise.all([
    reads.ecs.describeTaskDefinition(decided.from),
    reads.ecs.describeTaskDefinition(goodTaskDefinition),
  ]);
  if (!bad) return;
  const ranWhenGood =
    lastKnownGood?.taskDefinitionArn === goodTaskDefinition ? pinnedImages(lastKnownGood.images ?? []) : [];
  const images = digestsToQuarantine(bad.definition.containerDefinitions, [
    ...(good?.definition.containerDefinitions ?? []),
    ...ranWhenGood,
  ]);
  for (const image of images) {
    plan.effect({
      kind: 'quarantine-image',
      decision,
      image: {
        ...image,
        reason: `deployed to ${named(service)} and unhealthy: ${decided.reason}`,
        at: now.toISOString(),
        service: named(service),
        triggeredBy: eventId,
      },
    });
  }
}

/** The images a revision ran, each pinned to the digest it ran (`<registry>/<repository>@<digest>`). */
function pinnedImages(ran: readonly RunningImage[]): { image: string }[] {
  return ran.flatMap(({ image, digest }) => {
    const ref = parseImageReference(image);
    return ref.ok && digest ? [{ image: pinToDigest(ref.value, digest) }] : [];
  });
}
