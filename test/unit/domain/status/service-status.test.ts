import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import { isKnown, type StatusInput, serviceStatus } from '../../../../shared/domain/status/service-status';
import type { DeploymentRecord, PendingPush, ServiceState, SkippedPush } from '../../../../shared/ports';
import { aService } from '../../../support/in-memory';

const NOW = new Date('2026-12-04T10:00:00.000Z');
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const API_KEY = '123456789012:eu-west-1:team/api';
const SIDECAR_KEY = '123456789012:eu-west-1:team/log-router';
const td = (revision: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/api:${revision}`;
const DIGEST = `sha256:${'a'.repeat(64)}`;

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

/** The status of `service` with nothing recorded about it but what `input` adds. */
function statusOf(service: ServiceState, input: Partial<StatusInput> = {}) {
  return serviceStatus({
    service,
    policyFile: policyFile(),
    taskDefinition: {
      definition: {
        family: 'api',
        containerDefinitions: [
          { name: 'app', image: `${REGISTRY}/team/api:main` },
          { name: 'log-router', image: `${REGISTRY}/team/log-router:stable` },
          { name: 'envoy', image: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1' },
        ],
      },
      tags: [],
    },
    running: [],
    listedUnder: [API_KEY],
    pending: [],
    quarantined: [],
    deployments: [],
    now: NOW,
    ...input,
  });
}

describe('serviceStatus', () => {
  it.each([
    {
      case: 'its own tag',
      service: aService({ tags: { 'autopilot:deploy': 'tag:main' } }),
      file: {},
      expected: {
        mode: 'tag:main',
        modeFrom: 'service tag',
        policy: 'defaults',
        policyFrom: 'policy file defaults',
      },
    },
    {
      case: "its cluster's policy",
      service: aService({ clusterName: 'prod-eu', tags: {} }),
      file: {
        policies: { careful: { deploy: 'semver:minor' } },
        clusters: { 'prod-*': { policy: 'careful' } },
      },
      expected: {
        mode: 'semver:minor',
        modeFrom: 'policy careful',
        policy: 'careful',
        policyFrom: 'cluster prod-*',
      },
    },
    {
      case: 'the policy its tag names',
      service: aService({ tags: { 'autopilot:policy': 'fast', 'autopilot:deploy': 'match' } }),
      file: { policies: { fast: {} } },
      expected: { mode: 'match', modeFrom: 'service tag', policy: 'fast', policyFrom: 'service tag' },
    },
  ])('says where its mode and policy come from: $case', ({ service, file, expected }) => {
    // Act
    const status = statusOf(service, { policyFile: policyFile(file) });

    // Assess
    expect(status).toMatchObject({ ...expected, follows: true });
  });

  it('says why deploy on push does not follow it, and lists a tag autopilot cannot use', () => {
    // Prepare
    const off = aService({ tags: { 'autopilot:deploy': 'off' } });
    const typo = aService({ tags: { 'autopilot:deploy': 'tags:main' } });
    const missingPolicy = aService({ tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'nope' } });

    // Act
    const [a, b, c] = [statusOf(off), statusOf(typo), statusOf(missingPolicy)];

    // Assess
    expect(a.follows).toBe('autopilot:deploy is off');
    expect(b.follows).toEqual(expect.stringContaining('tags:main'));
    expect(b.problems).toEqual([
      expect.objectContaining({ tag: 'autopilot:deploy=tags:main', problem: expect.any(String) }),
    ]);
    expect(c.follows).toBe(
      'autopilot:policy "nope" is not defined in the policy file: deploy on push skips it',
    );
    expect(c.policyFrom).toBe('service tag');
  });

  it('lists the ECR repositories its revision uses, each with whether the index lists it (a push reaches it only then)', () => {
    // Act
    const status = statusOf(aService());

    // Assess
    expect(status.repositories).toEqual([
      { key: API_KEY, repository: 'team/api', indexed: true },
      { key: SIDECAR_KEY, repository: 'team/log-router', indexed: false },
    ]);
  });

  it('falls back on what the index recorded when its revision is gone', () => {
    // Act
    const status = statusOf(aService(), {
      taskDefinition: undefined,
      indexed: {
        serviceArn: aService().arn,
        fingerprint: 'f',
        taskDefinitionArn: td(7),
        repositories: [API_KEY],
        indexedAt: NOW.toISOString(),
      },
    });

    // Assess
    expect(status.repositories).toEqual([{ key: API_KEY, repository: 'team/api', indexed: true }]);
  });

  it('shows what runs, the last known good revision, pending pushes, the quarantine of its repositories and its last deployment', () => {
    // Prepare
    const pending: PendingPush = {
      serviceArn: aService().arn,
      cluster: 'prod',
      service: 'api',
      push: {
        eventId: 'e-9',
        accountId: '123456789012',
        region: 'eu-west-1',
        repositoryName: 'team/api',
        digest: DIGEST,
        tag: 'main',
        pushedAt: '2026-12-04T09:59:00.000Z',
      },
      dueAt: '2026-12-04T11:59:00.000Z',
      reason: 'cooldown: the image is 1m old, minImageAge 2h',
    };
    const deployed: DeploymentRecord = {
      serviceArn: aService().arn,
      cluster: 'prod',
      service: 'api',
      fromTaskDefinition: td(6),
      toTaskDefinition: td(7),
      repository: 'team/api',
      tag: 'main',
      digest: DIGEST,
      startedAt: '2026-12-04T09:00:00.000Z',
      triggeredBy: 'e-8',
      state: 'STARTED',
    };

    // Act
    const status = statusOf(aService(), {
      running: [{ container: 'app', image: `${REGISTRY}/team/api:main`, digest: DIGEST }],
      lastKnownGood: { taskDefinitionArn: td(6), deploymentId: 'ecs-svc/6', at: '2026-12-03T09:00:00.000Z' },
      pending: [pending],
      quarantined: [
        {
          repositoryKey: API_KEY,
          repository: 'team/api',
          digest: DIGEST,
          reason: 'crash loop',
          at: '2026-12-02T00:00:00.000Z',
        },
        {
          repositoryKey: '123456789012:eu-west-1:team/web',
          repository: 'team/web',
          digest: DIGEST,
          reason: 'x',
          at: 'y',
        },
      ],
      deployments: [deployed],
    });

    // Assess
    expect(status).toMatchObject({
      service: 'prod/api',
      revision: 'api:7',
      running: [{ container: 'app', digest: DIGEST }],
      lastKnownGood: { revision: 'api:6', at: '2026-12-03T09:00:00.000Z' },
      pending: [{ repository: 'team/api', tag: 'main', digest: DIGEST, dueAt: '2026-12-04T11:59:00.000Z' }],
      quarantined: [{ repository: 'team/api', digest: DIGEST, reason: 'crash loop' }],
      lastDeployment: {
        at: '2026-12-04T09:00:00.000Z',
        from: 'api:6',
        to: 'api:7',
        image: `team/api:main@${DIGEST}`,
      },
    });
  });

  describe('the last decision about a push', () => {
    const deployed: DeploymentRecord = {
      serviceArn: aService().arn,
      cluster: 'prod',
      service: 'api',
      fromTaskDefinition: td(6),
      toTaskDefinition: td(7),
      repository: 'team/api',
      tag: 'main',
      digest: DIGEST,
      startedAt: '2026-12-04T09:00:00.000Z',
      triggeredBy: 'e-8',
      state: 'STARTED',
    };
    const skipped = (at: string): SkippedPush => ({
      serviceArn: aService().arn,
      repository: 'team/api',
      tag: 'feature-x',
      digest: `sha256:${'b'.repeat(64)}`,
      reason: 'tag feature-x does not match tag:main',
      triggeredBy: 'e-9',
      at,
    });

    it('is the push skipped after the last deployment, with its reason; the deployment is still shown', () => {
      // Act
      const status = statusOf(aService(), {
        deployments: [deployed],
        lastSkip: skipped('2026-12-04T09:30:00.000Z'),
      });

      // Assess
      const lastSkip = {
        at: '2026-12-04T09:30:00.000Z',
        image: `team/api:feature-x@sha256:${'b'.repeat(64)}`,
        reason: 'tag feature-x does not match tag:main',
        triggeredBy: 'e-9',
      };
      expect(status.lastSkip).toEqual(lastSkip);
      expect(status.lastDecision).toEqual({ action: 'skip', ...lastSkip });
      expect(status.lastDeployment).toMatchObject({ at: '2026-12-04T09:00:00.000Z', to: 'api:7' });
    });

    it('is the deployment made after the last skip', () => {
      // Act
      const status = statusOf(aService(), {
        deployments: [deployed],
        lastSkip: skipped('2026-12-04T08:00:00.000Z'),
      });

      // Assess
      expect(status.lastDecision).toEqual({
        action: 'deploy',
        at: '2026-12-04T09:00:00.000Z',
        from: 'api:6',
        to: 'api:7',
        image: `team/api:main@${DIGEST}`,
        triggeredBy: 'e-8',
      });
      expect(status.lastSkip).toMatchObject({ at: '2026-12-04T08:00:00.000Z' });
    });

    it('is the one there is, and none when autopilot neither deployed nor skipped a push for it', () => {
      // Act
      const [onlySkipped, onlyDeployed, neither] = [
        statusOf(aService(), { lastSkip: skipped('2026-12-04T08:00:00.000Z') }),
        statusOf(aService(), { deployments: [deployed] }),
        statusOf(aService()),
      ];

      // Assess
      expect(onlySkipped.lastDecision).toMatchObject({ action: 'skip', triggeredBy: 'e-9' });
      expect(onlyDeployed.lastDecision).toMatchObject({ action: 'deploy', triggeredBy: 'e-8' });
      expect(neither).not.toHaveProperty('lastDecision');
      expect(neither).not.toHaveProperty('lastSkip');
    });

    it('makes a service autopilot only skipped a push for one it knows', () => {
      // Prepare
      const untagged = aService({ tags: {} });

      // Act
      const status = statusOf(untagged, { listedUnder: [], lastSkip: skipped('2026-12-04T08:00:00.000Z') });

      // Assess
      expect(isKnown(status)).toBe(true);
    });
  });

  it('shows a rollback slot in cooldown until the cooldown ends, and not after', () => {
    // Prepare
    const rolledBack = { at: '2026-12-04T09:30:00.000Z', from: td(7), to: td(6), reason: 'alarm api-5xx' };

    // Act
    const within = statusOf(aService(), { lastRollback: rolledBack });
    const after = statusOf(aService(), {
      lastRollback: rolledBack,
      now: new Date('2026-12-04T10:30:00.001Z'),
    });

    // Assess
    expect(within.rollback).toMatchObject({ enabled: true, cooldownUntil: '2026-12-04T10:30:00.000Z' });
    expect(after.rollback.cooldownUntil).toBeUndefined();
    expect(after.rollback.lastRollback).toEqual(rolledBack);
  });

  it("shows the pause that holds it: its own, else its cluster's, else a freeze", () => {
    // Prepare
    const freeze = {
      scope: 'all',
      until: '2026-12-05T00:00:00.000Z',
      by: 'bob',
      at: NOW.toISOString(),
      notifyOnly: false,
    };
    const cluster = { ...freeze, scope: 'cluster:prod', by: 'alice', reason: 'incident 42' };

    // Act
    const [underFreeze, underCluster, free] = [
      statusOf(aService(), { pauses: [freeze] }),
      statusOf(aService(), { pauses: [freeze, cluster] }),
      statusOf(aService({ clusterName: 'staging' }), { pauses: [cluster] }),
    ];

    // Assess
    expect(underFreeze.paused).toEqual({ scope: 'all', until: freeze.until, by: 'bob', notifyOnly: false });
    expect(underCluster.paused).toMatchObject({ scope: 'cluster:prod', by: 'alice', reason: 'incident 42' });
    expect(free.paused).toBeUndefined();
  });

  it('knows services that opt in, are watched, are indexed or were acted on; not the others', () => {
    // Prepare
    const untagged = aService({ tags: {} });

    // Act
    const stranger = statusOf(untagged, { listedUnder: [] });
    const indexedOnly = statusOf(untagged);
    const optedIn = statusOf(aService(), { listedUnder: [] });

    // Assess
    expect(isKnown(stranger)).toBe(false);
    expect(isKnown(indexedOnly)).toBe(true);
    expect(isKnown(optedIn)).toBe(true);
  });
});
