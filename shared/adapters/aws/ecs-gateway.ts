/**
 * {@link ContainerPlatform} on Amazon ECS: reads, service updates, and registering revisions.
 */
import {
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import type { ContainerPlatform, TaskDefinitionDocument } from '../../ports';
import { classifyAwsError } from './aws-errors';
import { cachedClient, clientConfig } from './clients';
import { PERMANENT_ECS_ERRORS } from './ecs-reader';
import { EcsServiceUpdater } from './ecs-service-updater';

/** How many of a family's latest revisions {@link EcsGateway.findRevision} describes at most. */
const FIND_LIMIT = 10;
/** ECS's clock and the function's may differ: revisions this much older than asked are still looked at. */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Reads and changes ECS through the AWS SDK. */
export class EcsGateway extends EcsServiceUpdater implements ContainerPlatform {
  private readonly registerClient: ECSClient;

  /**
   * @param client - the ECS client; the shared traced one by default
   * @param registerClient - the client RegisterTaskDefinition goes through: by default one the SDK
   *   does not retry, since a call retried after its answer was lost registers a second revision (the
   *   caller looks for the first with {@link findRevision} before registering again); `client` when
   *   only that is given (tests)
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
