/**
 * Notify, decided: what an autopilot event, the flush schedule or an operator's test asks of each
 * channel, as a {@link NotifyPlan}. Planning only reads (the route's service tags, a deployment's
 * thread in a channel, the ended windows); counting into a window, sending, remembering a thread,
 * noting a closed window's late count and closing a window are effects, carried out by
 * `notifyEffects` (notify-effects.ts).
 *
 * Each channel is one decision. A plan says what would be sent (`would-send`); the world answers the
 * rest when the plan is applied: the window's count may hold the message back (`held`), the channel
 * may answer (`sent`) or keep failing (`parked`). So a `would-send` that is still one after applying
 * is one of a dry run: its reason says that nothing was sent.
 */
import type { ChannelConfig, Notifications } from '../../config/notifications';
import type { ClosedWindow, NotificationStore, NotificationWindow, ThreadRef } from '../../ports';
import type { Plan } from '../plan/plan';
import { parseDuration } from '../policy/duration';
import { describeEvent, summarise } from './describe-event';
import type { NotificationMessage, Severity } from './message';
import { carriedTags, routeMessage, routesNeedTags } from './route';

/** What happened (or would happen) for one channel, with its reason (printed by `autopilot dispatch`). */
export type NotifyDecision =
  | {
      channel: string;
      /** `would-send`: planned, or nothing applied (dry run); the others: what the channel and the window answered */
      action: 'would-send' | 'sent' | 'held' | 'parked';
      reason: string;
      title: string;
      dryRun?: boolean;
    }
  | { channel: string; action: 'ignore'; reason: string; title?: string; dryRun?: boolean };

/**
 * Where a message goes in its channel: on its own, under the first message of its deployment (read
 * when planning), or as that first message (remembered by a `remember-thread` effect when the
 * channel answers with a thread id: Slack bot channels).
 */
export type Placement =
  | { as: 'message' }
  | { as: 'reply'; thread: ThreadRef }
  | { as: 'first'; threadKey: string };

/** What notifying changes, in order. */
export type NotifyEffect =
  /**
   * Counts the message into its channel's window (atomic, once per event: `eventId`). Past `after`,
   * or counted after the window was closed (late), the window keeps its title as an example and the
   * decision becomes `held`: the count is the window's answer, not the plan's.
   */
  | {
      kind: 'admit';
      decision: number;
      channel: string;
      /** the event notified: a retry of it is not counted again */
      eventId: string;
      groupKey: string;
      window: { start: string; end: string };
      after: number;
      example: string;
    }
  /**
   * Sends to the channel (the outside world: what a dry run never does). Its answer is the decision:
   * `sent`, or `parked` when the channel keeps failing after its retries: the message then goes to the
   * dead-letter queue (`ifUndelivered: 'park'`) or is only reported (`'report'`: an operator's test).
   */
  | {
      kind: 'send';
      decision: number;
      channel: string;
      config: ChannelConfig;
      message: NotificationMessage;
      placement: Placement;
      ifUndelivered: 'park' | 'report';
    }
  /**
   * Remembers the thread a `first` message started (a conditional write: the first one remembered
   * stays). Skipped when the message was held or parked; saves nothing when the channel answered with
   * no thread id (it does not thread).
   */
  | {
      kind: 'remember-thread';
      decision: number;
      channel: string;
      threadKey: string;
      first: NotificationMessage;
    }
  /**
   * Closes an ended window as listed (its count told), or closes it again after its late summary.
   * After the summary's send, whatever that answered: a flush that dies in between sends the summary
   * again rather than losing it (at least once).
   */
  | { kind: 'close-window'; window: NotificationWindow }
  /**
   * Notes the count a flush saw on a closed window whose late events are still arriving: its late
   * summary waits for a flush that finds the count unchanged, so the late events are told together.
   */
  | { kind: 'note-late-count'; window: NotificationWindow };

/** A notify plan: one decision per channel (or per summary), and the effects they call for. */
export type NotifyPlan = Plan<NotifyDecision, NotifyEffect>;

/** What planning reads; it cannot write (the store is its read view). */
export interface NotifyReads {
  notifications: Notifications;
  store: Pick<NotificationStore, 'getThread' | 'listEndedWindows'>;
  /** The service's tags, for routes that filter on them (when its event carries none); undefined when unknown. */
  tagsOf: (cluster: string, service: string) => Promise<Record<string, string> | undefined>;
  now: () => Date;
}

/** An autopilot event as it arrives from EventBridge. */
export interface BusEvent {
  id: string;
  time: string;
  account: string;
  region: string;
  'detail-type': string;
  detail: unknown;
}

/** The message of an event as it came off the bus. */
export function describeBusEvent(event: BusEvent): NotificationMessage {
  return describeEvent({
    id: event.id,
    time: event.time,
    account: event.account,
    region: event.region,
    detailType: event['detail-type'],
    detail: event.detail,
  });
}

/** The reason of a `would-send` decision: it stays one only when nothing was applied. */
export const NOTHING_SENT = 'dry run: nothing sent';

/** The aggregation window length in milliseconds. */
export function windowMsOf(notifications: Notifications): number {
  return parseDuration(notifications.aggregate.window) ?? 60_000;
}

/**
 * The aggregation window an instant falls in: fixed buckets of `windowMs`, so concurrent notifiers
 * agree on the window without coordination.
 */
export function windowAt(at: Date, windowMs: number): { start: string; end: string } {
  const start = Math.floor(at.getTime() / windowMs) * windowMs;
  return { start: new Date(start).toISOString(), end: new Date(start + windowMs).toISOString() };
}

/** What makes notifications "similar": the same event type, cluster and severity. */
export function groupKeyOf(message: Pick<NotificationMessage, 'eventType' | 'cluster' | 'severity'>): string {
  return [message.eventType, message.cluster ?? '', message.severity].join('|');
}

function sampleOf(groupKey: string): { eventType: string; severity: Severity; cluster?: string } {
  const [eventType = '', cluster = '', severity = 'info'] = groupKey.split('|');
  return { eventType, severity: severity as Severity, ...(cluster ? { cluster } : {}) };
}

/** Where a message goes in a channel: a deployment's thread is read, never written, here. */
async function placementOf(
  channel: string,
  message: NotificationMessage,
  reads: Pick<NotifyReads, 'store'>,
): Promise<Placement> {
  if (!message.threadKey) return { as: 'message' };
  const thread = await reads.store.getThread(channel, message.threadKey);
  return thread ? { as: 'reply', thread } : { as: 'first', threadKey: message.threadKey };
}

/** The send of a message to a configured channel, and the thread it may start. */
async function sendEffects(
  decision: number,
  channel: string,
  config: ChannelConfig,
  message: NotificationMessage,
  reads: Pick<NotifyReads, 'store'>,
): Promise<NotifyEffect[]> {
  const placement = await placementOf(channel, message, reads);
  const send: NotifyEffect = {
    kind: 'send',
    decision,
    channel,
    config,
    message,
    placement,
    ifUndelivered: 'park',
  };
  return placement.as === 'first'
    ? [send, { kind: 'remember-thread', decision, channel, threadKey: placement.threadKey, first: message }]
    : [send];
}

const wouldSend = (channel: string, message: NotificationMessage): NotifyDecision => ({
  channel,
  action: 'would-send',
  reason: NOTHING_SENT,
  title: message.title,
});

const unknownChannel = (channel: string): NotifyDecision => ({
  channel,
  action: 'ignore',
  reason: `no channel named "${channel}"`,
});

/**
 * The tags a route filters on: those the event carries (a tag policy event's resource), else the
 * service's, looked up.
 */
async function routingTagsOf(
  event: BusEvent,
  message: NotificationMessage,
  reads: Pick<NotifyReads, 'tagsOf'>,
): Promise<Record<string, string> | undefined> {
  const carried = carriedTags(event.detail);
  if (carried) return carried;
  return message.cluster && message.service ? reads.tagsOf(message.cluster, message.service) : undefined;
}

/**
 * Plans the notifications of one autopilot event: routed to its channels (the tags of the resource
 * are read only when a route filters on them: from the event when it carries them, else the
 * service's are looked up), each counted into its aggregation window, then sent.
 *
 * @returns one decision per channel, each with its own effects (admit, send, remember the thread):
 *   the channels share nothing, so they can be applied side by side
 * @example
 * await planNotification(event, reads)
 * // { decisions: [{ channel: 'ops', action: 'would-send', … }],
 * //   effects: [{ kind: 'admit', decision: 0, … }, { kind: 'send', decision: 0, … }] }
 */
export async function planNotification(
  event: BusEvent,
  reads: NotifyReads,
  message: NotificationMessage = describeBusEvent(event),
): Promise<NotifyPlan> {
  const tags = routesNeedTags(reads.notifications) ? await routingTagsOf(event, message, reads) : undefined;
  const channels = routeMessage(message, reads.notifications, tags);
  if (channels.length === 0)
    return {
      decisions: [
        { channel: '-', action: 'ignore', reason: 'no route and no default channel', title: message.title },
      ],
      effects: [],
    };
  const { after } = reads.notifications.aggregate;
  const window = windowAt(new Date(message.at), windowMsOf(reads.notifications));
  const groupKey = groupKeyOf(message);
  const decisions: NotifyDecision[] = [];
  const effects: NotifyEffect[] = [];
  for (const channel of channels) {
    const decision = decisions.length;
    const config = reads.notifications.channels[channel];
    if (!config) {
      decisions.push(unknownChannel(channel));
      continue;
    }
    decisions.push(wouldSend(channel, message));
    effects.push({
      kind: 'admit',
      decision,
      channel,
      eventId: event.id,
      groupKey,
      window,
      after,
      example: message.title,
    });
    effects.push(...(await sendEffects(decision, channel, config, message, reads)));
  }
  return { decisions, effects };
}

/**
 * How many of a window's events are held and not told yet: what its summary, or its late summary,
 * tells. Held are the events counted past `after` and those counted after the window was closed
 * (late); told are the first `told` (one by one or in a summary). Of the events counted between the
 * listing that closed the window and its close (one notifier at a time makes it rare), those within
 * `after` were sent, not held.
 *
 * @example
 * untoldOf({ …, count: 5 }, 3) // 2: the summary's
 * untoldOf({ …, count: 7, closed: { told: 5, atCount: 5, lateExamples: [] } }, 3) // 2: the late summary's
 */
export function untoldOf(window: NotificationWindow, after: number): number {
  if (!window.closed) return Math.max(0, window.count - after);
  const { told, atCount } = window.closed;
  return Math.max(0, window.count - Math.max(told, Math.min(after, atCount)));
}

/**
 * Whether an event given `count` in its window came late: counted after the flush closed the window
 * (past the count it was closed at), so it is held for the late summary, never sent alone. The
 * DynamoDB store and its in-memory fake both answer it at admission, so they share this one rule.
 *
 * @example
 * countedLate({ told: 5, atCount: 5, lateExamples: [] }, 6) // true
 * countedLate(undefined, 6) // false: the window is open
 */
export function countedLate(closed: ClosedWindow | undefined, count: number): boolean {
  return closed !== undefined && count > closed.atCount;
}

/**
 * Plans the flush: for each ended window with something to tell, one summary of the events it held
 * back, then the window closed (one that held nothing back is closed without one). A window is
 * remembered once closed: the events counted after it (late) are told in one late summary, once
 * they stopped arriving (a flush found the count the previous one noted), and the window is closed
 * again.
 *
 * @returns one decision per summary
 */
export async function planFlush(reads: NotifyReads): Promise<NotifyPlan> {
  const { after } = reads.notifications.aggregate;
  const decisions: NotifyDecision[] = [];
  const effects: NotifyEffect[] = [];
  for (const window of await reads.store.listEndedWindows(reads.now())) {
    const untold = untoldOf(window, after);
    const { closed } = window;
    if (untold > 0 && closed && closed.seen !== window.count) {
      // Late events still arriving (a notifier behind event time): tell them together, later.
      effects.push({ kind: 'note-late-count', window });
      continue;
    }
    if (untold > 0) {
      const decision = decisions.length;
      const summary = closed
        ? summarise({ ...window, count: untold, examples: closed.lateExamples }, sampleOf(window.groupKey), {
            told: closed.told,
          })
        : summarise({ ...window, count: untold }, sampleOf(window.groupKey));
      const config = reads.notifications.channels[window.channel];
      if (config) {
        decisions.push(wouldSend(window.channel, summary));
        effects.push(...(await sendEffects(decision, window.channel, config, summary, reads)));
      } else decisions.push(unknownChannel(window.channel));
    }
    effects.push({ kind: 'close-window', window });
  }
  return { decisions, effects };
}

/**
 * Plans a sample message straight to one channel (no routing, no aggregation, no thread), so
 * operators can check its wiring: `autopilot notify test <channel>`. A failure is reported, not parked.
 */
export function planTestMessage(
  channel: string,
  reads: Pick<NotifyReads, 'notifications' | 'now'>,
): NotifyPlan {
  const config = reads.notifications.channels[channel];
  if (!config) {
    const known = Object.keys(reads.notifications.channels).join(', ') || 'none';
    return {
      decisions: [
        { channel, action: 'ignore', reason: `no channel named "${channel}" (channels: ${known})` },
      ],
      effects: [],
    };
  }
  const at = reads.now().toISOString();
  const message: NotificationMessage = {
    eventType: 'Notification Test',
    id: `test:${channel}:${at}`,
    severity: 'info',
    title: `ecs-autopilot test message for ${channel}`,
    text: 'If you can read this, autopilot can reach this channel. Nothing happened to any service.',
    facts: [
      { label: 'Channel', value: channel },
      { label: 'Type', value: config.type },
    ],
    links: [],
    at,
    dryRun: false,
  };
  return {
    decisions: [wouldSend(channel, message)],
    effects: [
      {
        kind: 'send',
        decision: 0,
        channel,
        config,
        message,
        placement: { as: 'message' },
        ifUndelivered: 'report',
      },
    ],
  };
}
