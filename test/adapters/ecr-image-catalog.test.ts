import 'aws-sdk-client-mock-jest';
import {
  DescribeImagesCommand,
  ECRClient,
  ECRServiceException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { EcrImageCatalog } from '../../shared/adapters/aws/ecr-image-catalog';
import { PermanentError, RetryableError } from '../../shared/errors';
import { failedRequestMetadata, throttlingError, unmodeledAwsError } from '../support/aws-errors';

const REPOSITORY = { registryId: '123456789012', repositoryName: 'team/payments' };
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const PUSHED_AT = new Date('2026-01-13T09:00:00.000Z');

const ecr = mockClient(ECRClient);

beforeEach(() => {
  ecr.reset();
});

describe('EcrImageCatalog.taggedImages', () => {
  it('reads the tagged images page by page, with their tags and push times', async () => {
    // Prepare
    ecr
      .on(DescribeImagesCommand)
      .resolvesOnce({
        imageDetails: [{ imageDigest: digest(1), imageTags: ['1.4.0', 'stable'], imagePushedAt: PUSHED_AT }],
        nextToken: 'page-2',
      })
      .resolvesOnce({ imageDetails: [{ imageDigest: digest(2), imageTags: ['1.5.0'] }] });
    const catalog = new EcrImageCatalog(new ECRClient({}));

    // Act
    const read = await catalog.taggedImages(REPOSITORY, 10_000);

    // Assess
    expect(read).toEqual({
      images: [
        { digest: digest(1), tags: ['1.4.0', 'stable'], pushedAt: '2026-01-13T09:00:00.000Z' },
        { digest: digest(2), tags: ['1.5.0'] },
      ],
      more: false,
    });
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
    expect(ecr).toHaveReceivedNthCommandWith(1, DescribeImagesCommand, {
      registryId: '123456789012',
      repositoryName: 'team/payments',
      filter: { tagStatus: 'TAGGED' },
      maxResults: 1000,
      nextToken: undefined,
    });
    expect(ecr).toHaveReceivedNthCommandWith(2, DescribeImagesCommand, { nextToken: 'page-2' });
  });

  it('stops past the limit and says there are more, rather than read every page', async () => {
    // Prepare: pages of three images, always another page
    let n = 0;
    ecr.on(DescribeImagesCommand).callsFake(() => ({
      imageDetails: [1, 2, 3].map(() => ({ imageDigest: digest(++n), imageTags: [`build-${n}`] })),
      nextToken: 'more',
    }));
    const catalog = new EcrImageCatalog(new ECRClient({}));

    // Act
    const read = await catalog.taggedImages(REPOSITORY, 5);

    // Assess
    expect(read.more).toBe(true);
    expect(read.images.map((i) => i.tags[0])).toEqual([
      'build-1',
      'build-2',
      'build-3',
      'build-4',
      'build-5',
    ]);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
  });

  it('reads no image of a repository that does not exist', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).rejects(
      new RepositoryNotFoundException({
        message:
          "The repository with name 'team/payments' does not exist in the registry with id '123456789012'",
        $metadata: failedRequestMetadata(),
      }),
    );
    const catalog = new EcrImageCatalog(new ECRClient({}));

    // Act
    const read = await catalog.taggedImages(REPOSITORY, 10_000);

    // Assess
    expect(read).toEqual({ images: [], more: false });
  });

  it.each([
    [
      'a refusal as permanent',
      unmodeledAwsError(ECRServiceException, 'AccessDeniedException', 'not authorized: ecr:DescribeImages'),
      PermanentError,
    ],
    ['throttling left after the retries as retryable', throttlingError(ECRServiceException), RetryableError],
  ])('classifies %s', async (_name, error, type) => {
    // Prepare
    ecr.on(DescribeImagesCommand).rejects(error);
    const catalog = new EcrImageCatalog(new ECRClient({}));

    // Act
    const read = catalog.taggedImages(REPOSITORY, 10_000);

    // Assess
    await expect(read).rejects.toBeInstanceOf(type);
    await expect(read).rejects.toThrow(/DescribeImages team\/payments failed/);
  });
});
