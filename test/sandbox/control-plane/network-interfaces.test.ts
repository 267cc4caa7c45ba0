/**
 * The sandbox's EC2: the network interfaces of awsvpc tasks (DescribeNetworkInterfaces, the ec2 query
 * protocol) and a RunTask whose CloudTrail record is lost on the way.
 */
import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { type ECSClient, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { DEFAULT_SECURITY_GROUP } from '../../../sandbox/control-plane/tasks';
import { clientConfig, NETWORK, prepareBatchWorker, useControlPlane } from './support';

const harness = useControlPlane();

/** The cluster `batch` and the awsvpc family `worker`. */
async function prepare(ecs: ECSClient) {
  const { ecr, plane } = harness();
  await prepareBatchWorker({ ecs, ecr, plane });
}

const interfaceOf = (task: { attachments?: { details?: { name?: string; value?: string }[] }[] }) =>
  task.attachments?.[0]?.details?.find((d) => d.name === 'networkInterfaceId')?.value ?? '';

describe('network interfaces of awsvpc tasks', () => {
  it("describes a task's interface in its subnet with RunTask's security groups, or the VPC's default group", async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    const ec2 = new EC2Client(clientConfig(plane.ec2Endpoint));
    const given = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
      }),
    );
    const none = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: { subnets: ['subnet-0c1d'], assignPublicIp: 'ENABLED' },
        },
      }),
    );

    // Act
    const out = await ec2.send(
      new DescribeNetworkInterfacesCommand({
        NetworkInterfaceIds: [interfaceOf(given.tasks?.[0] ?? {}), interfaceOf(none.tasks?.[0] ?? {})],
      }),
    );

    // Assess
    expect(
      out.NetworkInterfaces?.map((n) => ({
        subnet: n.SubnetId,
        groups: n.Groups?.map((g) => g.GroupId),
        publicIp: n.Association?.PublicIp !== undefined,
        status: n.Status,
      })),
    ).toEqual([
      {
        subnet: 'subnet-0a1b2c3d4e5f60718',
        groups: ['sg-0123456789abcdef0'],
        publicIp: false,
        status: 'in-use',
      },
      { subnet: 'subnet-0c1d', groups: [DEFAULT_SECURITY_GROUP], publicIp: true, status: 'in-use' },
    ]);
  });

  it('keeps the interface of a stopped task, detached, and answers an unknown one NotFound', async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    const ec2 = new EC2Client(clientConfig(plane.ec2Endpoint));
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
      }),
    );
    const taskArn = run.tasks?.[0]?.taskArn ?? '';
    await ecs.send(new StopTaskCommand({ cluster: 'batch', task: taskArn }));
    await plane.waitForEvent(
      (e) =>
        e['detail-type'] === 'ECS Task State Change' &&
        e.detail.taskArn === taskArn &&
        e.detail.lastStatus === 'STOPPED',
    );

    // Act
    const stopped = await ec2.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [interfaceOf(run.tasks?.[0] ?? {})] }),
    );
    const unknown = ec2.send(
      new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0000000000000000f'] }),
    );

    // Assess
    expect(stopped.NetworkInterfaces?.map((n) => n.Status)).toEqual(['available']);
    await expect(unknown).rejects.toMatchObject({ name: 'InvalidNetworkInterfaceID.NotFound' });
  });
});

describe('loseRunTaskRecord', () => {
  it("drops the RunTask call's CloudTrail record and nothing else: its tasks still report their states", async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.loseRunTaskRecord('lost-1');

    // Act
    const lost = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
        clientToken: 'lost-1',
      }),
    );
    const kept = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
      }),
    );
    const lostArn = lost.tasks?.[0]?.taskArn ?? '';
    await plane.waitForEvent(
      (e) =>
        e['detail-type'] === 'ECS Task State Change' &&
        e.detail.taskArn === lostArn &&
        e.detail.lastStatus === 'RUNNING',
    );

    // Assess
    const records = plane.emitted.filter(
      (e) => e['detail-type'] === 'AWS API Call via CloudTrail' && e.detail.eventName === 'RunTask',
    );
    expect(
      records.map((e) => (e.detail.responseElements as { tasks: { taskArn: string }[] }).tasks[0]?.taskArn),
    ).toEqual([kept.tasks?.[0]?.taskArn]);
  });
});

describe('delayRunTaskRecord', () => {
  it("holds the RunTask call's CloudTrail record back until it is released, after its task has stopped", async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepare(ecs);
    plane.delayRunTaskRecord('late-1');
    const started = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'worker',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
        clientToken: 'late-1',
      }),
    );
    const taskArn = started.tasks?.[0]?.taskArn ?? '';
    await plane.waitForEvent(
      (e) =>
        e['detail-type'] === 'ECS Task State Change' &&
        e.detail.taskArn === taskArn &&
        e.detail.lastStatus === 'RUNNING',
    );
    plane.exitTask(taskArn, 1);
    await plane.waitForEvent(
      (e) =>
        e['detail-type'] === 'ECS Task State Change' &&
        e.detail.taskArn === taskArn &&
        e.detail.lastStatus === 'STOPPED',
    );
    const isRecord = (e: { 'detail-type': string; detail: { eventName?: unknown } }) =>
      e['detail-type'] === 'AWS API Call via CloudTrail' && e.detail.eventName === 'RunTask';
    const beforeRelease = plane.emitted.filter(isRecord).length;

    // Act
    const released = plane.releaseRunTaskRecord('late-1');

    // Assess
    const stoppedAt = plane.emitted.findIndex(
      (e) =>
        e['detail-type'] === 'ECS Task State Change' &&
        e.detail.taskArn === taskArn &&
        e.detail.lastStatus === 'STOPPED',
    );
    const recordAt = plane.emitted.findIndex(isRecord);
    expect({ beforeRelease, released, afterStop: recordAt > stoppedAt }).toEqual({
      beforeRelease: 0,
      released: 1,
      afterStop: true,
    });
  });
});
