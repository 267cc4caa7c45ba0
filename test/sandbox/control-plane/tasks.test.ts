import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  type ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { FAST, failure, REGISTRY, useControlPlane } from './support';

const harness = useControlPlane();

/** Registers an EC2 task definition `family` with one container running `image`. */
async function register(
  ecs: ECSClient,
  family: string,
  image: string,
  tags?: { key: string; value: string }[],
) {
  await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [
        {
          name: 'main',
          image,
          memory: 128,
          healthCheck: { command: ['CMD', 'true'] },
        },
      ],
      tags,
    }),
  );
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

/** Waits until `predicate` holds for the task. */
async function waitForTask(
  ecs: ECSClient,
  taskArn: string,
  predicate: (task: Task) => boolean,
): Promise<Task> {
  const until = Date.now() + 3000;
  for (;;) {
    const out = await ecs.send(
      new DescribeTasksCommand({ cluster: 'batch', tasks: [taskArn], include: ['TAGS'] }),
    );
    const task = out.tasks?.[0];
    if (task && predicate(task)) return task;
    if (Date.now() > until) throw new Error(`task ${taskArn} never matched: ${task?.lastStatus}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('RunTask', () => {
  it('runs a standalone task to completion through every status, with events', async () => {
    // Prepare
    const { ecs, ecr, plane, events } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'jobs/report' }));
    const { digest } = plane.pushImage('jobs/report', 'v1', { kind: 'exit', exitCode: 0 });
    const td = await register(ecs, 'report', `${REGISTRY}/jobs/report:v1`);

    // Act
    const run = await ecs.send(
      new RunTaskCommand({ cluster: 'batch', taskDefinition: 'report', startedBy: 'nightly' }),
    );
    const taskArn = run.tasks?.[0]?.taskArn ?? '';
    const stopped = await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'STOPPED');

    // Assess
    expect(run.tasks?.[0]).toMatchObject({
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      group: 'family:report',
      startedBy: 'nightly',
      launchType: 'EC2',
      taskDefinitionArn: td,
    });
    expect(stopped).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [expect.objectContaining({ exitCode: 0, imageDigest: digest, lastStatus: 'STOPPED' })],
    });
    for (const field of [
      'createdAt',
      'pullStartedAt',
      'pullStoppedAt',
      'startedAt',
      'stoppingAt',
      'stoppedAt',
    ] as const) {
      expect(stopped[field]).toBeInstanceOf(Date);
    }
    const changes = events
      .filter((e) => e['detail-type'] === 'ECS Task State Change' && e.detail.taskArn === taskArn)
      .map((e) => [e.detail.lastStatus, e.detail.desiredStatus, e.detail.version]);
    expect(changes).toEqual([
      ['PROVISIONING', 'RUNNING', 1],
      ['PENDING', 'RUNNING', 2],
      ['RUNNING', 'RUNNING', 3],
      ['RUNNING', 'STOPPED', 4],
      ['STOPPED', 'STOPPED', 5],
    ]);
    const last = events.filter((e) => e.detail.taskArn === taskArn).at(-1);
    expect(last).toMatchObject({
      source: 'aws.ecs',
      resources: [taskArn],
      detail: {
        group: 'family:report',
        clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch',
        stopCode: 'EssentialContainerExited',
        updatedAt: expect.stringMatching(/Z$/),
        containers: [expect.objectContaining({ exitCode: 0, name: 'main' })],
      },
    });
  });

  it('does not replace a crashed standalone task', async () => {
    // Prepare
    const { ecs, ecr, plane } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'jobs/report' }));
    plane.pushImage('jobs/report', 'v1', { kind: 'crash' });
    await register(ecs, 'report', `${REGISTRY}/jobs/report:v1`);

    // Act
    const run = await ecs.send(new RunTaskCommand({ cluster: 'batch', taskDefinition: 'report' }));
    const stopped = await waitForTask(ecs, run.tasks?.[0]?.taskArn ?? '', (t) => t.lastStatus === 'STOPPED');
    await new Promise((resolve) => setTimeout(resolve, 30));

    // Assess
    expect(stopped.containers?.[0]?.exitCode).toBe(1);
    expect(plane.model.tasks.size).toBe(1);
  });

  it('fails to start a task whose image is missing from the registry', async () => {
    // Prepare
    const { ecs, ecr } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'jobs/report' }));
    await register(ecs, 'report', `${REGISTRY}/jobs/report:never-pushed`);

    // Act
    const run = await ecs.send(new RunTaskCommand({ cluster: 'batch', taskDefinition: 'report' }));
    const stopped = await waitForTask(ecs, run.tasks?.[0]?.taskArn ?? '', (t) => t.lastStatus === 'STOPPED');

    // Assess
    expect(stopped.stopCode).toBe('TaskFailedToStart');
    expect(stopped.stoppedReason).toMatch(
      /^CannotPullContainerError: .*jobs\/report:never-pushed: not found$/,
    );
    expect(stopped.startedAt).toBeUndefined();
    expect(stopped.containers?.[0]?.exitCode).toBeUndefined();
  });

  it('keeps an unhealthy standalone task running, UNHEALTHY', async () => {
    // Prepare
    const { ecs, ecr, plane } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'jobs/worker' }));
    plane.pushImage('jobs/worker', 'v1', { kind: 'unhealthy' });
    await register(ecs, 'worker', `${REGISTRY}/jobs/worker:v1`);

    // Act
    const run = await ecs.send(new RunTaskCommand({ cluster: 'batch', taskDefinition: 'worker' }));
    const task = await waitForTask(ecs, run.tasks?.[0]?.taskArn ?? '', (t) => t.healthStatus === 'UNHEALTHY');

    // Assess
    expect(task).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    expect(task.containers?.[0]?.healthStatus).toBe('UNHEALTHY');
  });

  it('propagates task definition tags and adds its own', async () => {
    // Prepare
    const { ecs } = harness();
    await register(ecs, 'report', 'busybox:1.36', [{ key: 'autopilot:restart', value: 'on' }]);

    // Act
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'report',
        propagateTags: 'TASK_DEFINITION',
        tags: [{ key: 'run', value: '42' }],
      }),
    );
    const task = await waitForTask(ecs, run.tasks?.[0]?.taskArn ?? '', () => true);

    // Assess
    expect(task.tags).toEqual([
      { key: 'run', value: '42' },
      { key: 'autopilot:restart', value: 'on' },
    ]);
  });
});

describe('StopTask, DescribeTasks and ListTasks', () => {
  it('stops a running task as the user asked', async () => {
    // Prepare
    const { ecs } = harness();
    await register(ecs, 'web', 'nginx:1.27');
    const run = await ecs.send(new RunTaskCommand({ cluster: 'batch', taskDefinition: 'web' }));
    const taskArn = run.tasks?.[0]?.taskArn ?? '';
    await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING');

    // Act
    const out = await ecs.send(
      new StopTaskCommand({ cluster: 'batch', task: taskArn, reason: 'maintenance' }),
    );
    const stopped = await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'STOPPED');

    // Assess
    expect(out.task).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'UserInitiated',
      stoppedReason: 'maintenance',
    });
    expect(stopped.containers?.[0]?.exitCode).toBe(0);
  });

  it('answers InvalidParameterException for an unknown task and MISSING failures when describing', async () => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));

    // Act
    const stop = await failure(
      ecs.send(new StopTaskCommand({ cluster: 'batch', task: '0123456789abcdef0123456789abcdef' })),
    );
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster: 'batch', tasks: ['0123456789abcdef0123456789abcdef'] }),
    );

    // Assess
    expect(stop).toBeInstanceOf(InvalidParameterException);
    expect(stop).toMatchObject({ message: 'The referenced task was not found.' });
    expect(described).toMatchObject({
      tasks: [],
      failures: [
        {
          arn: 'arn:aws:ecs:eu-west-1:123456789012:task/batch/0123456789abcdef0123456789abcdef',
          reason: 'MISSING',
        },
      ],
    });
  });

  it('filters by family, startedBy and desired status, and pages', async () => {
    // Prepare
    const { ecs } = harness();
    await register(ecs, 'web', 'nginx:1.27');
    await register(ecs, 'job', 'busybox:1.36');
    await ecs.send(
      new RunTaskCommand({ cluster: 'batch', taskDefinition: 'web', count: 3, startedBy: 'ops' }),
    );
    const job = await ecs.send(new RunTaskCommand({ cluster: 'batch', taskDefinition: 'job' }));
    await ecs.send(new StopTaskCommand({ cluster: 'batch', task: job.tasks?.[0]?.taskArn ?? '' }));

    // Act
    const web = await ecs.send(new ListTasksCommand({ cluster: 'batch', family: 'web' }));
    const byOps = await ecs.send(new ListTasksCommand({ cluster: 'batch', startedBy: 'ops', maxResults: 2 }));
    const next = await ecs.send(
      new ListTasksCommand({ cluster: 'batch', startedBy: 'ops', nextToken: byOps.nextToken }),
    );
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'batch', desiredStatus: 'STOPPED' }));

    // Assess
    expect(web.taskArns).toHaveLength(3);
    expect(byOps.taskArns).toHaveLength(2);
    expect(next.taskArns).toHaveLength(1);
    expect(next.nextToken).toBeUndefined();
    expect(stopped.taskArns).toEqual([job.tasks?.[0]?.taskArn]);
  });
});

describe('stopped task retention', () => {
  const short = useControlPlane({ timing: { ...FAST, stoppedTaskRetentionMs: 0 } });

  it('forgets stopped tasks once the retention has passed', async () => {
    // Prepare
    const { ecs } = short();
    await register(ecs, 'web', 'nginx:1.27');
    const first = await ecs.send(new RunTaskCommand({ cluster: 'batch', taskDefinition: 'web' }));
    const firstArn = first.tasks?.[0]?.taskArn ?? '';
    await ecs.send(new StopTaskCommand({ cluster: 'batch', task: firstArn }));
    await waitForTask(ecs, firstArn, (t) => t.lastStatus === 'STOPPED');
    await new Promise((resolve) => setTimeout(resolve, 2));

    // Act
    await ecs.send(new RunTaskCommand({ cluster: 'batch', taskDefinition: 'web' }));
    const described = await ecs.send(new DescribeTasksCommand({ cluster: 'batch', tasks: [firstArn] }));

    // Assess
    expect(described.failures).toEqual([{ arn: firstArn, reason: 'MISSING' }]);
  });
});
