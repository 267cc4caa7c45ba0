import { type PolicyFile, PolicyFileSchema } from '../../../shared/config/policy-file';
import {
  type IndexDeps,
  indexServices,
  notFollowed,
  reconcileIndex,
  repositoriesOf,
} from '../../../shared/domain/index-services';
import type { ServiceState, TaskDefinitionDocument } from '../../../shared/ports';
import {
  ACCOUNT,
  aDigest,
  anInMemoryWorld,
  aService,
  aTaskDefinitionDoc,
  clusterArnOf,
  IMAGE,
  REGISTRY,
  REPOSITORY_KEY,
  SIDECAR_IMAGE,
  serviceArnOf,
  taskDefinitionArnOf,
} from '../../support/in-memory';

const WORKER_KEY = `${ACCOUNT}:eu-west-1:team/worker`;
const WORKER_IMAGE = `${REGISTRY}/team/worker:main`;

type World = ReturnType<typeof anInMemoryWorld> & { deps: IndexDeps };

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

function aWorld(options: { dryRun?: boolean; policy?: Record<string, unknown> } = {}): World {
  const world = anInMemoryWorld();
  return {
    ...world,
    deps: {
      ecs: world.ecs,
      inventory: world.ecs,
      state: world.state,
      policyFile: policyFile(options.policy),
      dryRun: options.dryRun ?? false,
    },
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
      'autopilot:deploy value "always" is not tag:<name>, semver:major|minor|patch, match or off',
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
    const decisions = await indexServices([byArn(api)], world.deps);

    // Assess
    expect(decisions).toEqual([
      { service: api.arn, action: 'indexed', repositories: [REPOSITORY_KEY, WORKER_KEY], reason: 'opted in' },
    ]);
    expect(world.state.repositoriesOf(api.arn)).toEqual([REPOSITORY_KEY, WORKER_KEY]);
    expect(await world.state.servicesForRepository(REPOSITORY_KEY)).toEqual([
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
    world.state.seedIndex({ serviceArn: api.arn, clusterArn: api.clusterArn, serviceName: 'api' }, [
      REPOSITORY_KEY,
    ]);

    // Act
    await indexServices([byArn(api)], world.deps);

    // Assess
    expect(world.state.repositoriesOf(api.arn)).toEqual([WORKER_KEY]);
    expect(await world.state.servicesForRepository(REPOSITORY_KEY)).toEqual([]);
  });

  it('removes a service that is not opted in', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, aService({ tags: { 'autopilot:deploy': 'off' } }));
    world.state.seedIndex({ serviceArn: api.arn, clusterArn: api.clusterArn, serviceName: 'api' }, [
      REPOSITORY_KEY,
    ]);

    // Act
    const decisions = await indexServices([byArn(api)], world.deps);

    // Assess
    expect(decisions).toEqual([
      { service: api.arn, action: 'removed', repositories: [], reason: 'autopilot:deploy is off' },
    ]);
    expect(world.state.repositoriesOf(api.arn)).toEqual([]);
    expect(world.ecs.describeTaskDefinitionCount).toBe(0);
  });

  it('removes a service given by ARN that no longer exists', async () => {
    // Prepare
    const world = aWorld();
    const gone = serviceArnOf('prod', 'deleted-api');
    world.state.seedIndex(
      { serviceArn: gone, clusterArn: clusterArnOf('prod'), serviceName: 'deleted-api' },
      [REPOSITORY_KEY],
    );

    // Act
    const decisions = await indexServices([{ cluster: clusterArnOf('prod'), service: gone }], world.deps);

    // Assess
    expect(decisions).toEqual([
      { service: gone, action: 'removed', repositories: [], reason: 'service not found' },
    ]);
    expect(world.state.writes).toEqual([{ op: 'unindexService', serviceArn: gone }]);
    expect(await world.state.servicesForRepository(REPOSITORY_KEY)).toEqual([]);
  });

  it('ignores a missing service given by name (nothing to remove by)', async () => {
    // Prepare
    const world = aWorld();

    // Act
    const decisions = await indexServices([{ cluster: 'prod', service: 'deleted-api' }], world.deps);

    // Assess
    expect(decisions).toEqual([]);
    expect(world.state.writes).toEqual([]);
  });

  it('describes a task definition shared by several services once', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, aService());
    const canary = run(world, aService({ name: 'api-canary' }));

    // Act
    const decisions = await indexServices([byArn(api), byArn(canary)], world.deps);

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
      [byArn(api), byArn(off), { cluster: clusterArnOf('prod'), service: gone }],
      world.deps,
    );

    // Assess
    expect(decisions.map((d) => [d.service, d.action])).toEqual([
      [api.arn, 'indexed'],
      [off.arn, 'removed'],
      [gone, 'removed'],
    ]);
    expect(world.state.writes).toEqual([]);
  });

  it('does nothing without services', async () => {
    // Prepare
    const world = aWorld();

    // Act
    const decisions = await indexServices([], world.deps);

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
    world.state.seedIndex(
      { serviceArn: prodOff.arn, clusterArn: prodOff.clusterArn, serviceName: prodOff.name },
      [REPOSITORY_KEY],
    );

    // Act
    const decisions = await reconcileIndex(world.deps);

    // Assess
    expect(decisions.map((d) => [d.service, d.action, d.repositories])).toEqual([
      [prodApi.arn, 'indexed', [REPOSITORY_KEY]],
      [prodOff.arn, 'removed', []],
      [stagingApi.arn, 'indexed', [REPOSITORY_KEY]],
      [stagingWorker.arn, 'indexed', [WORKER_KEY]],
    ]);
    expect((await world.state.servicesForRepository(REPOSITORY_KEY)).map((s) => s.serviceArn)).toEqual([
      prodApi.arn,
      stagingApi.arn,
    ]);
    expect((await world.state.servicesForRepository(WORKER_KEY)).map((s) => s.serviceArn)).toEqual([
      stagingWorker.arn,
    ]);
  });

  it('writes nothing in a dry run', async () => {
    // Prepare
    const world = aWorld({ dryRun: true });
    run(world, aService());
    run(world, aService({ clusterName: 'staging' }));

    // Act
    const decisions = await reconcileIndex(world.deps);

    // Assess
    expect(decisions).toHaveLength(2);
    expect(world.state.writes).toEqual([]);
  });
});
