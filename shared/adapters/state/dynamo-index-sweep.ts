/**
 * {@link IndexSweep} on the autopilot table: what the reconcile indexed each service from, in its
 * cluster's partition (`CLUSTER#<clusterArn>` / `SVC#<serviceArn>`, read with one query per cluster,
 * expiring with the index it describes), and the sweep (`RECONCILE` / `SWEEP`: the sweep as a map,
 * and the lease, `owner` and `leaseUntil`, on the same item so a checkpoint is saved only by its holder).
 */
import type { IndexedFingerprint, IndexSweep, ReconcileSweep } from '../../ports';
import { INDEX_TTL } from './dynamo-service-index';
import { SweepItem } from './dynamo-sweep-item';
import { DynamoTableStore, recordOf } from './dynamo-table';
import { fingerprintKey, fingerprintsOf, sweepKey } from './keys';

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

  private readonly sweepItem = new SweepItem<ReconcileSweep>(this.table, sweepKey);

  currentSweep(): Promise<ReconcileSweep | undefined> {
    return this.sweepItem.current();
  }

  claimSweep(owner: string, now: string, until: string): Promise<{ sweep?: ReconcileSweep } | undefined> {
    return this.sweepItem.claim(owner, now, until);
  }

  saveSweep(owner: string, sweep: ReconcileSweep): Promise<boolean> {
    return this.sweepItem.save(owner, sweep);
  }

  releaseSweep(owner: string): Promise<boolean> {
    return this.sweepItem.release(owner);
  }
}
