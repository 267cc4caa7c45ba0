/**
 * {@link Quarantine} on the autopilot table: `QUARANTINE#<repositoryKey>` / `<digest>`, what deploy on
 * push reads, and `QUARANTINED` / `<repositoryKey>@<digest>` to list them all in one query. Both are
 * written in one transaction and released in one, so a digest is never blocked without being listed
 * (and so released by `autopilot quarantine release`), nor listed without being blocked.
 */
import type { Quarantine, QuarantinedImage } from '../../ports';
import { DynamoTableStore, recordOf } from './dynamo-table';
import { quarantineKey, quarantineListing, quarantineListingKey } from './keys';

/** Quarantined images in DynamoDB (kept until released: no TTL). */
export class DynamoQuarantine extends DynamoTableStore implements Quarantine {
  quarantineImage(image: QuarantinedImage): Promise<boolean> {
    // Not quarantined yet, or by this very event (a retry, whose announcement may not have gone out).
    const ours = image.triggeredBy
      ? { if: 'triggeredBy = :by', values: { ':by': image.triggeredBy } }
      : undefined;
    return this.table.transact([
      {
        put: { ...quarantineKey(image.repositoryKey, image.digest), ...image },
        condition: {
          if: `attribute_not_exists(pk)${ours ? ` OR ${ours.if}` : ''}`,
          ...(ours ? { values: ours.values } : {}),
        },
      },
      { put: { ...quarantineListingKey(image.repositoryKey, image.digest), ...image } },
    ]);
  }

  async isQuarantined(repositoryKey: string, digest: string): Promise<boolean> {
    return (await this.table.get(quarantineKey(repositoryKey, digest))) !== undefined;
  }

  async listQuarantined(): Promise<QuarantinedImage[]> {
    const items = await this.table.query(quarantineListing, { consistent: false });
    return items.map((item) => recordOf<QuarantinedImage>(item, 'updatedAt'));
  }

  async release(repositoryKey: string, digest: string): Promise<boolean> {
    const listing = quarantineListingKey(repositoryKey, digest);
    const released = await this.table.transact([
      { delete: quarantineKey(repositoryKey, digest), condition: { if: 'attribute_exists(pk)' } },
      { delete: listing },
    ]);
    // A listing left without its block (written before both were one transaction) goes too.
    if (!released) await this.table.delete(listing);
    return released;
  }
}
