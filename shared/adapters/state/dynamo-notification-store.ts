/**
 * {@link NotificationStore} on the autopilot table: aggregation windows (`NOTIFYWIN` /
 * `<channel>#<groupKey>#<windowStart>`) and the first message of a deployment's thread
 * (`THREAD#<channel>` / `<threadKey>`).
 *
 * Windows are fixed buckets, so counting is one atomic update that creates the window on first use:
 * concurrent notifiers never race to open one. The window keeps the count each event was given
 * (`counted#<eventId>`), so an event counted again (a retry) is not counted twice. Closing a window
 * keeps its item (`told`, `closedCount`): an event counted after it is late, held for one late
 * summary; the item stays until {@link WINDOW_MEMORY} after the window's end, longer than an event can
 * still be delivered. Windows are few (one per channel, group and window that saw a notification), so
 * listing the ended ones with something to tell is one query of their partition, filtered.
 */
import { countedLate } from '../../domain/notify/notify-plan';
import type { AdmittedWindow, NotificationStore, NotificationWindow, ThreadRef } from '../../ports';
import { DAY, DynamoTableStore, epoch, type Item, recordOf } from './dynamo-table';
import { notificationWindowKey, notificationWindows, threadKey } from './keys';

/** Examples kept per window for its summary. */
const MAX_EXAMPLES = 5;
const THREAD_TTL = 7 * DAY;
/**
 * How long after its end a window is remembered (seconds): longer than an event of it can still reach
 * the notifier, so a late one is known late. EventBridge retries a delivery for 24 hours from the
 * event (the rule's `maximumEventAge`), then Lambda's asynchronous queue keeps it up to 6 hours
 * (the function's `maximumEventAge`): 30 hours at most, and two days with room to spare.
 */
export const WINDOW_MEMORY = 2 * DAY;

/** Aggregation windows and threads in DynamoDB. */
export class DynamoNotificationStore extends DynamoTableStore implements NotificationStore {
  async admit(
    channel: string,
    groupKey: string,
    window: { start: string; end: string },
    eventId: string,
  ): Promise<AdmittedWindow> {
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
        ':expires': epoch(new Date(window.end)) + WINDOW_MEMORY,
      },
    });
    // Late or not is read off the same item the count came from: a window closed after this event was
    // counted has a `closedCount` at least its count, one closed before it a smaller one.
    const item = counted ?? (await this.table.get(key)) ?? {};
    const given = Number(counted ? item.count : (item[event] ?? item.count ?? 0));
    const admitted = toWindow(item);
    return {
      ...admitted,
      count: given,
      late: countedLate(admitted.closed, given),
    };
  }

  async addExample(
    channel: string,
    groupKey: string,
    windowStart: string,
    example: string,
    options: { late?: boolean } = {},
  ): Promise<void> {
    // Enough examples already, or this one among them (a retry): the count is what matters. Never on
    // a window that expired (the late examples are the closed window's).
    await this.table.update(notificationWindowKey(channel, groupKey, windowStart), {
      set: 'SET #examples = list_append(if_not_exists(#examples, :empty), :example)',
      if:
        'attribute_exists(pk) AND (attribute_not_exists(#examples) OR ' +
        '(size(#examples) < :max AND NOT contains(#examples, :title)))',
      names: { '#examples': options.late ? 'lateExamples' : 'examples' },
      values: { ':empty': [], ':example': [example], ':max': MAX_EXAMPLES, ':title': example },
    });
  }

  async listEndedWindows(now: Date): Promise<NotificationWindow[]> {
    // Open windows, and closed ones counted since they were last told (late events).
    const ended = await this.table.query(notificationWindows, {
      filter: {
        if: 'windowEnd <= :now AND (attribute_not_exists(told) OR #count > told)',
        names: { '#count': 'count' },
        values: { ':now': now.toISOString() },
      },
    });
    return ended.map(toWindow);
  }

  async closeWindow(window: NotificationWindow): Promise<boolean> {
    // The item stays: what was told, and the count it was first closed at, which makes later events late.
    const closed = await this.table.update(
      notificationWindowKey(window.channel, window.groupKey, window.windowStart),
      {
        set: 'SET told = :told, closedCount = if_not_exists(closedCount, #count)',
        if: 'attribute_exists(pk) AND (attribute_not_exists(told) OR told < :told)',
        names: { '#count': 'count' },
        values: { ':told': window.count },
      },
    );
    return closed !== undefined;
  }

  async noteLateCount(window: NotificationWindow): Promise<void> {
    await this.table.update(notificationWindowKey(window.channel, window.groupKey, window.windowStart), {
      set: 'SET seen = :seen',
      if: 'attribute_exists(closedCount)',
      values: { ':seen': window.count },
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
    examples: stringsOf(item.examples),
    ...(item.closedCount === undefined
      ? {}
      : {
          closed: {
            told: Number(item.told ?? 0),
            atCount: Number(item.closedCount),
            ...(item.seen === undefined ? {} : { seen: Number(item.seen) }),
            lateExamples: stringsOf(item.lateExamples),
          },
        }),
  };
}

const stringsOf = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
