/**
 * A rollback converges under retries and returns to what was known good: a retry of the event whose
 * rollback failed part-way goes on with it (its own unhealthy mark and claimed slot do not stop it),
 * everything changed in ECS is announced, nothing is changed twice, and a known good revision that
 * names its images by tag is returned to as a copy pinned to the digests it ran.
 */
import { onAlarm, promoteBaked } from '../../../../shared/domain/rollback/watch-deployments';
import { RetryableError } from '../../../../shared/errors';
import { DEPLOYMENT_ROLLED_BACK, IMAGE_QUARANTINED } from '../../../../shared/events/autopilot-events';
import type { RunningImage } from '../../../../shared/ports';
import {
  aDigest,
  aTaskDefinitionDoc,
  IMAGE,
  REGISTRY,
  REPOSITORY,
  SIDECAR_IMAGE,
  taskDefinitionArnOf,
} from '../../../support/in-memory';
import {
  API_7,
  API_8,
  alarm,
  api8,
  at,
  aWatchWorld,
  BAD,
  D8,
  deployment,
  ecsLists,
  GOOD,
  SERVICE_ARN,
  type WatchWorld,
} from './watch-world';

const API_9 = taskDefinitionArnOf('api', 9);
const FLUENT_BIT = aDigest('fluent-bit stable');
/** What api:7 ran when it became known good: team/api:main was GOOD then. */
const RAN: RunningImage[] = [
  { container: 'app', image: IMAGE, digest: GOOD },
  { container: 'log-router', image: SIDECAR_IMAGE, digest: FLUENT_BIT },
];

/** api:8 completed at 10:02 and bakes until 10:30: an alarm now returns the service with UpdateService. */
async function inBake(options: { taggedGood?: boolean } = {}): Promise<WatchWorld> {
  const world = await aWatchWorld();
  if (options.taggedGood) {
    world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 7, image: IMAGE }));
    world.rollbacks.seedLastKnownGood(SERVICE_ARN, {
      taskDefinitionArn: API_7,
      deploymentId: 'ecs-svc/7000000000000000007',
      at: at('09:15:00'),
      images: RAN,
    });
  }
  ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
  world.history.seedDeployment(
    SERVICE_ARN,
    api8('COMPLETED', { completedAt: at('10:02:00'), bakeUntil: at('10:30:00') }),
    at('10:02:00'),
  );
  world.writes.splice(0);
  return world;
}

/** Makes the next `times` calls of a port method throw a retryable error (its SDK retries spent). */
function failNext<T extends object, K extends keyof T>(target: T, method: K, times = 1): void {
  const real = (target[method] as (...args: unknown[]) => Promise<unknown>).bind(target);
  let left = times;
  Object.assign(target, {
    [method]: async (...args: unknown[]) => {
      if (left > 0) {
        left -= 1;
        throw new RetryableError(`${String(method)}: ThrottlingException after 5 attempts`);
      }
      return real(...args);
    },
  });
}

const updates = (world: WatchWorld) => world.ecs.calls.filter((c) => c.op === 'updateService');
const registrations = (world: WatchWorld) => world.ecs.calls.filter((c) => c.op === 'registerTaskDefinition');
const published = (world: WatchWorld) => world.events.published.map((e) => e.detailType);

describe('a rollback retried after a failure part-way', () => {
  it('goes on when UpdateService failed after the deployment was marked and the slot claimed', async () => {
    // Prepare
    const world = await inBake();
    failNext(world.ecs, 'updateService');
    const signal = alarm('10:05:00');

    // Act
    const first = await onAlarm(signal, world.deps).catch((error: Error) => error.name);
    const retry = await onAlarm(signal, world.deps);

    // Assess
    expect(first).toBe('RetryableError');
    expect(retry).toMatchObject([{ action: 'update-service', from: API_8, to: API_7 }]);
    expect(updates(world)).toEqual([expect.objectContaining({ taskDefinitionArn: API_7 })]);
    expect(world.ecs.service(SERVICE_ARN)?.taskDefinitionArn).toBe(API_7);
    expect(published(world)).toEqual([DEPLOYMENT_ROLLED_BACK, IMAGE_QUARANTINED]);
  });

  it('announces the rollback it made when the quarantine failed after UpdateService, without updating again', async () => {
    // Prepare
    const world = await inBake();
    failNext(world.quarantine, 'quarantineImage');
    const signal = alarm('10:05:00');

    // Act
    const first = await onAlarm(signal, world.deps).catch((error: Error) => error.name);
    const afterFirst = published(world);
    const retry = await onAlarm(signal, world.deps);

    // Assess
    expect(first).toBe('RetryableError');
    expect(afterFirst).toEqual([]);
    expect(retry).toMatchObject([{ action: 'update-service', from: API_8, to: API_7 }]);
    expect(updates(world)).toHaveLength(1);
    expect(published(world)).toEqual([DEPLOYMENT_ROLLED_BACK, IMAGE_QUARANTINED]);
    expect(await world.quarantine.isQuarantined(`123456789012:eu-west-1:${REPOSITORY}`, BAD)).toBe(true);
  });

  it('announces again when only publishing failed, and a delivery after that is a duplicate', async () => {
    // Prepare
    const world = await inBake();
    failNext(world.events, 'publish');
    const signal = alarm('10:05:00');

    // Act
    await onAlarm(signal, world.deps).catch(() => undefined);
    const retry = await onAlarm(signal, world.deps);
    const duplicate = await onAlarm(signal, world.deps);

    // Assess
    expect(retry).toMatchObject([{ action: 'update-service', to: API_7 }]);
    expect(duplicate).toMatchObject([{ action: 'ignore', reason: `deployment ${D8} was already handled` }]);
    expect(updates(world)).toHaveLength(1);
    expect(published(world)).toEqual([DEPLOYMENT_ROLLED_BACK, IMAGE_QUARANTINED]);
  });

  it('does nothing when the service moved on since the rollback was claimed', async () => {
    // Prepare
    const world = await inBake();
    failNext(world.ecs, 'updateService');
    const signal = alarm('10:05:00');
    await onAlarm(signal, world.deps).catch(() => undefined);
    ecsLists(world, deployment('ecs-svc/9', taskDefinitionArnOf('api', 10), 'IN_PROGRESS'));

    // Act
    const retry = await onAlarm(signal, world.deps);

    // Assess
    expect(retry).toMatchObject([{ action: 'ignore', reason: expect.stringMatching(/moved on to api:10/) }]);
    expect(updates(world)).toEqual([]);
    expect(published(world)).toEqual([]);
  });
});

describe('a rollback to a known good revision that names its images by tag', () => {
  it('registers a copy pinned to the digests it ran and updates the service to it', async () => {
    // Prepare
    const world = await inBake({ taggedGood: true });

    // Act
    const decisions = await onAlarm(alarm('10:05:00'), world.deps);

    // Assess
    const [registered] = registrations(world);
    expect(registered?.op === 'registerTaskDefinition' && registered.document.definition).toMatchObject({
      family: 'api',
      containerDefinitions: [
        expect.objectContaining({ name: 'app', image: `${REGISTRY}/${REPOSITORY}@${GOOD}` }),
        expect.objectContaining({
          name: 'log-router',
          image: `public.ecr.aws/aws-observability/aws-for-fluent-bit@${FLUENT_BIT}`,
        }),
      ],
    });
    expect(registered?.op === 'registerTaskDefinition' && registered.document.tags).toEqual(
      expect.arrayContaining([
        { key: 'autopilot:pinned-from', value: 'api:7' },
        { key: 'autopilot:triggered-by', value: 'alarm-10:05:00' },
      ]),
    );
    expect(decisions).toMatchObject([{ action: 'update-service', to: API_9, pinnedFrom: API_7 }]);
    expect(updates(world)).toEqual([expect.objectContaining({ taskDefinitionArn: API_9 })]);
    expect(world.events.published[0]).toMatchObject({
      detailType: DEPLOYMENT_ROLLED_BACK,
      detail: { fromTaskDefinition: API_8, toTaskDefinition: API_9 },
    });
    expect(await world.rollbacks.lastRollback(SERVICE_ARN)).toMatchObject({ to: API_9, pinnedFrom: API_7 });
    expect(await world.quarantine.isQuarantined(`123456789012:eu-west-1:${REPOSITORY}`, GOOD)).toBe(false);
  });

  it('reuses the pinned copy when the event is retried after UpdateService failed', async () => {
    // Prepare
    const world = await inBake({ taggedGood: true });
    failNext(world.ecs, 'updateService');
    const signal = alarm('10:05:00');

    // Act
    await onAlarm(signal, world.deps).catch(() => undefined);
    const retry = await onAlarm(signal, world.deps);

    // Assess
    expect(registrations(world)).toHaveLength(1);
    expect(retry).toMatchObject([{ action: 'update-service', to: API_9, pinnedFrom: API_7 }]);
    expect(updates(world)).toEqual([expect.objectContaining({ taskDefinitionArn: API_9 })]);
    expect(published(world)).toEqual([DEPLOYMENT_ROLLED_BACK, IMAGE_QUARANTINED]);
  });

  it('returns to the revision as it is when what it ran is not recorded', async () => {
    // Prepare
    const world = await inBake();
    world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 7, image: IMAGE }));

    // Act
    const decisions = await onAlarm(alarm('10:05:00'), world.deps);

    // Assess
    expect(registrations(world)).toEqual([]);
    expect(decisions).toMatchObject([{ action: 'update-service', to: API_7 }]);
  });
});

describe('the bake timer', () => {
  it('records the digests a revision ran when it becomes known good', async () => {
    // Prepare
    const world = await aWatchWorld();
    const revision = 'arn:aws:ecs:eu-west-1:123456789012:service-revision/prod/api/4000000000000000008';
    world.ecs.addServiceRevision({ arn: revision, taskDefinitionArn: API_8, images: RAN });
    ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
    world.ecs.addService({
      ...(world.ecs.service(SERVICE_ARN) ?? never()),
      currentServiceRevisions: [revision],
    });
    world.history.seedDeployment(
      SERVICE_ARN,
      api8('COMPLETED', { completedAt: at('10:02:00'), bakeUntil: at('10:04:00') }),
      at('10:02:00'),
    );
    await world.bakes.scheduleBake(SERVICE_ARN, D8, at('10:04:00'));

    // Act
    await promoteBaked(world.deps);

    // Assess
    expect(await world.rollbacks.lastKnownGood(SERVICE_ARN)).toEqual({
      taskDefinitionArn: API_8,
      deploymentId: D8,
      at: at('10:04:00'),
      images: RAN,
    });
  });
});

function never(): never {
  throw new Error('the service is listed');
}
