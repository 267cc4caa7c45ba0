/**
 * {@link ServiceInventory} on Amazon ECS: walking every cluster and service, for the periodic
 * reconcile of the repository index. Kept apart from the gateway so that only the indexer's role
 * needs the List permissions.
 */
import {
  ECSClient,
  ListServicesCommand,
  paginateListClusters,
  paginateListServices,
} from '@aws-sdk/client-ecs';
import type { ServiceInventory, ServicePage } from '../../ports';
import { awsErrorName, classifyAwsError } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** Lists ECS clusters and services through the AWS SDK. */
export class EcsInventory implements ServiceInventory {
  /** @param client - the ECS client; the shared traced one by default */
  constructor(
    private readonly client: ECSClient = cachedClient('ecs', () => new ECSClient(clientConfig())),
  ) {}

  async listClusters(): Promise<string[]> {
    const arns: string[] = [];
    try {
      for await (const page of paginateListClusters({ client: this.client }, {}))
        arns.push(...(page.clusterArns ?? []));
    } catch (error) {
      throw classifyAwsError(error, 'ListClusters', ['AccessDeniedException', 'InvalidParameterException']);
    }
    return arns;
  }

  async listServices(clusterArn: string): Promise<string[]> {
    const arns: string[] = [];
    try {
      for await (const page of paginateListServices({ client: this.client }, { cluster: clusterArn })) {
        arns.push(...(page.serviceArns ?? []));
      }
    } catch (error) {
      // Deleted between ListClusters and now: it has no services left to index.
      if (awsErrorName(error) === 'ClusterNotFoundException') return [];
      throw classifyAwsError(error, `ListServices ${clusterArn}`, [
        'AccessDeniedException',
        'InvalidParameterException',
      ]);
    }
    return arns;
  }

  async listServicePage(clusterArn: string, nextToken?: string): Promise<ServicePage> {
    try {
      // 100, ECS's most: a tenth of the calls of its default page of 10.
      const out = await this.client.send(
        new ListServicesCommand({
          cluster: clusterArn,
          maxResults: 100,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
      return { serviceArns: out.serviceArns ?? [], ...(out.nextToken ? { nextToken: out.nextToken } : {}) };
    } catch (error) {
      // Deleted between ListClusters and now: it has no services left to index.
      if (awsErrorName(error) === 'ClusterNotFoundException') return { serviceArns: [] };
      // A checkpoint's token ECS no longer takes: the cluster is walked again from its first page,
      // rather than the sweep failing there on every run.
      if (nextToken && awsErrorName(error) === 'InvalidParameterException')
        return this.listServicePage(clusterArn);
      throw classifyAwsError(error, `ListServices ${clusterArn}`, [
        'AccessDeniedException',
        'InvalidParameterException',
      ]);
    }
  }
}
