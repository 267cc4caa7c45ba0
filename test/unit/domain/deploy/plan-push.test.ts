/**
 * Deploy on push, planned: the plan a push calls for, compared by equality, from in-memory ports.
 * Planning only reads: every test also checks that nothing was written.
 */
import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import type { PushedImage } from '../../../../shared/domain/deploy/plan-deployment';
import {
  checkBlastRadius,
  type DeployPlan,
  type DeployReads,
  LEASE_SECONDS,
  planDuePush,
  planPush,
} from '../../../../shared/domain/deploy/plan-push';
import { copyWithImage } from '../../../../shared/domain/deploy/task-definition';
import { describePlan } from '../../../../shared/domain/plan/plan';
import { ResourceLimitExceededError } from '../../../../shared/errors';
import type { PendingPush, ServiceState, TaskDefinitionDocument } from '../../../../shared/ports';
import {
  ACCOUNT,
  aDigest,
  anInMemoryWorld,
  aPush,
  aService,
  aTaskDefinitionDoc,
  clusterArnOf,
  pinnedImage,
  REGISTRY,
  REPOSITORY,
  REPOSITORY_KEY,
  serviceArnOf,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const PUSHED_AT = '2026-01-13T10:00:00.000Z';
const NEW = aDigest('pushed build');
const OLD = aDigest('running build');
const API_7 = taskDefinitionArnOf('api', 7);
const API_8 = taskDefinitionArnOf('api', 8);
const PINNED_NEW = `${REGISTRY}/${REPOSITORY}@${NEW}`;
const API = serviceArnOf('prod', 'api');

type World = ReturnType<typeof anInMemoryWorld> & { deps: DeployReads };

/** A world whose ECR holds the push under test: team/api:main points at NEW. */
function aWorld(policy: Record<string, unknown> = {}): World {
  const world = anInMemoryWorld();
  world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'main', digest: NEW });
  const policyFile: PolicyFile = PolicyFileSchema.parse({ version: 1, ...policy });
  return { ...world, deps: { ...world, policyFile, now: world.clock.now } };
}

function follow(world: World, service: ServiceState, doc: TaskDefinitionDocument = aTaskDefinitionDoc()) {
  world.ecs.addService(service, doc);
  world.index.seedRepositories(
    { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name },
    [REPOSITORY_KEY],
  );
}

const push = (overrides: Partial<PushedImage> = {}) =>
  aPush({ digest: NEW, pushedAt: new Date(PUSHED_AT), ...overrides });

/** Nothing written anywhere: no state, no ECS mutation, no event. */
function expectNothingWritten(world: World): void {
  expect(world.writes).toEqual([]);
  expect(world.ecs.calls).toEqual([]);
  expect(world.events.published).toEqual([]);
}

const deployDecision = {
  action: 'deploy',
  cluster: 'prod',
  service: 'api',
  serviceArn: API,
  repository: REPOSITORY,
  tag: 'main',
  digest: NEW,
  reason: 'follows tag main',
  mode: 'tag:main',
  fromTaskDefinition: API_7,
  containers: ['app'],
  image: PINNED_NEW,
} as const;

/** The deployment record of `push()` to `serviceArn` from api:7, as planned. */
const recordOf = (serviceArn: string, service = 'api') => ({
  serviceArn,
  cluster: 'prod',
  service,
  fromTaskDefinition: API_7,
  repository: REPOSITORY,
  tag: 'main',
  digest: NEW,
  triggeredBy: push().eventId,
  state: 'STARTED' as const,
});

/** The effects of deploying `push()` to prod/api from api:7 (`due`: a due pending push). */
function deployEffects(decision = 0, serviceArn = API, service = 'api', due = false) {
  return [
    {
      kind: 'acquire-lease',
      decision,
      serviceArn,
      owner: push().eventId,
      ttlSeconds: LEASE_SECONDS,
      opens: `lease ${serviceArn}`,
    },
    {
      kind: 'plan-again',
      decision,
      serviceArn,
      cluster: 'prod',
      service,
      push: { ...push(), pushedAt: PUSHED_AT },
      due,
    },
    {
      kind: 'register-revision',
      decision,
      serviceArn,
      digest: NEW,
      from: API_7,
      revision: copyWithImage(aTaskDefinitionDoc(), {
        containers: ['app'],
        image: PINNED_NEW,
        sourceImage: `${REPOSITORY}:main`,
        digest: NEW,
        triggeredBy: push().eventId,
        from: API_7,
      }),
      triggeredBy: push().eventId,
    },
    {
      kind: 'update-service',
      decision,
      serviceArn,
      cluster: 'prod',
      service,
      from: API_7,
      digest: NEW,
      triggeredBy: push().eventId,
    },
    {
      kind: 'record-deployment',
      decision,
      record: {
        serviceArn,
        cluster: 'prod',
        service,
        fromTaskDefinition: API_7,
        repository: REPOSITORY,
        tag: 'main',
        digest: NEW,
        triggeredBy: push().eventId,
        state: 'STARTED',
      },
    },
    { kind: 'note-deployment-started', decision, serviceArn },
    {
      kind: 'set-watermark',
      decision,
      serviceArn,
      repositoryKey: REPOSITORY_KEY,
      watermark: { pushedAt: PUSHED_AT, digest: NEW, tag: 'main' },
    },
    { kind: 'release-lease', decision, serviceArn, owner: push().eventId, closes: `lease ${serviceArn}` },
  ];
}

describe('planPush', () => {
  it('plans a deploy as a sequence under the service lease, and writes nothing', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());

    // Act
    const plan = await planPush(push(), world.deps);

    // Assess
    expect(plan).toEqual({ decisions: [deployDecision], effects: deployEffects() });
    expectNothingWritten(world);
  });

  it('plans the same revision for services sharing one (the applier registers it once)', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    follow(world, aService({ name: 'api-canary' }));
    const canary = serviceArnOf('prod', 'api-canary');

    // Act
    const plan = await planPush(push(), world.deps);

    // Assess
    const [apiLease, apiAgain, ...api] = deployEffects();
    const [canaryLease, canaryAgain, ...canaryRest] = deployEffects(1, canary, 'api-canary');
    const group = [
      { cluster: 'prod', service: 'api', serviceArn: API },
      { cluster: 'prod', service: 'api-canary', serviceArn: canary },
    ];
    expect(plan).toEqual({
      decisions: [deployDecision, { ...deployDecision, service: 'api-canary', serviceArn: canary }],
      // Both leases first, then both planned again together, then each deployed and released.
      effects: [
        apiLease,
        canaryLease,
        { ...apiAgain, group },
        { ...canaryAgain, group },
        ...api,
        ...canaryRest,
      ],
    });
    expectNothingWritten(world);
  });

  it('checks no watermark for a service whose mode orders pushes by version', async () => {
    // Prepare
    const world = aWorld();
    follow(
      world,
      aService({ tags: { 'autopilot:deploy': 'semver:minor' } }),
      aTaskDefinitionDoc({ image: pinnedImage(OLD) }),
    );
    world.ecr.tag(OLD, '1.4.2');
    world.ecr.pushImage(push({ tag: '1.5.0' }));

    // Act
    const plan = await planPush(push({ tag: '1.5.0' }), world.deps);

    // Assess
    expect(plan.effects.map((e) => e.kind)).toEqual([
      'acquire-lease',
      'plan-again',
      'register-revision',
      'update-service',
      'record-deployment',
      'note-deployment-started',
      'set-watermark',
      'release-lease',
    ]);
    expectNothingWritten(world);
  });

  it('checks the watermark only for a service whose mode takes pushes of several tags (match)', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService({ tags: { 'autopilot:deploy': 'match' } }));

    // Act
    const plan = await planPush(push(), world.deps);

    // Assess
    // tag:main is ordered by what main points at now (read under the lease); match by push time.
    expect(plan.effects.filter((e) => e.kind === 'check-watermark')).toEqual([
      {
        kind: 'check-watermark',
        decision: 0,
        serviceArn: API,
        repositoryKey: REPOSITORY_KEY,
        pushedAt: PUSHED_AT,
      },
    ]);
    expect(plan.effects.map((e) => e.kind).indexOf('check-watermark')).toBe(2);
    expectNothingWritten(world);
  });

  it('plans a deferred push as a pending push to save, ordered by the service mode', async () => {
    // Prepare
    const world = aWorld({ defaults: { minImageAge: '1h' } });
    follow(world, aService());
    const reason =
      'follows tag main; image is younger than the minimum age 1h, due at 2026-01-13T11:00:00.000Z';

    // Act
    const plan = await planPush(push(), world.deps);

    // Assess
    expect(plan).toEqual({
      decisions: [{ ...deployDecision, action: 'defer', dueAt: '2026-01-13T11:00:00.000Z', reason }],
      effects: [
        {
          kind: 'save-pending',
          decision: 0,
          pending: {
            serviceArn: API,
            cluster: 'prod',
            service: 'api',
            push: { ...push(), pushedAt: PUSHED_AT },
            dueAt: '2026-01-13T11:00:00.000Z',
            reason,
          },
          mode: 'tag:main',
        },
      ],
    });
    expectNothingWritten(world);
  });

  it('plans to record and announce an update an earlier attempt made and did not announce', async () => {
    // Prepare
    const world = aWorld();
    const api = aService({ taskDefinitionArn: API_8 });
    follow(world, api, aTaskDefinitionDoc({ revision: 8, image: PINNED_NEW }));
    world.history.seedDeployIntent({
      serviceArn: api.arn,
      digest: NEW,
      fromTaskDefinition: API_7,
      triggeredBy: push().eventId,
      state: 'updating',
      at: '2026-01-13T10:00:58.000Z',
      toTaskDefinition: API_8,
      startedAt: '2026-01-13T10:01:00.000Z',
    });
    const deploymentId = api.deployments[0]?.id ?? '';
    const started = { deploymentId, startedAt: '2026-01-13T10:01:00.000Z' };
    const [lease, again, , , , , , release] = deployEffects();

    // Act
    const plan = await planPush(push(), world.deps);

    // Assess
    expect(plan).toEqual({
      decisions: [
        {
          ...deployDecision,
          fromTaskDefinition: API_7,
          toTaskDefinition: API_8,
          reason: `updated to ${API_8} at 2026-01-13T10:01:00.000Z by an earlier attempt of this push; recorded and announced now`,
        },
      ],
      effects: [
        lease,
        again,
        {
          kind: 'record-deployment',
          decision: 0,
          record: { ...recordOf(API), ...started },
        },
        { kind: 'note-deployment-started', decision: 0, serviceArn: API, started },
        {
          kind: 'set-watermark',
          decision: 0,
          serviceArn: API,
          repositoryKey: REPOSITORY_KEY,
          watermark: { pushedAt: PUSHED_AT, digest: NEW, tag: 'main' },
        },
        release,
      ],
    });
    expectNothingWritten(world);
  });

  it('plans nothing for a service an earlier attempt of the push deployed and announced', async () => {
    // Prepare
    const world = aWorld();
    const api = aService({ taskDefinitionArn: API_8 });
    follow(world, api, aTaskDefinitionDoc({ revision: 8, image: PINNED_NEW }));
    world.history.seedDeployIntent({
      serviceArn: api.arn,
      digest: NEW,
      fromTaskDefinition: API_7,
      triggeredBy: push().eventId,
      state: 'announced',
      at: '2026-01-13T10:00:58.000Z',
      toTaskDefinition: API_8,
      startedAt: '2026-01-13T10:01:00.000Z',
    });

    // Act
    const plan = await planPush(push(), world.deps);

    // Assess
    expect(plan.decisions).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'already running this digest' }),
    ]);
    expect(plan.effects).toEqual([]);
    expectNothingWritten(world);
  });

  it('plans a push the tag has moved on from as superseded, asking ECR once', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    const newer = aDigest('pushed after');
    world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'main', digest: newer });

    // Act
    const plan = await planPush(push(), world.deps);

    // Assess
    expect(plan).toEqual({
      decisions: [
        {
          ...deployDecision,
          action: 'skip',
          reason: `superseded: ${REPOSITORY}:main now points at ${newer}, pushed after this one`,
        },
      ],
      effects: [],
    });
    expect(world.ecr.tagLookups).toEqual([{ registryId: ACCOUNT, repositoryName: REPOSITORY, tag: 'main' }]);
    expectNothingWritten(world);
  });

  it('plans to drop the index entries of services that no longer exist', async () => {
    // Prepare
    const world = aWorld();
    const ghost = serviceArnOf('prod', 'deleted-api');
    world.index.seedRepositories(
      { serviceArn: ghost, clusterArn: clusterArnOf('prod'), serviceName: 'deleted-api' },
      [REPOSITORY_KEY],
    );

    // Act
    const plan = await planPush(push(), world.deps);

    // Assess
    expect(plan).toEqual({ decisions: [], effects: [{ kind: 'unindex-service', serviceArn: ghost }] });
    expectNothingWritten(world);
  });

  it('prints for people what it would do', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());

    // Act
    const lines = describePlan(await planPush(push(), world.deps));

    // Assess
    expect(lines).toEqual([
      'deploy api: follows tag main',
      `  acquire-lease serviceArn=${API} owner=${push().eventId} ttlSeconds=120 opens=lease ${API}`,
      `  plan-again serviceArn=${API} cluster=prod service=api due=false`,
      `  register-revision serviceArn=${API} digest=${NEW} from=${API_7} triggeredBy=${push().eventId}`,
      `  update-service serviceArn=${API} cluster=prod service=api from=${API_7} digest=${NEW} triggeredBy=${push().eventId}`,
      '  record-deployment',
      `  note-deployment-started serviceArn=${API}`,
      `  set-watermark serviceArn=${API} repositoryKey=${REPOSITORY_KEY}`,
      `  release-lease serviceArn=${API} owner=${push().eventId} closes=lease ${API}`,
    ]);
  });
});

describe('planDuePush', () => {
  const pendingOf = (dueAt: string, pushed: PushedImage = push()): PendingPush => ({
    serviceArn: API,
    cluster: 'prod',
    service: 'api',
    push: { ...pushed, pushedAt: pushed.pushedAt.toISOString() },
    dueAt,
    reason: 'waiting',
  });
  const forget = {
    kind: 'delete-pending',
    serviceArn: API,
    repositoryKey: REPOSITORY_KEY,
    eventId: push().eventId,
  };

  it('plans a due push deployed, then forgotten', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());

    // Act
    const plan = await planDuePush(pendingOf('2026-01-13T10:04:00.000Z'), world.deps);

    // Assess
    expect(plan).toEqual({
      decisions: [deployDecision],
      effects: [...deployEffects(0, API, 'api', true), forget],
    });
    expectNothingWritten(world);
  });

  it('plans a push whose window is still closed rescheduled, and kept', async () => {
    // Prepare
    const window = { days: ['mon'], start: '09:00', end: '17:00', timezone: 'UTC' };
    const world = aWorld({ defaults: { windows: [window] } });
    follow(world, aService());

    // Act
    const plan = await planDuePush(pendingOf('2026-01-13T10:04:00.000Z'), world.deps);

    // Assess
    expect(plan.decisions.map((d) => [d.action, d.dueAt])).toEqual([['defer', '2026-01-19T09:00:00.000Z']]);
    expect(plan.effects).toEqual([
      {
        kind: 'reschedule-pending',
        decision: 0,
        pending: { ...pendingOf('2026-01-19T09:00:00.000Z'), reason: plan.decisions[0]?.reason },
        mode: 'tag:main',
      },
    ]);
    expectNothingWritten(world);
  });

  it('plans a push for a service that is gone skipped, and forgotten', async () => {
    // Prepare
    const world = aWorld();

    // Act
    const plan: DeployPlan = await planDuePush(pendingOf('2026-01-13T10:04:00.000Z'), world.deps);

    // Assess
    expect(plan).toEqual({
      decisions: [
        {
          action: 'skip',
          cluster: 'prod',
          service: 'api',
          serviceArn: API,
          repository: REPOSITORY,
          tag: 'main',
          digest: NEW,
          reason: 'service no longer exists',
        },
      ],
      effects: [forget],
    });
    expectNothingWritten(world);
  });
});

describe('checkBlastRadius', () => {
  it('counts the services a plan would update against maxServicesPerPush', async () => {
    // Prepare
    const world = aWorld({ maxServicesPerPush: 1 });
    follow(world, aService());
    follow(world, aService({ name: 'api-canary' }));
    follow(world, aService({ name: 'api-frozen', tags: { 'autopilot:deploy': 'off' } }));
    const plan = await planPush(push(), world.deps);

    // Act
    const check = () => checkBlastRadius(plan, world.deps.policyFile);

    // Assess
    expect(check).toThrow(ResourceLimitExceededError);
    expect(check).toThrow(expect.objectContaining({ count: 2, limit: 1 }));
    expect(() => checkBlastRadius(plan, { ...world.deps.policyFile, maxServicesPerPush: 2 })).not.toThrow();
  });
});
