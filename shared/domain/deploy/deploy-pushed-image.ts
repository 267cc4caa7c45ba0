/**
 * Deploy on push, the use case: from a pushed image to updated services, through the ports. The
 * decisions come from {@link planDeployment}; this module carries them out safely: blast-radius cap,
 * one lease per service, ordering of racing pushes, dry run, and a record of everything done.
 */
import type { PolicyFile } from '../../config/policy-file';
import { PermanentError, ResourceLimitExceededError, RetryableError } from '../../errors';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  DEPLOYMENT_SCHEDULED,
  DEPLOYMENT_STARTED,
} from '../../events/autopilot-events';
import type {
  ContainerPlatform,
  DeploymentHistory,
  EventPublisher,
  ImageRegistry,
  PendingPush,
  PendingPushes,
  Quarantine,
  ServiceIndex,
  ServiceLease,
  ServiceRef,
  TaskDefinitionDocument,
  TaskDefinitionState,
} from '../../ports';
import { parseTaskDefinition } from '../aws/arn';
import { repositoryKey } from '../aws/ecr-repository';
import { isImageOfRepository, parseImageReference } from '../aws/image-reference';
import type { DeployMode } from '../policy/deploy-mode';
import { serviceDeployMode } from '../policy/effective-policy';
import {
  ALREADY_RUNNING,
  type DeploymentDecision,
  type PushedImage,
  planDeployment,
  type ServiceCandidate,
  supersedes,
} from './plan-deployment';
import { copyWithImage } from './task-definition';

/** What the deploy use case needs from the outside. */
export interface DeployDeps {
  ecs: ContainerPlatform;
  ecr: ImageRegistry;
  /** the services of a repository */
  index: ServiceIndex;
  /** images rollback judged bad */
  quarantine: Quarantine;
  /** the deployments autopilot started */
  history: DeploymentHistory;
  /** one deployment per service at a time, and the newest push deployed */
  lease: ServiceLease;
  /** pushes waiting for a cooldown or a deploy window */
  pending: PendingPushes;
  events: EventPublisher;
  policyFile: PolicyFile;
  dryRun: boolean;
  now: () => Date;
}

/** How long a service lease lasts: longer than one invocation, short enough to recover from a crash. */
const LOCK_SECONDS = 120;

/**
 * Handles one push: finds the services indexed for the repository and deploys, defers or skips each.
 *
 * @returns every decision with its reason
 * @throws ResourceLimitExceededError when more services would be updated than the cap allows
 * @throws RetryableError when a service is locked by a concurrent deployment
 */
export async function deployPushedImage(push: PushedImage, deps: DeployDeps): Promise<DeploymentDecision[]> {
  const key = repositoryKey(push);
  const indexed = await deps.index.servicesForRepository(key);
  const refs = indexed.map((s) => ({ cluster: s.clusterArn, service: s.serviceName }));
  const decisions = await processPush(push, refs, deps);
  if (!deps.dryRun) {
    const found = new Set(decisions.map((d) => d.serviceArn));
    for (const stale of indexed.filter((s) => !found.has(s.serviceArn))) {
      await deps.index.unindexRepositories(stale.serviceArn);
    }
  }
  return decisions;
}

/**
 * Deploys the remembered pushes whose cooldown or deploy window has come.
 *
 * @returns the decisions taken for each due push
 */
export async function deployDuePushes(deps: DeployDeps): Promise<DeploymentDecision[]> {
  const due = await deps.pending.listDuePending(deps.now());
  const decisions: DeploymentDecision[] = [];
  for (const pending of due) {
    const push: PushedImage = { ...pending.push, pushedAt: new Date(pending.push.pushedAt) };
    const result = await processPush(
      push,
      [{ cluster: pending.cluster, service: pending.service }],
      deps,
      pending,
    );
    if (result.length === 0) {
      decisions.push({
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
    decisions.push(...result);
    const stillPending = result.some((d) => d.action === 'defer');
    if (!deps.dryRun && !stillPending) {
      await deps.pending.deletePending(pending.serviceArn, repositoryKey(push), push.eventId);
    }
  }
  return decisions;
}

async function processPush(
  push: PushedImage,
  refs: readonly ServiceRef[],
  deps: DeployDeps,
  fromPending?: PendingPush,
): Promise<DeploymentDecision[]> {
  if (refs.length === 0) return [];
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
  const planned = planDeployment({
    push,
    candidates,
    policyFile: deps.policyFile,
    now: deps.now(),
    quarantined,
  });
  const toDeploy = planned.filter((d) => d.action === 'deploy');
  if (toDeploy.length > deps.policyFile.maxServicesPerPush) {
    throw new ResourceLimitExceededError(toDeploy.length, deps.policyFile.maxServicesPerPush);
  }

  const registered = new Map<string, Promise<string>>();
  const decisions: DeploymentDecision[] = [];
  const events: AutopilotEvent[] = [];
  try {
    for (const decision of planned) {
      const mode = modes.get(decision.serviceArn);
      const outcome = await carryOut(decision, mode, push, deps, documents, registered, fromPending);
      const done = deps.dryRun ? { ...outcome, dryRun: true } : outcome;
      decisions.push(done);
      const event = eventFor(done, push);
      if (event) events.push(event);
    }
  } finally {
    // Also when a later service aborts the run (lock held, throttling): the services already deployed
    // would otherwise never be announced, since a retry finds them running the digest and skips them.
    if (events.length > 0) await deps.events.publish(events);
  }
  return decisions;
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
  deps: DeployDeps,
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

async function carryOut(
  decision: DeploymentDecision,
  mode: DeployMode | undefined,
  push: PushedImage,
  deps: DeployDeps,
  documents: Map<string, TaskDefinitionDocument | undefined>,
  registered: Map<string, Promise<string>>,
  fromPending: PendingPush | undefined,
): Promise<DeploymentDecision> {
  if (decision.action === 'defer') return defer(decision, mode, push, deps, fromPending);
  if (decision.action === 'skip' && decision.reason === ALREADY_RUNNING && !deps.dryRun) {
    return announceEarlierAttempt(decision, push, deps);
  }
  if (decision.action !== 'deploy' || deps.dryRun) return decision;
  const key = repositoryKey(push);
  const owner = push.eventId;
  if (!(await deps.lease.acquireLease(decision.serviceArn, owner, LOCK_SECONDS))) {
    throw new RetryableError(
      `service ${decision.cluster}/${decision.service} is being deployed by another invocation`,
    );
  }
  try {
    // Versions order the pushes of a semver: service (a hotfix 1.4.3 pushed after 1.5.0 is skipped by
    // the mode itself), so only the other modes go by the last push's time.
    if (!mode?.ordersByVersion()) {
      const watermark = await deps.lease.getWatermark(decision.serviceArn, key);
      if (watermark && watermark.pushedAt > push.pushedAt.toISOString()) {
        return {
          ...decision,
          action: 'skip',
          reason: `superseded by the newer push of ${watermark.tag} (${watermark.digest}) at ${watermark.pushedAt}`,
        };
      }
    }
    const from = decision.fromTaskDefinition ?? '';
    const source = documents.get(from);
    if (!source || !decision.image || !decision.containers) {
      return { ...decision, action: 'failed', reason: `task definition ${from} could not be copied` };
    }
    // Services sharing a revision get one new revision per pushed digest, not one each.
    let arn = registered.get(from);
    if (!arn) {
      arn = deps.ecs.registerTaskDefinition(
        copyWithImage(source, {
          containers: decision.containers,
          image: decision.image,
          sourceImage: `${push.repositoryName}:${push.tag}`,
          digest: push.digest,
          triggeredBy: push.eventId,
        }),
      );
      registered.set(from, arn);
    }
    const toTaskDefinition = await arn;
    const deploymentId = await deps.ecs.updateService(
      { cluster: decision.cluster, service: decision.service },
      toTaskDefinition,
    );
    const startedAt = deps.now().toISOString();
    await deps.history.recordDeployment({
      serviceArn: decision.serviceArn,
      cluster: decision.cluster,
      service: decision.service,
      fromTaskDefinition: from,
      toTaskDefinition,
      repository: push.repositoryName,
      tag: push.tag,
      digest: push.digest,
      startedAt,
      triggeredBy: push.eventId,
      state: 'STARTED',
      ...(deploymentId ? { deploymentId } : {}),
    });
    // The rollback watcher then knows the deployment's revision even if ECS drops it before its
    // state changes arrive.
    if (deploymentId) {
      await deps.history.noteDeploymentStarted(decision.serviceArn, {
        deploymentId,
        taskDefinitionArn: toTaskDefinition,
        startedAt,
        isRollback: false,
      });
    }
    await deps.lease.setWatermark(decision.serviceArn, key, {
      pushedAt: push.pushedAt.toISOString(),
      digest: push.digest,
      tag: push.tag,
    });
    return { ...decision, toTaskDefinition };
  } catch (error) {
    if (error instanceof PermanentError) return { ...decision, action: 'failed', reason: error.message };
    throw error;
  } finally {
    await deps.lease.releaseLease(decision.serviceArn, owner);
  }
}

/**
 * A service already on the digest may have been deployed by an earlier delivery of this very event
 * that failed before announcing it (e.g. PutEvents throttled). Then it is announced now: consumers
 * may see `Deployment Started` twice (same `triggeredBy`), but never miss it.
 */
async function announceEarlierAttempt(
  decision: DeploymentDecision,
  push: PushedImage,
  deps: DeployDeps,
): Promise<DeploymentDecision> {
  const earlier = await deps.history.deploymentTriggeredBy(decision.serviceArn, push.eventId);
  if (!earlier) return decision;
  return {
    ...decision,
    action: 'deploy',
    fromTaskDefinition: earlier.fromTaskDefinition,
    toTaskDefinition: earlier.toTaskDefinition,
    reason: `deployed at ${earlier.startedAt} by an earlier delivery of this event; announced again`,
  };
}

async function defer(
  decision: DeploymentDecision,
  mode: DeployMode | undefined,
  push: PushedImage,
  deps: DeployDeps,
  fromPending: PendingPush | undefined,
): Promise<DeploymentDecision> {
  if (deps.dryRun) return decision;
  const pending: PendingPush = {
    serviceArn: decision.serviceArn,
    cluster: decision.cluster,
    service: decision.service,
    push: { ...push, pushedAt: push.pushedAt.toISOString() },
    dueAt: decision.dueAt ?? deps.now().toISOString(),
    reason: decision.reason,
  };
  const saved = await deps.pending.savePending(
    pending,
    (existing) => existing.push.eventId === push.eventId || supersedes(mode, existing.push, pending.push),
  );
  if (saved || fromPending) return decision;
  return {
    ...decision,
    action: 'skip',
    reason: 'a newer push is already waiting to be deployed to this service',
  };
}

function eventFor(decision: DeploymentDecision, push: PushedImage): AutopilotEvent | undefined {
  const dryRun = decision.dryRun === true;
  const common = {
    cluster: decision.cluster,
    service: decision.service,
    serviceArn: decision.serviceArn,
    repository: push.repositoryName,
    tag: push.tag,
    digest: push.digest,
    reason: decision.reason,
    triggeredBy: push.eventId,
  };
  switch (decision.action) {
    case 'deploy':
      return {
        detailType: DEPLOYMENT_STARTED,
        detail: {
          ...common,
          image: decision.image ?? '',
          containers: decision.containers ?? [],
          fromTaskDefinition: decision.fromTaskDefinition ?? '',
          toTaskDefinition: decision.toTaskDefinition ?? '(dry run: not registered)',
          dryRun,
        },
      };
    case 'defer':
      return { detailType: DEPLOYMENT_SCHEDULED, detail: { ...common, dueAt: decision.dueAt ?? '', dryRun } };
    case 'failed':
    case 'unsupported':
      return {
        detailType: ACTION_FAILED,
        detail: {
          action: 'deploy',
          cluster: decision.cluster,
          service: decision.service,
          serviceArn: decision.serviceArn,
          reason: decision.reason,
          dryRun,
          triggeredBy: push.eventId,
        },
      };
    case 'skip':
      return undefined;
  }
}
