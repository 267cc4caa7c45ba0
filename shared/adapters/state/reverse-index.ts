/**
 * A reverse index from names (repository keys, alarm names) to the services that listed them: one
 * item per name and service, in the name's partition, so a lookup is one query however large the
 * account; and per service the list of names it is indexed under, so replacing the list removes the
 * entries of the names it no longer lists. The repository index and the alarm index are two of these.
 */
import type { IndexedService } from '../../ports';
import type { DynamoTable } from './dynamo-table';
import type { ReverseIndexKeys } from './keys';

/** Where one reverse index keeps its items, and for how long. */
export interface ReverseIndexLayout extends ReverseIndexKeys {
  /** the attribute of the service's item holding the names */
  attribute: string;
  /** how long entries live unless indexed again (seconds) */
  ttlSeconds: number;
}

/** A reverse index on the autopilot table. */
export class ReverseIndex {
  constructor(
    private readonly table: DynamoTable,
    private readonly layout: ReverseIndexLayout,
  ) {}

  /** The services indexed under a name. */
  async lookup(name: string): Promise<IndexedService[]> {
    const items = await this.table.query(this.layout.entries(name), { consistent: false });
    return items.map((item) => ({
      serviceArn: String(item.serviceArn),
      clusterArn: String(item.clusterArn),
      serviceName: String(item.serviceName),
    }));
  }

  /** Indexes a service under exactly these names (dropping the others), renewing the TTL. */
  async replace(service: IndexedService, names: readonly string[]): Promise<void> {
    const before = await this.table.get(this.layout.namesOf(service.serviceArn));
    // Nothing listed, nothing to list: no empty list is written (most services name no alarm, and
    // the reconcile's first run wrote one for each).
    if (before === undefined && names.length === 0) return;
    for (const name of namesIn(before, this.layout.attribute).filter((n) => !names.includes(n))) {
      await this.table.delete(this.layout.entry(name, service.serviceArn));
    }
    const expiresAt = this.table.expiresIn(this.layout.ttlSeconds);
    for (const name of names) {
      await this.table.put({ ...this.layout.entry(name, service.serviceArn), ...service, expiresAt });
    }
    await this.table.put({
      ...this.layout.namesOf(service.serviceArn),
      [this.layout.attribute]: [...names],
      expiresAt,
    });
  }

  /** Removes a service from every name, and forgets its list. */
  async remove(serviceArn: string): Promise<void> {
    for (const name of await this.namesOf(serviceArn)) {
      await this.table.delete(this.layout.entry(name, serviceArn));
    }
    await this.table.delete(this.layout.namesOf(serviceArn));
  }

  private async namesOf(serviceArn: string): Promise<string[]> {
    return namesIn(await this.table.get(this.layout.namesOf(serviceArn)), this.layout.attribute);
  }
}

/** The names a service's list item holds. */
function namesIn(item: Record<string, unknown> | undefined, attribute: string): string[] {
  const names = item?.[attribute];
  return Array.isArray(names) ? names.map(String) : [];
}
