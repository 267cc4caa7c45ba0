/**
 * {@link IndexSweep} on the autopilot table: what the reconcile indexed each service from, in its
 * cluster's partition (`CLUSTER#<clusterArn>` / `SVC#<serviceArn>`, read with one query per cluster,
 * expiring with the index it describes), and the sweep (`RECONCILE` / `SWEEP`: the sweep as a map,
 * and the lease, `owner` and `leaseUntil`, on the same item so a checkpoint is saved only by its holder).
 */
import type { IndexedFingerprint, IndexSweep, ReconcileSweep } from '../../ports';
import { INDEX_TTL } from './dynamo-service-index';
import { DynamoTableStore, recordOf } from './dynamo-table';
import { fingerprintKey, fingerprintsOf, sweepKey } from './keys';

const HELD_BY_OWNER = { if: '#owner = :owner', names: { '#owner': 'owner' } };

/** The reconcile's memory and sweep in DynamoDB. */
export class DynamoIndexSweep extends DynamoTableStore implements IndexSweep {
  async fingerprintsOf(clusterArn: string): Promise<IndexedFingerprint[]> {
    // Eventually consistent (half the read capacity): written by an earlier run, minutes before.
    const items = await this.table.query(fingerprintsOf(clusterArn), { consistent: false });
    return items.map((item) => recordOf<IndexedFingerprint>(item));
  }

  async rememberFingerprint(clusterArn: string, fingerprint: IndexedFingerprint): Promise<void> {
    await this.table.put({
      ...fingerprintKey(clusterArn, fingerprint.serviceArn),
      ...fingerprint,
      expiresAt: this.table.expiresIn(INDEX_TTL),
    });
  }

  async forgetFingerprint(clusterArn: string, serviceArn: string): Promise<void> {
    await this.table.delete(fingerprintKey(clusterArn, serviceArn));
  }

  async currentSweep(): Promise<ReconcileSweep | undefined> {
    return (await this.table.get(sweepKey))?.sweep as ReconcileSweep | undefined;
  }

  async claimSweep(
    owner: string,
    now: string,
    until: string,
  ): Promise<{ sweep?: ReconcileSweep } | undefined> {
    const item = await this.table.update(sweepKey, {
      set: 'SET #owner = :owner, leaseUntil = :until',
      // Free, run out, or held by the same event (a retry of it).
      if: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR #owner = :owner',
      names: { '#owner': 'owner' },
      values: { ':owner': owner, ':until': until, ':now': now },
    });
    if (!item) return undefined;
    return item.sweep ? { sweep: item.sweep as ReconcileSweep } : {};
  }

  async saveSweep(owner: string, sweep: ReconcileSweep): Promise<boolean> {
    const saved = await this.table.update(sweepKey, {
      set: 'SET #sweep = :sweep',
      if: HELD_BY_OWNER.if,
      names: { ...HELD_BY_OWNER.names, '#sweep': 'sweep' },
      values: { ':owner': owner, ':sweep': sweep },
    });
    return saved !== undefined;
  }

  async releaseSweep(owner: string): Promise<boolean> {
    const released = await this.table.update(sweepKey, {
      set: 'REMOVE #owner, leaseUntil',
      if: HELD_BY_OWNER.if,
      names: HELD_BY_OWNER.names,
      values: { ':owner': owner },
    });
    return released !== undefined;
  }
}
