/**
 * {@link PendingPushes} on the autopilot table: `PENDING` / `<serviceArn>#<repositoryKey>`, replaced
 * optimistically (on the event id of the push compared against), `announced` once its deferral was
 * published.
 */
import type { PendingPush, PendingPushes } from '../../ports';
import { DAY, DynamoTableStore, recordOf } from './dynamo-table';
import { pendingPushes, pendingPushesOf, pendingPushKey } from './keys';

/** Pending pushes older than this are abandoned (a window that never opens). */
const PENDING_TTL = 30 * DAY;

const repositoryKeyOf = ({ push }: PendingPush) => `${push.accountId}:${push.region}:${push.repositoryName}`;

/** Pending pushes in DynamoDB. */
export class DynamoPendingPushes extends DynamoTableStore implements PendingPushes {
  async savePending(pending: PendingPush, isNewer: (existing: PendingPush) => boolean): Promise<boolean> {
    const key = pendingPushKey(pending.serviceArn, repositoryKeyOf(pending));
    const current = await this.table.get(key);
    const existing = current ? recordOf<PendingPush>(current) : undefined;
    if (existing && !isNewer(existing)) return false;
    const saved = await this.table.put(
      { ...key, ...pending, expiresAt: this.table.expiresIn(PENDING_TTL) },
      // Optimistic concurrency: only replace what we compared against.
      existing
        ? {
            if: '#push.eventId = :seen',
            names: { '#push': 'push' },
            values: { ':seen': existing.push.eventId },
          }
        : { if: 'attribute_not_exists(pk)' },
    );
    // A concurrent push wrote first; compare again against what it wrote.
    return saved || this.savePending(pending, isNewer);
  }

  async listDuePending(now: Date): Promise<PendingPush[]> {
    const due = await this.table.query(pendingPushes, {
      filter: { if: 'dueAt <= :now', values: { ':now': now.toISOString() } },
    });
    return due.map((item) => recordOf<PendingPush>(item));
  }

  async pendingOf(serviceArn: string): Promise<PendingPush[]> {
    const items = await this.table.query(pendingPushesOf(serviceArn));
    return items.map((item) => recordOf<PendingPush>(item));
  }

  deletePending(serviceArn: string, repositoryKey: string, eventId: string): Promise<boolean> {
    // A newer push replaced it meanwhile: that one stays.
    return this.table.delete(pendingPushKey(serviceArn, repositoryKey), {
      if: '#push.eventId = :id',
      names: { '#push': 'push' },
      values: { ':id': eventId },
    });
  }

  async markPendingAnnounced(
    serviceArn: string,
    repositoryKey: string,
    eventId: string,
    dueAt: string,
  ): Promise<boolean> {
    // Replaced by a newer push, or rescheduled, meanwhile: what is pending now was not announced.
    const marked = await this.table.update(pendingPushKey(serviceArn, repositoryKey), {
      set: 'SET announced = :true',
      if: '#push.eventId = :id AND dueAt = :due',
      names: { '#push': 'push' },
      values: { ':true': true, ':id': eventId, ':due': dueAt },
    });
    return marked !== undefined;
  }
}
