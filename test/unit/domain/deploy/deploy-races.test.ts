/**
 * Deploy on push under races and faults, on in-memory ports: the world changes between planning and
 * the lease (another invocation held it and finished just then: `lease.onNextAcquire`), the tag moves
 * on, answers get lost after the change was made, a write after UpdateService fails, one service of a
 * push fails. Each run is retried the way Lambda retries it (the same event again); the end state is
 * the newest push deployed, one revision per push and service, everything changed announced once.
 */
import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import { type DeployDeps, deployPushedImage } from '../../../../shared/domain/deploy/deploy-pushed-image';
import type { PushedImage } from '../../../../shared/domain/deploy/plan-deployment';
import { sourceMarkers } from '../../../../shared/domain/deploy/task-definition';
import { RetryableError } from '../../../../shared/errors';
import { DEPLOYMENT_STARTED } from '../../../../shared/events/autopilot-events';
import type { ServiceState, TaskDefinitionDocument } from '../../../../shared/ports';
import {
  ACCOUNT,
  aDigest,
  anInMemoryWorld,
  aPush,
  aService,
  aTaskDefinitionDoc,
  pinnedImage,
  REGION,
  REGISTRY,
  REPOSITORY,
  REPOSITORY_KEY,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const NOW = '2026-01-13T10:05:00.000Z';
const PUSHED_AT = new Date('2026-01-13T10:00:00.000Z');
const API_7 = taskDefinitionArnOf('api', 7);
const API_8 = taskDefinitionArnOf('api', 8);
const API_9 = taskDefinitionArnOf('api', 9);
const WORKER_REPOSITORY = 'team/worker';

type World = ReturnType<typeof anInMemoryWorld> & { deps: DeployDeps };

function aWorld(policy: Record<string, unknown> = {}): World {
  const world = anInMemoryWorld(NOW);
  const policyFile: PolicyFile = PolicyFileSchema.parse({ version: 1, ...policy });
  return { ...world, deps: { ...world, policyFile, dryRun: false, now: world.clock.now } };
}

/** A service running `doc`, indexed under the repositories given. */
function follow(
  world: World,
  service: ServiceState,
  doc: TaskDefinitionDocument = aTaskDefinitionDoc(),
  repositories: readonly string[] = [REPOSITORY_KEY],
): void {
  world.ecs.addService(service, doc);
  world.index.seedRepositories(
    { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name },
    repositories,
  );
}

/** A push made in ECR (its tag now points at its digest); its event is delivered by the test. */
function pushed(world: World, overrides: Partial<PushedImage>): PushedImage {
  const push = aPush({ pushedAt: PUSHED_AT, ...overrides });
  world.ecr.pushImage(push);
  return push;
}

/** Delivers an event the way Lambda does: a failed attempt is retried (twice at most). */
async function deliver(world: World, push: PushedImage): Promise<{ attempts: number; error?: unknown }> {
  for (let attempt = 1; ; attempt++) {
    try {
      await deployPushedImage(push, world.deps);
      return { attempts: attempt };
    } catch (error) {
      if (attempt === 3) return { attempts: attempt, error };
    }
  }
}

const images = (world: World, serviceArn: string) => {
  const arn = world.ecs.service(serviceArn)?.taskDefinitionArn ?? '';
  return world.ecs.taskDefinition(arn)?.definition.containerDefinitions.map((c) => c.image);
};

const started = (world: World) =>
  world.events.published
    .filter((e) => e.detailType === DEPLOYMENT_STARTED)
    .map((e) =>
      'service' in e.detail && 'digest' in e.detail ? `${e.detail.service} ${e.detail.digest}` : '',
    );

const registrations = (world: World) => world.ecs.calls.filter((c) => c.op === 'registerTaskDefinition');

describe('deploy on push: stale plans are planned again under the lease', () => {
  it('semver:minor on 1.4.2: 1.5.0 waits for the lease while 1.6.0 deploys, then is not deployed', async () => {
    // Prepare
    const world = aWorld();
    const api = aService({ tags: { 'autopilot:deploy': 'semver:minor' } });
    const running = aDigest('1.4.2');
    follow(world, api, aTaskDefinitionDoc({ image: pinnedImage(running) }));
    world.ecr.tag(running, '1.4.2');
    const minor = pushed(world, { eventId: 'push-1.5.0', tag: '1.5.0', digest: aDigest('1.5.0') });
    const next = pushed(world, { eventId: 'push-1.6.0', tag: '1.6.0', digest: aDigest('1.6.0') });
    world.lease.onNextAcquire(api.arn, async () => {
      await deployPushedImage(next, world.deps);
    });

    // Act
    const decisions = await deployPushedImage(minor, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: expect.stringContaining('1.5.0'),
        fromTaskDefinition: API_8,
      }),
    ]);
    expect(images(world, api.arn)?.[0]).toBe(pinnedImage(next.digest));
    expect(registrations(world)).toHaveLength(1);
    expect(started(world)).toEqual([`api ${next.digest}`]);
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
  });

  it('a service of two repositories pushed at once: the second copies the revision the first deployed', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    const worker = `${REGISTRY}/${WORKER_REPOSITORY}:main`;
    const doc = aTaskDefinitionDoc({
      containers: [
        { name: 'app', image: `${REGISTRY}/${REPOSITORY}:main` },
        { name: 'worker', image: worker },
      ],
    });
    follow(world, api, doc, [REPOSITORY_KEY, `${ACCOUNT}:${REGION}:${WORKER_REPOSITORY}`]);
    const app = pushed(world, { eventId: 'push-app', digest: aDigest('app build') });
    const work = pushed(world, {
      eventId: 'push-worker',
      repositoryName: WORKER_REPOSITORY,
      digest: aDigest('worker build'),
    });
    world.lease.onNextAcquire(api.arn, async () => {
      await deployPushedImage(work, world.deps);
    });

    // Act
    const decisions = await deployPushedImage(app, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'deploy', fromTaskDefinition: API_8, toTaskDefinition: API_9 }),
    ]);
    expect(images(world, api.arn)).toEqual([
      `${REGISTRY}/${REPOSITORY}@${app.digest}`,
      `${REGISTRY}/${WORKER_REPOSITORY}@${work.digest}`,
    ]);
    expect(started(world)).toEqual([`api ${work.digest}`, `api ${app.digest}`]);
  });

  it('a push of the tag made while this one waited for the lease supersedes it', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const older = pushed(world, { eventId: 'older', digest: aDigest('older') });
    world.lease.onNextAcquire(api.arn, async () => {
      pushed(world, { eventId: 'newer', digest: aDigest('newer') });
    });

    // Act
    const decisions = await deployPushedImage(older, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: `superseded: ${REPOSITORY}:main now points at ${aDigest('newer')}, pushed after this one`,
      }),
    ]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.events.published).toEqual([]);
  });
});

describe('deploy on push: the newest push wins', () => {
  it('two pushes of main in the same second, delivered newest first, end on the newest', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const first = pushed(world, { eventId: 'first', digest: aDigest('first') });
    const second = pushed(world, { eventId: 'second', digest: aDigest('second') });

    // Act
    await deliver(world, second);
    await deliver(world, first);

    // Assess
    expect(images(world, api.arn)?.[0]).toBe(pinnedImage(second.digest));
    expect(started(world)).toEqual([`api ${second.digest}`]);
  });

  it('eight pushes delivered in any order, some twice, end on the eighth, each deployed once at most', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const pushes = Array.from({ length: 8 }, (_, i) =>
      pushed(world, {
        eventId: `push-${i + 1}`,
        digest: aDigest(`build ${i + 1}`),
        pushedAt: new Date(PUSHED_AT.getTime() + Math.floor((i * 400) / 1000) * 1000),
      }),
    );
    const order = [7, 2, 8, 1, 8, 5, 3, 6, 4, 2];

    // Act
    for (const n of order) await deliver(world, pushes[n - 1] as PushedImage);

    // Assess
    expect(images(world, api.arn)?.[0]).toBe(pinnedImage(pushes[7]?.digest ?? ''));
    expect(started(world)).toEqual([`api ${pushes[7]?.digest}`]);
    expect(registrations(world)).toHaveLength(1);
  });
});

describe('deploy on push: no orphan revisions', () => {
  it('reuses the revision a RegisterTaskDefinition whose answer was lost registered', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const push = pushed(world, { digest: aDigest('lost') });
    world.ecs.loseResponses('registerTaskDefinition');

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 1 });
    expect(registrations(world).map((c) => c.arn)).toEqual([API_8]);
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
    expect(started(world)).toEqual([`api ${push.digest}`]);
  });

  it('finds the revision on retry when the run died between RegisterTaskDefinition and noting it', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const push = pushed(world, { digest: aDigest('died') });
    const save = world.history.saveDeployIntent.bind(world.history);
    let failures = 1;
    world.deps.history.saveDeployIntent = async (intent, expected) => {
      if (intent.state === 'updating' && failures-- > 0) throw new RetryableError('DynamoDB 500');
      return save(intent, expected);
    };

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 2 });
    expect(registrations(world).map((c) => c.arn)).toEqual([API_8]);
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
    expect(started(world)).toEqual([`api ${push.digest}`]);
  });

  it('reuses the revision another event of the same digest registered and left unfinished, found when its own intent meets it', async () => {
    // Prepare: another push of the same digest registered api:8 (its answer lost) and stopped; this
    // event never took the lease, so it plans without reading the intents
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const push = pushed(world, { digest: aDigest('pushed twice') });
    world.ecs.addTaskDefinition(
      aTaskDefinitionDoc({
        revision: 8,
        image: pinnedImage(push.digest),
        tags: sourceMarkers(push.digest, 'another-event', API_7),
        fields: { registeredAt: '2026-01-13T10:04:00.000Z' },
      }),
    );
    world.history.seedDeployIntent({
      serviceArn: api.arn,
      digest: push.digest,
      fromTaskDefinition: API_7,
      triggeredBy: 'another-event',
      state: 'registering',
      at: '2026-01-13T10:03:59.000Z',
    });

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 1 });
    expect(registrations(world)).toEqual([]);
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
    expect(world.history.intentOf(api.arn, push.digest, API_7)).toMatchObject({
      triggeredBy: push.eventId,
      state: 'announced',
    });
    expect(started(world)).toEqual([`api ${push.digest}`]);
  });

  it('takes over, when its own intent meets it, the announced intent of an earlier deployment of the digest since rolled back', async () => {
    // Prepare: the digest was deployed from api:7 and announced by another event, then rolled back
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const push = pushed(world, { digest: aDigest('deployed before') });
    world.history.seedDeployIntent({
      serviceArn: api.arn,
      digest: push.digest,
      fromTaskDefinition: API_7,
      triggeredBy: 'another-event',
      state: 'announced',
      at: '2026-01-12T10:00:00.000Z',
      toTaskDefinition: taskDefinitionArnOf('api', 6),
      startedAt: '2026-01-12T10:00:01.000Z',
    });

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 1 });
    expect(registrations(world).map((c) => c.arn)).toEqual([API_8]);
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
    expect(world.history.intentOf(api.arn, push.digest, API_7)).toMatchObject({
      triggeredBy: push.eventId,
      state: 'announced',
      toTaskDefinition: API_8,
    });
  });

  it('registers one revision for each of two sources of a family, both answers lost at once, each service on the copy of its own', async () => {
    // Prepare: prod runs api:7 and staging api:8 (another size), both following main; deployed at the
    // same time, both RegisterTaskDefinition answers are lost before either looks for its revision,
    // and the digest and event alone cannot tell the two copies apart
    const world = aWorld();
    const prod = aService();
    const staging = aService({ clusterName: 'staging', taskDefinitionArn: API_8 });
    follow(world, prod);
    follow(world, staging, aTaskDefinitionDoc({ revision: 8, fields: { cpu: '2048' } }));
    const push = pushed(world, { digest: aDigest('two sources') });
    world.ecs.loseResponses('registerTaskDefinition', 2);

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 1 });
    const registered = registrations(world).map((c) => c.arn);
    expect(registered).toHaveLength(2);
    const running = [prod, staging].map((s) => world.ecs.service(s.arn)?.taskDefinitionArn ?? '');
    expect([...running].sort()).toEqual([...registered].sort());
    expect(world.ecs.taskDefinition(running[0] ?? '')?.definition.cpu).not.toBe('2048');
    expect(world.ecs.taskDefinition(running[1] ?? '')?.definition.cpu).toBe('2048');
    expect(images(world, prod.arn)?.[0]).toBe(pinnedImage(push.digest));
    expect(images(world, staging.arn)?.[0]).toBe(pinnedImage(push.digest));
    expect(started(world)).toEqual([`api ${push.digest}`, `api ${push.digest}`]);
  });

  it('reuses the registered revision when UpdateService failed and Lambda retried', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const push = pushed(world, { digest: aDigest('update failed') });
    const update = world.ecs.updateService.bind(world.ecs);
    let failures = 1;
    world.deps.ecs.updateService = async (ref, arn) => {
      if (failures-- > 0) throw new RetryableError('UpdateService: ThrottlingException');
      return update(ref, arn);
    };

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 2 });
    expect(registrations(world).map((c) => c.arn)).toEqual([API_8]);
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
    expect(started(world)).toEqual([`api ${push.digest}`]);
  });
});

describe('deploy on push: every change is recorded and announced once', () => {
  it('records and announces on retry an update whose record failed to be written', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const push = pushed(world, { digest: aDigest('record failed') });
    const record = world.history.recordDeployment.bind(world.history);
    let failures = 1;
    world.deps.history.recordDeployment = async (r) => {
      if (failures-- > 0) throw new RetryableError('DynamoDB 500');
      return record(r);
    };

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 2 });
    expect(world.ecs.calls.filter((c) => c.op === 'updateService')).toHaveLength(1);
    expect(world.history.records).toEqual([
      expect.objectContaining({ toTaskDefinition: API_8, triggeredBy: push.eventId }),
    ]);
    expect(world.lease.watermarkOf(api.arn, REPOSITORY_KEY)?.digest).toBe(push.digest);
    expect(started(world)).toEqual([`api ${push.digest}`]);
    expect(world.history.intentOf(api.arn, push.digest, API_7)?.state).toBe('announced');
  });

  it("records and announces on retry the updates of a run that died before their closing writes, found by their revisions' tags", async () => {
    // Prepare: two services sharing a revision (one registration, one intent saved by it); the run
    // dies (the release and its closing writes never happen) after both were updated
    const world = aWorld();
    const api = aService();
    const canary = aService({ name: 'api-canary' });
    follow(world, api);
    follow(world, canary);
    const push = pushed(world, { digest: aDigest('died before closing') });
    const release = world.deps.lease.releaseLease.bind(world.deps.lease);
    let dying = true;
    world.deps.lease.releaseLease = async (...args) => {
      if (dying && args[2] !== undefined) throw new Error('the run died');
      return release(...args);
    };

    // Act
    const first = await deployPushedImage(push, world.deps).catch((error: unknown) => error);
    dying = false;
    world.clock.set('2026-01-13T10:08:00.000Z');
    await deployPushedImage(push, world.deps);

    // Assess
    expect(first).toEqual(new Error('the run died'));
    expect(world.ecs.calls.filter((c) => c.op === 'updateService')).toHaveLength(2);
    expect(registrations(world)).toHaveLength(1);
    expect(world.history.records.map((r) => [r.service, r.toTaskDefinition])).toEqual(
      expect.arrayContaining([
        ['api', API_8],
        ['api-canary', API_8],
      ]),
    );
    expect(started(world).sort()).toEqual([`api ${push.digest}`, `api-canary ${push.digest}`]);
    // Announced as planned, not as a recovery.
    const reasons = world.events.published
      .filter((e) => e.detailType === DEPLOYMENT_STARTED)
      .map((e) => ('reason' in e.detail ? e.detail.reason : ''));
    expect(reasons).toEqual(['follows tag main', 'follows tag main']);
    expect(world.history.intentOf(api.arn, push.digest, API_7)?.state).toBe('announced');
    expect(world.history.intentOf(canary.arn, push.digest, API_7)?.state).toBe('announced');
  });

  it('records and announces on retry an UpdateService whose answer was lost', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const push = pushed(world, { digest: aDigest('update lost') });
    world.ecs.loseResponses('updateService');

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 2 });
    expect(world.ecs.calls.filter((c) => c.op === 'updateService')).toHaveLength(1);
    expect(world.history.records).toHaveLength(1);
    const deploymentId = world.ecs.service(api.arn)?.deployments[0]?.id ?? '';
    expect(await world.history.getDeployment(api.arn, deploymentId)).toMatchObject({
      taskDefinitionArn: API_8,
    });
    expect(started(world)).toEqual([`api ${push.digest}`]);
  });

  it('announces again, as the same event, a deployment whose PutEvents answer was lost', async () => {
    // Prepare: PutEvents puts the events, then its answer is lost (the run fails, Lambda retries)
    const world = aWorld();
    follow(world, aService());
    const push = pushed(world, { digest: aDigest('answer lost') });
    const publish = world.events.publish.bind(world.events);
    let lost = 1;
    world.events.publish = async (events) => {
      await publish(events);
      if (lost-- > 0) throw new RetryableError('PutEvents: the answer was lost');
    };

    // Act
    const outcome = await deliver(world, push);

    // Assess: two copies of one event (the notifier, keyed on the announcement, drops the second)
    expect(outcome).toEqual({ attempts: 2 });
    const announcements = world.events.published.filter((e) => e.detailType === DEPLOYMENT_STARTED);
    expect(announcements).toHaveLength(2);
    expect(announcements[1]).toEqual(announcements[0]);
    expect(world.ecs.calls.filter((c) => c.op === 'updateService')).toHaveLength(1);
  });

  it('a delivery after the announcement announces nothing again', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    const push = pushed(world, { digest: aDigest('delivered twice') });
    await deliver(world, push);

    // Act
    await deliver(world, push);

    // Assess
    expect(started(world)).toEqual([`api ${push.digest}`]);
    expect(world.ecs.calls).toHaveLength(2);
  });
});

describe('deploy on push: a push half applied converges', () => {
  it('retries only the service that failed: prod is not deployed or announced twice, staging follows', async () => {
    // Prepare
    const world = aWorld();
    const prod = aService();
    const staging = aService({
      clusterName: 'staging',
      taskDefinitionArn: taskDefinitionArnOf('api-staging', 3),
    });
    follow(world, prod);
    follow(world, staging, aTaskDefinitionDoc({ family: 'api-staging', revision: 3 }));
    const push = pushed(world, { digest: aDigest('half applied') });
    const update = world.ecs.updateService.bind(world.ecs);
    let failures = 1;
    world.deps.ecs.updateService = async (ref, arn) => {
      if (ref.cluster === 'staging' && failures-- > 0) throw new RetryableError('UpdateService: 503');
      return update(ref, arn);
    };

    // Act
    const outcome = await deliver(world, push);

    // Assess
    expect(outcome).toEqual({ attempts: 2 });
    expect(images(world, prod.arn)?.[0]).toBe(pinnedImage(push.digest));
    expect(images(world, staging.arn)?.[0]).toBe(pinnedImage(push.digest));
    // Each service registered and updated once (deployed at the same time: in no set order).
    expect(world.ecs.calls.map((c) => `${c.op} ${'cluster' in c ? c.cluster : c.family}`).sort()).toEqual([
      'registerTaskDefinition api',
      'registerTaskDefinition api-staging',
      'updateService prod',
      'updateService staging',
    ]);
    expect(started(world)).toEqual([`api ${push.digest}`, `api ${push.digest}`]);
    expect(world.events.published.map((e) => ('cluster' in e.detail ? e.detail.cluster : ''))).toEqual([
      'prod',
      'staging',
    ]);
  });
});
