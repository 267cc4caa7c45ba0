/**
 * Roll back, deciding: each input of the watcher planned on in-memory ports, compared by equality,
 * and planning never writes (nor calls ECS, nor publishes).
 */
import { describePlan } from '../../../../shared/domain/plan/plan';
import {
  planAlarm,
  planDeploymentStateChange,
  planPromoteBaked,
  planRollbackByPerson,
  planTaskStopped,
  type WatchReads,
} from '../../../../shared/domain/rollback/watch-plan';
import { REPOSITORY, REPOSITORY_KEY } from '../../../support/in-memory';
import {
  ALARM_REASON,
  API_7,
  API_8,
  alarm,
  api8,
  at,
  aWatchWorld,
  BAD,
  CLUSTER_ARN,
  changes,
  crash,
  crashesRecorded,
  D7,
  D8,
  deployment,
  ecsLists,
  SERVICE_ARN,
  taskArnOf,
} from './watch-world';

const SERVICE = { cluster: 'prod', service: 'api', serviceArn: SERVICE_ARN };
const REF = { cluster: CLUSTER_ARN, service: SERVICE_ARN };
const D9 = 'ecs-svc/9000000000000000009';
const WHY = 'essential container exited with code 1 (app)';

describe('planAlarm', () => {
  it('plans to stop the deployment in progress: mark, claim, stop (or update), note, quarantine, announce', async () => {
    // Prepare
    const world = await aWatchWorld();
    const signal = `alarm ${'api-5xx'} in ALARM: ${ALARM_REASON}`;
    const reason = `alarm: ${signal}; stopping the deployment with ECS's rollback`;

    // Act
    const plan = await planAlarm(alarm('10:05:00'), world.deps);

    // Assess
    expect(plan).toEqual({
      decisions: [
        { service: 'prod/api', deploymentId: D8, action: 'stop-deployment', reason, from: API_8, to: API_7 },
      ],
      effects: [
        {
          kind: 'mark-unhealthy',
          decision: 0,
          serviceArn: SERVICE_ARN,
          deploymentId: D8,
          by: 'alarm-10:05:00',
        },
        {
          kind: 'claim-rollback',
          decision: 0,
          serviceArn: SERVICE_ARN,
          rollback: {
            at: at('10:05:00'),
            from: API_8,
            to: API_7,
            reason,
            triggeredBy: 'alarm-10:05:00',
            deploymentId: D8,
            method: 'stop-deployment',
          },
          cooldownMs: 3_600_000,
        },
        { kind: 'stop-deployment', decision: 0, ref: REF, taskDefinitionArn: API_8, fallbackTo: API_7 },
        {
          kind: 'note-rollback-started',
          decision: 0,
          serviceArn: SERVICE_ARN,
          taskDefinitionArn: API_7,
          startedAt: at('10:05:00'),
        },
        {
          kind: 'quarantine-image',
          decision: 0,
          image: {
            repository: REPOSITORY,
            repositoryKey: REPOSITORY_KEY,
            digest: BAD,
            reason: `deployed to prod/api and unhealthy: ${reason}`,
            at: at('10:05:00'),
            service: 'prod/api',
            triggeredBy: 'alarm-10:05:00',
          },
        },
      ],
      announcements: [
        {
          about: 'signal',
          of: 0,
          service: SERVICE,
          signal: { kind: 'alarm', reason: signal, at: at('10:05:00') },
          triggeredBy: 'alarm-10:05:00',
          running: API_8,
        },
      ],
    });
  });

  it('plans to tell people, and nothing else, within the cooldown', async () => {
    // Prepare
    const world = await aWatchWorld();
    world.rollbacks.seedRollback(SERVICE_ARN, {
      at: at('10:00:00'),
      from: API_8,
      to: API_7,
      reason: 'crash loop',
    });

    // Act
    const plan = await planAlarm(alarm('10:05:00'), world.deps);

    // Assess
    expect(plan.decisions).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'notify',
        reason: `already rolled back at ${at('10:00:00')}; at most one automatic rollback per 60m`,
        from: API_8,
      },
    ]);
    expect(plan.effects).toEqual([
      {
        kind: 'mark-unhealthy',
        decision: 0,
        serviceArn: SERVICE_ARN,
        deploymentId: D8,
        by: 'alarm-10:05:00',
      },
    ]);
  });

  it('prints the plan for people', async () => {
    // Prepare
    const world = await aWatchWorld();

    // Act
    const lines = describePlan(await planAlarm(alarm('10:05:00'), world.deps));

    // Assess
    expect(lines).toEqual([
      `stop-deployment prod/api: alarm: alarm api-5xx in ALARM: ${ALARM_REASON}; stopping the deployment with ECS's rollback`,
      `  mark-unhealthy serviceArn=${SERVICE_ARN} deploymentId=${D8} by=alarm-10:05:00`,
      `  claim-rollback serviceArn=${SERVICE_ARN} cooldownMs=3600000`,
      `  stop-deployment taskDefinitionArn=${API_8} fallbackTo=${API_7}`,
      `  note-rollback-started serviceArn=${SERVICE_ARN} taskDefinitionArn=${API_7} startedAt=${at('10:05:00')}`,
      '  quarantine-image',
    ]);
  });
});

describe('planTaskStopped', () => {
  it('counts the crash in with those recorded and plans to record it', async () => {
    // Prepare
    const world = await aWatchWorld();
    await crashesRecorded(world, 't1');

    // Act
    const plan = await planTaskStopped(crash('t2', at('10:04:00')), world.deps);
    const redelivered = await planTaskStopped(crash('t1', at('10:03:00')), world.deps);

    // Assess
    expect(plan).toEqual({
      decisions: [{ service: 'prod/api', action: 'record', reason: `crash 2 of 3: ${WHY}` }],
      effects: [
        {
          kind: 'record-crash',
          decision: 0,
          serviceArn: SERVICE_ARN,
          taskDefinitionArn: API_8,
          taskArn: taskArnOf('t2'),
          at: at('10:04:00'),
          since: at('09:54:00'),
          counted: 2,
          threshold: 3,
          why: WHY,
        },
      ],
      announcements: [],
    });
    // A task already recorded counts once.
    expect(redelivered.decisions).toEqual([
      { service: 'prod/api', action: 'record', reason: `crash 1 of 3: ${WHY}` },
    ]);
  });

  it('plans the rollback of a crash loop after recording the crash that makes it one', async () => {
    // Prepare
    const world = await aWatchWorld();
    await crashesRecorded(world, 't1', 't2');

    // Act
    const plan = await planTaskStopped(crash('t3', at('10:04:00')), world.deps);

    // Assess
    expect(plan.decisions).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'stop-deployment',
        reason: `crash-loop: 3 tasks of the new revision crashed within 10m (last: ${WHY}); stopping the deployment with ECS's rollback`,
        from: API_8,
        to: API_7,
      },
    ]);
    expect(plan.effects.map((e) => e.kind)).toEqual([
      'record-crash',
      'mark-unhealthy',
      'claim-rollback',
      'stop-deployment',
      'note-rollback-started',
      'quarantine-image',
    ]);
    expect(plan.effects[0]).toMatchObject({ kind: 'record-crash', counted: 3, threshold: 3 });
    expect(plan.announcements).toEqual([
      expect.objectContaining({ about: 'signal', signal: expect.objectContaining({ kind: 'crash-loop' }) }),
    ]);
  });
});

describe('planDeploymentStateChange', () => {
  const change = (eventName: string, updatedAt: string, reason?: string, deploymentId = D8) => ({
    serviceArn: SERVICE_ARN,
    eventName,
    deploymentId,
    updatedAt,
    eventId: `deployment-${updatedAt}`,
    ...(reason ? { reason } : {}),
  });

  it('plans to record a completed deployment and schedule its bake', async () => {
    // Prepare
    const world = await aWatchWorld();
    ecsLists(world, deployment(D8, API_8, 'COMPLETED'));

    // Act
    const plan = await planDeploymentStateChange(
      change('SERVICE_DEPLOYMENT_COMPLETED', at('10:10:00')),
      world.deps,
    );

    // Assess
    expect(plan).toEqual({
      decisions: [
        {
          service: 'prod/api',
          deploymentId: D8,
          action: 'bake',
          reason: `completed; known good after ${at('10:20:00')} unless unhealthy`,
        },
      ],
      effects: [
        {
          kind: 'record-deployment-state',
          decision: 0,
          serviceArn: SERVICE_ARN,
          deployment: api8('COMPLETED', { completedAt: at('10:10:00'), bakeUntil: at('10:20:00') }),
          updatedAt: at('10:10:00'),
        },
        {
          kind: 'schedule-bake',
          decision: 0,
          serviceArn: SERVICE_ARN,
          deploymentId: D8,
          dueAt: at('10:20:00'),
        },
      ],
      announcements: [],
    });
  });

  it('plans to quarantine and tell when ECS already rolled back the failed deployment', async () => {
    // Prepare
    const world = await aWatchWorld();
    ecsLists(world, deployment(D9, API_7, 'IN_PROGRESS'), deployment(D8, API_8, 'FAILED', 'ACTIVE'));
    const failed = change('SERVICE_DEPLOYMENT_FAILED', at('10:06:00'), 'tasks failed to start');

    // Act
    const plan = await planDeploymentStateChange(failed, world.deps);

    // Assess
    expect(plan.decisions).toEqual([
      {
        service: 'prod/api',
        deploymentId: D8,
        action: 'quarantine-only',
        reason: 'ECS already rolled back (tasks failed to start); not rolling back again',
        from: API_8,
      },
    ]);
    expect(plan.effects.map((e) => e.kind)).toEqual([
      'record-deployment-state',
      'mark-unhealthy',
      'quarantine-image',
    ]);
    expect(plan.announcements).toEqual([
      {
        about: 'signal',
        of: 0,
        service: SERVICE,
        signal: { kind: 'deployment-failed', reason: 'tasks failed to start', at: at('10:06:00') },
        triggeredBy: failed.eventId,
        running: API_7,
        rolledBackByEcsTo: API_7,
      },
    ]);
  });
});

describe('planPromoteBaked', () => {
  it('plans the deployments that baked as known good, and deletes every due timer', async () => {
    // Prepare
    const world = await aWatchWorld();
    ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
    world.history.seedDeployment(
      SERVICE_ARN,
      api8('COMPLETED', { bakeUntil: at('10:20:00') }),
      at('10:10:00'),
    );
    await world.bakes.scheduleBake(SERVICE_ARN, D8, at('10:20:00'));
    await world.bakes.scheduleBake(SERVICE_ARN, D7, at('09:15:00'));
    world.clock.set(at('10:20:00'));

    // Act
    const plan = await planPromoteBaked(world.deps);

    // Assess
    expect(plan).toEqual({
      decisions: [
        {
          service: 'prod/api',
          deploymentId: D8,
          action: 'known-good',
          reason: `baked until ${at('10:20:00')} without an unhealthy signal`,
        },
        {
          service: 'prod/api',
          deploymentId: D7,
          action: 'ignore',
          reason: 'not known good: unhealthy, replaced or gone before the bake time ended',
        },
      ],
      effects: [
        {
          kind: 'set-last-known-good',
          decision: 0,
          serviceArn: SERVICE_ARN,
          good: { taskDefinitionArn: API_8, deploymentId: D8, at: at('10:20:00') },
        },
        { kind: 'delete-bake', decision: 0, serviceArn: SERVICE_ARN, deploymentId: D8 },
        { kind: 'delete-bake', decision: 1, serviceArn: SERVICE_ARN, deploymentId: D7 },
      ],
      announcements: [
        {
          about: 'known-good',
          of: 0,
          service: SERVICE,
          taskDefinition: API_8,
          deploymentId: D8,
          bakedUntil: at('10:20:00'),
        },
      ],
    });
  });
});

describe('planRollbackByPerson', () => {
  it('plans UpdateService to the last known good revision, remembered as a rollback before (the intent), noted, and marked announced', async () => {
    // Prepare
    const world = await aWatchWorld();

    // Act
    const plan = await planRollbackByPerson(SERVICE_ARN, undefined, world.deps);

    // Assess
    const reason = 'rolled back by a person';
    expect(plan).toEqual({
      decisions: [{ service: 'prod/api', action: 'update-service', reason, from: API_8, to: API_7 }],
      effects: [
        {
          kind: 'record-rollback',
          decision: 0,
          serviceArn: SERVICE_ARN,
          rollback: {
            at: at('10:05:00'),
            from: API_8,
            to: API_7,
            reason,
            triggeredBy: 'autopilot-cli',
            method: 'update-service',
          },
        },
        { kind: 'update-service', decision: 0, ref: REF, taskDefinitionArn: API_7 },
        {
          kind: 'note-rollback-started',
          decision: 0,
          serviceArn: SERVICE_ARN,
          taskDefinitionArn: API_7,
          startedAt: at('10:05:00'),
        },
        {
          kind: 'mark-rollback-announced',
          decision: 0,
          serviceArn: SERVICE_ARN,
          triggeredBy: 'autopilot-cli',
          at: at('10:05:00'),
        },
      ],
      announcements: [
        { about: 'person', of: 0, service: SERVICE, at: at('10:05:00'), triggeredBy: 'autopilot-cli' },
      ],
    });
  });
});

describe('planning', () => {
  it('writes nothing, calls no ECS mutation and publishes nothing, whatever it decides', async () => {
    // Prepare: a world in which every planner would act.
    const world = await aWatchWorld();
    await crashesRecorded(world, 't1', 't2');
    await world.bakes.scheduleBake(SERVICE_ARN, D7, at('09:15:00'));
    world.writes.splice(0);

    // Act
    const plans = [
      await planAlarm(alarm('10:05:00'), world.deps),
      await planTaskStopped(crash('t3', at('10:04:00')), world.deps),
      await planTaskStopped(crash('t4', at('10:04:00')), world.deps),
      await planDeploymentStateChange(
        {
          serviceArn: SERVICE_ARN,
          eventName: 'SERVICE_DEPLOYMENT_FAILED',
          deploymentId: D8,
          updatedAt: at('10:05:00'),
          eventId: 'e',
        },
        world.deps,
      ),
      await planPromoteBaked(world.deps),
      await planRollbackByPerson(SERVICE_ARN, undefined, world.deps),
    ];

    // Assess
    expect(plans.every((p) => p.effects.length > 0)).toBe(true);
    expect(changes(world)).toEqual({ writes: [], ecs: [], stops: 0, events: [] });
  });

  it('gets read views of the ports: deciding cannot write', () => {
    // Prepare
    const reads = {} as WatchReads;

    // Act
    const writers = [
      // @ts-expect-error the deployment history is read only while deciding
      () => reads.history.markUnhealthy,
      // @ts-expect-error ECS is read only while deciding
      () => reads.ecs.updateService,
      // @ts-expect-error the alarm index is read only
      () => reads.index.indexAlarms,
      // @ts-expect-error no quarantine to write to while deciding
      () => reads.quarantine,
    ];

    // Assess
    expect(writers).toHaveLength(4);
  });
});
