/**
 * {@link ServiceIndex} on the autopilot table: the repository index and the alarm index, two reverse
 * indexes (reverse-index.ts) with the items of keys.ts (`REPO#…` and `ALARM#…` entries, the service's
 * `REPOS` and `ALARMS` lists).
 */
import type { IndexedService, ServiceIndex } from '../../ports';
import { DAY, DynamoTableStore } from './dynamo-table';
import { alarmIndexKeys, repositoryIndexKeys } from './keys';
import { ReverseIndex } from './reverse-index';

/** Index entries not refreshed by events or the reconcile for this long are dropped by TTL. */
export const INDEX_TTL = 7 * DAY;

/** The repository and alarm indexes in DynamoDB. */
export class DynamoServiceIndex extends DynamoTableStore implements ServiceIndex {
  private readonly repositories = new ReverseIndex(this.table, {
    ...repositoryIndexKeys,
    attribute: 'repositories',
    ttlSeconds: INDEX_TTL,
  });

  private readonly alarms = new ReverseIndex(this.table, {
    ...alarmIndexKeys,
    attribute: 'alarms',
    ttlSeconds: INDEX_TTL,
  });

  servicesForRepository(repositoryKey: string): Promise<IndexedService[]> {
    return this.repositories.lookup(repositoryKey);
  }

  indexRepositories(service: IndexedService, repositoryKeys: readonly string[]): Promise<void> {
    return this.repositories.replace(service, repositoryKeys);
  }

  unindexRepositories(serviceArn: string): Promise<void> {
    return this.repositories.remove(serviceArn);
  }

  servicesForAlarm(alarmName: string): Promise<IndexedService[]> {
    return this.alarms.lookup(alarmName);
  }

  indexAlarms(service: IndexedService, alarmNames: readonly string[]): Promise<void> {
    return this.alarms.replace(service, alarmNames);
  }
}
