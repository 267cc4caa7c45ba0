/**
 * watch-deployments fed the samples in events/: ECS and EventBridge faked with aws-sdk-client-mock,
 * the table (deployment health, idempotency) in dynalite on 127.0.0.1.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type Deployment,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDeploymentHistory } from '../../shared/adapters/state/dynamo-deployment-history';
import { DynamoQuarantine } from '../../shared/adapters/state/dynamo-quarantine';
import { DynamoRollbackHistory } from '../../shared/adapters/state/dynamo-rollback-history';
import { DynamoServiceIndex } from '../../shared/adapters/state/dynamo-service-index';
import { lambdaContext, sampleEvent, useFunctionUnderTest } from '../support/handler';

const ecs = mockClient(ECSClient);
const bus = mockClient(EventBridgeClient);
const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/api`;
const GOOD = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:7`;
const BAD = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:8`;
const GOOD_DIGEST = `sha256:${'a'.repeat(64)}`;
const BAD_DIGEST = 'sha256:fb97d0ca1fde2a198d7507bb9cd9899f8e0ac8c976e24f8fbe709ca00d474ead';
const FAILED_ID = 'ecs-svc/7215930588047329784';
const REVISION_OF_BAD = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service-revision/prod/api/7215930588047329784`;

const fn = useFunctionUnderTest('watch-deployments');
/** A state adapter on the function's table. */
const on = <P>(Adapter: new (tableName: string, client: DynamoDBClient) => P) =>
  new Adapter(fn.dynamo.tableName, fn.dynamo.client);

function givenService(deployments: Deployment[], options: { circuitBreakerRollback?: boolean } = {}) {
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: SERVICE_ARN,
        serviceName: 'api',
        clusterArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`,
        status: 'ACTIVE',
        taskDefinition: deployments.find((d) => d.status === 'PRIMARY')?.taskDefinition,
        deployments,
        deploymentConfiguration: {
          deploymentCircuitBreaker: { enable: true, rollback: options.circuitBreakerRollback ?? false },
        },
        tags: [
          { key: 'autopilot:deploy', value: 'tag:main' },
          { key: 'autopilot:alarms', value: 'api-5xx' },
        ],
      },
    ],
  });
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: GOOD }).resolves({
    taskDefinition: {
      family: 'api',
      containerDefinitions: [{ name: 'app', image: `${REGISTRY}/team/api@${GOOD_DIGEST}` }],
    },
  });
  ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: BAD }).resolves({
    taskDefinition: {
      family: 'api',
      containerDefinitions: [{ name: 'app', image: `${REGISTRY}/team/api@${BAD_DIGEST}` }],
    },
  });
  ecs.on(UpdateServiceCommand).resolves({});
}

const detailTypes = () =>
  bus.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.DetailType));

beforeEach(async () => {
  ecs.reset();
  bus.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  await on(DynamoRollbackHistory).setLastKnownGood(SERVICE_ARN, {
    taskDefinitionArn: GOOD,
    deploymentId: 'ecs-svc/1',
    at: '2025-03-14T09:00:00.000Z',
  });
});

describe('watch-deployments handler', () => {
  it('rolls back a failed deployment the circuit breaker did not roll back, and quarantines its image', async () => {
    // Prepare
    givenService([{ id: FAILED_ID, status: 'PRIMARY', taskDefinition: BAD, rolloutState: 'FAILED' }]);
    const event = sampleEvent<{ detail: Record<string, unknown> }>('ecs-deployment-failed');
    event.detail.reason = 'ECS deployment circuit breaker: tasks failed to start.';

    // Act
    const result = await fn.handler(event, lambdaContext('watch-deployments'));

    // Assess
    expect(result.decisions).toEqual([
      expect.objectContaining({ action: 'update-service', to: GOOD, from: BAD }),
    ]);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: GOOD });
    expect(detailTypes()).toEqual(['Deployment Rolled Back', 'Image Quarantined']);
    expect(await on(DynamoQuarantine).listQuarantined()).toEqual([
      expect.objectContaining({ repository: 'team/api', digest: BAD_DIGEST }),
    ]);
  });

  it('does not roll back again when the circuit breaker already did, but quarantines and tells', async () => {
    // Prepare
    givenService(
      [
        { id: 'ecs-svc/999', status: 'PRIMARY', taskDefinition: GOOD, rolloutState: 'IN_PROGRESS' },
        { id: FAILED_ID, status: 'ACTIVE', taskDefinition: BAD, rolloutState: 'FAILED' },
      ],
      { circuitBreakerRollback: true },
    );

    // Act
    const result = await fn.handler(sampleEvent('ecs-deployment-failed'), lambdaContext('watch-deployments'));

    // Assess
    expect(result.decisions[0]).toMatchObject({ action: 'quarantine-only' });
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(ecs).not.toHaveReceivedCommand(StopServiceDeploymentCommand);
    expect(detailTypes()).toEqual(['Image Quarantined', 'Deployment Rolled Back']);
  });

  it('stops an in-progress deployment with ECS rollback when its alarm fires', async () => {
    // Prepare
    givenService([
      { id: FAILED_ID, status: 'PRIMARY', taskDefinition: BAD, rolloutState: 'IN_PROGRESS' },
      { id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: GOOD, rolloutState: 'COMPLETED' },
    ]);
    await on(DynamoServiceIndex).indexAlarms(
      {
        serviceArn: SERVICE_ARN,
        clusterArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`,
        serviceName: 'api',
      },
      ['api-5xx'],
    );
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:service-deployment/prod/api/abc`,
          status: 'IN_PROGRESS',
          targetServiceRevisionArn: REVISION_OF_BAD,
        },
      ],
    });
    ecs
      .on(DescribeServiceRevisionsCommand)
      .resolves({ serviceRevisions: [{ serviceRevisionArn: REVISION_OF_BAD, taskDefinition: BAD }] });
    ecs.on(StopServiceDeploymentCommand).resolves({});

    // Act
    const result = await fn.handler(
      sampleEvent('cloudwatch-alarm-state-change'),
      lambdaContext('watch-deployments'),
    );

    // Assess
    expect(result.decisions[0]).toMatchObject({
      action: 'stop-deployment',
      reason: expect.stringContaining('api-5xx'),
    });
    expect(ecs).toHaveReceivedCommandWith(StopServiceDeploymentCommand, { stopType: 'ROLLBACK' });
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('counts a crashed task of the new revision without acting before the crash-loop threshold', async () => {
    // Prepare
    givenService([{ id: FAILED_ID, status: 'PRIMARY', taskDefinition: BAD, rolloutState: 'IN_PROGRESS' }]);

    // Act
    const result = await fn.handler(
      sampleEvent('ecs-task-stopped-crash'),
      lambdaContext('watch-deployments'),
    );

    // Assess
    expect(result.decisions).toEqual([
      expect.objectContaining({
        action: 'record',
        reason: expect.stringMatching(/^crash 1 of 3: essential container exited with code 1/),
      }),
    ]);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
  });

  it('says a task a person stopped is not a crash, without reading ECS or counting it', async () => {
    // Prepare
    givenService([{ id: FAILED_ID, status: 'PRIMARY', taskDefinition: BAD, rolloutState: 'IN_PROGRESS' }]);

    // Act
    const result = await fn.handler(sampleEvent('ecs-task-stopped-user'), lambdaContext('watch-deployments'));

    // Assess
    expect(result.decisions).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason:
          'task 6f0c2d8e… stopped by a person (UserInitiated: Restarting a task with a stuck connection pool): not a crash',
      },
    ]);
    expect(ecs.calls()).toHaveLength(0);
    expect(bus.calls()).toHaveLength(0);
  });

  it('names the rollback for a late crash of the revision the circuit breaker failed', async () => {
    // Prepare: ECS no longer lists the failed deployment; autopilot recorded it FAILED.
    givenService(
      [{ id: 'ecs-svc/999', status: 'PRIMARY', taskDefinition: GOOD, rolloutState: 'COMPLETED' }],
      { circuitBreakerRollback: true },
    );
    await on(DynamoDeploymentHistory).recordDeploymentState(
      SERVICE_ARN,
      { deploymentId: FAILED_ID, taskDefinitionArn: BAD, state: 'FAILED', isRollback: false },
      '2025-03-14T10:12:00.000Z',
    );

    // Act
    const result = await fn.handler(
      sampleEvent('ecs-task-stopped-crash'),
      lambdaContext('watch-deployments'),
    );

    // Assess
    expect(result.decisions).toEqual([
      {
        service: 'prod/api',
        action: 'ignore',
        reason:
          "a task of api:8 crashed; api:8 was already rolled back to api:7 (by ECS's circuit breaker): not counted again",
      },
    ]);
    expect(ecs).not.toHaveReceivedCommand(UpdateServiceCommand);
    expect(bus.calls()).toHaveLength(0);
  });

  it('rejects a malformed event without acting', async () => {
    // Prepare
    const event = sampleEvent<{ detail: Record<string, unknown> }>('cloudwatch-alarm-state-change');
    delete event.detail.alarmName;

    // Act
    const result = await fn.handler(event, lambdaContext('watch-deployments'));

    // Assess
    expect(result).toMatchObject({ status: 'rejected', reason: expect.stringContaining('alarmName') });
    expect(ecs.calls()).toHaveLength(0);
  });
});
