/**
 * Deploy on push, planned: what one push (or one due pending push) calls for, from reads only. The
 * decisions come from {@link planDeployment}; this module gathers what it needs (services, their
 * revisions, the running versions, the quarantine, an earlier delivery of the same event) and turns
 * each decision into the effects that carry it out ({@link DeployEffect}), for the applier in
 * `deploy-effects.ts`. Its dependencies are read views of the ports, so planning cannot write.
 */
import type { PolicyFile } from '../../config/policy-file';
import { ResourceLimitExceededError } from '../../errors';
import type {
  ContainerPlatform,
  DeploymentHistory,
  DeploymentRecord,
  ImageRegistry,
  PendingPush,
  PendingPushes,
  PushWatermark,
  Quarantine,
  ServiceIndex,
  ServiceRef,
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
  ALREADY_RUNNING,
  type DeployDecision,
  type DeploymentDecision,
  type NoDeployDecision,
  type PushedImage,
  planDeployment,
  type ServiceCandidate,
} from './plan-deployment';
import { copyWithImage } from './task-definition';

/** How long a service lease lasts: longer than one invocation, short enough to recover from a crash. */
export const LEASE_SECONDS = 120;

/**
 * What a deployment calls for, in order. A deploy is a sequence under the service's lease (its scope
 * is `lease <serviceArn>`): take it, check the watermark (a guard: a newer push deployed meanwhile
 * amends the decision to a skip), register the revision (once per source revision: services sharing
 * one share the new one), point the service at it, record it, note the ECS deployment for the
 * rollback watcher, move the watermark, give the lease back (whatever happened in between).
 */
export type DeployEffect =
  | {
      kind: 'acquire-lease';
      decision: number;
      serviceArn: string;
      owner: string;
      ttlSeconds: number;
      opens: string;
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
      /** registers `revision` unless another decision of this plan registered the copy of `from` already */
      kind: 'register-revision';
      decision: number;
      from: string;
      revision: TaskDefinitionDocument;
    }
  | {
      kind: 'update-service';
      decision: number;
      serviceArn: string;
      cluster: string;
      service: string;
      from: string;
    }
  | {
      /** the record, completed with the revision, the start time and ECS's deployment id when applied */
      kind: 'record-deployment';
      decision: number;
      record: Omit<DeploymentRecord, 'toTaskDefinition' | 'startedAt' | 'deploymentId'>;
    }
  | { kind: 'note-deployment-started'; decision: number; serviceArn: string }
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

/** A push planned: its decisions and the effects they call for. */
export type DeployPlan = Plan<DeploymentDecision, DeployEffect>;

/** What planning reads: read views of the ports, so that planning cannot write. */
export interface DeployReads {
  ecs: Pick<ContainerPlatform, 'describeServices' | 'describeTaskDefinition'>;
  ecr: Pick<ImageRegistry, 'tagsOfDigest'>;
  index: Pick<ServiceIndex, 'servicesForRepository'>;
  quarantine: Pick<Quarantine, 'isQuarantined'>;
  history: Pick<DeploymentHistory, 'deploymentTriggeredBy'>;
  pending: Pick<PendingPushes, 'listDuePending'>;
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
 * Plans a remembered push whose cooldown or deploy window has come: deployed (or skipped) and
 * forgotten, or deferred again.
 */
export async function planDuePush(pending: PendingPush, deps: DeployReads): Promise<DeployPlan> {
  const push: PushedImage = { ...pending.push, pushedAt: new Date(pending.push.pushedAt) };
  const plan = await planServices(push, [{ cluster: pending.cluster, service: pending.service }], deps, true);
  if (plan.decisions.length === 0) {
    plan.decisions.push({
      action: 'skip',
      cluster: pending.cluster,
      service: pending.service,
      serviceArn: pending.serviceArn,
      repository: push.repositoryName,
      tag: push.tag,
      digest: push.digest,
      reason: 'service no longer exists',
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

async function planServices(
  push: PushedImage,
  refs: readonly ServiceRef[],
  deps: DeployReads,
  due = false,
): Promise<DeployPlan> {
  if (refs.length === 0) return { decisions: [], effects: [] };
  const key = repositoryKey(push);
  const [services, quarantined] = await Promise.all([
    deps.ecs.describeServices(refs),
    deps.quarantine.isQuarantined(key, push.digest),
  ]);
  const documents = new Map<string, TaskDefinitionDocument | undefined>();
  const candidates: ServiceCandidate[] = [];
  // The deploy mode of each service, resolved once: it decides which reads planning needs and how
  // racing pushes are ordered.
  const modes = new Map<string, DeployMode | undefined>();
  for (const service of services) {
    const mode = serviceDeployMode(deps.policyFile, service);
    modes.set(service.arn, mode && !('invalid' in mode) ? mode : undefined);
    if (!documents.has(service.taskDefinitionArn)) {
      documents.set(
        service.taskDefinitionArn,
        await deps.ecs.describeTaskDefinition(service.taskDefinitionArn),
      );
    }
    const doc = documents.get(service.taskDefinitionArn);
    const taskDefinition = doc ? toState(service.taskDefinitionArn, doc) : undefined;
    candidates.push({
      service,
      taskDefinition,
      runningTags: await runningTagsFor(modes.get(service.arn), taskDefinition, push, deps),
    });
  }
  const now = deps.now();
  const planned = planDeployment({ push, candidates, policyFile: deps.policyFile, now, quarantined });
  const plan: DeployPlan = { decisions: [], effects: [] };
  for (const decided of planned) {
    const decision = plan.decisions.length;
    const mode = modes.get(decided.serviceArn);
    const planning = { push, mode, documents, due, deps };
    const { decision: final, effects } = await effectsOf(decided, decision, planning);
    plan.decisions.push(final);
    plan.effects.push(...effects);
  }
  return plan;
}

interface Planning {
  push: PushedImage;
  mode: DeployMode | undefined;
  documents: ReadonlyMap<string, TaskDefinitionDocument | undefined>;
  /** a due pending push: deferring again reschedules it */
  due: boolean;
  deps: DeployReads;
}

/** The effects one decision calls for (and the decision itself, where a read changes it). */
async function effectsOf(
  decided: DeploymentDecision,
  decision: number,
  { push, mode, documents, due, deps }: Planning,
): Promise<{ decision: DeploymentDecision; effects: DeployEffect[] }> {
  switch (decided.action) {
    case 'defer': {
      const pending: PendingPush = {
        serviceArn: decided.serviceArn,
        cluster: decided.cluster,
        service: decided.service,
        push: { ...push, pushedAt: push.pushedAt.toISOString() },
        dueAt: decided.dueAt,
        reason: decided.reason,
      };
      const kind = due ? 'reschedule-pending' : 'save-pending';
      return { decision: decided, effects: [{ kind, decision, pending, mode: decided.mode ?? '' }] };
    }
    case 'skip':
      if (decided.reason !== ALREADY_RUNNING) return { decision: decided, effects: [] };
      return { decision: await earlierAttempt(decided, push, deps), effects: [] };
    case 'deploy':
      return deployEffects(decided, decision, push, mode, documents);
    case 'failed':
    case 'unsupported':
      return { decision: decided, effects: [] };
  }
}

/**
 * A service already on the digest may have been deployed by an earlier delivery of this very event
 * that failed before announcing it (e.g. PutEvents throttled). Then it is announced now: consumers
 * may see `Deployment Started` twice (same `triggeredBy`), but never miss it.
 */
async function earlierAttempt(
  decided: NoDeployDecision,
  push: PushedImage,
  deps: DeployReads,
): Promise<DeploymentDecision> {
  const earlier = await deps.history.deploymentTriggeredBy(decided.serviceArn, push.eventId);
  const { image, containers } = decided;
  if (!earlier || !image || !containers) return decided;
  return {
    ...decided,
    image,
    containers,
    action: 'deploy',
    fromTaskDefinition: earlier.fromTaskDefinition,
    toTaskDefinition: earlier.toTaskDefinition,
    reason: `deployed at ${earlier.startedAt} by an earlier delivery of this event; announced again`,
  };
}

function deployEffects(
  decided: DeployDecision,
  decision: number,
  push: PushedImage,
  mode: DeployMode | undefined,
  documents: ReadonlyMap<string, TaskDefinitionDocument | undefined>,
): { decision: DeploymentDecision; effects: DeployEffect[] } {
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
  const owner = push.eventId;
  const scope = `lease ${serviceArn}`;
  const pushedAt = push.pushedAt.toISOString();
  const effects: DeployEffect[] = [
    { kind: 'acquire-lease', decision, serviceArn, owner, ttlSeconds: LEASE_SECONDS, opens: scope },
  ];
  // Versions order the pushes of a semver: service (a hotfix 1.4.3 pushed after 1.5.0 is skipped by
  // the mode itself), so only the other modes go by the last push's time.
  if (!mode?.ordersByVersion()) {
    effects.push({ kind: 'check-watermark', decision, serviceArn, repositoryKey: key, pushedAt });
  }
  effects.push(
    {
      kind: 'register-revision',
      decision,
      from,
      revision: copyWithImage(source, {
        containers: decided.containers,
        image: decided.image,
        sourceImage: `${push.repositoryName}:${push.tag}`,
        digest: push.digest,
        triggeredBy: push.eventId,
      }),
    },
    { kind: 'update-service', decision, serviceArn, cluster, service, from },
    {
      kind: 'record-deployment',
      decision,
      record: {
        serviceArn,
        cluster,
        service,
        fromTaskDefinition: from,
        repository: push.repositoryName,
        tag: push.tag,
        digest: push.digest,
        triggeredBy: push.eventId,
        state: 'STARTED',
      },
    },
    { kind: 'note-deployment-started', decision, serviceArn },
    {
      kind: 'set-watermark',
      decision,
      serviceArn,
      repositoryKey: key,
      watermark: { pushedAt, digest: push.digest, tag: push.tag },
    },
    { kind: 'release-lease', decision, serviceArn, owner, closes: scope },
  );
  return { decision: decided, effects };
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
