/**
 * Tag policies on Amazon ECR (issue 14): {@link TaggedResourceReader} for repositories and
 * {@link TagWriter} for their tags. A sweep page is DescribeRepositories (100 a page, not ECR's 1,000:
 * each repository costs a ListTagsForResource anyway, since ECR has no batch tag read, so a page of
 * 100 keeps a page's time and its changes the size of an ECS page) and one ListTagsForResource per
 * repository. Throttling is retried by the SDK's standard retry (clients.ts).
 */
import {
  DescribeRepositoriesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  type Repository,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-ecr';
import { parseRepositoryArn } from '../../domain/aws/arn';
import type { TagResourceView } from '../../domain/tags/evaluate';
import type { TagResourceType } from '../../domain/tags/tag-rules';
import type { TaggedResourcePage, TaggedResourceReader, TagWriteResult, TagWriter } from '../../ports';
import { awsErrorName, classifyAwsError, tagWriteOutcome } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

const PAGE = 100;
const PERMANENT_ECR_ERRORS = ['InvalidParameterException', 'AccessDeniedException'];
/** ECR's answers to a tag write that no retry changes. */
const REFUSED = [
  'InvalidParameterException',
  'InvalidTagParameterException',
  'TooManyTagsException',
  'RepositoryNotFoundException',
];
const ECR_ARN = /^arn:aws[a-z-]*:ecr:/;

const ecrClient = () => cachedClient('ecr', () => new ECRClient(clientConfig()));

/** Reads ECR repositories with their tags through the AWS SDK. */
export class EcrTaggedResources implements TaggedResourceReader {
  readonly types: readonly TagResourceType[] = ['ecr:repository'];

  /** @param client - the ECR client; the shared traced one by default */
  constructor(private readonly client: ECRClient = ecrClient()) {}

  reads(arn: string): boolean {
    return ECR_ARN.test(arn);
  }

  async readPage(token?: string): Promise<TaggedResourcePage> {
    let out: { repositories?: Repository[]; nextToken?: string };
    try {
      out = await this.client.send(
        new DescribeRepositoriesCommand({ maxResults: PAGE, ...(token ? { nextToken: token } : {}) }),
      );
    } catch (error) {
      // A token ECR no longer takes: the listing starts again rather than failing on every run.
      if (token && awsErrorName(error) === 'InvalidParameterException') return this.readPage();
      throw classifyAwsError(error, 'DescribeRepositories', PERMANENT_ECR_ERRORS);
    }
    const resources: TagResourceView[] = [];
    for (const repository of out.repositories ?? []) {
      const view = await this.viewOf(repository);
      if (view) resources.push(view);
    }
    return { resources, ...(out.nextToken ? { next: out.nextToken } : {}) };
  }

  async readResource(arn: string): Promise<TagResourceView | undefined> {
    const parsed = parseRepositoryArn(arn);
    if (!parsed) return undefined;
    try {
      const out = await this.client.send(
        new DescribeRepositoriesCommand({
          registryId: parsed.account,
          repositoryNames: [parsed.repositoryName],
        }),
      );
      const found = out.repositories?.[0];
      return found ? this.viewOf(found) : undefined;
    } catch (error) {
      if (awsErrorName(error) === 'RepositoryNotFoundException') return undefined;
      throw classifyAwsError(error, `DescribeRepositories ${parsed.repositoryName}`, PERMANENT_ECR_ERRORS);
    }
  }

  /** The repository with its tags (ListTagsForResource); undefined when it went meanwhile. */
  private async viewOf(repository: Repository): Promise<TagResourceView | undefined> {
    const arn = repository.repositoryArn ?? '';
    try {
      const out = await this.client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      return {
        type: 'ecr:repository',
        arn,
        name: repository.repositoryName ?? '',
        tags: Object.fromEntries((out.tags ?? []).flatMap((t) => (t.Key ? [[t.Key, t.Value ?? '']] : []))),
        parentTags: {},
      };
    } catch (error) {
      if (awsErrorName(error) === 'RepositoryNotFoundException') return undefined;
      throw classifyAwsError(error, `ListTagsForResource ${arn}`, PERMANENT_ECR_ERRORS);
    }
  }
}

/** ECR TagResource / UntagResource. */
export class EcrTagWriter implements TagWriter {
  /** @param client - the ECR client; the shared traced one by default */
  constructor(private readonly client: ECRClient = ecrClient()) {}

  writes(arn: string): boolean {
    return ECR_ARN.test(arn);
  }

  tagResource(arn: string, tags: Readonly<Record<string, string>>): Promise<TagWriteResult> {
    const list = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    return this.write(`TagResource ${arn}`, () =>
      this.client.send(new TagResourceCommand({ resourceArn: arn, tags: list })),
    );
  }

  untagResource(arn: string, keys: readonly string[]): Promise<TagWriteResult> {
    return this.write(`UntagResource ${arn}`, () =>
      this.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [...keys] })),
    );
  }

  private write(what: string, send: () => Promise<unknown>): Promise<TagWriteResult> {
    return tagWriteOutcome(what, send, REFUSED, PERMANENT_ECR_ERRORS);
  }
}
