/**
 * Deploy on push, applied: plans carried out by deployEffects on in-memory ports, where the world
 * answers otherwise than planned (a newer push deployed or waiting, a lease held elsewhere, a change
 * AWS refuses), and the dry run that applies nothing.
 */
import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import { deployEffects } from '../../../../shared/domain/deploy/deploy-effects';
import type { DeploymentDecision, PushedImage } from '../../../../shared/domain/deploy/plan-deployment';
import { type DeployPlan, planDuePush, planPush } from '../../../../shared/domain/deploy/plan-push';
import { applyPlan } from '../../../../shared/domain/plan/plan';
import { PermanentError, RetryableError } from '../../../../shared/errors';
import type { PendingPush, ServiceState } from '../../../../shared/ports';
import {
  aDigest,
  anInMemoryWorld,
  aPush,
  aService,
  aTaskDefinitionDoc,
  pinnedImage,
  REPOSITORY,
  REPOSITORY_KEY,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const PUSHED_AT = '2026-01-13T10:00:00.000Z';
const NEW = aDigest('pushed build');
const API_8 = taskDefinitionArnOf('api', 8);

/** A world whose ECR holds the push under test: team/api:main points at NEW. */
function aWorld(policy: Record<string, unknown> = {}) {
  const world = anInMemoryWorld();
  world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'main', digest: NEW });
  const policyFile: PolicyFile = PolicyFileSchema.parse({ version: 1, ...policy });
  const deps = { ...world, policyFile, now: world.clock.now };
  return { ...world, deps };
}
type World = ReturnType<typeof aWorld>;

function follow(world: World, service: ServiceState, doc = aTaskDefinitionDoc()) {
  world.ecs.addService(service, doc);
  world.index.seedRepositories(
    { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name },
    [REPOSITORY_KEY],
  );
}

const push = (overrides: Partial<PushedImage> = {}) =>
  aPush({ digest: NEW, pushedAt: new Date(PUSHED_AT), ...overrides });

const apply = (plan: DeployPlan, world: World, dryRun = false): Promise<DeploymentDecision[]> =>
  applyPlan(plan, deployEffects(world.deps), { dryRun });

describe('deployEffects', () => {
  it('carries out a deploy under the lease: register, update, record, note, watermark, release', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const plan = await planPush(push(), world.deps);

    // Act
    const done = await apply(plan, world);

    // Assess
    expect(done).toEqual([{ ...plan.decisions[0], toTaskDefinition: API_8 }]);
    // The intent saved before RegisterTaskDefinition; moved to `updating` with the closing writes.
    expect(world.writes.map((w) => w.op)).toEqual([
      'acquireLease',
      'saveDeployIntent',
      'recordDeployment',
      'noteDeploymentStarted',
      'setWatermark',
      'saveDeployIntent',
      'releaseLease',
    ]);
    expect(world.history.intentOf(api.arn, NEW, plan.decisions[0]?.fromTaskDefinition ?? '')).toMatchObject({
      state: 'updating',
      toTaskDefinition: API_8,
      triggeredBy: push().eventId,
    });
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
  });

  it('skips a deploy a newer push of another tag overtook while it was planned (match), and still gives the lease back', async () => {
    // Prepare
    const world = aWorld();
    const api = aService({ tags: { 'autopilot:deploy': 'match' } });
    follow(world, api);
    const plan = await planPush(push(), world.deps);
    const newer = { pushedAt: '2026-01-13T10:01:00.000Z', digest: aDigest('newer'), tag: 'v2' };
    world.lease.seedWatermark(api.arn, REPOSITORY_KEY, newer);

    // Act
    const done = await apply(plan, world);

    // Assess
    expect(done).toEqual([
      {
        ...plan.decisions[0],
        action: 'skip',
        reason: `superseded by the newer push of v2 (${newer.digest}) at ${newer.pushedAt}`,
      },
    ]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.writes.map((w) => w.op)).toEqual(['acquireLease', 'releaseLease']);
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
  });

  it('throws a RetryableError when the lease is held elsewhere, releasing nothing it does not hold', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const plan = await planPush(push(), world.deps);
    world.lease.seedLease(api.arn, 'another-invocation', 120);

    // Act
    const run = apply(plan, world);

    // Assess
    await expect(run).rejects.toThrow(
      new RetryableError('service prod/api is being deployed by another invocation'),
    );
    expect(world.writes).toEqual([
      { op: 'acquireLease', serviceArn: api.arn, owner: push().eventId, acquired: false },
    ]);
    expect(world.lease.leaseOf(api.arn)?.owner).toBe('another-invocation');
  });

  it('fails every service of a revision AWS refuses to copy, registering it once, and releases their leases', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    const canary = aService({ name: 'api-canary' });
    follow(world, api);
    follow(world, canary);
    world.ecs.failRegistrationOf(
      'api',
      new PermanentError('ClientException: Too many revisions of family api'),
    );
    const plan = await planPush(push(), world.deps);

    // Act
    const done = await apply(plan, world);

    // Assess
    expect(done.map((d) => [d.service, d.action, d.reason])).toEqual([
      ['api', 'failed', 'ClientException: Too many revisions of family api'],
      ['api-canary', 'failed', 'ClientException: Too many revisions of family api'],
    ]);
    expect(world.writes.map((w) => w.op)).toEqual([
      'acquireLease',
      'acquireLease',
      'saveDeployIntent',
      'releaseLease',
      'releaseLease',
    ]);
    expect(world.lease.watermarkOf(api.arn, REPOSITORY_KEY)).toBeUndefined();
  });

  it('releases the lease when a write under it throws, and lets the error go on', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const plan = await planPush(push(), world.deps);
    world.deps.history.recordDeployment = async () => {
      throw new RetryableError('ProvisionedThroughputExceededException');
    };

    // Act
    const run = apply(plan, world);

    // Assess
    await expect(run).rejects.toThrow('ProvisionedThroughputExceededException');
    // The intent stays `registering`: the retry finds the update by its revision's tags.
    expect(world.writes.map((w) => w.op)).toEqual(['acquireLease', 'saveDeployIntent', 'releaseLease']);
  });

  it('skips a deferred push when a newer one is already waiting (the conditional save lost)', async () => {
    // Prepare
    const world = aWorld({ defaults: { minImageAge: '1h' } });
    const api = aService();
    follow(world, api);
    const plan = await planPush(push(), world.deps);
    const newer = push({
      eventId: 'newer',
      digest: aDigest('newer'),
      pushedAt: new Date('2026-01-13T10:02:00.000Z'),
    });
    world.pending.seedPending({
      serviceArn: api.arn,
      cluster: 'prod',
      service: 'api',
      push: { ...newer, pushedAt: newer.pushedAt.toISOString() },
      dueAt: '2026-01-13T11:02:00.000Z',
      reason: 'waiting',
    });

    // Act
    const done = await apply(plan, world);

    // Assess
    expect(done).toEqual([
      {
        ...plan.decisions[0],
        action: 'skip',
        reason: 'a newer push is already waiting to be deployed to this service',
      },
    ]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)?.push.eventId).toBe('newer');
  });

  it('lets a higher version replace a pending lower one for a service ordered by version', async () => {
    // Prepare
    const world = aWorld({ defaults: { minImageAge: '1h' } });
    const api = aService({ tags: { 'autopilot:deploy': 'semver:minor' } });
    follow(world, api, aTaskDefinitionDoc({ image: pinnedImage(aDigest('running'), '1.4.2') }));
    world.ecr.pushImage(push({ tag: '1.5.0' }));
    const plan = await planPush(push({ tag: '1.5.0' }), world.deps);
    const later = push({ eventId: 'later', tag: '1.4.3', pushedAt: new Date('2026-01-13T10:02:00.000Z') });
    world.pending.seedPending({
      serviceArn: api.arn,
      cluster: 'prod',
      service: 'api',
      push: { ...later, pushedAt: later.pushedAt.toISOString() },
      dueAt: '2026-01-13T11:02:00.000Z',
      reason: 'waiting',
    });

    // Act
    const done = await apply(plan, world);

    // Assess
    expect(done.map((d) => d.action)).toEqual(['defer']);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)?.push.tag).toBe('1.5.0');
  });

  it('keeps a due push deferred again even when a newer one took its place meanwhile', async () => {
    // Prepare
    const window = { days: ['mon'], start: '09:00', end: '17:00', timezone: 'UTC' };
    const world = aWorld({ defaults: { windows: [window] } });
    const api = aService();
    follow(world, api);
    const waiting: PendingPush = {
      serviceArn: api.arn,
      cluster: 'prod',
      service: 'api',
      push: { ...push(), pushedAt: PUSHED_AT },
      dueAt: '2026-01-13T10:04:00.000Z',
      reason: 'waiting',
    };
    const plan = await planDuePush(waiting, world.deps);
    const newer = { ...waiting.push, eventId: 'newer', pushedAt: '2026-01-13T10:03:00.000Z' };
    world.pending.seedPending({ ...waiting, push: newer });

    // Act
    const done = await apply(plan, world);

    // Assess
    expect(done).toEqual(plan.decisions);
    expect(world.writes).toEqual([expect.objectContaining({ op: 'savePending', saved: false })]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)?.push.eventId).toBe('newer');
  });

  it('keeps a due push its window closed on while it waited for the lease, rescheduled', async () => {
    // Prepare: due at 10:04 on a Tuesday, the window closes at 10:05 while the lease is awaited
    const window = { days: ['tue'], start: '09:00', end: '10:05', timezone: 'UTC' };
    const world = aWorld({ defaults: { windows: [window] } });
    world.clock.set('2026-01-13T10:04:30.000Z');
    const api = aService();
    follow(world, api);
    const waiting: PendingPush = {
      serviceArn: api.arn,
      cluster: 'prod',
      service: 'api',
      push: { ...push(), pushedAt: PUSHED_AT },
      dueAt: '2026-01-13T10:04:00.000Z',
      reason: 'waiting',
    };
    world.pending.seedPending(waiting);
    const plan = await planDuePush(waiting, world.deps);
    world.lease.onNextAcquire(api.arn, async () => {
      world.clock.set('2026-01-13T10:06:00.000Z');
    });

    // Act
    const done = await apply(plan, world);

    // Assess
    expect(plan.decisions.map((d) => d.action)).toEqual(['deploy']);
    expect(done.map((d) => d.action)).toEqual(['defer']);
    expect(world.ecs.calls).toEqual([]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)).toMatchObject({
      push: { eventId: push().eventId },
      dueAt: '2026-01-20T09:00:00.000Z',
    });
  });

  it('applies nothing in a dry run', async () => {
    // Prepare
    const world = aWorld({ policies: { slow: { minImageAge: '1h' } } });
    follow(world, aService());
    follow(
      world,
      aService({ name: 'api-slow', tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'slow' } }),
    );
    const plan = await planPush(push(), world.deps);

    // Act
    const done = await apply(plan, world, true);

    // Assess
    expect(done).toEqual(plan.decisions.map((d) => ({ ...d, dryRun: true })));
    expect(done.map((d) => d.action)).toEqual(['deploy', 'defer']);
    expect(world.writes).toEqual([]);
    expect(world.ecs.calls).toEqual([]);
  });
});
