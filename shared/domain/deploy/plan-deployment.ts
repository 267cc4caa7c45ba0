/**
 * Deploy on push, the decision: given a pushed image and the services that use its repository, which
 * services get it now, which later, which never, and why. Pure: everything it needs is an argument.
 */
import type { Policy, PolicyFile } from '../../config/policy-file';
import type { Pause, PushWatermark, ServiceState, TaskDefinitionState } from '../../ports';
import type { EcrRepository } from '../aws/ecr-repository';
import { isImageOfRepository, parseImageReference, pinToDigest } from '../aws/image-reference';
import type { DeployMode, TagVerdict } from '../policy/deploy-mode';
import { parseDuration } from '../policy/duration';
import { deployModeOf, effectivePolicy } from '../policy/effective-policy';
import { DEPLOY_TAG } from '../policy/service-tags';
import { rejectedByFilters } from '../policy/tag-filter';
import { checkDeployWindows, describeWindow } from './deploy-window';
import { managedByOf } from './managed-by';
import { heldBy, pauseOf } from './pause';

/** The reason given when a service already runs the pushed digest. */
export const ALREADY_RUNNING = 'already running this digest';

/** The reason given when a service the push was planned for is gone from ECS. */
export const SERVICE_GONE = 'service no longer exists';

/** How a retry of a push says its deferral went out in an earlier attempt (the end of the reason). */
export const DEFERRED_BY_EARLIER_ATTEMPT = 'and announced by an earlier attempt of this push';

/**
 * Whether a skip says the push is in place already: the service runs its digest, or an earlier
 * attempt of this push deferred it. A retry of a push says so of what its first attempt did, so such
 * a skip is no decision of its own about the push.
 */
export function findsPushInPlace(decision: Pick<DeploymentDecision, 'action' | 'reason'>): boolean {
  return (
    decision.action === 'skip' &&
    (decision.reason.startsWith(ALREADY_RUNNING) || decision.reason.endsWith(DEFERRED_BY_EARLIER_ATTEMPT))
  );
}

/** A successful push of a tagged image to a private ECR repository. */
export interface PushedImage extends EcrRepository {
  eventId: string;
  digest: string;
  tag: string;
  pushedAt: Date;
  /**
   * Where a push that ECR did not announce as a push comes from, said after the reason of every
   * decision about it: one autopilot made up (`autopilot sync by alice`), or an image ECR replicated
   * into this registry (`replicated by ECR from us-east-1`); absent for a push ECR announced.
   */
  origin?: string;
}

/** A service with what planning needs to know about it. */
export interface ServiceCandidate {
  service: ServiceState;
  /** undefined when the running task definition could not be described */
  taskDefinition: TaskDefinitionState | undefined;
  /** For modes that need the running tags (`semver:`): the tags ECR holds for each running digest, by container name. */
  runningTags: Record<string, readonly string[]>;
}

/** What happens to one service. */
export type DecisionAction = DeploymentDecision['action'];

/** What every decision says: which service, which push, why. */
interface DecisionOf {
  cluster: string;
  service: string;
  serviceArn: string;
  repository: string;
  tag: string;
  digest: string;
  reason: string;
  policy?: string;
  /** the deploy mode as written (`tag:main`, `semver:minor`) */
  mode?: string;
  /** who manages the service (a CloudFormation stack, the tool `managedByTag` names): its next apply may revert this */
  managedBy?: string;
  dryRun?: boolean;
}

/** The change a push makes to a service: which containers of its revision get which image. */
export interface ImageChange {
  fromTaskDefinition: string;
  containers: string[];
  /** the image written into the containers: `<registry>/<repository>@<digest>` */
  image: string;
}

/** A decision to point the service at a new revision, now. */
export interface DeployDecision extends DecisionOf, ImageChange {
  action: 'deploy';
  /** the new revision, once registered */
  toTaskDefinition?: string;
  /**
   * The reason `Deployment Started` carries when it is not the decision's: an update an earlier
   * attempt made is announced as that attempt announced it (or would have), so a second copy of the
   * announcement is the same event, which the notifier drops.
   */
  announcedAs?: string;
  dueAt?: never;
}

/** A decision to deploy once a cooldown or a deploy window allows it. */
export interface DeferDecision extends DecisionOf, ImageChange {
  action: 'defer';
  /** when the deferred push becomes due */
  dueAt: string;
  toTaskDefinition?: never;
}

/** A decision not to change the service (skip), or one that could not be carried out. */
export interface NoDeployDecision extends DecisionOf, Partial<ImageChange> {
  action: 'skip' | 'failed' | 'unsupported';
  /** the revision the service was pointed at before a later step failed */
  toTaskDefinition?: string;
  dueAt?: never;
}

/**
 * One decision with its reason: the answer to "why did or didn't this deploy". A deploy and a
 * deferral always say what they change; a skip or a failure says as much as was known.
 */
export type DeploymentDecision = DeployDecision | DeferDecision | NoDeployDecision;

/** Input of {@link planDeployment}. */
export interface PlanInput {
  push: PushedImage;
  candidates: readonly ServiceCandidate[];
  policyFile: PolicyFile;
  now: Date;
  quarantined: boolean;
  /**
   * What the pushed tag points at in ECR now (read under the service's lease): a deploy or a deferral
   * of a push the tag has moved on from is skipped, superseded by the newer push of the tag (whose own
   * event deploys it). Not given: not checked.
   */
  tagNow?: { digest: string | undefined };
  /** the pauses in force (`autopilot pause`): a paused service's deploy waits, or is only told */
  pauses?: readonly Pause[];
}

/** Whether the pushed tag is one to deploy: the policy's filters first, then the mode. */
function checkTag(
  mode: DeployMode,
  policy: Policy,
  push: PushedImage,
  matching: readonly { name: string; image: string }[],
  runningTags: Record<string, readonly string[]>,
): TagVerdict {
  const filtered = rejectedByFilters(policy, push.tag);
  if (filtered) return { ok: false, reason: filtered };
  const running = mode.needsRunningTags()
    ? matching.map((container) => {
        const parsed = parseImageReference(container.image);
        const ownTag = parsed.ok && parsed.value.tag ? [parsed.value.tag] : [];
        return { container: container.name, tags: [...ownTag, ...(runningTags[container.name] ?? [])] };
      })
    : [];
  return mode.accepts(push.tag, { allowPrerelease: policy.allowPrerelease === true, running });
}

/**
 * Decides, for every candidate service, what to do with a pushed image.
 *
 * @example
 * planDeployment({ push, candidates, policyFile, now: new Date(), quarantined: false })
 * // [{ action: 'deploy', service: 'api', reason: 'follows tag main', containers: ['app'], … }]
 */
export function planDeployment(input: PlanInput): DeploymentDecision[] {
  return input.candidates.map((candidate) =>
    withOrigin(
      input.push,
      heldBy(
        supersededByTag(input, decide(input, candidate)),
        pauseOf(input.pauses ?? [], candidate.service),
      ),
    ),
  );
}

/**
 * A decision about a push ECR did not announce says where the push comes from (who ran `autopilot
 * sync`, the region ECR replicated the image from), so the people told of it, and `autopilot
 * history`, know no push to this registry caused it.
 */
function withOrigin(push: PushedImage, decision: DeploymentDecision): DeploymentDecision {
  return push.origin === undefined ? decision : { ...decision, reason: `${decision.reason}; ${push.origin}` };
}

/** A deploy or deferral of a push whose tag has moved on (or is gone) becomes a skip. */
function supersededByTag(input: PlanInput, decision: DeploymentDecision): DeploymentDecision {
  const { tagNow, push } = input;
  if (!tagNow || tagNow.digest === push.digest) return decision;
  if (decision.action !== 'deploy' && decision.action !== 'defer') return decision;
  const { dueAt: _dueAt, toTaskDefinition: _to, ...rest } = decision;
  const image = `${push.repositoryName}:${push.tag}`;
  return {
    ...rest,
    action: 'skip',
    reason:
      tagNow.digest === undefined
        ? `superseded: ${image} no longer exists in ECR`
        : `superseded: ${image} now points at ${tagNow.digest}, pushed after this one`,
  };
}

function decide(input: PlanInput, candidate: ServiceCandidate): DeploymentDecision {
  const { push, now } = input;
  const { service, taskDefinition } = candidate;
  const base = {
    cluster: service.clusterName,
    service: service.name,
    serviceArn: service.arn,
    repository: push.repositoryName,
    tag: push.tag,
    digest: push.digest,
  };
  const skip = (
    reason: string,
    extra: Partial<ImageChange> & Pick<DecisionOf, 'policy' | 'mode'> = {},
  ): DeploymentDecision => ({
    ...base,
    ...extra,
    action: 'skip',
    reason,
  });

  if (service.status !== 'ACTIVE') return skip(`service is ${service.status}`);
  const resolved = effectivePolicy(input.policyFile, service);
  if ('invalid' in resolved) return skip(resolved.invalid);
  const { policy, name: policyName } = resolved;
  const mode = deployModeOf(service, policy);
  if (mode === undefined) return skip(`not opted in: no ${DEPLOY_TAG} tag`, { policy: policyName });
  if ('invalid' in mode) return skip(mode.invalid, { policy: policyName });
  const described = { policy: policyName, mode: String(mode) };
  if (!mode.follows()) return skip(`${DEPLOY_TAG} is off`, described);
  if (!taskDefinition) {
    return {
      ...base,
      ...described,
      action: 'failed',
      reason: `task definition ${service.taskDefinitionArn} could not be described`,
    };
  }
  const managedBy = managedByOf(service.tags, input.policyFile.managedByTag);
  const withTd = {
    ...described,
    ...(managedBy ? { managedBy } : {}),
    fromTaskDefinition: taskDefinition.arn,
  };
  const matching = taskDefinition.containers.flatMap((c) => {
    const ref = parseImageReference(c.image);
    return ref.ok && isImageOfRepository(ref.value, push) ? [{ ...c, ref: ref.value }] : [];
  });
  const [first] = matching;
  if (!first) return skip(`no container of ${taskDefinition.family} uses ${push.repositoryName}`, withTd);
  const containers = matching.map((c) => c.name);
  const target = { ...withTd, containers, image: pinToDigest(first.ref, push.digest) };

  if (service.deploymentController !== 'ECS') {
    return {
      ...base,
      ...target,
      action: 'unsupported',
      reason: `deployment controller ${service.deploymentController} is not supported; only ECS rolling deployments are updated`,
    };
  }
  if (input.quarantined) return skip(`digest ${push.digest} is quarantined`, target);
  const tagVerdict = checkTag(mode, policy, push, matching, candidate.runningTags);
  if (!tagVerdict.ok) return skip(tagVerdict.reason, target);
  const already = matching.every((c) => {
    const ref = parseImageReference(c.image);
    return ref.ok && ref.value.digest === push.digest;
  });
  if (already) return skip(ALREADY_RUNNING, target);

  const ripe = ripeAtOf(push, policy, now);
  if ('unreadable' in ripe) return { ...base, ...target, action: 'failed', reason: ripe.unreadable };
  const { ripeAt, skew } = ripe;
  const earliest = new Date(Math.max(ripeAt.getTime(), now.getTime()));
  const window = checkDeployWindows(policy.windows ?? [], earliest);
  if (!window.open) {
    const windows = (policy.windows ?? []).map(describeWindow).join('; ');
    return {
      ...base,
      ...target,
      action: 'defer',
      dueAt: window.opensAt.toISOString(),
      reason: `${tagVerdict.reason}; outside deploy window (${windows}) until ${window.opensAt.toISOString()}${skew}`,
    };
  }
  if (ripeAt > now) {
    return {
      ...base,
      ...target,
      action: 'defer',
      dueAt: ripeAt.toISOString(),
      reason: `${tagVerdict.reason}; image is younger than the minimum age ${policy.minImageAge}, due at ${ripeAt.toISOString()}${skew}`,
    };
  }
  return { ...base, ...target, action: 'deploy', reason: `${tagVerdict.reason}${skew}` };
}

/**
 * When a push is old enough for the policy's minimum age, failing closed: a minimum age that cannot
 * be read, or a time that is no valid date, is no reason to deploy at once but a failure. A push
 * time in the future is the sender's clock running ahead (clock skew): the age counts from now, and
 * the reason says so.
 */
function ripeAtOf(
  push: PushedImage,
  policy: Policy,
  now: Date,
): { ripeAt: Date; skew: string } | { unreadable: string } {
  const minAge = policy.minImageAge === undefined ? 0 : parseDuration(policy.minImageAge);
  if (minAge === undefined) {
    return { unreadable: `minimum age ${policy.minImageAge} is not a duration up to 365d: not deployed` };
  }
  const pushed = push.pushedAt.getTime();
  if (!Number.isFinite(pushed) || !Number.isFinite(now.getTime())) {
    return { unreadable: 'the push time or the clock is not a valid date: not deployed' };
  }
  const skewed = pushed > now.getTime();
  const ripeAt = new Date((skewed ? now.getTime() : pushed) + minAge);
  if (!Number.isFinite(ripeAt.getTime())) {
    return {
      unreadable: `the push plus the minimum age ${policy.minImageAge} is past any date: not deployed`,
    };
  }
  const skew = skewed
    ? `; the push time ${push.pushedAt.toISOString()} is in the future (clock skew): counted from now`
    : '';
  return { ripeAt, skew };
}

/**
 * Whether pending push `b` should replace pending push `a` for the same service: a higher version
 * or a later tag when the mode orders pushes so (`semver:`, `numeric:`, `alphabetic:`; the same version
 * keeps `a`), otherwise the later push.
 *
 * @example supersedes(parseDeployMode('semver:minor'), { tag: '1.5.0', … }, { tag: '1.4.0', … }) // false
 * @example supersedes(parseDeployMode('numeric:main-'), { tag: 'main-999', … }, { tag: 'main-1234', … }) // true
 */
export function supersedes(
  mode: DeployMode | undefined,
  a: { tag: string; pushedAt: string },
  b: { tag: string; pushedAt: string },
): boolean {
  if (mode?.ordersByVersion()) {
    const order = mode.compareTags(a.tag, b.tag);
    if (order !== undefined) return order < 0;
  }
  return b.pushedAt >= a.pushedAt;
}

/**
 * Whether a push replaces the push waiting for the same service and repository: the same push
 * (deferred again), or one that {@link supersedes} it. Otherwise the waiting one is kept, and the
 * deferral becomes a skip ({@link NEWER_PUSH_WAITING}).
 */
export function replacesWaiting(
  mode: DeployMode | undefined,
  waiting: { eventId: string; tag: string; pushedAt: string },
  push: { eventId: string; tag: string; pushedAt: string },
): boolean {
  return waiting.eventId === push.eventId || supersedes(mode, waiting, push);
}

/** Why a deferral is skipped when the push waiting for the service is newer ({@link replacesWaiting}). */
export const NEWER_PUSH_WAITING = 'a newer push is already waiting to be deployed to this service';

/**
 * Why a deploy is skipped under the lease when a newer push of the repository was deployed to the
 * service meanwhile (its watermark), or undefined when none was.
 *
 * @example supersededByWatermark({ pushedAt: '2026-01-13T10:05:00Z', tag: 'main', digest }, '2026-01-13T10:00:00Z')
 * // 'superseded by the newer push of main (sha256:…) at 2026-01-13T10:05:00Z'
 */
export function supersededByWatermark(
  watermark: PushWatermark | undefined,
  pushedAt: string,
): string | undefined {
  if (!watermark || watermark.pushedAt <= pushedAt) return undefined;
  return `superseded by the newer push of ${watermark.tag} (${watermark.digest}) at ${watermark.pushedAt}`;
}
