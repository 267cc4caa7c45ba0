/**
 * The policy file's effective values for one service: which policy applies (its `autopilot:policy`
 * tag, else its cluster's policy, else the defaults), overlaid on the defaults, and the deploy mode the
 * service asks for. Deploy on push, rollback and the index all resolve a service here, so they agree.
 * Pure.
 */
import type { Policy, PolicyFile } from '../../config/policy-file';
import type { ServiceState } from '../../ports';
import { type DeployMode, parseDeployMode } from './deploy-mode';
import { globMatch } from './glob';
import { DEPLOY_TAG, POLICY_TAG } from './service-tags';

/**
 * The default policy name of a cluster: the first `clusters` key that equals or globs its name.
 *
 * @example clusterPolicyName(file, 'prod-eu') // 'careful' with clusters: { 'prod-*': { policy: careful } }
 */
export function clusterPolicyName(file: PolicyFile, clusterName: string): string | undefined {
  return clusterDefault(file, clusterName)?.policy;
}

/** The `clusters` entry that gives a cluster its default policy: the first key that equals or globs its name. */
function clusterDefault(
  file: PolicyFile,
  clusterName: string,
): { pattern: string; policy: string } | undefined {
  for (const [pattern, { policy }] of Object.entries(file.clusters)) {
    if (pattern === clusterName || globMatch(pattern, clusterName)) return { pattern, policy };
  }
  return undefined;
}

/**
 * Where the policy that applies to a service comes from: its `autopilot:policy` tag, its cluster's
 * default (the `clusters` key that names or globs the cluster), or the policy file's defaults.
 *
 * @example policyOrigin(file, service) // 'cluster prod-*' with clusters: { 'prod-*': { policy: careful } }
 */
export function policyOrigin(file: PolicyFile, service: ServiceState): string {
  if (service.tags[POLICY_TAG] !== undefined) return 'service tag';
  const cluster = clusterDefault(file, service.clusterName);
  return cluster ? `cluster ${cluster.pattern}` : 'policy file defaults';
}

/**
 * Where a service's deploy mode comes from: its `autopilot:deploy` tag, the `deploy` of the policy
 * that applies (`policy <name>`), or the defaults' `deploy` under it.
 *
 * @returns undefined when the service has no mode (or its policy is not defined)
 * @example deployModeOrigin(file, service) // 'policy careful'
 */
export function deployModeOrigin(file: PolicyFile, service: ServiceState): string | undefined {
  if (service.tags[DEPLOY_TAG] !== undefined) return 'service tag';
  const resolved = effectivePolicy(file, service);
  if ('invalid' in resolved || resolved.policy.deploy === undefined) return undefined;
  const { name } = resolved;
  const named = name === undefined ? undefined : file.policies[name];
  return named?.deploy !== undefined ? `policy ${name}` : 'defaults';
}

/**
 * The policy that applies to a service: the defaults, overlaid by its named policy (its
 * `autopilot:policy` tag, else its cluster's policy).
 *
 * @returns the policy with its name (none for the defaults), or why the named policy cannot apply
 * @example effectivePolicy(file, service) // { name: 'careful', policy: { minImageAge: '2h', … } }
 */
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

/**
 * The deploy mode a service asks for: its `autopilot:deploy` tag, else its policy's `deploy`.
 *
 * @param policy - the service's effective policy; undefined when it has none it can use
 * @returns the mode, why the value is no mode, or undefined when the service does not opt in
 * @example deployModeOf(service, policy)?.toString() // 'semver:minor'
 */
export function deployModeOf(
  service: ServiceState,
  policy: Policy | undefined,
): DeployMode | { invalid: string } | undefined {
  const text = service.tags[DEPLOY_TAG] ?? policy?.deploy;
  return text === undefined ? undefined : parseDeployMode(text);
}

/**
 * The deploy mode a service asks for, through its effective policy: its tag, else the `deploy` of the
 * policy that applies (none when that policy is not defined).
 *
 * @example serviceDeployMode(file, service)?.toString() // 'tag:main'
 */
export function serviceDeployMode(
  file: PolicyFile,
  service: ServiceState,
): DeployMode | { invalid: string } | undefined {
  const resolved = effectivePolicy(file, service);
  return deployModeOf(service, 'policy' in resolved ? resolved.policy : undefined);
}

/**
 * Why a service is not followed by deploy on push, or undefined when it opted in. A service whose
 * tag names an undefined policy still follows its own `autopilot:deploy` tag here (it stays indexed
 * and watched); deploy on push then skips it with that reason.
 *
 * @example notFollowed(aService({ tags: { 'autopilot:deploy': 'off' } }), file) // 'autopilot:deploy is off'
 */
export function notFollowed(service: ServiceState, file: PolicyFile): string | undefined {
  if (service.status !== 'ACTIVE') return `service is ${service.status}`;
  const mode = serviceDeployMode(file, service);
  if (mode === undefined) return `no ${DEPLOY_TAG} tag`;
  if ('invalid' in mode) return mode.invalid;
  return mode.follows() ? undefined : `${DEPLOY_TAG} is off`;
}
