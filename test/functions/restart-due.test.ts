/**
 * restart-due fed batches of the restart delay queue: each due attempt is one RunTask, idempotent on
 * its client token; a message that fails is answered in batchItemFailures and the others are done.
 * ECS, EventBridge and SQS faked with aws-sdk-client-mock, the table in dynalite on 127.0.0.1.
 */
import { ECSClient, ECSServiceException, RunTaskCommand } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoRestartChains } from '../../shared/adapters/state/dynamo-restart-chains';
import type { RestartChain } from '../../shared/ports';
import { throttlingError } from '../support/aws-errors';
import { lambdaContext, useFunctionUnderTest } from '../support/handler';

const ecs = mockClient(ECSClient);
const bus = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-test-restart-delay';
const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch';
const TASK = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/batch/${id.padEnd(32, '0')}`;

const fn = useFunctionUnderTest('restart-due');
const chains = () => new DynamoRestartChains(fn.dynamo.tableName, fn.dynamo.client);

function waiting(chainId: string): RestartChain {
  return {
    clusterArn: CLUSTER,
    chainId,
    spec: {
      cluster: CLUSTER,
      taskDefinition: 'worker:3',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-0a1b'], securityGroups: ['sg-0c2d'] },
      },
      group: 'family:worker',
      startedBy: 'nightly',
      tags: [{ key: 'team', value: 'data' }],
    },
    state: 'waiting',
    attempt: 1,
    maxAttempts: 5,
    currentTaskArn: TASK(chainId),
    handledStops: [TASK(chainId)],
    lastReasons: ['Essential container in task exited: worker exited with code 1'],
    lastClass: 'exited-non-zero',
    nextAttemptAt: '2026-01-13T10:05:10.000Z',
    mode: 'on-failure',
    backoff: { initialSeconds: 10, maxSeconds: 300, resetAfterSeconds: 600 },
    updatedAt: '2026-01-13T10:05:00.000Z',
    version: 1,
  };
}

/** An SQS event of the restart delay queue with one message per chain id (attempt 1). */
function batch(...chainIds: string[]) {
  return {
    Records: chainIds.map((chainId) => ({
      messageId: `m-${chainId}`,
      receiptHandle: 'handle',
      body: JSON.stringify({ version: 1, clusterArn: CLUSTER, chainId, attempt: 1, triggeredBy: 'stop-1' }),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {},
      md5OfBody: 'x',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:ecs-autopilot-test-restart-delay',
      awsRegion: 'eu-west-1',
    })),
  };
}

beforeAll(() => {
  process.env.AUTOPILOT_RESTART_QUEUE_URL = QUEUE;
});

beforeEach(() => {
  ecs.reset();
  bus.reset();
  sqs.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-next' });
});

describe('restart-due handler', () => {
  it('starts the due attempt with its launch spec, startedBy autopilot, the chain tags and a client token', async () => {
    // Prepare
    await chains().saveChain(waiting('aaaa'));
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK('bbbb') }], failures: [] });

    // Act
    const result = await fn.handler(batch('aaaa'), lambdaContext('restart-due'));

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(result.decisions).toMatchObject([{ action: 'started', attempt: 1, taskArn: TASK('bbbb') }]);
    expect(ecs.commandCalls(RunTaskCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      taskDefinition: 'worker:3',
      count: 1,
      clientToken: 'autopilot-aaaa-1',
      startedBy: 'autopilot',
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-0a1b'], securityGroups: ['sg-0c2d'] },
      },
      group: 'family:worker',
      tags: [
        { key: 'autopilot:restart-of', value: 'aaaa' },
        { key: 'autopilot:attempt', value: '1' },
        { key: 'autopilot:started-by', value: 'nightly' },
        { key: 'team', value: 'data' },
      ],
    });
    const entries = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((e) => e.DetailType)).toEqual(['Task Restarted']);
    expect((await chains().getChain(CLUSTER, 'aaaa'))?.state).toBe('running');
  });

  it('answers a throttled RunTask in batchItemFailures and carries out the rest of the batch', async () => {
    // Prepare
    await chains().saveChain(waiting('aaaa'));
    await chains().saveChain(waiting('cccc'));
    ecs
      .on(RunTaskCommand, { clientToken: 'autopilot-aaaa-1' })
      .rejects(throttlingError(ECSServiceException))
      .on(RunTaskCommand, { clientToken: 'autopilot-cccc-1' })
      .resolves({ tasks: [{ taskArn: TASK('dddd') }], failures: [] });

    // Act
    const result = await fn.handler(batch('aaaa', 'cccc'), lambdaContext('restart-due'));

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-aaaa' }]);
    expect(result.decisions).toMatchObject([{ action: 'started', chainId: 'cccc' }]);
    // The failed attempt stays claimed: its next delivery starts it with the same client token.
    expect((await chains().getChain(CLUSTER, 'aaaa'))?.state).toBe('starting');
  });

  it("backs off RunTask's failures to the next attempt through the queue", async () => {
    // Prepare
    await chains().saveChain(waiting('aaaa'));
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] });

    // Act
    const result = await fn.handler(batch('aaaa'), lambdaContext('restart-due'));

    // Assess
    expect(result.decisions).toMatchObject([{ action: 'restart', attempt: 2, class: 'run-task-failed' }]);
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.DelaySeconds).toBe(20);
  });

  it('keeps a message that is not a restart message for the dead-letter queue and carries out the rest of the batch', async () => {
    // Prepare
    await chains().saveChain(waiting('bbbb'));
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK('cccc') }], failures: [] });
    const event = batch('aaaa', 'bbbb');
    if (event.Records[0]) event.Records[0].body = '{"not":"a restart"}';

    // Act
    const result = await fn.handler(event, lambdaContext('restart-due'));

    // Assess
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-aaaa' }]);
    expect(result.decisions).toMatchObject([{ action: 'started', chainId: 'bbbb' }]);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });

  it.each([
    // The delay left of the backoff is at most the 4 s it was given, whatever time the test took.
    ['found: the attempt queued with the backoff left', true, { attempt: 1 }, [0, 4], 'restart'],
    ['not found yet: the next look queued', false, { attempt: 1, specCheck: 2 }, [30, 30], 'await-spec'],
  ])(
    'looks for the launch spec of a task that stopped before its RunTask record came; %s',
    async (_, found, next, delay, action) => {
      // Prepare
      const { spec, nextAttemptAt: _due, ...rest } = waiting('dddd');
      await chains().saveChain({
        ...rest,
        spec: { cluster: CLUSTER, taskDefinition: 'worker:3' },
        state: 'awaiting-spec',
        nextAttemptAt: new Date(Date.now() + 4_000).toISOString(),
        specWait: { until: new Date(Date.now() + 900_000).toISOString(), every: 30, check: 1 },
      });
      if (found) await chains().saveSpec(CLUSTER, TASK('dddd'), spec, 'run-task');
      const event = batch('dddd');
      if (event.Records[0])
        event.Records[0].body = JSON.stringify({ ...JSON.parse(event.Records[0].body), specCheck: 1 });

      // Act
      const result = await fn.handler(event, lambdaContext('restart-due'));

      // Assess
      expect(result).toMatchObject({ batchItemFailures: [], decisions: [{ action }] });
      const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
      expect(sent).toEqual([expect.objectContaining({ QueueUrl: QUEUE, DelaySeconds: expect.any(Number) })]);
      expect(sent[0]?.DelaySeconds).toBeGreaterThanOrEqual(delay[0] ?? 0);
      expect(sent[0]?.DelaySeconds).toBeLessThanOrEqual(delay[1] ?? 0);
      expect(JSON.parse(sent[0]?.MessageBody ?? '{}')).toEqual({
        version: 1,
        clusterArn: CLUSTER,
        chainId: 'dddd',
        triggeredBy: 'stop-1',
        ...next,
      });
      expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    },
  );
});
