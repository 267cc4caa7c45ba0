import { PolicyFileSchema } from '../../../../shared/config/policy-file';
import { type IndexDeps, indexServices } from '../../../../shared/domain/index/index-services';
import { reconcileIndex } from '../../../../shared/domain/index/reconcile';
import type { ServicePage } from '../../../../shared/ports';
import {
  ACCOUNT,
  anInMemoryWorld,
  aService,
  aTaskDefinitionDoc,
  indexDepsOf,
  REGISTRY,
  REPOSITORY_KEY,
  taskDefinitionArnOf,
} from '../../../support/in-memory';
import type { StateWrite } from '../../../support/in-memory-state';

const HOUR = 3_600_000;
const PERIOD = 6 * HOUR;
const WORKER_KEY = `${ACCOUNT}:eu-west-1:team/worker`;

type World = ReturnType<typeof anInMemoryWorld>;

/** The indexer's ports on a world of fakes, with a policy file of `content`. */
function depsOf(world: World, content: Record<string, unknown> = {}): IndexDeps {
  return indexDepsOf(world, PolicyFileSchema.parse({ version: 1, ...content }));
}

/** `count` services in each of `clusters` clusters, all following team/api on api:7. */
function anAccount(clusters: number, count: number): World {
  const world = anInMemoryWorld();
  world.ecs.servicePageSize = 10;
  for (let c = 0; c < clusters; c++) {
    for (let s = 0; s < count; s++) {
      world.ecs.addService(aService({ clusterName: `c${c}`, name: `svc${s}` }), aTaskDefinitionDoc());
    }
  }
  return world;
}

/** The writes of the index, problems and known good revisions: what indexing changes. */
const indexWrites = (writes: readonly StateWrite[]) =>
  writes.filter((w) => !['claimSweep', 'saveSweep', 'releaseSweep'].includes(w.op));

/** The reads of ECS and the queries of the reconcile's memory, by operation. */
const readsOf = (world: World) => ({
  ...world.ecs.reads,
  DescribeTaskDefinition: world.ecs.describeTaskDefinitionCount,
});

/** A sweep's next run: the clock moved on past the sweep's period. */
const later = (world: World, hours: number) =>
  world.clock.set(new Date(world.clock.now().getTime() + hours * HOUR).toISOString());

describe('reconcileIndex', () => {
  it('indexes every service on the first run, and finds nothing to write on an unchanged second run', async () => {
    // Prepare
    const world = anAccount(3, 25);
    const deps = depsOf(world);
    const first = await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, deps);
    later(world, 7);
    world.writes.length = 0;
    world.ecs.describeTaskDefinitionCount = 0;
    Object.assign(world.ecs.reads, { ListServices: 0, DescribeServices: 0 });

    // Act
    const second = await reconcileIndex({ triggeredBy: 'second', periodMs: PERIOD }, deps);

    // Assess
    expect(first.counts).toEqual({ unchanged: 0, indexed: 75, removed: 0, problems: 0 });
    expect(first.decisions).toHaveLength(5);
    expect(second).toMatchObject({ status: 'finished', sweepId: 'second' });
    expect(second.counts).toEqual({ unchanged: 75, indexed: 0, removed: 0, problems: 0 });
    expect(indexWrites(world.writes)).toEqual([]);
    // 3 clusters of 25 services, 10 a page: 3 pages and 3 DescribeServices per cluster.
    expect(readsOf(world)).toEqual({ ListServices: 9, DescribeServices: 9, DescribeTaskDefinition: 0 });
  });

  it('describes a revision once for all the services that run it', async () => {
    // Prepare
    const world = anAccount(2, 30);

    // Act
    await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, depsOf(world));

    // Assess
    expect(world.ecs.describeTaskDefinitionCount).toBe(1);
    expect(await world.index.servicesForRepository(REPOSITORY_KEY)).toHaveLength(60);
  });

  it("reads the problems announced for a cluster's changed services with one query, and announces a new one", async () => {
    // Prepare
    const world = anAccount(1, 20);
    const deps = depsOf(world);
    const asked: string[] = [];
    const problems = world.problems;
    deps.problems = Object.assign(Object.create(problems), {
      announcedProblems: (arn: string) => {
        asked.push(arn);
        return problems.announcedProblems(arn);
      },
      announcedProblemsOfCluster: (arn: string) => {
        asked.push(arn);
        return problems.announcedProblemsOfCluster(arn);
      },
    });
    world.ecs.addService(
      aService({ clusterName: 'c0', name: 'svc3', tags: { 'autopilot:deploy': 'tags:main' } }),
    );

    // Act
    const summary = await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, deps);

    // Assess
    expect(asked).toEqual([
      aService({ clusterName: 'c0' }).clusterArn,
      aService({ clusterName: 'c0' }).clusterArn,
    ]);
    expect(summary.counts.problems).toBe(1);
    expect(world.events.published).toHaveLength(1);
  });

  it('indexes again a service whose tags or revision changed, and only it', async () => {
    // Prepare
    const world = anAccount(1, 3);
    const deps = depsOf(world);
    await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, deps);
    const worker = taskDefinitionArnOf('worker', 1);
    world.ecs.addService(
      aService({ clusterName: 'c0', name: 'svc1', taskDefinitionArn: worker }),
      aTaskDefinitionDoc({ family: 'worker', revision: 1, image: `${REGISTRY}/team/worker:main` }),
    );
    world.ecs.addService(aService({ clusterName: 'c0', name: 'svc2', tags: { 'autopilot:deploy': 'off' } }));
    later(world, 7);
    world.writes.length = 0;

    // Act
    const second = await reconcileIndex({ triggeredBy: 'second', periodMs: PERIOD }, deps);

    // Assess
    expect(second.counts).toEqual({ unchanged: 1, indexed: 1, removed: 1, problems: 0 });
    expect(world.index.repositoriesOf(aService({ clusterName: 'c0', name: 'svc1' }).arn)).toEqual([
      WORKER_KEY,
    ]);
    expect(world.index.repositoriesOf(aService({ clusterName: 'c0', name: 'svc2' }).arn)).toEqual([]);
    const written = new Set(indexWrites(world.writes).map((w) => ('serviceArn' in w ? w.serviceArn : '')));
    expect(written.has(aService({ clusterName: 'c0', name: 'svc0' }).arn)).toBe(false);
  });

  it('finds a service an event indexed unchanged, and one whose undoing event was missed changed', async () => {
    // Prepare
    const world = anAccount(1, 2);
    const deps = depsOf(world);
    await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, deps);
    const [off, on] = [
      aService({ clusterName: 'c0', name: 'svc0', tags: { 'autopilot:deploy': 'off' } }),
      aService({ clusterName: 'c0', name: 'svc1', tags: { 'autopilot:deploy': 'off' } }),
    ];
    for (const service of [off, on]) {
      world.ecs.addService(service);
      await indexServices(
        { refs: [{ cluster: service.clusterArn, service: service.arn }], triggeredBy: 'tag' },
        deps,
      );
    }
    // The event that turned svc1 on again never came.
    world.ecs.addService(aService({ clusterName: 'c0', name: 'svc1' }));
    later(world, 7);

    // Act
    const second = await reconcileIndex({ triggeredBy: 'second', periodMs: PERIOD }, deps);

    // Assess
    expect(second.counts).toEqual({ unchanged: 1, indexed: 1, removed: 0, problems: 0 });
    expect(world.index.repositoriesOf(off.arn)).toEqual([]);
    expect(world.index.repositoriesOf(on.arn)).toEqual([REPOSITORY_KEY]);
  });

  it('unindexes a service that is gone, and forgets it', async () => {
    // Prepare
    const world = anAccount(1, 2);
    const deps = depsOf(world);
    await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, deps);
    const gone = aService({ clusterName: 'c0', name: 'svc1' });
    world.ecs.removeService(gone.arn);
    later(world, 7);

    // Act
    const second = await reconcileIndex({ triggeredBy: 'second', periodMs: PERIOD }, deps);

    // Assess
    expect(second.counts).toEqual({ unchanged: 1, indexed: 0, removed: 1, problems: 0 });
    expect(second.decisions).toEqual([
      expect.objectContaining({ service: gone.arn, action: 'removed', reason: 'service not found' }),
    ]);
    expect((await world.index.servicesForRepository(REPOSITORY_KEY)).map((s) => s.serviceArn)).not.toContain(
      gone.arn,
    );
    expect((await world.sweep.fingerprintsOf(gone.clusterArn)).map((f) => f.serviceArn)).not.toContain(
      gone.arn,
    );
  });

  it('stops at its deadline after a whole page and goes on from the checkpoint: the runs together index what one run does', async () => {
    // Prepare
    const whole = anAccount(3, 25);
    await reconcileIndex({ triggeredBy: 'whole', periodMs: PERIOD }, depsOf(whole));
    const world = anAccount(3, 25);
    const deps = depsOf(world);
    // Each page of ListServices takes a minute of the clock; each run has four.
    const inventory = deps.inventory;
    deps.inventory = {
      listClusters: () => inventory.listClusters(),
      listServices: (arn) => inventory.listServices(arn),
      listServicePage: async (arn, token): Promise<ServicePage> => {
        later(world, 1 / 60);
        return inventory.listServicePage(arn, token);
      },
    };
    const runs = [];

    // Act
    for (let run = 0; run < 10; run++) {
      const deadline = new Date(world.clock.now().getTime() + 4 * 60_000);
      const summary = await reconcileIndex({ triggeredBy: `run-${run}`, deadline, periodMs: PERIOD }, deps);
      runs.push(summary);
      if (summary.status === 'finished') break;
    }

    // Assess
    expect(runs.map((r) => r.status)).toEqual(['continues', 'continues', 'finished']);
    expect(new Set(runs.map((r) => r.sweepId))).toEqual(new Set(['run-0']));
    expect(runs.reduce((n, r) => n + r.counts.indexed, 0)).toBe(75);
    expect(await world.index.servicesForRepository(REPOSITORY_KEY)).toEqual(
      expect.arrayContaining(await whole.index.servicesForRepository(REPOSITORY_KEY)),
    );
    expect(await world.index.servicesForRepository(REPOSITORY_KEY)).toHaveLength(75);
  });

  it('leaves the sweep to the run that holds it: a second run at once does nothing', async () => {
    // Prepare
    const world = anAccount(1, 2);
    const deps = depsOf(world);
    await world.sweep.claimSweep(
      'the other run',
      world.clock.now().toISOString(),
      '2099-01-01T00:00:00.000Z',
    );

    // Act
    const summary = await reconcileIndex({ triggeredBy: 'this run', periodMs: PERIOD }, deps);

    // Assess
    expect(summary.status).toBe('busy');
    expect(indexWrites(world.writes)).toEqual([]);
  });

  it('takes over a sweep whose holder ran out of time', async () => {
    // Prepare
    const world = anAccount(1, 2);
    const deps = depsOf(world);
    const now = world.clock.now();
    await world.sweep.claimSweep('a run that died', now.toISOString(), now.toISOString());
    later(world, 1 / 6);

    // Act
    const summary = await reconcileIndex({ triggeredBy: 'this run', periodMs: PERIOD }, deps);

    // Assess
    expect(summary).toMatchObject({ status: 'finished', counts: { indexed: 2 } });
  });

  it('stops where another run took the sweep over from it, its lease run out, and leaves it the checkpoint', async () => {
    // Prepare
    const world = anAccount(2, 20);
    const deps = depsOf(world);
    const inventory = deps.inventory;
    let pages = 0;
    deps.inventory = {
      listClusters: () => inventory.listClusters(),
      listServices: (arn) => inventory.listServices(arn),
      listServicePage: async (arn, token): Promise<ServicePage> => {
        pages += 1;
        // The second page: this run's lease ran out, and another run claimed the sweep.
        if (pages === 2)
          await world.sweep.claimSweep(
            'the other run',
            '2099-01-01T00:00:00.000Z',
            '2099-01-01T00:15:00.000Z',
          );
        return inventory.listServicePage(arn, token);
      },
    };

    // Act
    const summary = await reconcileIndex({ triggeredBy: 'this run', periodMs: PERIOD }, deps);

    // Assess
    expect(summary).toMatchObject({ status: 'busy', counts: { indexed: 20 } });
    expect(pages).toBe(2);
    expect((await world.sweep.currentSweep())?.cursor).toEqual({
      clusterArn: aService({ clusterName: 'c0' }).clusterArn,
      nextToken: '10',
    });
  });

  it('starts no sweep within the period after the last one started', async () => {
    // Prepare
    const world = anAccount(1, 2);
    const deps = depsOf(world);
    await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, deps);
    later(world, 1);

    // Act
    const summary = await reconcileIndex({ triggeredBy: 'second', periodMs: PERIOD }, deps);

    // Assess
    expect(summary).toMatchObject({ status: 'not-due', sweepId: 'first' });
  });

  it('evaluates every service again when the policy file changed', async () => {
    // Prepare
    const world = anAccount(2, 5);
    await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, depsOf(world));
    later(world, 7);

    // Act
    const second = await reconcileIndex(
      { triggeredBy: 'second', periodMs: PERIOD },
      depsOf(world, { defaults: { deploy: 'off' } }),
    );

    // Assess
    expect(second.counts).toEqual({ unchanged: 0, indexed: 10, removed: 0, problems: 0 });
  });

  it('indexes an unchanged service again before its index entries expire', async () => {
    // Prepare
    const world = anAccount(1, 4);
    const deps = depsOf(world);
    await reconcileIndex({ triggeredBy: 'first', periodMs: PERIOD }, deps);
    later(world, 5 * 24);

    // Act
    const renewed = await reconcileIndex({ triggeredBy: 'renewal', periodMs: PERIOD }, deps);

    // Assess
    expect(renewed.counts).toEqual({ unchanged: 0, indexed: 4, removed: 0, problems: 0 });
  });

  it('writes nothing in a dry run, the checkpoint neither', async () => {
    // Prepare
    const world = anAccount(2, 3);
    const deps = { ...depsOf(world), dryRun: true };

    // Act
    const summary = await reconcileIndex({ triggeredBy: 'dry', periodMs: PERIOD }, deps);

    // Assess
    expect(summary).toMatchObject({ status: 'finished', dryRun: true, counts: { indexed: 6 } });
    expect(world.writes).toEqual([]);
  });
});
