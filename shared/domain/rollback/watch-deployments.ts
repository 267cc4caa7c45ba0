/**
 * Roll back, the use case: follows the deployments of watched services, turns unhealthy signals
 * (failed deployment, alarm, crash loop) into decisions, and carries them out: ECS's own rollback of an
 * in-progress deployment or UpdateService to the last known good revision, quarantine of the bad
 * digests, and events. Never rolls back a rollback; at most one automatic rollback per service per
 * cooldown; dry run honoured.
 */
import type { PolicyFile } from '../../config/policy-file';
import { assertNever } from '../../errors';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  DEPLOYMENT_ROLLED_BACK,
  DEPLOYMENT_SUCCEEDED,
  IMAGE_QUARANTINED,
  ROLLBACK_FAILED,
} from '../../events/autopilot-events';
import type {
  BakeSchedule,
  DeploymentControl,
  DeploymentHistory,
  EventPublisher,
  KnownDeployment,
  Quarantine,
  RollbackHistory,
  ServiceRef,
  ServiceState,
  ServiceUpdater,
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
import {
  crashReason,
  decideRollback,
  digestsToQuarantine,
  hasBaked,
  notACrashReason,
  otherRevisionCrashReason,
  type RollbackDecision,
  type StoppedTask,
  type UnhealthySignal,
} from './rollback-decision';
import { rollbackSettings } from './rollback-policy';

/** What watching deployments needs. */
export interface WatchDeps {
  ecs: ServiceUpdater;
  control: DeploymentControl;
  /** the deployments of services, their health signals and crashes */
  history: DeploymentHistory;
  /** last known good revisions and the rollback slot */
  rollbacks: RollbackHistory;
  /** completed deployments waiting to become known good */
  bakes: BakeSchedule;
  /** where the bad digests go */
  quarantine: Quarantine;
  events: EventPublisher;
  policyFile: PolicyFile;
  dryRun: boolean;
  now: () => Date;
}

/**
 * One decision about one input, with its reason (printed by `autopilot dispatch` and the sandbox
 * timeline as `<action> <service>: <reason>`, so the reason is one line people read). Every input gets
 * at least one, also those that are not signals.
 */
export interface WatchDecision {
  /** `cluster/service`; when no service is concerned, what the input was about (`alarm <name>`, a cluster) */
  service: string;
  action: string;
  reason: string;
  deploymentId?: string;
  from?: string;
  to?: string;
  dryRun?: boolean;
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

const ROLLBACK_REASON = /roll(ing|ed)? ?back|rollback/i;

const refOf = (service: ServiceState): ServiceRef => ({ cluster: service.clusterArn, service: service.arn });
const named = (service: ServiceState) => `${service.clusterName}/${service.name}`;
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

/** UpdateService back to `target`, remembering the deployment it starts as a rollback. */
async function rollBackTo(deps: WatchDeps, service: ServiceState, target: string, at: Date): Promise<void> {
  const deploymentId = await deps.ecs.updateService(refOf(service), target);
  if (deploymentId) {
    await deps.history.noteDeploymentStarted(service.arn, {
      deploymentId,
      taskDefinitionArn: target,
      startedAt: at.toISOString(),
      isRollback: true,
    });
  }
}

async function describe(deps: WatchDeps, serviceArn: string): Promise<ServiceState | undefined> {
  const cluster = clusterOfServiceArn(serviceArn);
  if (!cluster) return undefined;
  return (await deps.ecs.describeServices([{ cluster, service: serviceArn }]))[0];
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
  const service = await describe(deps, change.serviceArn);
  if (!service) return [{ service: change.serviceArn, action: 'ignore', reason: 'service not found' }];
  const settings = rollbackSettings(deps.policyFile, service);
  if (!settings.enabled)
    return [{ service: named(service), action: 'ignore', reason: 'service is not watched for rollback' }];
  const listed = service.deployments.find((d) => d.id === change.deploymentId);
  const known = await deps.history.getDeployment(service.arn, change.deploymentId);
  const taskDefinitionArn = listed?.taskDefinitionArn ?? known?.taskDefinitionArn;
  if (!taskDefinitionArn) {
    return [
      {
        service: named(service),
        action: 'ignore',
        reason: `deployment ${change.deploymentId} is unknown to ECS and to autopilot`,
      },
    ];
  }
  const lastRollback = await deps.rollbacks.lastRollback(service.arn);
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
  const record: KnownDeployment = {
    ...known,
    deploymentId: change.deploymentId,
    taskDefinitionArn,
    state,
    isRollback,
    startedAt: known?.startedAt ?? change.updatedAt,
    ...(state === 'COMPLETED'
      ? {
          completedAt: change.updatedAt,
          bakeUntil: new Date(new Date(change.updatedAt).getTime() + settings.bakeTimeMs).toISOString(),
        }
      : {}),
  };
  const base = { service: named(service), deploymentId: change.deploymentId };
  if (deps.dryRun) {
    if (state !== 'FAILED')
      return [{ ...base, action: 'record', reason: `deployment ${state}`, dryRun: true }];
  } else {
    await deps.history.recordDeploymentState(service.arn, record, change.updatedAt);
  }
  if (state === 'COMPLETED') {
    if (!deps.dryRun && !record.unhealthy)
      await deps.bakes.scheduleBake(service.arn, change.deploymentId, record.bakeUntil ?? change.updatedAt);
    return [
      { ...base, action: 'bake', reason: `completed; known good after ${record.bakeUntil} unless unhealthy` },
    ];
  }
  if (state === 'IN_PROGRESS') {
    return [
      {
        ...base,
        action: 'record',
        reason: isRollback ? 'rollback deployment in progress' : 'deployment in progress',
      },
    ];
  }
  const signal: UnhealthySignal = {
    kind: 'deployment-failed',
    deploymentId: change.deploymentId,
    reason: change.reason ?? 'deployment failed',
    at: new Date(change.updatedAt),
  };
  return [await act(signal, service, record, change.eventId, deps)];
}

/**
 * A CloudWatch alarm went to ALARM: every service that listed it and has a deployment in progress or
 * in its bake time gets an unhealthy signal.
 */
export async function onAlarm(
  alarm: { name: string; state: string; reason: string; at: string; eventId: string },
  deps: WatchDeps,
  servicesForAlarm: (name: string) => Promise<{ serviceArn: string }[]>,
): Promise<WatchDecision[]> {
  const subject = `alarm ${alarm.name}`;
  if (alarm.state !== 'ALARM') {
    return [
      {
        service: subject,
        action: 'ignore',
        reason: `alarm ${alarm.name} is ${alarm.state}, not ALARM: not a signal`,
      },
    ];
  }
  const listing = await servicesForAlarm(alarm.name);
  if (listing.length === 0) {
    return [
      {
        service: subject,
        action: 'ignore',
        reason: `alarm ${alarm.name} is in ALARM but no service lists it (tag autopilot:alarms or rollback.alarms)`,
      },
    ];
  }
  const decisions: WatchDecision[] = [];
  for (const { serviceArn } of listing) {
    const service = await describe(deps, serviceArn);
    if (!service) {
      decisions.push({
        service: namedArn(serviceArn),
        action: 'ignore',
        reason: `alarm ${alarm.name} is in ALARM but the service was not found`,
      });
      continue;
    }
    const primary = service.deployments.find((d) => d.status === 'PRIMARY');
    if (!primary) {
      decisions.push({
        service: named(service),
        action: 'ignore',
        reason: `alarm ${alarm.name} is in ALARM but ECS lists no primary deployment for the service`,
      });
      continue;
    }
    const known = await deps.history.getDeployment(service.arn, primary.id);
    // As instants: EventBridge writes `time` without milliseconds, so the strings do not compare.
    const inBake =
      known?.state === 'COMPLETED' &&
      known.bakeUntil !== undefined &&
      new Date(known.bakeUntil) > new Date(alarm.at);
    if (primary.rolloutState !== 'IN_PROGRESS' && !inBake) {
      decisions.push({
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
    decisions.push(await act(signal, service, known, alarm.eventId, deps));
  }
  return decisions;
}

/**
 * A task of a service stopped: crashes of the primary deployment's revision are counted; enough of
 * them is a crash loop. Every other stopped task gets an `ignore` decision saying why.
 */
export async function onTaskStopped(
  task: StoppedTask & {
    clusterArn: string;
    group: string;
    taskArn: string;
    taskDefinitionArn: string;
    stoppedAt: string;
    eventId: string;
    /** the deployment (`ecs-svc/…`) that started the task, as ECS says in `startedBy` */
    startedBy?: string;
  },
  deps: WatchDeps,
): Promise<WatchDecision[]> {
  const cluster = clusterNameOf(task.clusterArn);
  const taskId = shortTaskId(task.taskArn);
  const name = /^service:(.+)$/.exec(task.group)?.[1];
  if (!name) {
    return [
      {
        service: cluster,
        action: 'ignore',
        reason: `task ${taskId} (group ${task.group || 'none'}) is not a task of a service: not watched`,
      },
    ];
  }
  const why = crashReason(task);
  if (!why) {
    return [
      {
        service: `${cluster}/${name}`,
        action: 'ignore',
        reason: `task ${taskId} ${notACrashReason(task)}: not a crash`,
      },
    ];
  }
  const clusterArn = parseClusterArn(task.clusterArn);
  const service = clusterArn ? await describe(deps, serviceArnIn(clusterArn, name)) : undefined;
  if (!service) {
    return [
      {
        service: `${cluster}/${name}`,
        action: 'ignore',
        reason: `task ${taskId} crashed (${why}); the service was not found`,
      },
    ];
  }
  const settings = rollbackSettings(deps.policyFile, service);
  if (!settings.enabled) {
    return [
      {
        service: named(service),
        action: 'ignore',
        reason: `task ${taskId} crashed (${why}); the service is not watched for rollback`,
      },
    ];
  }
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (!primary) {
    return [
      {
        service: named(service),
        action: 'ignore',
        reason: `a task of ${shortTaskDefinition(task.taskDefinitionArn)} crashed but ECS lists no primary deployment for the service: not counted`,
      },
    ];
  }
  if (primary.taskDefinitionArn !== task.taskDefinitionArn) {
    return [
      {
        service: named(service),
        action: 'ignore',
        reason: await otherRevision(task, service, primary, deps),
      },
    ];
  }
  const since = new Date(new Date(task.stoppedAt).getTime() - settings.crashLoop.windowMs).toISOString();
  const crashes = await deps.history.recordCrash(
    {
      serviceArn: service.arn,
      taskDefinitionArn: task.taskDefinitionArn,
      taskArn: task.taskArn,
      at: task.stoppedAt,
    },
    since,
  );
  if (crashes < settings.crashLoop.tasks) {
    return [
      {
        service: named(service),
        action: 'record',
        reason: `crash ${crashes} of ${settings.crashLoop.tasks}: ${why}`,
      },
    ];
  }
  const known = await deps.history.getDeployment(service.arn, primary.id);
  const signal: UnhealthySignal = {
    kind: 'crash-loop',
    deploymentId: primary.id,
    reason: `${crashes} tasks of the new revision crashed within ${Math.round(settings.crashLoop.windowMs / 60_000)}m (last: ${why})`,
    at: new Date(task.stoppedAt),
  };
  return [await act(signal, service, known, task.eventId, deps)];
}

/** Why a crash of a task of another revision than the primary deployment's is not counted. */
async function otherRevision(
  task: { taskDefinitionArn: string; startedBy?: string },
  service: ServiceState,
  primary: ServiceState['deployments'][number],
  deps: WatchDeps,
): Promise<string> {
  const listed =
    service.deployments.find((d) => d.id === task.startedBy) ??
    service.deployments.find((d) => d.status !== 'PRIMARY' && d.taskDefinitionArn === task.taskDefinitionArn);
  const deploymentId = listed?.id ?? task.startedBy;
  const [found, primaryKnown, lastRollback] = await Promise.all([
    deploymentId ? deps.history.getDeployment(service.arn, deploymentId) : undefined,
    deps.history.getDeployment(service.arn, primary.id),
    deps.rollbacks.lastRollback(service.arn),
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

/** The bake timer: completed deployments whose bake time passed become the last known good. */
export async function promoteBaked(deps: WatchDeps): Promise<WatchDecision[]> {
  const decisions: WatchDecision[] = [];
  const now = deps.now();
  for (const due of await deps.bakes.listBaked(now)) {
    const known = await deps.history.getDeployment(due.serviceArn, due.deploymentId);
    const service = await describe(deps, due.serviceArn);
    const primary = service?.deployments.find((d) => d.status === 'PRIMARY');
    const base = { service: service ? named(service) : due.serviceArn, deploymentId: due.deploymentId };
    if (!service || !known || !hasBaked(known, now) || primary?.id !== due.deploymentId) {
      decisions.push({
        ...base,
        action: 'ignore',
        reason: 'not known good: unhealthy, replaced or gone before the bake time ended',
      });
    } else {
      decisions.push({
        ...base,
        action: 'known-good',
        reason: `baked until ${known.bakeUntil} without an unhealthy signal`,
      });
      if (!deps.dryRun) {
        await deps.rollbacks.setLastKnownGood(service.arn, {
          taskDefinitionArn: known.taskDefinitionArn,
          deploymentId: known.deploymentId,
          at: known.bakeUntil ?? now.toISOString(),
        });
      }
      await deps.events.publish([
        {
          detailType: DEPLOYMENT_SUCCEEDED,
          detail: {
            cluster: service.clusterName,
            service: service.name,
            serviceArn: service.arn,
            taskDefinition: known.taskDefinitionArn,
            deploymentId: known.deploymentId,
            bakedUntil: known.bakeUntil ?? now.toISOString(),
            dryRun: deps.dryRun,
          },
        },
      ]);
    }
    if (!deps.dryRun) await deps.bakes.deleteBake(due.serviceArn, due.deploymentId);
  }
  return decisions;
}

/**
 * A person's rollback (`autopilot rollback`): to a given revision or the last known good one.
 */
export async function rollbackByPerson(
  serviceArn: string,
  to: string | undefined,
  deps: WatchDeps,
): Promise<WatchDecision> {
  const service = await describe(deps, serviceArn);
  if (!service) return { service: serviceArn, action: 'failed', reason: 'service not found' };
  const target = to ?? (await deps.rollbacks.lastKnownGood(service.arn))?.taskDefinitionArn;
  if (!target)
    return {
      service: named(service),
      action: 'failed',
      reason: 'no known good revision: give one with --to',
    };
  const from = service.taskDefinitionArn;
  if (target === from)
    return { service: named(service), action: 'ignore', reason: `already running ${target}` };
  const at = deps.now();
  if (!deps.dryRun) {
    await rollBackTo(deps, service, target, at);
    await deps.rollbacks.claimRollback(
      service.arn,
      { at: at.toISOString(), from, to: target, reason: 'rolled back by a person' },
      0,
    );
  }
  await deps.events.publish([
    {
      detailType: DEPLOYMENT_ROLLED_BACK,
      detail: {
        cluster: service.clusterName,
        service: service.name,
        serviceArn: service.arn,
        fromTaskDefinition: from,
        toTaskDefinition: target,
        reason: 'rolled back by a person',
        by: 'person',
        method: 'update-service',
        signals: [{ kind: 'manual', reason: 'autopilot rollback', at: at.toISOString() }],
        dryRun: deps.dryRun,
        triggeredBy: 'autopilot-cli',
      },
    },
  ]);
  return {
    service: named(service),
    action: 'update-service',
    reason: 'rolled back by a person',
    from,
    to: target,
    ...(deps.dryRun ? { dryRun: true } : {}),
  };
}

async function act(
  signal: UnhealthySignal,
  service: ServiceState,
  known: KnownDeployment | undefined,
  eventId: string,
  deps: WatchDeps,
): Promise<WatchDecision> {
  const settings = rollbackSettings(deps.policyFile, service);
  const [lastKnownGood, lastRollback] = await Promise.all([
    deps.rollbacks.lastKnownGood(service.arn),
    deps.rollbacks.lastRollback(service.arn),
  ]);
  const decision = decideRollback({
    signal,
    service,
    deployment: known,
    lastKnownGood,
    lastRollbackAt: lastRollback ? new Date(lastRollback.at) : undefined,
    settings,
    now: deps.now(),
  });
  const result: WatchDecision = {
    service: named(service),
    deploymentId: signal.deploymentId,
    action: decision.action,
    reason: decision.reason,
    from: decision.from,
    to: decision.to,
    ...(deps.dryRun ? { dryRun: true } : {}),
  };
  if (decision.action === 'ignore') return result;
  // A duplicate or concurrent signal about the same deployment acts once.
  if (!deps.dryRun && known && !(await deps.history.markUnhealthy(service.arn, signal.deploymentId))) {
    return { ...result, action: 'ignore', reason: `deployment ${signal.deploymentId} was already handled` };
  }
  const events: AutopilotEvent[] = [];
  const signals = [{ kind: signal.kind, reason: signal.reason, at: signal.at.toISOString() }];
  const common = {
    cluster: service.clusterName,
    service: service.name,
    serviceArn: service.arn,
    dryRun: deps.dryRun,
    triggeredBy: eventId,
  };
  try {
    switch (decision.action) {
      case 'notify':
        events.push({
          detailType: ACTION_FAILED,
          detail: { action: 'rollback', ...common, reason: decision.reason },
        });
        return result;
      case 'rollback-failed':
        events.push({
          detailType: ROLLBACK_FAILED,
          detail: {
            ...common,
            taskDefinition: decision.from ?? service.taskDefinitionArn,
            reason: decision.reason,
            signals,
          },
        });
        return result;
      case 'quarantine-only': {
        const primary = service.deployments.find((d) => d.status === 'PRIMARY');
        const to = primary?.taskDefinitionArn ?? service.taskDefinitionArn;
        // While the bad revision is still primary (ECS has not rolled back yet, or rolls back by its own
        // rules), the images to keep are those of the last known good revision.
        const good = to === decision.from && lastKnownGood ? lastKnownGood.taskDefinitionArn : to;
        events.push(...(await quarantine(decision, good, service, eventId, deps)));
        if (signal.kind === 'deployment-failed' && decision.from && to !== decision.from) {
          events.push({
            detailType: DEPLOYMENT_ROLLED_BACK,
            detail: {
              ...common,
              fromTaskDefinition: decision.from,
              toTaskDefinition: to,
              reason: decision.reason,
              by: 'ecs',
              method: 'none',
              signals,
            },
          });
        }
        return result;
      }
      case 'stop-deployment':
      case 'update-service': {
        const to = decision.to ?? '';
        const from = decision.from ?? service.taskDefinitionArn;
        if (!deps.dryRun) {
          const claimed = await deps.rollbacks.claimRollback(
            service.arn,
            { at: deps.now().toISOString(), from, to, reason: decision.reason },
            settings.cooldownMs,
          );
          if (!claimed) {
            const reason = 'another rollback of this service happened within the cooldown';
            events.push({ detailType: ACTION_FAILED, detail: { action: 'rollback', ...common, reason } });
            return { ...result, action: 'notify', reason };
          }
        }
        let method: 'stop-deployment' | 'update-service' = decision.action;
        if (!deps.dryRun) {
          const stopped =
            method === 'stop-deployment' &&
            (await deps.control.stopDeploymentWithRollback(refOf(service), from));
          if (!stopped) {
            method = 'update-service';
            await rollBackTo(deps, service, to, deps.now());
          }
        }
        events.push({
          detailType: DEPLOYMENT_ROLLED_BACK,
          detail: {
            ...common,
            fromTaskDefinition: from,
            toTaskDefinition: to,
            reason: decision.reason,
            by: 'autopilot',
            method,
            signals,
          },
        });
        events.push(...(await quarantine(decision, to, service, eventId, deps)));
        return { ...result, action: method };
      }
      default:
        return assertNever(decision.action);
    }
  } finally {
    if (events.length > 0) await deps.events.publish(events);
  }
}

/** Quarantines the private ECR digests the bad revision runs and the good one does not. */
async function quarantine(
  decision: RollbackDecision,
  goodTaskDefinition: string,
  service: ServiceState,
  eventId: string,
  deps: WatchDeps,
): Promise<AutopilotEvent[]> {
  if (!decision.from) return [];
  const [bad, good] = await Promise.all([
    deps.ecs.describeTaskDefinition(decision.from),
    deps.ecs.describeTaskDefinition(goodTaskDefinition),
  ]);
  if (!bad) return [];
  const images = digestsToQuarantine(
    bad.definition.containerDefinitions,
    good?.definition.containerDefinitions ?? [],
  );
  const events: AutopilotEvent[] = [];
  for (const image of images) {
    const reason = `deployed to ${named(service)} and unhealthy: ${decision.reason}`;
    const added = deps.dryRun
      ? true
      : await deps.quarantine.quarantineImage({
          ...image,
          reason,
          at: deps.now().toISOString(),
          service: named(service),
        });
    if (!added) continue;
    events.push({
      detailType: IMAGE_QUARANTINED,
      detail: {
        repository: image.repository,
        digest: image.digest,
        reason,
        cluster: service.clusterName,
        service: service.name,
        taskDefinition: decision.from,
        dryRun: deps.dryRun,
        triggeredBy: eventId,
      },
    });
  }
  return events;
}
