/**
 * What rollback changes in Amazon ECS: the reader and UpdateService ({@link EcsServiceUpdater}), and
 * RegisterTaskDefinition of a rollback target's copy pinned to the digests it ran when it was known
 * good (a revision naming tags would run what they point at now), and finding such a copy again by its
 * tags when the answer of its RegisterTaskDefinition, or the record of it, was lost. Deploy on push's
 * `EcsGateway` is this too.
 */
import {
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import type { ContainerPlatform, TaskDefinitionDocument } from '../../ports';
import { classifyAwsError, PERMANENT_ECS_ERRORS } from './aws-errors';
import { cachedClient, clientConfig } from './clients';
import { EcsServiceUpdater } from './ecs-service-updater';

/** How many of a family's latest revisions {@link EcsRollbackPlatform.findRevision} describes at most. */
const FIND_LIMIT = 10;
/** ECS's clock and the function's may differ: revisions this much older than asked are still looked at. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Reads ECS, points services at revisions, registers revisions and finds them again, through the AWS SDK. */
export class EcsRollbackPlatform
  extends EcsServiceUpdater
  implements Pick<ContainerPlatform, 'registerTaskDefinition' | 'findRevision'>
{
  private readonly registerClient: ECSClient;

  /**
   * @param client - the ECS client; the shared traced one by default
   * @param registerClient - the client RegisterTaskDefinition goes through: by default one the SDK
   *   does not retry, since a call retried after its answer was lost registers a second revision (the
   *   use case records the copy it registered, or finds it by its tags, and reuses it on the event's
   *   retry); `client` when only that is given (tests)
   */
  constructor(client?: ECSClient, registerClient?: ECSClient) {
    super(client);
    this.registerClient =
      registerClient ??
      client ??
      cachedClient('ecs-register', () => new ECSClient({ ...clientConfig(), maxAttempts: 1 }));
  }

  async registerTaskDefinition(doc: TaskDefinitionDocument): Promise<string> {
    const input = {
      ...doc.definition,
      ...(doc.tags.length > 0 ? { tags: doc.tags } : {}),
    } as RegisterTaskDefinitionCommandInput;
    try {
      const out = await this.registerClient.send(new RegisterTaskDefinitionCommand(input));
      const arn = out.taskDefinition?.taskDefinitionArn;
      if (!arn) throw new Error('RegisterTaskDefinition returned no ARN');
      return arn;
    } catch (error) {
      throw classifyAwsError(error, `RegisterTaskDefinition ${doc.definition.family}`, PERMANENT_ECS_ERRORS);
    }
  }

  /**
   * Walks the family down from its latest ACTIVE revision with DescribeTaskDefinition (tags included),
   * the one call the role grants for task definitions, until a revision registered before
   * `registeredSince` (less the clock skew) or {@link FIND_LIMIT} revisions.
   */
  async findRevision(
    family: string,
    tags: readonly { key: string; value: string }[],
    registeredSince: string,
  ): Promise<string | undefined> {
    const since = new Date(registeredSince).getTime() - CLOCK_SKEW_MS;
    const latest = await this.describeTaskDefinition(family);
    let revision = Number(latest?.definition.revision);
    for (let looked = 0; looked < FIND_LIMIT && Number.isInteger(revision) && revision > 0; looked++) {
      const doc = looked === 0 ? latest : await this.describeTaskDefinition(`${family}:${revision}`);
      // A revision deleted meanwhile is skipped; one registered too early ends the walk.
      if (doc) {
        const registeredAt = new Date((doc.definition.registeredAt as string | Date | undefined) ?? 0);
        if (registeredAt.getTime() < since) return undefined;
        const carries = tags.every((t) => doc.tags.some((own) => own.key === t.key && own.value === t.value));
        const arn = doc.definition.taskDefinitionArn;
        if (carries && typeof arn === 'string') return arn;
      }
      revision -= 1;
    }
    return undefined;
  }
}
