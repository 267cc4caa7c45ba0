/**
 * {@link DeploymentControl} on Amazon ECS: stopping an in-progress deployment with ECS's own rollback
 * (ListServiceDeployments, StopServiceDeployment with stop type ROLLBACK).
 */
import { ECSClient, ListServiceDeploymentsCommand, StopServiceDeploymentCommand } from '@aws-sdk/client-ecs';
import type { DeploymentControl, ServiceRef } from '../../ports';
import { awsErrorName, classifyAwsError } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** ECS answers these when a deployment cannot be stopped (finished already, or not supported). */
const NOT_STOPPABLE = [
  'ConflictException',
  'InvalidParameterException',
  'UnsupportedFeatureException',
  'ServiceDeploymentNotFoundException',
  'ClientException',
];

/** Stops deployments through the AWS SDK. */
export class EcsDeploymentControl implements DeploymentControl {
  /** @param client - the ECS client; the shared traced one by default */
  constructor(
    private readonly client: ECSClient = cachedClient('ecs', () => new ECSClient(clientConfig())),
  ) {}

  async stopDeploymentWithRollback(ref: ServiceRef, _taskDefinitionArn: string): Promise<boolean> {
    try {
      const listed = await this.client.send(
        new ListServiceDeploymentsCommand({
          cluster: ref.cluster,
          service: ref.service,
          status: ['PENDING', 'IN_PROGRESS'],
        }),
      );
      // A rolling service has at most one deployment in progress: the unhealthy one.
      const target = listed.serviceDeployments?.[0]?.serviceDeploymentArn;
      if (!target) return false;
      await this.client.send(
        new StopServiceDeploymentCommand({ serviceDeploymentArn: target, stopType: 'ROLLBACK' }),
      );
      return true;
    } catch (error) {
      if (NOT_STOPPABLE.includes(awsErrorName(error) ?? '')) return false;
      throw classifyAwsError(error, `StopServiceDeployment ${ref.cluster}/${ref.service}`, [
        'AccessDeniedException',
      ]);
    }
  }
}
