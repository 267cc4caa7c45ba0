/**
 * {@link RollbackHistory} on the autopilot table: the service's `LKG` and `ROLLBACK` items, each
 * written conditionally (the last known good never goes backwards; one rollback per cooldown).
 */
import type { LastKnownGood, RollbackHistory, RollbackRecord } from '../../ports';
import { DynamoTableStore, recordOf } from './dynamo-table';
import { lastKnownGoodKey, lastRollbackKey } from './keys';

/** Last known good revisions and last rollbacks in DynamoDB. */
export class DynamoRollbackHistory extends DynamoTableStore implements RollbackHistory {
  async lastKnownGood(serviceArn: string): Promise<LastKnownGood | undefined> {
    const item = await this.table.get(lastKnownGoodKey(serviceArn));
    return item ? recordOf<LastKnownGood>(item, 'updatedAt') : undefined;
  }

  setLastKnownGood(serviceArn: string, good: LastKnownGood): Promise<boolean> {
    // Never replace a newer known good revision with an older one; but the digests a deployment ran
    // complete the indexer's record of the same deployment (made on first sight, later in time).
    const enriches = good.images ? ' OR (#deployment = :deployment AND attribute_not_exists(images))' : '';
    return this.table.put(
      { ...lastKnownGoodKey(serviceArn), ...good },
      {
        if: `attribute_not_exists(pk) OR #at <= :at${enriches}`,
        names: { '#at': 'at', ...(good.images ? { '#deployment': 'deploymentId' } : {}) },
        values: { ':at': good.at, ...(good.images ? { ':deployment': good.deploymentId } : {}) },
      },
    );
  }

  setFirstKnownGood(serviceArn: string, good: LastKnownGood): Promise<boolean> {
    return this.table.put({ ...lastKnownGoodKey(serviceArn), ...good }, { if: 'attribute_not_exists(pk)' });
  }

  async lastRollback(serviceArn: string): Promise<RollbackRecord | undefined> {
    const item = await this.table.get(lastRollbackKey(serviceArn));
    return item ? recordOf<RollbackRecord>(item, 'updatedAt') : undefined;
  }

  claimRollback(serviceArn: string, rollback: RollbackRecord, cooldownMs: number): Promise<boolean> {
    const windowStart = new Date(new Date(rollback.at).getTime() - cooldownMs).toISOString();
    return this.table.put(
      { ...lastRollbackKey(serviceArn), ...rollback },
      {
        // The cooldown ends at `at + cooldownMs` inclusive, as in decideRollback; a retry of the
        // event that claimed the slot claims it again.
        if: `attribute_not_exists(pk) OR #at <= :windowStart${rollback.triggeredBy ? ' OR triggeredBy = :by' : ''}`,
        names: { '#at': 'at' },
        values: {
          ':windowStart': windowStart,
          ...(rollback.triggeredBy ? { ':by': rollback.triggeredBy } : {}),
        },
      },
    );
  }

  async pinRollback(serviceArn: string, triggeredBy: string, pinned: string): Promise<boolean> {
    const updated = await this.table.update(lastRollbackKey(serviceArn), {
      set: 'SET pinnedFrom = if_not_exists(pinnedFrom, #to), #to = :pinned',
      if: 'triggeredBy = :by',
      names: { '#to': 'to' },
      values: { ':pinned': pinned, ':by': triggeredBy },
    });
    return updated !== undefined;
  }

  async markRollbackAnnounced(serviceArn: string, triggeredBy: string, at: string): Promise<boolean> {
    const updated = await this.table.update(lastRollbackKey(serviceArn), {
      set: 'SET announced = :announced',
      if: 'triggeredBy = :by AND #at = :at',
      names: { '#at': 'at' },
      values: { ':announced': true, ':by': triggeredBy, ':at': at },
    });
    return updated !== undefined;
  }
}
