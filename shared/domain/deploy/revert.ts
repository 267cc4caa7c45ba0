/**
 * The services that others manage (issue 15): a service defined in CloudFormation, CDK or Terraform
 * gets its old image back at the next apply. When someone else (CloudTrail UpdateService by another
 * principal) moves a service off the image autopilot last deployed to an older one, autopilot says so
 * (`Deployment Reverted`, with who did it and who manages the service) and, if its policy says
 * `onRevert: redeploy`, deploys its own revision again, once: a second revert within `revertWindow`
 * (1h by default) pauses the service instead and says why, so autopilot never plays tug of war with
 * an IaC tool. A change to a newer image, or to the same image, is not a revert.
 */
import type { PolicyFile } from '../../config/policy-file';
import { RetryableError } from '../../errors';
import { type AutopilotEvent, DEPLOYMENT_REVERTED, type REVERT_ACTIONS } from '../../events/autopilot-events';
import type {
  ContainerPlatform,
  DeploymentHistory,
  EventPublisher,
  ImageRegistry,
  PauseStore,
  RevertLog,
  ServiceLease,
  ServiceState,
} from '../../ports';
import { parseServiceArn, shortTaskDefinition } from '../aws/arn';
import { repositoryKey } from '../aws/ecr-repository';
import { parseEcrRegistry, parseImageReference, shortDigest } from '../aws/image-reference';
import { parseDuration } from '../policy/duration';
import { effectivePolicy, notFollowed } from '../policy/effective-policy';
import { managedByOf } from './managed-by';
import { pauseScope } from './pause';

const DEFAULT_REVERT_WINDOW_MS = 60 * 60_000;
/** How long the lease is held to deploy autopilot's revision again. */
const LEASE_SECONDS = 120;

/** An UpdateService call by someone, as CloudTrail recorded it. */
export interface ServiceUpdateCall {
  /** the CloudTrail event's id */
  eventId: string;
  /** when the call was made (ISO) */
  at: string;
  /** the principal's ARN */
  by: string;
  /** autopilot made it itself (its roles are named after the stack) */
  ownCall: boolean;
  cluster: string;
  service: string;
  /** the revision asked for; absent when the call changed something else (a count, a forced deployment) */
  taskDefinition?: string;
}

/** What autopilot made of an UpdateService call. */
export type RevertDecision =
  | { action: 'ignore'; cluster: string; service: string; reason: string }
  | {
      action: (typeof REVERT_ACTIONS)[number];
      cluster: string;
      service: string;
      serviceArn: string;
      revertedTo: string;
      deployedTaskDefinition: string;
      reason: string;
      dryRun?: boolean;
    };

/** What revert detection reads and changes. */
export interface RevertDeps {
  ecs: Pick<ContainerPlatform, 'describeServices' | 'describeTaskDefinition' | 'updateService'>;
  ecr: Pick<ImageRegistry, 'describeImage'>;
  history: Pick<DeploymentHistory, 'recentDeployments'>;
  reverts: RevertLog;
  pauses: Pick<PauseStore, 'pause'>;
  lease: Pick<ServiceLease, 'acquireLease' | 'releaseLease'>;
  events: EventPublisher;
  policyFile: PolicyFile;
  dryRun: boolean;
  now: () => Date;
}

/**
 * Handles an UpdateService call: a revert is told, and dealt with as the service's policy says.
 *
 * @returns the decision, with its reason
 * @throws RetryableError when a push is deploying the service now (its lease is held)
 */
export async function onServiceUpdated(call: ServiceUpdateCall, deps: RevertDeps): Promise<RevertDecision> {
  const ignore = (reason: string): RevertDecision => ({
    action: 'ignore',
    cluster: call.cluster,
    service: call.service,
    reason,
  });
  if (call.ownCall) return ignore("autopilot's own call");
  if (!call.taskDefinition) return ignore('the call named no revision (a count or a forced deployment)');
  const [service] = await deps.ecs.describeServices([{ cluster: call.cluster, service: call.service }]);
  if (!service) return ignore('service not found');
  const notFollowedBecause = notFollowed(service, deps.policyFile);
  if (notFollowedBecause) return ignore(`not followed by deploy on push: ${notFollowedBecause}`);
  const [deployed] = await deps.history.recentDeployments(service.arn, 1);
  if (!deployed) return ignore('autopilot has not deployed it');
  const to = await resolveRevertedTo(call.taskDefinition, service, deployed, deps);
  if ('notRevert' in to) return ignore(to.notRevert);

  const resolved = effectivePolicy(deps.policyFile, service);
  const policy = 'policy' in resolved ? resolved.policy : deps.policyFile.defaults;
  const windowMs =
    (policy.revertWindow ? parseDuration(policy.revertWindow) : undefined) ?? DEFAULT_REVERT_WINDOW_MS;
  const revert = { eventId: call.eventId, at: call.at, by: call.by, revertedTo: call.taskDefinition };
  if (!deps.dryRun) await deps.reverts.recordRevert(service.arn, revert);
  const since = new Date(Date.parse(call.at) - windowMs).toISOString();
  // The reverts before this one within the window, and this one (recorded or, in a dry run, not).
  const earlier = (await deps.reverts.revertsSince(service.arn, since)).filter(
    (r) => r.at <= call.at && r.eventId !== call.eventId,
  );
  const count = earlier.length + 1;
  const managedBy = managedByOf(service.tags, deps.policyFile.managedByTag);
  const window = formatWindow(windowMs);
  const base = {
    cluster: service.clusterName,
    service: service.name,
    serviceArn: service.arn,
    revertedTo: call.taskDefinition,
    deployedTaskDefinition: deployed.toTaskDefinition,
    ...(deps.dryRun ? { dryRun: true } : {}),
  };
  const what = `${shortTaskDefinition(call.taskDefinition)} runs ${to.image}${to.pushedAt ? ` (pushed ${to.pushedAt})` : ''}, older than ${deployed.repository}:${deployed.tag} ${shortDigest(deployed.digest)}, which autopilot deployed in ${shortTaskDefinition(deployed.toTaskDefinition)}`;

  let decision: Extract<RevertDecision, { action: 'notified' | 'redeployed' | 'paused' }>;
  let pausedUntil: string | undefined;
  if (policy.onRevert !== 'redeploy') {
    decision = { ...base, action: 'notified', reason: `${what}: left there (onRevert: notify)` };
  } else if (count > 1) {
    pausedUntil = new Date(deps.now().getTime() + windowMs).toISOString();
    const reason = `reverted ${count} times within ${window} (last by ${call.by}${managedBy ? `, ${managedBy}` : ''}): not deployed again, paused until ${pausedUntil} so autopilot does not fight it`;
    if (!deps.dryRun) {
      await deps.pauses.pause({
        scope: pauseScope(service.clusterName, service.name),
        until: pausedUntil,
        by: 'autopilot',
        reason,
        at: deps.now().toISOString(),
        notifyOnly: false,
      });
    }
    decision = { ...base, action: 'paused', reason: `${what}: ${reason}` };
  } else {
    if (!deps.dryRun) await redeploy(service, deployed.toTaskDefinition, call.eventId, deps);
    decision = {
      ...base,
      action: 'redeployed',
      reason: `${what}: deployed ${shortTaskDefinition(deployed.toTaskDefinition)} again (onRevert: redeploy, once within ${window})`,
    };
  }
  await deps.events.publish([
    revertedEvent(decision, { call, deployed, managedBy, revertedImage: to.image, pausedUntil }),
  ]);
  return decision;
}

/**
 * What the revision asked for runs of the repository autopilot last deployed: a revert when it is
 * another image pushed before the one autopilot deployed (or one ECR no longer knows); not one when
 * it still runs autopilot's digest, or a newer image (someone deployed by hand), or does not use
 * the repository at all.
 */
async function resolveRevertedTo(
  taskDefinition: string,
  service: ServiceState,
  deployed: { repository: string; digest: string; toTaskDefinition: string },
  deps: RevertDeps,
): Promise<{ image: string; pushedAt?: string } | { notRevert: string }> {
  if (taskDefinition === deployed.toTaskDefinition) return { notRevert: 'the revision autopilot deployed' };
  const doc = await deps.ecs.describeTaskDefinition(taskDefinition);
  if (!doc) return { notRevert: `revision ${taskDefinition} could not be described` };
  const scope = parseServiceArn(service.arn);
  const ofRepository = doc.definition.containerDefinitions.flatMap((c) => {
    const ref = parseImageReference(c.image);
    if (!ref.ok) return [];
    const registry = parseEcrRegistry(ref.value.registry);
    const same =
      registry !== undefined &&
      repositoryKey({ ...registry, repositoryName: ref.value.repository }) ===
        repositoryKey({
          accountId: scope?.account ?? '',
          region: scope?.region ?? '',
          repositoryName: deployed.repository,
        });
    return same && registry ? [{ image: c.image, ref: ref.value, registryId: registry.accountId }] : [];
  });
  const [first] = ofRepository;
  if (!first)
    return { notRevert: `${shortTaskDefinition(taskDefinition)} does not use ${deployed.repository}` };
  const repo = { registryId: first.registryId, repositoryName: deployed.repository };
  const image = first.ref.digest
    ? await deps.ecr.describeImage(repo, { digest: first.ref.digest })
    : await deps.ecr.describeImage(repo, { tag: first.ref.tag ?? 'latest' });
  if (image?.digest === deployed.digest) return { notRevert: 'it runs the image autopilot deployed' };
  const ours = await deps.ecr.describeImage(repo, { digest: deployed.digest });
  if (image?.pushedAt && ours?.pushedAt && image.pushedAt > ours.pushedAt) {
    return {
      notRevert: `${first.image} was pushed after the image autopilot deployed: a newer image, not a revert`,
    };
  }
  return { image: first.image, ...(image?.pushedAt ? { pushedAt: image.pushedAt } : {}) };
}

/** Points the service at autopilot's revision again, under its lease (a push deploying it wins). */
async function redeploy(
  service: ServiceState,
  revision: string,
  owner: string,
  deps: RevertDeps,
): Promise<void> {
  if (!(await deps.lease.acquireLease(service.arn, owner, LEASE_SECONDS))) {
    throw new RetryableError(
      `service ${service.clusterName}/${service.name} is being deployed by another invocation`,
    );
  }
  try {
    await deps.ecs.updateService({ cluster: service.clusterArn, service: service.name }, revision);
  } finally {
    await deps.lease.releaseLease(service.arn, owner);
  }
}

function revertedEvent(
  decision: Extract<RevertDecision, { action: 'notified' | 'redeployed' | 'paused' }>,
  context: {
    call: ServiceUpdateCall;
    deployed: { repository: string; tag: string; digest: string };
    managedBy: string | undefined;
    revertedImage: string;
    pausedUntil: string | undefined;
  },
): AutopilotEvent {
  const { call, deployed } = context;
  return {
    detailType: DEPLOYMENT_REVERTED,
    detail: {
      cluster: decision.cluster,
      service: decision.service,
      serviceArn: decision.serviceArn,
      repository: deployed.repository,
      tag: deployed.tag,
      digest: deployed.digest,
      deployedTaskDefinition: decision.deployedTaskDefinition,
      revertedTo: decision.revertedTo,
      revertedImage: context.revertedImage,
      by: call.by,
      ...(context.managedBy ? { managedBy: context.managedBy } : {}),
      action: decision.action,
      ...(context.pausedUntil ? { pausedUntil: context.pausedUntil } : {}),
      reason: decision.reason,
      dryRun: decision.dryRun === true,
      triggeredBy: call.eventId,
    },
  };
}

const formatWindow = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : `${Math.round(ms / 60_000)}m`;
