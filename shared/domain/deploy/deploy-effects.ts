/**
 * Deploy on push, applied: the handler of each {@link DeployEffect}, one port call each, with the
 * leases, conditional writes and idempotency deploy on push has always had. Where the world answers
 * otherwise, a handler amends its decision: a newer push deployed meanwhile (`check-watermark`), a
 * newer push already waiting (`save-pending`), a change AWS refuses for good (a `PermanentError`: the
 * service's deployment failed, the other services go on). A lease held by another invocation throws
 * a `RetryableError`, so the event is retried once it is free.
 */
import { PermanentError, RetryableError } from '../../errors';
import type {
  ContainerPlatform,
  DeploymentHistory,
  PendingPush,
  PendingPushes,
  ServiceIndex,
  ServiceLease,
} from '../../ports';
import type { Amendment, ApplyContext, EffectHandler, EffectHandlers } from '../plan/plan';
import { parseDeployMode } from '../policy/deploy-mode';
import { type DeploymentDecision, supersedes } from './plan-deployment';
import type { DeployEffect } from './plan-push';

/** What the applier writes through. */
export interface DeployWrites {
  ecs: Pick<ContainerPlatform, 'registerTaskDefinition' | 'updateService'>;
  index: Pick<ServiceIndex, 'unindexRepositories'>;
  history: Pick<DeploymentHistory, 'recordDeployment' | 'noteDeploymentStarted'>;
  /** the lease, and the watermark: read under the lease, moved after the deployment */
  lease: ServiceLease;
  pending: Pick<PendingPushes, 'savePending' | 'deletePending'>;
  now: () => Date;
}

type Handler<K extends DeployEffect['kind']> = EffectHandler<
  DeploymentDecision,
  Extract<DeployEffect, { kind: K }>
>;

/** The revision registered from `from` in this plan, shared by the services that ran `from`. */
const revisionKey = (from: string) => `revision ${from}`;
/** Why registering from `from` failed for good: the other services that ran it fail alike. */
const refusedKey = (from: string) => `refused ${from}`;
const startedKey = (serviceArn: string) => `started ${serviceArn}`;
const deploymentKey = (serviceArn: string) => `deployment ${serviceArn}`;

/**
 * The deploy effects carried out through the ports.
 *
 * @example applyPlan(await planPush(push, deps), deployEffects(deps), { dryRun, report })
 */
export function deployEffects(deps: DeployWrites): EffectHandlers<DeploymentDecision, DeployEffect> {
  return {
    'acquire-lease': async (effect, { decisions }) => {
      if (await deps.lease.acquireLease(effect.serviceArn, effect.owner, effect.ttlSeconds)) return;
      const decision = decisions[effect.decision];
      throw new RetryableError(
        `service ${decision?.cluster}/${decision?.service} is being deployed by another invocation`,
      );
    },
    'check-watermark': failsOnPermanent(async (effect) => {
      const watermark = await deps.lease.getWatermark(effect.serviceArn, effect.repositoryKey);
      if (!watermark || watermark.pushedAt <= effect.pushedAt) return;
      return {
        action: 'skip',
        reason: `superseded by the newer push of ${watermark.tag} (${watermark.digest}) at ${watermark.pushedAt}`,
      };
    }),
    'register-revision': registerRevision(deps),
    'update-service': failsOnPermanent(async (effect, { produced }) => {
      const toTaskDefinition = producedValue(produced, revisionKey(effect.from));
      const deploymentId = await deps.ecs.updateService(
        { cluster: effect.cluster, service: effect.service },
        toTaskDefinition,
      );
      produced.set(startedKey(effect.serviceArn), deps.now().toISOString());
      if (deploymentId) produced.set(deploymentKey(effect.serviceArn), deploymentId);
      return { learned: { toTaskDefinition } };
    }),
    'record-deployment': failsOnPermanent(async ({ record, decision }, { produced, decisions }) => {
      const deploymentId = produced.get(deploymentKey(record.serviceArn));
      await deps.history.recordDeployment({
        ...record,
        toTaskDefinition: deployed(decisions, decision),
        startedAt: producedValue(produced, startedKey(record.serviceArn)),
        ...(deploymentId ? { deploymentId } : {}),
      });
    }),
    // The rollback watcher then knows the deployment's revision even if ECS drops it before its
    // state changes arrive.
    'note-deployment-started': failsOnPermanent(async ({ serviceArn, decision }, { produced, decisions }) => {
      const deploymentId = produced.get(deploymentKey(serviceArn));
      if (!deploymentId) return;
      await deps.history.noteDeploymentStarted(serviceArn, {
        deploymentId,
        taskDefinitionArn: deployed(decisions, decision),
        startedAt: producedValue(produced, startedKey(serviceArn)),
        isRollback: false,
      });
    }),
    'set-watermark': failsOnPermanent(async (effect) => {
      await deps.lease.setWatermark(effect.serviceArn, effect.repositoryKey, effect.watermark);
    }),
    'release-lease': async (effect) => {
      await deps.lease.releaseLease(effect.serviceArn, effect.owner);
    },
    'save-pending': async ({ pending, mode }) => {
      if (await savePending(deps, pending, mode)) return;
      return { action: 'skip', reason: 'a newer push is already waiting to be deployed to this service' };
    },
    // Deferred again: the decision stands even when a newer push took its place meanwhile.
    'reschedule-pending': async ({ pending, mode }) => {
      await savePending(deps, pending, mode);
    },
    'delete-pending': async (effect) => {
      await deps.pending.deletePending(effect.serviceArn, effect.repositoryKey, effect.eventId);
    },
    'unindex-service': async (effect) => {
      await deps.index.unindexRepositories(effect.serviceArn);
    },
  };
}

/** Services sharing a revision get one new revision per pushed digest, not one each. */
function registerRevision(deps: DeployWrites): Handler<'register-revision'> {
  return async (effect, { produced }) => {
    if (produced.has(revisionKey(effect.from))) return;
    const refused = produced.get(refusedKey(effect.from));
    if (refused !== undefined) return { action: 'failed', reason: refused };
    try {
      produced.set(revisionKey(effect.from), await deps.ecs.registerTaskDefinition(effect.revision));
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      produced.set(refusedKey(effect.from), error.message);
      return { action: 'failed', reason: error.message };
    }
  };
}

/**
 * Saves a deferred push unless the one waiting for the service and repository should stay: a newer
 * one by the order of the service's deploy mode (the same push is replaced: a re-delivery, or a new
 * due time).
 */
function savePending(deps: DeployWrites, pending: PendingPush, modeText: string): Promise<boolean> {
  const parsed = parseDeployMode(modeText);
  const mode = 'invalid' in parsed ? undefined : parsed;
  return deps.pending.savePending(
    pending,
    (existing) =>
      existing.push.eventId === pending.push.eventId || supersedes(mode, existing.push, pending.push),
  );
}

/** A change AWS refuses for good fails the service's deployment; the other services go on. */
function failsOnPermanent<E extends DeployEffect>(
  handler: EffectHandler<DeploymentDecision, E>,
): EffectHandler<DeploymentDecision, E> {
  return async (effect: E, context: ApplyContext<DeploymentDecision>) => {
    try {
      return await handler(effect, context);
    } catch (error) {
      if (error instanceof PermanentError) {
        return { action: 'failed', reason: error.message } satisfies Amendment<DeploymentDecision>;
      }
      throw error;
    }
  };
}

/** The revision a decision's service was pointed at (`update-service` learned it). */
function deployed(decisions: readonly DeploymentDecision[], decision: number): string {
  const revision = decisions[decision]?.toTaskDefinition;
  if (revision === undefined)
    throw new Error(`effect out of order: decision ${decision} deployed no revision`);
  return revision;
}

/** A value an earlier effect of the plan produced; its absence is a plan built out of order. */
function producedValue(produced: ReadonlyMap<string, string>, key: string): string {
  const value = produced.get(key);
  if (value === undefined) throw new Error(`effect out of order: nothing produced for ${key}`);
  return value;
}
