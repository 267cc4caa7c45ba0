/**
 * `autopilot sync`, the use case on in-memory ports: the newest image a service accepts, deployed to
 * that service alone through deploy on push's own path (lease, plan under it, effects, events),
 * whether or not the index lists it; paused, deferred, quarantined, nothing to do; a dry run writes
 * nothing.
 */
import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import { deployDuePushes } from '../../../../shared/domain/deploy/deploy-pushed-image';
import { MAX_SYNC_IMAGES, type SyncDeps, syncService } from '../../../../shared/domain/deploy/sync-service';
import { DEPLOYMENT_SCHEDULED, DEPLOYMENT_STARTED } from '../../../../shared/events/autopilot-events';
import type { ServiceState } from '../../../../shared/ports';
import {
  aDigest,
  anInMemoryWorld,
  aService,
  aTaskDefinitionDoc,
  REGISTRY,
  SIDECAR_IMAGE,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const NOW = '2026-01-13T10:05:00.000Z';
const PAYMENTS = 'team/payments';
const PAYMENTS_KEY = `123456789012:eu-west-1:${PAYMENTS}`;
const digestOf = (tag: string) => aDigest(`team/payments ${tag}`);
const pinned = (repository: string, digest: string) => `${REGISTRY}/${repository}@${digest}`;

type World = ReturnType<typeof anInMemoryWorld> & { deps: SyncDeps };

function aWorld(policy: Record<string, unknown> = {}): World {
  const world = anInMemoryWorld(NOW);
  const policyFile: PolicyFile = PolicyFileSchema.parse({ version: 1, ...policy });
  return {
    ...world,
    deps: {
      ecs: world.ecs,
      ecr: world.ecr,
      catalog: world.ecr,
      index: world.index,
      quarantine: world.quarantine,
      history: world.history,
      lease: world.lease,
      pending: world.pending,
      skips: world.skips,
      pauses: world.pauses,
      events: world.events,
      policyFile,
      dryRun: false,
      now: world.clock.now,
    },
  };
}

/** Pushes of team/payments, each at its own minute of 2026-01-13 (`09:mm`). */
function pushVersions(world: World, ...tags: string[]): void {
  tags.forEach((tag, i) => {
    world.ecr.pushImage({
      repositoryName: PAYMENTS,
      tag,
      digest: digestOf(tag),
      pushedAt: new Date(`2026-01-13T09:${String(10 + i).padStart(2, '0')}:00.000Z`),
    });
  });
}

/**
 * prod/payments, on `mode`, running team/payments at `tag` pinned by digest (and the sidecar), not in
 * the index: it was just opted in.
 */
function payments(
  world: World,
  mode: string,
  tag: string,
  overrides: Partial<ServiceState> = {},
): ServiceState {
  const service = aService({
    name: 'payments',
    taskDefinitionArn: taskDefinitionArnOf('payments', 3),
    tags: { 'autopilot:deploy': mode },
    ...overrides,
  });
  world.ecs.addService(
    service,
    aTaskDefinitionDoc({ family: 'payments', revision: 3, image: pinned(PAYMENTS, digestOf(tag)) }),
  );
  return service;
}

let ids = 0;
/** alice syncs prod/payments; each push made up is `sync-<n>`. */
const request = (extra: { dryRun?: boolean } = {}) => ({
  service: { cluster: 'prod', service: 'payments' },
  by: 'alice',
  newEventId: () => `sync-${++ids}`,
  ...extra,
});

const imagesOf = (world: World, service: ServiceState) => {
  const running = world.ecs.service(service.arn)?.taskDefinitionArn ?? '';
  return Object.fromEntries(
    (world.ecs.taskDefinition(running)?.definition.containerDefinitions ?? []).map((c) => [c.name, c.image]),
  );
};

beforeEach(() => {
  ids = 0;
});

describe('syncService', () => {
  it('deploys the highest version semver:minor accepts to a service the index does not list, then has nothing to do', async () => {
    // Prepare: prod/payments runs 1.4.0; 1.5.0, 1.6.0 and 2.0.0 were pushed before it opted in
    const world = aWorld();
    pushVersions(world, '1.4.0', '1.5.0', '1.6.0', '2.0.0');
    const service = payments(world, 'semver:minor', '1.4.0');
    // Another service of the repository, which the index lists: sync is for prod/payments alone.
    const other = aService({
      name: 'payments',
      clusterName: 'staging',
      taskDefinitionArn: taskDefinitionArnOf('payments', 3),
      tags: { 'autopilot:deploy': 'semver:minor' },
    });
    world.ecs.addService(other);
    world.index.seedRepositories(
      { serviceArn: other.arn, clusterArn: other.clusterArn, serviceName: other.name },
      [PAYMENTS_KEY],
    );

    // Act
    const first = await syncService(request(), world.deps);
    const second = await syncService(request(), world.deps);

    // Assess
    expect(first).toMatchObject({
      service: 'prod/payments',
      outcome: 'deployed',
      dryRun: false,
      repositories: [
        {
          repository: PAYMENTS,
          outcome: 'deployed',
          chosen: {
            tag: '1.6.0',
            digest: digestOf('1.6.0'),
            why: 'the highest of 2 tags semver:minor accepts',
          },
          imagesRead: 4,
          eventId: 'sync-1',
          reason: '1.6.0 is an allowed upgrade (semver:minor); autopilot sync by alice',
          decision: { action: 'deploy', toTaskDefinition: taskDefinitionArnOf('payments', 4) },
        },
      ],
    });
    expect(imagesOf(world, service)).toEqual({
      app: pinned(PAYMENTS, digestOf('1.6.0')),
      'log-router': SIDECAR_IMAGE,
    });
    // Deploy on push's own events and records: one Deployment Started, caused by the sync's push.
    expect(world.events.published).toEqual([
      {
        detailType: DEPLOYMENT_STARTED,
        detail: expect.objectContaining({
          service: 'payments',
          tag: '1.6.0',
          triggeredBy: 'sync-1',
          reason: '1.6.0 is an allowed upgrade (semver:minor); autopilot sync by alice',
        }),
      },
    ]);
    expect(await world.history.recentDeployments(service.arn, 5)).toEqual([
      expect.objectContaining({ tag: '1.6.0', triggeredBy: 'sync-1' }),
    ]);
    expect(await world.lease.getWatermark(service.arn, PAYMENTS_KEY)).toMatchObject({ tag: '1.6.0' });
    expect(second).toMatchObject({
      outcome: 'unchanged',
      reason:
        'it runs team/payments:1.6.0, and semver:minor accepts no newer tag (2.0.0 is a major upgrade from 1.6.0; semver:minor allows minor upgrades at most)',
      repositories: [{ outcome: 'unchanged' }],
    });
    expect(world.ecs.calls.filter((c) => c.op === 'updateService')).toEqual([
      expect.objectContaining({ cluster: 'prod', service: 'payments' }),
    ]);
    expect(world.ecs.service(other.arn)?.taskDefinitionArn).toBe(taskDefinitionArnOf('payments', 3));
  });

  it('deploys what the followed tag points at, and leaves a service that runs it alone', async () => {
    // Prepare: prod/api follows tag:main and runs an older build; main moved on
    const world = aWorld();
    const running = aDigest('old main');
    const main = aDigest('new main');
    world.ecr.pushImage({ repositoryName: 'team/api', tag: 'main', digest: running });
    world.ecr.pushImage({ repositoryName: 'team/api', tag: 'main', digest: main });
    const service = aService();
    world.ecs.addService(service, aTaskDefinitionDoc({ image: pinned('team/api', running) }));
    const api = { ...request(), service: { cluster: 'prod', service: 'api' } };

    // Act
    const first = await syncService(api, world.deps);
    const published = world.events.published.length;
    const second = await syncService(api, world.deps);

    // Assess
    expect(first.repositories).toEqual([
      expect.objectContaining({
        outcome: 'deployed',
        chosen: { tag: 'main', digest: main, why: 'the image team/api:main points at now' },
        reason: 'follows tag main; autopilot sync by alice',
      }),
    ]);
    // The followed tag is read by itself: the repository's images are not listed.
    expect(world.ecr.listings).toEqual([]);
    expect(imagesOf(world, service).app).toBe(pinned('team/api', main));
    expect(second).toMatchObject({
      outcome: 'unchanged',
      reason: 'already running this digest; autopilot sync by alice',
    });
    expect(world.events.published).toHaveLength(published);
  });

  it('defers a paused service to the end of its pause, saved as a pending push that says who paused it', async () => {
    // Prepare
    const world = aWorld();
    pushVersions(world, '1.4.0', '1.5.0');
    const service = payments(world, 'semver:minor', '1.4.0');
    const until = '2026-01-13T12:00:00.000Z';
    await world.pauses.pause({ scope: 'cluster:prod', until, by: 'bob', at: NOW, notifyOnly: false });

    // Act
    const synced = await syncService(request(), world.deps);

    // Assess
    const reason = `paused until ${until} by bob: 1.5.0 is an allowed upgrade (semver:minor); autopilot sync by alice`;
    expect(synced).toMatchObject({
      outcome: 'deferred',
      repositories: [{ outcome: 'deferred', dueAt: until, reason }],
    });
    expect(await world.pending.pendingOf(service.arn)).toEqual([
      expect.objectContaining({
        dueAt: until,
        push: expect.objectContaining({ eventId: 'sync-1', tag: '1.5.0', origin: 'autopilot sync by alice' }),
      }),
    ]);
    expect(world.events.published).toEqual([
      { detailType: DEPLOYMENT_SCHEDULED, detail: expect.objectContaining({ dueAt: until, reason }) },
    ]);
    expect(world.ecs.calls).toEqual([]);
  });

  it("defers an image younger than the policy's minimum age, and deploy-due deploys it when due, still saying it came from sync", async () => {
    // Prepare: a minimum age of 2h; 1.5.0 was pushed at 09:11, so it is due at 11:11
    const world = aWorld({ defaults: { minImageAge: '2h' } });
    pushVersions(world, '1.4.0', '1.5.0');
    const service = payments(world, 'semver:minor', '1.4.0');

    // Act
    const synced = await syncService(request(), world.deps);
    world.clock.set('2026-01-13T11:12:00.000Z');
    const due = await deployDuePushes(world.deps);

    // Assess
    expect(synced).toMatchObject({
      outcome: 'deferred',
      repositories: [{ dueAt: '2026-01-13T11:11:00.000Z' }],
    });
    expect(due).toEqual([
      expect.objectContaining({
        action: 'deploy',
        reason: '1.5.0 is an allowed upgrade (semver:minor); autopilot sync by alice',
      }),
    ]);
    expect(imagesOf(world, service).app).toBe(pinned(PAYMENTS, digestOf('1.5.0')));
  });

  it('refuses a quarantined digest, changing nothing', async () => {
    // Prepare
    const world = aWorld();
    pushVersions(world, '1.4.0', '1.5.0');
    payments(world, 'semver:minor', '1.4.0');
    world.quarantine.seedQuarantined({
      repositoryKey: PAYMENTS_KEY,
      repository: PAYMENTS,
      digest: digestOf('1.5.0'),
      reason: 'crash loop on prod/payments',
      at: NOW,
    });

    // Act
    const synced = await syncService(request(), world.deps);

    // Assess
    expect(synced).toMatchObject({
      outcome: 'refused',
      reason: `digest ${digestOf('1.5.0')} is quarantined; autopilot sync by alice`,
    });
    expect(world.ecs.calls).toEqual([]);
    expect(world.events.published).toEqual([]);
  });

  it("plans in dry run, explain's answer for the image chosen, and writes nothing", async () => {
    // Prepare
    const world = aWorld();
    pushVersions(world, '1.4.0', '1.5.0', '1.6.0');
    payments(world, 'semver:minor', '1.4.0');

    // Act
    const planned = await syncService(request({ dryRun: true }), world.deps);

    // Assess
    expect(planned).toMatchObject({
      outcome: 'deployed',
      dryRun: true,
      repositories: [
        {
          outcome: 'deployed',
          dryRun: true,
          chosen: { tag: '1.6.0' },
          plan: {
            action: 'deploy',
            wouldDeploy: true,
            reason: '1.6.0 is an allowed upgrade (semver:minor); autopilot sync by alice',
            indexed: false,
            image: { tag: '1.6.0', digest: digestOf('1.6.0') },
          },
        },
      ],
    });
    expect(planned.repositories[0]?.eventId).toBeUndefined();
    expect(world.writes).toEqual([]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.events.published).toEqual([]);
  });

  it('deploys each repository the revision runs, the second on the revision the first registered', async () => {
    // Prepare: prod/api runs team/api and team/worker, both following main
    const world = aWorld();
    const [api, worker] = [aDigest('api main'), aDigest('worker main')];
    world.ecr.pushImage({ repositoryName: 'team/api', tag: 'main', digest: api });
    world.ecr.pushImage({ repositoryName: 'team/worker', tag: 'main', digest: worker });
    const service = aService();
    world.ecs.addService(
      service,
      aTaskDefinitionDoc({
        containers: [
          { name: 'app', image: `${REGISTRY}/team/api:main`, essential: true },
          { name: 'worker', image: `${REGISTRY}/team/worker:main`, essential: true },
          { name: 'log-router', image: SIDECAR_IMAGE, essential: false },
        ],
      }),
    );

    // Act
    const synced = await syncService(
      { ...request(), service: { cluster: 'prod', service: 'api' } },
      world.deps,
    );

    // Assess
    expect(synced.outcome).toBe('deployed');
    expect(synced.repositories.map((r) => [r.repository, r.outcome, r.eventId])).toEqual([
      ['team/api', 'deployed', 'sync-1'],
      ['team/worker', 'deployed', 'sync-2'],
    ]);
    expect(imagesOf(world, service)).toEqual({
      app: pinned('team/api', api),
      worker: pinned('team/worker', worker),
      'log-router': SIDECAR_IMAGE,
    });
    expect(world.events.published.map((e) => e.detailType)).toEqual([DEPLOYMENT_STARTED, DEPLOYMENT_STARTED]);
  });

  it.each([
    ['a service that does not exist', 'nothing', 'service prod/nothing not found'],
    [
      'a service not opted in',
      'untagged',
      'prod/payments does not follow its repositories: no autopilot:deploy tag',
    ],
    [
      'a service whose autopilot:deploy is off',
      'off',
      'prod/payments does not follow its repositories: autopilot:deploy is off',
    ],
  ])('refuses %s before reading ECR', async (_name, kind, reason) => {
    // Prepare
    const world = aWorld();
    pushVersions(world, '1.4.0', '1.5.0');
    payments(
      world,
      kind === 'off' ? 'off' : 'semver:minor',
      '1.4.0',
      kind === 'untagged' ? { tags: {} } : {},
    );
    const asked =
      kind === 'nothing' ? { ...request(), service: { cluster: 'prod', service: 'nothing' } } : request();

    // Act
    const synced = await syncService(asked, world.deps);

    // Assess
    expect(synced).toMatchObject({ outcome: 'refused', reason, repositories: [] });
    expect(world.ecr.listings).toEqual([]);
    expect(world.writes).toEqual([]);
  });

  it('refuses a repository of more tagged images than it reads, rather than reading for ever', async () => {
    // Prepare
    const world = aWorld();
    for (let build = 0; build <= MAX_SYNC_IMAGES; build++) {
      world.ecr.pushImage({
        repositoryName: PAYMENTS,
        tag: `1.4.${build}`,
        digest: digestOf(`1.4.${build}`),
      });
    }
    payments(world, 'semver:patch', '1.4.0');

    // Act
    const synced = await syncService(request(), world.deps);

    // Assess
    expect(synced).toMatchObject({
      outcome: 'refused',
      reason: expect.stringContaining(`team/payments holds more than ${MAX_SYNC_IMAGES} tagged images`),
    });
    expect(world.ecr.listings).toEqual([
      { registryId: '123456789012', repositoryName: PAYMENTS, limit: MAX_SYNC_IMAGES },
    ]);
    expect(world.ecs.calls).toEqual([]);
  });

  it('refuses a repository in another region than the service', async () => {
    // Prepare
    const world = aWorld();
    const service = aService({ name: 'payments', taskDefinitionArn: taskDefinitionArnOf('payments', 3) });
    world.ecs.addService(
      service,
      aTaskDefinitionDoc({
        family: 'payments',
        revision: 3,
        image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/${PAYMENTS}:main`,
      }),
    );

    // Act
    const synced = await syncService(request(), world.deps);

    // Assess
    expect(synced).toMatchObject({
      outcome: 'refused',
      reason: `${PAYMENTS} is in us-east-1 and prod/payments in eu-west-1: a push there does not reach autopilot here`,
    });
    expect(world.ecr.imageLookups).toEqual([]);
  });
});
