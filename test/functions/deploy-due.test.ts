/**
 * deploy-due on its schedule: pushes that waited for a cooldown or deploy window are deployed when
 * due. ECS and EventBridge faked with aws-sdk-client-mock, the table in dynalite on 127.0.0.1.
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import type { PendingPush } from '../../shared/ports';
import { lambdaContext, sampleEvent, useFunctionUnderTest } from '../support/handler';

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const bus = mockClient(EventBridgeClient);
const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/api`;
const TD_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:7`;
const NEW_DIGEST = `sha256:${'b'.repeat(64)}`;

function pending(dueAt: string, eventId = 'push-1'): PendingPush {
  return {
    serviceArn: SERVICE_ARN,
    cluster: 'prod',
    service: 'api',
    dueAt,
    reason: 'image is younger than the minimum age 1h',
    push: {
      eventId,
      accountId: ACCOUNT,
      region: 'eu-west-1',
      repositoryName: 'team/api',
      digest: NEW_DIGEST,
      tag: 'main',
      pushedAt: '2026-11-23T08:00:00.000Z',
    },
  };
}

const fn = useFunctionUnderTest('deploy-due');

beforeEach(async () => {
  ecs.reset();
  ecr.reset();
  bus.reset();
  // team/api:main still points at the pushed digest
  ecr
    .on(DescribeImagesCommand)
    .resolves({ imageDetails: [{ imageDigest: NEW_DIGEST, imageTags: ['main'] }] });
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: SERVICE_ARN,
        serviceName: 'api',
        clusterArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`,
        status: 'ACTIVE',
        taskDefinition: TD_ARN,
        tags: [{ key: 'autopilot:deploy', value: 'tag:main' }],
      },
    ],
  });
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      family: 'api',
      taskDefinitionArn: TD_ARN,
      revision: 7,
      containerDefinitions: [{ name: 'app', image: `${REGISTRY}/team/api:main` }],
    },
  });
  ecs.on(RegisterTaskDefinitionCommand).resolves({
    taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:8` },
  });
  ecs.on(UpdateServiceCommand).resolves({});
});

describe('deploy-due handler', () => {
  it('deploys a push whose cooldown has passed and forgets it', async () => {
    // Prepare
    await fn.state.pending.savePending(pending('2026-11-23T09:00:00.000Z'), () => true);

    // Act
    const result = await fn.handler(sampleEvent('scheduled-reconcile'), lambdaContext('deploy-due'));

    // Assess
    expect(result.decisions).toEqual([expect.objectContaining({ action: 'deploy', digest: NEW_DIGEST })]);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { cluster: 'prod', service: 'api' });
    expect(await fn.state.pending.listDuePending(new Date('2100-01-01T00:00:00Z'))).toEqual([]);
  });

  it('leaves a push that is not due yet', async () => {
    // Prepare
    await fn.state.pending.savePending(pending('2099-01-01T00:00:00.000Z'), () => true);

    // Act
    const result = await fn.handler(sampleEvent('scheduled-reconcile'), lambdaContext('deploy-due'));

    // Assess
    expect(result.decisions).toEqual([]);
    expect(ecs.calls()).toHaveLength(0);
    expect(await fn.state.pending.listDuePending(new Date('2100-01-01T00:00:00Z'))).toHaveLength(1);
  });
});
