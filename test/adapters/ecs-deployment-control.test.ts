import 'aws-sdk-client-mock-jest';
import {
  AccessDeniedException,
  ConflictException,
  DescribeServiceRevisionsCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  ListServiceDeploymentsCommand,
  ServiceDeploymentNotFoundException,
  StopServiceDeploymentCommand,
  UnsupportedFeatureException,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsDeploymentControl } from '../../shared/adapters/aws/ecs-deployment-control';
import { PermanentError, RetryableError } from '../../shared/errors';
import { failedRequestMetadata, throttlingError } from '../support/aws-errors';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;
const SERVICE = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/api`;
const API_8 = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:8`;
const DEPLOYMENT_ARN = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-deployment/prod/api/8A7b6C5d4E3f2G1h`;
const REF = { cluster: CLUSTER, service: SERVICE };
const API_9 = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:9`;
const REVISION_8 = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/prod/api/8000000000000000008`;
const REVISION_9 = `arn:aws:ecs:${REGION}:${ACCOUNT}:service-revision/prod/api/9000000000000000009`;

const ecs = mockClient(ECSClient);

beforeEach(() => {
  ecs.reset();
  // Service revisions as ECS describes them: api:8 is the unhealthy revision, api:9 a newer push.
  ecs.on(DescribeServiceRevisionsCommand).callsFake((input: { serviceRevisionArns: string[] }) => ({
    serviceRevisions: input.serviceRevisionArns.flatMap((arn) =>
      arn === REVISION_8
        ? [{ serviceRevisionArn: arn, taskDefinition: API_8 }]
        : arn === REVISION_9
          ? [{ serviceRevisionArn: arn, taskDefinition: API_9 }]
          : [],
    ),
    failures: [],
  }));
});

describe('EcsDeploymentControl.stopDeploymentWithRollback', () => {
  it('stops the deployment in progress with ECS rollback', async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: DEPLOYMENT_ARN,
          serviceArn: SERVICE,
          clusterArn: CLUSTER,
          status: 'IN_PROGRESS',
          targetServiceRevisionArn: REVISION_8,
        },
      ],
    });
    ecs.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: DEPLOYMENT_ARN });
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const stopped = await control.stopDeploymentWithRollback(REF, API_8);

    // Assess
    expect(stopped).toBe(true);
    expect(ecs).toHaveReceivedCommandWith(ListServiceDeploymentsCommand, {
      cluster: CLUSTER,
      service: SERVICE,
      status: ['PENDING', 'IN_PROGRESS'],
    });
    expect(ecs).toHaveReceivedCommandTimes(StopServiceDeploymentCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(StopServiceDeploymentCommand, {
      serviceDeploymentArn: DEPLOYMENT_ARN,
      stopType: 'ROLLBACK',
    });
  });

  it('stops the deployment that rolls out the unhealthy revision, not a newer one', async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: `${DEPLOYMENT_ARN}-newer`,
          status: 'PENDING',
          targetServiceRevisionArn: REVISION_9,
        },
        { serviceDeploymentArn: DEPLOYMENT_ARN, status: 'IN_PROGRESS', targetServiceRevisionArn: REVISION_8 },
      ],
    });
    ecs.on(StopServiceDeploymentCommand).resolves({ serviceDeploymentArn: DEPLOYMENT_ARN });
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const stopped = await control.stopDeploymentWithRollback(REF, API_8);

    // Assess
    expect(stopped).toBe(true);
    expect(ecs).toHaveReceivedCommandWith(DescribeServiceRevisionsCommand, {
      serviceRevisionArns: [REVISION_9, REVISION_8],
    });
    expect(ecs).toHaveReceivedCommandTimes(StopServiceDeploymentCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(StopServiceDeploymentCommand, {
      serviceDeploymentArn: DEPLOYMENT_ARN,
    });
  });

  it('answers false when the deployment in progress rolls out another revision', async () => {
    // Prepare: the unhealthy deployment finished; a newer push is rolling out.
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: `${DEPLOYMENT_ARN}-newer`,
          status: 'IN_PROGRESS',
          targetServiceRevisionArn: REVISION_9,
        },
      ],
    });
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const stopped = await control.stopDeploymentWithRollback(REF, API_8);

    // Assess
    expect(stopped).toBe(false);
    expect(ecs).not.toHaveReceivedCommand(StopServiceDeploymentCommand);
  });

  it.each([
    { name: 'an empty list', listed: { serviceDeployments: [] } },
    { name: 'no list at all', listed: {} },
    {
      name: 'a deployment without an ARN',
      listed: { serviceDeployments: [{ status: 'IN_PROGRESS' as const }] },
    },
  ])('answers false when ECS has no deployment in progress ($name)', async ({ listed }) => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves(listed);
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const stopped = await control.stopDeploymentWithRollback(REF, API_8);

    // Assess
    expect(stopped).toBe(false);
    expect(ecs).not.toHaveReceivedCommand(StopServiceDeploymentCommand);
  });

  it.each([
    {
      name: 'ConflictException (the deployment finished meanwhile)',
      error: new ConflictException({
        message: 'The service deployment is not in progress',
        $metadata: failedRequestMetadata(),
      }),
    },
    {
      name: 'InvalidParameterException (ROLLBACK not possible)',
      error: new InvalidParameterException({
        message: 'Cannot roll back',
        $metadata: failedRequestMetadata(),
      }),
    },
    {
      name: 'UnsupportedFeatureException',
      error: new UnsupportedFeatureException({
        message: 'Not supported in this region',
        $metadata: failedRequestMetadata(),
      }),
    },
    {
      name: 'ServiceDeploymentNotFoundException',
      error: new ServiceDeploymentNotFoundException({
        message: 'not found',
        $metadata: failedRequestMetadata(),
      }),
    },
  ])('answers false when ECS refuses to stop it: $name', async ({ error }) => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT_ARN, targetServiceRevisionArn: REVISION_8 }],
    });
    ecs.on(StopServiceDeploymentCommand).rejects(error);
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const stopped = await control.stopDeploymentWithRollback(REF, API_8);

    // Assess
    expect(ecs).toHaveReceivedCommandTimes(StopServiceDeploymentCommand, 1);
    expect(stopped).toBe(false);
  });

  it('answers false when listing is refused as invalid (ListServiceDeployments unsupported for the service)', async () => {
    // Prepare
    ecs
      .on(ListServiceDeploymentsCommand)
      .rejects(
        new InvalidParameterException({ message: 'not supported', $metadata: failedRequestMetadata() }),
      );
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const stopped = await control.stopDeploymentWithRollback(REF, API_8);

    // Assess
    expect(stopped).toBe(false);
    expect(ecs).not.toHaveReceivedCommand(StopServiceDeploymentCommand);
  });

  it('classifies throttling as retryable', async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT_ARN, targetServiceRevisionArn: REVISION_8 }],
    });
    ecs.on(StopServiceDeploymentCommand).rejects(throttlingError(ECSServiceException));
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const result = control.stopDeploymentWithRollback(REF, API_8);

    // Assess
    await expect(result).rejects.toBeInstanceOf(RetryableError);
    await expect(result).rejects.toThrow(
      `StopServiceDeployment ${CLUSTER}/${SERVICE} failed: ThrottlingException: Rate exceeded`,
    );
  });

  it('classifies throttling of the listing as retryable', async () => {
    // Prepare
    ecs.on(ListServiceDeploymentsCommand).rejects(throttlingError(ECSServiceException));
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const result = control.stopDeploymentWithRollback(REF, API_8);

    // Assess
    await expect(result).rejects.toBeInstanceOf(RetryableError);
    expect(ecs).not.toHaveReceivedCommand(StopServiceDeploymentCommand);
  });

  it('classifies a missing permission as permanent, keeping the cause', async () => {
    // Prepare
    const denied = new AccessDeniedException({
      message: 'not authorized to perform: ecs:StopServiceDeployment',
      $metadata: failedRequestMetadata(),
    });
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: DEPLOYMENT_ARN, targetServiceRevisionArn: REVISION_8 }],
    });
    ecs.on(StopServiceDeploymentCommand).rejects(denied);
    const control = new EcsDeploymentControl(new ECSClient({}));

    // Act
    const error = await control.stopDeploymentWithRollback(REF, API_8).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).cause).toBe(denied);
  });
});
