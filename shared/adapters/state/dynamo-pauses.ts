/**
 * {@link PauseStore} on the autopilot table: `PAUSE` / `<scope>`, one item per scope, kept a day past
 * its end (TTL) so `autopilot status` can still say a pause just ended. Pauses are few (people make
 * them), so every plan reads them all with one Query.
 */
import type { Pause, PauseStore } from '../../ports';
import { DAY, DynamoTableStore, epoch, recordOf } from './dynamo-table';
import { pauseKey, pauses } from './keys';

/** Pauses in DynamoDB. */
export class DynamoPauses extends DynamoTableStore implements PauseStore {
  async activePauses(now: Date): Promise<Pause[]> {
    const items = await this.table.query(pauses, {
      filter: { if: '#until > :now', names: { '#until': 'until' }, values: { ':now': now.toISOString() } },
    });
    return items.map((item) => recordOf<Pause>(item));
  }

  async pause(pause: Pause): Promise<void> {
    const ends = epoch(new Date(pause.until)) + DAY;
    await this.table.put({ ...pauseKey(pause.scope), ...pause, expiresAt: ends });
  }

  async resume(scope: string): Promise<Pause | undefined> {
    const item = await this.table.get(pauseKey(scope));
    if (!item) return undefined;
    // Two resumes at once: one removes it; both say which pause ended.
    await this.table.remove(pauseKey(scope));
    return recordOf<Pause>(item);
  }
}
