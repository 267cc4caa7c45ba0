/**
 * restart-tasks fed the samples of events/: a RunTask record keeps the launch spec, a standalone
 * task's STOPPED is decided from its tags and stop. ECS, EC2, EventBridge and SQS faked with
 * aws-sdk-client-mock, the table in dynalite on 127.0.0.1.
 */
import { DescribeNetworkInterfacesCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoRestartChains } from '../../shared/adapters/state/dynamo-restart-chains';
import { unmodeledAwsError } from '../support/aws-errors';
import { lambdaContext, sampleEvent, useFunctionUnderTest } from '../support/handler';

const ecs = mockClient(ECSClient);
const ec2 = mockClient(EC2Client);
const bus = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-test-restart-delay';
const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch';

const fn = useFunctionUnderTest('restart-tasks');
const chains = () => new DynamoRestartChains(fn.dynamo.tableName, fn.dynamo.client);

/** DescribeTasks answers the stopped task of `sample` with `tags`. */
function describesWithTags(sample: string, tags: Record<string, string>) {
  const detail = sampleEvent<{ detail: Record<string, string> }>(sample).detail;
  ecs.on(DescribeTasksCommand).resolves({
    tasks: [
      {
        taskArn: detail.taskArn,
        clusterArn: detail.clusterArn,
        taskDefinitionArn: detail.taskDefinitionArn,
        group: detail.group,
        startedBy: detail.startedBy,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      },
    ],
  });
}

beforeAll(() => {
  process.env.AUTOPILOT_RESTART_QUEUE_URL = QUEUE;
});

beforeEach(() => {
  ecs.reset();
  ec2.reset();
  bus.reset();
  sqs.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

describe('restart-tasks handler', () => {
  it('keeps the launch spec of a RunTask record, then queues the restart of the task when it exits 1', async () => {
    // Prepare
    describesWithTags('ecs-task-stopped-standalone-exit-1', { 'autopilot:restart': 'on-failure' });

    // Act
    const captured = await fn.handler(sampleEvent('cloudtrail-ecs-run-task'), lambdaContext('restart-tasks'));
    const decided = await fn.handler(
      sampleEvent('ecs-task-stopped-standalone-exit-1'),
      lambdaContext('restart-tasks'),
    );

    // Assess
    expect(captured.decisions).toMatchObject([{ action: 'capture', source: 'run-task' }]);
    expect(decided.decisions).toMatchObject([
      { action: 'restart', attempt: 1, maxAttempts: 5, delaySeconds: 10, class: 'exited-non-zero' },
    ]);
    const sent = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(sent?.QueueUrl).toBe(QUEUE);
    expect(sent?.DelaySeconds).toBe(10);
    expect(JSON.parse(sent?.MessageBody ?? '{}')).toEqual({
      version: 1,
      clusterArn: CLUSTER,
      chainId: '0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c',
      attempt: 1,
      triggeredBy: '0b6e1a2f-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
    });
    expect((await chains().getChain(CLUSTER, '0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c'))?.spec).toMatchObject({
      taskDefinition: 'worker:3',
      networkConfiguration: { awsvpcConfiguration: { securityGroups: ['sg-0c2d3e4f5a6b7c8d9'] } },
    });
  });

  it('abandons at once a task whose image does not exist, and says so', async () => {
    // Prepare
    describesWithTags('ecs-task-stopped-standalone-missing-image', { 'autopilot:restart': 'on-failure' });

    // Act
    const result = await fn.handler(
      sampleEvent('ecs-task-stopped-standalone-missing-image'),
      lambdaContext('restart-tasks'),
    );

    // Assess
    expect(result.decisions).toMatchObject([{ action: 'abandon', class: 'failed-to-start-permanent' }]);
    const entries = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((e) => e.DetailType)).toEqual(['Task Restart Abandoned']);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it.each([
    ['ecs-task-stopped-standalone-user', 'stopped by a user: never restarted'],
    ['ecs-task-stopped-standalone-exit-0', 'exited 0: its work is done (only `always` restarts it)'],
  ])('leaves %s alone', async (sample, reason) => {
    // Prepare
    describesWithTags(sample, { 'autopilot:restart': 'on-failure' });

    // Act
    const result = await fn.handler(sampleEvent(sample), lambdaContext('restart-tasks'));

    // Assess
    expect(result.decisions).toMatchObject([{ action: 'ignore', reason }]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('restarts a spot interruption at once, through the queue with no delay', async () => {
    // Prepare
    describesWithTags('ecs-task-stopped-standalone-spot', { 'autopilot:restart': 'on-failure' });
    const detail = sampleEvent<{ detail: { taskArn: string } }>('ecs-task-stopped-standalone-spot').detail;
    await chains().saveSpec(
      CLUSTER,
      detail.taskArn,
      { cluster: CLUSTER, taskDefinition: 'worker:3' },
      'run-task',
    );

    // Act
    const result = await fn.handler(
      sampleEvent('ecs-task-stopped-standalone-spot'),
      lambdaContext('restart-tasks'),
    );

    // Assess
    expect(result.decisions).toMatchObject([{ action: 'restart', class: 'capacity-lost', delaySeconds: 0 }]);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.DelaySeconds).toBe(0);
  });

  it('keeps the launch spec a RUNNING event shows for a task without awsvpc networking', async () => {
    // Prepare
    const event = sampleEvent('ecs-task-running-standalone-ec2');

    // Act
    const result = await fn.handler(event, lambdaContext('restart-tasks'));

    // Assess
    expect(result.decisions).toMatchObject([{ action: 'capture', source: 'running' }]);
  });
  it("keeps an awsvpc task's launch spec from its RUNNING event with its network interface's security groups", async () => {
    // Prepare
    const event = sampleEvent<{ detail: { taskArn: string } }>('ecs-task-running-standalone-fargate');
    ec2.on(DescribeNetworkInterfacesCommand, { NetworkInterfaceIds: ['eni-0123456789abcdef0'] }).resolves({
      NetworkInterfaces: [
        {
          NetworkInterfaceId: 'eni-0123456789abcdef0',
          SubnetId: 'subnet-0a1b2c3d4e5f60718',
          Groups: [{ GroupId: 'sg-0123456789abcdef0', GroupName: 'workers' }],
        },
      ],
    });

    // Act
    const result = await fn.handler(event, lambdaContext('restart-tasks'));

    // Assess
    expect(result.decisions).toMatchObject([{ action: 'capture', source: 'running' }]);
    expect((await chains().getSpec(CLUSTER, event.detail.taskArn))?.spec.networkConfiguration).toEqual({
      awsvpcConfiguration: {
        subnets: ['subnet-0a1b2c3d4e5f60718'],
        securityGroups: ['sg-0123456789abcdef0'],
        assignPublicIp: 'DISABLED',
      },
    });
  });

  it('leaves the launch spec of an awsvpc task unknown when its network interface is gone', async () => {
    // Prepare
    const event = sampleEvent<{ detail: { taskArn: string } }>('ecs-task-running-standalone-fargate');
    ec2
      .on(DescribeNetworkInterfacesCommand)
      .rejects(
        unmodeledAwsError(
          EC2ServiceException,
          'InvalidNetworkInterfaceID.NotFound',
          "The networkInterface ID 'eni-0123456789abcdef0' does not exist",
        ),
      );

    // Act
    const result = await fn.handler(event, lambdaContext('restart-tasks'));

    // Assess
    expect(result.decisions).toMatchObject([
      { action: 'ignore', reason: expect.stringContaining('launch spec unknown') },
    ]);
    expect(await chains().getSpec(CLUSTER, event.detail.taskArn)).toBeUndefined();
  });
});
