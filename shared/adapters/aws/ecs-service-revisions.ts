/**
 * {@link ServiceRevisionReader} on Amazon ECS: DescribeServiceRevisions, whose `containerImages` say
 * which digest each container's image resolved to when the revision's deployment started.
 */
import { DescribeServiceRevisionsCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { ServiceRevisionReader, ServiceRevisionState } from '../../ports';
import { classifyAwsError, PERMANENT_ECS_ERRORS } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** DescribeServiceRevisions accepts at most 20 ARNs per call. */
const DESCRIBE_BATCH = 20;

/** Reads service revisions through the AWS SDK. */
export class EcsServiceRevisions implements ServiceRevisionReader {
  /** @param client - the ECS client; the shared traced one by default */
  constructor(
    private readonly client: ECSClient = cachedClient('ecs', () => new ECSClient(clientConfig())),
  ) {}

  async describeServiceRevisions(arns: readonly string[]): Promise<ServiceRevisionState[]> {
    const found: ServiceRevisionState[] = [];
    for (let i = 0; i < arns.length; i += DESCRIBE_BATCH) {
      try {
        const out = await this.client.send(
          new DescribeServiceRevisionsCommand({ serviceRevisionArns: arns.slice(i, i + DESCRIBE_BATCH) }),
        );
        for (const revision of out.serviceRevisions ?? []) {
          if (!revision.serviceRevisionArn || !revision.taskDefinition) continue;
          found.push({
            arn: revision.serviceRevisionArn,
            taskDefinitionArn: revision.taskDefinition,
            images: (revision.containerImages ?? []).map((c) => ({
              container: c.containerName ?? '',
              image: c.image ?? '',
              ...(c.imageDigest ? { digest: c.imageDigest } : {}),
            })),
          });
        }
      } catch (error) {
        throw classifyAwsError(error, 'DescribeServiceRevisions', PERMANENT_ECS_ERRORS);
      }
    }
    return found;
  }
}
