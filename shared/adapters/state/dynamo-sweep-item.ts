/**
 * A sweep's checkpoint and its lease on one item: the sweep as a map (`sweep`), and who holds it
 * (`owner`, `leaseUntil`), so a checkpoint is saved only by the run that holds the lease. The
 * reconcile's sweep ({@link DynamoIndexSweep}, `RECONCILE` / `SWEEP`) and the tag policies' sweep
 * ({@link DynamoTagSweep}, `TAGSWEEP` / `SWEEP`) each keep theirs on such an item.
 */
import type { DynamoTable } from './dynamo-table';
import type { ItemKey } from './keys';

const HELD_BY_OWNER = { if: '#owner = :owner', names: { '#owner': 'owner' } };

/** A sweep of type `Sweep` and its lease, on the item at `key`. */
export class SweepItem<Sweep> {
  constructor(
    private readonly table: DynamoTable,
    private readonly key: ItemKey,
  ) {}

  /** The sweep as it stands, without claiming it. */
  async current(): Promise<Sweep | undefined> {
    return (await this.table.get(this.key))?.sweep as Sweep | undefined;
  }

  /**
   * Claims the lease for `owner` until `until`: granted when free, run out at `now`, or held by the
   * same owner (a retry of it). The sweep as it stands, or undefined when another holds it.
   */
  async claim(owner: string, now: string, until: string): Promise<{ sweep?: Sweep } | undefined> {
    const item = await this.table.update(this.key, {
      set: 'SET #owner = :owner, leaseUntil = :until',
      if: 'attribute_not_exists(leaseUntil) OR leaseUntil < :now OR #owner = :owner',
      names: { '#owner': 'owner' },
      values: { ':owner': owner, ':until': until, ':now': now },
    });
    if (!item) return undefined;
    return item.sweep ? { sweep: item.sweep as Sweep } : {};
  }

  /** Saves the sweep while `owner` holds the lease; false when it does not. */
  async save(owner: string, sweep: Sweep): Promise<boolean> {
    const saved = await this.table.update(this.key, {
      set: 'SET #sweep = :sweep',
      if: HELD_BY_OWNER.if,
      names: { ...HELD_BY_OWNER.names, '#sweep': 'sweep' },
      values: { ':owner': owner, ':sweep': sweep },
    });
    return saved !== undefined;
  }

  /** Lets the lease go; false when `owner` no longer held it. */
  async release(owner: string): Promise<boolean> {
    const released = await this.table.update(this.key, {
      set: 'REMOVE #owner, leaseUntil',
      if: HELD_BY_OWNER.if,
      names: HELD_BY_OWNER.names,
      values: { ':owner': owner },
    });
    return released !== undefined;
  }
}
