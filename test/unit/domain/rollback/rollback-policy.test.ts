import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import { ALARMS_TAG, ROLLBACK_TAG } from '../../../../shared/domain/policy/service-tags';
import { alarmsOf, rollbackSettings } from '../../../../shared/domain/rollback/rollback-policy';
import { aService } from '../../../support/in-memory';

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

const DEFAULTS = {
  enabled: true,
  bakeTimeMs: 600_000,
  cooldownMs: 3_600_000,
  crashLoop: { tasks: 3, windowMs: 600_000 },
};

describe('rollbackSettings', () => {
  it('watches a service that deploys on push with 10m bake, 1h cooldown and 3 crashes in 10m', () => {
    // Prepare
    const service = aService();

    // Act
    const settings = rollbackSettings(policyFile(), service);

    // Assess
    expect(settings).toEqual(DEFAULTS);
  });

  it('takes bake time, cooldown and crash loop from the defaults of the policy file', () => {
    // Prepare
    const file = policyFile({
      defaults: { rollback: { bakeTime: '30m', cooldown: '2h', crashLoop: { tasks: 5, window: '90s' } } },
    });

    // Act
    const settings = rollbackSettings(file, aService());

    // Assess
    expect(settings).toEqual({
      enabled: true,
      bakeTimeMs: 1_800_000,
      cooldownMs: 7_200_000,
      crashLoop: { tasks: 5, windowMs: 90_000 },
    });
  });

  it("takes the service's named policy over the defaults", () => {
    // Prepare
    const file = policyFile({
      defaults: { rollback: { bakeTime: '30m' } },
      policies: { fast: { rollback: { bakeTime: '1m', cooldown: '15m' } } },
    });
    const service = aService({ tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'fast' } });

    // Act
    const settings = rollbackSettings(file, service);

    // Assess
    expect(settings).toEqual({ ...DEFAULTS, bakeTimeMs: 60_000, cooldownMs: 900_000 });
  });

  it("takes the cluster's policy for services without autopilot:policy", () => {
    // Prepare
    const file = policyFile({
      policies: { careful: { rollback: { bakeTime: '1h' } } },
      clusters: { prod: { policy: 'careful' } },
    });

    // Act
    const settings = rollbackSettings(file, aService());

    // Assess
    expect(settings.bakeTimeMs).toBe(3_600_000);
  });

  it('is disabled when the policy says so', () => {
    // Prepare
    const file = policyFile({ defaults: { rollback: { enabled: false } } });

    // Act
    const settings = rollbackSettings(file, aService());

    // Assess
    expect(settings).toEqual({ ...DEFAULTS, enabled: false });
  });

  it('is disabled when the policy says so, even for a service tagged on', () => {
    // Prepare
    const file = policyFile({ defaults: { rollback: { enabled: false } } });
    const service = aService({ tags: { [ROLLBACK_TAG]: 'on' } });

    // Act
    const settings = rollbackSettings(file, service);

    // Assess
    expect(settings.enabled).toBe(false);
  });

  it.each<{ name: string; tags: Record<string, string>; enabled: boolean }>([
    { name: 'tagged off', tags: { 'autopilot:deploy': 'tag:main', [ROLLBACK_TAG]: 'off' }, enabled: false },
    {
      name: 'tagged OFF (any case, spaces)',
      tags: { 'autopilot:deploy': 'tag:main', [ROLLBACK_TAG]: ' OFF ' },
      enabled: false,
    },
    { name: 'tagged on without deploying on push', tags: { [ROLLBACK_TAG]: 'on' }, enabled: true },
    {
      name: 'tagged on while deploy is off',
      tags: { 'autopilot:deploy': 'off', [ROLLBACK_TAG]: 'On' },
      enabled: true,
    },
    { name: 'not opted in (no tag at all)', tags: { team: 'payments' }, enabled: false },
    { name: 'not opted in (deploy off)', tags: { 'autopilot:deploy': 'off' }, enabled: false },
    { name: 'not opted in (invalid deploy tag)', tags: { 'autopilot:deploy': 'always' }, enabled: false },
    {
      name: 'an unknown rollback tag value follows deploy on push',
      tags: { 'autopilot:deploy': 'tag:main', [ROLLBACK_TAG]: 'maybe' },
      enabled: true,
    },
  ])('$name', ({ tags, enabled }) => {
    // Prepare
    const service = aService({ tags });

    // Act
    const settings = rollbackSettings(policyFile(), service);

    // Assess
    expect(settings).toEqual({ ...DEFAULTS, enabled });
  });

  it('is disabled for a service that is no longer active', () => {
    // Prepare
    const service = aService({ status: 'DRAINING' });

    // Act
    const settings = rollbackSettings(policyFile(), service);

    // Assess
    expect(settings.enabled).toBe(false);
  });

  it('watches services whose policy deploys on push without a tag', () => {
    // Prepare
    const file = policyFile({ defaults: { deploy: 'tag:main' } });
    const service = aService({ tags: {} });

    // Act
    const settings = rollbackSettings(file, service);

    // Assess
    expect(settings.enabled).toBe(true);
  });
});

describe('alarmsOf', () => {
  it('reads the alarm names from the tag, separated by spaces', () => {
    // Prepare
    const service = aService({ tags: { [ALARMS_TAG]: '  api-5xx   api-latency\tapi-errors ' } });

    // Act
    const alarms = alarmsOf(policyFile(), service);

    // Assess
    expect(alarms).toEqual(['api-5xx', 'api-errors', 'api-latency']);
  });

  it('adds the alarms of the policy, each name once', () => {
    // Prepare
    const file = policyFile({ defaults: { rollback: { alarms: ['api-latency', 'cluster-cpu'] } } });
    const service = aService({ tags: { [ALARMS_TAG]: 'api-5xx api-latency api-5xx' } });

    // Act
    const alarms = alarmsOf(file, service);

    // Assess
    expect(alarms).toEqual(['api-5xx', 'api-latency', 'cluster-cpu']);
  });

  it("takes the alarms of the service's named policy", () => {
    // Prepare
    const file = policyFile({ policies: { web: { rollback: { alarms: ['web-5xx'] } } } });
    const service = aService({ tags: { 'autopilot:policy': 'web' } });

    // Act
    const alarms = alarmsOf(file, service);

    // Assess
    expect(alarms).toEqual(['web-5xx']);
  });

  it('is empty without tag or policy alarms', () => {
    // Prepare
    const service = aService();

    // Act
    const alarms = alarmsOf(policyFile(), service);

    // Assess
    expect(alarms).toEqual([]);
  });

  it('ignores the policy when the service names an unknown one', () => {
    // Prepare
    const file = policyFile({ defaults: { rollback: { alarms: ['cluster-cpu'] } } });
    const service = aService({ tags: { 'autopilot:policy': 'missing', [ALARMS_TAG]: 'api-5xx' } });

    // Act
    const alarms = alarmsOf(file, service);

    // Assess
    expect(alarms).toEqual(['api-5xx']);
  });
});
