/**
 * {@link ServiceLease} on the autopilot table, in the service's partition: the lease (`LOCK`: owner,
 * `leaseUntil`, `priorOwner`; kept after its release, `expiresAt` its TTL) and the watermark of each repository (`PUSH#<repositoryKey>`). The release carries the
 * writes closing the deployment made under the lease (the history's items, built by
 * `dynamo-deployment-history.ts`) in one TransactWriteItems.
 */
import type { LeaseClosing, LeaseTaking, PushWatermark, ServiceLease } from '../../ports';
import { deployIntentPut, deploymentRecordItem, deploymentStartedUpdate } from './dynamo-deployment-history';
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
    const now = epoch(this.table.now());
    // One UpdateItem: the lease (`leaseUntil`) and who took it before (`priorOwner`, read from the
    // item's `owner` before this write). The item outlives the release (`expiresAt` is its TTL, as
    // long as a deploy intent's), so a retry of the same event knows it was here. An item of the old
    // shape (no `leaseUntil`, `expiresAt` the lease's end) is free once that end has passed.
    const taken = await this.table.update(leaseKey(serviceArn), {
      set:
        'SET priorOwner = if_not_exists(#owner, :none), #owner = :owner, leaseUntil = :until, ' +
        'expiresAt = :expires',
      if:
        'attribute_not_exists(pk) OR #owner = :owner OR leaseUntil < :now OR ' +
        '(attribute_not_exists(leaseUntil) AND expiresAt < :now)',
      names: { '#owner': 'owner' },
      values: {
        ':none': '',
        ':owner': owner,
        ':until': now + ttlSeconds,
        ':expires': this.table.expiresIn(LOCK_TTL),
        ':now': now,
      },
    });
    if (taken === undefined) return 'held';
    return taken.priorOwner === owner ? 'again' : 'taken';
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
