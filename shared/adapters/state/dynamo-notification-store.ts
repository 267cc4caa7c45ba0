/**
 * {@link NotificationStore} on the autopilot table: aggregation windows (`NOTIFYWIN` /
 * `<channel>#<groupKey>#<windowStart>`) and the first message of a deployment's thread
 * (`THREAD#<channel>` / `<threadKey>`).
 *
 * Windows are fixed buckets, so counting is one atomic update that creates the window on first use:
 * concurrent notifiers never race to open one. The window keeps the count each event was given
 * (`counted#<eventId>`), so an event counted again (a retry) is not counted twice. Ended windows are few (one per channel, group and
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
    eventId: string,
  ): Promise<NotificationWindow> {
    const key = notificationWindowKey(channel, groupKey, window.start);
    const event = countedAttribute(eventId);
    // One update counts the event and keeps the count it was given (both read the count before it),
    // unless it was counted already: a retry, which gets that count again.
    const counted = await this.table.update(key, {
      set:
        'SET #count = if_not_exists(#count, :zero) + :one, #event = if_not_exists(#count, :zero) + :one, ' +
        'channel = :channel, groupKey = :group, windowStart = :start, windowEnd = :end, expiresAt = :expires',
      if: 'attribute_not_exists(#event)',
      names: { '#count': 'count', '#event': event },
      values: {
        ':zero': 0,
        ':one': 1,
        ':channel': channel,
        ':group': groupKey,
        ':start': window.start,
        ':end': window.end,
        ':expires': epoch(new Date(window.end)) + DAY,
      },
    });
    if (counted) return toWindow(counted);
    const item = (await this.table.get(key)) ?? {};
    return { ...toWindow(item), count: Number(item[event] ?? item.count ?? 0) };
  }

  async addExample(channel: string, groupKey: string, windowStart: string, example: string): Promise<void> {
    // Enough examples already, this one among them (a retry), or the window was just summarised: the
    // count is what matters.
    await this.table.update(notificationWindowKey(channel, groupKey, windowStart), {
      set: 'SET examples = list_append(if_not_exists(examples, :empty), :example)',
      if:
        'attribute_exists(pk) AND (attribute_not_exists(examples) OR ' +
        '(size(examples) < :max AND NOT contains(examples, :title)))',
      values: { ':empty': [], ':example': [example], ':max': MAX_EXAMPLES, ':title': example },
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

/**
 * The attribute of a window that holds the count an event was given: one per event counted (about 60
 * bytes), so a window item holds some thousands before DynamoDB's 400 KB item limit.
 */
const countedAttribute = (eventId: string) => `counted#${eventId}`;

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
