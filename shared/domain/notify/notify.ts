/**
 * Notify, the use case: an autopilot event becomes a message, is routed to channels, counted into the
 * channel's aggregation window and sent, threaded under the first message of its deployment where the
 * channel threads. Past `aggregate.after` similar events in a window, the rest are held and sent as
 * one summary when the window has ended (`flushWindows`, on a schedule). A channel that cannot be
 * reached after its retries is parked in the dead-letter queue; the other channels are not held up.
 */
import type { Notifications } from '../../config/notifications';
import type {
  ChatSender,
  NotificationStore,
  NotificationWindow,
  SentMessage,
  UndeliveredSink,
} from '../../ports';
import { parseDuration } from '../policy/duration';
import { describeEvent, summarise } from './describe-event';
import type { NotificationMessage, Severity } from './message';
import { routeMessage, routesNeedTags } from './route';

/** What notifying needs. */
export interface NotifyDeps {
  notifications: Notifications;
  sender: ChatSender;
  store: NotificationStore;
  undelivered: UndeliveredSink;
  /** The service's tags, for routes that filter on them; undefined when unknown. */
  tagsOf: (cluster: string, service: string) => Promise<Record<string, string> | undefined>;
  /** decide and report, send nothing */
  dryRun: boolean;
  now: () => Date;
}

/** What happened for one channel, with its reason (printed by `autopilot dispatch`). */
export interface NotifyDecision {
  channel: string;
  action: 'sent' | 'held' | 'parked' | 'would-send' | 'ignore';
  reason: string;
  title?: string;
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

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function deliver(
  channel: string,
  message: NotificationMessage,
  deps: NotifyDeps,
): Promise<NotifyDecision> {
  const config = deps.notifications.channels[channel];
  if (!config) return { channel, action: 'ignore', reason: `no channel named "${channel}"` };
  if (deps.dryRun)
    return { channel, action: 'would-send', reason: 'dry run: nothing sent', title: message.title };
  try {
    const thread = message.threadKey ? await deps.store.getThread(channel, message.threadKey) : undefined;
    const sent: SentMessage | undefined = await deps.sender.send(channel, config, message, thread);
    if (!thread && message.threadKey && sent?.ts)
      await deps.store.saveThread(channel, message.threadKey, { ...sent, first: message });
    return {
      channel,
      action: 'sent',
      reason: thread ? 'sent in the thread of its deployment' : 'sent',
      title: message.title,
    };
  } catch (error) {
    // The channel keeps failing after its own retries: keep the message, do not hold up the others.
    await deps.undelivered.park({ channel, message, error: errorText(error) });
    return { channel, action: 'parked', reason: `not delivered: ${errorText(error)}`, title: message.title };
  }
}

/**
 * Notifies the channels an autopilot event is routed to.
 *
 * @returns one decision per channel
 */
export async function notifyEvent(event: BusEvent, deps: NotifyDeps): Promise<NotifyDecision[]> {
  const message = describeEvent({
    id: event.id,
    time: event.time,
    account: event.account,
    region: event.region,
    detailType: event['detail-type'],
    detail: event.detail,
  });
  const tags =
    routesNeedTags(deps.notifications) && message.cluster && message.service
      ? await deps.tagsOf(message.cluster, message.service)
      : undefined;
  const channels = routeMessage(message, deps.notifications, tags);
  if (channels.length === 0)
    return [
      { channel: '-', action: 'ignore', reason: 'no route and no default channel', title: message.title },
    ];
  const { after } = deps.notifications.aggregate;
  const window = windowAt(new Date(message.at), windowMsOf(deps.notifications));
  const groupKey = groupKeyOf(message);
  return Promise.all(
    channels.map(async (channel): Promise<NotifyDecision> => {
      const admitted = deps.dryRun ? undefined : await deps.store.admit(channel, groupKey, window);
      if (admitted && admitted.count > after) {
        await deps.store.addExample(channel, groupKey, admitted.windowStart, message.title);
        return {
          channel,
          action: 'held',
          reason: `similar event ${admitted.count} in the window (more than ${after}): summarised after ${admitted.windowEnd}`,
          title: message.title,
        };
      }
      return deliver(channel, message, deps);
    }),
  );
}

/**
 * Sends one summary per ended window that held notifications back, and forgets ended windows.
 *
 * @returns one decision per summary sent or parked
 */
export async function flushWindows(deps: NotifyDeps): Promise<NotifyDecision[]> {
  const { after } = deps.notifications.aggregate;
  const decisions: NotifyDecision[] = [];
  const ended: NotificationWindow[] = await deps.store.listEndedWindows(deps.now());
  for (const window of ended) {
    if (deps.dryRun) continue;
    const held = window.count - after;
    if (held > 0) {
      // Sent (or parked) before the window is closed: a flush that dies in between sends the summary
      // again on the next run rather than losing it. The notifier runs one at a time, so two flushes
      // never race for a window.
      const summary = summarise({ ...window, count: held }, sampleOf(window.groupKey));
      decisions.push(await deliver(window.channel, summary, deps));
    }
    await deps.store.closeWindow(window);
  }
  return decisions;
}

/**
 * Sends a sample message straight to one channel (no routing, no aggregation), so operators can check
 * its wiring: `autopilot notify test <channel>`.
 */
export async function sendTestMessage(channel: string, deps: NotifyDeps): Promise<NotifyDecision> {
  const config = deps.notifications.channels[channel];
  if (!config) {
    const known = Object.keys(deps.notifications.channels).join(', ') || 'none';
    return { channel, action: 'ignore', reason: `no channel named "${channel}" (channels: ${known})` };
  }
  const at = deps.now().toISOString();
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
  if (deps.dryRun)
    return { channel, action: 'would-send', reason: 'dry run: nothing sent', title: message.title };
  try {
    await deps.sender.send(channel, config, message);
    return { channel, action: 'sent', reason: 'sent', title: message.title };
  } catch (error) {
    return { channel, action: 'parked', reason: `not delivered: ${errorText(error)}`, title: message.title };
  }
}
