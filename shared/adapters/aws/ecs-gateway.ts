/**
 * {@link ContainerPlatform} on Amazon ECS: reads, service updates, and registering revisions.
 */
import { RegisterTaskDefinitionCommand, type RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { ContainerPlatform, TaskDefinitionDocument } from '../../ports';
import { classifyAwsError } from './aws-errors';
import { PERMANENT_ECS_ERRORS } from './ecs-reader';
import { EcsServiceUpdater } from './ecs-service-updater';

/** Reads and changes ECS through the AWS SDK. */
export class EcsGateway extends EcsServiceUpdater implements ContainerPlatform {
  async registerTaskDefinition(doc: TaskDefinitionDocument): Promise<string> {
    const input = {
      ...doc.definition,
      ...(doc.tags.length > 0 ? { tags: doc.tags } : {}),
    } as RegisterTaskDefinitionCommandInput;
    try {
      const out = await this.client.send(new RegisterTaskDefinitionCommand(input));
      const arn = out.taskDefinition?.taskDefinitionArn;
      if (!arn) throw new Error('RegisterTaskDefinition returned no ARN');
      return arn;
    } catch (error) {
      throw classifyAwsError(error, `RegisterTaskDefinition ${doc.definition.family}`, PERMANENT_ECS_ERRORS);
    }
  }
}
