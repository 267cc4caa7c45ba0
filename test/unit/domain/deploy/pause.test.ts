import {
  describeScope,
  heldBy,
  PAUSE_ALL,
  pauseOf,
  pauseScope,
} from '../../../../shared/domain/deploy/pause';
import type { DeploymentDecision } from '../../../../shared/domain/deploy/plan-deployment';
import type { Pause } from '../../../../shared/ports';

const pause = (scope: string, overrides: Partial<Pause> = {}): Pause => ({
  scope,
  until: '2026-12-05T09:00:00.000Z',
  by: 'alice',
  reason: 'release freeze',
  at: '2026-12-04T09:00:00.000Z',
  notifyOnly: false,
  ...overrides,
});

const change = {
  cluster: 'prod',
  service: 'api',
  serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api',
  repository: 'team/api',
  tag: 'main',
  digest: `sha256:${'a'.repeat(64)}`,
  fromTaskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7',
  containers: ['app'],
  image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:${'a'.repeat(64)}`,
  mode: 'tag:main',
};
const deploy: DeploymentDecision = { ...change, action: 'deploy', reason: 'follows tag main' };

describe('pauseScope and describeScope', () => {
  it.each([
    [undefined, undefined, 'all', 'every service'],
    ['prod', undefined, 'cluster:prod', 'cluster prod'],
    ['prod', 'api', 'service:prod/api', 'prod/api'],
  ])('%s / %s is %s, for people %s', (cluster, service, scope, words) => {
    // Act
    const made = pauseScope(cluster, service);

    // Assess
    expect(made).toBe(scope);
    expect(describeScope(made)).toBe(words);
  });
});

describe('pauseOf', () => {
  const service = { clusterName: 'prod', name: 'api' };

  it.each([
    {
      case: 'its own pause first',
      pauses: [pause(PAUSE_ALL), pause('cluster:prod'), pause('service:prod/api')],
      scope: 'service:prod/api',
    },
    {
      case: "then its cluster's",
      pauses: [pause(PAUSE_ALL), pause('cluster:prod'), pause('service:prod/web')],
      scope: 'cluster:prod',
    },
    {
      case: 'then a freeze of every service',
      pauses: [pause(PAUSE_ALL), pause('cluster:staging')],
      scope: PAUSE_ALL,
    },
  ])('finds $case', ({ pauses, scope }) => {
    // Act
    const found = pauseOf(pauses, service);

    // Assess
    expect(found?.scope).toBe(scope);
  });

  it('finds none for a service no pause covers (a cluster named like the prefix of its own included)', () => {
    // Act
    const found = pauseOf([pause('cluster:prod-eu'), pause('service:prod/api-canary')], service);

    // Assess
    expect(found).toBeUndefined();
  });
});

describe('heldBy', () => {
  it('defers a deploy to the end of the pause, saying who paused it and why', () => {
    // Act
    const held = heldBy(deploy, pause('cluster:prod'));

    // Assess
    expect(held).toEqual({
      ...change,
      action: 'defer',
      dueAt: '2026-12-05T09:00:00.000Z',
      reason: 'paused until 2026-12-05T09:00:00.000Z by alice (release freeze): follows tag main',
    });
  });

  it('keeps a deferral that is due after the pause ends, and moves an earlier one to the end', () => {
    // Prepare
    const later: DeploymentDecision = {
      ...change,
      action: 'defer',
      dueAt: '2026-12-06T00:00:00.000Z',
      reason: 'window',
    };
    const sooner: DeploymentDecision = { ...later, dueAt: '2026-12-04T10:00:00.000Z' };

    // Act
    const [a, b] = [heldBy(later, pause(PAUSE_ALL)), heldBy(sooner, pause(PAUSE_ALL))];

    // Assess
    expect(a).toMatchObject({ action: 'defer', dueAt: '2026-12-06T00:00:00.000Z' });
    expect(b).toMatchObject({ action: 'defer', dueAt: '2026-12-05T09:00:00.000Z' });
  });

  it('makes a notify-only service decide as a dry run: the same decision, told, nothing changed', () => {
    // Act
    const held = heldBy(deploy, pause('service:prod/api', { notifyOnly: true, reason: undefined }));

    // Assess
    expect(held).toEqual({
      ...deploy,
      dryRun: true,
      reason: 'notify-only until 2026-12-05T09:00:00.000Z by alice: follows tag main',
    });
  });

  it('leaves a skip, a failure and an unpaused service as they are', () => {
    // Prepare
    const skip: DeploymentDecision = { ...change, action: 'skip', reason: 'already running this digest' };

    // Act
    const [a, b] = [heldBy(skip, pause(PAUSE_ALL)), heldBy(deploy, undefined)];

    // Assess
    expect(a).toBe(skip);
    expect(b).toBe(deploy);
  });
});
