/**
 * A function stopped between any two of its AWS calls, and retried, converges. For every use case
 * that changes anything, one representative event is run once on a fresh in-memory world, recording
 * each port call (one AWS call each) and the end state; then, for every call k of that clean run, the
 * invocation is stopped before call k (it is not made) and after it (it is made, its answer lost), and
 * the same event is run again a minute later, as Lambda retries it (a second retry two minutes after
 * that when the first fails: `test/support/stop-anywhere.ts`).
 * The end state must be the clean run's, and everything changed announced exactly once: at most
 * twice only where docs/RELIABILITY.md accepts a duplicate (stopped between PutEvents and the marks
 * that record it went out).
 */
import { NotificationsSchema } from '../../../shared/config/notifications';
import { PolicyFileSchema } from '../../../shared/config/policy-file';
import {
  type DeployDeps,
  deployDuePushes,
  deployPushedImage,
} from '../../../shared/domain/deploy/deploy-pushed-image';
import type { IndexDeps } from '../../../shared/domain/index/index-services';
import { reconcileIndex } from '../../../shared/domain/index/reconcile';
import { describeEvent } from '../../../shared/domain/notify/describe-event';
import {
  type BusEvent,
  flushWindows,
  type NotifyDeps,
  notifyEvent,
} from '../../../shared/domain/notify/notify';
import { groupKeyOf, windowAt } from '../../../shared/domain/notify/notify-plan';
import {
  type BakeDeps,
  onAlarm,
  onDeploymentStateChange,
  onTaskStopped,
  promoteBaked,
  rollbackByPerson,
  type WatchDeps,
} from '../../../shared/domain/rollback/watch-deployments';
import type { AutopilotEvent } from '../../../shared/events/autopilot-events';
import type { NotificationWindow } from '../../../shared/ports';
import {
  aDigest,
  anInMemoryWorld,
  aPush,
  aService,
  aTaskDefinitionDoc,
  Clock,
  IMAGE,
  InMemoryDeploymentControl,
  InMemoryNotificationStore,
  InMemoryUndeliveredSink,
  indexDepsOf,
  REPOSITORY_KEY,
  RecordingChatSender,
  taskDefinitionArnOf,
} from '../../support/in-memory';
import {
  BOOKKEEPING as BOOKKEEPING_MARK,
  betweenAnnouncementAndMark,
  counted,
  differences,
  runClean,
  runStopped,
  type StopScenario,
  stateOfFakes,
  stopPoints,
} from '../../support/stop-anywhere';
import {
  API_7,
  API_8,
  alarm,
  api8,
  at,
  aWatchWorld,
  crash,
  crashesRecorded,
  D7,
  D8,
  deployment,
  ecsLists,
  GOOD,
  SERVICE_ARN,
  type WatchWorld,
} from './rollback/watch-world';

const NOW = '2026-01-13T10:05:00.000Z';

type World = ReturnType<typeof anInMemoryWorld>;

/** Every state fake of a world, and ECS and ECR: what a use case may change. */
function fakesOf(world: World): Record<string, object> {
  const { ecs, ecr, index, sweep, problems, history, rollbacks, bakes, quarantine, lease, pending, skips } =
    world;
  return { ecs, ecr, index, sweep, problems, history, rollbacks, bakes, quarantine, lease, pending, skips };
}

/**
 * Bookkeeping: fields that say when something was done, which a retry a minute later does later.
 * `registeredAt` (ECS stamps a revision when it is registered), `startedAt` (when UpdateService was
 * called: a deployment record and its intent), `at` (when an intent was begun), `expiresAt` (a lease),
 * `indexedAt` and `finishedAt` (when the reconcile indexed a service and finished its sweep).
 */
const BOOKKEEPING = new Set(['registeredAt', 'startedAt', 'at', 'expiresAt', 'indexedAt', 'finishedAt']);

/**
 * The end state with each ECS deployment named by the revision it rolls out (`deployment of <arn>`)
 * instead of its id: ECS numbers deployments in the order the updates come, and services deployed
 * several at a time are updated in another order by a retry. A record still has to name its own
 * service's deployment.
 */
function byRevisionDeployed(state: unknown): unknown {
  const { ecs } = state as {
    ecs: { services: { deployments?: { id: string; taskDefinitionArn: string }[] }[] };
  };
  const names = new Map<string, string>();
  for (const service of ecs.services) {
    for (const d of service.deployments ?? []) names.set(d.id, `deployment of ${d.taskDefinitionArn}`);
  }
  const named = JSON.stringify(state).replace(/ecs-svc\/\d+/g, (id) => names.get(id) ?? id);
  // The deployments the history keeps are listed by their key, the id: in the order of their names now.
  const renamed = JSON.parse(named) as { history: { deployments: unknown[] } };
  renamed.history.deployments.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return renamed;
}

/** An event as announced, without its reason: a retry's reason says what the earlier attempt did. */
function announcement(event: AutopilotEvent): unknown {
  const { reason: _reason, ...detail } = event.detail as Record<string, unknown>;
  return { detailType: event.detailType, detail };
}

/**
 * Where a duplicate announcement is accepted: between the call that announces and the marks that
 * record it went out (docs/RELIABILITY.md, the narrow case of each capability), and, for announcements
 * nothing marks (`unmarked`: a known limit), whenever the stop came after the announcement.
 */
interface Duplicates {
  announcement: string;
  marks?: string[];
  unmarked?: (announced: { detailType?: string }) => boolean;
}

/** What each stop point of a scenario led to that differs from the clean run; empty when all converge. */
async function stopEverywhere<W extends { clock: Clock }, D extends object>(
  scenario: StopScenario<W, D>,
  duplicates: Duplicates,
): Promise<{ calls: string[]; failures: string[] }> {
  const clean = await runClean(scenario);
  const failures: string[] = [];
  for (const point of stopPoints(clean.calls.length)) {
    const run = await runStopped(scenario, point);
    const at = `${point.when} call ${point.call} (${clean.calls[point.call]})`;
    if (!run.stopped) failures.push(`${at}: the stop was not reached (calls ${run.calls.join(', ')})`);
    if (run.failed !== undefined) failures.push(`${at}: every retry failed: ${run.failed}`);
    const state = differences(clean.state, run.state);
    if (state.length > 0) failures.push(`${at}: end state differs: ${state.join('; ')}`);
    const expected = counted(clean.announced);
    const actual = counted(run.announced);
    const twiceAllowed = betweenAnnouncementAndMark(
      point,
      clean.calls,
      duplicates.announcement,
      duplicates.marks,
    );
    const made = point.when === 'before' ? point.call : point.call + 1;
    const announcedBefore = clean.calls.slice(0, made).includes(duplicates.announcement);
    for (const key of new Set([...expected.keys(), ...actual.keys()])) {
      const want = expected.get(key) ?? 0;
      const got = actual.get(key) ?? 0;
      const twice = twiceAllowed || (announcedBefore && duplicates.unmarked?.(JSON.parse(key)) === true);
      const ok = twice ? got >= want && got <= 2 * want : got === want;
      if (!ok) failures.push(`${at}: announced ${got} times, ${want} in the clean run: ${key.slice(0, 300)}`);
    }
  }
  // The first few say where; the count says how many.
  return {
    calls: clean.calls,
    failures: failures.length > 12 ? [...failures.slice(0, 12), `… ${failures.length} in all`] : failures,
  };
}

const EVENINGS = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '18:00', end: '22:00', timezone: 'UTC' };

function deployDeps(world: World): DeployDeps {
  const policyFile = PolicyFileSchema.parse({ version: 1, policies: { evenings: { windows: [EVENINGS] } } });
  return { ...world, policyFile, dryRun: false, now: world.clock.now };
}

/**
 * The deploy functions announce with PutEvents and then mark each deployment's intent announced, and
 * each deferred push.
 */
const DEPLOY_ANNOUNCES = {
  announcement: 'events.publish',
  marks: ['history.markIntentsAnnounced', 'pending.markPendingAnnounced'],
};

describe('deploy on push, stopped anywhere and retried', () => {
  const STAGING_FAMILY = 'api-staging';
  const push = aPush({ digest: aDigest('stopped anywhere'), pushedAt: new Date('2026-01-13T10:00:00.000Z') });

  const scenario: StopScenario<World, DeployDeps> = {
    world: () => {
      const world = anInMemoryWorld(NOW);
      const prod = aService();
      // Its window opens at 18:00: the push waits (a pending push, Deployment Scheduled).
      const batch = aService({
        name: 'batch',
        taskDefinitionArn: taskDefinitionArnOf('batch', 2),
        tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'evenings' },
      });
      world.ecs.addService(batch, aTaskDefinitionDoc({ family: 'batch', revision: 2 }));
      const staging = aService({
        clusterName: 'staging',
        taskDefinitionArn: taskDefinitionArnOf(STAGING_FAMILY, 3),
      });
      world.ecs.addService(prod, aTaskDefinitionDoc());
      world.ecs.addService(staging, aTaskDefinitionDoc({ family: STAGING_FAMILY, revision: 3 }));
      for (const service of [prod, staging, batch]) {
        world.index.seedRepositories(
          { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name },
          [REPOSITORY_KEY],
        );
      }
      world.ecr.pushImage(push);
      return world;
    },
    deps: deployDeps,
    invoke: (deps) => deployPushedImage(push, deps),
    announced: (world) => world.events.published.map(announcement),
    state: (world) => byRevisionDeployed(stateOfFakes(fakesOf(world), BOOKKEEPING)),
  };

  it('two services deployed and one deferred: the same end state, each deployment and the deferral announced once (at most twice when stopped between PutEvents and marking the intents and the pending push announced)', async () => {
    // Prepare
    // The leases are taken together and given back together (one call each for the three services).
    const expectedCalls = 19;

    // Act
    const { calls, failures } = await stopEverywhere(scenario, DEPLOY_ANNOUNCES);

    // Assess
    expect(calls.length).toBeGreaterThan(expectedCalls);
    expect(failures).toEqual([]);
  });
});

describe('deploy due, stopped anywhere and retried', () => {
  const push = aPush({ digest: aDigest('due push'), pushedAt: new Date('2026-01-13T09:00:00.000Z') });

  const scenario: StopScenario<World, DeployDeps> = {
    world: () => {
      const world = anInMemoryWorld(NOW);
      const api = aService();
      world.ecs.addService(api, aTaskDefinitionDoc());
      world.index.seedRepositories(
        { serviceArn: api.arn, clusterArn: api.clusterArn, serviceName: api.name },
        [REPOSITORY_KEY],
      );
      world.ecr.pushImage(push);
      world.pending.seedPending({
        serviceArn: api.arn,
        cluster: 'prod',
        service: 'api',
        push: { ...push, pushedAt: push.pushedAt.toISOString() },
        dueAt: '2026-01-13T10:00:00.000Z',
        reason: 'cooldown',
      });
      return world;
    },
    deps: deployDeps,
    invoke: (deps) => deployDuePushes(deps),
    announced: (world) => world.events.published.map(announcement),
    state: (world) => stateOfFakes(fakesOf(world), BOOKKEEPING),
  };

  it('a due push deployed and forgotten: the same end state, announced once (at most twice when stopped between PutEvents and marking the intent announced)', async () => {
    // Prepare
    const expectedCalls = 10;

    // Act
    const { calls, failures } = await stopEverywhere(scenario, DEPLOY_ANNOUNCES);

    // Assess
    expect(calls.length).toBeGreaterThan(expectedCalls);
    expect(failures).toEqual([]);
  });
});

/** The watcher announces with PutEvents and then marks each deployment it marked unhealthy announced. */
const WATCH_ANNOUNCES = { announcement: 'events.publish', marks: ['history.markAnnounced'] };

/** A watcher's world whose StopServiceDeployment rolls the deployment back in its ECS, as ECS does. */
async function aStoppableWatchWorld(): Promise<WatchWorld> {
  const world = await aWatchWorld();
  const control = new InMemoryDeploymentControl(true, world.ecs);
  return { ...world, control, deps: { ...world.deps, control } };
}

/** api:8 completed at 10:02 and bakes until 10:30. */
async function inBake(): Promise<WatchWorld> {
  const world = await aStoppableWatchWorld();
  ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
  world.history.seedDeployment(
    SERVICE_ARN,
    api8('COMPLETED', { completedAt: at('10:02:00'), bakeUntil: at('10:30:00') }),
    at('10:02:00'),
  );
  world.writes.splice(0);
  return world;
}

/** api:8 bakes; api:7, the last known good revision, names its image by tag and ran GOOD. */
async function inBakeTaggedGood(): Promise<WatchWorld> {
  const world = await inBake();
  world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 7, image: IMAGE }));
  world.rollbacks.seedLastKnownGood(SERVICE_ARN, {
    taskDefinitionArn: API_7,
    deploymentId: D7,
    at: at('09:15:00'),
    images: [{ container: 'app', image: IMAGE, digest: GOOD }],
  });
  return world;
}

/**
 * A watcher's use case to stop anywhere. After StopServiceDeployment, ECS names no deployment for its
 * rollback, so a first attempt notes none; a retry finds ECS rolling back and notes that deployment
 * (`isRollback`, from DescribeServices), which its own state changes record either way. With
 * `stopsDeployment`, such a note (a rollback deployment without a state change recorded) is not
 * compared: the one difference a retry may leave, and one that knows more.
 */
function watchScenario(
  prepare: () => Promise<WatchWorld>,
  invoke: (deps: WatchDeps) => Promise<unknown>,
  options: { stopsDeployment?: boolean } = {},
): StopScenario<WatchWorld, WatchDeps> {
  return {
    world: prepare,
    deps: (world) => ({ ...world.deps, now: world.clock.now }),
    invoke,
    announced: (world) => world.events.published.map(announcement),
    state: (world) => {
      const state = stateOfFakes({ ...fakesOf(world), control: world.control }, BOOKKEEPING) as {
        history: { deployments: { fields: { isRollback?: boolean }; updatedAt?: string }[] };
      };
      if (options.stopsDeployment) {
        state.history.deployments = state.history.deployments.filter(
          (d) => d.fields.isRollback !== true || d.updatedAt !== undefined,
        );
      }
      return state;
    },
  };
}

describe('watch deployments, stopped anywhere and retried', () => {
  it('an alarm while api:8 rolls out: stopped with ECS rollback and its image quarantined, once (at most twice when stopped between PutEvents and marking the deployment announced)', async () => {
    // Prepare
    const scenario = watchScenario(aStoppableWatchWorld, (deps) => onAlarm(alarm('10:05:00'), deps), {
      stopsDeployment: true,
    });

    // Act
    const { calls, failures } = await stopEverywhere(scenario, WATCH_ANNOUNCES);

    // Assess
    expect(calls).toContain('control.stopDeploymentWithRollback');
    expect(failures).toEqual([]);
  });

  it('an alarm while api:8 bakes: UpdateService back to api:7 and its image quarantined, once (at most twice when stopped between PutEvents and marking the deployment announced)', async () => {
    // Prepare
    const scenario = watchScenario(inBake, (deps) => onAlarm(alarm('10:05:00'), deps));

    // Act
    const { calls, failures } = await stopEverywhere(scenario, WATCH_ANNOUNCES);

    // Assess
    expect(calls).toContain('ecs.updateService');
    expect(failures).toEqual([]);
  });

  it('api:8 failed: rolled back and its image quarantined, once (at most twice when stopped between PutEvents and marking the deployment announced)', async () => {
    // Prepare
    const failed = async () => {
      const world = await aStoppableWatchWorld();
      ecsLists(world, deployment(D8, API_8, 'FAILED'), deployment(D7, API_7, 'COMPLETED', 'ACTIVE'));
      return world;
    };
    const change = {
      serviceArn: SERVICE_ARN,
      eventName: 'SERVICE_DEPLOYMENT_FAILED',
      deploymentId: D8,
      updatedAt: at('10:04:00'),
      reason: 'ECS deployment circuit breaker: tasks failed to start.',
      eventId: 'deployment-failed',
    };
    const scenario = watchScenario(failed, (deps) => onDeploymentStateChange(change, deps));

    // Act
    const { calls, failures } = await stopEverywhere(scenario, WATCH_ANNOUNCES);

    // Assess
    expect(calls.length).toBeGreaterThan(5);
    expect(failures).toEqual([]);
  });

  it('api:8 completed: recorded and its bake timer set', async () => {
    // Prepare
    const completed = async () => {
      const world = await aStoppableWatchWorld();
      ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
      return world;
    };
    const change = {
      serviceArn: SERVICE_ARN,
      eventName: 'SERVICE_DEPLOYMENT_COMPLETED',
      deploymentId: D8,
      updatedAt: at('10:04:00'),
      eventId: 'deployment-completed',
    };
    const scenario = watchScenario(completed, (deps) => onDeploymentStateChange(change, deps));

    // Act
    const { calls, failures } = await stopEverywhere(scenario, WATCH_ANNOUNCES);

    // Assess
    expect(calls).toContain('bakes.scheduleBake');
    expect(failures).toEqual([]);
  });

  it('the third crash of api:8: a crash loop rolled back, once (at most twice when stopped between PutEvents and marking the deployment announced)', async () => {
    // Prepare
    const crashing = async () => {
      const world = await aStoppableWatchWorld();
      await crashesRecorded(world, 'task-1', 'task-2');
      return world;
    };
    const scenario = watchScenario(crashing, (deps) => onTaskStopped(crash('task-3', at('10:04:00')), deps), {
      stopsDeployment: true,
    });

    // Act
    const { calls, failures } = await stopEverywhere(scenario, WATCH_ANNOUNCES);

    // Assess
    expect(calls).toContain('history.recordCrash');
    expect(failures).toEqual([]);
  });

  it('an alarm while api:8 bakes, api:7 naming its image by tag: rolled back to one copy pinned to what api:7 ran (found again by its tags when stopped after RegisterTaskDefinition), once', async () => {
    // Prepare
    const scenario = watchScenario(inBakeTaggedGood, (deps) => onAlarm(alarm('10:05:00'), deps));

    // Act
    const { calls, failures } = await stopEverywhere(scenario, WATCH_ANNOUNCES);

    // Assess
    expect(calls).toContain('ecs.registerTaskDefinition');
    expect(failures).toEqual([]);
  });
});

describe('autopilot rollback, stopped anywhere and run again', () => {
  /**
   * A person's rollback to `to`, run again a minute later as a person would. When the command ran
   * (`signals[].at`) is bookkeeping: a rerun that comes before the intent was recorded runs later; one
   * that finds the intent announces at its time (`watch-deployments.test.ts` shows it).
   */
  const byPerson = (prepare: () => Promise<WatchWorld>, to: string | undefined) => ({
    ...watchScenario(prepare, (deps) => rollbackByPerson(SERVICE_ARN, to, deps)),
    announced: (world: WatchWorld) =>
      world.events.published.map((event) => {
        const { detail, ...rest } = announcement(event) as { detail: { signals?: object[] } };
        const signals = detail.signals?.map((signal) => ({ ...signal, at: BOOKKEEPING_MARK }));
        return { ...rest, detail: { ...detail, ...(signals ? { signals } : {}) } };
      }),
  });
  const PERSON_ANNOUNCES = { announcement: 'events.publish', marks: ['rollbacks.markRollbackAnnounced'] };

  it('api back to api:7 while api:8 bakes: recorded before UpdateService, so a rerun notes and announces it once (at most twice when stopped between PutEvents and marking it announced)', async () => {
    // Prepare
    const scenario = byPerson(inBake, API_7);

    // Act
    const { calls, failures } = await stopEverywhere(scenario, PERSON_ANNOUNCES);

    // Assess
    expect(calls).toEqual([
      'ecs.describeServices',
      'rollbacks.lastKnownGood',
      'rollbacks.lastRollback',
      'rollbacks.claimRollback',
      'ecs.updateService',
      'history.noteDeploymentStarted',
      'events.publish',
      'rollbacks.markRollbackAnnounced',
    ]);
    expect(failures).toEqual([]);
  });

  it('api back to its last known good api:7, which names its image by tag: one copy pinned to what it ran, found again by its tags when stopped after RegisterTaskDefinition', async () => {
    // Prepare
    const scenario = byPerson(inBakeTaggedGood, undefined);

    // Act
    const { calls, failures } = await stopEverywhere(scenario, PERSON_ANNOUNCES);

    // Assess
    expect(calls).toContain('ecs.registerTaskDefinition');
    expect(failures).toEqual([]);
  });
});

describe('bake timer, stopped anywhere and retried', () => {
  it('api:8 baked: the last known good revision, announced once (at most twice when stopped between PutEvents and deleting the timer)', async () => {
    // Prepare
    const baked = async () => {
      const world = await aStoppableWatchWorld();
      ecsLists(world, deployment(D8, API_8, 'COMPLETED'));
      world.history.seedDeployment(
        SERVICE_ARN,
        api8('COMPLETED', { completedAt: at('10:02:00'), bakeUntil: at('10:04:00') }),
        at('10:02:00'),
      );
      await world.bakes.scheduleBake(SERVICE_ARN, D8, at('10:04:00'));
      return world;
    };
    const scenario = watchScenario(baked, (deps) => promoteBaked(deps satisfies BakeDeps));

    // Act
    const { calls, failures } = await stopEverywhere(scenario, {
      announcement: 'events.publish',
      marks: ['bakes.deleteBake'],
    });

    // Assess
    expect(calls).toContain('rollbacks.setLastKnownGood');
    expect(failures).toEqual([]);
  });
});

describe('index services, stopped anywhere and retried', () => {
  /** The reconcile of one service, on a world `prepare` makes. */
  const reconcile = (prepare: (world: World) => void): StopScenario<World, IndexDeps> => ({
    world: () => {
      const world = anInMemoryWorld(NOW);
      prepare(world);
      return world;
    },
    deps: (world) => indexDepsOf(world, PolicyFileSchema.parse({ version: 1 })),
    invoke: (deps) => reconcileIndex({ triggeredBy: 'reconcile-event', periodMs: 6 * 3_600_000 }, deps),
    announced: (world) => world.events.published.map(announcement),
    state: (world) => stateOfFakes(fakesOf(world), BOOKKEEPING),
  });

  it('a service indexed and its unusable tag announced once (at most twice when stopped after PutEvents)', async () => {
    // Prepare
    const scenario = reconcile((world) => {
      world.ecs.addService(aService({ tags: { 'autopilot:deploy': 'tags:main' } }), aTaskDefinitionDoc());
    });

    // Act
    const { calls, failures } = await stopEverywhere(scenario, { announcement: 'events.publish' });

    // Assess
    expect(calls).toContain('problems.rememberProblem');
    expect(failures).toEqual([]);
  });

  it('a problem fixed: its resolution announced once (at most twice when stopped between PutEvents and forgetting it)', async () => {
    // Prepare
    const scenario = reconcile((world) => {
      const api = aService({ tags: { 'autopilot:deploy': 'tag:main' } });
      world.ecs.addService(api, aTaskDefinitionDoc());
      world.problems.seedProblem({
        serviceArn: api.arn,
        cluster: api.clusterName,
        service: api.name,
        tagKey: 'autopilot:deploy',
        tagValue: 'tags:main',
        problem: 'autopilot:deploy value "tags:main" is not a deploy mode',
        triggeredBy: 'the event that announced it',
      });
    });

    // Act
    const { calls, failures } = await stopEverywhere(scenario, {
      announcement: 'events.publish',
      marks: ['problems.forgetProblem'],
    });

    // Assess
    expect(calls).toContain('problems.forgetProblem');
    expect(failures).toEqual([]);
  });
});

/** The notifier's world: its store, the chats it sends to, its dead-letter queue, on one clock. */
interface NotifyWorld {
  clock: Clock;
  store: InMemoryNotificationStore;
  sender: RecordingChatSender;
  undelivered: InMemoryUndeliveredSink;
}

const SLACK_BOT = { type: 'slack', token: { ssm: '/autopilot/slack-token' }, channel: 'C0123456789' };
const TEAMS = { type: 'teams', webhook: { ssm: '/autopilot/teams-webhook' } };

/** api:8 deploying: an event every channel gets. */
const DEPLOYING: BusEvent = {
  id: 'deployment-started-event',
  time: '2026-01-13T10:04:30Z',
  account: '123456789012',
  region: 'eu-west-1',
  'detail-type': 'Deployment Started',
  detail: {
    cluster: 'prod',
    service: 'api',
    serviceArn: SERVICE_ARN,
    repository: 'team/api',
    tag: 'main',
    digest: aDigest('deploying'),
    image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@${aDigest('deploying')}`,
    containers: ['app'],
    fromTaskDefinition: API_7,
    toTaskDefinition: API_8,
    reason: 'main moved to a new digest (tag:main)',
    dryRun: false,
    triggeredBy: 'push-event',
  },
};

/** A notifier's use case to stop anywhere: what was sent (channel and title) and parked is announced. */
function notifyScenario(
  content: Record<string, unknown>,
  prepare: (world: NotifyWorld) => Promise<void>,
  invoke: (deps: NotifyDeps) => Promise<unknown>,
): StopScenario<NotifyWorld, NotifyDeps> {
  return {
    world: async () => {
      const world = {
        clock: new Clock(new Date(NOW)),
        store: new InMemoryNotificationStore(),
        sender: new RecordingChatSender(),
        undelivered: new InMemoryUndeliveredSink(),
      };
      await prepare(world);
      return world;
    },
    deps: (world) => ({
      notifications: NotificationsSchema.parse(content),
      sender: world.sender,
      store: world.store,
      undelivered: world.undelivered,
      tagsOf: async () => ({}),
      dryRun: false,
      now: world.clock.now,
    }),
    invoke,
    announced: (world) => [
      ...world.sender.sent.map((sent) => ({ sent: sent.channel, title: sent.message.title })),
      ...world.undelivered.parked.map((parked) => ({ parked: parked.channel, title: parked.message.title })),
    ],
    state: (world) => stateOfFakes({ store: world.store }, NOTIFY_BOOKKEEPING),
  };
}

/**
 * The notifier's bookkeeping also holds `ts`, the id Slack gave a thread's first message: a message
 * sent again (the duplicate accepted above) is a new first message, whose thread is remembered.
 */
const NOTIFY_BOOKKEEPING = new Set([...BOOKKEEPING, 'ts']);

describe('notify, stopped anywhere and retried', () => {
  it('an event sent to a Slack thread and held in a full Teams window: counted once per channel; a message whose send was made is sent again (a known limit: chat webhooks take no idempotency key)', async () => {
    // Prepare
    const content = {
      channels: { deploys: SLACK_BOT, ops: TEAMS },
      default: ['deploys', 'ops'],
      aggregate: { window: '1m', after: 1 },
    };
    const message = describeEvent({ ...DEPLOYING, detailType: DEPLOYING['detail-type'] });
    const scenario = notifyScenario(
      content,
      async (world) => {
        // A similar event counted into ops's window before: this one is held there.
        await world.store.admit(
          'ops',
          groupKeyOf(message),
          windowAt(new Date(message.at), 60_000),
          'earlier',
        );
      },
      (deps) => notifyEvent(DEPLOYING, deps),
    );

    // Act
    const { calls, failures } = await stopEverywhere(scenario, {
      announcement: 'sender.send',
      unmarked: () => true,
    });

    // Assess
    expect(calls).toEqual(expect.arrayContaining(['store.admit', 'store.addExample', 'store.saveThread']));
    expect(failures).toEqual([]);
  });

  it('an ended window summarised once (twice when stopped between its send and closing the window)', async () => {
    // Prepare
    const content = { channels: { ops: TEAMS }, default: ['ops'], aggregate: { window: '1m', after: 1 } };
    const window = { start: '2026-01-13T10:03:00.000Z', end: '2026-01-13T10:04:00.000Z' };
    const scenario = notifyScenario(
      content,
      async (world) => {
        for (const id of ['first', 'second', 'third']) {
          const admitted = await world.store.admit('ops', 'Deployment Started|prod|info', window, id);
          if (admitted.count > 1)
            await world.store.addExample('ops', admitted.groupKey, admitted.windowStart, `held ${id}`);
        }
      },
      (deps) => flushWindows(deps),
    );

    // Act
    const { calls, failures } = await stopEverywhere(scenario, {
      announcement: 'sender.send',
      marks: ['store.closeWindow'],
    });

    // Assess
    expect(calls).toEqual(['store.listEndedWindows', 'sender.send', 'store.closeWindow']);
    expect(failures).toEqual([]);
  });

  it('an event after its window was closed: counted once and held, nothing sent one by one', async () => {
    // Prepare
    const content = { channels: { ops: TEAMS }, default: ['ops'], aggregate: { window: '1m', after: 3 } };
    const message = describeEvent({ ...DEPLOYING, detailType: DEPLOYING['detail-type'] });
    const scenario = notifyScenario(
      content,
      async (world) => {
        // Its window was summarised (nothing held back) and closed while this event waited.
        await world.store.admit(
          'ops',
          groupKeyOf(message),
          windowAt(new Date(message.at), 60_000),
          'earlier',
        );
        const [ended] = await world.store.listEndedWindows(world.clock.now());
        await world.store.closeWindow(ended as NotificationWindow);
      },
      (deps) => notifyEvent(DEPLOYING, deps),
    );

    // Act
    const { calls, failures } = await stopEverywhere(scenario, { announcement: 'sender.send' });

    // Assess
    expect(calls).toEqual(['store.getThread', 'store.admit', 'store.addExample']);
    expect(failures).toEqual([]);
  });

  it("a closed window's late summary told once (twice when stopped between its send and closing the window again)", async () => {
    // Prepare
    const content = { channels: { ops: TEAMS }, default: ['ops'], aggregate: { window: '1m', after: 1 } };
    const window = { start: '2026-01-13T10:03:00.000Z', end: '2026-01-13T10:04:00.000Z' };
    const group = 'Deployment Started|prod|info';
    const scenario = notifyScenario(
      content,
      async (world) => {
        await world.store.admit('ops', group, window, 'first');
        const [ended] = await world.store.listEndedWindows(world.clock.now());
        await world.store.closeWindow(ended as NotificationWindow);
        for (const id of ['second', 'third']) {
          await world.store.admit('ops', group, window, id);
          await world.store.addExample('ops', group, window.start, `late ${id}`, { late: true });
        }
        // A flush saw the late events; none came since: the next flush tells them.
        const [arriving] = await world.store.listEndedWindows(world.clock.now());
        await world.store.noteLateCount(arriving as NotificationWindow);
      },
      (deps) => flushWindows(deps),
    );

    // Act
    const { calls, failures } = await stopEverywhere(scenario, {
      announcement: 'sender.send',
      marks: ['store.closeWindow'],
    });

    // Assess
    expect(calls).toEqual(['store.listEndedWindows', 'sender.send', 'store.closeWindow']);
    expect(failures).toEqual([]);
  });
});
