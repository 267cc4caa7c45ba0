/**
 * The restart use cases stopped between any two of their AWS calls and retried (test/support/stop-anywhere.ts):
 * before or after each call of one clean run, the invocation dies (nothing after the stop reaches the
 * world) and Lambda's retry (restart-tasks) or the queue's next delivery (restart-due) runs it again.
 * The end state (the chain, the tasks started, the messages due) and the announcements must be the
 * clean run's: one task per attempt, every restart and abandonment announced once (twice at most when
 * stopped between PutEvents and marking the chain announced).
 */

import type { TaskStop } from '../../../../shared/domain/restart/restart-plan';
import { onStandaloneTaskStopped, restartDue } from '../../../../shared/domain/restart/restart-tasks';
import { aRestartWorld } from '../../../support/in-memory-restart';
import { CallLog, InvocationStopped, recorded, type StopPoint } from '../../../support/stop-anywhere';

const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch';
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/batch/0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c';
const DEFINITION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:3';
type World = ReturnType<typeof aRestartWorld>;

const stopOf = (overrides: Partial<TaskStop> = {}): TaskStop => ({
  clusterArn: CLUSTER,
  taskArn: TASK,
  taskDefinitionArn: DEFINITION,
  group: 'family:worker',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  containers: [{ name: 'worker', exitCode: 1 }],
  stoppedAt: '2026-01-13T10:05:00.000Z',
  eventId: 'stop-1',
  ...overrides,
});

/** A world where the worker ran opted in, with its launch spec kept (or its RunTask record not seen yet). */
async function aWorld(withSpec = true): Promise<World> {
  const world = aRestartWorld();
  world.tasks.addTask({
    taskArn: TASK,
    clusterArn: CLUSTER,
    taskDefinitionArn: DEFINITION,
    group: 'family:worker',
    tags: { 'autopilot:restart': 'on-failure' },
  });
  if (withSpec) await world.chains.saveSpec(CLUSTER, TASK, SPEC, 'run-task');
  return world;
}

const SPEC = { cluster: CLUSTER, taskDefinition: 'worker:3', group: 'family:worker' };

/** A use case to stop anywhere: its world, the invocation on deps, and what runs after it unstopped. */
interface Scenario {
  world: () => Promise<World>;
  invoke: (world: World, deps: { tasks: World['tasksDeps']; due: World['dueDeps'] }) => Promise<unknown>;
  /** what the world does afterwards (the queue delivering what is due), never stopped */
  after: (world: World) => Promise<void>;
}

/** Delivers every message queued, and what those queue, until none is left. */
async function drain(world: World): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const messages = world.scheduler.take();
    if (messages.length === 0) return;
    for (const message of messages) await restartDue(message, world.dueDeps);
  }
}

async function observe(world: World) {
  const chain = await world.chains.getChain(CLUSTER, '0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c');
  return {
    state: {
      chain: chain && { state: chain.state, attempt: chain.attempt, announced: chain.announced },
      started: world.tasks.started().length,
    },
    announced: world.events.published.map(
      (e) => `${e.detailType}#${(e.detail as { attempt: number }).attempt}`,
    ),
  };
}

/** restart-due given the first message restart-tasks queued. */
async function deliverFirstMessage(world: World, deps: { due: World['dueDeps'] }) {
  const [message] = world.scheduler.sent.map((s) => s.message);
  if (!message) throw new Error('no message');
  return restartDue(message, deps.due);
}

function wrapped(world: World, log: CallLog) {
  return { tasks: recorded(world.tasksDeps, log), due: recorded(world.dueDeps, log) };
}

async function stopEverywhere(
  scenario: Scenario,
  retriedAt = '2026-01-13T10:06:00.000Z',
): Promise<{ calls: string[]; failures: string[] }> {
  const cleanWorld = await scenario.world();
  const cleanLog = new CallLog();
  await scenario.invoke(cleanWorld, wrapped(cleanWorld, cleanLog));
  await scenario.after(cleanWorld);
  const clean = await observe(cleanWorld);
  const failures: string[] = [];
  const publishedAt = cleanLog.calls.indexOf('events.publish');
  for (let call = 0; call < cleanLog.calls.length; call++) {
    for (const when of ['before', 'after'] as const) {
      const point: StopPoint = { call, when };
      const world = await scenario.world();
      const at = `${when} call ${call} (${cleanLog.calls[call]})`;
      try {
        await scenario.invoke(world, wrapped(world, new CallLog(point)));
        failures.push(`${at}: the stop was not reached`);
      } catch (error) {
        if (!(error instanceof InvocationStopped)) throw error;
      }
      world.clock.set(retriedAt);
      await scenario.invoke(world, { tasks: world.tasksDeps, due: world.dueDeps });
      await scenario.after(world);
      const run = await observe(world);
      if (JSON.stringify(run.state) !== JSON.stringify(clean.state)) {
        failures.push(`${at}: end state ${JSON.stringify(run.state)}, clean ${JSON.stringify(clean.state)}`);
      }
      const twice = publishedAt >= 0 && (call > publishedAt || (call === publishedAt && when === 'after'));
      for (const key of new Set([...clean.announced, ...run.announced])) {
        const want = clean.announced.filter((k) => k === key).length;
        const got = run.announced.filter((k) => k === key).length;
        if (twice ? got < want || got > 2 * want : got !== want)
          failures.push(`${at}: ${key} announced ${got} times, ${want} clean`);
      }
    }
  }
  return { calls: cleanLog.calls, failures };
}

describe('restarts, stopped anywhere and retried', () => {
  it.each([
    ['a worker that exited 1: one restart started and announced once', true],
    ['a stop whose RunTask record is late, the record then arriving: one restart, announced once', false],
  ])('%s', async (_, specKept) => {
    // Prepare
    const scenario: Scenario = {
      world: () => aWorld(specKept),
      invoke: (_world, deps) => onStandaloneTaskStopped(stopOf(), deps.tasks),
      after: async (world) => {
        await world.chains.saveSpec(CLUSTER, TASK, SPEC, 'run-task');
        await drain(world);
      },
    };

    // Act
    const { calls, failures } = await stopEverywhere(scenario);

    // Assess
    expect(calls).toEqual([
      'tasks.describeTask',
      'chains.getChain',
      'chains.getSpec',
      'chains.saveChain',
      'scheduler.schedule',
    ]);
    expect(failures).toEqual([]);
  });

  it('a due restart: one task for the attempt, announced once (twice at most when stopped between PutEvents and the mark)', async () => {
    // Prepare
    const scenario: Scenario = {
      world: async () => {
        const world = await aWorld();
        await onStandaloneTaskStopped(stopOf(), world.tasksDeps);
        return world;
      },
      invoke: deliverFirstMessage,
      after: async () => {},
    };

    // Act
    const { calls, failures } = await stopEverywhere(scenario);

    // Assess
    expect(calls).toEqual([
      'chains.getChain',
      'chains.saveChain',
      'starter.runTask',
      'chains.saveChain',
      'events.publish',
      'chains.getChain',
      'chains.saveChain',
    ]);
    expect(failures).toEqual([]);
  });

  it("the last attempt's RunTask failing: the chain abandoned and announced once (twice at most when stopped between PutEvents and the mark)", async () => {
    // Prepare
    const scenario: Scenario = {
      world: async () => {
        const world = await aWorld();
        await onStandaloneTaskStopped(stopOf(), world.tasksDeps);
        const chain = await world.chains.getChain(CLUSTER, '0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c');
        if (chain) await world.chains.saveChain({ ...chain, maxAttempts: 1, version: chain.version + 1 });
        world.tasks.failNext(['RESOURCE:MEMORY'], ['RESOURCE:MEMORY'], ['RESOURCE:MEMORY']);
        return world;
      },
      invoke: deliverFirstMessage,
      after: async () => {},
    };

    // Act
    const { failures } = await stopEverywhere(scenario);

    // Assess
    expect(failures).toEqual([]);
  });

  it('an image that does not exist: abandoned at once and announced once (twice at most when stopped between PutEvents and the mark)', async () => {
    // Prepare
    const scenario: Scenario = {
      world: aWorld,
      invoke: (_world, deps) =>
        onStandaloneTaskStopped(
          stopOf({
            stopCode: 'TaskFailedToStart',
            stoppedReason: 'CannotPullContainerError: failed to resolve ref worker:nope: not found',
            containers: [],
          }),
          deps.tasks,
        ),
      after: drain,
    };

    // Act
    const { failures } = await stopEverywhere(scenario);

    // Assess
    expect(failures).toEqual([]);
  });

  it.each([
    ['finds the spec: one restart, announced once', true, '2026-01-13T10:05:30.000Z'],
    [
      'finds none at the deadline: abandoned, announced once (twice at most when stopped between PutEvents and the mark)',
      false,
      '2026-01-13T10:20:00.000Z',
    ],
  ])('a look for a late launch spec that %s', async (_, arrives, at) => {
    // Prepare
    const scenario: Scenario = {
      world: async () => {
        const world = await aWorld(false);
        await onStandaloneTaskStopped(stopOf(), world.tasksDeps);
        if (arrives) await world.chains.saveSpec(CLUSTER, TASK, SPEC, 'run-task');
        world.clock.set(at);
        return world;
      },
      invoke: deliverFirstMessage,
      after: drain,
    };

    // Act
    const { failures } = await stopEverywhere(scenario, at);

    // Assess
    expect(failures).toEqual([]);
  });
});
