/**
 * {@link ContainerPlatform} on Amazon ECS: the reader plus the two mutations deploy on push makes.
 */
import {
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { ContainerPlatform, ServiceRef, TaskDefinitionDocument } from '../../ports';
import { classifyAwsError } from './aws-errors';
import { EcsReader, PERMANENT_ECS_ERRORS } from './ecs-reader';

/** Reads and changes ECS through the AWS SDK. */
export class EcsGateway extends EcsReader implements ContainerPlatform {
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

  async updateService(ref: ServiceRef, taskDefinitionArn: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateServiceCommand({
          cluster: ref.cluster,
          service: ref.service,
          taskDefinition: taskDefinitionArn,
        }),
      );
    } catch (error) {
      throw classifyAwsError(error, `UpdateService ${ref.cluster}/${ref.service}`, PERMANENT_ECS_ERRORS);
    }
  }
}
