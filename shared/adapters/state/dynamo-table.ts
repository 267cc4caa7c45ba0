/**
 * The autopilot table as the stores use it: the document client (undefined values dropped), the
 * table name, a clock for TTLs and expiries, and the few operations every store repeats (a consistent
 * get, a write that may lose its condition, a query over every page).
 */
import { isDeepStrictEqual } from 'node:util';
import {
  type CancellationReason,
  ConditionalCheckFailedException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamoDbClient } from './dynamo-client';
import type { ItemKey, ItemRange } from './keys';

/** Seconds in a day, for TTLs. */
export const DAY = 86_400;

/** A time as the epoch seconds DynamoDB TTL (`expiresAt`) reads. */
export const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/** Whether a write failed on its condition (a race lost or a duplicate), not for another reason. */
export const isConflict = (error: unknown) => error instanceof ConditionalCheckFailedException;

/** An item as stored. */
export type Item = Record<string, unknown>;

/**
 * One write of a transaction ({@link DynamoTable.transact}): a put, a delete or an update, each
 * conditional. Each is authorised as the PutItem, DeleteItem or UpdateItem it is (a transaction needs
 * no IAM action of its own).
 */
export type TransactionWrite =
  | { put: ItemKey & Item; condition?: Condition }
  | { delete: ItemKey; condition?: Condition }
  | { update: ItemKey; with: Update };

/** A condition expression with the names and values it uses. */
export interface Condition {
  if: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** An UpdateItem: its update expression, an optional condition, and the names and values of both. */
export interface Update {
  set: string;
  if?: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** How a query reads. */
export interface QueryOptions {
  /** a filter on the items read (they still count against the page) */
  filter?: Condition;
  /** strongly consistent; true by default */
  consistent?: boolean;
  /** newest (highest sort key) first, one page of at most `limit` items */
  newest?: number;
}

/** The item without its keys and TTL (and whatever else is named): the record a port returns. */
export function recordOf<T>(item: Item, ...also: string[]): T {
  const record = { ...item };
  for (const attribute of ['pk', 'sk', 'expiresAt', ...also]) delete record[attribute];
  return record as T;
}

const expressionParts = (names?: Record<string, string>, values?: Record<string, unknown>) => ({
  ...(names && Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
  ...(values && Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
});

/** The parts of a write's input that make it conditional. */
const conditionOf = (condition?: Condition) =>
  condition
    ? { ConditionExpression: condition.if, ...expressionParts(condition.names, condition.values) }
    : {};

/** The autopilot table. */
export class DynamoTable {
  readonly doc: DynamoDBDocumentClient;

  /**
   * @param name - the table name
   * @param client - the DynamoDB client
   * @param now - clock, for TTLs and expiries
   */
  constructor(
    readonly name: string,
    client: DynamoDBClient,
    readonly now: () => Date,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /** The `expiresAt` of an item that lives `seconds` from now. */
  expiresIn(seconds: number): number {
    return epoch(this.now()) + seconds;
  }

  /** One item, read strongly consistent. */
  async get(key: ItemKey): Promise<Item | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
    return out.Item;
  }

  /**
   * Writes an item; with a condition, false when the condition failed (nothing written).
   *
   * A put whose answer was lost (a 500 or a dropped connection after DynamoDB wrote it) is sent again
   * by the SDK, and that second put fails the condition the first one made false: the item is then
   * read, and a table holding exactly this item means it was written, by this put.
   */
  async put(item: ItemKey & Item, condition?: Condition): Promise<boolean> {
    const written = await this.conditional(() =>
      this.doc.send(new PutCommand({ TableName: this.name, Item: item, ...conditionOf(condition) })),
    );
    if (written || !condition) return written;
    return sameItem(await this.get({ pk: item.pk, sk: item.sk }), item);
  }

  /**
   * Updates an item (creating it when it is missing and no condition forbids it).
   *
   * @returns the item after the update, or undefined when the condition failed
   */
  async update(key: ItemKey, update: Update): Promise<Item | undefined> {
    let updated: Item | undefined;
    const done = await this.conditional(async () => {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          UpdateExpression: update.set,
          ...(update.if ? { ConditionExpression: update.if } : {}),
          ...expressionParts(update.names, update.values),
          ReturnValues: 'ALL_NEW',
        }),
      );
      updated = out.Attributes ?? {};
    });
    return done ? updated : undefined;
  }

  /** Deletes an item; with a condition, false when the condition failed (nothing deleted). */
  async delete(key: ItemKey, condition?: Condition): Promise<boolean> {
    return this.conditional(() =>
      this.doc.send(new DeleteCommand({ TableName: this.name, Key: key, ...conditionOf(condition) })),
    );
  }

  /** Deletes an item; true when there was one, so of two concurrent callers exactly one hears so. */
  async remove(key: ItemKey): Promise<boolean> {
    const out = await this.doc.send(
      new DeleteCommand({ TableName: this.name, Key: key, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  }

  /** The items of a range, every page of them (or the newest few, when asked). */
  async query(range: ItemRange, options: QueryOptions = {}): Promise<Item[]> {
    const input = {
      TableName: this.name,
      KeyConditionExpression:
        range.skPrefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :skPrefix)',
      ...(options.filter ? { FilterExpression: options.filter.if } : {}),
      ...expressionParts(options.filter?.names, {
        ':pk': range.pk,
        ...(range.skPrefix === undefined ? {} : { ':skPrefix': range.skPrefix }),
        ...options.filter?.values,
      }),
      ConsistentRead: options.consistent ?? true,
    };
    if (options.newest !== undefined) {
      const out = await this.doc.send(
        new QueryCommand({ ...input, ScanIndexForward: false, Limit: options.newest }),
      );
      return out.Items ?? [];
    }
    const items: Item[] = [];
    for await (const page of paginateQuery({ client: this.doc }, input)) items.push(...(page.Items ?? []));
    return items;
  }

  /**
   * Writes items all at once or not at all (TransactWriteItems).
   *
   * @returns false when a condition failed (nothing written)
   * @throws a transaction cancelled for another reason (a conflicting transaction: retryable)
   */
  async transact(writes: readonly TransactionWrite[]): Promise<boolean> {
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: writes.map((write) => {
            if ('put' in write)
              return { Put: { TableName: this.name, Item: write.put, ...conditionOf(write.condition) } };
            if ('delete' in write)
              return { Delete: { TableName: this.name, Key: write.delete, ...conditionOf(write.condition) } };
            return {
              Update: {
                TableName: this.name,
                Key: write.update,
                UpdateExpression: write.with.set,
                ...(write.with.if ? { ConditionExpression: write.with.if } : {}),
                ...expressionParts(write.with.names, write.with.values),
              },
            };
          }),
        }),
      );
      return true;
    } catch (error) {
      const reasons =
        (error as Error).name === 'TransactionCanceledException'
          ? ((error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [])
          : undefined;
      // Only conditions failed: another transaction or a throttled item is worth a retry instead.
      const lostCondition =
        reasons?.some((r) => r.Code === 'ConditionalCheckFailed') &&
        reasons.every((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'None');
      if (lostCondition) return false;
      throw error;
    }
  }

  private async conditional(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }
}

/** Whether `stored` is `item` as the document client writes it (undefined attributes left out). */
function sameItem(stored: Item | undefined, item: Item): boolean {
  return (
    stored !== undefined &&
    isDeepStrictEqual(JSON.parse(JSON.stringify(item)), JSON.parse(JSON.stringify(stored)))
  );
}

/** A store on the single autopilot table. */
export abstract class DynamoTableStore {
  protected readonly table: DynamoTable;

  /**
   * @param tableName - the autopilot table
   * @param client - the DynamoDB client; the shared traced one by default
   * @param now - clock, for TTLs and expiries
   */
  constructor(
    tableName: string,
    client: DynamoDBClient = dynamoDbClient(),
    now: () => Date = () => new Date(),
  ) {
    this.table = new DynamoTable(tableName, client, now);
  }
}
