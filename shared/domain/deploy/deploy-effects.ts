/**
 * Deploy on push, applied: the handler of each {@link DeployEffect}, one port call each, with the
 * leases, intents, conditional writes and idempotency deploy on push relies on. Where the world
 * answers otherwise, a handler amends its decision: a newer push deployed meanwhile
 * (`check-watermark`), a newer push already waiting (`save-pending`), a change AWS refuses for good (a
 * `PermanentError`: the service's deployment failed, the other services go on). Under the lease the
 * push is planned again (`plan-again`), and that plan replaces what was planned before the lease. A
 * lease held by another invocation, or an intent another invocation moved on, throws a
 * `RetryableError`, so the event is retried (and planned again) once it is free.
 */
import { PermanentError, RetryableError } from '../../errors';
import type {
  ContainerPlatform,
  DeployIntent,
  DeploymentHistory,
  LeaseClosing,
  LeaseRelease,
  PendingPush,
  PendingPushes,
  ServiceIndex,
  ServiceLease,
  TaskDefinitionDocument,
} from '../../ports';
import type { Amendment, ApplyContext, EffectHandler, EffectHandlers } from '../plan/plan';
import { parseDeployMode } from '../policy/deploy-mode';
import {
  DEFERRED_BY_EARLIER_ATTEMPT,
  type DeploymentDecision,
  NEWER_PUSH_WAITING,
  replacesWaiting,
  supersededByWatermark,
} from './plan-deployment';
import { type DeployEffect, type DeployPlan, type DeployReads, planUnderLease } from './plan-push';
import { sourceMarkers } from './task-definition';

/** What the applier writes through, and what it reads to plan again under the lease. */
export interface DeployWrites extends Omit<DeployReads, 'ecs' | 'history' | 'index' | 'pending'> {
  ecs: Pick<
    ContainerPlatform,
    | 'describeServices'
    | 'describeTaskDefinition'
    | 'registerTaskDefinition'
    | 'updateService'
    | 'findRevision'
  >;
  index: Pick<ServiceIndex, 'servicesForRepository' | 'unindexRepositories'>;
  history: Pick<DeploymentHistory, 'deployIntents' | 'saveDeployIntent'>;
  /**
   * the lease, and the watermark: read under the lease, moved after the deployment; the release
   * writes the deployment's record, its ECS deployment and the watermark with it
   */
  lease: ServiceLease;
  pending: Pick<PendingPushes, 'listDuePending' | 'savePending' | 'deletePending'>;
}

/**
 * How many times a RegisterTaskDefinition that failed retryably is tried again within one effect,
 * each time after looking for the revision it may have registered.
 */
export const REGISTER_ATTEMPTS = 3;

type Handler<K extends DeployEffect['kind']> = EffectHandler<
  DeploymentDecision,
  Extract<DeployEffect, { kind: K }>,
  DeployEffect
>;

/** The revision registered from `from` for this service (shared by the services that ran `from`). */
const revisionKey = (from: string) => `revision ${from}`;
const startedKey = (serviceArn: string) => `started ${serviceArn}`;
/** When the service's intent was begun (a revision registered for it is not older). */
const intentAtKey = (serviceArn: string) => `intent-at ${serviceArn}`;
const deploymentKey = (serviceArn: string) => `deployment ${serviceArn}`;
/** The owner and state the service's intent was left in by `register-revision` (none: no intent yet). */
const intentStateKey = (serviceArn: string) => `intent-state ${serviceArn}`;

/**
 * The deploy effects carried out through the ports.
 *
 * @param planned a plan made under its leases already (`planLeased`), whose intents the registrations share
 * @param held where `release-lease` leaves each release (the lease and its closing writes) for the
 *   caller to give back with the others (`releaseLeases`, a push's services closed together) instead
 *   of releasing it at once; without it each lease is released by its own effect
 * @example applyPlan(await planPush(push, deps), deployEffects(deps), { dryRun, report })
 */
export function deployEffects(
  deps: DeployWrites,
  planned?: DeployPlan,
  held?: LeaseRelease[],
): EffectHandlers<DeploymentDecision, DeployEffect> {
  // The writes closing each service's deployment, held until its lease is released: written with the
  // release, in one call (`releaseLease`'s `closing`). Nothing between them and the release can fail
  // the deployment, and a run stopped before it left the intent `registering` and the service on a
  // revision tagged with this event, which its retry records and announces.
  const closings = new Map<string, LeaseClosing>();
  const closing = (serviceArn: string): LeaseClosing => {
    const held = closings.get(serviceArn) ?? {};
    closings.set(serviceArn, held);
    return held;
  };
  // A group is planned again once all its leases are held: its first guard plans the whole group, and
  // the others' guards take their part of that plan. Applied one service after the other, the group's
  // leases are taken before its guards; applied several at a time (`deployPushedImage`), a guard waits
  // for the others' leases (a lease not taken fails the group's guards: their leases are given back).
  const leases = new Map<string, Deferred>();
  const leaseOf = (serviceArn: string): Deferred => {
    const known = leases.get(serviceArn) ?? deferred();
    leases.set(serviceArn, known);
    return known;
  };
  const groups = new Map<string, ReturnType<typeof planUnderLease>>();
  const plannedAgain = (effect: Extract<DeployEffect, { kind: 'plan-again' }>) => {
    const refs = effect.group ?? [
      { cluster: effect.cluster, service: effect.service, serviceArn: effect.serviceArn },
    ];
    const key = `${effect.push.eventId} ${effect.due} ${refs.map((r) => r.serviceArn).join(' ')}`;
    let planned = groups.get(key);
    if (planned === undefined) {
      const push = { ...effect.push, pushedAt: new Date(effect.push.pushedAt) };
      const others = refs.filter((r) => r.serviceArn !== effect.serviceArn);
      planned = Promise.all(others.map((r) => leaseOf(r.serviceArn).promise))
        .then(() => planUnderLease(push, refs, deps, effect.due))
        .then((byService) => {
          // Before any of the group goes on: each registration sees every intent of its source.
          for (const { effects } of byService.values()) {
            for (const e of effects)
              if (e.kind === 'register-revision' && e.intent) intentsOf(e.from).push(e.intent);
          }
          return byService;
        });
      groups.set(key, planned);
    }
    return planned;
  };
  // Services sharing a source revision share its registration, also while it is in flight; the
  // intents read for any of them tell what an earlier attempt registered, whichever service it was
  // (applied several at a time, another may come first on a retry).
  const registrations = new Map<string, Promise<Registration>>();
  const intents = new Map<string, DeployIntent[]>();
  const intentsOf = (from: string): DeployIntent[] => {
    const known = intents.get(from) ?? [];
    intents.set(from, known);
    return known;
  };
  // A plan made under the leases already (`planLeased`): each registration sees every intent of its
  // source read for it, whichever service comes first.
  for (const e of planned?.effects ?? [])
    if (e.kind === 'register-revision' && e.intent) intentsOf(e.from).push(e.intent);
  return {
    'acquire-lease': async (effect, { decisions }) => {
      const lease = leaseOf(effect.serviceArn);
      if (effect.taken) {
        lease.resolve();
        return;
      }
      try {
        if (await deps.lease.acquireLease(effect.serviceArn, effect.owner, effect.ttlSeconds)) {
          lease.resolve();
          return;
        }
      } catch (error) {
        lease.reject(error);
        throw error;
      }
      const decision = decisions[effect.decision];
      const held = new RetryableError(
        `service ${decision?.cluster}/${decision?.service} is being deployed by another invocation`,
      );
      lease.reject(held);
      throw held;
    },
    'plan-again': failsOnPermanent(async (effect) => {
      const planned = await plannedAgain(effect);
      const replanned = planned.get(effect.serviceArn);
      if (!replanned) throw new Error(`effect out of order: ${effect.serviceArn} not planned again`);
      return { replanned };
    }),
    'check-watermark': failsOnPermanent(async (effect) => {
      const watermark = await deps.lease.getWatermark(effect.serviceArn, effect.repositoryKey);
      const superseded = supersededByWatermark(watermark, effect.pushedAt);
      return superseded === undefined ? undefined : { action: 'skip', reason: superseded };
    }),
    'register-revision': registerRevision(deps, registrations, intentsOf),
    'update-service': failsOnPermanent(async (effect, { produced, decisions }) => {
      const toTaskDefinition = producedValue(produced, revisionKey(effect.from));
      const startedAt = deps.now().toISOString();
      // No save before UpdateService when this service's intent names this event already (saved before
      // RegisterTaskDefinition): the revision carries the event and digest in its tags, so a retry that
      // finds the service on it knows the update was made (`updatedUnsaved` in plan-push.ts). The
      // intent moves to `updating` (its revision, start and reason) with the closing writes, so a retry
      // after them records the deployment under the same key and announces it as it was announced.
      const updating: DeployIntent = {
        serviceArn: effect.serviceArn,
        digest: effect.digest,
        fromTaskDefinition: effect.from,
        triggeredBy: effect.triggeredBy,
        state: 'updating',
        at: producedValue(produced, intentAtKey(effect.serviceArn)),
        toTaskDefinition,
        startedAt,
        reason: decisions[effect.decision]?.reason,
      };
      let expected = readExpected(produced, effect.serviceArn);
      // A service whose registration another service of its source made has no intent of this event
      // yet (or one of an earlier push): saved first, as its tags cannot be told from the other's.
      if (expected?.triggeredBy !== effect.triggeredBy || expected.state === 'announced') {
        await saveIntent(deps, updating, expected);
        expected = { triggeredBy: effect.triggeredBy, state: 'updating' };
      }
      closing(effect.serviceArn).intent = { intent: updating, expected };
      const deploymentId = await deps.ecs.updateService(
        { cluster: effect.cluster, service: effect.service },
        toTaskDefinition,
      );
      produced.set(startedKey(effect.serviceArn), startedAt);
      if (deploymentId) produced.set(deploymentKey(effect.serviceArn), deploymentId);
      return { learned: { toTaskDefinition } };
    }),
    'record-deployment': failsOnPermanent(async ({ record, decision, intent }, { produced, decisions }) => {
      if (intent) closing(record.serviceArn).intent = intent;
      const deploymentId = record.deploymentId ?? produced.get(deploymentKey(record.serviceArn));
      closing(record.serviceArn).record = {
        ...record,
        toTaskDefinition: deployed(decisions, decision),
        startedAt: record.startedAt ?? producedValue(produced, startedKey(record.serviceArn)),
        ...(deploymentId ? { deploymentId } : {}),
      };
    }),
    // The rollback watcher then knows the deployment's revision even if ECS drops it before its
    // state changes arrive.
    'note-deployment-started': failsOnPermanent(
      async ({ serviceArn, decision, started }, { produced, decisions }) => {
        const deploymentId = started?.deploymentId ?? produced.get(deploymentKey(serviceArn));
        if (!deploymentId) return;
        closing(serviceArn).started = {
          serviceArn,
          deployment: {
            deploymentId,
            taskDefinitionArn: deployed(decisions, decision),
            startedAt: started?.startedAt ?? producedValue(produced, startedKey(serviceArn)),
            isRollback: false,
          },
        };
      },
    ),
    'set-watermark': failsOnPermanent(async (effect) => {
      closing(effect.serviceArn).watermark = {
        repositoryKey: effect.repositoryKey,
        watermark: effect.watermark,
      };
    }),
    'release-lease': async (effect) => {
      const writes = closings.get(effect.serviceArn);
      closings.delete(effect.serviceArn);
      if (held) {
        held.push({
          serviceArn: effect.serviceArn,
          owner: effect.owner,
          ...(writes ? { closing: writes } : {}),
        });
        return;
      }
      if (writes) await deps.lease.releaseLease(effect.serviceArn, effect.owner, writes);
      else await deps.lease.releaseLease(effect.serviceArn, effect.owner);
    },
    'save-pending': async ({ pending, mode }) => {
      let announced = false;
      const saved = await savePending(deps, pending, mode, (existing) => {
        announced = announcedAlready(existing, pending);
        return announced;
      });
      if (saved) return;
      if (announced) {
        // A retry of the push whose deferral went out: saved and announced by an earlier attempt.
        return {
          action: 'skip',
          reason: `deferred until ${pending.dueAt} ${DEFERRED_BY_EARLIER_ATTEMPT}`,
        };
      }
      return { action: 'skip', reason: NEWER_PUSH_WAITING };
    },
    // Deferred again: the decision stands even when a newer push took its place meanwhile.
    'reschedule-pending': async ({ pending, mode }) => {
      await savePending(deps, pending, mode);
    },
    // Planned when no decision deferred the push; one planned again under the lease may have.
    'delete-pending': async (effect, { decisions }) => {
      if (decisions.some((d) => d.action === 'defer')) return;
      await deps.pending.deletePending(effect.serviceArn, effect.repositoryKey, effect.eventId);
    },
    'unindex-service': async (effect) => {
      await deps.index.unindexRepositories(effect.serviceArn);
    },
  };
}

/**
 * Services sharing a revision get one new revision per pushed digest, not one each. The intent is
 * recorded before RegisterTaskDefinition (not idempotent) and names the revision after it, so a retry
 * reuses what an earlier attempt registered: from the intent, or, when its answer was lost, found by
 * the tags it carries (the digest and the event).
 */
function registerRevision(
  deps: DeployWrites,
  registrations: Map<string, Promise<Registration>>,
  intentsOf: (from: string) => readonly DeployIntent[],
): Handler<'register-revision'> {
  return async (effect, { produced, decisions }) => {
    const { serviceArn, digest, from, triggeredBy } = effect;
    const stored = effect.intent;
    // An announced intent is a deployment done: a new one registers its own revision.
    const earlier = stored && stored.state !== 'announced' ? stored : undefined;
    let expected: Pick<DeployIntent, 'triggeredBy' | 'state'> | undefined = stored && {
      triggeredBy: stored.triggeredBy,
      state: stored.state,
    };
    let at = earlier?.at ?? deps.now().toISOString();
    let registration = registrations.get(from);
    if (registration === undefined) {
      // Set before anything is awaited: another service of `from` waits for this one.
      // This service's intent first, then another service's of the same source and digest.
      const unfinished = (i: DeployIntent) => i.state !== 'announced' && i.digest === digest;
      const found = earlier ?? intentsOf(from).find(unfinished);
      // The revision an unfinished intent names, or finds by its tags.
      const registeredFor = async (known: DeployIntent | undefined) =>
        known?.toTaskDefinition ??
        (known
          ? await deps.ecs.findRevision(
              effect.revision.definition.family,
              sourceMarkers(digest, known.triggeredBy, from),
              known.at,
            )
          : undefined);
      registration = (async (): Promise<Registration> => {
        const arn = await registeredFor(found);
        if (arn !== undefined) return { arn };
        at = deps.now().toISOString();
        const registering: DeployIntent = {
          serviceArn,
          digest,
          fromTaskDefinition: from,
          triggeredBy,
          state: 'registering',
          at,
          // What `Deployment Started` says, also when a retry finds the update by its revision's tags.
          reason: decisions[effect.decision]?.reason,
        };
        if (!(await deps.history.saveDeployIntent(registering, expected))) {
          // Planned without the intents (this event had not taken the lease before) and one is
          // there: another event's, or this one's from before another took the lease. Read now, it
          // is gone on from as if it had been planned with: its revision reused, or taken over.
          const met =
            effect.intentsUnread && expected === undefined
              ? (await deps.history.deployIntents(serviceArn, digest)).find(
                  (i) => i.fromTaskDefinition === from,
                )
              : undefined;
          if (!met) throw changedElsewhere(registering);
          expected = { triggeredBy: met.triggeredBy, state: met.state };
          const again = met.state === 'announced' ? undefined : await registeredFor(met);
          if (again !== undefined) {
            at = met.at;
            return { arn: again };
          }
          await saveIntent(deps, registering, expected);
        }
        expected = { triggeredBy, state: 'registering' };
        try {
          return { arn: await registerLooking(deps, effect.revision, registering) };
        } catch (error) {
          if (!(error instanceof PermanentError)) throw error;
          return { refused: error.message };
        }
      })();
      registrations.set(from, registration);
    }
    const outcome = await registration;
    if ('refused' in outcome) return { action: 'failed', reason: outcome.refused };
    produced.set(revisionKey(from), outcome.arn);
    produced.set(intentAtKey(serviceArn), at);
    // No `registered` save of its own: `update-service` saves the intent `updating` with the revision
    // next, over the state left here. A run stopped in between leaves it `registering`, and its retry
    // finds the revision by its tags (findRevision), as after a lost answer.
    if (expected) produced.set(intentStateKey(serviceArn), JSON.stringify(expected));
  };
}

/** What registering the copy of a source revision came to: its ARN, or why AWS refused it for good. */
type Registration = { arn: string } | { refused: string };

/** A promise settled from outside; its rejection is never left unhandled (whoever awaits it sees it). */
interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** The owner and state `register-revision` left the service's intent in, to save `updating` over. */
function readExpected(
  produced: ReadonlyMap<string, string>,
  serviceArn: string,
): Pick<DeployIntent, 'triggeredBy' | 'state'> | undefined {
  const stored = produced.get(intentStateKey(serviceArn));
  return stored === undefined
    ? undefined
    : (JSON.parse(stored) as Pick<DeployIntent, 'triggeredBy' | 'state'>);
}

/**
 * RegisterTaskDefinition, tried again after a retryable failure only when the revision it may have
 * registered (its answer lost) is not found by its tags.
 */
async function registerLooking(
  deps: DeployWrites,
  revision: TaskDefinitionDocument,
  intent: DeployIntent,
): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await deps.ecs.registerTaskDefinition(revision);
    } catch (error) {
      if (!(error instanceof RetryableError)) throw error;
      const found = await deps.ecs.findRevision(
        revision.definition.family,
        sourceMarkers(intent.digest, intent.triggeredBy, intent.fromTaskDefinition),
        intent.at,
      );
      if (found !== undefined) return found;
      if (attempt >= REGISTER_ATTEMPTS) throw error;
    }
  }
}

/** Saves an intent over the one read; another invocation having moved it on is retried. */
async function saveIntent(
  deps: DeployWrites,
  intent: DeployIntent,
  expected: Pick<DeployIntent, 'triggeredBy' | 'state'> | undefined,
): Promise<void> {
  if (await deps.history.saveDeployIntent(intent, expected)) return;
  throw changedElsewhere(intent);
}

function changedElsewhere(intent: DeployIntent): RetryableError {
  return new RetryableError(
    `the deployment of ${intent.digest} to ${intent.serviceArn} was changed by another invocation`,
  );
}

/**
 * Saves a deferred push unless the one waiting for the service and repository should stay: a newer
 * one by the order of the service's deploy mode, or one `keep` names (the same push is replaced
 * otherwise: a re-delivery, or a new due time).
 */
function savePending(
  deps: DeployWrites,
  pending: PendingPush,
  modeText: string,
  keep: (existing: PendingPush) => boolean = () => false,
): Promise<boolean> {
  const parsed = parseDeployMode(modeText);
  const mode = 'invalid' in parsed ? undefined : parsed;
  return deps.pending.savePending(
    pending,
    (existing) => !keep(existing) && replacesWaiting(mode, existing.push, pending.push),
  );
}

/** Whether `existing` is this very push, deferred to the same time and announced already. */
function announcedAlready(existing: PendingPush, pending: PendingPush): boolean {
  return (
    existing.announced === true &&
    existing.push.eventId === pending.push.eventId &&
    existing.dueAt === pending.dueAt
  );
}

/** A change AWS refuses for good fails the service's deployment; the other services go on. */
function failsOnPermanent<E extends DeployEffect>(
  handler: EffectHandler<DeploymentDecision, E, DeployEffect>,
): EffectHandler<DeploymentDecision, E, DeployEffect> {
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
