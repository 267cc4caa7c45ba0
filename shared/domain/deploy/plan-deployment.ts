/**
 * Deploy on push, the decision: given a pushed image and the services that use its repository, which
 * services get it now, which later, which never, and why. Pure: everything it needs is an argument.
 */
import picomatch from 'picomatch';
import semver from 'semver';
import type { Policy, PolicyFile } from '../../config/policy-file';
import { clusterPolicyName } from '../../config/policy-file';
import type { ServiceState, TaskDefinitionState } from '../../ports';
import { isImageOfRepository, parseImageReference, pinToDigest } from '../aws/image-reference';
import { parseDuration } from '../policy/duration';
import { checkUpgrade, highestVersion, parseVersionTag, type UpgradeLevel } from '../policy/version';
import { checkDeployWindows, describeWindow } from './deploy-window';

/** Service tag that opts a service into deploy on push. */
export const DEPLOY_TAG = 'autopilot:deploy';
/** Service tag naming a policy in the policy file. */
export const POLICY_TAG = 'autopilot:policy';

/** The reason given when a service already runs the pushed digest. */
export const ALREADY_RUNNING = 'already running this digest';

/** A successful push of a tagged image to a private ECR repository. */
export interface PushedImage {
  eventId: string;
  accountId: string;
  region: string;
  repositoryName: string;
  digest: string;
  tag: string;
  pushedAt: Date;
}

/** How a service follows its repository. */
export type DeployMode =
  | { kind: 'tag'; tag: string }
  | { kind: 'semver'; level: UpgradeLevel }
  | { kind: 'match' }
  | { kind: 'off' };

/** A service with what planning needs to know about it. */
export interface ServiceCandidate {
  service: ServiceState;
  /** undefined when the running task definition could not be described */
  taskDefinition: TaskDefinitionState | undefined;
  /** For `semver:` services: the tags ECR holds for each running digest, by container name. */
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

/**
 * The repository key used by the index and the quarantine: account, region and name.
 *
 * @example repositoryKey({ accountId: '123456789012', region: 'eu-west-1', repositoryName: 'team/api' })
 * // '123456789012:eu-west-1:team/api'
 */
export function repositoryKey(repo: { accountId: string; region: string; repositoryName: string }): string {
  return `${repo.accountId}:${repo.region}:${repo.repositoryName}`;
}

/**
 * Parses an `autopilot:deploy` tag value (or a policy's `deploy`).
 *
 * @returns the mode, or a reason why the value is not one
 * @example parseDeployMode('semver:minor') // { kind: 'semver', level: 'minor' }
 */
export function parseDeployMode(value: string): DeployMode | { invalid: string } {
  const text = value.trim();
  if (text === 'off') return { kind: 'off' };
  if (text === 'match') return { kind: 'match' };
  const tag = /^tag:([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(text);
  if (tag?.[1]) return { kind: 'tag', tag: tag[1] };
  const level = /^semver:(major|minor|patch)$/.exec(text);
  if (level?.[1]) return { kind: 'semver', level: level[1] as UpgradeLevel };
  return {
    invalid: `${DEPLOY_TAG} value "${value}" is not tag:<name>, semver:major|minor|patch, match or off`,
  };
}

function formatMode(mode: DeployMode): string {
  switch (mode.kind) {
    case 'tag':
      return `tag:${mode.tag}`;
    case 'semver':
      return `semver:${mode.level}`;
    default:
      return mode.kind;
  }
}

/** The policy that applies to a service: defaults, overlaid by its named policy. */
export function effectivePolicy(
  file: PolicyFile,
  service: ServiceState,
): { name?: string; policy: Policy } | { invalid: string } {
  const tagged = service.tags[POLICY_TAG];
  const name = tagged ?? clusterPolicyName(file, service.clusterName);
  if (name === undefined) return { policy: file.defaults };
  // Own keys only: a tag such as autopilot:policy=constructor must not resolve to Object.prototype.
  const named = Object.hasOwn(file.policies, name) ? file.policies[name] : undefined;
  if (!named) return { invalid: `${POLICY_TAG} "${name}" is not defined in the policy file` };
  return { name, policy: { ...file.defaults, ...named } };
}

/** Checks the policy's tag filters; undefined when the tag passes them all. */
function rejectByFilters(policy: Policy, tag: string): string | undefined {
  const filters = policy.tags;
  if (!filters) return undefined;
  if (filters.glob !== undefined) {
    const globs = Array.isArray(filters.glob) ? filters.glob : [filters.glob];
    if (!globs.some((g) => picomatch.isMatch(tag, g)))
      return `tag ${tag} does not match glob ${globs.join(', ')}`;
  }
  if (filters.regex !== undefined && !new RegExp(`^(?:${filters.regex})$`).test(tag)) {
    return `tag ${tag} does not match regex ${filters.regex}`;
  }
  if (filters.semver !== undefined) {
    const version = parseVersionTag(tag);
    if (!version) return `tag ${tag} is not a semantic version (policy requires ${filters.semver})`;
    if (!semver.satisfies(version, filters.semver, { includePrerelease: policy.allowPrerelease === true })) {
      return `version ${version.version} is outside the allowed range ${filters.semver}`;
    }
  }
  return undefined;
}

type Verdict = { ok: true; reason: string } | { ok: false; reason: string };

function checkTag(
  mode: DeployMode,
  policy: Policy,
  push: PushedImage,
  running: { name: string; image: string }[],
  runningTags: Record<string, readonly string[]>,
): Verdict {
  const filtered = rejectByFilters(policy, push.tag);
  if (filtered) return { ok: false, reason: filtered };
  switch (mode.kind) {
    case 'off':
      return { ok: false, reason: `${DEPLOY_TAG} is off` };
    case 'tag':
      return push.tag === mode.tag
        ? { ok: true, reason: `follows tag ${mode.tag}` }
        : { ok: false, reason: `pushed tag ${push.tag} is not the followed tag ${mode.tag}` };
    case 'match':
      return { ok: true, reason: `tag ${push.tag} passes the policy filters` };
    case 'semver': {
      const candidate = parseVersionTag(push.tag);
      if (!candidate) return { ok: false, reason: `tag ${push.tag} is not a semantic version` };
      if (candidate.prerelease.length > 0 && policy.allowPrerelease !== true) {
        return {
          ok: false,
          reason: `tag ${push.tag} is a pre-release and the policy does not allow pre-releases`,
        };
      }
      for (const container of running) {
        const parsed = parseImageReference(container.image);
        const ownTag = parsed.ok && parsed.value.tag ? [parsed.value.tag] : [];
        const current = highestVersion([...ownTag, ...(runningTags[container.name] ?? [])]);
        if (!current) {
          return {
            ok: false,
            reason: `cannot tell the running version of container ${container.name} (no version tag)`,
          };
        }
        const upgrade = checkUpgrade(mode.level, current, candidate);
        if (!upgrade.allowed) return { ok: false, reason: upgrade.reason };
      }
      return { ok: true, reason: `${candidate.version} is an allowed upgrade (semver:${mode.level})` };
    }
  }
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
  const modeText = service.tags[DEPLOY_TAG] ?? policy.deploy;
  if (modeText === undefined) return skip(`not opted in: no ${DEPLOY_TAG} tag`, { policy: policyName });
  const mode = parseDeployMode(modeText);
  if ('invalid' in mode) return skip(mode.invalid, { policy: policyName });
  const described = { policy: policyName, mode: formatMode(mode) };
  if (mode.kind === 'off') return skip(`${DEPLOY_TAG} is off`, described);
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
 * for `semver:` services, otherwise the later push.
 */
export function supersedes(
  mode: string | undefined,
  a: { tag: string; pushedAt: string },
  b: { tag: string; pushedAt: string },
): boolean {
  if (mode?.startsWith('semver:')) {
    const va = parseVersionTag(a.tag);
    const vb = parseVersionTag(b.tag);
    if (va && vb) return semver.gt(vb, va);
  }
  return b.pushedAt >= a.pushedAt;
}

/** Why a service is not followed, or undefined when it opted in. */
export function notFollowed(service: ServiceState, policyFile: PolicyFile): string | undefined {
  if (service.status !== 'ACTIVE') return `service is ${service.status}`;
  const policy = effectivePolicy(policyFile, service);
  const modeText = service.tags[DEPLOY_TAG] ?? ('policy' in policy ? policy.policy.deploy : undefined);
  if (modeText === undefined) return `no ${DEPLOY_TAG} tag`;
  const mode = parseDeployMode(modeText);
  if ('invalid' in mode) return mode.invalid;
  return mode.kind === 'off' ? `${DEPLOY_TAG} is off` : undefined;
}
