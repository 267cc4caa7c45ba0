/**
 * {@link ImageCatalog} on Amazon ECR: a repository's tagged images, page by page. Only `autopilot
 * sync` reads it; no function's bundle holds it.
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import type { ImageCatalog, ImageDescription } from '../../ports';
import { awsErrorName, classifyAwsError } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** The most DescribeImages returns in one page. */
const PAGE_SIZE = 1000;

/** ECR's images through the AWS SDK (DescribeImages, which gives tags and push times with each image). */
export class EcrImageCatalog implements ImageCatalog {
  /** @param client - the ECR client; the shared traced one by default */
  constructor(
    private readonly client: ECRClient = cachedClient('ecr', () => new ECRClient(clientConfig())),
  ) {}

  async taggedImages(
    repository: { registryId: string; repositoryName: string },
    limit: number,
  ): Promise<{ images: ImageDescription[]; more: boolean }> {
    const images: ImageDescription[] = [];
    let nextToken: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new DescribeImagesCommand({
            registryId: repository.registryId,
            repositoryName: repository.repositoryName,
            filter: { tagStatus: 'TAGGED' },
            maxResults: PAGE_SIZE,
            nextToken,
          }),
        );
        for (const detail of out.imageDetails ?? []) {
          if (!detail.imageDigest) continue;
          images.push({
            digest: detail.imageDigest,
            tags: detail.imageTags ?? [],
            ...(detail.imagePushedAt ? { pushedAt: detail.imagePushedAt.toISOString() } : {}),
          });
        }
        nextToken = out.nextToken;
        // Bounded: past the limit the caller refuses rather than read a repository for ever.
        if (images.length > limit) return { images: images.slice(0, limit), more: true };
      } while (nextToken);
    } catch (error) {
      // A repository deleted (or never made) holds no image to choose.
      if (awsErrorName(error) === 'RepositoryNotFoundException') return { images: [], more: false };
      throw classifyAwsError(error, `DescribeImages ${repository.repositoryName}`, [
        'InvalidParameterException',
        'AccessDeniedException',
      ]);
    }
    return { images, more: false };
  }
}
