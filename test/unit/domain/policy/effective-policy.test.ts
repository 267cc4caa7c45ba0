import { EMPTY_POLICY_FILE, type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import {
  clusterPolicyName,
  deployModeOf,
  deployModeOrigin,
  effectivePolicy,
  notFollowed,
  policyOrigin,
  serviceDeployMode,
} from '../../../../shared/domain/policy/effective-policy';
import type { ServiceState } from '../../../../shared/ports';
import { aService } from '../../../support/in-memory';

const WEEKDAYS_UTC = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '09:00',
  end: '17:00',
  timezone: 'UTC',
};

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

describe('clusterPolicyName', () => {
  const file = PolicyFileSchema.parse({
    version: 1,
    policies: { careful: {}, fast: {}, batch: {} },
    clusters: {
      'prod-batch': { policy: 'batch' },
      'prod-*': { policy: 'careful' },
      '*-dev': { policy: 'fast' },
    },
  });

  it.each<[string, string | undefined]>([
    ['prod-batch', 'batch'],
    ['prod-eu', 'careful'],
    ['prod-', 'careful'],
    ['payments-dev', 'fast'],
    ['staging', undefined],
    ['production', undefined],
  ])('%s -> %s', (clusterName, expected) => {
    // Prepare
    const name = clusterName;

    // Act
    const policy = clusterPolicyName(file, name);

    // Assess
    expect(policy).toBe(expected);
  });

  it('is undefined without cluster defaults', () => {
    // Prepare
    const name = 'prod';

    // Act
    const policy = clusterPolicyName(EMPTY_POLICY_FILE, name);

    // Assess
    expect(policy).toBeUndefined();
  });
});

describe('effectivePolicy', () => {
  const file = policyFile({
    defaults: { minImageAge: '30m', allowPrerelease: false },
    policies: {
      careful: { minImageAge: '2h', windows: [WEEKDAYS_UTC] },
      prerelease: { allowPrerelease: true, deploy: 'semver:minor' },
    },
    clusters: { 'prod-*': { policy: 'careful' } },
  });

  it('is the defaults without a named policy', () => {
    // Prepare
    const service = aService({ clusterName: 'staging', tags: {} });

    // Act
    const result = effectivePolicy(file, service);

    // Assess
    expect(result).toEqual({ policy: { minImageAge: '30m', allowPrerelease: false } });
  });

  it('overlays the tagged policy on the defaults', () => {
    // Prepare
    const service = aService({ tags: { 'autopilot:policy': 'prerelease' } });

    // Act
    const result = effectivePolicy(file, service);

    // Assess
    expect(result).toEqual({
      name: 'prerelease',
      policy: { minImageAge: '30m', allowPrerelease: true, deploy: 'semver:minor' },
    });
  });

  it('uses the cluster default matched by glob', () => {
    // Prepare
    const service = aService({ clusterName: 'prod-eu', tags: {} });

    // Act
    const result = effectivePolicy(file, service);

    // Assess
    expect(result).toEqual({
      name: 'careful',
      policy: { minImageAge: '2h', allowPrerelease: false, windows: [WEEKDAYS_UTC] },
    });
  });

  it('prefers the autopilot:policy tag over the cluster default', () => {
    // Prepare
    const service = aService({ clusterName: 'prod-eu', tags: { 'autopilot:policy': 'prerelease' } });

    // Act
    const result = effectivePolicy(file, service);

    // Assess
    expect(result).toMatchObject({ name: 'prerelease' });
  });

  it.each(['missing', 'constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'reports an undefined policy %j',
    (name) => {
      // Prepare
      const service = aService({ tags: { 'autopilot:policy': name } });

      // Act
      const result = effectivePolicy(file, service);

      // Assess
      expect(result).toEqual({ invalid: `autopilot:policy "${name}" is not defined in the policy file` });
    },
  );
});

describe('notFollowed', () => {
  const file = policyFile({
    policies: { follow: { deploy: 'tag:main' }, frozen: { deploy: 'off' } },
    clusters: { 'auto-*': { policy: 'follow' } },
  });

  it.each<[string, Partial<ServiceState>, string | undefined]>([
    ['tag:main is followed', { tags: { 'autopilot:deploy': 'tag:main' } }, undefined],
    ['semver is followed', { tags: { 'autopilot:deploy': 'semver:minor' } }, undefined],
    ['match is followed', { tags: { 'autopilot:deploy': 'match' } }, undefined],
    ['a policy with a deploy mode is followed', { tags: { 'autopilot:policy': 'follow' } }, undefined],
    [
      'a cluster default policy with a deploy mode is followed',
      { clusterName: 'auto-eu', tags: {} },
      undefined,
    ],
    ['no tag', { tags: {} }, 'no autopilot:deploy tag'],
    ['off', { tags: { 'autopilot:deploy': 'off' } }, 'autopilot:deploy is off'],
    ['a policy switching it off', { tags: { 'autopilot:policy': 'frozen' } }, 'autopilot:deploy is off'],
    [
      'an invalid mode',
      { tags: { 'autopilot:deploy': 'always' } },
      'autopilot:deploy value "always" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
    ],
    ['not ACTIVE', { status: 'DRAINING' }, 'service is DRAINING'],
    ['INACTIVE', { status: 'INACTIVE' }, 'service is INACTIVE'],
  ])('%s', (_name, overrides, expected) => {
    // Prepare
    const service = aService(overrides);

    // Act
    const reason = notFollowed(service, file);

    // Assess
    expect(reason).toBe(expected);
  });
});

describe('deployModeOf', () => {
  it.each<[string, Record<string, string>, { deploy?: string } | undefined, string | undefined]>([
    [
      'the tag wins over the policy',
      { 'autopilot:deploy': 'semver:minor' },
      { deploy: 'tag:main' },
      'semver:minor',
    ],
    ["the policy's deploy without a tag", {}, { deploy: 'tag:main' }, 'tag:main'],
    ['neither', {}, {}, undefined],
    ['no usable policy', {}, undefined, undefined],
  ])('%s', (_name, tags, policy, expected) => {
    // Prepare
    const service = aService({ tags });

    // Act
    const mode = deployModeOf(service, policy);

    // Assess
    expect(mode === undefined ? undefined : String(mode)).toBe(expected);
  });

  it('says why a value is no mode', () => {
    // Prepare
    const service = aService({ tags: { 'autopilot:deploy': 'tags:main' } });

    // Act
    const mode = deployModeOf(service, undefined);

    // Assess
    expect(mode).toEqual({
      invalid:
        'autopilot:deploy value "tags:main" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off',
    });
  });
});

describe('serviceDeployMode', () => {
  const file = policyFile({
    policies: { follow: { deploy: 'tag:main' } },
    clusters: { 'auto-*': { policy: 'follow' } },
  });

  it.each<[string, Partial<ServiceState>, string | undefined]>([
    ['through the cluster policy', { clusterName: 'auto-eu', tags: {} }, 'tag:main'],
    ['through the tagged policy', { tags: { 'autopilot:policy': 'follow' } }, 'tag:main'],
    [
      'an undefined policy leaves only the tag',
      { tags: { 'autopilot:policy': 'missing', 'autopilot:deploy': 'match' } },
      'match',
    ],
    ['an undefined policy and no tag', { tags: { 'autopilot:policy': 'missing' } }, undefined],
  ])('%s', (_name, overrides, expected) => {
    // Prepare
    const service = aService(overrides);

    // Act
    const mode = serviceDeployMode(file, service);

    // Assess
    expect(mode === undefined ? undefined : String(mode)).toBe(expected);
  });
});

describe('policyOrigin and deployModeOrigin', () => {
  const file = policyFile({
    defaults: { deploy: 'tag:main' },
    policies: { careful: { minImageAge: '2h' }, pinned: { deploy: 'semver:patch' } },
    clusters: { 'prod-*': { policy: 'pinned' }, staging: { policy: 'careful' } },
  });

  it.each<[string, Record<string, string>, string, string | undefined]>([
    [
      'the service tags',
      { 'autopilot:policy': 'careful', 'autopilot:deploy': 'off' },
      'service tag',
      'service tag',
    ],
    ['a cluster glob and its policy', {}, 'cluster prod-*', 'policy pinned'],
    [
      'a cluster named, its policy without deploy: the defaults',
      { cluster: 'staging' },
      'cluster staging',
      'defaults',
    ],
    ['nothing but the defaults', { cluster: 'dev' }, 'policy file defaults', 'defaults'],
  ])('names %s', (_what, given, policyFrom, modeFrom) => {
    // Prepare
    const { cluster = 'prod-eu', ...tags } = given;
    const service = aService({ clusterName: cluster, tags });

    // Act
    const origins = [policyOrigin(file, service), deployModeOrigin(file, service)];

    // Assess
    expect(origins).toEqual([policyFrom, modeFrom]);
  });

  it('gives no mode origin when no mode applies, or the named policy is not defined', () => {
    // Prepare
    const bare = policyFile({});
    const unknown = aService({ tags: { 'autopilot:policy': 'nope' } });

    // Act
    const origins = [deployModeOrigin(bare, aService({ tags: {} })), deployModeOrigin(file, unknown)];

    // Assess
    expect(origins).toEqual([undefined, undefined]);
  });
});
