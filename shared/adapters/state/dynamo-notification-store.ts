/**
 * {@link NotificationStore} on the autopilot table: aggregation windows (`NOTIFYWIN` /
 * `<channel>#<groupKey>#<windowStart>`) and the first message of a deployment's thread
 * (`THREAD#<channel>` / `<threadKey>`).
 *
 * Windows are fixed buckets, so counting is one atomic `ADD` that creates the window on first use:
 * concurrent notifiers never race to open one. Ended windows are few (one per channel, group and
 * window that saw a notification), so listing them is one query of their partition.
 */
import type { NotificationStore, NotificationWindow, ThreadRef } from '../../ports';
import { DAY, DynamoTableStore, epoch, type Item, recordOf } from './dynamo-table';
import { notificationWindowKey, notificationWindows, threadKey } from './keys';

/** Examples kept per window for its summary. */
const MAX_EXAMPLES = 5;
const THREAD_TTL = 7 * DAY;

/** Aggregation windows and threads in DynamoDB. */
export class DynamoNotificationStore extends DynamoTableStore implements NotificationStore {
  async admit(
    channel: string,
    groupKey: string,
    window: { start: string; end: string },
  ): Promise<NotificationWindow> {
    const counted = await this.table.update(notificationWindowKey(channel, groupKey, window.start), {
      set:
        'ADD #count :one SET channel = :channel, groupKey = :group, windowStart = :start, ' +
        'windowEnd = :end, expiresAt = :expires',
      names: { '#count': 'count' },
      values: {
        ':one': 1,
        ':channel': channel,
        ':group': groupKey,
        ':start': window.start,
        ':end': window.end,
        ':expires': epoch(new Date(window.end)) + DAY,
      },
    });
    return toWindow(counted ?? {});
  }

  async addExample(channel: string, groupKey: string, windowStart: string, example: string): Promise<void> {
    // Enough examples already (or the window was just summarised): the count is what matters.
    await this.table.update(notificationWindowKey(channel, groupKey, windowStart), {
      set: 'SET examples = list_append(if_not_exists(examples, :empty), :example)',
      if: 'attribute_exists(pk) AND (attribute_not_exists(examples) OR size(examples) < :max)',
      values: { ':empty': [], ':example': [example], ':max': MAX_EXAMPLES },
    });
  }

  async listEndedWindows(now: Date): Promise<NotificationWindow[]> {
    const ended = await this.table.query(notificationWindows, {
      filter: { if: 'windowEnd <= :now', values: { ':now': now.toISOString() } },
    });
    return ended.map(toWindow);
  }

  closeWindow(window: NotificationWindow): Promise<boolean> {
    return this.table.delete(notificationWindowKey(window.channel, window.groupKey, window.windowStart), {
      if: 'attribute_exists(pk)',
    });
  }

  async getThread(channel: string, key: string): Promise<ThreadRef | undefined> {
    const item = await this.table.get(threadKey(channel, key));
    return item ? recordOf<ThreadRef>(item) : undefined;
  }

  saveThread(channel: string, key: string, thread: ThreadRef): Promise<boolean> {
    return this.table.put(
      { ...threadKey(channel, key), ...thread, expiresAt: this.table.expiresIn(THREAD_TTL) },
      { if: 'attribute_not_exists(pk)' },
    );
  }
}

function toWindow(item: Item): NotificationWindow {
  return {
    channel: String(item.channel),
    groupKey: String(item.groupKey),
    windowStart: String(item.windowStart),
    windowEnd: String(item.windowEnd),
    count: Number(item.count ?? 0),
    examples: Array.isArray(item.examples) ? item.examples.map(String) : [],
  };
}
