import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import {
  type DeployDeps,
  deployDuePushes,
  deployPushedImage,
} from '../../../../shared/domain/deploy/deploy-pushed-image';
import type { PushedImage } from '../../../../shared/domain/deploy/plan-deployment';
import { SOURCE_TAG_KEYS } from '../../../../shared/domain/deploy/task-definition';
import { PermanentError, ResourceLimitExceededError, RetryableError } from '../../../../shared/errors';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  AutopilotEventSchemas,
  DEPLOYMENT_SCHEDULED,
  DEPLOYMENT_STARTED,
} from '../../../../shared/events/autopilot-events';
import {
  EcrReplicationActionEventSchema,
  replicaAsPush,
} from '../../../../shared/events/ecr-replication-action';
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
  SIDECAR_IMAGE,
  serviceArnOf,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

// 2026-01-13 is a Tuesday.
const PUSHED_AT = '2026-01-13T10:00:00.000Z';
const NOW = '2026-01-13T10:05:00.000Z';
const NEW = aDigest('pushed build');
const OLD = aDigest('running build');
const API_7 = taskDefinitionArnOf('api', 7);
const API_8 = taskDefinitionArnOf('api', 8);
const PINNED_NEW = `${REGISTRY}/${REPOSITORY}@${NEW}`;

type World = ReturnType<typeof anInMemoryWorld> & { deps: DeployDeps };

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

/** A world whose ECR holds the push under test: team/api:main points at NEW. */
function aWorld(options: { policy?: Record<string, unknown>; dryRun?: boolean; now?: string } = {}): World {
  const world = anInMemoryWorld(options.now ?? NOW);
  world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'main', digest: NEW });
  return {
    ...world,
    deps: {
      ecs: world.ecs,
      ecr: world.ecr,
      index: world.index,
      quarantine: world.quarantine,
      history: world.history,
      lease: world.lease,
      pending: world.pending,
      skips: world.skips,
      pauses: world.pauses,
      events: world.events,
      policyFile: policyFile(options.policy),
      dryRun: options.dryRun ?? false,
      now: world.clock.now,
    },
  };
}

/** A service that runs `doc` and is indexed under team/api. */
function follow(
  world: World,
  service: ServiceState,
  doc: TaskDefinitionDocument = aTaskDefinitionDoc(),
): void {
  world.ecs.addService(service, doc);
  world.index.seedRepositories(
    { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name },
    [REPOSITORY_KEY],
  );
}

function push(overrides: Partial<PushedImage> = {}): PushedImage {
  return aPush({ digest: NEW, pushedAt: new Date(PUSHED_AT), ...overrides });
}

/** Validates every event against its published contract; throws on the first violation. */
function parseEvents(events: readonly AutopilotEvent[]): AutopilotEvent[] {
  return events.map((event) => {
    const schema = AutopilotEventSchemas[event.detailType];
    const result = schema.safeParse(event.detail);
    if (!result.success) {
      throw new Error(`${event.detailType} violates its contract: ${result.error.message}`);
    }
    return { detailType: event.detailType, detail: result.data } as AutopilotEvent;
  });
}

const mutations = (world: World) =>
  world.ecs.calls.map(
    (c) => `${c.op} ${'arn' in c ? c.arn : `${c.cluster}/${c.service} -> ${c.taskDefinitionArn}`}`,
  );

describe('deployPushedImage', () => {
  it('reuses what an earlier attempt registered for another service of the same revision, whichever comes first now', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    const canary = aService({ name: 'api-canary' });
    follow(world, api);
    follow(world, canary);
    // An earlier attempt of this push took the leases, registered api:8 for the canary and stopped
    // before updating.
    world.lease.seedLease(api.arn, push().eventId, -1);
    world.lease.seedLease(canary.arn, push().eventId, -1);
    const registered = world.ecs.addTaskDefinition(
      aTaskDefinitionDoc({ revision: 8, image: pinnedImage(NEW) }),
    );
    world.history.seedDeployIntent({
      serviceArn: canary.arn,
      digest: NEW,
      fromTaskDefinition: API_7,
      triggeredBy: push().eventId,
      state: 'registered',
      at: '2026-01-13T10:04:00.000Z',
      toTaskDefinition: registered,
    });

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => [d.service, d.action, d.toTaskDefinition])).toEqual([
      ['api', 'deploy', registered],
      ['api-canary', 'deploy', registered],
    ]);
    expect(world.ecs.calls.filter((c) => c.op === 'registerTaskDefinition')).toEqual([]);
  });

  it('deploys two services sharing a revision with one registration and two updates', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    const canary = aService({ name: 'api-canary' });
    follow(world, api);
    follow(world, canary);

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        service: 'api',
        action: 'deploy',
        fromTaskDefinition: API_7,
        toTaskDefinition: API_8,
      }),
      expect.objectContaining({
        service: 'api-canary',
        action: 'deploy',
        fromTaskDefinition: API_7,
        toTaskDefinition: API_8,
      }),
    ]);
    expect(mutations(world)).toEqual([
      `registerTaskDefinition ${API_8}`,
      `updateService prod/api -> ${API_8}`,
      `updateService prod/api-canary -> ${API_8}`,
    ]);
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
    expect(world.ecs.service(canary.arn)?.taskDefinitionArn).toBe(API_8);
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
    expect(world.lease.leaseOf(canary.arn)).toBeUndefined();
  });

  it('registers a copy with the app pinned by digest, the sidecar untouched and the source recorded', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());

    // Act
    await deployPushedImage(push(), world.deps);

    // Assess
    const [register] = world.ecs.calls;
    if (register?.op !== 'registerTaskDefinition') throw new Error('expected a registration first');
    const source = aTaskDefinitionDoc();
    expect(register.document.definition.containerDefinitions).toEqual([
      { ...source.definition.containerDefinitions[0], image: PINNED_NEW },
      source.definition.containerDefinitions[1],
    ]);
    expect(register.document.definition).toMatchObject({
      family: 'api',
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      executionRoleArn: source.definition.executionRoleArn,
      taskRoleArn: source.definition.taskRoleArn,
      volumes: source.definition.volumes,
      runtimePlatform: source.definition.runtimePlatform,
      ephemeralStorage: source.definition.ephemeralStorage,
    });
    expect(register.document.tags).toEqual([
      ...source.tags,
      { key: SOURCE_TAG_KEYS.image, value: 'team/api:main' },
      { key: SOURCE_TAG_KEYS.digest, value: NEW },
      { key: SOURCE_TAG_KEYS.trigger, value: push().eventId },
      { key: SOURCE_TAG_KEYS.source, value: API_7 },
    ]);
  });

  it('records the deployment and moves the watermark', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);

    // Act
    await deployPushedImage(push(), world.deps);

    // Assess
    expect(world.history.records).toEqual([
      {
        serviceArn: api.arn,
        cluster: 'prod',
        service: 'api',
        fromTaskDefinition: API_7,
        toTaskDefinition: API_8,
        repository: REPOSITORY,
        tag: 'main',
        digest: NEW,
        startedAt: NOW,
        triggeredBy: push().eventId,
        state: 'STARTED',
        deploymentId: expect.stringMatching(/^ecs-svc\//),
      },
    ]);
    expect(world.lease.watermarkOf(api.arn, REPOSITORY_KEY)).toEqual({
      pushedAt: PUSHED_AT,
      digest: NEW,
      tag: 'main',
    });
  });

  it('tells the rollback watcher which revision the deployment ECS started rolls out', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);

    // Act
    await deployPushedImage(push(), world.deps);

    // Assess
    const deploymentId = world.history.records[0]?.deploymentId ?? '';
    expect(await world.history.getDeployment(api.arn, deploymentId)).toEqual({
      deploymentId,
      taskDefinitionArn: API_8,
      state: 'IN_PROGRESS',
      startedAt: NOW,
      isRollback: false,
    });
    expect(world.writes.map((w) => w.op)).toEqual([
      'acquireLease',
      'saveDeployIntent',
      'recordDeployment',
      'noteDeploymentStarted',
      'setWatermark',
      'saveDeployIntent',
      'releaseLease',
      'markIntentAnnounced',
    ]);
  });

  it('publishes one Deployment Started per service, matching the contract', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);

    // Act
    await deployPushedImage(push(), world.deps);

    // Assess
    expect(world.events.batches).toBe(1);
    expect(parseEvents(world.events.published)).toEqual([
      {
        detailType: DEPLOYMENT_STARTED,
        detail: {
          cluster: 'prod',
          service: 'api',
          serviceArn: api.arn,
          repository: REPOSITORY,
          tag: 'main',
          digest: NEW,
          reason: 'follows tag main',
          triggeredBy: push().eventId,
          image: PINNED_NEW,
          containers: ['app'],
          fromTaskDefinition: API_7,
          toTaskDefinition: API_8,
          dryRun: false,
        },
      },
    ]);
  });

  it('deploys services in two clusters, each from its own revision', async () => {
    // Prepare
    const world = aWorld();
    const prod = aService();
    const staging = aService({
      clusterName: 'staging',
      taskDefinitionArn: taskDefinitionArnOf('api-staging', 3),
    });
    follow(world, prod);
    follow(world, staging, aTaskDefinitionDoc({ family: 'api-staging', revision: 3 }));

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => [d.cluster, d.action, d.toTaskDefinition])).toEqual([
      ['prod', 'deploy', API_8],
      ['staging', 'deploy', taskDefinitionArnOf('api-staging', 4)],
    ]);
    // Deployed at the same time: each service's calls in order, the two services' in no set order.
    const calls = mutations(world);
    expect(calls.filter((c) => c.includes('api:') || c.includes('prod/'))).toEqual([
      `registerTaskDefinition ${API_8}`,
      `updateService prod/api -> ${API_8}`,
    ]);
    expect(calls.filter((c) => c.includes('api-staging:') || c.includes('staging/'))).toEqual([
      `registerTaskDefinition ${taskDefinitionArnOf('api-staging', 4)}`,
      `updateService staging/api -> ${taskDefinitionArnOf('api-staging', 4)}`,
    ]);
  });

  it('deploys the services of a push at the same time: the second registers before the first is updated', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    follow(
      world,
      aService({ clusterName: 'staging', taskDefinitionArn: taskDefinitionArnOf('api-staging', 3) }),
      aTaskDefinitionDoc({ family: 'api-staging', revision: 3 }),
    );
    const update = world.ecs.updateService.bind(world.ecs);
    const registeredBeforeFirstUpdate: number[] = [];
    world.deps.ecs.updateService = async (ref, arn) => {
      registeredBeforeFirstUpdate.push(
        world.ecs.calls.filter((c) => c.op === 'registerTaskDefinition').length,
      );
      return update(ref, arn);
    };

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['deploy', 'deploy']);
    expect(registeredBeforeFirstUpdate[0]).toBe(2);
  });

  it('changes nothing for a service already running the digest, and gives back the lease it took to look', async () => {
    // Prepare
    const world = aWorld();
    const api = aService({ taskDefinitionArn: API_8 });
    follow(world, api, aTaskDefinitionDoc({ revision: 8, image: PINNED_NEW }));

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'already running this digest' }),
    ]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.writes.map((w) => w.op)).toEqual(['acquireLease', 'releaseLease']);
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
    expect(world.events.published).toEqual([]);
  });

  it('changes nothing and announces nothing again when the same push is processed twice', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    await deployPushedImage(push(), world.deps);
    const callsAfterFirst = [...world.ecs.calls];
    const eventsAfterFirst = world.events.published.length;

    // Act
    const second = await deployPushedImage(push(), world.deps);

    // Assess
    expect(second).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'already running this digest' }),
    ]);
    expect(world.ecs.calls).toEqual(callsAfterFirst);
    expect(world.history.records).toHaveLength(1);
    expect(world.events.published).toHaveLength(eventsAfterFirst);
  });

  it('announces a deployment whose announcement failed, when the event is retried', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    const publish = world.deps.events.publish.bind(world.deps.events);
    world.deps.events.publish = async () => {
      throw new RetryableError('PutEvents throttled');
    };
    await expect(deployPushedImage(push(), world.deps)).rejects.toThrow('PutEvents throttled');
    world.deps.events.publish = publish;

    // Act
    await deployPushedImage(push(), world.deps);

    // Assess
    expect(world.events.published.map((e) => e.detailType)).toEqual(['Deployment Started']);
    expect(world.ecs.calls.filter((c) => c.op === 'updateService')).toHaveLength(1);
  });

  it('skips an older push of the tag delivered after a newer one: the tag points at the newer', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const pushedAt = new Date('2026-01-13T10:00:00.000Z');
    const older = push({ eventId: 'older', digest: aDigest('older'), pushedAt });
    const newer = push({ eventId: 'newer', digest: aDigest('newer'), pushedAt });
    world.ecr.pushImage(older).pushImage(newer);
    await deployPushedImage(newer, world.deps);
    const callsAfterNewer = world.ecs.calls.length;

    // Act: the same second, delivered newest first
    const decisions = await deployPushedImage(older, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: `superseded: ${REPOSITORY}:main now points at ${newer.digest}, pushed after this one`,
      }),
    ]);
    expect(world.ecs.calls).toHaveLength(callsAfterNewer);
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
    expect(world.ecs.taskDefinition(API_8)?.definition.containerDefinitions.map((c) => c.image)).toEqual([
      pinnedImage(newer.digest),
      SIDECAR_IMAGE,
    ]);
    expect(world.lease.watermarkOf(api.arn, REPOSITORY_KEY)?.digest).toBe(newer.digest);
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
  });

  it('skips an older push of another tag processed after a newer one (match mode watermark)', async () => {
    // Prepare
    const world = aWorld();
    const api = aService({ tags: { 'autopilot:deploy': 'match' } });
    follow(world, api);
    const newer = push({
      eventId: 'newer',
      tag: 'v2',
      digest: aDigest('v2'),
      pushedAt: new Date('2026-01-13T10:01:00.000Z'),
    });
    const older = push({
      eventId: 'older',
      tag: 'v1',
      digest: aDigest('v1'),
      pushedAt: new Date('2026-01-13T10:00:00.000Z'),
    });
    world.ecr.pushImage(older).pushImage(newer);
    await deployPushedImage(newer, world.deps);
    const callsAfterNewer = world.ecs.calls.length;

    // Act
    const decisions = await deployPushedImage(older, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: `superseded by the newer push of v2 (${newer.digest}) at 2026-01-13T10:01:00.000Z`,
      }),
    ]);
    expect(world.ecs.calls).toHaveLength(callsAfterNewer);
    expect(world.lease.watermarkOf(api.arn, REPOSITORY_KEY)?.digest).toBe(newer.digest);
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
  });

  it('reads the running version of a semver service from the ECR tags of its digest', async () => {
    // Prepare
    const world = aWorld();
    const api = aService({ tags: { 'autopilot:deploy': 'semver:minor' } });
    follow(world, api, aTaskDefinitionDoc({ image: pinnedImage(OLD) }));
    world.ecr.tag(OLD, 'latest', '1.4.2');
    const pushed = push({ tag: '1.5.0' });
    world.ecr.pushImage(pushed);

    // Act
    const decisions = await deployPushedImage(pushed, world.deps);

    // Assess: read once, under the lease
    const lookup = { registryId: ACCOUNT, repositoryName: REPOSITORY, digest: OLD };
    expect(world.ecr.lookups).toEqual([lookup]);
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'deploy', reason: '1.5.0 is an allowed upgrade (semver:minor)' }),
    ]);
    expect(world.ecs.service(api.arn)?.taskDefinitionArn).toBe(API_8);
  });

  it('refuses a semver jump beyond the level judged by the ECR tags of the running digest', async () => {
    // Prepare
    const world = aWorld();
    follow(
      world,
      aService({ tags: { 'autopilot:deploy': 'semver:minor' } }),
      aTaskDefinitionDoc({ image: pinnedImage(OLD) }),
    );
    world.ecr.tag(OLD, '1.4.2');

    // Act
    const decisions = await deployPushedImage(push({ tag: '2.0.0' }), world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: '2.0.0 is a major upgrade from 1.4.2; semver:minor allows minor upgrades at most',
      }),
    ]);
    expect(world.ecs.calls).toEqual([]);
  });

  it('semver by policy: asks ECR for a service whose policy sets the mode', async () => {
    // Prepare
    const world = aWorld({ policy: { policies: { minor: { deploy: 'semver:minor' } } } });
    follow(
      world,
      aService({ tags: { 'autopilot:policy': 'minor' } }),
      aTaskDefinitionDoc({ image: pinnedImage(OLD) }),
    );
    world.ecr.tag(OLD, '1.4.2');
    const pushed = push({ tag: '1.4.3' });
    world.ecr.pushImage(pushed);

    // Act
    const decisions = await deployPushedImage(pushed, world.deps);

    // Assess: read once, under the lease
    expect(world.ecr.lookups).toHaveLength(1);
    expect(decisions).toEqual([expect.objectContaining({ action: 'deploy', policy: 'minor' })]);
  });

  it('does not ask ECR in tag mode', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService(), aTaskDefinitionDoc({ image: pinnedImage(OLD) }));

    // Act
    await deployPushedImage(push(), world.deps);

    // Assess
    expect(world.ecr.lookups).toEqual([]);
  });

  it('refuses a push that would update more services than maxServicesPerPush, changing nothing', async () => {
    // Prepare
    const world = aWorld({ policy: { maxServicesPerPush: 2 } });
    for (const name of ['api', 'api-canary', 'api-batch']) follow(world, aService({ name }));

    // Act
    const run = deployPushedImage(push(), world.deps);

    // Assess
    await expect(run).rejects.toThrow(ResourceLimitExceededError);
    await expect(run).rejects.toMatchObject({ count: 3, limit: 2 });
    expect(world.ecs.calls).toEqual([]);
    // The leases taken to plan under are all given back; nothing else is written.
    expect(new Set(world.writes.map((w) => w.op))).toEqual(new Set(['acquireLease', 'releaseLease']));
    expect(world.writes.filter((w) => w.op === 'releaseLease')).toHaveLength(3);
    expect(world.events.published).toEqual([]);
  });

  it('counts only services that would be deployed against maxServicesPerPush', async () => {
    // Prepare
    const world = aWorld({ policy: { maxServicesPerPush: 2 } });
    follow(world, aService({ name: 'api' }));
    follow(world, aService({ name: 'api-canary' }));
    follow(world, aService({ name: 'api-frozen', tags: { 'autopilot:deploy': 'off' } }));

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['deploy', 'deploy', 'skip']);
  });

  it('throws a RetryableError when another invocation holds the service lock', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    world.lease.seedLease(api.arn, 'another-invocation', 120);

    // Act
    const run = deployPushedImage(push(), world.deps);

    // Assess
    await expect(run).rejects.toThrow(RetryableError);
    await expect(run).rejects.toThrow('service prod/api is being deployed by another invocation');
    expect(world.ecs.calls).toEqual([]);
    expect(world.lease.leaseOf(api.arn)?.owner).toBe('another-invocation');
  });

  it('gives back the leases it took when another invocation holds one, and deploys every service on retry', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    const canary = aService({ name: 'api-canary' });
    follow(world, api);
    follow(world, canary);
    world.lease.seedLease(canary.arn, 'another-invocation', 120);

    // Act
    const run = deployPushedImage(push(), world.deps);
    await expect(run).rejects.toThrow(RetryableError);
    const before = mutations(world);
    world.lease.seedLease(canary.arn, 'another-invocation', 0);
    world.clock.set('2026-01-13T10:06:00.000Z');
    const retried = await deployPushedImage(push(), world.deps);

    // Assess
    // The push's leases are all taken before anything is deployed: nothing was changed or announced.
    expect(before).toEqual([]);
    expect(retried.map((d) => [d.service, d.action])).toEqual([
      ['api', 'deploy'],
      ['api-canary', 'deploy'],
    ]);
    expect(
      parseEvents(world.events.published).map((e) => [
        e.detailType,
        (e.detail as { service?: string }).service,
      ]),
    ).toEqual([
      [DEPLOYMENT_STARTED, 'api'],
      [DEPLOYMENT_STARTED, 'api-canary'],
    ]);
  });

  it('takes the leases of every service of the push first, then plans them once under all of them', async () => {
    // Prepare
    const world = aWorld();
    for (let n = 0; n < 12; n++) follow(world, aService({ name: `api-${n}` }));
    const intentReads: string[] = [];
    const history = world.deps.history;
    const deps = {
      ...world.deps,
      history: Object.assign(Object.create(history) as typeof history, {
        deployIntents: (serviceArn: string, digest: string) => {
          intentReads.push(serviceArn);
          return history.deployIntents(serviceArn, digest);
        },
      }),
    };

    // Act
    const decisions = await deployPushedImage(push(), deps);

    // Assess
    expect(decisions.filter((d) => d.action === 'deploy')).toHaveLength(12);
    // Under the leases only: 12 services of one cluster, 10 a call.
    expect(world.ecs.reads.DescribeServices).toBe(2);
    // No intent read: no earlier attempt of this push took these leases.
    expect(intentReads).toHaveLength(0);
  });

  it('takes over an expired lock of another invocation', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    world.lease.seedLease(api.arn, 'crashed-invocation', 120);
    world.clock.set('2026-01-13T10:07:01.000Z');

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'deploy' })]);
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
  });

  it('reports a PermanentError from RegisterTaskDefinition as failed and continues with other services', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    const worker = aService({ name: 'worker', taskDefinitionArn: taskDefinitionArnOf('worker', 3) });
    follow(world, api);
    follow(world, worker, aTaskDefinitionDoc({ family: 'worker', revision: 3 }));
    world.ecs.failRegistrationOf(
      'api',
      new PermanentError('ClientException: Too many revisions of family api'),
    );

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => [d.service, d.action, d.reason])).toEqual([
      ['api', 'failed', 'ClientException: Too many revisions of family api'],
      ['worker', 'deploy', 'follows tag main'],
    ]);
    expect(mutations(world)).toEqual([
      `registerTaskDefinition ${taskDefinitionArnOf('worker', 4)}`,
      `updateService prod/worker -> ${taskDefinitionArnOf('worker', 4)}`,
    ]);
    expect(
      parseEvents(world.events.published).map((e) => [
        e.detailType,
        (e.detail as { service?: string }).service,
      ]),
    ).toEqual([
      [ACTION_FAILED, 'api'],
      [DEPLOYMENT_STARTED, 'worker'],
    ]);
    expect(world.events.published[0]?.detail).toEqual({
      action: 'deploy',
      cluster: 'prod',
      service: 'api',
      serviceArn: api.arn,
      reason: 'ClientException: Too many revisions of family api',
      dryRun: false,
      triggeredBy: push().eventId,
    });
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
    expect(world.lease.watermarkOf(api.arn, REPOSITORY_KEY)).toBeUndefined();
  });

  it('rethrows an error that is not permanent and releases the lock', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    world.ecs.failRegistrationOf('api', new RetryableError('ThrottlingException: Rate exceeded'));

    // Act
    const run = deployPushedImage(push(), world.deps);

    // Assess
    await expect(run).rejects.toThrow('ThrottlingException: Rate exceeded');
    expect(world.lease.leaseOf(api.arn)).toBeUndefined();
    expect(world.events.published).toEqual([]);
  });

  it('fails a service whose task definition vanished, registering nothing', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    world.ecs.removeTaskDefinition(API_7);

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'failed',
        reason: `task definition ${API_7} could not be described`,
      }),
    ]);
    expect(world.ecs.calls).toEqual([]);
    expect(parseEvents(world.events.published)).toEqual([
      expect.objectContaining({ detailType: ACTION_FAILED }),
    ]);
  });

  it('reports an unsupported deployment controller as Action Failed without touching the service', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService({ deploymentController: 'CODE_DEPLOY' }));

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['unsupported']);
    expect(world.ecs.calls).toEqual([]);
    expect(parseEvents(world.events.published).map((e) => e.detailType)).toEqual([ACTION_FAILED]);
  });

  it('skips a quarantined digest', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    world.quarantine.seedQuarantined({
      repositoryKey: REPOSITORY_KEY,
      repository: REPOSITORY,
      digest: NEW,
      reason: 'deployed to prod/api and unhealthy',
      at: NOW,
    });

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'skip', reason: `digest ${NEW} is quarantined` }),
    ]);
    expect(world.ecs.calls).toEqual([]);
  });

  it('saves a deferred push as pending, publishes Deployment Scheduled, then marks it announced', async () => {
    // Prepare
    const world = aWorld({ policy: { defaults: { minImageAge: '1h' } } });
    const api = aService();
    follow(world, api);

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'defer', dueAt: '2026-01-13T11:00:00.000Z' }),
    ]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)).toEqual({
      serviceArn: api.arn,
      cluster: 'prod',
      service: 'api',
      push: { ...push(), pushedAt: PUSHED_AT },
      dueAt: '2026-01-13T11:00:00.000Z',
      reason: 'follows tag main; image is younger than the minimum age 1h, due at 2026-01-13T11:00:00.000Z',
      announced: true,
    });
    expect(parseEvents(world.events.published)).toEqual([
      {
        detailType: DEPLOYMENT_SCHEDULED,
        detail: {
          cluster: 'prod',
          service: 'api',
          serviceArn: api.arn,
          repository: REPOSITORY,
          tag: 'main',
          digest: NEW,
          reason:
            'follows tag main; image is younger than the minimum age 1h, due at 2026-01-13T11:00:00.000Z',
          triggeredBy: push().eventId,
          dueAt: '2026-01-13T11:00:00.000Z',
          dryRun: false,
        },
      },
    ]);
  });

  it('announces a deferral once: the push delivered again after it was announced is a skip, and stays pending', async () => {
    // Prepare
    const world = aWorld({ policy: { defaults: { minImageAge: '1h' } } });
    const api = aService();
    follow(world, api);
    await deployPushedImage(push(), world.deps);
    const pending = world.pending.pendingFor(api.arn, REPOSITORY_KEY);

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: 'deferred until 2026-01-13T11:00:00.000Z and announced by an earlier attempt of this push',
      }),
    ]);
    expect(world.events.published.map((e) => e.detailType)).toEqual([DEPLOYMENT_SCHEDULED]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)).toEqual(pending);
  });

  it('announces a deferral whose announcement failed, when the event is retried', async () => {
    // Prepare
    const world = aWorld({ policy: { defaults: { minImageAge: '1h' } } });
    const api = aService();
    follow(world, api);
    const publish = world.deps.events.publish.bind(world.deps.events);
    world.deps.events.publish = async () => {
      throw new RetryableError('PutEvents throttled');
    };
    await expect(deployPushedImage(push(), world.deps)).rejects.toThrow('PutEvents throttled');
    const unannounced = world.pending.pendingFor(api.arn, REPOSITORY_KEY);
    world.deps.events.publish = publish;

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(unannounced?.announced).toBeUndefined();
    expect(decisions).toEqual([expect.objectContaining({ action: 'defer' })]);
    expect(world.events.published.map((e) => e.detailType)).toEqual([DEPLOYMENT_SCHEDULED]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)?.announced).toBe(true);
  });

  it('lets a newer deferred push replace an older pending one, and refuses an older one', async () => {
    // Prepare
    const world = aWorld({ policy: { defaults: { minImageAge: '1h' } } });
    const api = aService({ tags: { 'autopilot:deploy': 'match' } });
    follow(world, api);
    const first = push({
      eventId: 'first',
      tag: 'v1',
      digest: aDigest('first'),
      pushedAt: new Date('2026-01-13T10:00:00.000Z'),
    });
    const second = push({
      eventId: 'second',
      tag: 'v3',
      digest: aDigest('second'),
      pushedAt: new Date('2026-01-13T10:02:00.000Z'),
    });
    const late = push({
      eventId: 'late',
      tag: 'v2',
      digest: aDigest('late'),
      pushedAt: new Date('2026-01-13T10:01:00.000Z'),
    });
    world.ecr.pushImage(first).pushImage(late).pushImage(second);
    await deployPushedImage(first, world.deps);

    // Act
    const newer = await deployPushedImage(second, world.deps);
    const older = await deployPushedImage(late, world.deps);

    // Assess
    expect(newer).toEqual([expect.objectContaining({ action: 'defer', dueAt: '2026-01-13T11:02:00.000Z' })]);
    expect(older).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: 'a newer push is already waiting to be deployed to this service',
      }),
    ]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)?.push.eventId).toBe('second');
    expect(
      world.events.published.map((e) => [
        e.detailType,
        'triggeredBy' in e.detail ? e.detail.triggeredBy : undefined,
      ]),
    ).toEqual([
      [DEPLOYMENT_SCHEDULED, 'first'],
      [DEPLOYMENT_SCHEDULED, 'second'],
    ]);
  });

  it('removes stale index entries of services that no longer exist', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    const ghost = serviceArnOf('prod', 'deleted-api');
    world.index.seedRepositories(
      { serviceArn: ghost, clusterArn: clusterArnOf('prod'), serviceName: 'deleted-api' },
      [REPOSITORY_KEY],
    );

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => d.service)).toEqual(['api']);
    expect(world.writes).toContainEqual({ op: 'unindexRepositories', serviceArn: ghost });
    expect(world.index.repositoriesOf(ghost)).toEqual([]);
    expect((await world.index.servicesForRepository(REPOSITORY_KEY)).map((s) => s.serviceName)).toEqual([
      'api',
    ]);
  });

  it('returns no decisions for a repository no service follows', async () => {
    // Prepare
    const world = aWorld();

    // Act
    const decisions = await deployPushedImage(push({ repositoryName: 'team/unused' }), world.deps);

    // Assess
    expect(decisions).toEqual([]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.events.batches).toBe(0);
  });

  it('dry run: decides as usual but mutates nothing and publishes events marked dryRun', async () => {
    // Prepare
    const world = aWorld({ dryRun: true, policy: { policies: { slow: { minImageAge: '1h' } } } });
    const api = aService();
    const slow = aService({
      name: 'api-slow',
      tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'slow' },
    });
    const broken = aService({ name: 'api-broken', taskDefinitionArn: taskDefinitionArnOf('gone', 1) });
    follow(world, api);
    follow(world, slow);
    world.ecs.addService(broken);
    world.index.seedRepositories(
      { serviceArn: broken.arn, clusterArn: broken.clusterArn, serviceName: broken.name },
      [REPOSITORY_KEY],
    );
    const ghost = serviceArnOf('prod', 'deleted-api');
    world.index.seedRepositories(
      { serviceArn: ghost, clusterArn: clusterArnOf('prod'), serviceName: 'deleted-api' },
      [REPOSITORY_KEY],
    );

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => [d.service, d.action, d.dryRun])).toEqual([
      ['api', 'deploy', true],
      ['api-slow', 'defer', true],
      ['api-broken', 'failed', true],
    ]);
    expect(decisions[0]?.toTaskDefinition).toBeUndefined();
    expect(world.ecs.calls).toEqual([]);
    expect(world.writes).toEqual([]);
    expect(world.pending.allPending()).toEqual([]);
    expect(world.index.repositoriesOf(ghost)).toEqual([REPOSITORY_KEY]);
    expect(parseEvents(world.events.published).map((e) => [e.detailType, e.detail.dryRun])).toEqual([
      [DEPLOYMENT_STARTED, true],
      [DEPLOYMENT_SCHEDULED, true],
      [ACTION_FAILED, true],
    ]);
    expect(world.events.published[0]?.detail).toMatchObject({
      toTaskDefinition: '(dry run: not registered)',
    });
  });

  it('dry run: ignores a lock held by another invocation, since it deploys nothing', async () => {
    // Prepare
    const world = aWorld({ dryRun: true });
    const api = aService();
    follow(world, api);
    world.lease.seedLease(api.arn, 'another-invocation', 120);

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['deploy']);
    expect(world.writes).toEqual([]);
  });
});

describe('deployPushedImage of an image ECR replicated into this region', () => {
  /** The source of the replication: the same account's registry in us-east-1. */
  const SOURCE_REGISTRY = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;

  /**
   * "ECR Replication Action" as this region (eu-west-1, the destination) receives it: team/api:main
   * replicated from us-east-1, as the handler parses it.
   */
  function replicated(sourceAccount = ACCOUNT): PushedImage {
    const event = EcrReplicationActionEventSchema.parse({
      version: '0',
      id: 'c8b133b1-6029-4e73-a2a1-4f466b8ba999',
      'detail-type': 'ECR Replication Action',
      source: 'aws.ecr',
      account: ACCOUNT,
      time: PUSHED_AT,
      region: 'eu-west-1',
      resources: [`arn:aws:ecr:eu-west-1:${ACCOUNT}:repository/${REPOSITORY}`],
      detail: {
        result: 'SUCCESS',
        'repository-name': REPOSITORY,
        'image-digest': NEW,
        'source-account': sourceAccount,
        'action-type': 'REPLICATE',
        'source-region': 'us-east-1',
        'image-tag': 'main',
      },
    });
    return replicaAsPush(event);
  }

  /**
   * prod/api runs team/api from this region's registry; prod/api-east runs it from the source
   * registry. Each is indexed under the registry its revision names, as the index does.
   */
  function aWorldOfTwoRegistries(): World & { api: ServiceState; east: ServiceState } {
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const east = aService({ name: 'api-east', taskDefinitionArn: taskDefinitionArnOf('api-east', 3) });
    world.ecs.addService(
      east,
      aTaskDefinitionDoc({
        family: 'api-east',
        revision: 3,
        image: `${SOURCE_REGISTRY}/${REPOSITORY}@${OLD}`,
      }),
    );
    world.index.seedRepositories(
      { serviceArn: east.arn, clusterArn: east.clusterArn, serviceName: east.name },
      [`${ACCOUNT}:us-east-1:${REPOSITORY}`],
    );
    return { ...world, api, east };
  }

  it("deploys the replica to the service that follows the repository in this region's registry, and not to the one following the source registry", async () => {
    // Prepare
    const world = aWorldOfTwoRegistries();

    // Act
    const decisions = await deployPushedImage(replicated(), world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        service: 'api',
        action: 'deploy',
        image: PINNED_NEW,
        reason: 'follows tag main; replicated by ECR from us-east-1',
      }),
    ]);
    expect(mutations(world)).toEqual([
      `registerTaskDefinition ${API_8}`,
      `updateService prod/api -> ${API_8}`,
    ]);
    expect(world.ecs.service(world.east.arn)?.taskDefinitionArn).toBe(taskDefinitionArnOf('api-east', 3));
    expect(parseEvents(world.events.published)).toEqual([
      {
        detailType: DEPLOYMENT_STARTED,
        detail: expect.objectContaining({
          service: 'api',
          digest: NEW,
          reason: 'follows tag main; replicated by ECR from us-east-1',
        }),
      },
    ]);
  });

  it("deploys a replica from another account's registry the same way, naming that account", async () => {
    // Prepare
    const world = aWorldOfTwoRegistries();

    // Act
    const decisions = await deployPushedImage(replicated('111122223333'), world.deps);

    // Assess
    expect(decisions.map((d) => [d.service, d.action, d.reason])).toEqual([
      ['api', 'deploy', 'follows tag main; replicated by ECR from 111122223333 in us-east-1'],
    ]);
  });

  it('changes nothing when the replication is delivered again', async () => {
    // Prepare
    const world = aWorldOfTwoRegistries();
    await deployPushedImage(replicated(), world.deps);
    const published = world.events.published.length;

    // Act
    const again = await deployPushedImage(replicated(), world.deps);

    // Assess
    expect(again.map((d) => [d.service, d.action, d.reason])).toEqual([
      ['api', 'skip', 'already running this digest; replicated by ECR from us-east-1'],
    ]);
    expect(mutations(world)).toEqual([
      `registerTaskDefinition ${API_8}`,
      `updateService prod/api -> ${API_8}`,
    ]);
    expect(world.events.published).toHaveLength(published);
  });
});

describe('deployPushedImage under a pause', () => {
  const paused = (scope: string, notifyOnly = false) => ({
    scope,
    until: '2026-01-13T12:00:00.000Z',
    by: 'alice',
    reason: 'incident 42',
    at: '2026-01-13T10:00:00.000Z',
    notifyOnly,
  });

  it('holds the push of a paused service until the pause ends, then deploys it when due', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    await world.pauses.pause(paused('cluster:prod'));

    // Act
    const held = await deployPushedImage(push(), world.deps);
    world.clock.set('2026-01-13T12:00:00.000Z');
    const due = await deployDuePushes(world.deps);

    // Assess
    expect(held).toEqual([
      expect.objectContaining({
        action: 'defer',
        dueAt: '2026-01-13T12:00:00.000Z',
        reason: 'paused until 2026-01-13T12:00:00.000Z by alice (incident 42): follows tag main',
      }),
    ]);
    expect(parseEvents(world.events.published).map((e) => e.detailType)).toEqual([
      'Deployment Scheduled',
      'Deployment Started',
    ]);
    expect(due).toEqual([expect.objectContaining({ action: 'deploy', toTaskDefinition: API_8 })]);
    expect(mutations(world)).toEqual([
      `registerTaskDefinition ${API_8}`,
      `updateService prod/api -> ${API_8}`,
    ]);
  });

  it('tells what a notify-only service would have deployed, and changes nothing', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    await world.pauses.pause(paused('service:prod/api', true));

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'deploy', dryRun: true })]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.pending.allPending()).toEqual([]);
    expect(parseEvents(world.events.published)).toEqual([
      expect.objectContaining({
        detailType: 'Deployment Started',
        detail: expect.objectContaining({
          dryRun: true,
          reason: expect.stringMatching(/^notify-only until .* by alice \(incident 42\): follows tag main$/),
        }),
      }),
    ]);
  });

  it('deploys the services a pause does not cover', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    await world.pauses.pause(paused('cluster:staging'));

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'deploy', toTaskDefinition: API_8 })]);
  });
});

describe('deployDuePushes', () => {
  function pendingOf(service: ServiceState, pushed: PushedImage, dueAt: string): PendingPush {
    return {
      serviceArn: service.arn,
      cluster: service.clusterName,
      service: service.name,
      push: { ...pushed, pushedAt: pushed.pushedAt.toISOString() },
      dueAt,
      reason: 'waiting',
    };
  }

  it('deploys a due pending push and deletes it, leaving one that is not yet due', async () => {
    // Prepare
    const world = aWorld({ policy: { defaults: { minImageAge: '1h' } } });
    const api = aService();
    const worker = aService({ name: 'worker', taskDefinitionArn: taskDefinitionArnOf('worker', 3) });
    follow(world, api);
    follow(world, worker, aTaskDefinitionDoc({ family: 'worker', revision: 3 }));
    await deployPushedImage(push(), world.deps);
    const laterPush = push({
      eventId: 'later',
      digest: aDigest('later'),
      pushedAt: new Date('2026-01-13T10:30:00.000Z'),
    });
    world.pending.seedPending(pendingOf(worker, laterPush, '2026-01-13T11:30:00.000Z'));
    world.clock.set('2026-01-13T11:00:00.000Z');

    // Act
    const decisions = await deployDuePushes(world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ service: 'api', action: 'deploy', toTaskDefinition: API_8, digest: NEW }),
    ]);
    expect(mutations(world)).toEqual([
      `registerTaskDefinition ${API_8}`,
      `updateService prod/api -> ${API_8}`,
    ]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)).toBeUndefined();
    expect(world.pending.pendingFor(worker.arn, REPOSITORY_KEY)?.push.eventId).toBe('later');
    expect(
      parseEvents(world.events.published).map((e) => [
        e.detailType,
        (e.detail as { service?: string }).service,
      ]),
    ).toEqual([
      [DEPLOYMENT_SCHEDULED, 'api'],
      [DEPLOYMENT_SCHEDULED, 'worker'],
      [DEPLOYMENT_STARTED, 'api'],
    ]);
  });

  it('keeps a push pending, with the new due time, while the deploy window is still closed', async () => {
    // Prepare
    const window = {
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '09:00',
      end: '17:00',
      timezone: 'UTC',
    };
    const world = aWorld({ policy: { defaults: { windows: [window] } }, now: '2026-01-13T18:00:00.000Z' });
    const api = aService();
    follow(world, api);
    world.pending.seedPending(pendingOf(api, push(), '2026-01-13T17:59:00.000Z'));

    // Act
    const decisions = await deployDuePushes(world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'defer', dueAt: '2026-01-14T09:00:00.000Z' }),
    ]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)?.dueAt).toBe('2026-01-14T09:00:00.000Z');
    expect(world.ecs.calls).toEqual([]);
  });

  it('drops a pending push whose service no longer exists', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    world.pending.seedPending(pendingOf(api, push(), '2026-01-13T10:00:00.000Z'));

    // Act
    const decisions = await deployDuePushes(world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ service: 'api', action: 'skip', reason: 'service no longer exists' }),
    ]);
    expect(world.pending.allPending()).toEqual([]);
    expect(world.ecs.calls).toEqual([]);
  });

  it('drops a pending push superseded by a newer deployed push', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    const newer = push({
      eventId: 'newer',
      digest: aDigest('newer'),
      pushedAt: new Date('2026-01-13T10:03:00.000Z'),
    });
    world.ecr.pushImage(newer);
    await deployPushedImage(newer, world.deps);
    world.pending.seedPending(pendingOf(api, push(), '2026-01-13T10:04:00.000Z'));
    const callsBefore = world.ecs.calls.length;

    // Act
    const decisions = await deployDuePushes(world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'skip', reason: expect.stringMatching(/^superseded/) }),
    ]);
    expect(world.ecs.calls).toHaveLength(callsBefore);
    expect(world.pending.allPending()).toEqual([]);
  });

  it('in a dry run deploys nothing and keeps the pending push', async () => {
    // Prepare
    const world = aWorld({ dryRun: true });
    const api = aService();
    follow(world, api);
    world.pending.seedPending(pendingOf(api, push(), '2026-01-13T10:00:00.000Z'));

    // Act
    const decisions = await deployDuePushes(world.deps);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'deploy', dryRun: true })]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.writes).toEqual([]);
    expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)).toBeDefined();
  });

  it('does nothing when nothing is due', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    world.pending.seedPending(pendingOf(api, push(), '2026-01-13T12:00:00.000Z'));

    // Act
    const decisions = await deployDuePushes(world.deps);

    // Assess
    expect(decisions).toEqual([]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.writes).toEqual([]);
  });
});

describe('the last push skipped for each service (autopilot status)', () => {
  /** prod/api-release follows tag:release, so a push of main is skipped for it. */
  const onRelease = (name = 'api-release') => aService({ name, tags: { 'autopilot:deploy': 'tag:release' } });

  it('keeps the skip of a service the push did not deploy, not the deployment of the other, every skip in one write', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    const release = onRelease();
    const canary = onRelease('api-canary');
    for (const service of [api, release, canary]) follow(world, service);

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    const skipped = decisions.find((d) => d.service === 'api-release');
    expect(decisions.map((d) => [d.service, d.action])).toEqual([
      ['api', 'deploy'],
      ['api-release', 'skip'],
      ['api-canary', 'skip'],
    ]);
    expect(world.skips.lastSkips).toEqual({
      [release.arn]: {
        serviceArn: release.arn,
        repository: REPOSITORY,
        tag: 'main',
        digest: NEW,
        reason: skipped?.reason,
        triggeredBy: push().eventId,
        at: NOW,
      },
      [canary.arn]: expect.objectContaining({ reason: skipped?.reason, triggeredBy: push().eventId }),
    });
    expect(world.writes.filter((w) => w.op === 'recordSkips')).toHaveLength(1);
  });

  it('replaces the skip a service had with the next', async () => {
    // Prepare
    const world = aWorld();
    const release = onRelease();
    follow(world, release);
    await deployPushedImage(push(), world.deps);
    const next = push({ eventId: 'next', tag: 'feature', digest: aDigest('feature build') });
    world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'feature', digest: next.digest });
    world.clock.set('2026-01-13T10:10:00.000Z');

    // Act
    await deployPushedImage(next, world.deps);

    // Assess
    expect(await world.skips.lastSkip(release.arn)).toEqual(
      expect.objectContaining({ tag: 'feature', triggeredBy: 'next', at: '2026-01-13T10:10:00.000Z' }),
    );
  });

  it('keeps what a notify-only service was told would have been deployed, as a skip', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    await world.pauses.pause({
      scope: 'service:prod/api',
      until: '2026-01-13T12:00:00.000Z',
      by: 'alice',
      at: '2026-01-13T10:00:00.000Z',
      notifyOnly: true,
    });

    // Act
    await deployPushedImage(push(), world.deps);

    // Assess
    expect(await world.skips.lastSkip(api.arn)).toEqual(
      expect.objectContaining({
        reason: 'notify-only until 2026-01-13T12:00:00.000Z by alice: follows tag main',
        triggeredBy: push().eventId,
      }),
    );
  });

  it('keeps nothing in a dry run', async () => {
    // Prepare
    const world = aWorld({ dryRun: true });
    follow(world, onRelease());

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ action: 'skip', dryRun: true })]);
    expect(world.writes).toEqual([]);
    expect(world.skips.lastSkips).toEqual({});
  });

  it('deploys, announces and returns as usual when keeping the skips fails, and is not failed by it', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService());
    follow(world, onRelease());
    world.deps.skips.recordSkips = async () => {
      throw new RetryableError('BatchWriteItem left 1 of 1 skipped pushes unwritten after 4 rounds');
    };

    // Act
    const decisions = await deployPushedImage(push(), world.deps);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['deploy', 'skip']);
    expect(world.events.published.map((e) => e.detailType)).toEqual([DEPLOYMENT_STARTED]);
    expect(world.history.records).toHaveLength(1);
  });

  it('keeps nothing when the push is delivered again: its deployment and its deferral stand as the last decisions', async () => {
    // Prepare
    const world = aWorld({ policy: { policies: { slow: { minImageAge: '1h' } } } });
    const api = aService();
    const slow = aService({
      name: 'api-slow',
      tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'slow' },
    });
    follow(world, api);
    follow(world, slow);
    await deployPushedImage(push(), world.deps);

    // Act
    const again = await deployPushedImage(push(), world.deps);

    // Assess
    expect(again.map((d) => d.action)).toEqual(['skip', 'skip']);
    expect(world.skips.lastSkips).toEqual({});
  });

  it('keeps nothing for a service gone from ECS', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    world.pending.seedPending({
      serviceArn: api.arn,
      cluster: 'prod',
      service: 'api',
      push: { ...push(), pushedAt: PUSHED_AT },
      dueAt: '2026-01-13T10:00:00.000Z',
      reason: 'cooldown',
    });

    // Act
    const decisions = await deployDuePushes(world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'service no longer exists' }),
    ]);
    expect(world.skips.lastSkips).toEqual({});
  });

  it('keeps the skip of a due push, as of a push', async () => {
    // Prepare
    const world = aWorld();
    const api = aService();
    follow(world, api);
    world.quarantine.seedQuarantined({
      repositoryKey: REPOSITORY_KEY,
      repository: REPOSITORY,
      digest: NEW,
      reason: 'deployed to prod/api and unhealthy',
      at: NOW,
    });
    world.pending.seedPending({
      serviceArn: api.arn,
      cluster: 'prod',
      service: 'api',
      push: { ...push(), pushedAt: PUSHED_AT },
      dueAt: '2026-01-13T10:00:00.000Z',
      reason: 'cooldown',
    });

    // Act
    await deployDuePushes(world.deps);

    // Assess
    expect(await world.skips.lastSkip(api.arn)).toEqual(
      expect.objectContaining({ reason: `digest ${NEW} is quarantined`, triggeredBy: push().eventId }),
    );
  });
});
