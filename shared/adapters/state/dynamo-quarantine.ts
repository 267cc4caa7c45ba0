/**
 * {@link Quarantine} on the autopilot table: `QUARANTINE#<repositoryKey>` / `<digest>`, what deploy on
 * push reads, and `QUARANTINED` / `<repositoryKey>@<digest>` to list them all in one query.
 */
import type { Quarantine, QuarantinedImage } from '../../ports';
import { DynamoTableStore, recordOf } from './dynamo-table';
import { quarantineKey, quarantineListing, quarantineListingKey } from './keys';

/** Quarantined images in DynamoDB (kept until released: no TTL). */
export class DynamoQuarantine extends DynamoTableStore implements Quarantine {
  async quarantineImage(image: QuarantinedImage): Promise<boolean> {
    const added = await this.table.put(
      { ...quarantineKey(image.repositoryKey, image.digest), ...image },
      { if: 'attribute_not_exists(pk)' },
    );
    if (added) await this.table.put({ ...quarantineListingKey(image.repositoryKey, image.digest), ...image });
    return added;
  }

  async isQuarantined(repositoryKey: string, digest: string): Promise<boolean> {
    return (await this.table.get(quarantineKey(repositoryKey, digest))) !== undefined;
  }

  async listQuarantined(): Promise<QuarantinedImage[]> {
    const items = await this.table.query(quarantineListing, { consistent: false });
    return items.map((item) => recordOf<QuarantinedImage>(item, 'updatedAt'));
  }

  async release(repositoryKey: string, digest: string): Promise<boolean> {
    const released = await this.table.remove(quarantineKey(repositoryKey, digest));
    await this.table.delete(quarantineListingKey(repositoryKey, digest));
    return released;
  }
}
