/**
 * Standalone tasks as restarts need them: RunTask's client token, the task fates the sandbox can give
 * a RunTask call (exit n, OOM, Spot interruption, failing to start), the RunTask CloudTrail record and
 * the task state changes with their stop codes, reasons, exit codes and network attachments.
 */
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  ConflictException,
  CreateClusterCommand,
  DescribeTasksCommand,
  type ECSClient,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { NO_CAPACITY_REASON, OOM_REASON, SPOT_INTERRUPTION_REASON } from '../../../sandbox/control-plane';
import type { EventBridgeEvent } from '../../../tools/eventbridge/event';
import { ACCOUNT, failure, NETWORK, REGION, REGISTRY, useControlPlane } from './support';

const harness = useControlPlane();

/** A cluster `batch`, the repository `jobs/worker` with `worker:v1` pushed, and the family `worker` (Fargate and EC2, awsvpc). */
async function prepare(ecs: ECSClient) {
  const { ecr, plane } = harness();
  await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'jobs/worker' }));
  plane.pushImage('jobs/worker', 'v1');
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'worker',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE', 'EC2'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: 'main',
          image: `${REGISTRY}/jobs/worker:v1`,
          essential: true,
          secrets: [{ name: 'TOKEN', valueFrom: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/worker/token` }],
        },
      ],
    }),
  );
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

const FARGATE: Partial<RunTaskCommandInput> = { launchType: 'FARGATE', networkConfiguration: NETWORK };

/** Runs one task and waits for its STOPPED state change. */
async function runUntilStopped(
  input: RunTaskCommandInput,
): Promise<{ task: Task; stopped: EventBridgeEvent }> {
  const { ecs, plane } = harness();
  const run = await ecs.send(new RunTaskCommand(input));
  const taskArn = run.tasks?.[0]?.taskArn ?? '';
  const stopped = await plane.waitForEvent(
    (e) =>
      e['detail-type'] === 'ECS Task State Change' &&
      e.detail.taskArn === taskArn &&
      e.detail.lastStatus === 'STOPPED',
  );
  const described = await ecs.send(
    new DescribeTasksCommand({ cluster: 'batch', tasks: [taskArn], include: ['TAGS'] }),
  );
  return { task: described.tasks?.[0] ?? {}, stopped };
}

describe('RunTask client token', () => {
  it('answers the same tasks to the same token and parameters, and starts nothing more', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    const input = { cluster: 'batch', taskDefinition: 'worker', ...FARGATE, clientToken: 'chain-1#2' };

    // Act
    const first = await ecs.send(new RunTaskCommand(input));
    const again = await ecs.send(new RunTaskCommand(input));

    // Assess
    expect(again.tasks?.map((t) => t.taskArn)).toEqual(first.tasks?.map((t) => t.taskArn));
    expect(plane.model.tasks.size).toBe(1);
  });

  it('refuses the same token with other parameters, and keeps tokens per cluster', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    await ecs.send(new CreateClusterCommand({ clusterName: 'other' }));
    const input = { cluster: 'batch', taskDefinition: 'worker', ...FARGATE, clientToken: 'chain-1#3' };
    await ecs.send(new RunTaskCommand(input));

    // Act
    const conflicting = await failure(ecs.send(new RunTaskCommand({ ...input, startedBy: 'someone-else' })));
    await ecs.send(new RunTaskCommand({ ...input, cluster: 'other' }));

    // Assess
    expect(conflicting).toBeInstanceOf(ConflictException);
    expect(plane.model.tasks.size).toBe(2);
  });

  it('refuses a token longer than 64 characters', async () => {
    // Prepare
    const { ecs } = harness();
    await prepare(ecs);

    // Act
    const refused = await failure(
      ecs.send(
        new RunTaskCommand({
          cluster: 'batch',
          taskDefinition: 'worker',
          ...FARGATE,
          clientToken: 'x'.repeat(65),
        }),
      ),
    );

    // Assess
    expect(refused).toBeInstanceOf(InvalidParameterException);
  });
});

describe('task fates', () => {
  it('exits with the code given: EssentialContainerExited, the container exit code', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.setTaskFate('exit-3', { kind: 'exit', exitCode: 3 });

    // Act
    const { task } = await runUntilStopped({
      cluster: 'batch',
      taskDefinition: 'worker',
      ...FARGATE,
      clientToken: 'exit-3',
    });

    // Assess
    expect(task).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [expect.objectContaining({ name: 'main', exitCode: 3 })],
    });
  });

  it('is OOM-killed: exit code 137 and the OutOfMemoryError reason on the container', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.setTaskFate('oom', { kind: 'oom' });

    // Act
    const { task, stopped } = await runUntilStopped({
      cluster: 'batch',
      taskDefinition: 'worker',
      ...FARGATE,
      clientToken: 'oom',
    });

    // Assess
    expect(task.stopCode).toBe('EssentialContainerExited');
    expect(task.containers?.[0]).toMatchObject({ exitCode: 137, reason: OOM_REASON });
    expect(stopped.detail.containers).toEqual([
      expect.objectContaining({ exitCode: 137, reason: OOM_REASON }),
    ]);
  });

  it('is interrupted on Fargate Spot (SpotInterruption) and on EC2 Spot (TerminationNotice)', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.setTaskFate('spot-fargate', { kind: 'spot' });
    plane.setTaskFate('spot-ec2', { kind: 'spot' });

    // Act
    const fargate = await runUntilStopped({
      cluster: 'batch',
      taskDefinition: 'worker',
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      networkConfiguration: NETWORK,
      clientToken: 'spot-fargate',
    });
    const ec2 = await runUntilStopped({
      cluster: 'batch',
      taskDefinition: 'worker',
      launchType: 'EC2',
      networkConfiguration: NETWORK,
      clientToken: 'spot-ec2',
    });

    // Assess
    expect(fargate.task).toMatchObject({
      capacityProviderName: 'FARGATE_SPOT',
      stopCode: 'SpotInterruption',
      stoppedReason: SPOT_INTERRUPTION_REASON,
    });
    expect(fargate.task.startedAt).toBeInstanceOf(Date);
    expect(ec2.task.stopCode).toBe('TerminationNotice');
    expect(ec2.task.stoppedReason).toMatch(/^Host EC2 \(instance i-[0-9a-f]{17}\) stopped\/terminated\.$/);
    expect(fargate.task.containers?.[0]?.exitCode).toBe(143);
  });

  it('fails to start on Fargate without capacity, never leaving PROVISIONING', async () => {
    // Prepare
    const { ecs, plane, events } = harness();
    await prepare(ecs);
    plane.setTaskFate('no-capacity', { kind: 'fail-to-start', cause: 'capacity' });

    // Act
    const { task } = await runUntilStopped({
      cluster: 'batch',
      taskDefinition: 'worker',
      ...FARGATE,
      clientToken: 'no-capacity',
    });

    // Assess
    expect(task).toMatchObject({ stopCode: 'TaskFailedToStart', stoppedReason: NO_CAPACITY_REASON });
    expect(task.startedAt).toBeUndefined();
    const statuses = events
      .filter((e) => e['detail-type'] === 'ECS Task State Change' && e.detail.taskArn === task.taskArn)
      .map((e) => e.detail.lastStatus);
    expect(statuses).not.toContain('PENDING');
  });

  it('answers a failure per task and starts none on EC2 without capacity', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.setTaskFate('full', { kind: 'fail-to-start', cause: 'capacity' });

    // Act
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'EC2',
        networkConfiguration: NETWORK,
        count: 2,
        clientToken: 'full',
      }),
    );

    // Assess
    expect(run.tasks).toEqual([]);
    expect(run.failures).toEqual([
      { arn: expect.stringMatching(/:container-instance\/batch\//), reason: 'RESOURCE:MEMORY' },
      { arn: expect.stringMatching(/:container-instance\/batch\//), reason: 'RESOURCE:MEMORY' },
    ]);
    expect(plane.model.tasks.size).toBe(0);
  });

  it('fails to start when its secret cannot be read, or its image cannot be pulled', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.setTaskFate('secret', { kind: 'fail-to-start', cause: 'resource-initialization' });
    plane.setTaskFate('image', { kind: 'fail-to-start', cause: 'image' });

    // Act
    const secret = await runUntilStopped({
      cluster: 'batch',
      taskDefinition: 'worker',
      ...FARGATE,
      clientToken: 'secret',
    });
    const image = await runUntilStopped({
      cluster: 'batch',
      taskDefinition: 'worker',
      ...FARGATE,
      clientToken: 'image',
    });

    // Assess
    expect(secret.task.stopCode).toBe('TaskFailedToStart');
    expect(secret.task.stoppedReason).toMatch(
      /^ResourceInitializationError: unable to pull secrets or registry auth: .*invalid ssm parameters: \/worker\/token$/,
    );
    expect(image.task.stopCode).toBe('TaskFailedToStart');
    expect(image.task.stoppedReason).toMatch(/^CannotPullContainerError: .*jobs\/worker:v1: not found$/);
    expect(image.task.containers?.[0]?.reason).toBe(image.task.stoppedReason);
  });

  it('is used by one RunTask call only: the next call with another token runs as its image says', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.setTaskFate('once', { kind: 'exit', exitCode: 1 });
    await runUntilStopped({ cluster: 'batch', taskDefinition: 'worker', ...FARGATE, clientToken: 'once' });

    // Act
    const run = await ecs.send(
      new RunTaskCommand({ cluster: 'batch', taskDefinition: 'worker', ...FARGATE, clientToken: 'restart' }),
    );
    const running = await plane.waitForEvent(
      (e) => e.detail.taskArn === run.tasks?.[0]?.taskArn && e.detail.lastStatus === 'RUNNING',
    );
    await ecs.send(new StopTaskCommand({ cluster: 'batch', task: run.tasks?.[0]?.taskArn, reason: 'done' }));

    // Assess
    expect(running.detail.stopCode).toBeUndefined();
  });
});

describe('what restarts read', () => {
  it('sends the RunTask CloudTrail record with the request and the tasks started', async () => {
    // Prepare
    const { ecs, events } = harness();
    const taskDefinition = await prepare(ecs);
    const input: RunTaskCommandInput = {
      cluster: 'batch',
      taskDefinition: 'worker:1',
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-0b1'],
          securityGroups: ['sg-0c2'],
          assignPublicIp: 'DISABLED',
        },
      },
      overrides: { containerOverrides: [{ name: 'main', command: ['work', '--queue', 'q1'] }] },
      group: 'workers',
      startedBy: 'scheduler',
      tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
      propagateTags: 'TASK_DEFINITION',
      enableExecuteCommand: true,
      clientToken: 'trail-1',
    };

    // Act
    const run = await ecs.send(new RunTaskCommand(input));

    // Assess
    const record = events.find(
      (e) => e['detail-type'] === 'AWS API Call via CloudTrail' && e.detail.eventName === 'RunTask',
    );
    expect(record).toMatchObject({
      source: 'aws.ecs',
      detail: {
        eventSource: 'ecs.amazonaws.com',
        requestParameters: {
          cluster: 'batch',
          taskDefinition: 'worker:1',
          networkConfiguration: input.networkConfiguration,
          overrides: input.overrides,
          group: 'workers',
          startedBy: 'scheduler',
          clientToken: 'trail-1',
          enableExecuteCommand: true,
        },
        responseElements: {
          tasks: [
            expect.objectContaining({
              taskArn: run.tasks?.[0]?.taskArn,
              taskDefinitionArn: taskDefinition,
              group: 'workers',
              lastStatus: 'PROVISIONING',
              createdAt: expect.stringMatching(/^[A-Z][a-z]{2} \d+, \d{4}, /),
            }),
          ],
          failures: [],
        },
      },
    });
  });

  it('sends the STOPPED change with group, startedBy, stop code, exit codes and the network attachment; DescribeTasks still shows its tags', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.setTaskFate('crash', { kind: 'exit', exitCode: 1 });

    // Act
    const { task, stopped } = await runUntilStopped({
      cluster: 'batch',
      taskDefinition: 'worker',
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0b1'], securityGroups: ['sg-0c2'] } },
      group: 'workers',
      startedBy: 'scheduler',
      tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
      clientToken: 'crash',
    });

    // Assess
    expect(stopped.detail).toMatchObject({
      group: 'workers',
      startedBy: 'scheduler',
      lastStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      containers: [expect.objectContaining({ exitCode: 1 })],
      attachments: [
        expect.objectContaining({
          type: 'ElasticNetworkInterface',
          details: expect.arrayContaining([
            { name: 'subnetId', value: 'subnet-0b1' },
            { name: 'privateIPv4Address', value: expect.stringMatching(/^10\.0\./) },
          ]),
        }),
      ],
    });
    expect(stopped.detail.tags).toBeUndefined();
    expect(task.tags).toEqual([{ key: 'autopilot:restart', value: 'on-failure' }]);
  });

  it('refuses placement on Fargate and unknown placement types', async () => {
    // Prepare
    const { ecs } = harness();
    await prepare(ecs);

    // Act
    const fargate = await failure(
      ecs.send(
        new RunTaskCommand({
          cluster: 'batch',
          taskDefinition: 'worker',
          ...FARGATE,
          placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        }),
      ),
    );
    const unknown = await failure(
      ecs.send(
        new RunTaskCommand({
          cluster: 'batch',
          taskDefinition: 'worker',
          launchType: 'EC2',
          networkConfiguration: NETWORK,
          placementConstraints: [{ type: 'nearby' as never }],
        }),
      ),
    );
    const ec2 = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'EC2',
        networkConfiguration: NETWORK,
        placementConstraints: [{ type: 'distinctInstance' }],
        placementStrategy: [{ type: 'binpack', field: 'memory' }],
      }),
    );

    // Assess
    expect(fargate).toBeInstanceOf(InvalidParameterException);
    expect(unknown).toBeInstanceOf(InvalidParameterException);
    expect(ec2.tasks).toHaveLength(1);
  });
});
