/**
 * Deploy on push, the decision: given a pushed image and the services that use its repository, which
 * services get it now, which later, which never, and why. Pure: everything it needs is an argument.
 */
import semver from 'semver';
import type { Policy, PolicyFile } from '../../config/policy-file';
import type { ServiceState, TaskDefinitionState } from '../../ports';
import type { EcrRepository } from '../aws/ecr-repository';
import { isImageOfRepository, parseImageReference, pinToDigest } from '../aws/image-reference';
import type { DeployMode, TagVerdict } from '../policy/deploy-mode';
import { parseDuration } from '../policy/duration';
import { deployModeOf, effectivePolicy } from '../policy/effective-policy';
import { DEPLOY_TAG } from '../policy/service-tags';
import { rejectedByFilters } from '../policy/tag-filter';
import { parseVersionTag } from '../policy/version';
import { checkDeployWindows, describeWindow } from './deploy-window';

/** The reason given when a service already runs the pushed digest. */
export const ALREADY_RUNNING = 'already running this digest';

/** A successful push of a tagged image to a private ECR repository. */
export interface PushedImage extends EcrRepository {
  eventId: string;
  digest: string;
  tag: string;
  pushedAt: Date;
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
export type DecisionAction = 'deploy' | 'defer' | 'skip' | 'unsupported' | 'failed';

/** One decision with its reason: the answer to "why did or didn't this deploy". */
export interface DeploymentDecision {
  action: DecisionAction;
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
  fromTaskDefinition?: string;
  /** the new revision, once registered */
  toTaskDefinition?: string;
  containers?: string[];
  /** the image written into the containers: `<registry>/<repository>@<digest>` */
  image?: string;
  /** when a deferred push becomes due */
  dueAt?: string;
  dryRun?: boolean;
}

/** Input of {@link planDeployment}. */
export interface PlanInput {
  push: PushedImage;
  candidates: readonly ServiceCandidate[];
  policyFile: PolicyFile;
  now: Date;
  quarantined: boolean;
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
  return input.candidates.map((candidate) => decide(input, candidate));
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
  const skip = (reason: string, extra: Partial<DeploymentDecision> = {}): DeploymentDecision => ({
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
  const withTd = { ...described, fromTaskDefinition: taskDefinition.arn };
  const matching = taskDefinition.containers.filter((c) => {
    const ref = parseImageReference(c.image);
    return ref.ok && isImageOfRepository(ref.value, push);
  });
  if (matching.length === 0)
    return skip(`no container of ${taskDefinition.family} uses ${push.repositoryName}`, withTd);
  const containers = matching.map((c) => c.name);
  const first = parseImageReference(matching[0]?.image ?? '');
  const image = first.ok ? pinToDigest(first.value, push.digest) : undefined;
  const target = { ...withTd, containers, image };

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

  const minAge = policy.minImageAge ? (parseDuration(policy.minImageAge) ?? 0) : 0;
  const ripeAt = new Date(push.pushedAt.getTime() + minAge);
  const earliest = ripeAt > now ? ripeAt : now;
  const window = checkDeployWindows(policy.windows ?? [], earliest);
  if (!window.open) {
    const windows = (policy.windows ?? []).map(describeWindow).join('; ');
    return {
      ...base,
      ...target,
      action: 'defer',
      dueAt: window.opensAt.toISOString(),
      reason: `${tagVerdict.reason}; outside deploy window (${windows}) until ${window.opensAt.toISOString()}`,
    };
  }
  if (ripeAt > now) {
    return {
      ...base,
      ...target,
      action: 'defer',
      dueAt: ripeAt.toISOString(),
      reason: `${tagVerdict.reason}; image is younger than the minimum age ${policy.minImageAge}, due at ${ripeAt.toISOString()}`,
    };
  }
  return { ...base, ...target, action: 'deploy', reason: tagVerdict.reason };
}

/**
 * Whether pending push `b` should replace pending push `a` for the same service: a higher version
 * when the mode orders pushes by version (`semver:`), otherwise the later push.
 *
 * @example supersedes(parseDeployMode('semver:minor'), { tag: '1.5.0', … }, { tag: '1.4.0', … }) // false
 */
export function supersedes(
  mode: DeployMode | undefined,
  a: { tag: string; pushedAt: string },
  b: { tag: string; pushedAt: string },
): boolean {
  if (mode?.ordersByVersion()) {
    const va = parseVersionTag(a.tag);
    const vb = parseVersionTag(b.tag);
    if (va && vb) return semver.gt(vb, va);
  }
  return b.pushedAt >= a.pushedAt;
}
