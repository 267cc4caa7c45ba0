/**
 * {@link NotificationStore} on the autopilot table.
 *
 * | item | pk | sk |
 * |---|---|---|
 * | aggregation window | `NOTIFYWIN` | `<channel>#<groupKey>#<windowStart>` |
 * | first message of a deployment's thread | `THREAD#<channel>` | `<threadKey>` |
 *
 * Windows are fixed buckets, so counting is one atomic `ADD` that creates the window on first use:
 * concurrent notifiers never race to open one. Ended windows are few (one per channel, group and
 * window that saw a notification), so listing them is one query of their partition.
 */
import { DeleteCommand, GetCommand, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NotificationStore, NotificationWindow, ThreadRef } from '../../ports';
import { DAY, DynamoTableStore, epoch, isConflict } from './dynamo-table';

const WINDOWS = 'NOTIFYWIN';
/** Examples kept per window for its summary. */
const MAX_EXAMPLES = 5;
const THREAD_TTL = 7 * DAY;
const windowKey = (channel: string, groupKey: string, windowStart: string) => ({
  pk: WINDOWS,
  sk: `${channel}#${groupKey}#${windowStart}`,
});

/** Aggregation windows and threads in DynamoDB. */
export class DynamoNotificationStore extends DynamoTableStore implements NotificationStore {
  async admit(
    channel: string,
    groupKey: string,
    window: { start: string; end: string },
  ): Promise<NotificationWindow> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: windowKey(channel, groupKey, window.start),
        UpdateExpression:
          'ADD #count :one SET channel = :channel, groupKey = :group, windowStart = :start, ' +
          'windowEnd = :end, expiresAt = :expires',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':channel': channel,
          ':group': groupKey,
          ':start': window.start,
          ':end': window.end,
          ':expires': epoch(new Date(window.end)) + DAY,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toWindow(out.Attributes ?? {});
  }

  async addExample(channel: string, groupKey: string, windowStart: string, example: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: windowKey(channel, groupKey, windowStart),
          UpdateExpression: 'SET examples = list_append(if_not_exists(examples, :empty), :example)',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(examples) OR size(examples) < :max)',
          ExpressionAttributeValues: { ':empty': [], ':example': [example], ':max': MAX_EXAMPLES },
        }),
      );
    } catch (error) {
      // Enough examples already (or the window was just summarised): the count is what matters.
      if (!isConflict(error)) throw error;
    }
  }

  async listEndedWindows(now: Date): Promise<NotificationWindow[]> {
    const windows: NotificationWindow[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        FilterExpression: 'windowEnd <= :now',
        ExpressionAttributeValues: { ':pk': WINDOWS, ':now': now.toISOString() },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) for (const item of page.Items ?? []) windows.push(toWindow(item));
    return windows;
  }

  async closeWindow(window: NotificationWindow): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: windowKey(window.channel, window.groupKey, window.windowStart),
          ConditionExpression: 'attribute_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  async getThread(channel: string, threadKey: string): Promise<ThreadRef | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `THREAD#${channel}`, sk: threadKey },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _expires, ...thread } = out.Item;
    return thread as ThreadRef;
  }

  async saveThread(channel: string, threadKey: string, thread: ThreadRef): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `THREAD#${channel}`,
            sk: threadKey,
            ...thread,
            expiresAt: epoch(this.now()) + THREAD_TTL,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }
}

function toWindow(item: Record<string, unknown>): NotificationWindow {
  return {
    channel: String(item.channel),
    groupKey: String(item.groupKey),
    windowStart: String(item.windowStart),
    windowEnd: String(item.windowEnd),
    count: Number(item.count ?? 0),
    examples: Array.isArray(item.examples) ? item.examples.map(String) : [],
  };
}
