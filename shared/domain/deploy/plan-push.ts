/**
 * Deploy on push, planned: what one push (or one due pending push) calls for, from reads only. The
 * decisions come from {@link planDeployment}; this module gathers what it needs (services, their
 * revisions, the running versions, what the pushed tag points at now, the quarantine, the deploy
 * intents of an earlier attempt) and turns each decision into the effects that carry it out
 * ({@link DeployEffect}), for the applier in `deploy-effects.ts`. Its dependencies are read views of
 * the ports, so planning cannot write. A service's deploy is planned twice: here, for the dry run,
 * the cap and the report, and again under the service's lease ({@link planUnderLease}), which is
 * what is carried out.
 */
import type { PolicyFile } from '../../config/policy-file';
import { ResourceLimitExceededError } from '../../errors';
import type {
  ContainerPlatform,
  DeployIntent,
  DeploymentHistory,
  DeploymentRecord,
  ImageRegistry,
  PauseStore,
  PendingPush,
  PendingPushes,
  PushedImageRecord,
  PushWatermark,
  Quarantine,
  ServiceIndex,
  ServiceRef,
  ServiceState,
  TaskDefinitionDocument,
  TaskDefinitionState,
} from '../../ports';
import { parseTaskDefinition } from '../aws/arn';
import { repositoryKey } from '../aws/ecr-repository';
import { isImageOfRepository, parseImageReference } from '../aws/image-reference';
import type { Plan } from '../plan/plan';
import type { DeployMode } from '../policy/deploy-mode';
import { serviceDeployMode } from '../policy/effective-policy';
import {
  type DeployDecision,
  type DeploymentDecision,
  type PushedImage,
  planDeployment,
  SERVICE_GONE,
  type ServiceCandidate,
} from './plan-deployment';
import { copyWithImage, sourceMarkers } from './task-definition';

/** How long a service lease lasts: longer than one invocation, short enough to recover from a crash. */
export const LEASE_SECONDS = 120;

/**
 * What a deployment calls for, in order. A deploy is a sequence under the service's lease (its scope
 * is `lease <serviceArn>`): take it, read again and plan again (a guard: what is carried out is the
 * plan made under the lease), check the watermark (a guard: a newer push deployed meanwhile amends
 * the decision to a skip), register the revision (once per source revision: services sharing one
 * share the new one; the intent recorded first, an earlier attempt's revision reused), point the
 * service at it (the intent moved to `updating` first), record it, note the ECS deployment for the
 * rollback watcher, move the watermark, give the lease back (whatever happened in between). The
 * intent is marked announced when the events are published (the report).
 */
export type DeployEffect =
  | {
      kind: 'acquire-lease';
      decision: number;
      serviceArn: string;
      owner: string;
      ttlSeconds: number;
      opens: string;
      /**
       * taken already, with every lease of the push, before the push was planned under them
       * ({@link planLeased}): carried out as nothing but the opening of its scope
       */
      taken?: true;
    }
  | {
      /**
       * a guard under the lease: reads the service again and plans the push for it again
       * ({@link planUnderLease}); the decision and its remaining effects become that plan's
       */
      kind: 'plan-again';
      decision: number;
      serviceArn: string;
      cluster: string;
      service: string;
      push: PushedImageRecord;
      /** a due pending push (deferring again reschedules it) */
      due: boolean;
      /**
       * the services whose leases were taken together with this one (this one included), planned
       * again together: one read of each kind for the group, not one per service (absent: alone)
       */
      group?: LeasedService[];
    }
  | {
      /** a read under the lease: skip when a newer push of the repository was deployed meanwhile */
      kind: 'check-watermark';
      decision: number;
      serviceArn: string;
      repositoryKey: string;
      pushedAt: string;
    }
  | {
      /**
       * registers `revision` unless another decision of this plan registered the copy of `from`
       * already, or an earlier attempt did (`intent`: the intent stored when planned, its revision
       * reused or found by its tags); the intent is saved before and after
       */
      kind: 'register-revision';
      decision: number;
      serviceArn: string;
      digest: string;
      from: string;
      revision: TaskDefinitionDocument;
      /** the event carrying the deployment out (the intent's owner) */
      triggeredBy: string;
      intent?: DeployIntent;
      /**
       * the intents were not read when planned (this event had not taken the lease before): an intent
       * met when saving its own (another event's, or this one's from before another took the lease)
       * is read then and gone on from, as if planned with it
       */
      intentsUnread?: true;
    }
  | {
      kind: 'update-service';
      decision: number;
      serviceArn: string;
      cluster: string;
      service: string;
      from: string;
      digest: string;
      triggeredBy: string;
    }
  | {
      /**
       * the record, completed with the revision, the start time and ECS's deployment id when applied
       * (given when an earlier attempt made the update and this one records it)
       */
      kind: 'record-deployment';
      decision: number;
      record: Omit<DeploymentRecord, 'toTaskDefinition' | 'startedAt' | 'deploymentId'> &
        Partial<Pick<DeploymentRecord, 'startedAt' | 'deploymentId'>>;
      /**
       * the intent moved to `updating` with the record (an earlier attempt's update found by its
       * revision's tags, its intent still `registering`): over its owner and state as read
       */
      intent?: { intent: DeployIntent; expected: Pick<DeployIntent, 'triggeredBy' | 'state'> };
    }
  | {
      kind: 'note-deployment-started';
      decision: number;
      serviceArn: string;
      /** given when an earlier attempt made the update */
      started?: { deploymentId: string; startedAt: string };
    }
  | {
      kind: 'set-watermark';
      decision: number;
      serviceArn: string;
      repositoryKey: string;
      watermark: PushWatermark;
    }
  | { kind: 'release-lease'; decision: number; serviceArn: string; owner: string; closes: string }
  | {
      /**
       * remembers a deferred push unless a newer one (by the order of `mode`: versions or push time)
       * is waiting: then the decision becomes a skip
       */
      kind: 'save-pending';
      decision: number;
      pending: PendingPush;
      mode: string;
    }
  | {
      /** a due push deferred again (its window is still closed): its new due time; a newer push waiting keeps its place */
      kind: 'reschedule-pending';
      decision: number;
      pending: PendingPush;
      mode: string;
    }
  | { kind: 'delete-pending'; serviceArn: string; repositoryKey: string; eventId: string }
  | { kind: 'unindex-service'; serviceArn: string };

/** A service planned again under its lease: where it runs and its ARN. */
export type LeasedService = ServiceRef & { serviceArn: string };

/**
 * How many services' leases are taken before they are planned again together (the reads under the
 * lease made once for the group: DescribeServices 10 at a time, the quarantine and what the tag
 * points at now once): a service's lease is held while the services before it in its group are
 * deployed, a small part of {@link LEASE_SECONDS}.
 */
export const LEASE_GROUP = 8;

/** How many reads planning makes at a time. */
export const READS_IN_FLIGHT = 8;

/**
 * Maps `items` through `work`, at most `limit` at a time, started in order.
 *
 * @returns the results in the order of `items`
 */
export async function mapInPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await work(items[at] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The services by cluster, ten at a time: what one DescribeServices call reads. */
function batchesOf(refs: readonly ServiceRef[]): ServiceRef[][] {
  const byCluster = new Map<string, ServiceRef[]>();
  for (const ref of refs) byCluster.set(ref.cluster, [...(byCluster.get(ref.cluster) ?? []), ref]);
  return [...byCluster.values()].flatMap((inCluster) =>
    Array.from({ length: Math.ceil(inCluster.length / 10) }, (_, i) => inCluster.slice(i * 10, i * 10 + 10)),
  );
}

/** A push planned: its decisions and the effects they call for. */
export type DeployPlan = Plan<DeploymentDecision, DeployEffect>;

/** What planning reads: read views of the ports, so that planning cannot write. */
export interface DeployReads {
  /**
   * false: the plan made before the leases is carried out, so it leaves the deploy intents to the
   * plan made again under each lease (one Query per service less); otherwise (a dry run, `explain`)
   * they are read, and the plan shows an earlier attempt's update to be recorded
   */
  dryRun?: boolean;
  ecs: Pick<ContainerPlatform, 'describeServices' | 'describeTaskDefinition'>;
  ecr: Pick<ImageRegistry, 'tagsOfDigest' | 'digestOfTag'>;
  index: Pick<ServiceIndex, 'servicesForRepository'>;
  quarantine: Pick<Quarantine, 'isQuarantined'>;
  history: Pick<DeploymentHistory, 'deployIntents'>;
  pending: Pick<PendingPushes, 'listDuePending'>;
  /** the pauses in force (`autopilot pause`): read with the services, under the leases in a real run */
  pauses: Pick<PauseStore, 'activePauses'>;
  policyFile: PolicyFile;
  now: () => Date;
}

/**
 * Plans a push: the services indexed for its repository are deployed, deferred or skipped, and the
 * index entries of services that no longer exist are dropped.
 *
 * @example
 * const plan = await planPush(push, deps);
 * describePlan(plan) // ['deploy api: follows tag main', '  acquire-lease …', '  register-revision …', …]
 */
export async function planPush(push: PushedImage, deps: DeployReads): Promise<DeployPlan> {
  const indexed = await deps.index.servicesForRepository(repositoryKey(push));
  const refs = indexed.map((s) => ({ cluster: s.clusterArn, service: s.serviceName }));
  const plan = await planServices(push, refs, deps);
  const found = new Set(plan.decisions.map((d) => d.serviceArn));
  for (const stale of indexed.filter((s) => !found.has(s.serviceArn))) {
    plan.effects.push({ kind: 'unindex-service', serviceArn: stale.serviceArn });
  }
  return plan;
}

/**
 * Plans a push for one service, whether or not the index lists it under the push's repository
 * (`autopilot explain`): the reads and the decision a real run would make for that service, with the
 * effects that carry it out. Nothing is said about the index here; the caller asks it.
 *
 * @example
 * const plan = await planPushFor(push, { cluster: 'prod', service: 'api' }, { ...deps, dryRun: true });
 */
export function planPushFor(push: PushedImage, ref: ServiceRef, deps: DeployReads): Promise<DeployPlan> {
  return planServices(push, [ref], deps);
}

/**
 * Plans a remembered push whose cooldown or deploy window has come: deployed (or skipped) and
 * forgotten, or deferred again.
 */
export async function planDuePush(pending: PendingPush, deps: DeployReads): Promise<DeployPlan> {
  const push: PushedImage = { ...pending.push, pushedAt: new Date(pending.push.pushedAt) };
  const plan = await planServices(push, [{ cluster: pending.cluster, service: pending.service }], deps, {
    due: true,
  });
  if (plan.decisions.length === 0) {
    plan.decisions.push({
      action: 'skip',
      cluster: pending.cluster,
      service: pending.service,
      serviceArn: pending.serviceArn,
      repository: push.repositoryName,
      tag: push.tag,
      digest: push.digest,
      reason: SERVICE_GONE,
    });
  }
  if (!plan.decisions.some((d) => d.action === 'defer')) {
    plan.effects.push({
      kind: 'delete-pending',
      serviceArn: pending.serviceArn,
      repositoryKey: repositoryKey(push),
      eventId: push.eventId,
    });
  }
  return plan;
}

/**
 * The blast-radius cap, checked on the plan before anything is applied: how many services it would
 * update.
 *
 * @throws ResourceLimitExceededError when more services would be updated than `maxServicesPerPush`
 */
export function checkBlastRadius(plan: DeployPlan, policyFile: PolicyFile): void {
  const updates = plan.effects.filter((e) => e.kind === 'update-service').length;
  if (updates > policyFile.maxServicesPerPush) {
    throw new ResourceLimitExceededError(updates, policyFile.maxServicesPerPush);
  }
}

/**
 * Plans a push for the services whose leases were all taken first (a real run: the index's services
 * for the repository, their leases taken before anything else is read), once, under them: one read
 * of each kind for the push (DescribeServices per cluster batch, a definition per revision, the
 * quarantine and what the tag points at now once), the cap and the windows decided on that one plan.
 * Each decision's effects are its scope: the lease (`taken`), what it calls for, the release, which
 * also gives back the lease of a service that turned out not to be deployed. The deploy intents are
 * read for the services of `again` only (this event took their lease before: an earlier attempt);
 * elsewhere a registration that meets one reads it then (`intentsUnread`).
 *
 * @returns the plan, and the leased services that no longer exist (their leases to give back, their
 *   index entries dropped by the plan's `unindex-service`)
 */
export async function planLeased(
  push: PushedImage,
  refs: readonly LeasedService[],
  deps: DeployReads,
  again: ReadonlySet<string>,
): Promise<{ plan: DeployPlan; gone: LeasedService[] }> {
  const planned = await planServices(push, refs, deps, { underLease: true, intentsOf: again });
  const plan: DeployPlan = { decisions: planned.decisions, effects: [] };
  const owner = push.eventId;
  for (const [decision, decided] of planned.decisions.entries()) {
    const { serviceArn } = decided;
    const scope = `lease ${serviceArn}`;
    plan.effects.push(
      {
        kind: 'acquire-lease',
        decision,
        serviceArn,
        owner,
        ttlSeconds: LEASE_SECONDS,
        opens: scope,
        taken: true,
      },
      ...planned.effects.filter((e) => 'decision' in e && e.decision === decision),
      { kind: 'release-lease', decision, serviceArn, owner, closes: scope },
    );
  }
  const found = new Set(planned.decisions.map((d) => d.serviceArn));
  const gone = refs.filter((r) => !found.has(r.serviceArn));
  for (const stale of gone) plan.effects.push({ kind: 'unindex-service', serviceArn: stale.serviceArn });
  return { plan, gone };
}

/**
 * Plans a push again for services whose leases are held: read again (the services, their revisions,
 * the running versions, what the tag points at now, the intents of an earlier attempt) and decided
 * again, the services of a group together (one read of each kind, not one per service). The effects
 * are those that follow the lease and this guard (the applier holds the leases already).
 *
 * @returns by service ARN, its decision (a skip when it no longer exists) and its effects
 */
export async function planUnderLease(
  push: PushedImage,
  refs: readonly LeasedService[],
  deps: DeployReads,
  due: boolean,
): Promise<Map<string, { decision: DeploymentDecision; effects: DeployEffect[] }>> {
  const plan = await planServices(push, refs, deps, { due, underLease: true });
  const planned = new Map<string, { decision: DeploymentDecision; effects: DeployEffect[] }>();
  for (const ref of refs) {
    const index = plan.decisions.findIndex((d) => d.serviceArn === ref.serviceArn);
    const decision = plan.decisions[index] ?? {
      action: 'skip',
      cluster: ref.cluster,
      service: ref.service,
      serviceArn: ref.serviceArn,
      repository: push.repositoryName,
      tag: push.tag,
      digest: push.digest,
      reason: SERVICE_GONE,
    };
    planned.set(ref.serviceArn, {
      decision,
      effects: plan.effects.filter((e) => 'decision' in e && e.decision === index),
    });
  }
  return planned;
}

/** How services are planned: for a due pending push, and whether under the lease already. */
interface PlanningOptions {
  due?: boolean;
  underLease?: boolean;
  /** under the lease, the services whose intents are read (absent: every service's) */
  intentsOf?: ReadonlySet<string>;
}

async function planServices(
  push: PushedImage,
  refs: readonly ServiceRef[],
  deps: DeployReads,
  options: PlanningOptions = {},
): Promise<DeployPlan> {
  if (refs.length === 0) return { decisions: [], effects: [] };
  const key = repositoryKey(push);
  // The reads of a push are made several at a time (DescribeServices per cluster, a definition per
  // revision, the running tags and intents per service): its wall time grows slower than its services.
  const [described, quarantined, pauses] = await Promise.all([
    mapInPool(batchesOf(refs), READS_IN_FLIGHT, (batch) => deps.ecs.describeServices(batch)),
    deps.quarantine.isQuarantined(key, push.digest),
    deps.pauses.activePauses(deps.now()),
  ]);
  const services = described.flat();
  const revisions = [...new Set(services.map((s) => s.taskDefinitionArn))];
  const read = await mapInPool(revisions, READS_IN_FLIGHT, (arn) => deps.ecs.describeTaskDefinition(arn));
  const documents = new Map<string, TaskDefinitionDocument | undefined>(
    revisions.map((arn, i) => [arn, read[i]]),
  );
  // The deploy mode of each service, resolved once: it decides which reads planning needs and how
  // racing pushes are ordered.
  const modes = new Map<string, DeployMode | undefined>();
  for (const service of services) {
    const mode = serviceDeployMode(deps.policyFile, service);
    modes.set(service.arn, mode && !('invalid' in mode) ? mode : undefined);
  }
  const candidates: ServiceCandidate[] = await mapInPool(services, READS_IN_FLIGHT, async (service) => {
    const doc = documents.get(service.taskDefinitionArn);
    const taskDefinition = doc ? toState(service.taskDefinitionArn, doc) : undefined;
    const runningTags = await runningTagsFor(modes.get(service.arn), taskDefinition, push, deps);
    return { service, taskDefinition, runningTags };
  });
  const now = deps.now();
  const input = { push, candidates, policyFile: deps.policyFile, now, quarantined, pauses };
  let planned = planDeployment(input);
  // The truth of a tag is what it points at now: asked once the push would be deployed or deferred.
  if (planned.some((d) => d.action === 'deploy' || d.action === 'defer')) {
    const tagNow = {
      digest: await deps.ecr.digestOfTag(
        { registryId: push.accountId, repositoryName: push.repositoryName },
        push.tag,
      ),
    };
    planned = planDeployment({ ...input, tagNow });
  }
  const plan: DeployPlan = { decisions: [], effects: [] };
  const byArn = new Map(services.map((s) => [s.arn, s]));
  // A deploy carried out is planned again under its lease, which reads the intents: the plan made
  // before the leases needs them only for the other decisions (a service on the digest already may be
  // an earlier attempt's update to record), and to show a dry run what a real run would do.
  const readIntents = (decided: DeploymentDecision) =>
    options.underLease === true
      ? (options.intentsOf?.has(decided.serviceArn) ?? true)
      : deps.dryRun !== false || decided.action !== 'deploy';
  const sequences: DeployEffect[][] = [];
  const intentsOf = await mapInPool(planned, READS_IN_FLIGHT, (decided) =>
    decided.containers && readIntents(decided)
      ? deps.history.deployIntents(decided.serviceArn, push.digest)
      : Promise.resolve([]),
  );
  for (const [at, decided] of planned.entries()) {
    const decision = plan.decisions.length;
    const service = byArn.get(decided.serviceArn);
    const intents = intentsOf[at] ?? [];
    const planning: Planning = {
      push,
      mode: modes.get(decided.serviceArn),
      documents,
      due: options.due === true,
      underLease: options.underLease === true,
      intents,
      intentsUnread: !readIntents(decided),
      service,
      now,
    };
    const { decision: final, effects } = effectsOf(decided, decision, planning);
    plan.decisions.push(final);
    sequences.push(effects);
  }
  plan.effects = options.underLease === true ? sequences.flat() : inGroups(sequences);
  return plan;
}

/**
 * The effects of the decisions in order, except that the leased ones are taken in groups of
 * {@link LEASE_GROUP}: the group's leases, then its plan-again guards (planned again together, the
 * first guard reading for the group), then each service's own effects up to its release.
 */
function inGroups(sequences: readonly DeployEffect[][]): DeployEffect[] {
  const effects: DeployEffect[] = [];
  let group: DeployEffect[][] = [];
  const flush = () => {
    const refs = group.flatMap((sequence) =>
      sequence.flatMap((e) =>
        e.kind === 'plan-again' ? [{ cluster: e.cluster, service: e.service, serviceArn: e.serviceArn }] : [],
      ),
    );
    const together = (e: DeployEffect): DeployEffect =>
      e.kind === 'plan-again' && refs.length > 1 ? { ...e, group: refs } : e;
    effects.push(...group.flatMap((s) => s.slice(0, 1)));
    effects.push(...group.flatMap((s) => s.slice(1, 2).map(together)));
    effects.push(...group.flatMap((s) => s.slice(2)));
    group = [];
  };
  for (const sequence of sequences) {
    if (sequence[0]?.kind !== 'acquire-lease') {
      effects.push(...sequence);
      continue;
    }
    group.push(sequence);
    if (group.length === LEASE_GROUP) flush();
  }
  flush();
  return effects;
}

interface Planning {
  push: PushedImage;
  mode: DeployMode | undefined;
  documents: ReadonlyMap<string, TaskDefinitionDocument | undefined>;
  /** a due pending push: deferring again reschedules it */
  due: boolean;
  /** planned again under the lease: the effects that take it, plan again and give it back are left out */
  underLease: boolean;
  /** the deploy intents of the service for the pushed digest */
  intents: readonly DeployIntent[];
  /** the intents were not read (none of this event's is expected): a registration reads one it meets */
  intentsUnread: boolean;
  service: ServiceState | undefined;
  /** when it was planned */
  now: Date;
}

/** The effects one decision calls for (and the decision itself, where what was read changes it). */
function effectsOf(
  decided: DeploymentDecision,
  decision: number,
  planning: Planning,
): { decision: DeploymentDecision; effects: DeployEffect[] } {
  const unfinished = unannounced(decided, decision, planning);
  if (unfinished) return unfinished;
  // Notify-only (a pause): told as a dry run is, nothing carried out.
  if (decided.dryRun === true) return { decision: decided, effects: [] };
  switch (decided.action) {
    case 'defer': {
      const { push, due } = planning;
      const pending: PendingPush = {
        serviceArn: decided.serviceArn,
        cluster: decided.cluster,
        service: decided.service,
        push: recordOf(push),
        dueAt: decided.dueAt,
        reason: decided.reason,
      };
      const kind = due ? 'reschedule-pending' : 'save-pending';
      return { decision: decided, effects: [{ kind, decision, pending, mode: decided.mode ?? '' }] };
    }
    case 'deploy':
      return deployEffects(decided, decision, planning);
    case 'skip':
    case 'failed':
    case 'unsupported':
      return { decision: decided, effects: [] };
  }
}

/**
 * An update an earlier attempt of this push made, not yet recorded and announced (a write after
 * UpdateService failed, or PutEvents): its intent is `updating` and the service runs the revision (or
 * still lists its deployment). It is recorded and announced now, changing nothing in ECS; consumers
 * see `Deployment Started` once, or twice (same `triggeredBy`) only if the mark after publishing fails.
 */
function unannounced(
  decided: DeploymentDecision,
  index: number,
  planning: Planning,
): { decision: DeploymentDecision; effects: DeployEffect[] } | undefined {
  const { push, service } = planning;
  const { containers, image } = decided;
  if (!service || !containers || !image) return undefined;
  const shown = (arn: string) =>
    service.taskDefinitionArn === arn || service.deployments.some((d) => d.taskDefinitionArn === arn);
  const updated = planning.intents.find(
    (i) =>
      i.triggeredBy === push.eventId &&
      i.state === 'updating' &&
      i.toTaskDefinition !== undefined &&
      i.startedAt !== undefined &&
      shown(i.toTaskDefinition),
  );
  // Announced as it would have been: the reason the earlier attempt saved with its intent.
  const found = updated ? undefined : updatedUnsaved(planning);
  const unsaved = found && { ...found, reason: found.reason ?? decided.reason };
  const intent = updated ?? unsaved;
  if (!intent?.toTaskDefinition || !intent.startedAt) return undefined;
  const to = intent.toTaskDefinition;
  const deploymentId = service.deployments.find((d) => d.taskDefinitionArn === to)?.id;
  const { serviceArn, cluster, service: name, repository, tag, digest, policy, mode } = decided;
  const decision: DeployDecision = {
    action: 'deploy',
    cluster,
    service: name,
    serviceArn,
    repository,
    tag,
    digest,
    ...(policy === undefined ? {} : { policy }),
    ...(mode === undefined ? {} : { mode }),
    containers,
    image,
    fromTaskDefinition: intent.fromTaskDefinition,
    toTaskDefinition: to,
    reason: `updated to ${to} at ${intent.startedAt} by an earlier attempt of this push; recorded and announced now`,
    // As the earlier attempt announced it (or would have): a second copy is then the same event.
    ...(intent.reason === undefined ? {} : { announcedAs: intent.reason }),
  };
  const inner: DeployEffect[] = [
    {
      kind: 'record-deployment',
      decision: index,
      record: {
        ...recordFields(decided, push, intent.fromTaskDefinition),
        startedAt: intent.startedAt,
        ...(deploymentId ? { deploymentId } : {}),
      },
      // Found by its tags: the intent learns the update (revision, start, how it is announced), so a
      // retry after this one's closing writes records it under the same key and announces it alike.
      ...(unsaved
        ? {
            intent: {
              intent: { ...unsaved, state: 'updating' as const },
              expected: { triggeredBy: unsaved.triggeredBy, state: unsaved.state },
            },
          }
        : {}),
    },
    ...(deploymentId
      ? [
          {
            kind: 'note-deployment-started' as const,
            decision: index,
            serviceArn,
            started: { deploymentId, startedAt: intent.startedAt },
          },
        ]
      : []),
    watermarkEffect(index, serviceArn, push),
  ];
  return { decision, effects: leased(decided, inner, planning, { cluster, service: name }, index) };
}

/**
 * An update an earlier attempt of this push made and stopped before its closing writes (which move the
 * intent to `updating`): the intent of this event is `registering` (or `registered`), and the service
 * runs a revision whose tags name the pushed digest, this event and the intent's source revision
 * (`sourceMarkers`), which only this push's registration from that source carries. Nothing was
 * recorded or announced yet, so it starts now.
 */
function updatedUnsaved({ push, service, intents, documents, now }: Planning): DeployIntent | undefined {
  if (!service) return undefined;
  const running = service.taskDefinitionArn;
  const tags = documents.get(running)?.tags ?? [];
  const carries = (i: DeployIntent) =>
    sourceMarkers(push.digest, push.eventId, i.fromTaskDefinition).every((m) =>
      tags.some((t) => t.key === m.key && t.value === m.value),
    );
  const intent = intents.find(
    (i) =>
      i.triggeredBy === push.eventId && (i.state === 'registering' || i.state === 'registered') && carries(i),
  );
  return intent && { ...intent, toTaskDefinition: running, startedAt: now.toISOString() };
}

function deployEffects(
  decided: DeployDecision,
  decision: number,
  planning: Planning,
): { decision: DeploymentDecision; effects: DeployEffect[] } {
  const { push, mode, documents, intents } = planning;
  const from = decided.fromTaskDefinition;
  const source = documents.get(from);
  if (!source) {
    return {
      decision: { ...decided, action: 'failed', reason: `task definition ${from} could not be copied` },
      effects: [],
    };
  }
  const { serviceArn, cluster, service } = decided;
  const key = repositoryKey(push);
  const pushedAt = push.pushedAt.toISOString();
  const triggeredBy = push.eventId;
  const inner: DeployEffect[] = [];
  // Versions order the pushes of a semver: service (a hotfix 1.4.3 pushed after 1.5.0 is skipped by
  // the mode itself), and the followed tag those of a tag: service (what the tag points at now, read
  // under the lease, is the newest push: an older one is superseded), so only the other modes (match:
  // pushes of different tags) go by the last push's time.
  if (!mode?.ordersByVersion() && !mode?.ordersByTag()) {
    inner.push({ kind: 'check-watermark', decision, serviceArn, repositoryKey: key, pushedAt });
  }
  const intent = intents.find((i) => i.fromTaskDefinition === from);
  inner.push(
    {
      kind: 'register-revision',
      decision,
      serviceArn,
      digest: push.digest,
      from,
      revision: copyWithImage(source, {
        containers: decided.containers,
        image: decided.image,
        sourceImage: `${push.repositoryName}:${push.tag}`,
        digest: push.digest,
        triggeredBy,
        from,
      }),
      triggeredBy,
      ...(intent ? { intent } : {}),
      ...(planning.intentsUnread ? { intentsUnread: true as const } : {}),
    },
    {
      kind: 'update-service',
      decision,
      serviceArn,
      cluster,
      service,
      from,
      digest: push.digest,
      triggeredBy,
    },
    { kind: 'record-deployment', decision, record: recordFields(decided, push, from) },
    { kind: 'note-deployment-started', decision, serviceArn },
    watermarkEffect(decision, serviceArn, push),
  );
  return { decision: decided, effects: leased(decided, inner, planning, { cluster, service }, decision) };
}

/**
 * The effects of a decision under the service's lease: take it, plan again, `inner`, give it back;
 * only `inner` when planned under the lease already.
 */
function leased(
  decided: DeploymentDecision,
  inner: DeployEffect[],
  { push, due, underLease }: Planning,
  ref: ServiceRef,
  decision = 0,
): DeployEffect[] {
  const numbered = inner.map((e) => ({ ...e, decision }) as DeployEffect);
  if (underLease) return numbered;
  const { serviceArn } = decided;
  const owner = push.eventId;
  const scope = `lease ${serviceArn}`;
  return [
    { kind: 'acquire-lease', decision, serviceArn, owner, ttlSeconds: LEASE_SECONDS, opens: scope },
    { kind: 'plan-again', decision, serviceArn, ...ref, push: recordOf(push), due },
    ...numbered,
    { kind: 'release-lease', decision, serviceArn, owner, closes: scope },
  ];
}

function recordFields(
  decided: DeploymentDecision,
  push: PushedImage,
  from: string,
): Extract<DeployEffect, { kind: 'record-deployment' }>['record'] {
  return {
    serviceArn: decided.serviceArn,
    cluster: decided.cluster,
    service: decided.service,
    fromTaskDefinition: from,
    repository: push.repositoryName,
    tag: push.tag,
    digest: push.digest,
    triggeredBy: push.eventId,
    state: 'STARTED',
  };
}

function watermarkEffect(decision: number, serviceArn: string, push: PushedImage): DeployEffect {
  return {
    kind: 'set-watermark',
    decision,
    serviceArn,
    repositoryKey: repositoryKey(push),
    watermark: { pushedAt: push.pushedAt.toISOString(), digest: push.digest, tag: push.tag },
  };
}

/** The serialisable form of a push. */
function recordOf(push: PushedImage): PushedImageRecord {
  return { ...push, pushedAt: push.pushedAt.toISOString() };
}

function toState(arn: string, doc: TaskDefinitionDocument): TaskDefinitionState {
  const revision = Number(doc.definition.revision ?? parseTaskDefinition(arn)?.revision);
  return {
    arn,
    family: doc.definition.family,
    revision: Number.isFinite(revision) ? revision : 0,
    containers: doc.definition.containerDefinitions.map((c) => ({ name: c.name, image: c.image })),
  };
}

/**
 * For modes that need the running version (`semver:`), asks ECR which tags the running digests carry:
 * that is the running version.
 */
async function runningTagsFor(
  mode: DeployMode | undefined,
  taskDefinition: TaskDefinitionState | undefined,
  push: PushedImage,
  deps: DeployReads,
): Promise<Record<string, readonly string[]>> {
  const result: Record<string, readonly string[]> = {};
  if (!taskDefinition || !mode?.needsRunningTags()) return result;
  for (const container of taskDefinition.containers) {
    const ref = parseImageReference(container.image);
    if (!ref.ok || !ref.value.digest || !isImageOfRepository(ref.value, push)) continue;
    result[container.name] = await deps.ecr.tagsOfDigest(
      { registryId: push.accountId, repositoryName: push.repositoryName },
      ref.value.digest,
    );
  }
  return result;
}
