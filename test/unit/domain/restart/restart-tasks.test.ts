import type { TaskStop } from '../../../../shared/domain/restart/restart-plan';
import {
  captureLaunch,
  captureRunning,
  onStandaloneTaskStopped,
  restartDue,
} from '../../../../shared/domain/restart/restart-tasks';
import type { LaunchSpec } from '../../../../shared/ports';
import { aRestartWorld } from '../../../support/in-memory-restart';

const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch';
const TASK = 'arn:aws:ecs:eu-west-1:123456789012:task/batch/0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c';
const DEFINITION = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/worker:3';
const SPEC: LaunchSpec = {
  cluster: CLUSTER,
  taskDefinition: 'worker:3',
  launchType: 'FARGATE',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-0a1b'],
      securityGroups: ['sg-0c2d'],
      assignPublicIp: 'DISABLED',
    },
  },
  group: 'family:worker',
  startedBy: 'nightly',
  tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
};

/** A task that stopped with `exitCode`, tagged `mode`, launched with {@link SPEC} (its RunTask record seen). */
async function aStoppedTask(
  world: ReturnType<typeof aRestartWorld>,
  options: { taskArn?: string; mode?: string; stop?: Partial<TaskStop>; spec?: boolean } = {},
): Promise<TaskStop> {
  const taskArn = options.taskArn ?? TASK;
  world.tasks.addTask({
    taskArn,
    clusterArn: CLUSTER,
    taskDefinitionArn: DEFINITION,
    group: 'family:worker',
    startedBy: 'nightly',
    tags: options.mode === undefined ? {} : { 'autopilot:restart': options.mode },
  });
  if (options.spec !== false) await world.chains.saveSpec(CLUSTER, taskArn, SPEC, 'run-task');
  return {
    clusterArn: CLUSTER,
    taskArn,
    taskDefinitionArn: DEFINITION,
    group: 'family:worker',
    startedBy: 'nightly',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: [{ name: 'worker', exitCode: 1 }],
    startedAt: '2026-01-13T10:04:00.000Z',
    stoppedAt: '2026-01-13T10:05:00.000Z',
    eventId: 'stop-1',
    ...options.stop,
  };
}

/** Delivers every message queued so far to restart-due, as the queue would once due. */
async function deliverDue(world: ReturnType<typeof aRestartWorld>) {
  const decisions = [];
  for (const message of world.scheduler.take()) decisions.push(...(await restartDue(message, world.dueDeps)));
  return decisions;
}

describe('onStandaloneTaskStopped', () => {
  it('restarts a worker that exited 1 after 10 s, with the same launch spec and the chain tags', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { mode: 'on-failure' });

    // Act
    const decided = await onStandaloneTaskStopped(stop, world.tasksDeps);
    const started = await deliverDue(world);

    // Assess
    expect(decided).toMatchObject([
      { action: 'restart', attempt: 1, delaySeconds: 10, class: 'exited-non-zero' },
    ]);
    expect(world.scheduler.sent.map((s) => s.delaySeconds)).toEqual([10]);
    expect(started).toMatchObject([{ action: 'started', attempt: 1, previousTaskArn: TASK }]);
    expect(world.tasks.runs).toEqual([
      expect.objectContaining({
        spec: SPEC,
        clientToken: 'autopilot-0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c-1',
        tags: {
          'autopilot:restart-of': '0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c',
          'autopilot:attempt': '1',
          'autopilot:started-by': 'nightly',
        },
      }),
    ]);
    expect(world.events.published.map((e) => e.detailType)).toEqual(['Task Restarted']);
    expect(world.events.published[0]?.detail).toMatchObject({
      attempt: 1,
      maxAttempts: 5,
      class: 'exited-non-zero',
    });
  });

  it('backs off a crash loop and abandons it after 5 restarts, once', async () => {
    // Prepare
    const world = aRestartWorld();
    let stop = await aStoppedTask(world, { mode: 'on-failure' });
    const delays: number[] = [];

    // Act
    for (let i = 0; i < 6; i++) {
      await onStandaloneTaskStopped(stop, world.tasksDeps);
      delays.push(...world.scheduler.sent.slice(delays.length).map((s) => s.delaySeconds));
      await deliverDue(world);
      const restarted = world.tasks.started().at(-1);
      if (!restarted) break;
      stop = { ...stop, taskArn: restarted, eventId: `stop-${i + 2}` };
    }

    // Assess
    expect(delays).toEqual([10, 20, 40, 80, 160]);
    expect(world.tasks.started()).toHaveLength(5);
    expect(world.events.published.map((e) => e.detailType)).toEqual([
      ...Array(5).fill('Task Restarted'),
      'Task Restart Abandoned',
    ]);
    expect(world.events.published.at(-1)?.detail).toMatchObject({
      attempt: 5,
      maxAttempts: 5,
      reason: '5 of 5 restarts made, the task still fails',
    });
  });

  it('never restarts a task a user stopped, nor one that was not opted in', async () => {
    // Prepare
    const world = aRestartWorld();
    const byUser = await aStoppedTask(world, {
      mode: 'always',
      stop: { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user', containers: [] },
    });
    const notOptedIn = await aStoppedTask(world, {
      taskArn: 'arn:aws:ecs:eu-west-1:123456789012:task/batch/11111111111111111111111111111111',
    });

    // Act
    const decided = [
      ...(await onStandaloneTaskStopped(byUser, world.tasksDeps)),
      ...(await onStandaloneTaskStopped(notOptedIn, world.tasksDeps)),
    ];

    // Assess
    expect(decided.map((d) => [d.action, d.reason])).toEqual([
      ['ignore', 'stopped by a user: never restarted'],
      ['ignore', 'not opted in (no autopilot:restart tag, no restart rule)'],
    ]);
    expect(world.scheduler.sent).toEqual([]);
  });

  it("opts in a task without a tag by the policy file's first matching rule, with the rule's backoff and limit", async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world);
    const deps = {
      ...world.tasksDeps,
      restartRules: [
        {
          match: { cluster: 'prod' },
          mode: 'always' as const,
          backoff: { initial: '1s', max: '1s', resetAfter: '1m' },
          maxAttempts: 1,
        },
        {
          match: { family: 'work*', startedBy: 'nightly' },
          mode: 'on-failure' as const,
          backoff: { initial: '30s', max: '2m', resetAfter: '10m' },
          maxAttempts: 2,
        },
      ],
    };

    // Act
    const decided = await onStandaloneTaskStopped(stop, deps);

    // Assess
    expect(decided).toMatchObject([{ action: 'restart', attempt: 1, maxAttempts: 2, delaySeconds: 30 }]);
    expect(decided[0]?.reason).toContain('on-failure (policy restart[1])');
  });

  it("leaves a task tagged off alone whatever the policy file's rules say", async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { mode: 'off' });
    const deps = {
      ...world.tasksDeps,
      restartRules: [
        {
          match: { cluster: 'batch' },
          mode: 'always' as const,
          backoff: { initial: '10s', max: '5m', resetAfter: '10m' },
          maxAttempts: 5,
        },
      ],
    };

    // Act
    const decided = await onStandaloneTaskStopped(stop, deps);

    // Assess
    expect(decided).toMatchObject([{ action: 'ignore', reason: 'restarts are off (tag autopilot:restart)' }]);
  });

  it('restarts a spot interruption at once', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, {
      mode: 'on-failure',
      stop: {
        stopCode: 'SpotInterruption',
        stoppedReason: 'Your Spot Task was interrupted.',
        containers: [],
      },
    });

    // Act
    const decided = await onStandaloneTaskStopped(stop, world.tasksDeps);

    // Assess
    expect(decided).toMatchObject([{ action: 'restart', class: 'capacity-lost', delaySeconds: 0 }]);
    expect(world.scheduler.sent.map((s) => s.delaySeconds)).toEqual([0]);
  });

  it('abandons at once an image that does not exist, naming the cause', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, {
      mode: 'on-failure',
      stop: {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: failed to resolve ref worker:nope: not found',
        containers: [],
      },
    });

    // Act
    const decided = await onStandaloneTaskStopped(stop, world.tasksDeps);

    // Assess
    expect(decided).toMatchObject([{ action: 'abandon', class: 'failed-to-start-permanent', attempt: 0 }]);
    expect(decided[0]?.reason).toContain('CannotPullContainerError');
    expect(world.scheduler.sent).toEqual([]);
    expect(world.events.published.map((e) => e.detailType)).toEqual(['Task Restart Abandoned']);
  });

  it('waits for a late RunTask record, looking for it every 30 s, then restarts with it once its backoff has passed', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { mode: 'on-failure', spec: false });

    // Act
    const decided = await onStandaloneTaskStopped(stop, world.tasksDeps);
    world.clock.set('2026-01-13T10:05:30.000Z');
    const firstLook = await deliverDue(world);
    await world.chains.saveSpec(CLUSTER, TASK, SPEC, 'run-task');
    world.clock.set('2026-01-13T10:06:00.000Z');
    const secondLook = await deliverDue(world);
    const started = await deliverDue(world);

    // Assess
    expect(decided).toMatchObject([
      { action: 'await-spec', attempt: 1, until: '2026-01-13T10:20:00.000Z', class: 'exited-non-zero' },
    ]);
    expect(firstLook).toMatchObject([{ action: 'await-spec', reason: expect.stringContaining('look 1') }]);
    expect(secondLook).toMatchObject([
      {
        action: 'restart',
        attempt: 1,
        delaySeconds: 10,
        reason: expect.stringContaining('its RunTask record'),
      },
    ]);
    expect(world.scheduler.sent).toEqual([
      { message: expect.objectContaining({ attempt: 1, specCheck: 1 }), delaySeconds: 30 },
      { message: expect.objectContaining({ attempt: 1, specCheck: 2 }), delaySeconds: 30 },
      { message: expect.not.objectContaining({ specCheck: expect.anything() }), delaySeconds: 0 },
    ]);
    expect(started).toMatchObject([{ action: 'started', attempt: 1, previousTaskArn: TASK }]);
    expect(world.tasks.runs).toEqual([expect.objectContaining({ spec: SPEC })]);
    expect(world.events.published.map((e) => e.detailType)).toEqual(['Task Restarted']);
    // The restart is announced with the backoff decided at the stop, not the time of the last look.
    expect(world.events.published[0]?.detail).toMatchObject({ delaySeconds: 10 });
  });

  it('keeps the backoff left when the record comes before the attempt is due', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, {
      mode: 'on-failure',
      spec: false,
      stop: { stoppedAt: '2026-01-13T10:05:00.000Z' },
    });
    const deps = {
      ...world.tasksDeps,
      restartRules: [
        {
          match: { family: 'worker' },
          mode: 'on-failure' as const,
          backoff: { initial: '60s', max: '5m', resetAfter: '10m' },
          maxAttempts: 3,
          launchSpecWait: '2m',
        },
      ],
    };

    // Act
    await onStandaloneTaskStopped(stop, deps);
    await world.chains.saveSpec(CLUSTER, TASK, SPEC, 'run-task');
    world.clock.set('2026-01-13T10:05:12.000Z');
    const look = await deliverDue(world);

    // Assess
    expect(world.scheduler.sent[0]?.delaySeconds).toBe(12);
    // The decision tells the backoff (60 s); the attempt is queued with what is left of it.
    expect(look).toMatchObject([
      { action: 'restart', delaySeconds: 60, reason: expect.stringContaining('after 48s') },
    ]);
    expect(world.scheduler.sent[1]).toEqual({
      message: expect.objectContaining({ attempt: 1 }),
      delaySeconds: 48,
    });
  });

  it('abandons the chain once, "launch spec unknown", when the record never comes within the wait', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { mode: 'on-failure', spec: false });
    const looks: string[] = [];

    // Act
    await onStandaloneTaskStopped(stop, world.tasksDeps);
    for (let tick = 1; tick <= 40 && world.scheduler.sent.length > looks.length; tick++) {
      world.clock.set(new Date(Date.parse('2026-01-13T10:05:00.000Z') + tick * 30_000).toISOString());
      for (const message of world.scheduler.take()) {
        const decided = await restartDue(message, world.dueDeps);
        looks.push(...decided.map((d) => d.action));
        await restartDue(message, world.dueDeps);
      }
    }

    // Assess
    expect(looks).toEqual([...Array(29).fill('await-spec'), 'abandon']);
    expect(world.tasks.runs).toEqual([]);
    expect(world.events.published.map((e) => e.detailType)).toEqual(['Task Restart Abandoned']);
    expect(world.events.published[0]?.detail).toMatchObject({
      attempt: 0,
      reason: expect.stringMatching(
        /^launch spec unknown: its RunTask record had not arrived by 2026-01-13T10:20:00.000Z/,
      ),
    });
    expect((await world.chains.getChain(CLUSTER, stop.taskArn.split('/').pop() ?? ''))?.state).toBe(
      'abandoned',
    );
  });

  it('abandons at once when its rule allows no wait for the launch spec (launchSpecWait: 0s)', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { spec: false });
    const deps = {
      ...world.tasksDeps,
      restartRules: [
        {
          match: { family: 'worker' },
          mode: 'on-failure' as const,
          backoff: { initial: '10s', max: '5m', resetAfter: '10m' },
          maxAttempts: 5,
          launchSpecWait: '0s',
        },
      ],
    };

    // Act
    const decided = await onStandaloneTaskStopped(stop, deps);

    // Assess
    expect(decided).toMatchObject([{ action: 'abandon', reason: 'launch spec unknown' }]);
    expect(world.scheduler.sent).toEqual([]);
  });

  it('queues the look again when the STOPPED event that decided the wait is retried, and never restarts twice', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { mode: 'on-failure', spec: false });

    // Act
    await onStandaloneTaskStopped(stop, world.tasksDeps);
    const retried = await onStandaloneTaskStopped(stop, world.tasksDeps);
    await world.chains.saveSpec(CLUSTER, TASK, SPEC, 'run-task');
    world.clock.set('2026-01-13T10:05:30.000Z');
    for (let round = 0; round < 4; round++) {
      const messages = world.scheduler.take();
      for (const message of [...messages, ...messages]) await restartDue(message, world.dueDeps);
    }

    // Assess
    expect(retried).toMatchObject([
      { action: 'await-spec', reason: expect.stringContaining('queued again') },
    ]);
    expect(world.tasks.started()).toHaveLength(1);
    expect(world.events.published.map((e) => e.detailType)).toEqual(['Task Restarted']);
  });

  it('starts one task for a second STOPPED event of the task, the same event retried, and a duplicate message', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { mode: 'on-failure' });

    // Act
    await onStandaloneTaskStopped(stop, world.tasksDeps);
    const another = await onStandaloneTaskStopped({ ...stop, eventId: 'stop-1-again' }, world.tasksDeps);
    const retried = await onStandaloneTaskStopped(stop, world.tasksDeps);
    const messages = world.scheduler.take();
    for (const message of [...messages, ...messages]) await restartDue(message, world.dueDeps);

    // Assess
    expect(another).toMatchObject([{ action: 'ignore' }]);
    expect(retried).toMatchObject([{ action: 'restart', attempt: 1 }]);
    expect(messages).toHaveLength(2);
    expect(world.tasks.started()).toHaveLength(1);
    expect(world.events.published.map((e) => e.detailType)).toEqual(['Task Restarted']);
  });

  it('starts one task when two invocations race on the same due attempt', async () => {
    // Prepare
    const world = aRestartWorld();
    await onStandaloneTaskStopped(await aStoppedTask(world, { mode: 'on-failure' }), world.tasksDeps);
    const [message] = world.scheduler.take();
    if (!message) throw new Error('no message queued');

    // Act
    const results = await Promise.all([
      restartDue(message, world.dueDeps),
      restartDue(message, world.dueDeps),
    ]);

    // Assess
    expect(world.tasks.started()).toHaveLength(1);
    expect(results.flat().filter((d) => d.action === 'started')).toHaveLength(1);
  });

  it('ignores the STOPPED event of a task autopilot already replaced', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { mode: 'on-failure' });
    await onStandaloneTaskStopped(stop, world.tasksDeps);
    await deliverDue(world);

    // Act
    const late = await onStandaloneTaskStopped({ ...stop, eventId: 'stop-late' }, world.tasksDeps);

    // Assess
    expect(late).toMatchObject([{ action: 'ignore' }]);
    expect(world.tasks.started()).toHaveLength(1);
  });

  it("counts RunTask's failures as a failed attempt and backs off", async () => {
    // Prepare
    const world = aRestartWorld();
    await onStandaloneTaskStopped(await aStoppedTask(world, { mode: 'on-failure' }), world.tasksDeps);
    world.tasks.failNext(['RESOURCE:MEMORY']);

    // Act
    const first = await deliverDue(world);
    const second = await deliverDue(world);

    // Assess
    expect(first).toMatchObject([
      { action: 'restart', attempt: 2, class: 'run-task-failed', delaySeconds: 20 },
    ]);
    expect(second).toMatchObject([{ action: 'started', attempt: 2 }]);
    expect(world.tasks.started()).toHaveLength(1);
  });

  it('starts a new count once a restarted task ran longer than resetAfter', async () => {
    // Prepare
    const world = aRestartWorld();
    const stop = await aStoppedTask(world, { mode: 'on-failure' });
    await onStandaloneTaskStopped(stop, world.tasksDeps);
    await deliverDue(world);
    const restarted = world.tasks.started()[0] ?? '';

    // Act
    const decided = await onStandaloneTaskStopped(
      {
        ...stop,
        taskArn: restarted,
        eventId: 'stop-2',
        startedAt: '2026-01-13T10:06:00.000Z',
        stoppedAt: '2026-01-13T11:06:00.000Z',
      },
      world.tasksDeps,
    );

    // Assess
    expect(decided).toMatchObject([{ action: 'restart', attempt: 1, delaySeconds: 10 }]);
  });

  it('plans in a dry run, applies nothing, and reports the restart as a dry run', async () => {
    // Prepare
    const world = aRestartWorld(undefined, { dryRun: true });
    const stop = await aStoppedTask(world, { mode: 'on-failure' });
    const writesBefore = world.chains.writes.length;

    // Act
    const decided = await onStandaloneTaskStopped(stop, world.tasksDeps);

    // Assess
    expect(decided).toMatchObject([{ action: 'restart', dryRun: true }]);
    expect(world.chains.writes.length).toBe(writesBefore);
    expect(world.scheduler.sent).toEqual([]);
    expect(world.events.published).toMatchObject([
      { detailType: 'Task Restarted', detail: { dryRun: true } },
    ]);
  });
});

describe('captureLaunch and captureRunning', () => {
  it('keeps the RunTask record over what a RUNNING event showed, whichever came first', async () => {
    // Prepare
    const world = aRestartWorld();
    const running = {
      clusterArn: CLUSTER,
      taskArn: TASK,
      taskDefinitionArn: DEFINITION,
      launchType: 'EC2',
      attachments: [],
    };

    // Act
    await captureRunning(running, world.tasksDeps);
    await captureLaunch(
      {
        clusterArn: () => CLUSTER,
        taskArns: [TASK],
        request: { cluster: 'batch', taskDefinition: 'worker:3', launchType: 'EC2', group: 'family:worker' },
      },
      world.tasksDeps,
    );
    const again = await captureRunning(running, world.tasksDeps);

    // Assess
    expect(await world.chains.getSpec(CLUSTER, TASK)).toEqual({
      source: 'run-task',
      spec: { cluster: CLUSTER, taskDefinition: 'worker:3', launchType: 'EC2', group: 'family:worker' },
    });
    expect(again).toMatchObject([{ action: 'ignore', reason: 'launch spec known (run-task)' }]);
  });

  it('never guesses the spec of an awsvpc task from its RUNNING event', async () => {
    // Prepare
    const world = aRestartWorld();

    // Act
    const decided = await captureRunning(
      {
        clusterArn: CLUSTER,
        taskArn: TASK,
        taskDefinitionArn: DEFINITION,
        launchType: 'FARGATE',
        attachments: [{ type: 'eni' }],
      },
      world.tasksDeps,
    );

    // Assess
    expect(decided).toMatchObject([{ action: 'ignore' }]);
    expect(await world.chains.getSpec(CLUSTER, TASK)).toBeUndefined();
  });
  it("restarts an awsvpc task whose RunTask record never came with its network interface's security groups, and its tags but AWS's", async () => {
    // Prepare
    const world = aRestartWorld();
    world.networkInterfaces.add('eni-0123456789abcdef0', {
      subnetId: 'subnet-0a1b',
      securityGroups: ['sg-0c2d', 'sg-0e3f'],
      publicIp: true,
    });
    const stop = await aStoppedTask(world, { mode: 'on-failure', spec: false });
    world.tasks.addTask({
      taskArn: TASK,
      clusterArn: CLUSTER,
      taskDefinitionArn: DEFINITION,
      tags: { 'autopilot:restart': 'on-failure', team: 'ledger', 'aws:cloudformation:stack-name': 'jobs' },
    });

    // Act
    const captured = await captureRunning(
      {
        clusterArn: CLUSTER,
        taskArn: TASK,
        taskDefinitionArn: DEFINITION,
        launchType: 'FARGATE',
        group: 'family:worker',
        startedBy: 'nightly',
        attachments: [
          {
            type: 'eni',
            details: [
              { name: 'subnetId', value: 'subnet-0a1b' },
              { name: 'networkInterfaceId', value: 'eni-0123456789abcdef0' },
            ],
          },
        ],
      },
      world.tasksDeps,
    );
    world.networkInterfaces.delete('eni-0123456789abcdef0');
    await onStandaloneTaskStopped(stop, world.tasksDeps);
    await deliverDue(world);

    // Assess
    expect(captured).toMatchObject([{ action: 'capture', source: 'running' }]);
    expect(world.tasks.runs.map((r) => r.spec)).toEqual([
      {
        cluster: CLUSTER,
        taskDefinition: DEFINITION,
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ['subnet-0a1b'],
            securityGroups: ['sg-0c2d', 'sg-0e3f'],
            assignPublicIp: 'ENABLED',
          },
        },
        group: 'family:worker',
        startedBy: 'nightly',
        tags: [
          { key: 'autopilot:restart', value: 'on-failure' },
          { key: 'team', value: 'ledger' },
        ],
      },
    ]);
  });

  it.each([
    ['is gone', (world: ReturnType<typeof aRestartWorld>) => world.networkInterfaces],
    [
      'could not be read (ec2:DescribeNetworkInterfaces refused)',
      (world: ReturnType<typeof aRestartWorld>) =>
        world.networkInterfaces
          .add('eni-0123456789abcdef0', {
            subnetId: 'subnet-0a1b',
            securityGroups: ['sg-0c2d'],
            publicIp: false,
          })
          .refuse('could not be read (ec2:DescribeNetworkInterfaces refused)'),
    ],
  ])(
    'leaves the spec unknown when the network interface %s, and the stop waits for its RunTask record',
    async (why, prepare) => {
      // Prepare
      const world = aRestartWorld();
      prepare(world);
      const stop = await aStoppedTask(world, { mode: 'on-failure', spec: false });

      // Act
      const captured = await captureRunning(
        {
          clusterArn: CLUSTER,
          taskArn: TASK,
          taskDefinitionArn: DEFINITION,
          launchType: 'FARGATE',
          attachments: [
            { type: 'eni', details: [{ name: 'networkInterfaceId', value: 'eni-0123456789abcdef0' }] },
          ],
        },
        world.tasksDeps,
      );
      const stopped = await onStandaloneTaskStopped(stop, world.tasksDeps);

      // Assess
      expect(captured).toEqual([
        {
          action: 'ignore',
          taskArn: TASK,
          reason: `launch spec unknown: awsvpc task: its network interface eni-0123456789abcdef0 ${why} and its RunTask record never came`,
        },
      ]);
      expect(await world.chains.getSpec(CLUSTER, TASK)).toBeUndefined();
      expect(stopped).toMatchObject([{ action: 'await-spec' }]);
    },
  );
});
