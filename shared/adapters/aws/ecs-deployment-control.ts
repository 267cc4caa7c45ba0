/**
 * {@link DeploymentControl} on Amazon ECS: stopping an in-progress deployment with ECS's own rollback
 * (ListServiceDeployments, DescribeServiceRevisions to find the one rolling out the unhealthy
 * revision, StopServiceDeployment with stop type ROLLBACK).
 */
import {
  DescribeServiceRevisionsCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
} from '@aws-sdk/client-ecs';
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

  async stopDeploymentWithRollback(ref: ServiceRef, taskDefinitionArn: string): Promise<boolean> {
    try {
      const listed = await this.client.send(
        new ListServiceDeploymentsCommand({
          cluster: ref.cluster,
          service: ref.service,
          status: ['PENDING', 'IN_PROGRESS'],
        }),
      );
      const ongoing = (listed.serviceDeployments ?? []).filter(
        (d) => d.serviceDeploymentArn !== undefined && d.targetServiceRevisionArn !== undefined,
      );
      if (ongoing.length === 0) return false;
      // Only the deployment rolling out the unhealthy revision: one that started since (a newer push,
      // a person) must not be stopped in its place. None found: the caller updates the service instead.
      const described = await this.client.send(
        new DescribeServiceRevisionsCommand({
          serviceRevisionArns: ongoing.slice(0, 20).map((d) => d.targetServiceRevisionArn ?? ''),
        }),
      );
      const unhealthy = new Set(
        (described.serviceRevisions ?? [])
          .filter((r) => r.taskDefinition === taskDefinitionArn)
          .map((r) => r.serviceRevisionArn),
      );
      const target = ongoing.find((d) => unhealthy.has(d.targetServiceRevisionArn))?.serviceDeploymentArn;
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
