/**
 * Roll back, the decisions: whether an unhealthy signal about a deployment leads to a rollback, how,
 * and to what; when a deployment has baked long enough to become the last known good revision; what
 * counts as a crash. Pure: time and state are arguments.
 */
import type {
  KnownDeployment,
  LastKnownGood,
  RollbackRecord,
  ServiceDeploymentState,
  ServiceState,
} from '../../ports';
import { shortTaskDefinition } from '../aws/arn';
import { repositoryKey } from '../aws/ecr-repository';
import { isImageOfRepository, parseEcrRegistry, parseImageReference } from '../aws/image-reference';
import { formatMinutes } from '../policy/duration';

/** What made a deployment look unhealthy. */
export type SignalKind = 'deployment-failed' | 'alarm' | 'crash-loop';

/** An unhealthy signal about one deployment of a service. */
export interface UnhealthySignal {
  kind: SignalKind;
  /** the `ecs-svc/…` id of the deployment the signal is about */
  deploymentId: string;
  reason: string;
  at: Date;
}

/** Rollback settings of a service, from the policy file. */
export interface RollbackSettings {
  enabled: boolean;
  bakeTimeMs: number;
  /** at most one automatic rollback per service in this window */
  cooldownMs: number;
  crashLoop: { tasks: number; windowMs: number };
}

/** What to do about a signal. */
export type RollbackAction =
  /** stop the in-progress deployment with ECS's own rollback (StopServiceDeployment ROLLBACK) */
  | 'stop-deployment'
  /** point the service back at the last known good revision (UpdateService) */
  | 'update-service'
  /** ECS already rolled back, or rolls back by itself: quarantine and tell, do not roll back again */
  | 'quarantine-only'
  /** the unhealthy deployment was itself a rollback: say so and stop */
  | 'rollback-failed'
  /** a rollback would be right but is not possible or not allowed: tell people */
  | 'notify'
  /** nothing to do (stale, out of order, already handled, after the bake time) */
  | 'ignore';

/** A decision with its reason. */
export interface RollbackDecision {
  action: RollbackAction;
  reason: string;
  /** the revision to return to (update-service) */
  to?: string;
  /** the unhealthy revision */
  from?: string;
}

/** Input of {@link decideRollback}. */
export interface RollbackInput {
  signal: UnhealthySignal;
  service: ServiceState;
  /** our record of the signalled deployment, if any */
  deployment: KnownDeployment | undefined;
  lastKnownGood: LastKnownGood | undefined;
  lastRollbackAt: Date | undefined;
  settings: RollbackSettings;
  now: Date;
}

const NATIVE_STRATEGIES = new Set(['BLUE_GREEN', 'LINEAR', 'CANARY']);
const ECS_ROLLED_BACK = /circuit breaker.*roll|rolling back|rolled back/i;

/**
 * Decides what an unhealthy signal leads to. Decisions compare deployment ids and times, so
 * duplicates and out-of-order events never cause a wrong rollback.
 *
 * @example
 * decideRollback({ signal: { kind: 'alarm', deploymentId: 'ecs-svc/1', reason: 'api-5xx in ALARM', at },
 *   service, deployment, lastKnownGood, lastRollbackAt: undefined, settings, now })
 * // { action: 'update-service', to: 'arn:…:task-definition/api:7', reason: '…' }
 */
export function decideRollback(input: RollbackInput): RollbackDecision {
  const { signal, service, deployment, lastKnownGood, settings, now } = input;
  if (!settings.enabled) return { action: 'ignore', reason: 'rollback is disabled for this service' };
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  const signalled = service.deployments.find((d) => d.id === signal.deploymentId);
  const from = deployment?.taskDefinitionArn ?? signalled?.taskDefinitionArn;

  if (signal.kind === 'deployment-failed') {
    // With the circuit breaker's rollback on, ECS returns to the previous deployment by itself; the
    // FAILED event may arrive before or after ECS has started that rollback.
    const rolledBackByEcs =
      ECS_ROLLED_BACK.test(signal.reason) ||
      (service.deploymentConfiguration.circuitBreaker.enable &&
        service.deploymentConfiguration.circuitBreaker.rollback) ||
      (primary !== undefined && primary.id !== signal.deploymentId && primary.taskDefinitionArn !== from);
    if (rolledBackByEcs) {
      return {
        action: 'quarantine-only',
        from,
        reason: `ECS already rolled back (${signal.reason}); not rolling back again`,
      };
    }
  }
  if (!primary || primary.id !== signal.deploymentId) {
    return {
      action: 'ignore',
      from,
      reason: `deployment ${signal.deploymentId} is no longer the primary deployment`,
    };
  }
  if (deployment?.unhealthy)
    return { action: 'ignore', from, reason: `deployment ${signal.deploymentId} was already handled` };
  if (deployment?.isRollback) {
    return {
      action: 'rollback-failed',
      from,
      reason: `the rollback deployment is unhealthy too (${signal.reason}); stopping here`,
    };
  }
  if (service.deploymentController !== 'ECS') {
    return {
      action: 'quarantine-only',
      from,
      reason: `deployment controller ${service.deploymentController} rolls back by its own rules`,
    };
  }
  const strategy = service.deploymentConfiguration.strategy;
  if (NATIVE_STRATEGIES.has(strategy)) {
    return { action: 'quarantine-only', from, reason: `ECS ${strategy} deployments roll back by themselves` };
  }
  if (service.deploymentConfiguration.alarmRollback && signal.kind === 'alarm') {
    return { action: 'quarantine-only', from, reason: 'ECS rolls back on its own deployment alarms' };
  }
  const state = deployment?.state ?? primary.rolloutState ?? 'IN_PROGRESS';
  if (
    state === 'COMPLETED' &&
    deployment?.bakeUntil !== undefined &&
    new Date(deployment.bakeUntil) <= signal.at
  ) {
    return {
      action: 'ignore',
      from,
      reason: `the signal came after the bake time (${deployment.bakeUntil}); the revision is known good`,
    };
  }
  if (!lastKnownGood || lastKnownGood.taskDefinitionArn === from) {
    return {
      action: 'notify',
      from,
      reason: 'no known good revision to return to (first deployment?): not guessing',
    };
  }
  if (input.lastRollbackAt && now.getTime() - input.lastRollbackAt.getTime() < settings.cooldownMs) {
    return {
      action: 'notify',
      from,
      reason: `already rolled back at ${input.lastRollbackAt.toISOString()}; at most one automatic rollback per ${formatMinutes(settings.cooldownMs)}`,
    };
  }
  const why = `${signal.kind}: ${signal.reason}`;
  if (state === 'IN_PROGRESS') {
    return {
      action: 'stop-deployment',
      from,
      to: lastKnownGood.taskDefinitionArn,
      reason: `${why}; stopping the deployment with ECS's rollback`,
    };
  }
  return {
    action: 'update-service',
    from,
    to: lastKnownGood.taskDefinitionArn,
    reason: `${why}; returning to the last known good revision`,
  };
}

/** What is left of a rollback a retried event claimed before it failed ({@link resumeRollback}). */
export interface ResumedRollback extends RollbackDecision {
  /** the service already runs the rollback target: nothing is left to change, only to announce */
  done?: boolean;
}

/**
 * A retry of the event that claimed the service's rollback slot (`claimed.triggeredBy`): it goes on
 * with that rollback rather than deciding again, since its own unhealthy mark and claim would stop it
 * (already handled, cooldown) and what it changed in ECS would go unannounced. While the service's
 * primary deployment still runs the bad revision, ECS was not changed yet: the rollback is carried
 * out as claimed. Once it runs the rollback target, it is done and only announced. When the service
 * moved on to something else since, nothing is done.
 *
 * @example
 * resumeRollback({ service, claimed: { from: api8, to: api7, method: 'update-service', reason: 'alarm: …', … } })
 * // { action: 'update-service', from: api8, to: api7, reason: 'alarm: …' } (api:8 still primary)
 */
export function resumeRollback(input: { service: ServiceState; claimed: RollbackRecord }): ResumedRollback {
  const { service, claimed } = input;
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  const running = primary?.taskDefinitionArn ?? service.taskDefinitionArn;
  const decided = {
    action: claimed.method ?? 'update-service',
    from: claimed.from,
    to: claimed.to,
    reason: claimed.reason,
  } as const;
  if (running === claimed.from) return decided;
  if (running === claimed.to || running === claimed.pinnedFrom) return { ...decided, done: true };
  return {
    action: 'ignore',
    from: claimed.from,
    reason: `the service moved on to ${shortTaskDefinition(running)} since this event's rollback to ${shortTaskDefinition(claimed.to)} was claimed: not rolling back again`,
  };
}

/** A stopped task as ECS Task State Change describes it. */
export interface StoppedTask {
  stopCode?: string;
  stoppedReason?: string;
  containers: { name?: string; exitCode?: number }[];
}

/**
 * Whether a stopped task counts as a crash: an essential container exited non-zero, or it failed
 * container or load-balancer health checks. Tasks stopped by people or the scheduler do not.
 *
 * @returns the reason, or undefined when it is not a crash
 */
export function crashReason(task: StoppedTask): string | undefined {
  const reason = task.stoppedReason ?? '';
  if (/failed (container|ELB) health checks/i.test(reason)) return reason;
  if (task.stopCode === 'EssentialContainerExited') {
    const exited = task.containers.filter((c) => c.exitCode !== undefined && c.exitCode !== 0);
    // Sidecars ECS stopped along with the task exit 143 (SIGTERM) or 137 (SIGKILL): blame the
    // container that exited by itself when there is one.
    const failed = exited.find((c) => c.exitCode !== 137 && c.exitCode !== 143) ?? exited[0];
    if (failed)
      return `essential container exited with code ${failed.exitCode}${failed.name ? ` (${failed.name})` : ''}`;
  }
  if (task.stopCode === 'TaskFailedToStart') return reason || 'task failed to start';
  return undefined;
}

/** Text from an event on one line, for reasons people read line by line. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * What stopped a task that is not a crash ({@link crashReason} gives none), said for people: who
 * stopped it, or how it ended, with ECS's stop code and reason.
 *
 * @example
 * notACrashReason({ stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user', containers: [] })
 * // 'stopped by a person (UserInitiated: Task stopped by user)'
 */
export function notACrashReason(task: StoppedTask): string {
  const reason = oneLine(task.stoppedReason ?? '');
  const ecsSays = task.stopCode ? (reason ? `${task.stopCode}: ${reason}` : task.stopCode) : reason;
  switch (task.stopCode) {
    case 'UserInitiated':
      return `stopped by a person (${ecsSays})`;
    case 'ServiceSchedulerInitiated':
      return `stopped by the ECS scheduler (${ecsSays})`;
    case 'SpotInterruption':
      return `stopped by a Spot interruption (${ecsSays})`;
    case 'TerminationNotice':
      return `stopped as its host was being terminated (${ecsSays})`;
    case 'EssentialContainerExited': {
      const clean = task.containers.find((c) => c.exitCode === 0);
      if (clean && task.containers.every((c) => c.exitCode === undefined || c.exitCode === 0))
        return `exited with code 0${clean.name ? ` (${clean.name})` : ''}`;
      return `stopped (${ecsSays}) without a non-zero exit code`;
    }
    default:
      return ecsSays ? `stopped (${ecsSays})` : 'stopped without a stop code or reason';
  }
}

/** What is known about a crashed task whose revision is not the one of the service's primary deployment. */
export interface OtherRevisionCrash {
  /** the crashed task's revision */
  taskDefinitionArn: string;
  /** the service's primary deployment, as ECS lists it */
  primary: ServiceDeploymentState;
  /** the deployment that ran the task (ECS's `startedBy`, or the one of its revision), as ECS lists it */
  listed: ServiceDeploymentState | undefined;
  /** autopilot's record of that deployment */
  known: KnownDeployment | undefined;
  /** autopilot's record of the primary deployment */
  primaryKnown: KnownDeployment | undefined;
  /** autopilot's last rollback of the service (its own or a person's `autopilot rollback`) */
  lastRollback: { at: string; to: string } | undefined;
  deploymentConfiguration: ServiceState['deploymentConfiguration'];
}

/** Who rolls back by itself when a deployment fails, as the service is configured. */
function ecsRollbackName(config: ServiceState['deploymentConfiguration']): string {
  if (config.circuitBreaker.rollback && !config.alarmRollback) return "ECS's circuit breaker";
  if (config.alarmRollback && !config.circuitBreaker.rollback) return "ECS's deployment alarms";
  return 'ECS';
}

/**
 * Why the crash of a task of another revision than the primary deployment's is not counted: the
 * revision was already rolled back (by autopilot or by ECS), it already failed, or the service simply
 * moves (or moved) to a newer deployment. Only crashes of the primary deployment's revision count.
 *
 * @example
 * otherRevisionCrashReason({ taskDefinitionArn: '…/payments:3', primary: { taskDefinitionArn: '…/payments:2', … },
 *   listed: { rolloutState: 'FAILED', … }, … circuit breaker with rollback })
 * // "a task of payments:3 crashed; payments:3 was already rolled back to payments:2 (by ECS's circuit breaker): not counted again"
 */
export function otherRevisionCrashReason(input: OtherRevisionCrash): string {
  const { primary, listed, known, primaryKnown, lastRollback, deploymentConfiguration: config } = input;
  const task = shortTaskDefinition(input.taskDefinitionArn);
  const to = shortTaskDefinition(primary.taskDefinitionArn);
  const failed = listed?.rolloutState === 'FAILED' || known?.state === 'FAILED';
  const taskStartedAt = known?.startedAt ?? listed?.createdAt;
  // autopilot's rollback returned to the primary's revision after the task's deployment started.
  const byAutopilot =
    lastRollback?.to === primary.taskDefinitionArn &&
    (taskStartedAt === undefined || new Date(lastRollback.at) >= new Date(taskStartedAt));
  const primaryIsRollback = primaryKnown?.isRollback === true;
  const ecsRollsBack = config.circuitBreaker.rollback || config.alarmRollback;
  const byEcs = !byAutopilot && ecsRollsBack && (failed || primaryIsRollback);
  const moving = primary.rolloutState === 'IN_PROGRESS' ? `moves to ${to}` : `moved to ${to}`;
  if (byAutopilot || byEcs || primaryIsRollback) {
    const by = byAutopilot ? ' (by autopilot)' : byEcs ? ` (by ${ecsRollbackName(config)})` : '';
    return `a task of ${task} crashed; ${task} was already rolled back to ${to}${by}: not counted again`;
  }
  if (failed || known?.unhealthy) {
    const what = failed ? 'already failed' : 'was already found unhealthy';
    return `a task of ${task} crashed; ${task} ${what} and the service ${moving}: not counted again`;
  }
  const when = primary.rolloutState === 'IN_PROGRESS' ? 'while the service moves' : 'after the service moved';
  return `a task of ${task} crashed ${when} to ${to}: not counted`;
}

/** Whether a completed deployment has baked long enough to become the last known good revision. */
export function hasBaked(deployment: KnownDeployment, now: Date): boolean {
  return (
    deployment.state === 'COMPLETED' &&
    !deployment.unhealthy &&
    deployment.bakeUntil !== undefined &&
    new Date(deployment.bakeUntil) <= now
  );
}

/**
 * The private ECR images (repository key and digest) of the bad revision that the good one does not
 * run: what a rollback quarantines.
 *
 * @example digestsToQuarantine([{ image: 'acct.dkr.ecr.r.amazonaws.com/api@sha256:bad' }], [{ image: '…@sha256:good' }])
 */
export function digestsToQuarantine(
  bad: readonly { image: string }[],
  good: readonly { image: string }[],
): { repository: string; repositoryKey: string; digest: string }[] {
  const goodImages = new Set(good.map((c) => c.image));
  // The good revision may write the same digest differently (`repo:tag@digest`, `repo@digest`).
  const goodDigests = new Set(
    good.flatMap(({ image }) => {
      const ref = parseImageReference(image);
      const registry = ref.ok && ref.value.digest ? parseEcrRegistry(ref.value.registry) : undefined;
      if (!ref.ok || !registry) return [];
      return [`${repositoryKey({ ...registry, repositoryName: ref.value.repository })}@${ref.value.digest}`];
    }),
  );
  const found = new Map<string, { repository: string; repositoryKey: string; digest: string }>();
  for (const { image } of bad) {
    if (goodImages.has(image)) continue;
    const ref = parseImageReference(image);
    if (!ref.ok || !ref.value.digest) continue;
    const registry = parseEcrRegistry(ref.value.registry);
    if (!registry || !isImageOfRepository(ref.value, { ...registry, repositoryName: ref.value.repository }))
      continue;
    const key = repositoryKey({ ...registry, repositoryName: ref.value.repository });
    if (goodDigests.has(`${key}@${ref.value.digest}`)) continue;
    found.set(`${key}@${ref.value.digest}`, {
      repository: ref.value.repository,
      repositoryKey: key,
      digest: ref.value.digest,
    });
  }
  return [...found.values()];
}
