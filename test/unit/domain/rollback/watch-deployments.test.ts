import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import {
  type DeploymentStateChange,
  onAlarm,
  onDeploymentStateChange,
  onTaskStopped,
  promoteBaked,
  rollbackByPerson,
  type WatchDeps,
} from '../../../../shared/domain/rollback/watch-deployments';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  AutopilotEventSchemas,
  DEPLOYMENT_ROLLED_BACK,
  DEPLOYMENT_SUCCEEDED,
  IMAGE_QUARANTINED,
  ROLLBACK_FAILED,
} from '../../../../shared/events/autopilot-events';
import type { RollbackRecord, ServiceDeploymentState, ServiceState } from '../../../../shared/ports';
import {
  aDigest,
  anInMemoryWorld,
  aService,
  aTaskDefinitionDoc,
  clusterArnOf,
  InMemoryDeploymentControl,
  InMemoryRollbackHistory,
  type PlatformCall,
  pinnedImage,
  REPOSITORY,
  REPOSITORY_KEY,
  type StateWrite,
  type StopCall,
  serviceArnOf,
  taskDefinitionArnOf,
} from '../../../support/in-memory';
import { watchDeps } from './watch-world';

// The timeline (2026-01-13, UTC):
//   09:00 ecs-svc/7 (api:7, image GOOD) starts, 09:05 completes, 09:15 baked: last known good
//   10:00 ecs-svc/8 (api:8, image BAD) starts, 10:10 completes, bake time until 10:20
//   later  ecs-svc/9 (api:7 again) is the rollback, ecs-svc/10 (api:9) the next deployment
const at = (time: string) => `2026-01-13T${time}.000Z`;
const API_6 = taskDefinitionArnOf('api', 6);
const API_7 = taskDefinitionArnOf('api', 7);
const API_8 = taskDefinitionArnOf('api', 8);
const API_9 = taskDefinitionArnOf('api', 9);
const GOOD = aDigest('api build 41');
const BAD = aDigest('api build 42');
const NEXT = aDigest('api build 43');
const D7 = 'ecs-svc/7000000000000000007';
const D8 = 'ecs-svc/8000000000000000008';
const D9 = 'ecs-svc/9000000000000000009';
const D10 = 'ecs-svc/1000000000000000010';
const SERVICE_ARN = serviceArnOf('prod', 'api');
const CLUSTER_ARN = clusterArnOf('prod');
const ALARM = 'api-5xx';

/** Rolling deployments with the circuit breaker on but without its rollback: autopilot rolls back. */
const ROLLING: ServiceState['deploymentConfiguration'] = {
  circuitBreaker: { enable: true, rollback: false },
  alarmRollback: false,
  strategy: 'ROLLING',
};
const CIRCUIT_BREAKER_ROLLBACK: ServiceState['deploymentConfiguration'] = {
  ...ROLLING,
  circuitBreaker: { enable: true, rollback: true },
};

type World = ReturnType<typeof anInMemoryWorld> & {
  control: InMemoryDeploymentControl;
  deps: WatchDeps;
  config: ServiceState['deploymentConfiguration'];
};

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

function aWorld(
  options: {
    dryRun?: boolean;
    policy?: Record<string, unknown>;
    /** replaces the world's rollback history (a race with another invocation) */
    rollbacks?: InMemoryRollbackHistory;
    config?: ServiceState['deploymentConfiguration'];
  } = {},
): World {
  const base = anInMemoryWorld(at('09:00:00'));
  const world = { ...base, rollbacks: options.rollbacks ?? base.rollbacks };
  const control = new InMemoryDeploymentControl();
  world.ecs.addTaskDefinition(
    aTaskDefinitionDoc({ revision: 6, image: pinnedImage(aDigest('api build 40')) }),
  );
  world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 7, image: pinnedImage(GOOD) }));
  world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 8, image: pinnedImage(BAD) }));
  world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 9, image: pinnedImage(NEXT) }));
  return {
    ...world,
    control,
    config: options.config ?? ROLLING,
    deps: watchDeps(world, control, policyFile(options.policy), options.dryRun ?? false),
  };
}

function deployment(
  id: string,
  taskDefinitionArn: string,
  rolloutState: string,
  status = 'PRIMARY',
): ServiceDeploymentState {
  return { id, status, taskDefinitionArn, rolloutState };
}

/** What ECS lists for the service from now on (the first deployment is the primary one). */
function ecsLists(world: World, ...deployments: ServiceDeploymentState[]): void {
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  world.ecs.addService(
    aService({
      taskDefinitionArn: primary?.taskDefinitionArn ?? API_7,
      deployments,
      deploymentConfiguration: world.config,
    }),
  );
}

let eventCounter = 0;

function change(
  eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS' | 'SERVICE_DEPLOYMENT_COMPLETED' | 'SERVICE_DEPLOYMENT_FAILED',
  deploymentId: string,
  updatedAt: string,
  reason?: string,
): DeploymentStateChange {
  eventCounter++;
  return {
    serviceArn: SERVICE_ARN,
    eventName,
    deploymentId,
    updatedAt,
    eventId: `deployment-event-${eventCounter}`,
    ...(reason === undefined ? {} : { reason }),
  };
}

/** A CloudWatch alarm state change, `time` as EventBridge writes it (no milliseconds). */
function alarm(time: string, state = 'ALARM', name = ALARM) {
  eventCounter++;
  return {
    name,
    state,
    reason: 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)',
    at: `2026-01-13T${time}Z`,
    eventId: `alarm-event-${eventCounter}`,
  };
}

/** A task of api:8 whose essential container exited with code 1. */
function crash(taskId: string, stoppedAt: string, taskDefinitionArn = API_8) {
  eventCounter++;
  return {
    clusterArn: CLUSTER_ARN,
    group: 'service:api',
    taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/prod/${taskId}`,
    taskDefinitionArn,
    stoppedAt,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [
      { name: 'app', exitCode: 1 },
      { name: 'log-router', exitCode: 0 },
    ],
    eventId: `task-event-${eventCounter}`,
  };
}

/** Validates every event against its published contract; throws on the first violation. */
function parseEvents(events: readonly AutopilotEvent[]): AutopilotEvent[] {
  return events.map((event) => {
    const result = AutopilotEventSchemas[event.detailType].safeParse(event.detail);
    if (!result.success)
      throw new Error(`${event.detailType} violates its contract: ${result.error.message}`);
    return { detailType: event.detailType, detail: result.data } as AutopilotEvent;
  });
}

/** What one step did: its result, and the events, ECS calls, stops and state writes it caused. */
async function step<T>(
  world: World,
  run: () => Promise<T>,
): Promise<{
  result: T;
  events: AutopilotEvent[];
  ecs: PlatformCall[];
  stops: StopCall[];
  writes: StateWrite[];
}> {
  const marks = [
    world.events.published.length,
    world.ecs.calls.length,
    world.control.calls.length,
    world.writes.length,
  ] as const;
  const result = await run();
  return {
    result,
    events: parseEvents(world.events.published.slice(marks[0])),
    ecs: world.ecs.calls.slice(marks[1]),
    stops: world.control.calls.slice(marks[2]),
    writes: world.writes.slice(marks[3]),
  };
}

const typesOf = (events: readonly AutopilotEvent[]) => events.map((e) => e.detailType);

/** ecs-svc/7 (api:7) deploys, completes and bakes through the use case: api:7 is the last known good. */
async function knownGoodApi7(world: World): Promise<void> {
  ecsLists(world, deployment(D7, API_7, 'IN_PROGRESS'));
  await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D7, at('09:00:00')), world.deps);
  ecsLists(world, deployment(D7, API_7, 'COMPLETED'));
  await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_COMPLETED', D7, at('09:05:00')), world.deps);
  world.clock.set(at('09:15:00'));
  await promoteBaked(world.deps);
  await world.index.indexAlarms({ serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' }, [
    ALARM,
  ]);
}

/** ecs-svc/8 (api:8, image BAD) starts at 10:00. */
async function startApi8(world: World): Promise<void> {
  world.clock.set(at('10:00:00'));
  ecsLists(world, deployment(D8, API_8, 'IN_PROGRESS'), deployment(D7, API_7, 'COMPLETED', 'ACTIVE'));
  await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D8, at('10:00:00')), world.deps);
}

/** ECS's circuit breaker fails ecs-svc/8 at 10:06. */
const circuitBreakerFailedApi8 = () =>
  change(
    'SERVICE_DEPLOYMENT_FAILED',
    D8,
    at('10:06:00'),
    'ECS deployment circuit breaker: tasks failed to start.',
  );

/** ecs-svc/8 completes at 10:10; it bakes until 10:20. */
async function completeApi8(world: World): Promise<void> {
  world.clock.set(at('10:10:00'));
  ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
  await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_COMPLETED', D8, at('10:10:00')), world.deps);
}

describe('watching deployments: a good deployment', () => {
  it('records the deployment, bakes it and then makes it the last known good revision', async () => {
    // Prepare
    const world = aWorld();
    ecsLists(world, deployment(D7, API_7, 'IN_PROGRESS'));

    // Act
    const started = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D7, at('09:00:00')), world.deps),
    );
    ecsLists(world, deployment(D7, API_7, 'COMPLETED'));
    const completed = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_COMPLETED', D7, at('09:05:00')), world.deps),
    );
    world.clock.set(at('09:14:59'));
    const early = await step(world, () => promoteBaked(world.deps));
    world.clock.set(at('09:15:00'));
    const baked = await step(world, () => promoteBaked(world.deps));

    // Assess
    expect(started.result).toEqual([
      { service: 'prod/api', deploymentId: D7, action: 'record', reason: 'deployment in progress' },
    ]);
    expect(completed.result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D7,
        action: 'bake',
        reason: `completed; known good after ${at('09:15:00')} unless unhealthy`,
      },
    ]);
    expect(completed.writes.map((w) => w.op)).toEqual(['recordDeploymentState', 'scheduleBake']);
    expect(early.result).toEqual([]);
    expect(baked.result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D7,
        action: 'known-good',
        reason: `baked until ${at('09:15:00')} without an unhealthy signal`,
      },
    ]);
    expect(await world.rollbacks.lastKnownGood(SERVICE_ARN)).toEqual({
      taskDefinitionArn: API_7,
      deploymentId: D7,
      at: at('09:15:00'),
    });
    expect(baked.events).toEqual([
      {
        detailType: DEPLOYMENT_SUCCEEDED,
        detail: {
          cluster: 'prod',
          service: 'api',
          serviceArn: SERVICE_ARN,
          taskDefinition: API_7,
          deploymentId: D7,
          bakedUntil: at('09:15:00'),
          dryRun: false,
        },
      },
    ]);
    expect(world.bakes.allBakes()).toEqual([]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.control.calls).toEqual([]);
  });

  it('ignores an alarm after the bake time', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);
    world.clock.set(at('10:25:00'));

    // Act
    const { result, events, ecs } = await step(world, () => onAlarm(alarm('10:25:00'), world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason: `alarm ${ALARM} fired outside any deployment or bake time`,
      },
    ]);
    expect(events).toEqual([]);
    expect(ecs).toEqual([]);
  });

  it('ignores alarms that are not in ALARM, and services nobody watches', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    world.ecs.addService(aService({ tags: {}, deployments: [deployment(D8, API_8, 'IN_PROGRESS')] }));

    // Act
    const ok = await step(world, () => onAlarm(alarm('10:05:00', 'OK'), world.deps));
    const unwatched = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_FAILED', D8, at('10:05:00')), world.deps),
    );

    // Assess
    expect(ok.result).toEqual([
      {
        service: `alarm ${ALARM}`,
        action: 'ignore',
        reason: `alarm ${ALARM} is OK, not ALARM: not a signal`,
      },
    ]);
    expect(unwatched.result).toEqual([
      { service: 'prod/api', action: 'ignore', reason: 'service is not watched for rollback' },
    ]);
    expect([...ok.writes, ...unwatched.writes, ...ok.events, ...unwatched.events]).toEqual([]);
  });

  it('ignores a state change of a deployment neither ECS nor autopilot knows', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);

    // Act
    const { result, writes } = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_FAILED', 'ecs-svc/404', at('10:05:00')), world.deps),
    );

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason: 'deployment ecs-svc/404 is unknown to ECS and to autopilot',
      },
    ]);
    expect(writes).toEqual([]);
  });
});

describe('watching deployments: ECS rolled back by itself', () => {
  it('quarantines the bad image and tells people, without touching ECS', async () => {
    // Prepare
    const world = aWorld({ config: CIRCUIT_BREAKER_ROLLBACK });
    await knownGoodApi7(world);
    await startApi8(world);
    // The circuit breaker failed ecs-svc/8 and ECS is rolling back to api:7.
    world.clock.set(at('10:06:00'));
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));

    // Act
    const { result, events, ecs, stops, writes } = await step(world, () =>
      onDeploymentStateChange(circuitBreakerFailedApi8(), world.deps),
    );

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'quarantine-only',
        reason:
          'ECS already rolled back (ECS deployment circuit breaker: tasks failed to start.); not rolling back again',
        from: API_8,
        to: undefined,
      },
    ]);
    expect(events).toEqual([
      {
        detailType: IMAGE_QUARANTINED,
        detail: expect.objectContaining({
          repository: REPOSITORY,
          digest: BAD,
          cluster: 'prod',
          service: 'api',
        }),
      },
      {
        detailType: DEPLOYMENT_ROLLED_BACK,
        detail: {
          cluster: 'prod',
          service: 'api',
          serviceArn: SERVICE_ARN,
          fromTaskDefinition: API_8,
          toTaskDefinition: API_7,
          reason:
            'ECS already rolled back (ECS deployment circuit breaker: tasks failed to start.); not rolling back again',
          by: 'ecs',
          method: 'none',
          signals: [
            {
              kind: 'deployment-failed',
              reason: 'ECS deployment circuit breaker: tasks failed to start.',
              at: at('10:06:00'),
            },
          ],
          dryRun: false,
          triggeredBy: expect.stringMatching(/^deployment-event-/),
        },
      },
    ]);
    expect(ecs).toEqual([]);
    expect(stops).toEqual([]);
    expect(writes.map((w) => w.op)).toEqual([
      'recordDeploymentState',
      'markUnhealthy',
      'quarantineImage',
      'markAnnounced',
    ]);
    expect(await world.quarantine.listQuarantined()).toEqual([
      expect.objectContaining({ repositoryKey: REPOSITORY_KEY, repository: REPOSITORY, digest: BAD }),
    ]);
  });

  it('records the rollback deployment ECS started as a rollback', async () => {
    // Prepare
    const world = aWorld({ config: CIRCUIT_BREAKER_ROLLBACK });
    await knownGoodApi7(world);
    await startApi8(world);
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));

    // Act
    const { result } = await step(world, () =>
      onDeploymentStateChange(
        change(
          'SERVICE_DEPLOYMENT_IN_PROGRESS',
          D9,
          at('10:06:01'),
          `ECS deployment circuit breaker: rolling back to deploymentId ${D7}.`,
        ),
        world.deps,
      ),
    );

    // Assess
    expect(result).toEqual([
      { service: 'prod/api', deploymentId: D9, action: 'record', reason: 'rollback deployment in progress' },
    ]);
    expect(await world.history.getDeployment(SERVICE_ARN, D9)).toMatchObject({
      taskDefinitionArn: API_7,
      state: 'IN_PROGRESS',
      isRollback: true,
    });
  });

  it('quarantines the bad image when its events arrive after ECS already dropped the deployment', async () => {
    // Prepare: deploy on push noted ecs-svc/8 when UpdateService answered; by the time its state
    // changes are delivered, the circuit breaker has failed it and the rollback has completed.
    const world = aWorld({ config: CIRCUIT_BREAKER_ROLLBACK });
    await knownGoodApi7(world);
    await world.history.noteDeploymentStarted(SERVICE_ARN, {
      deploymentId: D8,
      taskDefinitionArn: API_8,
      startedAt: at('10:00:00'),
      isRollback: false,
    });
    world.clock.set(at('10:07:00'));
    ecsLists(world, deployment(D9, API_7, 'COMPLETED'));

    // Act
    const late = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D8, at('10:00:00')), world.deps),
    );
    const failed = await step(world, () => onDeploymentStateChange(circuitBreakerFailedApi8(), world.deps));

    // Assess
    expect(late.result).toEqual([
      { service: 'prod/api', deploymentId: D8, action: 'record', reason: 'deployment in progress' },
    ]);
    expect(failed.result).toMatchObject([{ action: 'quarantine-only', from: API_8 }]);
    expect(failed.events.map((e) => e.detailType)).toEqual([IMAGE_QUARANTINED, DEPLOYMENT_ROLLED_BACK]);
    expect(failed.ecs).toEqual([]);
    expect(failed.stops).toEqual([]);
  });

  it('quarantines the bad image when the FAILED event comes before ECS starts its rollback', async () => {
    // Prepare
    const world = aWorld({ config: CIRCUIT_BREAKER_ROLLBACK });
    await knownGoodApi7(world);
    await startApi8(world);
    ecsLists(world, deployment(D8, API_8, 'FAILED'), deployment(D7, API_7, 'COMPLETED', 'ACTIVE'));

    // Act
    const { result, events, ecs, stops } = await step(world, () =>
      onDeploymentStateChange(circuitBreakerFailedApi8(), world.deps),
    );

    // Assess
    expect(result).toMatchObject([{ action: 'quarantine-only', from: API_8 }]);
    expect(events).toEqual([
      {
        detailType: IMAGE_QUARANTINED,
        detail: expect.objectContaining({ repository: REPOSITORY, digest: BAD }),
      },
    ]);
    expect(ecs).toEqual([]);
    expect(stops).toEqual([]);
  });

  it.each([
    { name: 'a BLUE_GREEN deployment', config: { ...ROLLING, strategy: 'BLUE_GREEN' } },
    { name: "ECS's own alarm rollback", config: { ...ROLLING, alarmRollback: true } },
  ])('does not fight $name: quarantine and tell only', async ({ config }) => {
    // Prepare
    const world = aWorld({ config });
    await knownGoodApi7(world);
    await startApi8(world);
    world.clock.set(at('10:05:00'));

    // Act
    const { result, events, ecs, stops } = await step(world, () => onAlarm(alarm('10:05:00'), world.deps));

    // Assess
    expect(result).toMatchObject([{ action: 'quarantine-only', from: API_8 }]);
    expect(events).toEqual([
      {
        detailType: IMAGE_QUARANTINED,
        detail: expect.objectContaining({ repository: REPOSITORY, digest: BAD }),
      },
    ]);
    expect(ecs).toEqual([]);
    expect(stops).toEqual([]);
  });
});

describe('watching deployments: an alarm in the bake time', () => {
  it('returns the service to the last known good revision and quarantines the bad image', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);
    world.clock.set(at('10:15:00'));

    // Act
    const { result, events, ecs, stops } = await step(world, () => onAlarm(alarm('10:15:00'), world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'update-service',
        reason: expect.stringMatching(
          /^alarm: alarm api-5xx in ALARM: Threshold Crossed.*; returning to the last known good revision$/,
        ),
        from: API_8,
        to: API_7,
      },
    ]);
    expect(ecs).toEqual([
      { op: 'updateService', cluster: CLUSTER_ARN, service: SERVICE_ARN, taskDefinitionArn: API_7 },
    ]);
    expect(stops).toEqual([]);
    expect(events).toEqual([
      {
        detailType: DEPLOYMENT_ROLLED_BACK,
        detail: expect.objectContaining({
          fromTaskDefinition: API_8,
          toTaskDefinition: API_7,
          by: 'autopilot',
          method: 'update-service',
          signals: [expect.objectContaining({ kind: 'alarm', at: at('10:15:00') })],
          dryRun: false,
        }),
      },
      {
        detailType: IMAGE_QUARANTINED,
        detail: expect.objectContaining({ repository: REPOSITORY, digest: BAD, dryRun: false }),
      },
    ]);
    expect(await world.history.getDeployment(SERVICE_ARN, D8)).toMatchObject({ unhealthy: true });
    expect(await world.rollbacks.lastRollback(SERVICE_ARN)).toMatchObject({
      at: at('10:15:00'),
      from: API_8,
      to: API_7,
      triggeredBy: 'alarm-event-44',
    });
  });

  it('counts an alarm within the last second of the bake time (EventBridge times have no milliseconds)', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
    await onDeploymentStateChange(
      change('SERVICE_DEPLOYMENT_COMPLETED', D8, '2026-01-13T10:10:00.500Z'),
      world.deps,
    );
    world.clock.set(at('10:20:00'));

    // Act
    const { result } = await step(world, () => onAlarm(alarm('10:20:00'), world.deps));

    // Assess
    expect(result).toMatchObject([{ action: 'update-service', to: API_7 }]);
  });

  it('records the rollback deployment as a rollback and never rolls it back', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);
    world.clock.set(at('10:15:00'));
    await onAlarm(alarm('10:15:00'), world.deps);
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'COMPLETED', 'ACTIVE'));

    // Act
    const started = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D9, at('10:15:05')), world.deps),
    );
    world.clock.set(at('10:17:00'));
    const again = await step(world, () => onAlarm(alarm('10:17:00'), world.deps));

    // Assess
    expect(started.result).toEqual([
      { service: 'prod/api', deploymentId: D9, action: 'record', reason: 'rollback deployment in progress' },
    ]);
    expect(await world.history.getDeployment(SERVICE_ARN, D9)).toMatchObject({ isRollback: true });
    expect(again.result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D9,
        action: 'rollback-failed',
        reason: expect.stringMatching(/^the rollback deployment is unhealthy too \(alarm api-5xx in ALARM/),
        from: API_7,
        to: undefined,
      },
    ]);
    expect(again.events).toEqual([
      {
        detailType: ROLLBACK_FAILED,
        detail: expect.objectContaining({
          taskDefinition: API_7,
          signals: [expect.objectContaining({ kind: 'alarm' })],
        }),
      },
    ]);
    expect(again.ecs).toEqual([]);
    expect(again.stops).toEqual([]);
    expect(world.ecs.calls).toHaveLength(1);
  });

  it('knows the deployment its UpdateService started is a rollback, whatever its events say', async () => {
    // Prepare: an alarm in the bake time of api:8 made autopilot update the service back to api:7.
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);
    world.clock.set(at('10:12:00'));
    await onAlarm(alarm('10:12:00'), world.deps);
    const rollback = (await world.ecs.describeServices([{ cluster: 'prod', service: 'api' }]))[0]
      ?.deployments[0];

    // Act: ECS's event for the rollback deployment carries no rollback reason.
    const { result } = await step(world, () =>
      onDeploymentStateChange(
        change('SERVICE_DEPLOYMENT_IN_PROGRESS', rollback?.id ?? '', at('10:12:01')),
        world.deps,
      ),
    );

    // Assess
    expect(rollback).toMatchObject({ status: 'PRIMARY', taskDefinitionArn: API_7 });
    expect(world.writes).toContainEqual({
      op: 'noteDeploymentStarted',
      serviceArn: SERVICE_ARN,
      started: {
        deploymentId: rollback?.id,
        taskDefinitionArn: API_7,
        startedAt: at('10:12:00'),
        isRollback: true,
      },
    });
    expect(result).toMatchObject([{ action: 'record', reason: 'rollback deployment in progress' }]);
    expect(await world.history.getDeployment(SERVICE_ARN, rollback?.id ?? '')).toMatchObject({
      taskDefinitionArn: API_7,
      isRollback: true,
    });
  });

  it('does not make the unhealthy revision known good when its bake timer fires', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);
    world.clock.set(at('10:15:00'));
    await onAlarm(alarm('10:15:00'), world.deps);
    world.clock.set(at('10:20:00'));

    // Act
    const { result, events } = await step(world, () => promoteBaked(world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'ignore',
        reason: 'not known good: unhealthy, replaced or gone before the bake time ended',
      },
    ]);
    expect(events).toEqual([]);
    expect(await world.rollbacks.lastKnownGood(SERVICE_ARN)).toMatchObject({
      taskDefinitionArn: API_7,
      deploymentId: D7,
    });
    expect(world.bakes.allBakes()).toEqual([]);
  });
});

describe('watching deployments: a crash loop', () => {
  it('records two crashes and stops the deployment with ECS rollback at the third', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);

    // Act
    const first = await step(world, () => onTaskStopped(crash('t1', at('10:02:00')), world.deps));
    const second = await step(world, () => onTaskStopped(crash('t2', at('10:03:00')), world.deps));
    world.clock.set(at('10:04:00'));
    const third = await step(world, () => onTaskStopped(crash('t3', at('10:04:00')), world.deps));

    // Assess
    expect(first.result).toEqual([
      {
        service: 'prod/api',
        action: 'record',
        reason: 'crash 1 of 3: essential container exited with code 1 (app)',
      },
    ]);
    expect(second.result).toEqual([
      {
        service: 'prod/api',
        action: 'record',
        reason: 'crash 2 of 3: essential container exited with code 1 (app)',
      },
    ]);
    expect([...first.events, ...second.events, ...first.stops, ...second.stops]).toEqual([]);
    expect(third.result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'stop-deployment',
        reason:
          "crash-loop: 3 tasks of the new revision crashed within 10m (last: essential container exited with code 1 (app)); stopping the deployment with ECS's rollback",
        from: API_8,
        to: API_7,
      },
    ]);
    expect(third.stops).toEqual([
      { cluster: CLUSTER_ARN, service: SERVICE_ARN, taskDefinitionArn: API_8, stopped: true },
    ]);
    expect(third.ecs).toEqual([]);
    expect(typesOf(third.events)).toEqual([DEPLOYMENT_ROLLED_BACK, IMAGE_QUARANTINED]);
    expect(third.events[0]?.detail).toMatchObject({ by: 'autopilot', method: 'stop-deployment' });
  });

  it('falls back to UpdateService when ECS has no deployment to stop', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    world.control.refuse();
    await onTaskStopped(crash('t1', at('10:02:00')), world.deps);
    await onTaskStopped(crash('t2', at('10:03:00')), world.deps);

    // Act
    const { result, events, ecs, stops } = await step(world, () =>
      onTaskStopped(crash('t3', at('10:04:00')), world.deps),
    );

    // Assess
    expect(result).toMatchObject([{ action: 'update-service', from: API_8, to: API_7 }]);
    expect(stops).toEqual([
      { cluster: CLUSTER_ARN, service: SERVICE_ARN, taskDefinitionArn: API_8, stopped: false },
    ]);
    expect(ecs).toEqual([
      { op: 'updateService', cluster: CLUSTER_ARN, service: SERVICE_ARN, taskDefinitionArn: API_7 },
    ]);
    expect(events[0]?.detail).toMatchObject({ by: 'autopilot', method: 'update-service' });
  });

  it('counts a duplicate event of the same stopped task once', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    const t1 = crash('t1', at('10:02:00'));

    // Act
    const first = await step(world, () => onTaskStopped(t1, world.deps));
    const duplicate = await step(world, () =>
      onTaskStopped({ ...t1, eventId: 'task-event-redelivered' }, world.deps),
    );
    const second = await step(world, () => onTaskStopped(crash('t2', at('10:03:00')), world.deps));

    // Assess
    expect(first.result).toMatchObject([
      { action: 'record', reason: expect.stringMatching(/^crash 1 of 3/) },
    ]);
    expect(duplicate.result).toMatchObject([
      { action: 'record', reason: expect.stringMatching(/^crash 1 of 3/) },
    ]);
    expect(second.result).toMatchObject([
      { action: 'record', reason: expect.stringMatching(/^crash 2 of 3/) },
    ]);
    expect(world.control.calls).toEqual([]);
  });

  it('does not count crashes outside the window, of older revisions, or tasks that did not crash', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await onTaskStopped(crash('t0', at('09:50:00')), world.deps);
    await onTaskStopped(crash('t1', at('10:02:00')), world.deps);

    // Act
    const older = await step(world, () => onTaskStopped(crash('old', at('10:02:30'), API_7), world.deps));
    const scaledIn = await step(world, () =>
      onTaskStopped(
        {
          ...crash('t2', at('10:03:00')),
          stopCode: 'ServiceSchedulerInitiated',
          stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/8000000000000000008)',
        },
        world.deps,
      ),
    );
    const counted = await step(world, () => onTaskStopped(crash('t3', at('10:04:00')), world.deps));

    // Assess
    expect(older.result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason: 'a task of api:7 crashed while the service moves to api:8: not counted',
      },
    ]);
    expect(scaledIn.result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason: `task t2 stopped by the ECS scheduler (ServiceSchedulerInitiated: Scaling activity initiated by (deployment ${D8})): not a crash`,
      },
    ]);
    expect(counted.result).toMatchObject([
      { action: 'record', reason: expect.stringMatching(/^crash 2 of 3/) },
    ]);
  });

  it('reports a crash loop of the rollback as a failed rollback', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    world.clock.set(at('10:04:00'));
    for (const task of ['t1', 't2', 't3']) await onTaskStopped(crash(task, at('10:04:00')), world.deps);
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'IN_PROGRESS', 'ACTIVE'));
    await onDeploymentStateChange(
      change('SERVICE_DEPLOYMENT_IN_PROGRESS', D9, at('10:04:10'), `rolling back to ${D7}`),
      world.deps,
    );

    // Act
    const results = [];
    for (const task of ['r1', 'r2', 'r3'])
      results.push(await step(world, () => onTaskStopped(crash(task, at('10:06:00'), API_7), world.deps)));

    // Assess
    expect(results[2]?.result).toMatchObject([{ action: 'rollback-failed', deploymentId: D9, from: API_7 }]);
    expect(typesOf(results[2]?.events ?? [])).toEqual([ROLLBACK_FAILED]);
    expect(world.control.calls).toHaveLength(1);
    expect(world.ecs.calls).toEqual([]);
  });
});

describe('watching deployments: duplicates and events out of order', () => {
  it('acts once on a duplicate FAILED event', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    ecsLists(world, deployment(D8, API_8, 'FAILED'), deployment(D7, API_7, 'COMPLETED', 'ACTIVE'));
    world.clock.set(at('10:06:00'));
    const failed = change('SERVICE_DEPLOYMENT_FAILED', D8, at('10:06:00'), 'tasks failed to start');

    // Act
    const first = await step(world, () => onDeploymentStateChange(failed, world.deps));
    const duplicate = await step(world, () => onDeploymentStateChange({ ...failed }, world.deps));

    // Assess
    expect(first.result).toMatchObject([{ action: 'update-service', from: API_8, to: API_7 }]);
    expect(first.ecs).toHaveLength(1);
    expect(typesOf(first.events)).toEqual([DEPLOYMENT_ROLLED_BACK, IMAGE_QUARANTINED]);
    expect(duplicate.result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'ignore',
        reason: `deployment ${D8} was already handled`,
        from: API_8,
        to: undefined,
      },
    ]);
    expect([...duplicate.ecs, ...duplicate.stops, ...duplicate.events]).toEqual([]);
  });

  it('acts once on a duplicate FAILED event that ECS rolled back', async () => {
    // Prepare
    const world = aWorld({ config: CIRCUIT_BREAKER_ROLLBACK });
    await knownGoodApi7(world);
    await startApi8(world);
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));
    const failed = change('SERVICE_DEPLOYMENT_FAILED', D8, at('10:06:00'), 'tasks failed to start');

    // Act
    const first = await step(world, () => onDeploymentStateChange(failed, world.deps));
    const duplicate = await step(world, () => onDeploymentStateChange(failed, world.deps));

    // Assess
    expect(typesOf(first.events)).toEqual([IMAGE_QUARANTINED, DEPLOYMENT_ROLLED_BACK]);
    expect(duplicate.result).toMatchObject([
      { action: 'ignore', reason: `deployment ${D8} was already handled` },
    ]);
    expect(duplicate.events).toEqual([]);
  });

  it('does nothing more when the deployment autopilot stopped reports FAILED', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    world.clock.set(at('10:04:00'));
    for (const task of ['t1', 't2', 't3']) await onTaskStopped(crash(task, at('10:04:00')), world.deps);
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));

    // Act
    const { result, events, ecs, stops } = await step(world, () =>
      onDeploymentStateChange(
        change('SERVICE_DEPLOYMENT_FAILED', D8, at('10:04:30'), 'deployment stopped'),
        world.deps,
      ),
    );

    // Assess
    expect(result).toMatchObject([{ action: 'ignore', reason: `deployment ${D8} was already handled` }]);
    expect([...events, ...ecs, ...stops]).toEqual([]);
  });

  it('does not bake or announce again a deployment already known good when its COMPLETED comes again', async () => {
    // Prepare: api:7 baked and announced; ECS sends its COMPLETED once more (a new event id), as a
    // duplicate state change or autopilot's own output fed back to it may.
    const world = aWorld();
    await knownGoodApi7(world);
    world.clock.set(at('09:30:00'));

    // Act
    const again = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_COMPLETED', D7, at('09:05:00')), world.deps),
    );
    world.clock.set(at('09:45:00'));
    const promoted = await step(world, () => promoteBaked(world.deps));

    // Assess
    expect(again.result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D7,
        action: 'ignore',
        reason: 'completed and known good already: nothing to bake again',
      },
    ]);
    expect(again.writes).toEqual([]);
    expect(world.bakes.allBakes()).toEqual([]);
    expect(promoted.events).toEqual([]);
  });

  it('bakes a COMPLETED whose deployment the indexer already made known good without its digests', async () => {
    // Prepare: the indexer saw prod/api steady before the watcher saw its deployment complete, and made
    // its first deployment known good (it does not know what it ran). The IN_PROGRESS was recorded.
    const world = aWorld();
    ecsLists(world, deployment(D7, API_7, 'IN_PROGRESS'));
    await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D7, at('09:00:00')), world.deps);
    await world.rollbacks.setLastKnownGood(SERVICE_ARN, {
      taskDefinitionArn: API_7,
      deploymentId: D7,
      at: at('09:04:00'),
    });
    ecsLists(world, deployment(D7, API_7, 'COMPLETED'));

    // Act
    const completed = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_COMPLETED', D7, at('09:05:00')), world.deps),
    );
    world.clock.set(at('09:15:00'));
    const promoted = await step(world, () => promoteBaked(world.deps));

    // Assess: baked as if the watcher had come first; the same end whichever order they came in
    expect(completed.result).toMatchObject([{ deploymentId: D7, action: 'bake' }]);
    expect(promoted.events.map((e) => e.detailType)).toEqual(['Deployment Succeeded']);
    expect((await world.history.getDeployment(SERVICE_ARN, D7))?.state).toBe('COMPLETED');
  });

  it('does not let a late COMPLETED of an older deployment change the last known good revision', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);
    world.clock.set(at('10:20:00'));
    await promoteBaked(world.deps);
    world.clock.set(at('10:30:00'));

    // Act
    const late = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_COMPLETED', D7, at('09:05:00')), world.deps),
    );
    const promoted = await step(world, () => promoteBaked(world.deps));

    // Assess
    expect(late.ecs).toEqual([]);
    expect(promoted.result).toMatchObject([{ deploymentId: D7, action: 'ignore' }]);
    expect(promoted.events).toEqual([]);
    expect(await world.rollbacks.lastKnownGood(SERVICE_ARN)).toEqual({
      taskDefinitionArn: API_8,
      deploymentId: D8,
      at: at('10:20:00'),
    });
  });

  it('does not let a late COMPLETED of an older deployment after a newer one FAILED make anything known good', async () => {
    // Prepare
    const world = aWorld({ config: CIRCUIT_BREAKER_ROLLBACK });
    ecsLists(world, deployment(D7, API_7, 'IN_PROGRESS'));
    await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D7, at('09:00:00')), world.deps);
    await startApi8(world);
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));
    await onDeploymentStateChange(
      change('SERVICE_DEPLOYMENT_FAILED', D8, at('10:06:00'), 'tasks failed'),
      world.deps,
    );
    world.clock.set(at('10:30:00'));

    // Act
    const late = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_COMPLETED', D7, at('09:05:00')), world.deps),
    );
    const promoted = await step(world, () => promoteBaked(world.deps));

    // Assess
    expect(late.ecs).toEqual([]);
    expect(promoted.result).toMatchObject([{ deploymentId: D7, action: 'ignore' }]);
    expect(await world.rollbacks.lastKnownGood(SERVICE_ARN)).toBeUndefined();
  });

  it('does not move a completed deployment back with a late IN_PROGRESS', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);

    // Act
    await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D8, at('10:00:00')), world.deps);
    world.clock.set(at('10:20:00'));
    const promoted = await step(world, () => promoteBaked(world.deps));

    // Assess
    expect(await world.history.getDeployment(SERVICE_ARN, D8)).toMatchObject({
      state: 'COMPLETED',
      bakeUntil: at('10:20:00'),
    });
    expect(promoted.result).toMatchObject([{ deploymentId: D8, action: 'known-good' }]);
  });

  it('never rolls back for a FAILED event that arrives after a newer deployment took over', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    // ecs-svc/10 (api:9) replaced ecs-svc/8 before the FAILED event of ecs-svc/8 was delivered.
    ecsLists(world, deployment(D10, API_9, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));
    await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D10, at('10:08:00')), world.deps);
    world.clock.set(at('10:09:00'));

    // Act
    const { result, events, ecs, stops } = await step(world, () =>
      onDeploymentStateChange(
        change('SERVICE_DEPLOYMENT_FAILED', D8, at('10:06:00'), 'tasks failed'),
        world.deps,
      ),
    );

    // Assess
    expect(result).toMatchObject([{ action: 'quarantine-only', from: API_8 }]);
    expect([...ecs, ...stops]).toEqual([]);
    expect(typesOf(events)).toContain(IMAGE_QUARANTINED);
    expect(await world.rollbacks.lastRollback(SERVICE_ARN)).toBeUndefined();
  });

  it('ignores a crash of the unhealthy revision once a newer deployment is primary', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    for (const task of ['t1', 't2']) await onTaskStopped(crash(task, at('10:02:00')), world.deps);
    ecsLists(world, deployment(D10, API_9, 'IN_PROGRESS'), deployment(D8, API_8, 'IN_PROGRESS', 'ACTIVE'));

    // Act
    const { result, ecs, stops, events } = await step(world, () =>
      onTaskStopped(crash('t3', at('10:03:00')), world.deps),
    );

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason: 'a task of api:8 crashed while the service moves to api:9: not counted',
      },
    ]);
    expect([...ecs, ...stops, ...events]).toEqual([]);
  });
});

describe('watching deployments: late crashes of a revision already rolled back', () => {
  const rolledBackByEcs =
    "a task of api:8 crashed; api:8 was already rolled back to api:7 (by ECS's circuit breaker): not counted again";

  it("names ECS's circuit breaker for crashes of the failed revision that arrive after its rollback", async () => {
    // Prepare: api:8's tasks crash, the circuit breaker fails ecs-svc/8 and ECS rolls back to api:7 with
    // ecs-svc/9, which becomes PRIMARY; STOPPED events of api:8's last tasks are delivered after that.
    const world = aWorld({ config: CIRCUIT_BREAKER_ROLLBACK });
    await knownGoodApi7(world);
    await startApi8(world);
    const counted = [];
    for (const [task, time] of [
      ['t1', '10:02:00'],
      ['t2', '10:03:00'],
    ] as const)
      counted.push(await step(world, () => onTaskStopped(crash(task, at(time)), world.deps)));
    world.clock.set(at('10:06:00'));
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));
    const failed = await step(world, () => onDeploymentStateChange(circuitBreakerFailedApi8(), world.deps));

    // Act
    const beforeRollbackEvent = await step(world, () =>
      onTaskStopped(crash('t3', at('10:05:50')), world.deps),
    );
    await onDeploymentStateChange(
      change(
        'SERVICE_DEPLOYMENT_IN_PROGRESS',
        D9,
        at('10:06:01'),
        `ECS deployment circuit breaker: rolling back to deploymentId ${D7}.`,
      ),
      world.deps,
    );
    const afterRollbackEvent = await step(world, () =>
      onTaskStopped({ ...crash('t4', at('10:06:02')), startedBy: D8 }, world.deps),
    );
    // The rollback completed and ECS no longer lists ecs-svc/8.
    world.clock.set(at('10:09:00'));
    ecsLists(world, deployment(D9, API_7, 'COMPLETED'));
    const knownByStartedBy = await step(world, () =>
      onTaskStopped({ ...crash('t5', at('10:06:30')), startedBy: D8 }, world.deps),
    );
    const knownByRollback = await step(world, () => onTaskStopped(crash('t6', at('10:06:40')), world.deps));

    // Assess
    expect(counted.map((c) => c.result[0]?.reason)).toEqual([
      'crash 1 of 3: essential container exited with code 1 (app)',
      'crash 2 of 3: essential container exited with code 1 (app)',
    ]);
    expect(failed.result).toMatchObject([{ action: 'quarantine-only', from: API_8 }]);
    for (const late of [beforeRollbackEvent, afterRollbackEvent, knownByStartedBy, knownByRollback]) {
      expect(late.result).toEqual([{ service: 'prod/api', action: 'ignore', reason: rolledBackByEcs }]);
      expect([...late.writes, ...late.events, ...late.ecs, ...late.stops]).toEqual([]);
    }
  });

  it('names autopilot for crashes of the revision it rolled back from', async () => {
    // Prepare: an alarm in api:8's bake time made autopilot update the service back to api:7.
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);
    world.clock.set(at('10:15:00'));
    await onAlarm(alarm('10:15:00'), world.deps);

    // Act
    const { result, writes, events, ecs, stops } = await step(world, () =>
      onTaskStopped({ ...crash('t1', at('10:15:30')), startedBy: D8 }, world.deps),
    );

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason:
          'a task of api:8 crashed; api:8 was already rolled back to api:7 (by autopilot): not counted again',
      },
    ]);
    expect([...writes, ...events, ...ecs, ...stops]).toEqual([]);
  });

  it('says a failed revision failed when nothing rolled it back yet and another deployment took over', async () => {
    // Prepare: ecs-svc/8 failed without ECS's rollback; ecs-svc/10 (api:9) was pushed since.
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    ecsLists(world, deployment(D10, API_9, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));

    // Act
    const { result } = await step(world, () => onTaskStopped(crash('t1', at('10:07:00')), world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason:
          'a task of api:8 crashed; api:8 already failed and the service moves to api:9: not counted again',
      },
    ]);
  });

  it('ignores a crash when ECS lists no primary deployment', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    ecsLists(world, deployment(D8, API_8, 'IN_PROGRESS', 'ACTIVE'));

    // Act
    const { result, writes } = await step(world, () =>
      onTaskStopped(crash('t1', at('10:02:00')), world.deps),
    );

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason: 'a task of api:8 crashed but ECS lists no primary deployment for the service: not counted',
      },
    ]);
    expect(writes).toEqual([]);
  });
});

describe('watching deployments: inputs that are not signals', () => {
  it('says a task a person stopped is not a crash', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    const stopped = {
      ...crash('1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6', at('10:02:00')),
      stopCode: 'UserInitiated',
      stoppedReason: 'Stopped from autopilot sandbox',
      containers: [{ name: 'app', exitCode: 143 }],
    };

    // Act
    const { result, writes, events, ecs, stops } = await step(world, () =>
      onTaskStopped(stopped, world.deps),
    );

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason:
          'task 1a2b3c4d… stopped by a person (UserInitiated: Stopped from autopilot sandbox): not a crash',
      },
    ]);
    expect([...writes, ...events, ...ecs, ...stops]).toEqual([]);
  });

  it('says a task whose essential container exited with code 0 is not a crash', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    const exited = {
      ...crash('t1', at('10:02:00')),
      containers: [
        { name: 'app', exitCode: 0 },
        { name: 'log-router', exitCode: 0 },
      ],
    };

    // Act
    const { result, writes } = await step(world, () => onTaskStopped(exited, world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason: 'task t1 exited with code 0 (app): not a crash',
      },
    ]);
    expect(writes).toEqual([]);
  });

  it('says a task that is not a task of a service is not watched', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    const standalone = { ...crash('t1', at('10:02:00')), group: 'family:migrate' };

    // Act
    const { result, writes } = await step(world, () => onTaskStopped(standalone, world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod',
        action: 'ignore',
        reason: 'task t1 (group family:migrate) is not a task of a service: not watched',
      },
    ]);
    expect(writes).toEqual([]);
  });

  it('says a crash of a service ECS does not know is not counted', async () => {
    // Prepare
    const world = aWorld();
    const gone = { ...crash('t1', at('10:02:00')), group: 'service:gone' };

    // Act
    const { result, writes } = await step(world, () => onTaskStopped(gone, world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/gone',
        action: 'ignore',
        reason: 'task t1 crashed (essential container exited with code 1 (app)); the service was not found',
      },
    ]);
    expect(writes).toEqual([]);
  });

  it('says an alarm that is not in ALARM is not a signal', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);

    // Act
    const { result, writes, events } = await step(world, () =>
      onAlarm(alarm('10:05:00', 'INSUFFICIENT_DATA'), world.deps),
    );

    // Assess
    expect(result).toEqual([
      {
        service: `alarm ${ALARM}`,
        action: 'ignore',
        reason: `alarm ${ALARM} is INSUFFICIENT_DATA, not ALARM: not a signal`,
      },
    ]);
    expect([...writes, ...events]).toEqual([]);
  });

  it('says an alarm no service lists is not a signal', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);

    // Act
    const { result, writes, events } = await step(world, () =>
      onAlarm(alarm('10:05:00', 'ALARM', 'db-cpu'), world.deps),
    );

    // Assess
    expect(result).toEqual([
      {
        service: 'alarm db-cpu',
        action: 'ignore',
        reason: 'alarm db-cpu is in ALARM but no service lists it (tag autopilot:alarms or rollback.alarms)',
      },
    ]);
    expect([...writes, ...events]).toEqual([]);
  });

  it('says an alarm of a service ECS no longer knows, or without a primary deployment, is not acted on', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    ecsLists(world, deployment(D8, API_8, 'IN_PROGRESS', 'ACTIVE'));
    // prod/gone listed the alarm, then prod/api (indexed again).
    await world.index.indexAlarms(
      { serviceArn: serviceArnOf('prod', 'gone'), clusterArn: CLUSTER_ARN, serviceName: 'gone' },
      [ALARM],
    );
    await world.index.indexAlarms({ serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' }, [
      ALARM,
    ]);

    // Act
    const { result, writes, events } = await step(world, () => onAlarm(alarm('10:05:00'), world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/gone',
        action: 'ignore',
        reason: `alarm ${ALARM} is in ALARM but the service was not found`,
      },
      {
        service: 'prod/api',
        action: 'ignore',
        reason: `alarm ${ALARM} is in ALARM but ECS lists no primary deployment for the service`,
      },
    ]);
    expect([...writes, ...events]).toEqual([]);
  });
});

describe('watching deployments: safety', () => {
  it('tells people instead of rolling back a second time within the cooldown', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await completeApi8(world);
    world.clock.set(at('10:15:00'));
    await onAlarm(alarm('10:15:00'), world.deps);
    world.clock.set(at('10:40:00'));
    ecsLists(world, deployment(D10, API_9, 'IN_PROGRESS'), deployment(D9, API_7, 'COMPLETED', 'ACTIVE'));
    await onDeploymentStateChange(change('SERVICE_DEPLOYMENT_IN_PROGRESS', D10, at('10:40:00')), world.deps);
    world.clock.set(at('10:45:00'));

    // Act
    const { result, events, ecs, stops } = await step(world, () => onAlarm(alarm('10:45:00'), world.deps));

    // Assess
    expect(result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D10,
        action: 'notify',
        reason: `already rolled back at ${at('10:15:00')}; at most one automatic rollback per 60m`,
        from: API_9,
        to: undefined,
      },
    ]);
    expect(events).toEqual([
      {
        detailType: ACTION_FAILED,
        detail: {
          action: 'rollback',
          cluster: 'prod',
          service: 'api',
          serviceArn: SERVICE_ARN,
          reason: `already rolled back at ${at('10:15:00')}; at most one automatic rollback per 60m`,
          dryRun: false,
          triggeredBy: expect.stringMatching(/^alarm-event-/),
        },
      },
    ]);
    expect([...ecs, ...stops]).toEqual([]);
  });

  it('tells people when another rollback claimed the service first', async () => {
    // Prepare
    // Another invocation rolled the service back after this one read the last rollback.
    class RacingRollbackHistory extends InMemoryRollbackHistory {
      override async lastRollback(): Promise<RollbackRecord | undefined> {
        return undefined;
      }
    }
    const world = aWorld({ rollbacks: new RacingRollbackHistory() });
    await knownGoodApi7(world);
    await startApi8(world);
    world.rollbacks.seedRollback(SERVICE_ARN, {
      at: at('10:04:00'),
      from: API_8,
      to: API_7,
      reason: 'crash loop',
    });
    world.clock.set(at('10:05:00'));

    // Act
    const { result, events, ecs, stops } = await step(world, () => onAlarm(alarm('10:05:00'), world.deps));

    // Assess
    expect(result).toMatchObject([
      { action: 'notify', reason: 'another rollback of this service happened within the cooldown' },
    ]);
    expect(events).toEqual([
      {
        detailType: ACTION_FAILED,
        detail: expect.objectContaining({
          action: 'rollback',
          reason: 'another rollback of this service happened within the cooldown',
        }),
      },
    ]);
    expect([...ecs, ...stops]).toEqual([]);
  });

  it('tells people when there is no known good revision to return to', async () => {
    // Prepare
    const world = aWorld();
    await startApi8(world);
    await world.index.indexAlarms({ serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' }, [
      ALARM,
    ]);
    world.clock.set(at('10:05:00'));

    // Act
    const { result, events, ecs, stops } = await step(world, () => onAlarm(alarm('10:05:00'), world.deps));

    // Assess
    expect(result).toMatchObject([
      { action: 'notify', reason: expect.stringMatching(/no known good revision/) },
    ]);
    expect(events).toEqual([
      {
        detailType: ACTION_FAILED,
        detail: expect.objectContaining({
          action: 'rollback',
          reason: expect.stringMatching(/not guessing/),
        }),
      },
    ]);
    expect([...ecs, ...stops]).toEqual([]);
  });

  it('ignores signals of a service that opted out with autopilot:rollback=off', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    world.ecs.addService(
      aService({
        tags: { 'autopilot:deploy': 'tag:main', 'autopilot:rollback': 'off' },
        taskDefinitionArn: API_8,
        deployments: [deployment(D8, API_8, 'IN_PROGRESS')],
        deploymentConfiguration: ROLLING,
      }),
    );

    // Act
    const failed = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_FAILED', D8, at('10:06:00')), world.deps),
    );
    const crashes = [];
    for (const task of ['t1', 't2', 't3'])
      crashes.push(await step(world, () => onTaskStopped(crash(task, at('10:04:00')), world.deps)));

    // Assess
    expect(failed.result).toMatchObject([
      { action: 'ignore', reason: 'service is not watched for rollback' },
    ]);
    expect(crashes.map((c) => c.result)).toEqual(
      ['t1', 't2', 't3'].map((task) => [
        {
          service: 'prod/api',
          action: 'ignore',
          reason: `task ${task} crashed (essential container exited with code 1 (app)); the service is not watched for rollback`,
        },
      ]),
    );
    expect(crashes.flatMap((c) => c.writes)).toEqual([]);
    expect(world.ecs.calls).toEqual([]);
    expect(world.control.calls).toEqual([]);
  });
});

describe('watching deployments: dry run', () => {
  /** A world in dry run whose table already knows api:7 as good and ecs-svc/8 as baking. */
  async function aDryRunWorld(): Promise<World> {
    const world = aWorld({ dryRun: true });
    world.rollbacks.seedLastKnownGood(SERVICE_ARN, {
      taskDefinitionArn: API_7,
      deploymentId: D7,
      at: at('09:15:00'),
    });
    world.history.seedDeployment(
      SERVICE_ARN,
      {
        deploymentId: D8,
        taskDefinitionArn: API_8,
        state: 'COMPLETED',
        startedAt: at('10:00:00'),
        completedAt: at('10:10:00'),
        bakeUntil: at('10:20:00'),
        isRollback: false,
      },
      at('10:10:00'),
    );
    ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
    await world.index.indexAlarms({ serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' }, [
      ALARM,
    ]);
    world.writes.splice(0);
    return world;
  }

  it('decides and reports a rollback without changing ECS or the table', async () => {
    // Prepare
    const world = await aDryRunWorld();
    world.clock.set(at('10:15:00'));

    // Act
    const { result, events, ecs, stops, writes } = await step(world, () =>
      onAlarm(alarm('10:15:00'), world.deps),
    );

    // Assess
    expect(result).toMatchObject([{ action: 'update-service', from: API_8, to: API_7, dryRun: true }]);
    expect(events).toEqual([
      {
        detailType: DEPLOYMENT_ROLLED_BACK,
        detail: expect.objectContaining({ method: 'update-service', dryRun: true }),
      },
      { detailType: IMAGE_QUARANTINED, detail: expect.objectContaining({ digest: BAD, dryRun: true }) },
    ]);
    expect([...ecs, ...stops, ...writes]).toEqual([]);
    expect(await world.quarantine.listQuarantined()).toEqual([]);
  });

  it('reports a stop of the deployment without stopping it', async () => {
    // Prepare
    const world = await aDryRunWorld();
    ecsLists(world, deployment(D8, API_8, 'IN_PROGRESS'));
    world.history.seedDeployment(
      SERVICE_ARN,
      { deploymentId: D8, taskDefinitionArn: API_8, state: 'IN_PROGRESS', isRollback: false },
      at('10:00:00'),
    );

    // Act
    const { result, events, ecs, stops, writes } = await step(world, () =>
      onAlarm(alarm('10:05:00'), world.deps),
    );

    // Assess
    expect(result).toMatchObject([{ action: 'stop-deployment', dryRun: true }]);
    expect(events[0]?.detail).toMatchObject({ method: 'stop-deployment', dryRun: true });
    expect([...ecs, ...stops, ...writes]).toEqual([]);
  });

  it('reports the decisions of a real run for state changes and promotion, and records nothing', async () => {
    // Prepare
    const world = await aDryRunWorld();
    world.history.seedDeployment(
      SERVICE_ARN,
      {
        deploymentId: D8,
        taskDefinitionArn: API_8,
        state: 'COMPLETED',
        bakeUntil: at('10:20:00'),
        isRollback: false,
      },
      at('10:10:00'),
    );
    await world.bakes.scheduleBake(SERVICE_ARN, D8, at('10:20:00'));
    world.writes.splice(0);
    world.clock.set(at('10:20:00'));

    // Act
    const progress = await step(world, () =>
      onDeploymentStateChange(change('SERVICE_DEPLOYMENT_COMPLETED', D8, at('10:10:00')), world.deps),
    );
    const failed = await step(world, () =>
      onDeploymentStateChange(
        change('SERVICE_DEPLOYMENT_FAILED', D8, at('10:11:00'), 'tasks failed'),
        world.deps,
      ),
    );
    const promoted = await step(world, () => promoteBaked(world.deps));

    // Assess
    expect(progress.result).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'bake',
        reason: `completed; known good after ${at('10:20:00')} unless unhealthy`,
        dryRun: true,
      },
    ]);
    expect(failed.result).toMatchObject([{ action: 'update-service', dryRun: true }]);
    expect(promoted.result).toMatchObject([{ action: 'known-good', deploymentId: D8 }]);
    expect(typesOf(promoted.events)).toEqual([DEPLOYMENT_SUCCEEDED]);
    expect(promoted.events[0]?.detail).toMatchObject({ dryRun: true });
    expect([...progress.writes, ...failed.writes, ...promoted.writes]).toEqual([]);
    expect([...progress.ecs, ...failed.ecs, ...promoted.ecs, ...failed.stops]).toEqual([]);
    expect(await world.rollbacks.lastKnownGood(SERVICE_ARN)).toMatchObject({ taskDefinitionArn: API_7 });
  });

  it('counts a crash in with those recorded, records none, and reports the crash loop it would stop', async () => {
    // Prepare: two crashes of api:8 recorded (before the stage went dry run).
    const world = await aDryRunWorld();
    ecsLists(world, deployment(D8, API_8, 'IN_PROGRESS'));
    world.history.seedDeployment(
      SERVICE_ARN,
      { deploymentId: D8, taskDefinitionArn: API_8, state: 'IN_PROGRESS', isRollback: false },
      at('10:00:00'),
    );
    for (const task of ['t1', 't2'])
      await world.history.recordCrash(
        {
          serviceArn: SERVICE_ARN,
          taskDefinitionArn: API_8,
          taskArn: crash(task, at('10:03:00')).taskArn,
          at: at('10:03:00'),
        },
        at('09:53:00'),
      );
    world.writes.splice(0);

    // Act
    const third = await step(world, () => onTaskStopped(crash('t3', at('10:04:00')), world.deps));
    const again = await step(world, () => onTaskStopped(crash('t4', at('10:04:30')), world.deps));

    // Assess
    // Dry run records nothing, crashes neither: each crash is counted in with those recorded.
    for (const run of [third, again]) {
      expect(run.result).toMatchObject([{ action: 'stop-deployment', from: API_8, to: API_7, dryRun: true }]);
      expect(typesOf(run.events)).toEqual([DEPLOYMENT_ROLLED_BACK, IMAGE_QUARANTINED]);
      expect([...run.writes, ...run.ecs, ...run.stops]).toEqual([]);
    }
  });

  it('reports a crash below the threshold without recording it', async () => {
    // Prepare
    const world = await aDryRunWorld();
    ecsLists(world, deployment(D8, API_8, 'IN_PROGRESS'));

    // Act
    const first = await step(world, () => onTaskStopped(crash('t1', at('10:04:00')), world.deps));
    const second = await step(world, () => onTaskStopped(crash('t2', at('10:04:10')), world.deps));

    // Assess
    expect([...first.result, ...second.result]).toEqual([
      {
        service: 'prod/api',
        action: 'record',
        reason: 'crash 1 of 3: essential container exited with code 1 (app)',
        dryRun: true,
      },
      {
        service: 'prod/api',
        action: 'record',
        reason: 'crash 1 of 3: essential container exited with code 1 (app)',
        dryRun: true,
      },
    ]);
    expect([...first.writes, ...second.writes, ...first.events]).toEqual([]);
  });
});

describe('rollbackByPerson', () => {
  it('returns the service to the last known good revision', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    world.clock.set(at('11:00:00'));

    // Act
    const { result, events, ecs, writes } = await step(world, () =>
      rollbackByPerson(SERVICE_ARN, undefined, world.deps),
    );

    // Assess
    expect(result).toEqual({
      service: 'prod/api',
      action: 'update-service',
      reason: 'rolled back by a person',
      from: API_8,
      to: API_7,
    });
    expect(ecs).toEqual([
      { op: 'updateService', cluster: CLUSTER_ARN, service: SERVICE_ARN, taskDefinitionArn: API_7 },
    ]);
    expect(events).toEqual([
      {
        detailType: DEPLOYMENT_ROLLED_BACK,
        detail: {
          cluster: 'prod',
          service: 'api',
          serviceArn: SERVICE_ARN,
          fromTaskDefinition: API_8,
          toTaskDefinition: API_7,
          reason: 'rolled back by a person',
          by: 'person',
          method: 'update-service',
          signals: [{ kind: 'manual', reason: 'autopilot rollback', at: at('11:00:00') }],
          dryRun: false,
          triggeredBy: 'autopilot-cli',
        },
      },
    ]);
    expect(writes).toMatchObject([
      { op: 'claimRollback', claimed: true, rollback: { triggeredBy: 'autopilot-cli', to: API_7 } },
      { op: 'noteDeploymentStarted', started: { taskDefinitionArn: API_7, isRollback: true } },
      { op: 'markRollbackAnnounced', marked: true },
    ]);
    expect(await world.rollbacks.lastRollback(SERVICE_ARN)).toMatchObject({
      at: at('11:00:00'),
      to: API_7,
      announced: true,
    });
  });

  it('goes on with a rollback run again after its UpdateService: noted and announced once, at the time of the first run', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    world.clock.set(at('11:00:00'));
    world.ecs.loseResponses('updateService');
    await expect(rollbackByPerson(SERVICE_ARN, undefined, world.deps)).rejects.toThrow();
    world.clock.set(at('11:01:00'));

    // Act
    const { result, ecs, events, writes } = await step(world, () =>
      rollbackByPerson(SERVICE_ARN, undefined, world.deps),
    );

    // Assess
    expect(result).toMatchObject({ action: 'update-service', from: API_8, to: API_7 });
    expect(ecs).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]?.detail).toMatchObject({
      toTaskDefinition: API_7,
      by: 'person',
      signals: [{ kind: 'manual', reason: 'autopilot rollback', at: at('11:00:00') }],
    });
    expect(writes).toMatchObject([
      { op: 'noteDeploymentStarted', started: { taskDefinitionArn: API_7, isRollback: true } },
      { op: 'markRollbackAnnounced', marked: true },
    ]);
  });

  it('changes and announces nothing when run again after its announcement', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    await rollbackByPerson(SERVICE_ARN, undefined, world.deps);

    // Act
    const { result, ecs, events, writes } = await step(world, () =>
      rollbackByPerson(SERVICE_ARN, undefined, world.deps),
    );

    // Assess
    expect(result).toEqual({ service: 'prod/api', action: 'ignore', reason: `already running ${API_7}` });
    expect([...ecs, ...events, ...writes]).toEqual([]);
  });

  it('returns the service to the revision given with --to, even within the cooldown', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);
    await startApi8(world);
    world.rollbacks.seedRollback(SERVICE_ARN, {
      at: at('10:50:00'),
      from: API_8,
      to: API_7,
      reason: 'alarm',
    });
    world.clock.set(at('11:00:00'));

    // Act
    const { result, ecs, events } = await step(world, () => rollbackByPerson(SERVICE_ARN, API_6, world.deps));

    // Assess
    expect(result).toMatchObject({ action: 'update-service', from: API_8, to: API_6 });
    expect(ecs).toEqual([
      { op: 'updateService', cluster: CLUSTER_ARN, service: SERVICE_ARN, taskDefinitionArn: API_6 },
    ]);
    expect(events[0]?.detail).toMatchObject({ toTaskDefinition: API_6, by: 'person' });
  });

  it('asks for --to when there is no known good revision', async () => {
    // Prepare
    const world = aWorld();
    await startApi8(world);

    // Act
    const { result, ecs, events } = await step(world, () =>
      rollbackByPerson(SERVICE_ARN, undefined, world.deps),
    );

    // Assess
    expect(result).toEqual({
      service: 'prod/api',
      action: 'failed',
      reason: 'no known good revision: give one with --to',
    });
    expect([...ecs, ...events]).toEqual([]);
  });

  it('leaves a service alone that already runs the revision', async () => {
    // Prepare
    const world = aWorld();
    await knownGoodApi7(world);

    // Act
    const { result, ecs, events } = await step(world, () =>
      rollbackByPerson(SERVICE_ARN, undefined, world.deps),
    );

    // Assess
    expect(result).toEqual({ service: 'prod/api', action: 'ignore', reason: `already running ${API_7}` });
    expect([...ecs, ...events]).toEqual([]);
  });

  it('reports an unknown service', async () => {
    // Prepare
    const world = aWorld();

    // Act
    const result = await rollbackByPerson(serviceArnOf('prod', 'missing'), API_7, world.deps);

    // Assess
    expect(result).toEqual({
      service: serviceArnOf('prod', 'missing'),
      action: 'failed',
      reason: 'service not found',
    });
  });

  it('only reports in dry run', async () => {
    // Prepare
    const world = aWorld({ dryRun: true });
    world.rollbacks.seedLastKnownGood(SERVICE_ARN, {
      taskDefinitionArn: API_7,
      deploymentId: D7,
      at: at('09:15:00'),
    });
    ecsLists(world, deployment(D8, API_8, 'IN_PROGRESS'));

    // Act
    const { result, events, ecs, writes } = await step(world, () =>
      rollbackByPerson(SERVICE_ARN, undefined, world.deps),
    );

    // Assess
    expect(result).toMatchObject({ action: 'update-service', to: API_7, dryRun: true });
    expect(events[0]?.detail).toMatchObject({ by: 'person', dryRun: true });
    expect([...ecs, ...writes]).toEqual([]);
  });
});
