/**
 * Notify, the use cases: an autopilot event becomes a message, is routed to channels, counted into the
 * channel's aggregation window and sent, threaded under the first message of its deployment where the
 * channel threads. Past `aggregate.after` similar events in a window, the rest are held and sent as
 * one summary when the window has ended (`flushWindows`, on a schedule); events of a window that come
 * after it was closed are held too, and told in one late summary once they stop coming. A channel that cannot be
 * reached after its retries is parked in the dead-letter queue; the other channels are not held up.
 *
 * Each is its plan (notify-plan.ts, reads only) applied by the notifier's effect handlers
 * (notify-effects.ts). Dry run is the applier doing nothing: every channel's decision is reported as
 * `would-send`, nothing is counted, sent, remembered or closed.
 */
import type { NotificationStore, ServiceHistory } from '../../ports';
import { applyPlan } from '../plan/plan';
import { historyEntryOf } from './history';
import { type NotifyWrites, notifyEffects } from './notify-effects';
import {
  type BusEvent,
  describeBusEvent,
  type NotifyDecision,
  type NotifyPlan,
  type NotifyReads,
  planFlush,
  planNotification,
  planTestMessage,
} from './notify-plan';

export type { BusEvent, NotifyDecision } from './notify-plan';

/** What notifying needs: what its plans read, what its effects write, and whether to apply them. */
export interface NotifyDeps extends NotifyReads, NotifyWrites {
  store: NotificationStore;
  /** where each event about a service is kept for `autopilot history` (none: not kept, e.g. the CLI's test message) */
  history?: Pick<ServiceHistory, 'record'>;
  /** decide and report, send nothing */
  dryRun: boolean;
}

/**
 * Notifies the channels an autopilot event is routed to.
 *
 * @returns one decision per channel
 */
export async function notifyEvent(event: BusEvent, deps: NotifyDeps): Promise<NotifyDecision[]> {
  // Described once: the plan routes the message, the history keeps it.
  const message = describeBusEvent(event);
  const decisions = await applyChannelsApart(await planNotification(event, deps, message), deps);
  // Kept once the channels answered, with what each did; a retry of the event writes the same entry.
  const entry = deps.history && !deps.dryRun ? historyEntryOf(event, message, decisions) : undefined;
  if (entry) await deps.history?.record(entry);
  return decisions;
}

/**
 * Applies each channel's decision with its own effects, the channels side by side: a channel that is
 * slow, or failing through its retries (up to 20 s a post), holds up no other, and an invocation lasts
 * as long as its slowest channel, not the sum of them (the function has one at a time and 120 s).
 * The decisions of a notification share nothing: every effect belongs to its channel's decision.
 */
async function applyChannelsApart(plan: NotifyPlan, deps: NotifyDeps): Promise<NotifyDecision[]> {
  const effects = notifyEffects(deps);
  const applied = await Promise.all(
    plan.decisions.map((decision, index) => {
      const own = plan.effects.filter((e) => 'decision' in e && e.decision === index);
      const alone: NotifyPlan = { decisions: [decision], effects: own.map((e) => ({ ...e, decision: 0 })) };
      return applyPlan(alone, effects, { dryRun: deps.dryRun });
    }),
  );
  return applied.flat();
}

/**
 * Sends one summary per ended window that held notifications back and closes ended windows (they are
 * remembered: late events are held for the window's late summary, sent here once they stop coming).
 *
 * @returns one decision per summary sent or parked
 */
export async function flushWindows(deps: NotifyDeps): Promise<NotifyDecision[]> {
  return applyPlan(await planFlush(deps), notifyEffects(deps), { dryRun: deps.dryRun });
}

/**
 * Sends a sample message straight to one channel (no routing, no aggregation), so operators can check
 * its wiring: `autopilot notify test <channel>`.
 */
export async function sendTestMessage(channel: string, deps: NotifyDeps): Promise<NotifyDecision> {
  const [decision] = await applyPlan(planTestMessage(channel, deps), notifyEffects(deps), {
    dryRun: deps.dryRun,
  });
  // A test plan holds exactly one decision.
  return decision as NotifyDecision;
}
