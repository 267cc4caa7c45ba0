/**
 * Roll back, applied: a plan carried out by the watcher's effect handlers on in-memory ports, where
 * the world answered otherwise between planning and applying (a concurrent signal, another rollback,
 * ECS with nothing to stop, an image quarantined meanwhile, a crash counted concurrently), and in dry
 * run. The events are those of the decisions as carried out.
 */
import { applyPlan } from '../../../../shared/domain/plan/plan';
import { onTaskStopped, promoteBaked } from '../../../../shared/domain/rollback/watch-deployments';
import { watchEffects } from '../../../../shared/domain/rollback/watch-effects';
import { rollbackEvents } from '../../../../shared/domain/rollback/watch-events';
import {
  planAlarm,
  planTaskStopped,
  type WatchDecision,
  type WatchPlan,
} from '../../../../shared/domain/rollback/watch-plan';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  DEPLOYMENT_ROLLED_BACK,
  DEPLOYMENT_SUCCEEDED,
  IMAGE_QUARANTINED,
} from '../../../../shared/events/autopilot-events';
import {
  aService,
  InMemoryDeploymentHistory,
  REPOSITORY,
  REPOSITORY_KEY,
  serviceArnOf,
} from '../../../support/in-memory';
import {
  API_7,
  API_8,
  alarm,
  api8,
  at,
  aWatchWorld,
  BAD,
  changes,
  crash,
  crashesRecorded,
  D8,
  deployment,
  ecsLists,
  SERVICE_ARN,
  taskArnOf,
  type WatchWorld,
} from './watch-world';

/** Applies a plan as the use cases do, collecting what it reports. */
async function apply(world: WatchWorld, plan: WatchPlan) {
  const reported: AutopilotEvent[][] = [];
  const decisions = await applyPlan(plan, watchEffects(world.deps), {
    dryRun: world.deps.dryRun,
    report: async (done) => {
      reported.push(rollbackEvents(plan, done));
    },
  });
  return { decisions, events: reported.flat() };
}

const typesOf = (events: readonly AutopilotEvent[]) => events.map((e) => e.detailType);

describe('watchEffects', () => {
  it('carries out a planned stop: mark, claim, stop, quarantine, and reports it', async () => {
    // Prepare
    const world = await aWatchWorld();
    const plan = await planAlarm(alarm('10:05:00'), world.deps);

    // Act
    const { decisions, events } = await apply(world, plan);

    // Assess
    expect(decisions).toEqual(plan.decisions);
    expect(changes(world)).toEqual({
      writes: ['markUnhealthy', 'claimRollback', 'quarantineImage'],
      ecs: [],
      stops: 1,
      events: [],
    });
    expect(events).toEqual([
      {
        detailType: DEPLOYMENT_ROLLED_BACK,
        detail: expect.objectContaining({ by: 'autopilot', method: 'stop-deployment', dryRun: false }),
      },
      {
        detailType: IMAGE_QUARANTINED,
        detail: expect.objectContaining({ repository: REPOSITORY, digest: BAD, taskDefinition: API_8 }),
      },
    ]);
  });

  it('ignores a signal whose deployment a concurrent signal marked unhealthy since, and does nothing more', async () => {
    // Prepare
    const world = await aWatchWorld();
    const plan = await planAlarm(alarm('10:05:00'), world.deps);
    await world.history.markUnhealthy(SERVICE_ARN, D8, 'crash-event-1');
    world.writes.splice(0);

    // Act
    const { decisions, events } = await apply(world, plan);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'ignore', reason: `deployment ${D8} was already handled` }),
    ]);
    expect(changes(world)).toEqual({ writes: ['markUnhealthy'], ecs: [], stops: 0, events: [] });
    expect(events).toEqual([]);
  });

  it('tells people instead when another rollback claimed the service since', async () => {
    // Prepare
    const world = await aWatchWorld();
    const plan = await planAlarm(alarm('10:05:00'), world.deps);
    world.rollbacks.seedRollback(SERVICE_ARN, {
      at: at('10:04:30'),
      from: API_8,
      to: API_7,
      reason: 'crash loop',
    });

    // Act
    const { decisions, events } = await apply(world, plan);

    // Assess
    const reason = 'another rollback of this service happened within the cooldown';
    expect(decisions).toEqual([expect.objectContaining({ action: 'notify', reason })]);
    expect(changes(world)).toEqual({
      writes: ['markUnhealthy', 'claimRollback'],
      ecs: [],
      stops: 0,
      events: [],
    });
    expect(events).toEqual([
      {
        detailType: ACTION_FAILED,
        detail: {
          action: 'rollback',
          cluster: 'prod',
          service: 'api',
          serviceArn: SERVICE_ARN,
          reason,
          dryRun: false,
          triggeredBy: 'alarm-10:05:00',
        },
      },
    ]);
  });

  it('falls back to UpdateService when ECS has no deployment to stop, notes it, and says so', async () => {
    // Prepare
    const world = await aWatchWorld();
    const plan = await planAlarm(alarm('10:05:00'), world.deps);
    world.control.refuse();

    // Act
    const { decisions, events } = await apply(world, plan);

    // Assess
    expect(decisions).toEqual([{ ...plan.decisions[0], action: 'update-service' }]);
    expect(changes(world)).toEqual({
      writes: ['markUnhealthy', 'claimRollback', 'noteDeploymentStarted', 'quarantineImage'],
      ecs: ['updateService'],
      stops: 1,
      events: [],
    });
    expect(world.writes[2]).toMatchObject({ started: { taskDefinitionArn: API_7, isRollback: true } });
    expect(events[0]?.detail).toMatchObject({ method: 'update-service' });
  });

  it('does not announce an image quarantined since planning, and learns it in the decision', async () => {
    // Prepare
    const world = await aWatchWorld();
    const plan = await planAlarm(alarm('10:05:00'), world.deps);
    world.quarantine.seedQuarantined({
      repositoryKey: REPOSITORY_KEY,
      repository: REPOSITORY,
      digest: BAD,
      reason: 'crash loop on prod/web',
      at: at('10:04:00'),
    });

    // Act
    const { decisions, events } = await apply(world, plan);

    // Assess
    expect(decisions).toEqual([{ ...plan.decisions[0], alreadyQuarantined: [`${REPOSITORY_KEY}@${BAD}`] }]);
    expect(typesOf(events)).toEqual([DEPLOYMENT_ROLLED_BACK]);
    expect(world.writes.at(-1)).toMatchObject({ op: 'quarantineImage', added: false });
  });

  it('keeps the count recorded when other crashes were recorded since, below the threshold', async () => {
    // Prepare
    const world = await aWatchWorld();
    const plan = await planTaskStopped(crash('t1', at('10:04:00')), world.deps);
    await crashesRecorded(world, 't0');

    // Act
    const { decisions } = await apply(world, plan);

    // Assess
    expect(decisions).toEqual([
      {
        service: 'prod/api',
        action: 'record',
        reason: 'crash 2 of 3: essential container exited with code 1 (app)',
      },
    ]);
  });

  it('plans a stopped task again when a concurrent crash made the count reach the threshold', async () => {
    // Prepare: another invocation records t2 between this one's reading the crashes and its recording.
    class ConcurrentCrash extends InMemoryDeploymentHistory {
      racing = false;
      override async crashedTasks(serviceArn: string, taskDefinitionArn: string, since: string) {
        const read = await super.crashedTasks(serviceArn, taskDefinitionArn, since);
        if (this.racing) {
          this.racing = false;
          await super.recordCrash(
            { serviceArn, taskDefinitionArn, taskArn: taskArnOf('t2'), at: at('10:03:30') },
            since,
          );
        }
        return read;
      }
    }
    const world = await aWatchWorld();
    const history = new ConcurrentCrash({ writes: world.writes, now: world.clock.now });
    history.seedDeployment(SERVICE_ARN, api8('IN_PROGRESS'), at('10:00:00'));
    await history.recordCrash(
      { serviceArn: SERVICE_ARN, taskDefinitionArn: API_8, taskArn: taskArnOf('t1'), at: at('10:03:00') },
      at('09:53:00'),
    );
    world.writes.splice(0);
    history.racing = true;
    const deps = { ...world.deps, history };

    // Act
    const decisions = await onTaskStopped(crash('t3', at('10:04:00')), deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'stop-deployment',
        reason: expect.stringMatching(/^crash-loop: 3 tasks/),
      }),
    ]);
    expect(world.writes.map((w) => w.op)).toEqual([
      'recordCrash', // t2, by the other invocation
      'recordCrash', // t3: 3 recorded where 2 were decided from: plan again
      'recordCrash', // t3 again (counted once)
      'markUnhealthy',
      'claimRollback',
      'quarantineImage',
      'markAnnounced', // once the events are out
    ]);
    expect(world.control.calls).toHaveLength(1);
  });

  it('applies nothing in dry run and reports the planned decisions, marked', async () => {
    // Prepare
    const world = await aWatchWorld({ dryRun: true });
    const plan = await planAlarm(alarm('10:05:00'), world.deps);

    // Act
    const { decisions, events } = await apply(world, plan);

    // Assess
    expect(decisions).toEqual(plan.decisions.map((d): WatchDecision => ({ ...d, dryRun: true })));
    expect(changes(world)).toEqual({ writes: [], ecs: [], stops: 0, events: [] });
    expect(events).toEqual([
      {
        detailType: DEPLOYMENT_ROLLED_BACK,
        detail: expect.objectContaining({ method: 'stop-deployment', dryRun: true }),
      },
      { detailType: IMAGE_QUARANTINED, detail: expect.objectContaining({ digest: BAD, dryRun: true }) },
    ]);
  });

  it('announces the decisions carried out before a failure, and lets the failure go on', async () => {
    // Prepare: prod/api and prod/web baked; making prod/web known good fails.
    const world = await aWatchWorld();
    const WEB = serviceArnOf('prod', 'web');
    const D_WEB = 'ecs-svc/5000000000000000005';
    ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
    world.ecs.addService(aService({ name: 'web', deployments: [deployment(D_WEB, API_7, 'COMPLETED')] }));
    for (const [serviceArn, id] of [
      [SERVICE_ARN, D8],
      [WEB, D_WEB],
    ] as const) {
      world.history.seedDeployment(
        serviceArn,
        { ...api8('COMPLETED', { bakeUntil: at('10:20:00') }), deploymentId: id },
        at('10:10:00'),
      );
      await world.bakes.scheduleBake(serviceArn, id, at('10:20:00'));
    }
    world.clock.set(at('10:20:00'));
    const rollbacks = world.rollbacks;
    const deps = {
      ...world.deps,
      rollbacks: Object.assign(Object.create(rollbacks), {
        setLastKnownGood: async (
          serviceArn: string,
          good: Parameters<typeof rollbacks.setLastKnownGood>[1],
        ) => {
          if (serviceArn === WEB) throw new Error('ProvisionedThroughputExceededException');
          return rollbacks.setLastKnownGood(serviceArn, good);
        },
      }) as typeof rollbacks,
    };

    // Act
    const run = promoteBaked(deps);

    // Assess
    await expect(run).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(world.events.published).toEqual([
      {
        detailType: DEPLOYMENT_SUCCEEDED,
        detail: expect.objectContaining({ service: 'api', deploymentId: D8 }),
      },
    ]);
    expect(world.bakes.allBakes()).toEqual([expect.objectContaining({ serviceArn: WEB })]);
  });
});
