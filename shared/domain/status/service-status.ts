/**
 * What `autopilot status` says about one service (issue 15): how autopilot treats it and why (its
 * deploy mode and policy, and where each came from: a service tag, its cluster's default, the policy
 * file's defaults), the repositories it follows and whether the index lists it under them (a push
 * reaches only the services the index lists), what it runs, its last known good revision, pushes
 * deferred for it, a rollback slot in cooldown, quarantined digests of its repositories, tags
 * autopilot cannot use, what autopilot last deployed to it and the last push it skipped for it, and
 * of those two the newer: the last decision about a push. Pure: the CLI reads, this decides what the
 * reads mean.
 */
import type { PolicyFile } from '../../config/policy-file';
import type {
  DeploymentRecord,
  IndexedFingerprint,
  LastKnownGood,
  Pause,
  PendingPush,
  QuarantinedImage,
  RollbackRecord,
  RunningImage,
  ServiceState,
  SkippedPush,
  TaskDefinitionDocument,
} from '../../ports';
import { shortTaskDefinition } from '../aws/arn';
import { managedByOf } from '../deploy/managed-by';
import { pauseOf } from '../deploy/pause';
import { repositoriesOf } from '../index/plan-index';
import {
  deployModeOrigin,
  effectivePolicy,
  notFollowed,
  policyOrigin,
  serviceDeployMode,
} from '../policy/effective-policy';
import { checkServiceTags } from '../policy/tag-problems';
import { alarmsOf, rollbackSettings } from '../rollback/rollback-policy';

/** What the status of one service is read from. */
export interface StatusInput {
  service: ServiceState;
  policyFile: PolicyFile;
  /** the revision the service is set to, as ECS describes it (undefined: deregistered and gone) */
  taskDefinition?: TaskDefinitionDocument;
  /** what its current service revisions run, with the digests ECS resolved */
  running: readonly RunningImage[];
  /** what the reconcile last indexed it from (undefined: never indexed by the reconcile) */
  indexed?: IndexedFingerprint;
  /** the repository keys (`<account>:<region>:<name>`) whose index lists the service now */
  listedUnder: readonly string[];
  lastKnownGood?: LastKnownGood;
  lastRollback?: RollbackRecord;
  pending: readonly PendingPush[];
  /** every quarantined image (the status keeps those of the service's repositories) */
  quarantined: readonly QuarantinedImage[];
  /** the deployments autopilot started on it, newest first */
  deployments: readonly DeploymentRecord[];
  /** the last push deploy on push skipped for it */
  lastSkip?: SkippedPush;
  /** the pauses in force (`autopilot pause`) */
  pauses?: readonly Pause[];
  now: Date;
}

/** One repository a service's containers use, and whether a push of it reaches the service. */
export interface FollowedRepository {
  /** `<account>:<region>:<name>` */
  key: string;
  /** the name as in ECR (`team/api`) */
  repository: string;
  /** the index lists the service under it: a push of it is planned for the service */
  indexed: boolean;
}

/** The status of one service. */
export interface ServiceStatus {
  /** `<cluster>/<service>` */
  service: string;
  serviceArn: string;
  /** `tag:main`, `semver:minor`, `match`, `off`; absent when it does not opt in */
  mode?: string;
  /** where the mode comes from: `service tag`, `policy <name>` or `defaults` */
  modeFrom?: string;
  /** deploy on push follows it, or why not (`no autopilot:deploy tag`, `autopilot:deploy is off`, …) */
  follows: true | string;
  /** the policy that applies: its name, or `defaults` */
  policy: string;
  /** where the policy comes from: `service tag`, `cluster <pattern>` or `policy file defaults` */
  policyFrom: string;
  /** rollback watches it (`on`), or not (`off`), with the alarms that speak for it */
  rollback: { enabled: boolean; alarms: string[]; cooldownUntil?: string; lastRollback?: RollbackRecord };
  repositories: FollowedRepository[];
  /** the revision it is set to, `family:revision` */
  revision: string;
  /** what runs, per container: the image as written and the digest ECS resolved it to */
  running: RunningImage[];
  lastKnownGood?: { revision: string; at: string };
  pending: { repository: string; tag: string; digest: string; dueAt: string; reason: string }[];
  quarantined: { repository: string; digest: string; reason: string; at: string }[];
  lastDeployment?: LastDeployment;
  /** the last push deploy on push skipped for it, and why */
  lastSkip?: LastSkip;
  /**
   * What autopilot last decided about a push for it: the newer of the last deployment and the last
   * skip (the answer to "why did it not deploy?", or that it did)
   */
  lastDecision?: ({ action: 'deploy' } & LastDeployment) | ({ action: 'skip' } & LastSkip);
  /** tags autopilot cannot use, each with what is wrong and what autopilot does meanwhile */
  problems: { tag: string; problem: string; effect: string }[];
  /** who manages the service (a CloudFormation stack, or the tool the policy file's managedByTag names) */
  managedBy?: string;
  /** the pause that holds it (its own, its cluster's, or a freeze), with why and until when */
  paused?: { scope: string; until: string; by: string; reason?: string; notifyOnly: boolean };
}

/** A deployment autopilot started, as status shows it. */
export interface LastDeployment {
  at: string;
  /** the revisions, `family:revision` */
  from: string;
  to: string;
  /** `<repository>:<tag>@<digest>` */
  image: string;
  /** the push's event id */
  triggeredBy: string;
}

/** A push deploy on push skipped, as status shows it. */
export interface LastSkip {
  at: string;
  /** `<repository>:<tag>@<digest>` */
  image: string;
  reason: string;
  /** the push's event id */
  triggeredBy: string;
}

/**
 * The status of one service from what was read about it.
 *
 * @example
 * serviceStatus({ service, policyFile, running, listedUnder: ['123456789012:eu-west-1:team/api'], … })
 * // { service: 'prod/api', mode: 'tag:main', modeFrom: 'service tag', follows: true, policy: 'defaults', … }
 */
export function serviceStatus(input: StatusInput): ServiceStatus {
  const { service, policyFile: file } = input;
  const resolved = effectivePolicy(file, service);
  const policyName = 'name' in resolved ? resolved.name : undefined;
  const mode = serviceDeployMode(file, service);
  const settings = rollbackSettings(file, service);
  // Its revision's containers say what it uses now; the index's record, when the revision is gone.
  const keys = input.taskDefinition
    ? repositoriesOf(input.taskDefinition.definition.containerDefinitions)
    : (input.indexed?.repositories ?? []);
  const repositories = keys.map((key) => ({
    key,
    repository: key.split(':').slice(2).join(':'),
    indexed: input.listedUnder.includes(key),
  }));
  const names = new Set(repositories.map((r) => r.key));
  const cooldownEnds = input.lastRollback
    ? Date.parse(input.lastRollback.at) + settings.cooldownMs
    : Number.NaN;
  return {
    service: `${service.clusterName}/${service.name}`,
    serviceArn: service.arn,
    ...(mode === undefined || 'invalid' in mode
      ? {}
      : { mode: mode.toString(), modeFrom: deployModeOrigin(file, service) ?? 'defaults' }),
    follows:
      'invalid' in resolved
        ? `${resolved.invalid}: deploy on push skips it`
        : (notFollowed(service, file) ?? true),
    policy: policyName ?? 'defaults',
    policyFrom: policyOrigin(file, service),
    rollback: {
      enabled: settings.enabled,
      alarms: alarmsOf(file, service),
      ...(cooldownEnds > input.now.getTime() ? { cooldownUntil: new Date(cooldownEnds).toISOString() } : {}),
      ...(input.lastRollback ? { lastRollback: input.lastRollback } : {}),
    },
    repositories,
    revision: shortTaskDefinition(service.taskDefinitionArn),
    running: [...input.running],
    ...(input.lastKnownGood
      ? {
          lastKnownGood: {
            revision: shortTaskDefinition(input.lastKnownGood.taskDefinitionArn),
            at: input.lastKnownGood.at,
          },
        }
      : {}),
    pending: input.pending.map((p) => ({
      repository: p.push.repositoryName,
      tag: p.push.tag,
      digest: p.push.digest,
      dueAt: p.dueAt,
      reason: p.reason,
    })),
    quarantined: input.quarantined
      .filter((q) => names.has(q.repositoryKey))
      .map((q) => ({ repository: q.repository, digest: q.digest, reason: q.reason, at: q.at })),
    ...lastDecisionsOf(input.deployments[0], input.lastSkip),
    ...pausedOf(input),
    ...optional('managedBy', managedByOf(service.tags, file.managedByTag)),
    problems: checkServiceTags(service, file).map((p) => ({
      tag: `${p.tagKey}=${p.tagValue}`,
      problem: p.problem,
      effect: p.effect,
    })),
  };
}

/**
 * The last deployment and the last skip as status shows them, and the newer of the two as the last
 * decision (a deployment when both are of the same moment: it changed something).
 */
function lastDecisionsOf(
  deployment: DeploymentRecord | undefined,
  skip: SkippedPush | undefined,
): Pick<ServiceStatus, 'lastDeployment' | 'lastSkip' | 'lastDecision'> {
  const lastDeployment: LastDeployment | undefined = deployment && {
    at: deployment.startedAt,
    from: shortTaskDefinition(deployment.fromTaskDefinition),
    to: shortTaskDefinition(deployment.toTaskDefinition),
    image: `${deployment.repository}:${deployment.tag}@${deployment.digest}`,
    triggeredBy: deployment.triggeredBy,
  };
  const lastSkip: LastSkip | undefined = skip && {
    at: skip.at,
    image: `${skip.repository}:${skip.tag}@${skip.digest}`,
    reason: skip.reason,
    triggeredBy: skip.triggeredBy,
  };
  const skippedLast =
    lastSkip !== undefined && (lastDeployment === undefined || lastSkip.at > lastDeployment.at);
  const lastDecision = skippedLast
    ? { action: 'skip' as const, ...lastSkip }
    : lastDeployment && { action: 'deploy' as const, ...lastDeployment };
  return {
    ...(lastDeployment ? { lastDeployment } : {}),
    ...(lastSkip ? { lastSkip } : {}),
    ...(lastDecision ? { lastDecision } : {}),
  };
}

/** `{ [key]: value }`, or nothing when there is no value. */
const optional = <K extends string>(key: K, value: string | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };

/** The pause that holds the service, as status shows it. */
function pausedOf(input: StatusInput): Pick<ServiceStatus, 'paused'> {
  const pause = pauseOf(input.pauses ?? [], input.service);
  if (!pause) return {};
  const { scope, until, by, reason, notifyOnly } = pause;
  return { paused: { scope, until, by, ...(reason ? { reason } : {}), notifyOnly } };
}

/**
 * Whether autopilot knows a service: it opts in or out by tag, its policy or cluster gives it a
 * mode, rollback watches it, the index lists it, or autopilot deployed to it, skipped a push for it
 * or rolled it back.
 */
export function isKnown(status: ServiceStatus): boolean {
  return (
    status.mode !== undefined ||
    status.rollback.enabled ||
    status.problems.length > 0 ||
    status.repositories.some((r) => r.indexed) ||
    status.lastDeployment !== undefined ||
    status.lastSkip !== undefined ||
    status.rollback.lastRollback !== undefined ||
    status.paused !== undefined
  );
}
