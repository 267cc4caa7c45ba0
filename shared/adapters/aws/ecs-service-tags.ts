/**
 * The tags of one ECS service, for notification routes that filter on them (e.g. team -> channel).
 * Only DescribeServices: the notifier reads nothing else from ECS.
 */
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { classifyAwsError, PERMANENT_ECS_ERRORS } from './aws-errors';
import { cachedClient, clientConfig } from './clients';

/** Reads a service's tags, cached for the life of the instance (one invocation). */
export class EcsServiceTags {
  private readonly cache = new Map<string, Promise<Record<string, string> | undefined>>();

  /** @param client - the ECS client; the shared traced one by default */
  constructor(
    private readonly client: ECSClient = cachedClient('ecs', () => new ECSClient(clientConfig())),
  ) {}

  /** The service's tags, or undefined when the service does not exist. */
  tagsOf(cluster: string, service: string): Promise<Record<string, string> | undefined> {
    const key = `${cluster}/${service}`;
    let tags = this.cache.get(key);
    if (!tags) {
      tags = this.describe(cluster, service);
      this.cache.set(key, tags);
    }
    return tags;
  }

  private async describe(cluster: string, service: string): Promise<Record<string, string> | undefined> {
    try {
      const out = await this.client.send(
        new DescribeServicesCommand({ cluster, services: [service], include: ['TAGS'] }),
      );
      const found = out.services?.[0];
      if (!found) return undefined;
      return Object.fromEntries((found.tags ?? []).flatMap((t) => (t.key ? [[t.key, t.value ?? '']] : [])));
    } catch (error) {
      throw classifyAwsError(error, `DescribeServices ${cluster}/${service}`, PERMANENT_ECS_ERRORS);
    }
  }
}
