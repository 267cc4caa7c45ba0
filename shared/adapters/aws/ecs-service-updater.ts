/**
 * {@link ServiceUpdater} on Amazon ECS: the reader plus UpdateService (what rollback needs; it never
 * registers revisions, so its role does not grant that).
 */
import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { ServiceRef, ServiceUpdater } from '../../ports';
import { classifyAwsError } from './aws-errors';
import { EcsReader, PERMANENT_ECS_ERRORS } from './ecs-reader';

/** Reads ECS and points services at revisions through the AWS SDK. */
export class EcsServiceUpdater extends EcsReader implements ServiceUpdater {
  async updateService(ref: ServiceRef, taskDefinitionArn: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new UpdateServiceCommand({
          cluster: ref.cluster,
          service: ref.service,
          taskDefinition: taskDefinitionArn,
        }),
      );
      // The new PRIMARY deployment; none when the service uses another deployment controller.
      return out.service?.deployments?.find(
        (d) => d.status === 'PRIMARY' && d.taskDefinition === taskDefinitionArn,
      )?.id;
    } catch (error) {
      throw classifyAwsError(error, `UpdateService ${ref.cluster}/${ref.service}`, PERMANENT_ECS_ERRORS);
    }
  }
}
