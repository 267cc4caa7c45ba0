/**
 * {@link ServiceHistory} on the autopilot table: `HIST#<cluster>/<service>` / `<at>#<eventId>`, one
 * item per event about the service, kept 90 days (TTL). The same event recorded again (a retry of the
 * notifier) writes the same item.
 */
import type { HistoryEntry, ServiceHistory } from '../../ports';
import { DAY, DynamoTableStore, recordOf } from './dynamo-table';
import { historyKey, historyOf } from './keys';

const HISTORY_TTL = 90 * DAY;

/** The history of services in DynamoDB. */
export class DynamoServiceHistory extends DynamoTableStore implements ServiceHistory {
  async record(entry: HistoryEntry): Promise<void> {
    await this.table.put({
      ...historyKey(entry.cluster, entry.service, entry.at, entry.eventId),
      ...entry,
      expiresAt: this.table.expiresIn(HISTORY_TTL),
    });
  }

  async recent(cluster: string, service: string, limit: number): Promise<HistoryEntry[]> {
    const items = await this.table.query(historyOf(cluster, service), { newest: limit });
    return items.map((item) => recordOf<HistoryEntry>(item));
  }
}
