/**
 * Indexing, planned and applied: the plan re-indexing calls for, compared by equality (planning
 * writes nothing), and the applier where the problems' conditional writes answer otherwise than
 * planned.
 */
import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import { indexEffects } from '../../../../shared/domain/index/index-effects';
import {
  type IndexPlan,
  type IndexReads,
  NOT_ANNOUNCED,
  planIndexing,
} from '../../../../shared/domain/index/plan-index';
import { applyPlan } from '../../../../shared/domain/plan/plan';
import type { AnnouncedProblem, ServiceState } from '../../../../shared/ports';
import {
  anInMemoryWorld,
  aService,
  aTaskDefinitionDoc,
  clusterArnOf,
  REPOSITORY_KEY,
  serviceArnOf,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const EVENT_ID = '2d317f7d-887c-49e8-b1de-72f70884984c';
const NOW = '2026-01-13T10:05:00.000Z';
const BAD_DEPLOY =
  'autopilot:deploy value "tags:main" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off';
const DEPLOY_EFFECT =
  'Deploy on push ignores the service, and its deployments are not watched for rollback, until the tag is fixed.';
const API = serviceArnOf('prod', 'api');
const INDEXED = { serviceArn: API, clusterArn: clusterArnOf('prod'), serviceName: 'api' };

function aWorld() {
  const world = anInMemoryWorld(NOW);
  const policyFile: PolicyFile = PolicyFileSchema.parse({ version: 1 });
  const deps = { ...world, policyFile, now: world.clock.now } satisfies IndexReads;
  return { ...world, deps };
}
type World = ReturnType<typeof aWorld>;

function run(world: World, service: ServiceState): ServiceState {
  world.ecs.addService(service, aTaskDefinitionDoc());
  return service;
}

const plan = (world: World, service: ServiceState, triggeredBy = EVENT_ID) =>
  planIndexing({ refs: [{ cluster: service.clusterArn, service: service.arn }], triggeredBy }, world.deps);

const apply = (planned: IndexPlan, world: World) =>
  applyPlan(planned, indexEffects(world.deps), { dryRun: false });

const remembered = (overrides: Partial<AnnouncedProblem> = {}): AnnouncedProblem => ({
  serviceArn: API,
  cluster: 'prod',
  service: 'api',
  tagKey: 'autopilot:deploy',
  tagValue: 'tags:main',
  problem: BAD_DEPLOY,
  triggeredBy: 'earlier',
  ...overrides,
});

const broken = () => aService({ tags: { 'autopilot:deploy': 'tags:main', team: 'payments' } });

describe('planIndexing', () => {
  it('plans an opted-in service indexed under its repositories, its alarms kept, and writes nothing', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, aService());

    // Act
    const planned = await plan(world, api);

    // Assess
    expect(planned).toEqual({
      decisions: [
        { service: api.arn, action: 'indexed', repositories: [REPOSITORY_KEY], reason: 'opted in' },
      ],
      effects: [
        { kind: 'index-alarms', decision: 0, service: INDEXED, alarmNames: [] },
        { kind: 'index-repositories', decision: 0, service: INDEXED, repositoryKeys: [REPOSITORY_KEY] },
      ],
    });
    expect(world.writes).toEqual([]);
  });

  it('plans the first known good revision of a service that has run steadily for a bake time', async () => {
    // Prepare
    const world = aWorld();
    const primary = {
      id: 'ecs-svc/7',
      status: 'PRIMARY',
      taskDefinitionArn: taskDefinitionArnOf('api', 7),
      rolloutState: 'COMPLETED',
      updatedAt: '2026-01-12T10:00:00.000Z',
    };
    const api = run(world, aService({ deployments: [primary] }));

    // Act
    const planned = await plan(world, api);

    // Assess
    expect(planned.effects).toContainEqual({
      kind: 'set-last-known-good',
      decision: 0,
      serviceArn: api.arn,
      good: { taskDefinitionArn: taskDefinitionArnOf('api', 7), deploymentId: 'ecs-svc/7', at: NOW },
    });
    expect(world.writes).toEqual([]);
  });

  it('plans a new problem announced before its service, so a failure indexing leaves it said', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());

    // Act
    const planned = await plan(world, api);

    // Assess
    expect(planned).toEqual({
      decisions: [
        {
          service: api.arn,
          action: 'announced',
          reason: NOT_ANNOUNCED,
          announcement: {
            cluster: 'prod',
            service: 'api',
            serviceArn: api.arn,
            tagKey: 'autopilot:deploy',
            tagValue: 'tags:main',
            problem: BAD_DEPLOY,
            effect: DEPLOY_EFFECT,
            suggestion: 'tag:main',
            resolved: false,
            triggeredBy: EVENT_ID,
          },
        },
        { service: api.arn, action: 'removed', repositories: [], reason: BAD_DEPLOY },
      ],
      effects: [
        { kind: 'index-alarms', decision: 1, service: INDEXED, alarmNames: [] },
        { kind: 'remember-problem', decision: 0, problem: remembered({ triggeredBy: EVENT_ID }) },
        { kind: 'unindex-repositories', decision: 1, serviceArn: api.arn },
      ],
    });
    expect(world.writes).toEqual([]);
  });

  it('plans a known problem kept, and a fixed one resolved', async () => {
    // Prepare
    const world = aWorld();
    const api = run(
      world,
      aService({ tags: { 'autopilot:deploy': 'tag:main', 'autopilot:rollback': 'yes' } }),
    );
    const rollback = { tagKey: 'autopilot:rollback', tagValue: 'yes', problem: 'no' };
    world.problems.seedProblem(remembered(rollback));
    world.problems.seedProblem(remembered());

    // Act
    const planned = await plan(world, api);

    // Assess
    expect(planned.decisions.map((d) => [d.action, d.reason])).toEqual([
      ['known', 'announced before by earlier'],
      ['resolved', 'the tag no longer has the problem announced'],
      ['indexed', 'opted in'],
    ]);
    expect(planned.effects.filter((e) => e.kind.endsWith('-problem'))).toEqual([
      {
        kind: 'remember-problem',
        decision: 0,
        problem: expect.objectContaining({ tagKey: 'autopilot:rollback' }),
      },
      {
        kind: 'resolve-problem',
        decision: 1,
        serviceArn: api.arn,
        tagKey: 'autopilot:deploy',
        triggeredBy: EVENT_ID,
      },
    ]);
    expect(world.writes).toEqual([]);
  });

  it('plans the problems of a vanished service forgotten without a word', async () => {
    // Prepare
    const world = aWorld();
    const gone = serviceArnOf('prod', 'deleted-api');
    world.problems.seedProblem(remembered({ serviceArn: gone, service: 'deleted-api' }));

    // Act
    const planned = await planIndexing(
      { refs: [{ cluster: clusterArnOf('prod'), service: gone }], triggeredBy: EVENT_ID },
      world.deps,
    );

    // Assess
    expect(planned).toEqual({
      decisions: [{ service: gone, action: 'removed', repositories: [], reason: 'service not found' }],
      effects: [
        { kind: 'unindex-repositories', decision: 0, serviceArn: gone },
        { kind: 'forget-problem', decision: 0, serviceArn: gone, tagKey: 'autopilot:deploy' },
      ],
    });
    expect(world.writes).toEqual([]);
  });
});

describe('indexEffects', () => {
  it('keeps a problem another event announced between planning and applying', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    const planned = await plan(world, api);
    world.problems.seedProblem(remembered({ triggeredBy: 'a-concurrent-event' }));

    // Act
    const done = await apply(planned, world);

    // Assess
    expect(done.map((d) => [d.action, d.reason])).toEqual([
      ['known', 'announced before by another event'],
      ['removed', BAD_DEPLOY],
    ]);
  });

  it('announces a known problem another run forgot meanwhile', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    world.problems.seedProblem(remembered());
    const planned = await plan(world, api);
    await world.problems.forgetProblem(api.arn, 'autopilot:deploy');

    // Act
    const done = await apply(planned, world);

    // Assess
    expect(planned.decisions[0]?.action).toBe('known');
    expect(done[0]).toMatchObject({ action: 'announced', reason: NOT_ANNOUNCED });
  });

  it('says nothing of a resolution another run made first', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, aService());
    world.problems.seedProblem(remembered());
    const planned = await plan(world, api);
    await world.problems.forgetProblem(api.arn, 'autopilot:deploy');

    // Act
    const done = await apply(planned, world);

    // Assess
    expect(done.map((d) => d.action)).toEqual(['resolved-elsewhere', 'indexed']);
  });

  it('says nothing of a resolution another run is announcing, and keeps its claim', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, aService());
    world.problems.seedProblem(remembered());
    const planned = await plan(world, api);
    await world.problems.resolveProblem(api.arn, 'autopilot:deploy', 'a concurrent tag change');

    // Act
    const done = await apply(planned, world);

    // Assess
    expect(done.map((d) => d.action)).toEqual(['resolved-elsewhere', 'indexed']);
    expect(await world.problems.announcedProblems(api.arn)).toEqual([
      expect.objectContaining({ resolvedBy: 'a concurrent tag change' }),
    ]);
  });

  it('applies nothing in a dry run', async () => {
    // Prepare
    const world = aWorld();
    const api = run(world, broken());
    const planned = await plan(world, api);

    // Act
    const done = await applyPlan(planned, indexEffects(world.deps), { dryRun: true });

    // Assess
    expect(done.map((d) => [d.action, d.dryRun])).toEqual([
      ['announced', true],
      ['removed', true],
    ]);
    expect(world.writes).toEqual([]);
  });
});
