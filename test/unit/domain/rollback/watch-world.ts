/**
 * The world of the watcher's plan and applier tests, in memory: prod/api whose last known good
 * revision is api:7 (image GOOD), and ecs-svc/8 rolling out api:8 (image BAD) since 10:00.
 */
import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import type { WatchDeps } from '../../../../shared/domain/rollback/watch-deployments';
import type { KnownDeployment, ServiceDeploymentState, ServiceState } from '../../../../shared/ports';
import {
  aDigest,
  anInMemoryWorld,
  aService,
  aTaskDefinitionDoc,
  clusterArnOf,
  InMemoryDeploymentControl,
  pinnedImage,
  serviceArnOf,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

export const at = (time: string) => `2026-01-13T${time}.000Z`;
export const API_7 = taskDefinitionArnOf('api', 7);
export const API_8 = taskDefinitionArnOf('api', 8);
export const GOOD = aDigest('api build 41');
export const BAD = aDigest('api build 42');
export const D7 = 'ecs-svc/7000000000000000007';
export const D8 = 'ecs-svc/8000000000000000008';
export const SERVICE_ARN = serviceArnOf('prod', 'api');
export const CLUSTER_ARN = clusterArnOf('prod');
export const ALARM = 'api-5xx';
export const ALARM_REASON = 'Threshold Crossed: 1 datapoint [12.0] was greater than the threshold (5.0)';

/** Rolling deployments with the circuit breaker on but without its rollback: autopilot rolls back. */
export const ROLLING: ServiceState['deploymentConfiguration'] = {
  circuitBreaker: { enable: true, rollback: false },
  alarmRollback: false,
  strategy: 'ROLLING',
};

export type WatchWorld = ReturnType<typeof anInMemoryWorld> & {
  control: InMemoryDeploymentControl;
  deps: WatchDeps;
};

/** The watcher's ports on a world of fakes. */
export function watchDeps(
  world: ReturnType<typeof anInMemoryWorld>,
  control: InMemoryDeploymentControl,
  policyFile: PolicyFile,
  dryRun: boolean,
): WatchDeps {
  return {
    ecs: world.ecs,
    revisions: world.ecs,
    control,
    history: world.history,
    rollbacks: world.rollbacks,
    bakes: world.bakes,
    quarantine: world.quarantine,
    index: world.index,
    events: world.events,
    policyFile,
    dryRun,
    now: world.clock.now,
  };
}

/** The world at 10:05, api:7 known good, ecs-svc/8 (api:8) in progress and recorded, the alarm indexed. */
export async function aWatchWorld(options: { dryRun?: boolean } = {}): Promise<WatchWorld> {
  const world = anInMemoryWorld(at('10:05:00'));
  const control = new InMemoryDeploymentControl();
  world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 7, image: pinnedImage(GOOD) }));
  world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 8, image: pinnedImage(BAD) }));
  world.rollbacks.seedLastKnownGood(SERVICE_ARN, {
    taskDefinitionArn: API_7,
    deploymentId: D7,
    at: at('09:15:00'),
  });
  ecsLists(world, deployment(D8, API_8, 'IN_PROGRESS'), deployment(D7, API_7, 'COMPLETED', 'ACTIVE'));
  world.history.seedDeployment(SERVICE_ARN, api8('IN_PROGRESS'), at('10:00:00'));
  await world.index.indexAlarms({ serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' }, [
    ALARM,
  ]);
  world.writes.splice(0);
  return {
    ...world,
    control,
    deps: watchDeps(world, control, PolicyFileSchema.parse({ version: 1 }), options.dryRun ?? false),
  };
}

/** autopilot's record of ecs-svc/8 (api:8). */
export function api8(state: string, overrides: Partial<KnownDeployment> = {}): KnownDeployment {
  return {
    deploymentId: D8,
    taskDefinitionArn: API_8,
    state,
    startedAt: at('10:00:00'),
    isRollback: false,
    ...overrides,
  };
}

export function deployment(
  id: string,
  taskDefinitionArn: string,
  rolloutState: string,
  status = 'PRIMARY',
): ServiceDeploymentState {
  return { id, status, taskDefinitionArn, rolloutState };
}

/** What ECS lists for prod/api from now on (the first deployment is the primary one). */
export function ecsLists(world: Pick<WatchWorld, 'ecs'>, ...deployments: ServiceDeploymentState[]): void {
  world.ecs.addService(
    aService({
      taskDefinitionArn: deployments.find((d) => d.status === 'PRIMARY')?.taskDefinitionArn ?? API_7,
      deployments,
      deploymentConfiguration: ROLLING,
    }),
  );
}

/** The alarm went to ALARM at `time`. */
export function alarm(time: string) {
  return {
    name: ALARM,
    state: 'ALARM',
    reason: ALARM_REASON,
    at: `2026-01-13T${time}Z`,
    eventId: `alarm-${time}`,
  };
}

/** A task of `taskDefinitionArn` (api:8) whose essential container exited with code 1. */
export function crash(taskId: string, stoppedAt: string, taskDefinitionArn = API_8) {
  return {
    clusterArn: CLUSTER_ARN,
    group: 'service:api',
    taskArn: taskArnOf(taskId),
    taskDefinitionArn,
    stoppedAt,
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [{ name: 'app', exitCode: 1 }],
    eventId: `task-${taskId}`,
  };
}

export const taskArnOf = (taskId: string) => `arn:aws:ecs:eu-west-1:123456789012:task/prod/${taskId}`;

/** Crashes of api:8 recorded before (test setup: the write is not kept in the log). */
export async function crashesRecorded(world: WatchWorld, ...taskIds: string[]): Promise<void> {
  for (const taskId of taskIds) {
    await world.history.recordCrash(
      { serviceArn: SERVICE_ARN, taskDefinitionArn: API_8, taskArn: taskArnOf(taskId), at: at('10:03:00') },
      at('09:53:00'),
    );
  }
  world.writes.splice(0);
}

/** Everything the world was asked to change: state writes, ECS calls, stops and events. */
export function changes(world: WatchWorld) {
  return {
    writes: world.writes.map((w) => w.op),
    ecs: world.ecs.calls.map((c) => c.op),
    stops: world.control.calls.length,
    events: world.events.published.map((e) => e.detailType),
  };
}
