/**
 * {@link ServiceLease} on the autopilot table, in the service's partition: the lease (`LOCK`, owner
 * and expiry) and the watermark of each repository (`PUSH#<repositoryKey>`).
 */
import type { PushWatermark, ServiceLease } from '../../ports';
import { DynamoTableStore, epoch } from './dynamo-table';
import { leaseKey, watermarkKey } from './keys';

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

  releaseLease(serviceArn: string, owner: string): Promise<boolean> {
    // Someone else holds it now (ours expired): theirs is not ours to release.
    return this.table.delete(leaseKey(serviceArn), {
      if: '#owner = :owner',
      names: { '#owner': 'owner' },
      values: { ':owner': owner },
    });
  }

  async getWatermark(serviceArn: string, repositoryKey: string): Promise<PushWatermark | undefined> {
    const item = await this.table.get(watermarkKey(serviceArn, repositoryKey));
    if (!item) return undefined;
    return { pushedAt: String(item.pushedAt), digest: String(item.digest), tag: String(item.tag) };
  }

  setWatermark(serviceArn: string, repositoryKey: string, watermark: PushWatermark): Promise<boolean> {
    return this.table.put(
      { ...watermarkKey(serviceArn, repositoryKey), ...watermark },
      // Never move the watermark backwards, whatever order the writes land in.
      {
        if: 'attribute_not_exists(pk) OR pushedAt <= :pushedAt',
        values: { ':pushedAt': watermark.pushedAt },
      },
    );
  }
}
