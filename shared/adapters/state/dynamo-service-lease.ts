/**
 * {@link ServiceLease} on the autopilot table, in the service's partition: the lease (`LOCK`, owner
 * and expiry) and the watermark of each repository (`PUSH#<repositoryKey>`). The release carries the
 * writes closing the deployment made under the lease (the history's items, built by
 * `dynamo-deployment-history.ts`) in one TransactWriteItems.
 */
import type { LeaseClosing, PushWatermark, ServiceLease } from '../../ports';
import { deployIntentPut, deploymentRecordItem, deploymentStartedUpdate } from './dynamo-deployment-history';
import { type Condition, DynamoTableStore, epoch, type TransactionWrite } from './dynamo-table';
import { ecsDeploymentKey, leaseKey, watermarkKey } from './keys';

/** Service leases and watermarks in DynamoDB. */
export class DynamoServiceLease extends DynamoTableStore implements ServiceLease {
  acquireLease(serviceArn: string, owner: string, ttlSeconds: number): Promise<boolean> {
    const now = epoch(this.table.now());
    return this.table.put(
      { ...leaseKey(serviceArn), owner, expiresAt: now + ttlSeconds },
      {
        if: 'attribute_not_exists(pk) OR expiresAt < :now OR #owner = :owner',
        names: { '#owner': 'owner' },
        values: { ':now': now, ':owner': owner },
      },
    );
  }

  async releaseLease(serviceArn: string, owner: string, closing?: LeaseClosing): Promise<boolean> {
    // Someone else holds it now (ours expired): theirs is not ours to release.
    const release: Condition = {
      if: '#owner = :owner',
      names: { '#owner': 'owner' },
      values: { ':owner': owner },
    };
    const writes = closing ? this.closingWrites(serviceArn, closing) : [];
    if (writes.length === 0) return this.table.delete(leaseKey(serviceArn), release);
    // One call for the deployment's closing writes and the release. A condition failing (a newer
    // watermark kept, the lease taken over) cancels them all: then one by one, each with its outcome.
    try {
      if (await this.table.transact([...writes, { delete: leaseKey(serviceArn), condition: release }]))
        return true;
    } catch (error) {
      // Not written (throttled after the SDK's retries): the lease is given back all the same, and
      // the retry of the event, finding the intent `updating`, records the deployment.
      await this.table.delete(leaseKey(serviceArn), release).catch(() => false);
      throw error;
    }
    for (const write of writes) {
      if ('put' in write) await this.table.put(write.put, write.condition);
      else if ('update' in write) await this.table.update(write.update, write.with);
    }
    return this.table.delete(leaseKey(serviceArn), release);
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

/** Never move the watermark backwards, whatever order the writes land in. */
function forwardOnly(watermark: PushWatermark): Condition {
  return {
    if: 'attribute_not_exists(pk) OR pushedAt <= :pushedAt',
    values: { ':pushedAt': watermark.pushedAt },
  };
}
