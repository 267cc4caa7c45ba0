/**
 * {@link TagSweepStore} on the autopilot table: one item (`TAGSWEEP` / `SWEEP`) holding the sweep as a
 * map (its cursor and running counts) and the lease (`owner`, `leaseUntil`) on the same item, so a
 * checkpoint is saved only by the run that holds it, as {@link DynamoIndexSweep} does for the reconcile.
 */
import type { TagSweepCheckpoint, TagSweepStore } from '../../ports';
import { DynamoTableStore } from './dynamo-table';
import { tagSweepKey } from './keys';

const HELD_BY_OWNER = { if: '#owner = :owner', names: { '#owner': 'owner' } };

/** The tag policy sweep's checkpoint and lease in DynamoDB. */
export class DynamoTagSweep extends DynamoTableStore implements TagSweepStore {
  async currentSweep(): Promise<TagSweepCheckpoint | undefined> {
    return (await this.table.get(tagSweepKey))?.sweep as TagSweepCheckpoint | undefined;
  }

  async claimSweep(
    owner: string,
    now: string,
    until: string,
  ): Promise<{ sweep?: TagSweepCheckpoint } | undefined> {
    const item = await this.table.update(tagSweepKey, {
      set: 'SET #owner = :owner, leaseUntil = :until',
      // Free, run out, or held by the same event (a retry of it).
      if: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR #owner = :owner',
      names: { '#owner': 'owner' },
      values: { ':owner': owner, ':until': until, ':now': now },
    });
    if (!item) return undefined;
    return item.sweep ? { sweep: item.sweep as TagSweepCheckpoint } : {};
  }

  async saveSweep(owner: string, sweep: TagSweepCheckpoint): Promise<boolean> {
    const saved = await this.table.update(tagSweepKey, {
      set: 'SET #sweep = :sweep',
      if: HELD_BY_OWNER.if,
      names: { ...HELD_BY_OWNER.names, '#sweep': 'sweep' },
      values: { ':owner': owner, ':sweep': sweep },
    });
    return saved !== undefined;
  }

  async releaseSweep(owner: string): Promise<boolean> {
    const released = await this.table.update(tagSweepKey, {
      set: 'REMOVE #owner, leaseUntil',
      if: HELD_BY_OWNER.if,
      names: HELD_BY_OWNER.names,
      values: { ':owner': owner },
    });
    return released !== undefined;
  }
}
