/**
 * What rollback changes in Amazon ECS: the reader and UpdateService ({@link EcsServiceUpdater}), and
 * RegisterTaskDefinition of a rollback target's copy pinned to the digests it ran when it was known
 * good (a revision naming tags would run what they point at now).
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

/** Reads ECS, points services at revisions and registers pinned copies through the AWS SDK. */
export class EcsRollbackPlatform
  extends EcsServiceUpdater
  implements Pick<ContainerPlatform, 'registerTaskDefinition'>
{
  private readonly registerClient: ECSClient;

  /**
   * @param client - the ECS client; the shared traced one by default
   * @param registerClient - the client RegisterTaskDefinition goes through: by default one the SDK
   *   does not retry, since a call retried after its answer was lost registers a second revision (the
   *   use case records the copy it registered and reuses it on the event's retry); `client` when only
   *   that is given (tests)
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
}
