/**
 * {@link ContainerPlatform} on Amazon ECS.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  paginateListClusters,
  paginateListServices,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { ContainerPlatform, ServiceRef, ServiceState, TaskDefinitionDocument } from '../../ports';
import { awsErrorName, classifyAwsError } from './aws-errors';
import { ecsClient } from './clients';

/** DescribeServices accepts at most ten services per call. */
const DESCRIBE_BATCH = 10;

/** Errors after which retrying the same request cannot succeed. */
const PERMANENT = [
  'ClientException',
  'InvalidParameterException',
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'ServiceNotActiveException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'AccessDeniedException',
  'UnsupportedFeatureException',
];

/** The cluster name from a cluster ARN (or the name itself). */
export function clusterNameOf(cluster: string): string {
  return cluster.includes(':cluster/') ? (cluster.split(':cluster/')[1] ?? cluster) : cluster;
}

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
  };
}

/** ECS through the AWS SDK. */
export class EcsGateway implements ContainerPlatform {
  /** @param client - the ECS client; the shared traced one by default */
  constructor(private readonly client: ECSClient = ecsClient()) {}

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
          throw classifyAwsError(error, `DescribeServices ${cluster}`, PERMANENT);
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
      throw classifyAwsError(error, `DescribeTaskDefinition ${arn}`, PERMANENT);
    }
  }

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
      throw classifyAwsError(error, `RegisterTaskDefinition ${doc.definition.family}`, PERMANENT);
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
      throw classifyAwsError(error, `UpdateService ${ref.cluster}/${ref.service}`, PERMANENT);
    }
  }

  async listClusters(): Promise<string[]> {
    const arns: string[] = [];
    for await (const page of paginateListClusters({ client: this.client }, {}))
      arns.push(...(page.clusterArns ?? []));
    return arns;
  }

  async listServices(clusterArn: string): Promise<string[]> {
    const arns: string[] = [];
    for await (const page of paginateListServices({ client: this.client }, { cluster: clusterArn })) {
      arns.push(...(page.serviceArns ?? []));
    }
    return arns;
  }
}
