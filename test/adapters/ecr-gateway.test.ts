import 'aws-sdk-client-mock-jest';
import {
  DescribeImagesCommand,
  ECRClient,
  ECRServiceException,
  ImageNotFoundException,
  InvalidParameterException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { EcrGateway } from '../../shared/adapters/aws/ecr-gateway';
import { PermanentError, RetryableError } from '../../shared/errors';
import { failedRequestMetadata, throttlingError } from '../support/aws-errors';

const REPOSITORY = { registryId: '123456789012', repositoryName: 'payments/api' };
const DIGEST = `sha256:${'b'.repeat(64)}`;

const ecr = mockClient(ECRClient);

beforeEach(() => {
  ecr.reset();
});

describe('EcrGateway.tagsOfDigest', () => {
  it('describes the image by digest in the given registry and repository', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        {
          registryId: REPOSITORY.registryId,
          repositoryName: REPOSITORY.repositoryName,
          imageDigest: DIGEST,
          imageTags: ['1.4.2', 'latest'],
        },
      ],
    });
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const tags = await gateway.tagsOfDigest(REPOSITORY, DIGEST);

    // Assess
    expect(tags).toEqual(['1.4.2', 'latest']);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      registryId: '123456789012',
      repositoryName: 'payments/api',
      imageIds: [{ imageDigest: DIGEST }],
    });
  });

  it('returns no tags for an untagged image', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const tags = await gateway.tagsOfDigest(REPOSITORY, DIGEST);

    // Assess
    expect(tags).toEqual([]);
  });

  it.each([
    [
      'ImageNotFoundException',
      new ImageNotFoundException({
        message: `The image with imageId {imageDigest:'${DIGEST}', imageTag:'null'} does not exist within the repository with name 'payments/api' in the registry with id '123456789012'`,
        $metadata: failedRequestMetadata(),
      }),
    ],
    [
      'RepositoryNotFoundException',
      new RepositoryNotFoundException({
        message:
          "The repository with name 'payments/api' does not exist in the registry with id '123456789012'",
        $metadata: failedRequestMetadata(),
      }),
    ],
  ])('returns no tags on %s', async (_name, error) => {
    // Prepare
    ecr.on(DescribeImagesCommand).rejects(error);
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const tags = await gateway.tagsOfDigest(REPOSITORY, DIGEST);

    // Assess
    expect(tags).toEqual([]);
  });

  it('classifies throttling as retryable and keeps the SDK error as cause', async () => {
    // Prepare
    const throttled = throttlingError(ECRServiceException);
    ecr.on(DescribeImagesCommand).rejects(throttled);
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const error = await gateway.tagsOfDigest(REPOSITORY, DIGEST).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({
      message: `DescribeImages payments/api@${DIGEST} failed: ThrottlingException: Rate exceeded`,
      cause: throttled,
    });
  });

  it('classifies an invalid parameter as permanent', async () => {
    // Prepare
    const invalid = new InvalidParameterException({
      message: 'Invalid parameter at imageIds.1.member.imageDigest',
      $metadata: failedRequestMetadata(),
    });
    ecr.on(DescribeImagesCommand).rejects(invalid);
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const error = await gateway.tagsOfDigest(REPOSITORY, 'sha256:nothex').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).cause).toBe(invalid);
  });
});

describe('EcrGateway.digestOfTag', () => {
  it('describes the image by tag and answers its digest', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [{ imageDigest: DIGEST, imageTags: ['main', 'build-42'] }],
    });
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const digest = await gateway.digestOfTag(REPOSITORY, 'main');

    // Assess
    expect(digest).toBe(DIGEST);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      registryId: '123456789012',
      repositoryName: 'payments/api',
      imageIds: [{ imageTag: 'main' }],
    });
  });

  it.each([
    [
      'ImageNotFoundException',
      new ImageNotFoundException({
        message: `The image with imageId {imageDigest:'null', imageTag:'main'} does not exist within the repository with name 'payments/api' in the registry with id '123456789012'`,
        $metadata: failedRequestMetadata(),
      }),
    ],
    [
      'RepositoryNotFoundException',
      new RepositoryNotFoundException({
        message:
          "The repository with name 'payments/api' does not exist in the registry with id '123456789012'",
        $metadata: failedRequestMetadata(),
      }),
    ],
  ])('answers that the tag points at nothing on %s', async (_name, error) => {
    // Prepare
    ecr.on(DescribeImagesCommand).rejects(error);
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const digest = await gateway.digestOfTag(REPOSITORY, 'main');

    // Assess
    expect(digest).toBeUndefined();
  });

  it('classifies throttling as retryable, naming the tag', async () => {
    // Prepare
    const throttled = throttlingError(ECRServiceException);
    ecr.on(DescribeImagesCommand).rejects(throttled);
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const error = await gateway.digestOfTag(REPOSITORY, 'main').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({
      message: 'DescribeImages payments/api:main failed: ThrottlingException: Rate exceeded',
      cause: throttled,
    });
  });
});

describe('EcrGateway.describeImage', () => {
  it('describes an image by tag: its digest, every tag on it and when it was pushed', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        {
          imageDigest: DIGEST,
          imageTags: ['main', 'build-42'],
          imagePushedAt: new Date('2026-01-13T10:00:00.000Z'),
        },
      ],
    });
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const image = await gateway.describeImage(REPOSITORY, { tag: 'main' });

    // Assess
    expect(image).toEqual({
      digest: DIGEST,
      tags: ['main', 'build-42'],
      pushedAt: '2026-01-13T10:00:00.000Z',
    });
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      registryId: '123456789012',
      repositoryName: 'payments/api',
      imageIds: [{ imageTag: 'main' }],
    });
  });

  it('describes an untagged image by digest, without a push time when ECR gives none', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST }] });
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const image = await gateway.describeImage(REPOSITORY, { digest: DIGEST });

    // Assess
    expect(image).toEqual({ digest: DIGEST, tags: [] });
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, { imageIds: [{ imageDigest: DIGEST }] });
  });

  it('answers no image when ECR has none by that tag', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).rejects(
      new ImageNotFoundException({
        message: `The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository with name 'payments/api' in the registry with id '123456789012'`,
        $metadata: failedRequestMetadata(),
      }),
    );
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const image = await gateway.describeImage(REPOSITORY, { tag: 'nope' });

    // Assess
    expect(image).toBeUndefined();
  });

  it('classifies throttling as retryable, naming the digest', async () => {
    // Prepare
    const throttled = throttlingError(ECRServiceException);
    ecr.on(DescribeImagesCommand).rejects(throttled);
    const gateway = new EcrGateway(new ECRClient({}));

    // Act
    const error = await gateway.describeImage(REPOSITORY, { digest: DIGEST }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toBe(
      `DescribeImages payments/api@${DIGEST} failed: ThrottlingException: Rate exceeded`,
    );
  });
});
