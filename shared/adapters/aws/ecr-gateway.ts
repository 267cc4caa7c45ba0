/**
 * {@link ImageRegistry} on Amazon ECR.
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import type { ImageDescription, ImageRegistry } from '../../ports';
import { awsErrorName, classifyAwsError } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** ECR through the AWS SDK. */
export class EcrGateway implements ImageRegistry {
  /** @param client - the ECR client; the shared traced one by default */
  constructor(
    private readonly client: ECRClient = cachedClient('ecr', () => new ECRClient(clientConfig())),
  ) {}

  async tagsOfDigest(
    repository: { registryId: string; repositoryName: string },
    digest: string,
  ): Promise<string[]> {
    try {
      const out = await this.client.send(
        new DescribeImagesCommand({
          registryId: repository.registryId,
          repositoryName: repository.repositoryName,
          imageIds: [{ imageDigest: digest }],
        }),
      );
      return out.imageDetails?.[0]?.imageTags ?? [];
    } catch (error) {
      const name = awsErrorName(error);
      // The running image was deleted or its repository is gone: it has no tags to compare against.
      if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') return [];
      throw classifyAwsError(error, `DescribeImages ${repository.repositoryName}@${digest}`, [
        'InvalidParameterException',
        'AccessDeniedException',
      ]);
    }
  }

  async digestOfTag(
    repository: { registryId: string; repositoryName: string },
    tag: string,
  ): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new DescribeImagesCommand({
          registryId: repository.registryId,
          repositoryName: repository.repositoryName,
          imageIds: [{ imageTag: tag }],
        }),
      );
      return out.imageDetails?.[0]?.imageDigest;
    } catch (error) {
      const name = awsErrorName(error);
      // The tag was deleted (or moved to no image) or the repository is gone: it points at nothing.
      if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') return undefined;
      throw classifyAwsError(error, `DescribeImages ${repository.repositoryName}:${tag}`, [
        'InvalidParameterException',
        'AccessDeniedException',
      ]);
    }
  }

  async describeImage(
    repository: { registryId: string; repositoryName: string },
    image: { tag: string } | { digest: string },
  ): Promise<ImageDescription | undefined> {
    const id = 'tag' in image ? { imageTag: image.tag } : { imageDigest: image.digest };
    const named = 'tag' in image ? `:${image.tag}` : `@${image.digest}`;
    try {
      const out = await this.client.send(
        new DescribeImagesCommand({
          registryId: repository.registryId,
          repositoryName: repository.repositoryName,
          imageIds: [id],
        }),
      );
      const detail = out.imageDetails?.[0];
      if (!detail?.imageDigest) return undefined;
      return {
        digest: detail.imageDigest,
        tags: detail.imageTags ?? [],
        ...(detail.imagePushedAt ? { pushedAt: detail.imagePushedAt.toISOString() } : {}),
      };
    } catch (error) {
      const name = awsErrorName(error);
      if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') return undefined;
      throw classifyAwsError(error, `DescribeImages ${repository.repositoryName}${named}`, [
        'InvalidParameterException',
        'AccessDeniedException',
      ]);
    }
  }
}
