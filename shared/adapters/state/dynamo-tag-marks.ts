/**
 * {@link TagMarkStore} on the autopilot table: one item per resource (`TAGMARK` / `<resourceArn>`),
 * each mark an attribute of its own (`mark#<rule>`: its due date), the scale to zero a map
 * (`scaledToZero`). Every write is one conditional UpdateItem, so two runs never both record a mark
 * or a scale to zero, and a clear removes only what it read. The item lives {@link RECORD_TTL} after
 * its last write.
 */
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '../../errors';
import type { ScaledToZero, TagMarkStore, TagRecord } from '../../ports';
import { DAY, DynamoTableStore, type Item } from './dynamo-table';
import { tagMarkKey } from './keys';

/**
 * Longer than the longest grace (90 days) and a year of a service kept at zero: a record that
 * outlives its resource goes, one that matters is written again long before.
 */
const RECORD_TTL = 400 * DAY;
/** BatchGetItem's most keys a call. */
const BATCH = 100;
/** Rounds of UnprocessedKeys (throttled reads) before the page is left to the next invocation. */
const BATCH_ROUNDS = 5;
const MARK = 'mark#';

/** The record an item holds. */
function recordOf(item: Item): TagRecord {
  const marks: Record<string, string> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(MARK) && typeof value === 'string') marks[name.slice(MARK.length)] = value;
  }
  const scaled = item.scaledToZero as ScaledToZero | undefined;
  return { marks, ...(scaled ? { scaledToZero: scaled } : {}) };
}

/** Tag policy marks and scales to zero in DynamoDB. */
export class DynamoTagMarks extends DynamoTableStore implements TagMarkStore {
  async recordsOf(arns: readonly string[]): Promise<Map<string, TagRecord>> {
    const found = new Map<string, TagRecord>();
    const unique = [...new Set(arns)];
    for (let i = 0; i < unique.length; i += BATCH) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + BATCH).map((arn) => ({ ...tagMarkKey(arn) }));
      for (let round = 0; keys.length > 0; round++) {
        if (round === BATCH_ROUNDS) {
          throw new RetryableError(
            `BatchGetItem left ${keys.length} tag records unread after ${round} rounds`,
          );
        }
        const out = await this.table.doc.send(
          new BatchGetCommand({ RequestItems: { [this.table.name]: { Keys: keys, ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[this.table.name] ?? []) {
          const record = recordOf(item);
          if (Object.keys(record.marks).length > 0 || record.scaledToZero) found.set(String(item.sk), record);
        }
        keys = out.UnprocessedKeys?.[this.table.name]?.Keys ?? [];
      }
    }
    return found;
  }

  async markRecord(arn: string, rule: string, due: string): Promise<boolean> {
    const updated = await this.table.update(tagMarkKey(arn), {
      set: 'SET #mark = :due, expiresAt = :expires',
      if: 'attribute_not_exists(#mark)',
      names: { '#mark': `${MARK}${rule}` },
      values: { ':due': due, ':expires': this.table.expiresIn(RECORD_TTL) },
    });
    return updated !== undefined;
  }

  async clearMarkRecord(arn: string, rule: string, due: string): Promise<boolean> {
    const updated = await this.table.update(tagMarkKey(arn), {
      set: 'REMOVE #mark SET expiresAt = :expires',
      if: '#mark = :due',
      names: { '#mark': `${MARK}${rule}` },
      values: { ':due': due, ':expires': this.table.expiresIn(RECORD_TTL) },
    });
    return updated !== undefined;
  }

  async recordScaledToZero(arn: string, scaled: ScaledToZero): Promise<boolean> {
    const updated = await this.table.update(tagMarkKey(arn), {
      set: 'SET scaledToZero = :scaled, expiresAt = :expires',
      if: 'attribute_not_exists(scaledToZero)',
      values: { ':scaled': scaled, ':expires': this.table.expiresIn(RECORD_TTL) },
    });
    return updated !== undefined;
  }

  async clearScaledToZero(arn: string, rule: string): Promise<boolean> {
    const updated = await this.table.update(tagMarkKey(arn), {
      set: 'REMOVE scaledToZero SET expiresAt = :expires',
      if: 'scaledToZero.#rule = :rule',
      names: { '#rule': 'rule' },
      values: { ':rule': rule, ':expires': this.table.expiresIn(RECORD_TTL) },
    });
    return updated !== undefined;
  }
}
