import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import {
  type IndexDeps,
  indexServices,
  repositoriesOf,
} from '../../../../shared/domain/index/index-services';
import { reconcileIndex } from '../../../../shared/domain/index/reconcile';
import { RetryableError } from '../../../../shared/errors';
import type { AutopilotEvent } from '../../../../shared/events/autopilot-events';
import type { ServiceRef, ServiceState, TaskDefinitionDocument } from '../../../../shared/ports';
import {
  ACCOUNT,
  aDigest,
  anInMemoryWorld,
  aService,
  aTaskDefinitionDoc,
  clusterArnOf,
  IMAGE,
  InMemoryServiceIndex,
  indexDepsOf,
  REGISTRY,
  REPOSITORY_KEY,
  SIDECAR_IMAGE,
  serviceArnOf,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const WORKER_KEY = `${ACCOUNT}:eu-west-1:team/worker`;
const WORKER_IMAGE = `${REGISTRY}/team/worker:main`;
/** The event that asks for indexing (a TagResource through CloudTrail), and a reconcile's. */
const EVENT_ID = '2d317f7d-887c-49e8-b1de-72f70884984c';
const RECONCILE_ID = '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa';
/** A new sweep of the reconcile starts 6 hours after the last one started. */
const PERIOD = 6 * 3_600_000;
const BAD_DEPLOY =
  'autopilot:deploy value "tags:main" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off';

const input = (refs: ServiceRef[], triggeredBy = EVENT_ID) => ({ refs, triggeredBy });

type World = ReturnType<typeof anInMemoryWorld> & { deps: IndexDeps };

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

function aWorld(options: { dryRun?: boolean; policy?: Record<string, unknown> } = {}): World {
  const world = anInMemoryWorld();
  return {
    ...world,
    deps: indexDepsOf(world, policyFile(options.policy), options.dryRun ?? false),
  };
}

function run(
  world: World,
  service: ServiceState,
  doc: TaskDefinitionDocument = aTaskDefinitionDoc(),
): ServiceState {
  world.ecs.addService(service, doc);
  return service;
}

const byArn = (service: ServiceState) => ({ cluster: service.clusterArn, service: service.arn });

describe('repositoriesOf', () => {
  it.each<[string, string[], string[]]>([
    ['a private ECR image', [IMAGE], [REPOSITORY_KEY]],
    ['a digest-pinned image', [`${REGISTRY}/team/api@${aDigest('x')}`], [REPOSITORY_KEY]],
    [
      'the FIPS host of the same registry',
      [`${ACCOUNT}.dkr.ecr-fips.eu-west-1.amazonaws.com/team/api:1`],
      [REPOSITORY_KEY],
    ],
    ['a dual-stack host', [`${ACCOUNT}.dkr-ecr.eu-west-1.on.aws/team/api:1`], [REPOSITORY_KEY]],
    [
      'another account and region',
      ['210987654321.dkr.ecr.us-east-1.amazonaws.com/team/api:1'],
      ['210987654321:us-east-1:team/api'],
    ],
    ['ECR Public is not a private repository', [SIDECAR_IMAGE], []],
    ['Docker Hub is not a private repository', ['nginx:1.27', 'datadog/agent:7'], []],
    ['an invalid image string is ignored', ['Not A Valid Image'], []],
    [
      'sorted and without duplicates',
      [WORKER_IMAGE, IMAGE, `${REGISTRY}/team/api:other`, SIDECAR_IMAGE],
      [REPOSITORY_KEY, WORKER_KEY],
    ],
    ['no containers', [], []],
  ])('%s', (_name, images, expected) => {
    // Prepare
    const containers = images.map((image) => ({ image }));

    // Act
    const keys = repositoriesOf(containers);

    // Assess
    expect(keys).toEqual(expected);
  });
});

describe('indexServices', () => {
  it('indexes an opted-in service under its private ECR repositories only', async () => {
    // Prepare
    const world = aWorld();
    const api = run(
      world,
      aService(),
      aTaskDefinitionDoc({
        containers: [
          { name: 'app', image: IMAGE },
          { name: 'worker', image: WORKER_IMAGE },
          { name: 'log-router', image: SIDECAR_IMAGE },
          { name: 'agent', image: 'datadog/agent:7' },
        ],
      }),
    );

    // Act
    const decisions = await indexServices(input([byArn(api)]), world.deps);

    // Assess
    expect(decisions).toEqual([
      { service: api.arn, action: 'indexed', repositories: [REPOSITORY_KEY, WORKER_KEY], reason: 'opted in' },
    ]);
    expect(world.index.repositoriesOf(api.arn)).toEqual([REPOSITORY_KEY, WORKER_KEY]);
    expect(await world.index.servicesForRepository(REPOSITORY_KEY)).toEqual([
      { serviceArn: api.arn, clusterArn: api.clusterArn, serviceName: 'api' },
    ]);
  });

  it('moves a service to the repositories of its new task definition', async () => {
    // Prepare
    const world = aWorld();
    const api = run(
      world,
      aService({ taskDefinitionArn: taskDefinitionArnOf('api', 9) }),
      aTaskDefinitionDoc({ revision: 9, image: WORKER_IMAGE }),
    );
    world.index.seedRepositories({ serviceArn: api.arn, clusterArn: api.clusterArn, serviceName: 'api' }, [
      REPOSITORY_KEY,
    ]);

    // Act
    await indexServices(input([byArn(api)]), world.deps);

    // Assess
    expect(world.index.repositoriesOf(api.arn)).toEqual([WORKER_KEY]);
    expect(await world.index.servicesForRepository(REPOSITORY_KEY)).toEqual([]);
  });

  it('removes a service that is not opted in', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, aService({ tags: { 'autopilot:deploy': 'off' } }));
    world.index.seedRepositories({ serviceArn: api.arn, clusterArn: api.clusterArn, serviceName: 'api' }, [
      REPOSITORY_KEY,
    ]);

    // Act
    const decisions = await indexServices(input([byArn(api)]), world.deps);

    // Assess
    expect(decisions).toEqual([
      { service: api.arn, action: 'removed', repositories: [], reason: 'autopilot:deploy is off' },
    ]);
    expect(world.index.repositoriesOf(api.arn)).toEqual([]);
    expect(world.ecs.describeTaskDefinitionCount).toBe(0);
  });

  it('removes a service given by ARN that no longer exists', async () => {
    // Prepare
    const world = aWorld();
    const gone = serviceArnOf('prod', 'deleted-api');
    world.index.seedRepositories(
      { serviceArn: gone, clusterArn: clusterArnOf('prod'), serviceName: 'deleted-api' },
      [REPOSITORY_KEY],
    );

    // Act
    const decisions = await indexServices(
      input([{ cluster: clusterArnOf('prod'), service: gone }]),
      world.deps,
    );

    // Assess
    expect(decisions).toEqual([
      { service: gone, action: 'removed', repositories: [], reason: 'service not found' },
    ]);
    expect(world.writes).toEqual([
      { op: 'unindexRepositories', serviceArn: gone },
      { op: 'forgetFingerprint', clusterArn: clusterArnOf('prod'), serviceArn: gone },
    ]);
    expect(await world.index.servicesForRepository(REPOSITORY_KEY)).toEqual([]);
  });

  it('ignores a missing service given by name (nothing to remove by)', async () => {
    // Prepare
    const world = aWorld();

    // Act
    const decisions = await indexServices(input([{ cluster: 'prod', service: 'deleted-api' }]), world.deps);

    // Assess
    expect(decisions).toEqual([]);
    expect(world.writes).toEqual([]);
  });

  it('describes a task definition shared by several services once', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, aService());
    const canary = run(world, aService({ name: 'api-canary' }));

    // Act
    const decisions = await indexServices(input([byArn(api), byArn(canary)]), world.deps);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['indexed', 'indexed']);
    expect(world.ecs.describeTaskDefinitionCount).toBe(1);
  });

  it('writes nothing in a dry run', async () => {
    // Prepare
    const world = aWorld({ dryRun: true });
    const api = run(world, aService());
    const off = run(world, aService({ name: 'api-off', tags: { 'autopilot:deploy': 'off' } }));
    const gone = serviceArnOf('prod', 'deleted-api');

    // Act
    const decisions = await indexServices(
      input([byArn(api), byArn(off), { cluster: clusterArnOf('prod'), service: gone }]),
      world.deps,
    );

    // Assess
    expect(decisions.map((d) => [d.service, d.action])).toEqual([
      [api.arn, 'indexed'],
      [off.arn, 'removed'],
      [gone, 'removed'],
    ]);
    expect(world.writes).toEqual([]);
  });

  it('does nothing without services', async () => {
    // Prepare
    const world = aWorld();

    // Act
    const decisions = await indexServices(input([]), world.deps);

    // Assess
    expect(decisions).toEqual([]);
  });
});

describe('reconcileIndex', () => {
  it('re-indexes every service of every cluster', async () => {
    // Prepare
    const world = aWorld();
    const prodApi = run(world, aService());
    const prodOff = run(world, aService({ name: 'legacy', tags: {} }));
    const stagingApi = run(
      world,
      aService({ clusterName: 'staging', taskDefinitionArn: taskDefinitionArnOf('api-staging', 2) }),
      aTaskDefinitionDoc({ family: 'api-staging', revision: 2 }),
    );
    const stagingWorker = run(
      world,
      aService({
        clusterName: 'staging',
        name: 'worker',
        taskDefinitionArn: taskDefinitionArnOf('worker', 1),
        tags: { 'autopilot:deploy': 'semver:patch' },
      }),
      aTaskDefinitionDoc({ family: 'worker', revision: 1, image: WORKER_IMAGE }),
    );
    world.ecs.addCluster(clusterArnOf('empty'));
    world.index.seedRepositories(
      { serviceArn: prodOff.arn, clusterArn: prodOff.clusterArn, serviceName: prodOff.name },
      [REPOSITORY_KEY],
    );

    // Act
    const { decisions } = await reconcileIndex({ triggeredBy: RECONCILE_ID, periodMs: PERIOD }, world.deps);

    // Assess
    expect(decisions.map((d) => [d.service, d.action, d.repositories])).toEqual([
      [prodApi.arn, 'indexed', [REPOSITORY_KEY]],
      [prodOff.arn, 'removed', []],
      [stagingApi.arn, 'indexed', [REPOSITORY_KEY]],
      [stagingWorker.arn, 'indexed', [WORKER_KEY]],
    ]);
    expect((await world.index.servicesForRepository(REPOSITORY_KEY)).map((s) => s.serviceArn)).toEqual([
      prodApi.arn,
      stagingApi.arn,
    ]);
    expect((await world.index.servicesForRepository(WORKER_KEY)).map((s) => s.serviceArn)).toEqual([
      stagingWorker.arn,
    ]);
  });

  it('writes nothing in a dry run', async () => {
    // Prepare
    const world = aWorld({ dryRun: true });
    run(world, aService());
    run(world, aService({ clusterName: 'staging' }));

    // Act
    const { decisions } = await reconcileIndex({ triggeredBy: RECONCILE_ID, periodMs: PERIOD }, world.deps);

    // Assess
    expect(decisions).toHaveLength(2);
    expect(world.writes).toEqual([]);
  });
});

describe('indexServices and configuration problems', () => {
  const DEPLOY_EFFECT =
    'Deploy on push ignores the service, and its deployments are not watched for rollback, until the tag is fixed.';

  const broken = (tags: Record<string, string> = { 'autopilot:deploy': 'tags:main' }) =>
    aService({ tags: { ...tags, team: 'payments' } });

  const problemEvents = (world: World) =>
    world.events.published.filter(
      (e): e is Extract<AutopilotEvent, { detailType: 'Configuration Problem' }> =>
        e.detailType === 'Configuration Problem',
    );

  it('announces a broken tag once: which service, which tag, what is wrong and the likely fix', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());

    // Act
    const decisions = await indexServices(input([byArn(api)]), world.deps);

    // Assess
    expect(world.events.published).toEqual([
      {
        detailType: 'Configuration Problem',
        detail: {
          cluster: 'prod',
          service: 'api',
          serviceArn: api.arn,
          tagKey: 'autopilot:deploy',
          tagValue: 'tags:main',
          problem: BAD_DEPLOY,
          effect: DEPLOY_EFFECT,
          suggestion: 'tag:main',
          resolved: false,
          dryRun: false,
          triggeredBy: EVENT_ID,
        },
      },
    ]);
    expect(decisions).toEqual([
      {
        service: api.arn,
        action: 'removed',
        repositories: [],
        reason: BAD_DEPLOY,
        problems: [
          { tagKey: 'autopilot:deploy', tagValue: 'tags:main', action: 'announced', problem: BAD_DEPLOY },
        ],
      },
    ]);
    expect(await world.problems.announcedProblems(api.arn)).toEqual([
      {
        serviceArn: api.arn,
        cluster: 'prod',
        service: 'api',
        tagKey: 'autopilot:deploy',
        tagValue: 'tags:main',
        problem: BAD_DEPLOY,
        triggeredBy: EVENT_ID,
      },
    ]);
  });

  it('announces nothing when the same problem is seen again, by another event or the reconcile', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    await indexServices(input([byArn(api)]), world.deps);

    // Act
    const again = await indexServices(input([byArn(api)], 'a-deployment-state-change'), world.deps);
    await reconcileIndex({ triggeredBy: RECONCILE_ID, periodMs: PERIOD }, world.deps);

    // Assess
    expect(problemEvents(world)).toHaveLength(1);
    expect(again[0]?.problems).toEqual([
      { tagKey: 'autopilot:deploy', tagValue: 'tags:main', action: 'known', problem: BAD_DEPLOY },
    ]);
  });

  it('announces again when the tag gets another wrong value', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    await indexServices(input([byArn(api)]), world.deps);
    run(world, broken({ 'autopilot:deploy': 'always' }));

    // Act
    await indexServices(input([byArn(api)], 'another-tag-change'), world.deps);

    // Assess
    expect(problemEvents(world).map((e) => [e.detail.tagValue, e.detail.resolved])).toEqual([
      ['tags:main', false],
      ['always', false],
    ]);
    expect((await world.problems.announcedProblems(api.arn)).map((p) => p.tagValue)).toEqual(['always']);
  });

  it('announces a problem of another tag of the same service on its own', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    await indexServices(input([byArn(api)]), world.deps);
    run(world, broken({ 'autopilot:deploy': 'tags:main', 'autopilot:rollback': 'yes' }));

    // Act
    await indexServices(input([byArn(api)], 'another-tag-change'), world.deps);

    // Assess
    expect(problemEvents(world).map((e) => [e.detail.tagKey, e.detail.suggestion])).toEqual([
      ['autopilot:deploy', 'tag:main'],
      ['autopilot:rollback', 'on'],
    ]);
  });

  it('announces an autopilot:policy the policy file does not define, and still indexes the service', async () => {
    // Prepare
    const world = aWorld({ policy: { policies: { careful: { minImageAge: '1h' }, fast: {} } } });
    const api = run(
      world,
      aService({ tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'carefull' } }),
    );
    const problem = 'autopilot:policy "carefull" is not defined in the policy file; it defines careful, fast';

    // Act
    const decisions = await indexServices(input([byArn(api)]), world.deps);

    // Assess
    expect(decisions).toEqual([
      {
        service: api.arn,
        action: 'indexed',
        repositories: [REPOSITORY_KEY],
        reason: 'opted in',
        problems: [{ tagKey: 'autopilot:policy', tagValue: 'carefull', action: 'announced', problem }],
      },
    ]);
    expect(problemEvents(world).map((e) => e.detail)).toEqual([
      expect.objectContaining({
        tagKey: 'autopilot:policy',
        problem,
        suggestion: 'careful',
        resolved: false,
      }),
    ]);
  });

  it('forgets a fixed tag and announces once that the problem is resolved', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    await indexServices(input([byArn(api)]), world.deps);
    run(world, aService());

    // Act
    const fixed = await indexServices(input([byArn(api)], 'the-fixing-tag-change'), world.deps);
    await reconcileIndex({ triggeredBy: RECONCILE_ID, periodMs: PERIOD }, world.deps);

    // Assess
    expect(problemEvents(world).map((e) => e.detail)).toEqual([
      expect.objectContaining({ resolved: false }),
      {
        cluster: 'prod',
        service: 'api',
        serviceArn: api.arn,
        tagKey: 'autopilot:deploy',
        tagValue: 'tags:main',
        problem: BAD_DEPLOY,
        resolved: true,
        dryRun: false,
        triggeredBy: 'the-fixing-tag-change',
      },
    ]);
    expect(fixed[0]).toMatchObject({
      action: 'indexed',
      problems: [
        { tagKey: 'autopilot:deploy', tagValue: 'tags:main', action: 'resolved', problem: BAD_DEPLOY },
      ],
    });
    expect(await world.problems.announcedProblems(api.arn)).toEqual([]);
  });

  it('keeps a fixed problem until its resolution is announced: a retry after a failed PutEvents announces it', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    await indexServices(input([byArn(api)]), world.deps);
    run(world, aService());
    const events = world.deps.events;
    world.deps.events = {
      publish: async () => {
        throw new RetryableError('PutEvents: ThrottlingException');
      },
    };
    await expect(indexServices(input([byArn(api)], 'the-fixing-tag-change'), world.deps)).rejects.toThrow(
      'ThrottlingException',
    );
    const kept = await world.problems.announcedProblems(api.arn);
    world.deps.events = events;

    // Act
    await indexServices(input([byArn(api)], 'the-fixing-tag-change'), world.deps);

    // Assess
    expect(kept).toEqual([expect.objectContaining({ resolvedBy: 'the-fixing-tag-change' })]);
    expect(problemEvents(world).map((e) => [e.detail.resolved, e.detail.triggeredBy])).toEqual([
      [false, EVENT_ID],
      [true, 'the-fixing-tag-change'],
    ]);
    expect(await world.problems.announcedProblems(api.arn)).toEqual([]);
  });

  it('announces a problem that came back while its resolution was being announced', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    await indexServices(input([byArn(api)]), world.deps);
    await world.problems.resolveProblem(api.arn, 'autopilot:deploy', 'the-fixing-tag-change');

    // Act
    await indexServices(input([byArn(api)], 'the-breaking-tag-change'), world.deps);
    await world.problems.forgetProblem(api.arn, 'autopilot:deploy', 'the-fixing-tag-change');

    // Assess
    expect(problemEvents(world).map((e) => [e.detail.resolved, e.detail.triggeredBy])).toEqual([
      [false, EVENT_ID],
      [false, 'the-breaking-tag-change'],
    ]);
    expect(await world.problems.announcedProblems(api.arn)).toEqual([
      expect.objectContaining({ triggeredBy: 'the-breaking-tag-change' }),
    ]);
  });

  it('announces a problem again when it comes back after it was fixed', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    await indexServices(input([byArn(api)]), world.deps);
    run(world, aService());
    await indexServices(input([byArn(api)], 'the-fixing-tag-change'), world.deps);
    run(world, broken());

    // Act
    await indexServices(input([byArn(api)], 'the-breaking-tag-change'), world.deps);

    // Assess
    expect(problemEvents(world).map((e) => [e.detail.resolved, e.detail.triggeredBy])).toEqual([
      [false, EVENT_ID],
      [true, 'the-fixing-tag-change'],
      [false, 'the-breaking-tag-change'],
    ]);
  });

  it('announces again on a retry of the event that announced it, whose announcement may not have gone out', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    world.problems.seedProblem({
      serviceArn: api.arn,
      cluster: 'prod',
      service: 'api',
      tagKey: 'autopilot:deploy',
      tagValue: 'tags:main',
      problem: BAD_DEPLOY,
      triggeredBy: EVENT_ID,
    });

    // Act
    await indexServices(input([byArn(api)]), world.deps);

    // Assess
    expect(problemEvents(world)).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({ triggeredBy: EVENT_ID, resolved: false }),
      }),
    ]);
  });

  it('publishes the problems found before a later service fails the run', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    const canary = run(world, aService({ name: 'api-canary' }));
    // The table throttles indexing of the second service, after the first one's problem was found.
    world.deps.index = new (class extends InMemoryServiceIndex {
      override async indexRepositories(): Promise<void> {
        throw new RetryableError('ProvisionedThroughputExceededException');
      }
    })();

    // Act
    const indexing = indexServices(input([byArn(api), byArn(canary)]), world.deps);

    // Assess
    await expect(indexing).rejects.toThrow(RetryableError);
    expect(problemEvents(world).map((e) => e.detail.service)).toEqual(['api']);
  });

  it('forgets the problems of a deleted service without a word', async () => {
    // Prepare
    const world = aWorld();
    const draining = run(world, aService({ status: 'DRAINING', tags: { 'autopilot:deploy': 'tags:main' } }));
    const gone = serviceArnOf('prod', 'deleted-api');
    const seeded = {
      cluster: 'prod',
      tagKey: 'autopilot:deploy',
      tagValue: 'tags:main',
      problem: BAD_DEPLOY,
    };
    world.problems.seedProblem({
      ...seeded,
      serviceArn: draining.arn,
      service: 'api',
      triggeredBy: 'earlier',
    });
    world.problems.seedProblem({
      ...seeded,
      serviceArn: gone,
      service: 'deleted-api',
      triggeredBy: 'earlier',
    });

    // Act
    await indexServices(
      input([byArn(draining), { cluster: clusterArnOf('prod'), service: gone }]),
      world.deps,
    );

    // Assess
    expect(world.events.published).toEqual([]);
    expect(await world.problems.announcedProblems(draining.arn)).toEqual([]);
    expect(await world.problems.announcedProblems(gone)).toEqual([]);
  });

  it('announces nothing for a service without autopilot tags', async () => {
    // Prepare
    const world = aWorld();
    const legacy = run(world, aService({ name: 'legacy', tags: { team: 'payments' } }));

    // Act
    const decisions = await indexServices(input([byArn(legacy)]), world.deps);

    // Assess
    expect(world.events.published).toEqual([]);
    expect(decisions[0]).not.toHaveProperty('problems');
  });

  describe('in a dry run', () => {
    it('announces a problem with dryRun and remembers nothing, so the next run announces it again', async () => {
      // Prepare
      const world = aWorld({ dryRun: true });
      const api = run(world, broken());

      // Act
      await indexServices(input([byArn(api)]), world.deps);
      await indexServices(input([byArn(api)], 'a-deployment-state-change'), world.deps);

      // Assess
      expect(problemEvents(world).map((e) => [e.detail.dryRun, e.detail.resolved])).toEqual([
        [true, false],
        [true, false],
      ]);
      expect(world.writes).toEqual([]);
      expect(await world.problems.announcedProblems(api.arn)).toEqual([]);
    });

    it('says what it would announce from what is remembered: nothing for a known problem, the resolution of a fixed one', async () => {
      // Prepare
      const world = aWorld({ dryRun: true });
      const api = run(
        world,
        aService({ tags: { 'autopilot:deploy': 'tag:main', 'autopilot:rollback': 'yes' } }),
      );
      const remembered = { serviceArn: api.arn, cluster: 'prod', service: 'api', triggeredBy: 'earlier' };
      world.problems.seedProblem({
        ...remembered,
        tagKey: 'autopilot:rollback',
        tagValue: 'yes',
        problem: 'autopilot:rollback "yes" is neither on nor off',
      });
      world.problems.seedProblem({
        ...remembered,
        tagKey: 'autopilot:deploy',
        tagValue: 'tags:main',
        problem: BAD_DEPLOY,
      });

      // Act
      const decisions = await indexServices(input([byArn(api)]), world.deps);

      // Assess
      expect(decisions[0]?.problems?.map((p) => [p.tagKey, p.action])).toEqual([
        ['autopilot:rollback', 'known'],
        ['autopilot:deploy', 'resolved'],
      ]);
      expect(problemEvents(world).map((e) => [e.detail.tagKey, e.detail.resolved, e.detail.dryRun])).toEqual([
        ['autopilot:deploy', true, true],
      ]);
      expect(world.writes).toEqual([]);
      expect(await world.problems.announcedProblems(api.arn)).toHaveLength(2);
    });
  });
});
