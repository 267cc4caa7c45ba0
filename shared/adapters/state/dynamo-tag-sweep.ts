/**
 * {@link TagSweepStore} on the autopilot table: one item (`TAGSWEEP` / `SWEEP`) holding the sweep as a
 * map (its cursor and running counts) and the lease (`owner`, `leaseUntil`) on the same item, so a
 * checkpoint is saved only by the run that holds it, as {@link DynamoIndexSweep} does for the reconcile.
 */
import type { TagSweepCheckpoint, TagSweepStore } from '../../ports';
import { SweepItem } from './dynamo-sweep-item';
import { DynamoTableStore } from './dynamo-table';
import { tagSweepKey } from './keys';

/** The tag policy sweep's checkpoint and lease in DynamoDB. */
export class DynamoTagSweep extends DynamoTableStore implements TagSweepStore {
  private readonly sweepItem = new SweepItem<TagSweepCheckpoint>(this.table, tagSweepKey);

  currentSweep(): Promise<TagSweepCheckpoint | undefined> {
    return this.sweepItem.current();
  }

  claimSweep(owner: string, now: string, until: string): Promise<{ sweep?: TagSweepCheckpoint } | undefined> {
    return this.sweepItem.claim(owner, now, until);
  }

  saveSweep(owner: string, sweep: TagSweepCheckpoint): Promise<boolean> {
    return this.sweepItem.save(owner, sweep);
  }

  releaseSweep(owner: string): Promise<boolean> {
    return this.sweepItem.release(owner);
  }
}
