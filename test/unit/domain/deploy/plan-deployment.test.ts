import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import {
  type DeploymentDecision,
  type PushedImage,
  planDeployment,
  type ServiceCandidate,
  supersedes,
} from '../../../../shared/domain/deploy/plan-deployment';
import { type DeployMode, parseDeployMode } from '../../../../shared/domain/policy/deploy-mode';
import type { ServiceState } from '../../../../shared/ports';
import {
  ACCOUNT,
  aDigest,
  aPush,
  aService,
  aTaskDefinitionDoc,
  IMAGE,
  pinnedImage,
  REGISTRY,
  REPOSITORY,
  SIDECAR_IMAGE,
  stateOf,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

// 2026-01-13 is a Tuesday; Berlin is UTC+1 in January.
const PUSHED_AT = '2026-01-13T10:00:00.000Z';
const NOW = '2026-01-13T10:05:00.000Z';
const NEW = aDigest('pushed image');
const OLD = aDigest('running image');
const TD = taskDefinitionArnOf('api', 7);
const PINNED_NEW = `${REGISTRY}/${REPOSITORY}@${NEW}`;

const WEEKDAYS_UTC = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:00',
  timezone: 'UTC',
};
const BERLIN_OFFICE = {
  days: ['mon', 'tue', 'wed', 'thu'],
  start: '09:00',
  end: '16:00',
  timezone: 'Europe/Berlin',
};

type Container = { name: string; image: string };
const APP: Container = { name: 'app', image: IMAGE };
const SIDECAR: Container = { name: 'log-router', image: SIDECAR_IMAGE };
const app = (image: string): Container[] => [{ name: 'app', image }, SIDECAR];

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

interface Case {
  name: string;
  /** the service's tags (default: autopilot:deploy=tag:main) */
  tags?: Record<string, string>;
  service?: Partial<ServiceState>;
  containers?: Container[];
  missingTaskDefinition?: boolean;
  runningTags?: Record<string, string[]>;
  push?: Partial<PushedImage>;
  policy?: Record<string, unknown>;
  quarantined?: boolean;
  now?: string;
  expected: Partial<DeploymentDecision>;
}

function candidateFor(c: Case): ServiceCandidate {
  const service = aService({ tags: c.tags ?? { 'autopilot:deploy': 'tag:main' }, ...c.service });
  const doc = aTaskDefinitionDoc({ containers: c.containers ?? [APP, SIDECAR] });
  return {
    service,
    taskDefinition: c.missingTaskDefinition ? undefined : stateOf(doc),
    runningTags: c.runningTags ?? {},
  };
}

function planOne(c: Case): DeploymentDecision {
  const [decision] = planDeployment({
    push: aPush({ digest: NEW, pushedAt: new Date(PUSHED_AT), ...c.push }),
    candidates: [candidateFor(c)],
    policyFile: policyFile(c.policy),
    now: new Date(c.now ?? NOW),
    quarantined: c.quarantined ?? false,
  });
  if (!decision) throw new Error('planDeployment returned no decision');
  return decision;
}

const semver = (level: string): Record<string, string> => ({ 'autopilot:deploy': `semver:${level}` });
const match = { 'autopilot:deploy': 'match' };

const tagModeCases: Case[] = [
  {
    name: 'tag mode: pushed tag is the followed tag -> deploy, pinned by digest',
    expected: {
      action: 'deploy',
      reason: 'follows tag main',
      mode: 'tag:main',
      cluster: 'prod',
      service: 'api',
      repository: REPOSITORY,
      tag: 'main',
      digest: NEW,
      fromTaskDefinition: TD,
      containers: ['app'],
      image: PINNED_NEW,
    },
  },
  {
    name: 'tag mode: another tag -> skip',
    push: { tag: 'develop' },
    expected: { action: 'skip', reason: 'pushed tag develop is not the followed tag main', mode: 'tag:main' },
  },
  {
    name: 'tag mode: tags are case-sensitive',
    push: { tag: 'Main' },
    expected: { action: 'skip', reason: 'pushed tag Main is not the followed tag main' },
  },
  {
    name: 'tag mode: the policy filters apply too',
    tags: { 'autopilot:deploy': 'tag:main' },
    policy: { defaults: { tags: { glob: 'release-*' } } },
    expected: { action: 'skip', reason: 'tag main does not match glob release-*' },
  },
];

const semverCases: Case[] = [
  {
    name: 'semver:minor allows a minor upgrade',
    tags: semver('minor'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '1.5.0' },
    expected: {
      action: 'deploy',
      reason: '1.5.0 is an allowed upgrade (semver:minor)',
      mode: 'semver:minor',
    },
  },
  {
    name: 'semver:minor allows a patch upgrade',
    tags: semver('minor'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '1.4.3' },
    expected: { action: 'deploy', reason: '1.4.3 is an allowed upgrade (semver:minor)' },
  },
  {
    name: 'semver:patch allows a patch upgrade',
    tags: semver('patch'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '1.4.3' },
    expected: { action: 'deploy', reason: '1.4.3 is an allowed upgrade (semver:patch)' },
  },
  {
    name: 'semver:major allows a major upgrade',
    tags: semver('major'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '2.0.0' },
    expected: { action: 'deploy', reason: '2.0.0 is an allowed upgrade (semver:major)' },
  },
  {
    name: 'semver:minor refuses a major jump',
    tags: semver('minor'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '2.0.0' },
    expected: {
      action: 'skip',
      reason: '2.0.0 is a major upgrade from 1.4.2; semver:minor allows minor upgrades at most',
    },
  },
  {
    name: 'semver:patch refuses a minor upgrade',
    tags: semver('patch'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '1.5.0' },
    expected: {
      action: 'skip',
      reason: '1.5.0 is a minor upgrade from 1.4.2; semver:patch allows patch upgrades at most',
    },
  },
  {
    name: 'semver refuses a downgrade',
    tags: semver('major'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '1.4.1' },
    expected: { action: 'skip', reason: '1.4.1 is older than running 1.4.2 (no downgrades)' },
  },
  {
    name: 'semver refuses the same version',
    tags: semver('major'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '1.4.2' },
    expected: { action: 'skip', reason: '1.4.2 is the running version' },
  },
  {
    name: 'semver refuses a pre-release unless the policy allows it',
    tags: semver('minor'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '1.5.0-rc.1' },
    expected: {
      action: 'skip',
      reason: 'tag 1.5.0-rc.1 is a pre-release and the policy does not allow pre-releases',
    },
  },
  {
    name: 'semver deploys a pre-release with allowPrerelease',
    tags: semver('minor'),
    policy: { defaults: { allowPrerelease: true } },
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: '1.5.0-rc.1' },
    expected: { action: 'deploy', reason: '1.5.0-rc.1 is an allowed upgrade (semver:minor)' },
  },
  {
    name: 'semver reads a v prefix on both sides',
    tags: semver('minor'),
    containers: app(`${REGISTRY}/${REPOSITORY}:v1.4.2`),
    push: { tag: 'v1.5.0' },
    expected: { action: 'deploy', reason: '1.5.0 is an allowed upgrade (semver:minor)' },
  },
  {
    name: 'semver refuses a tag that is not a version',
    tags: semver('minor'),
    containers: app(`${REGISTRY}/${REPOSITORY}:1.4.2`),
    push: { tag: 'main' },
    expected: { action: 'skip', reason: 'tag main is not a semantic version' },
  },
  {
    name: 'semver takes the running version from the ECR tags of a digest-pinned image',
    tags: semver('minor'),
    containers: app(pinnedImage(OLD)),
    runningTags: { app: ['latest', '1.4.2'] },
    push: { tag: '1.5.0' },
    expected: { action: 'deploy', reason: '1.5.0 is an allowed upgrade (semver:minor)' },
  },
  {
    name: 'semver compares against the ECR tags of a digest-pinned image (major jump refused)',
    tags: semver('minor'),
    containers: app(pinnedImage(OLD)),
    runningTags: { app: ['1.4.2'] },
    push: { tag: '2.0.0' },
    expected: {
      action: 'skip',
      reason: '2.0.0 is a major upgrade from 1.4.2; semver:minor allows minor upgrades at most',
    },
  },
  {
    name: 'semver takes the highest of the own tag and the ECR tags',
    tags: semver('patch'),
    containers: app(pinnedImage(OLD, '1.4.2')),
    runningTags: { app: ['1.5.0'] },
    push: { tag: '1.5.1' },
    expected: { action: 'deploy', reason: '1.5.1 is an allowed upgrade (semver:patch)' },
  },
  {
    name: 'semver with an unknown running version (digest without version tags) -> skip',
    tags: semver('minor'),
    containers: app(pinnedImage(OLD)),
    runningTags: { app: ['latest'] },
    push: { tag: '1.5.0' },
    expected: {
      action: 'skip',
      reason: 'cannot tell the running version of container app (no version tag)',
    },
  },
  {
    name: 'semver with a running tag that is not a version -> skip',
    tags: semver('minor'),
    push: { tag: '1.5.0' },
    expected: {
      action: 'skip',
      reason: 'cannot tell the running version of container app (no version tag)',
    },
  },
];

const matchCases: Case[] = [
  {
    name: 'match: tag passes a glob',
    tags: match,
    policy: { defaults: { tags: { glob: 'release-*' } } },
    push: { tag: 'release-42' },
    expected: { action: 'deploy', reason: 'tag release-42 passes the policy filters', mode: 'match' },
  },
  {
    name: 'match: tag outside the glob',
    tags: match,
    policy: { defaults: { tags: { glob: 'release-*' } } },
    push: { tag: 'feature-x' },
    expected: { action: 'skip', reason: 'tag feature-x does not match glob release-*' },
  },
  {
    name: 'match: any of several globs',
    tags: match,
    policy: { defaults: { tags: { glob: ['release-*', 'hotfix-*'] } } },
    push: { tag: 'hotfix-7' },
    expected: { action: 'deploy' },
  },
  {
    name: 'match: none of several globs',
    tags: match,
    policy: { defaults: { tags: { glob: ['release-*', 'hotfix-*'] } } },
    push: { tag: 'main' },
    expected: { action: 'skip', reason: 'tag main does not match glob release-*, hotfix-*' },
  },
  {
    name: 'match: tag matches the regex',
    tags: match,
    policy: { defaults: { tags: { regex: 'build-\\d+' } } },
    push: { tag: 'build-1234' },
    expected: { action: 'deploy' },
  },
  {
    name: 'match: the regex must match the whole tag',
    tags: match,
    policy: { defaults: { tags: { regex: 'build-\\d+' } } },
    push: { tag: 'build-1234-dirty' },
    expected: { action: 'skip', reason: 'tag build-1234-dirty does not match regex build-\\d+' },
  },
  {
    name: 'match: version inside the semver range',
    tags: match,
    policy: { defaults: { tags: { semver: '>=1.2.0 <2' } } },
    push: { tag: 'v1.9.3' },
    expected: { action: 'deploy' },
  },
  {
    name: 'match: version outside the semver range',
    tags: match,
    policy: { defaults: { tags: { semver: '>=1.2.0 <2' } } },
    push: { tag: '2.1.0' },
    expected: { action: 'skip', reason: 'version 2.1.0 is outside the allowed range >=1.2.0 <2' },
  },
  {
    name: 'match: semver range and a tag that is not a version',
    tags: match,
    policy: { defaults: { tags: { semver: '>=1.2.0 <2' } } },
    push: { tag: 'main' },
    expected: { action: 'skip', reason: 'tag main is not a semantic version (policy requires >=1.2.0 <2)' },
  },
  {
    name: 'match: a pre-release is outside the range without allowPrerelease',
    tags: match,
    policy: { defaults: { tags: { semver: '>=1.2.0 <2' } } },
    push: { tag: '1.9.0-rc.1' },
    expected: { action: 'skip', reason: 'version 1.9.0-rc.1 is outside the allowed range >=1.2.0 <2' },
  },
  {
    name: 'match: a pre-release is inside the range with allowPrerelease',
    tags: match,
    policy: { defaults: { tags: { semver: '>=1.2.0 <2' }, allowPrerelease: true } },
    push: { tag: '1.9.0-rc.1' },
    expected: { action: 'deploy' },
  },
  {
    name: 'match: every filter must pass',
    tags: match,
    policy: { defaults: { tags: { glob: 'v*', semver: '^1' } } },
    push: { tag: '1.3.0' },
    expected: { action: 'skip', reason: 'tag 1.3.0 does not match glob v*' },
  },
  {
    name: 'match: without filters any tag passes',
    tags: match,
    push: { tag: 'anything' },
    expected: { action: 'deploy', reason: 'tag anything passes the policy filters' },
  },
];

const optInCases: Case[] = [
  {
    name: 'autopilot:deploy=off',
    tags: { 'autopilot:deploy': 'off' },
    expected: { action: 'skip', reason: 'autopilot:deploy is off', mode: 'off' },
  },
  {
    name: 'no autopilot:deploy tag',
    tags: {},
    expected: { action: 'skip', reason: 'not opted in: no autopilot:deploy tag' },
  },
  {
    name: 'invalid autopilot:deploy value',
    tags: { 'autopilot:deploy': 'tag:' },
    expected: {
      action: 'skip',
      reason:
        'autopilot:deploy value "tag:" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
    },
  },
  {
    name: 'invalid semver level',
    tags: { 'autopilot:deploy': 'semver:MINOR' },
    expected: {
      action: 'skip',
      reason:
        'autopilot:deploy value "semver:MINOR" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
    },
  },
  {
    name: 'the policy deploy mode applies without a service tag',
    tags: { 'autopilot:policy': 'follow-main' },
    policy: { policies: { 'follow-main': { deploy: 'tag:main' } } },
    expected: { action: 'deploy', reason: 'follows tag main', policy: 'follow-main', mode: 'tag:main' },
  },
  {
    name: 'the service tag beats the policy deploy mode',
    tags: { 'autopilot:policy': 'follow-main', 'autopilot:deploy': 'off' },
    policy: { policies: { 'follow-main': { deploy: 'tag:main' } } },
    expected: { action: 'skip', reason: 'autopilot:deploy is off', policy: 'follow-main' },
  },
  {
    name: 'a policy with deploy: off switches a service off',
    tags: { 'autopilot:policy': 'frozen' },
    policy: { policies: { frozen: { deploy: 'off' } } },
    expected: { action: 'skip', reason: 'autopilot:deploy is off', policy: 'frozen' },
  },
];

const policyCases: Case[] = [
  {
    name: 'unknown policy name',
    tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'nope' },
    expected: { action: 'skip', reason: 'autopilot:policy "nope" is not defined in the policy file' },
  },
  {
    name: 'a policy name inherited from Object.prototype is unknown too',
    tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'constructor' },
    expected: { action: 'skip', reason: 'autopilot:policy "constructor" is not defined in the policy file' },
  },
  {
    name: 'cluster default policy by name',
    policy: { policies: { careful: { minImageAge: '1h' } }, clusters: { prod: { policy: 'careful' } } },
    expected: { action: 'defer', policy: 'careful', dueAt: '2026-01-13T11:00:00.000Z' },
  },
  {
    name: 'cluster default policy by glob',
    service: { clusterName: 'prod-eu' },
    policy: { policies: { careful: { minImageAge: '1h' } }, clusters: { 'prod-*': { policy: 'careful' } } },
    expected: { action: 'defer', policy: 'careful', cluster: 'prod-eu' },
  },
  {
    name: 'cluster default policy does not apply to other clusters',
    service: { clusterName: 'staging' },
    policy: { policies: { careful: { minImageAge: '1h' } }, clusters: { 'prod-*': { policy: 'careful' } } },
    expected: { action: 'deploy', cluster: 'staging' },
  },
  {
    name: 'autopilot:policy beats the cluster default',
    tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'fast' },
    policy: {
      policies: { careful: { minImageAge: '1h' }, fast: { description: 'no cooldown' } },
      clusters: { prod: { policy: 'careful' } },
    },
    expected: { action: 'deploy', policy: 'fast' },
  },
];

const serviceCases: Case[] = [
  {
    name: 'service not ACTIVE',
    service: { status: 'DRAINING' },
    expected: { action: 'skip', reason: 'service is DRAINING' },
  },
  {
    name: 'CODE_DEPLOY deployment controller',
    service: { deploymentController: 'CODE_DEPLOY' },
    expected: {
      action: 'unsupported',
      reason: 'deployment controller CODE_DEPLOY is not supported; only ECS rolling deployments are updated',
    },
  },
  {
    name: 'EXTERNAL deployment controller',
    service: { deploymentController: 'EXTERNAL' },
    expected: {
      action: 'unsupported',
      reason: 'deployment controller EXTERNAL is not supported; only ECS rolling deployments are updated',
    },
  },
  {
    name: 'quarantined digest',
    quarantined: true,
    expected: { action: 'skip', reason: `digest ${NEW} is quarantined` },
  },
  {
    name: 'already running the digest',
    containers: app(PINNED_NEW),
    expected: { action: 'skip', reason: 'already running this digest' },
  },
  {
    name: 'already running the digest (pinned with tag and digest)',
    containers: app(pinnedImage(NEW, 'main')),
    expected: { action: 'skip', reason: 'already running this digest' },
  },
  {
    name: 'no container uses the repository (only a sidecar)',
    containers: [SIDECAR],
    expected: { action: 'skip', reason: 'no container of api uses team/api', fromTaskDefinition: TD },
  },
  {
    name: 'the sidecar is not listed next to the app container',
    expected: { action: 'deploy', containers: ['app'] },
  },
  {
    name: 'every container of the repository is listed',
    containers: [APP, { name: 'worker', image: `${REGISTRY}/${REPOSITORY}:main` }, SIDECAR],
    expected: { action: 'deploy', containers: ['app', 'worker'] },
  },
  {
    name: 'same repository name in another account is not matched',
    containers: app(`210987654321.dkr.ecr.eu-west-1.amazonaws.com/${REPOSITORY}:main`),
    expected: { action: 'skip', reason: 'no container of api uses team/api' },
  },
  {
    name: 'same repository name in another region is not matched',
    containers: app(`${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/${REPOSITORY}:main`),
    expected: { action: 'skip', reason: 'no container of api uses team/api' },
  },
  {
    name: 'a repository with the same prefix is not matched',
    containers: app(`${REGISTRY}/${REPOSITORY}-worker:main`),
    expected: { action: 'skip', reason: 'no container of api uses team/api' },
  },
  {
    name: 'the FIPS endpoint of the same registry is matched and kept',
    containers: app(`${ACCOUNT}.dkr.ecr-fips.eu-west-1.amazonaws.com/${REPOSITORY}:main`),
    expected: {
      action: 'deploy',
      image: `${ACCOUNT}.dkr.ecr-fips.eu-west-1.amazonaws.com/${REPOSITORY}@${NEW}`,
    },
  },
  {
    name: 'task definition could not be described',
    missingTaskDefinition: true,
    expected: { action: 'failed', reason: `task definition ${TD} could not be described` },
  },
];

const timingCases: Case[] = [
  {
    name: 'minImageAge not reached -> defer until the image is old enough',
    policy: { defaults: { minImageAge: '1h' } },
    expected: {
      action: 'defer',
      dueAt: '2026-01-13T11:00:00.000Z',
      reason: 'follows tag main; image is younger than the minimum age 1h, due at 2026-01-13T11:00:00.000Z',
    },
  },
  {
    name: 'minImageAge reached exactly -> deploy',
    policy: { defaults: { minImageAge: '1h' } },
    now: '2026-01-13T11:00:00.000Z',
    expected: { action: 'deploy', reason: 'follows tag main' },
  },
  {
    name: 'inside a deploy window -> deploy',
    policy: { defaults: { windows: [BERLIN_OFFICE] } },
    expected: { action: 'deploy' },
  },
  {
    name: 'outside the deploy windows -> defer until the next opening',
    policy: { defaults: { windows: [BERLIN_OFFICE] } },
    push: { pushedAt: new Date('2026-01-15T16:00:00.000Z') },
    now: '2026-01-15T16:00:00.000Z',
    expected: {
      action: 'defer',
      dueAt: '2026-01-19T08:00:00.000Z',
      reason:
        'follows tag main; outside deploy window (mon,tue,wed,thu 09:00-16:00 Europe/Berlin) until 2026-01-19T08:00:00.000Z',
    },
  },
  {
    name: 'on a Saturday -> defer to Monday',
    policy: { defaults: { windows: [WEEKDAYS_UTC] } },
    push: { pushedAt: new Date('2026-01-17T12:00:00.000Z') },
    now: '2026-01-17T12:00:00.000Z',
    expected: { action: 'defer', dueAt: '2026-01-19T09:00:00.000Z' },
  },
  {
    name: 'cooldown ends outside the window -> defer to the window',
    policy: { defaults: { minImageAge: '1h', windows: [WEEKDAYS_UTC] } },
    push: { pushedAt: new Date('2026-01-16T16:30:00.000Z') },
    now: '2026-01-16T16:31:00.000Z',
    expected: {
      action: 'defer',
      dueAt: '2026-01-19T09:00:00.000Z',
      reason:
        'follows tag main; outside deploy window (mon,tue,wed,thu,fri 09:00-17:00 UTC) until 2026-01-19T09:00:00.000Z',
    },
  },
  {
    name: 'a push time in the future without a minimum age -> deploy now, the reason names the clock skew',
    push: { pushedAt: new Date('2026-01-13T12:00:00.000Z') },
    expected: {
      action: 'deploy',
      reason:
        'follows tag main; the push time 2026-01-13T12:00:00.000Z is in the future (clock skew): counted from now',
    },
  },
  {
    name: 'a push time in the future with a minimum age -> the age counts from now',
    policy: { defaults: { minImageAge: '1h' } },
    push: { pushedAt: new Date('2026-01-13T12:00:00.000Z') },
    expected: {
      action: 'defer',
      dueAt: '2026-01-13T11:05:00.000Z',
      reason:
        'follows tag main; image is younger than the minimum age 1h, due at 2026-01-13T11:05:00.000Z; the push time 2026-01-13T12:00:00.000Z is in the future (clock skew): counted from now',
    },
  },
  {
    name: 'a push time that is no date -> failed, not deployed at once',
    policy: { defaults: { minImageAge: '1h' } },
    push: { pushedAt: new Date(Number.NaN) },
    expected: { action: 'failed', reason: 'the push time or the clock is not a valid date: not deployed' },
  },
  {
    name: 'window opens before the cooldown ends -> due when the cooldown ends',
    policy: { defaults: { minImageAge: '1h', windows: [WEEKDAYS_UTC] } },
    push: { pushedAt: new Date('2026-01-13T08:30:00.000Z') },
    now: '2026-01-13T08:31:00.000Z',
    expected: { action: 'defer', dueAt: '2026-01-13T09:30:00.000Z' },
  },
];

describe('planDeployment', () => {
  it.each([
    ...tagModeCases,
    ...semverCases,
    ...matchCases,
    ...optInCases,
    ...policyCases,
    ...serviceCases,
    ...timingCases,
  ])('$name', (c) => {
    // Prepare
    const expected = { serviceArn: aService(c.service).arn, ...c.expected };

    // Act
    const decision = planOne(c);

    // Assess
    expect(decision).toMatchObject(expected);
    expect(decision.reason.trim()).not.toBe('');
  });

  it('decides for every candidate, in order, each with a reason', () => {
    // Prepare
    const all = [...tagModeCases, ...semverCases, ...optInCases, ...serviceCases];
    const candidates = all.map((c, i) => {
      const candidate = candidateFor({ ...c, service: { ...c.service, name: `svc-${i}` } });
      return candidate;
    });

    // Act
    const decisions = planDeployment({
      push: aPush({ digest: NEW, pushedAt: new Date(PUSHED_AT), tag: 'main' }),
      candidates,
      policyFile: policyFile(),
      now: new Date(NOW),
      quarantined: false,
    });

    // Assess
    expect(decisions.map((d) => d.service)).toEqual(all.map((_, i) => `svc-${i}`));
    expect(new Set(decisions.map((d) => d.action))).toEqual(
      new Set(['deploy', 'skip', 'unsupported', 'failed']),
    );
    for (const decision of decisions) expect(decision.reason.trim()).not.toBe('');
  });

  it.each(['100000000d', '366d', 'soon'])(
    'fails closed on a minimum age of %s that got past validation, instead of deploying at once',
    (minImageAge) => {
      // Prepare
      const file = policyFile();
      file.defaults.minImageAge = minImageAge;

      // Act
      const [decision] = planDeployment({
        push: aPush({ digest: NEW, pushedAt: new Date(PUSHED_AT), tag: 'main' }),
        candidates: [candidateFor({ name: 'x', expected: {} })],
        policyFile: file,
        now: new Date(NOW),
        quarantined: false,
      });

      // Assess
      expect(decision).toMatchObject({
        action: 'failed',
        reason: `minimum age ${minImageAge} is not a duration up to 365d: not deployed`,
        image: PINNED_NEW,
      });
    },
  );

  it('returns no decisions without candidates', () => {
    // Prepare
    const input = { push: aPush(), candidates: [], policyFile: policyFile(), now: new Date(NOW) };

    // Act
    const decisions = planDeployment({ ...input, quarantined: false });

    // Assess
    expect(decisions).toEqual([]);
  });
});

/** A valid deploy mode from its text. */
function deployMode(text: string): DeployMode {
  const mode = parseDeployMode(text);
  if ('invalid' in mode) throw new Error(mode.invalid);
  return mode;
}

describe('supersedes', () => {
  const early = { tag: 'main', pushedAt: '2026-01-13T10:00:00.000Z' };
  const late = { tag: 'main', pushedAt: '2026-01-13T11:00:00.000Z' };

  it.each<
    [
      string,
      string | undefined,
      { tag: string; pushedAt: string },
      { tag: string; pushedAt: string },
      boolean,
    ]
  >([
    ['tag mode: a later push supersedes', 'tag:main', early, late, true],
    ['tag mode: an earlier push does not', 'tag:main', late, early, false],
    ['tag mode: the same push time supersedes (a re-delivery)', 'tag:main', early, early, true],
    ['no mode: by push time', undefined, early, late, true],
    ['match mode: by push time', 'match', late, early, false],
    [
      'semver: a higher version supersedes even when pushed earlier',
      'semver:minor',
      { tag: '1.4.0', pushedAt: late.pushedAt },
      { tag: '1.5.0', pushedAt: early.pushedAt },
      true,
    ],
    [
      'semver: a lower version does not, even when pushed later',
      'semver:minor',
      { tag: '1.5.0', pushedAt: early.pushedAt },
      { tag: '1.4.0', pushedAt: late.pushedAt },
      false,
    ],
    [
      'semver: v prefixes compare as versions',
      'semver:patch',
      { tag: 'v1.4.9', pushedAt: late.pushedAt },
      { tag: 'v1.4.10', pushedAt: early.pushedAt },
      true,
    ],
    [
      'semver: non-version tags fall back to push time',
      'semver:minor',
      { tag: 'main', pushedAt: early.pushedAt },
      { tag: '1.0.0', pushedAt: late.pushedAt },
      true,
    ],
  ])('%s', (_name, mode, a, b, expected) => {
    // Prepare
    const existing = { ...a };

    // Act
    const result = supersedes(mode === undefined ? undefined : deployMode(mode), existing, b);

    // Assess
    expect(result).toBe(expected);
  });
});
