/**
 * The tag policy adapters' answers to AWS errors, on aws-sdk-client-mock: a refusal no retry changes
 * (ECS's InvalidParameterException for an old-format ARN, ECR's TooManyTagsException) is answered,
 * never thrown or retried; throttling left after the SDK's own retries is a RetryableError naming the
 * call; a denied call is a PermanentError; a sweep token ECS no longer takes restarts that cluster's
 * listing; ECS's 50 tags a call is kept.
 */
import 'aws-sdk-client-mock-jest';
import {
  ECRClient,
  TagResourceCommand as EcrTagResourceCommand,
  TooManyTagsException,
} from '@aws-sdk/client-ecr';
import {
  AccessDeniedException,
  DescribeClustersCommand,
  DescribeServicesCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  ListClustersCommand,
  ListServicesCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcrTagWriter } from '../../shared/adapters/aws/ecr-tags';
import { EcsTaggedResources, EcsTagWriter } from '../../shared/adapters/aws/ecs-tags';
import { PermanentError, RetryableError } from '../../shared/errors';
import { failedRequestMetadata, throttlingError } from '../support/aws-errors';

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const SERVICE = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api';
const LEGACY = 'arn:aws:ecs:eu-west-1:123456789012:service/api';
const REPOSITORY = 'arn:aws:ecr:eu-west-1:123456789012:repository/team/api';
const CLUSTER = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';

beforeEach(() => {
  ecs.reset();
  ecr.reset();
});

describe('EcsTagWriter', () => {
  it("answers ECS's refusal of an old-format ARN without retrying it", async () => {
    // Prepare
    ecs.on(TagResourceCommand).rejects(
      new InvalidParameterException({
        message: 'Long arn format must be used for tagging operations',
        $metadata: failedRequestMetadata(400),
      }),
    );

    // Act
    const result = await new EcsTagWriter(new ECSClient({})).tagResource(LEGACY, { owner: 'payments' });

    // Assess
    expect(result).toEqual({
      refused: 'InvalidParameterException: Long arn format must be used for tagging operations',
    });
    expect(ecs).toHaveReceivedCommandTimes(TagResourceCommand, 1);
  });

  it('throws throttling left after the SDK retries as a RetryableError naming the call', async () => {
    // Prepare
    ecs.on(TagResourceCommand).rejects(throttlingError(ECSServiceException));

    // Act
    const failed = new EcsTagWriter(new ECSClient({})).tagResource(SERVICE, { owner: 'payments' });

    // Assess
    await expect(failed).rejects.toThrow(RetryableError);
    await expect(failed).rejects.toThrow(`TagResource ${SERVICE} failed: ThrottlingException`);
  });

  it('sends at most 50 tags a call, as ECS takes them', async () => {
    // Prepare
    ecs.on(TagResourceCommand).resolves({});
    const tags = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, 'v']));

    // Act
    await new EcsTagWriter(new ECSClient({})).tagResource(SERVICE, tags);

    // Assess
    const sizes = ecs.commandCalls(TagResourceCommand).map((c) => c.args[0].input.tags?.length);
    expect(sizes).toEqual([50, 10]);
  });
});

describe('EcrTagWriter', () => {
  it("answers ECR's TooManyTagsException as a refusal", async () => {
    // Prepare
    ecr
      .on(EcrTagResourceCommand)
      .rejects(new TooManyTagsException({ message: 'too many tags', $metadata: failedRequestMetadata(400) }));

    // Act
    const result = await new EcrTagWriter(new ECRClient({})).tagResource(REPOSITORY, { owner: 'api' });

    // Assess
    expect(result).toEqual({ refused: 'TooManyTagsException: too many tags' });
  });
});

describe('EcsTaggedResources', () => {
  it('is a PermanentError when the role may not list clusters', async () => {
    // Prepare
    ecs
      .on(ListClustersCommand)
      .rejects(
        new AccessDeniedException({ message: 'not authorized', $metadata: failedRequestMetadata(400) }),
      );

    // Act
    const failed = new EcsTaggedResources(new ECSClient({})).readPage();

    // Assess
    await expect(failed).rejects.toThrow(PermanentError);
    await expect(failed).rejects.toThrow('ListClusters failed: AccessDeniedException: not authorized');
  });

  it("starts a cluster's service listing again when ECS no longer takes the sweep's token", async () => {
    // Prepare
    ecs
      .on(ListServicesCommand, { nextToken: 'expired' })
      .rejects(
        new InvalidParameterException({ message: 'invalid token', $metadata: failedRequestMetadata(400) }),
      );
    ecs.on(ListServicesCommand).resolves({ serviceArns: [SERVICE] });
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [{ serviceArn: SERVICE, serviceName: 'api', desiredCount: 2 }] });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterArn: CLUSTER, clusterName: 'prod' }] });
    const token = JSON.stringify({ s: 'services', cluster: CLUSTER, at: 0, token: 'expired' });

    // Act
    const page = await new EcsTaggedResources(new ECSClient({})).readPage(token);

    // Assess
    expect(page.resources.map((r) => r.arn)).toEqual([SERVICE]);
    expect(JSON.parse(page.next ?? '{}')).toEqual({ s: 'tasks', cluster: CLUSTER, at: 0 });
  });
});
