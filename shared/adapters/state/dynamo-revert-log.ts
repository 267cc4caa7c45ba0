/**
 * {@link RevertLog} on the autopilot table: `SVC#<serviceArn>` / `REVERT#<at>#<eventId>`, one item per
 * revert, kept 30 days (TTL); the same CloudTrail event recorded twice writes the same item.
 */
import type { RevertLog, RevertRecord } from '../../ports';
import { DAY, DynamoTableStore, recordOf } from './dynamo-table';
import { revertKey, revertsOf } from './keys';

const REVERT_TTL = 30 * DAY;

/** The reverts of services in DynamoDB. */
export class DynamoRevertLog extends DynamoTableStore implements RevertLog {
  async recordRevert(serviceArn: string, revert: RevertRecord): Promise<void> {
    await this.table.put({
      ...revertKey(serviceArn, revert.at, revert.eventId),
      ...revert,
      expiresAt: this.table.expiresIn(REVERT_TTL),
    });
  }

  async revertsSince(serviceArn: string, since: string): Promise<RevertRecord[]> {
    const items = await this.table.query(revertsOf(serviceArn));
    return items
      .map((item) => recordOf<RevertRecord>(item))
      .filter((r) => r.at >= since)
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
}
