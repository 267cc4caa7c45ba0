/**
 * {@link ServiceLease} on the autopilot table, in the service's partition: the lease (`LOCK`: owner,
 * `leaseUntil`, `priorOwner`; kept after its release, `expiresAt` its TTL) and the watermark of each repository (`PUSH#<repositoryKey>`). The release carries the
 * writes closing the deployment made under the lease (the history's items, built by
 * `dynamo-deployment-history.ts`) in one TransactWriteItems.
 */
import type {
  LeaseClosing,
  LeaseRelease,
  LeaseReleased,
  LeaseTaken,
  LeaseTaking,
  PushWatermark,
  ServiceLease,
} from '../../ports';
import {
  deployIntentPut,
  deploymentRecordItem,
  deploymentStartedUpdate,
  TRANSACTION_ITEMS,
} from './dynamo-deployment-history';
import {
  type Condition,
  DAY,
  DynamoTableStore,
  epoch,
  type TransactionWrite,
  type Update,
} from './dynamo-table';
import { ecsDeploymentKey, leaseKey, watermarkKey } from './keys';

/** Service leases and watermarks in DynamoDB. */
export class DynamoServiceLease extends DynamoTableStore implements ServiceLease {
  async acquireLease(serviceArn: string, owner: string, ttlSeconds: number): Promise<boolean> {
    return (await this.takeLease(serviceArn, owner, ttlSeconds)) !== 'held';
  }

  async takeLease(serviceArn: string, owner: string, ttlSeconds: number): Promise<LeaseTaking> {
    // One UpdateItem: the lease (`leaseUntil`) and who took it before (`priorOwner`, read from the
    // item's `owner` before this write). The item outlives the release (`expiresAt` is its TTL, as
    // long as a deploy intent's), so a retry of the same event knows it was here. An item of the old
    // shape (no `leaseUntil`, `expiresAt` the lease's end) is free once that end has passed.
    const taken = await this.table.update(leaseKey(serviceArn), this.taking(owner, ttlSeconds));
    if (taken === undefined) return 'held';
    return taken.priorOwner === owner ? 'again' : 'taken';
  }

  async takeLeases(serviceArns: readonly string[], owner: string, ttlSeconds: number): Promise<LeaseTaken[]> {
    const alone = (serviceArn: string): Promise<LeaseTaken> =>
      this.takeLease(serviceArn, owner, ttlSeconds).catch((error: unknown) => ({ error }));
    const outcomes: LeaseTaken[] = [];
    for (let i = 0; i < serviceArns.length; i += TRANSACTION_ITEMS) {
      const chunk = serviceArns.slice(i, i + TRANSACTION_ITEMS);
      // Several in one TransactWriteItems, which answers nothing of the items it wrote: so only
      // leases this owner did not take last (`#owner <> :owner`, a first attempt), all `taken`. One
      // held by another, or taken by this owner before (a retry: `again`), cancels them all: then
      // each alone, eight at a time, as `takeLease` answers.
      const fresh = this.taking(owner, ttlSeconds, { fresh: true });
      const together =
        chunk.length > 1 &&
        (await this.table
          .transact(chunk.map((serviceArn) => ({ update: leaseKey(serviceArn), with: fresh })))
          .catch(() => false));
      if (together) {
        outcomes.push(...chunk.map((): LeaseTaken => 'taken'));
        continue;
      }
      for (let j = 0; j < chunk.length; j += ALONE_IN_FLIGHT)
        outcomes.push(...(await Promise.all(chunk.slice(j, j + ALONE_IN_FLIGHT).map(alone))));
    }
    return outcomes;
  }

  /**
   * The lease taken: free, expired, or this owner's; `fresh`: and not taken by this owner last (so
   * its `priorOwner` need not be read back to tell `again`).
   */
  private taking(owner: string, ttlSeconds: number, { fresh = false } = {}): Update {
    const now = epoch(this.table.now());
    const free =
      'attribute_not_exists(pk) OR #owner = :owner OR leaseUntil < :now OR ' +
      '(attribute_not_exists(leaseUntil) AND expiresAt < :now)';
    return {
      set:
        'SET priorOwner = if_not_exists(#owner, :none), #owner = :owner, leaseUntil = :until, ' +
        'expiresAt = :expires',
      if: fresh ? `(${free}) AND (attribute_not_exists(#owner) OR #owner <> :owner)` : free,
      names: { '#owner': 'owner' },
      values: {
        ':none': '',
        ':owner': owner,
        ':until': now + ttlSeconds,
        ':expires': this.table.expiresIn(LOCK_TTL),
        ':now': now,
      },
    };
  }

  async releaseLease(serviceArn: string, owner: string, closing?: LeaseClosing): Promise<boolean> {
    const writes = closing ? this.closingWrites(serviceArn, closing) : [];
    const release = () =>
      this.table.update(leaseKey(serviceArn), released(owner)).then((r) => r !== undefined);
    if (writes.length === 0) return release();
    // One call for the deployment's closing writes and the release. A condition failing (a newer
    // watermark kept, the lease taken over) cancels them all: then one by one, each with its outcome.
    try {
      if (await this.table.transact([...writes, { update: leaseKey(serviceArn), with: released(owner) }]))
        return true;
    } catch (error) {
      // Not written (throttled after the SDK's retries): the lease is given back all the same, and
      // the retry of the event, taking the lease again, finds the intent and records the deployment.
      await release().catch(() => false);
      throw error;
    }
    for (const write of writes) {
      if ('put' in write) await this.table.put(write.put, write.condition);
      else if ('update' in write) await this.table.update(write.update, write.with);
    }
    return release();
  }

  async releaseLeases(releases: readonly LeaseRelease[]): Promise<LeaseReleased[]> {
    const alone = (r: LeaseRelease): Promise<LeaseReleased> =>
      this.releaseLease(r.serviceArn, r.owner, r.closing).then(
        (released) => ({ released }),
        (error: unknown) => ({ error }),
      );
    const outcomes: LeaseReleased[] = [];
    for (const chunk of this.transactionsOf(releases)) {
      const [only] = chunk;
      if (chunk.length === 1 && only) {
        outcomes.push(await alone(only));
        continue;
      }
      // One call for the chunk's releases and their closing writes. A condition failing anywhere (a
      // newer watermark kept, a lease taken over, an intent moved on) cancels them all, and so does a
      // throttled transaction: then each alone, with the outcome it has alone (the same end state).
      const together = await this.table
        .transact(chunk.flatMap((r) => this.releaseWrites(r)))
        .catch(() => false);
      if (together) outcomes.push(...chunk.map(() => ({ released: true })));
      else outcomes.push(...(await Promise.all(chunk.map(alone))));
    }
    return outcomes;
  }

  /** The releases in chunks of at most one transaction's writes, a release never split. */
  private transactionsOf(releases: readonly LeaseRelease[]): LeaseRelease[][] {
    const chunks: LeaseRelease[][] = [];
    let writes = 0;
    for (const release of releases) {
      const size = this.releaseWrites(release).length;
      const last = chunks.at(-1);
      if (last && writes + size <= TRANSACTION_ITEMS) {
        last.push(release);
        writes += size;
      } else {
        chunks.push([release]);
        writes = size;
      }
    }
    return chunks;
  }

  private releaseWrites({ serviceArn, owner, closing }: LeaseRelease): TransactionWrite[] {
    const writes = closing ? this.closingWrites(serviceArn, closing) : [];
    return [...writes, { update: leaseKey(serviceArn), with: released(owner) }];
  }

  private closingWrites(serviceArn: string, closing: LeaseClosing): TransactionWrite[] {
    const writes: TransactionWrite[] = [];
    if (closing.record) writes.push({ put: deploymentRecordItem(this.table, closing.record) });
    if (closing.started) {
      const { deployment } = closing.started;
      writes.push({
        update: ecsDeploymentKey(closing.started.serviceArn, deployment.deploymentId),
        with: deploymentStartedUpdate(this.table, deployment),
      });
    }
    if (closing.watermark) {
      const { repositoryKey, watermark } = closing.watermark;
      writes.push({
        put: { ...watermarkKey(serviceArn, repositoryKey), ...watermark },
        condition: forwardOnly(watermark),
      });
    }
    if (closing.intent) {
      const { item, condition } = deployIntentPut(this.table, closing.intent.intent, closing.intent.expected);
      writes.push({ put: item, condition });
    }
    return writes;
  }

  async getWatermark(serviceArn: string, repositoryKey: string): Promise<PushWatermark | undefined> {
    const item = await this.table.get(watermarkKey(serviceArn, repositoryKey));
    if (!item) return undefined;
    return { pushedAt: String(item.pushedAt), digest: String(item.digest), tag: String(item.tag) };
  }

  setWatermark(serviceArn: string, repositoryKey: string, watermark: PushWatermark): Promise<boolean> {
    return this.table.put(
      { ...watermarkKey(serviceArn, repositoryKey), ...watermark },
      forwardOnly(watermark),
    );
  }
}

/**
 * How long a lease item is kept after its release: its last owner tells a retry of that event (up to
 * EventBridge's six hours, a redrive from the dead-letter queue within 14 days) that it was here.
 */
const LOCK_TTL = 30 * DAY;

/** How many leases are taken at a time one by one (when they cannot be taken together). */
const ALONE_IN_FLIGHT = 8;

/**
 * The release: the lease ends now, the item and its owner stay. Someone else holds it now (ours
 * expired): theirs is not ours to release.
 */
function released(owner: string): Update {
  return {
    set: 'SET leaseUntil = :released',
    if: '#owner = :owner',
    names: { '#owner': 'owner' },
    values: { ':owner': owner, ':released': 0 },
  };
}

/** Never move the watermark backwards, whatever order the writes land in. */
function forwardOnly(watermark: PushWatermark): Condition {
  return {
    if: 'attribute_not_exists(pk) OR pushedAt <= :pushedAt',
    values: { ':pushedAt': watermark.pushedAt },
  };
}
