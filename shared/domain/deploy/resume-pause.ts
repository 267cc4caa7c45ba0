/**
 * `autopilot resume` as a use case: ends a pause now, and makes the pushes it held due at once, so
 * deploy-due deploys them within its next minute (planned again then: a service another pause still
 * covers waits for that one). The CLI and the sandbox's scenarios call it alike.
 */
import type { Pause, PauseStore, PendingPush, PendingPushes } from '../../ports';
import { pausedBecause } from './pause';

/** What resuming did: the pause it ended (none when the scope was not paused) and the pushes it released. */
export interface Resumed {
  ended?: Pause;
  released: PendingPush[];
}

/**
 * Ends the pause of `scope` and releases what it held. A push it held waits for nothing else unless a
 * window or a cooldown ends after the pause (its due time is then that one's, kept).
 *
 * @example await resumePause('cluster:staging', { pauses, pending }, new Date()) // { ended: { … }, released: [ … ] }
 */
export async function resumePause(
  scope: string,
  deps: { pauses: PauseStore; pending: Pick<PendingPushes, 'listDuePending' | 'savePending'> },
  now: Date,
): Promise<Resumed> {
  const ended = await deps.pauses.resume(scope);
  if (!ended || ended.until <= now.toISOString()) return { released: [] };
  // The pushes this pause held say so in their reason (the deferral's, `pausedBecause`).
  const because = pausedBecause(ended);
  const held = (await deps.pending.listDuePending(new Date(ended.until))).filter((p) =>
    p.reason.startsWith(because),
  );
  const released: PendingPush[] = [];
  for (const { announced: _, ...pending } of held) {
    const due = { ...pending, dueAt: now.toISOString() };
    // The same push only: a newer one saved meanwhile is left as it is.
    if (await deps.pending.savePending(due, (existing) => existing.push.eventId === pending.push.eventId)) {
      released.push(due);
    }
  }
  return { ended, released };
}
