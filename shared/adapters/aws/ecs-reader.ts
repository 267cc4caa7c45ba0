/**
 * Reading ECS services and task definitions: what both deploying and indexing need.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import { clusterNameOf } from '../../domain/aws/arn';
import type { ServiceReader, ServiceRef, ServiceState, TaskDefinitionDocument } from '../../ports';
import { awsErrorName, classifyAwsError, PERMANENT_ECS_ERRORS } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** DescribeServices accepts at most ten services per call. */
const DESCRIBE_BATCH = 10;

export { PERMANENT_ECS_ERRORS } from './aws-errors';

function toServiceState(service: Service): ServiceState {
  return {
    arn: service.serviceArn ?? '',
    name: service.serviceName ?? '',
    clusterArn: service.clusterArn ?? '',
    clusterName: clusterNameOf(service.clusterArn ?? ''),
    status: service.status ?? 'UNKNOWN',
    tags: Object.fromEntries((service.tags ?? []).map((t) => [t.key ?? '', t.value ?? ''])),
    deploymentController: service.deploymentController?.type ?? 'ECS',
    taskDefinitionArn: service.taskDefinition ?? '',
    launchType: service.launchType,
    capacityProviders: (service.capacityProviderStrategy ?? []).map((c) => c.capacityProvider ?? ''),
    loadBalancerCount: service.loadBalancers?.length ?? 0,
    ...(service.currentServiceRevisions
      ? { currentServiceRevisions: service.currentServiceRevisions.flatMap((r) => (r.arn ? [r.arn] : [])) }
      : {}),
    deployments: (service.deployments ?? []).map((d) => ({
      id: d.id ?? '',
      status: d.status ?? '',
      taskDefinitionArn: d.taskDefinition ?? '',
      rolloutState: d.rolloutState,
      createdAt: d.createdAt?.toISOString(),
      updatedAt: d.updatedAt?.toISOString(),
    })),
    deploymentConfiguration: {
      circuitBreaker: {
        enable: service.deploymentConfiguration?.deploymentCircuitBreaker?.enable ?? false,
        rollback: service.deploymentConfiguration?.deploymentCircuitBreaker?.rollback ?? false,
      },
      alarmRollback:
        (service.deploymentConfiguration?.alarms?.enable ?? false) &&
        (service.deploymentConfiguration?.alarms?.rollback ?? false),
      strategy: service.deploymentConfiguration?.strategy ?? 'ROLLING',
    },
  };
}

/** Reads ECS through the AWS SDK. */
export class EcsReader implements ServiceReader {
  /** @param client - the ECS client; the shared traced one by default */
  constructor(
    protected readonly client: ECSClient = cachedClient('ecs', () => new ECSClient(clientConfig())),
  ) {}

  async describeServices(refs: readonly ServiceRef[]): Promise<ServiceState[]> {
    const byCluster = new Map<string, string[]>();
    for (const ref of refs) byCluster.set(ref.cluster, [...(byCluster.get(ref.cluster) ?? []), ref.service]);
    const found: ServiceState[] = [];
    for (const [cluster, services] of byCluster) {
      for (let i = 0; i < services.length; i += DESCRIBE_BATCH) {
        const batch = services.slice(i, i + DESCRIBE_BATCH);
        try {
          const out = await this.client.send(
            new DescribeServicesCommand({ cluster, services: batch, include: ['TAGS'] }),
          );
          found.push(...(out.services ?? []).map(toServiceState));
        } catch (error) {
          // A deleted cluster means its services are gone, not that the push failed.
          if (awsErrorName(error) === 'ClusterNotFoundException') continue;
          throw classifyAwsError(error, `DescribeServices ${cluster}`, PERMANENT_ECS_ERRORS);
        }
      }
    }
    return found;
  }

  async describeTaskDefinition(arn: string): Promise<TaskDefinitionDocument | undefined> {
    try {
      const out = await this.client.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ['TAGS'] }),
      );
      if (!out.taskDefinition?.family) return undefined;
      const definition = out.taskDefinition as TaskDefinitionDocument['definition'];
      return {
        definition,
        tags: (out.tags ?? []).map((t) => ({ key: t.key ?? '', value: t.value ?? '' })),
      };
    } catch (error) {
      // ECS answers ClientException "Unable to describe task definition" for one that does not exist.
      if (awsErrorName(error) === 'ClientException') return undefined;
      throw classifyAwsError(error, `DescribeTaskDefinition ${arn}`, PERMANENT_ECS_ERRORS);
    }
  }
}
