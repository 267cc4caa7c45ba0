/**
 * How long a restart chain waits before its next attempt, like Kubernetes' CrashLoopBackOff: the
 * initial delay doubling per attempt up to a cap, and the count reset once a task ran long enough.
 * Pure, table-tested (test/unit/domain/restart/backoff.test.ts).
 */

/** A chain's backoff, in seconds. */
export interface Backoff {
  initialSeconds: number;
  maxSeconds: number;
  /** a task that ran at least this long before it stopped starts a new count */
  resetAfterSeconds: number;
}

/** 10 s doubling to a 5 minute cap, reset after a run of 10 minutes (the defaults). */
export const DEFAULT_BACKOFF: Backoff = { initialSeconds: 10, maxSeconds: 300, resetAfterSeconds: 600 };

/** At most this many restarts per chain by default. */
export const DEFAULT_MAX_ATTEMPTS = 5;

/** The longest delay SQS gives a message (DelaySeconds): a backoff is never longer. */
export const MAX_DELAY_SECONDS = 900;

/**
 * The delay before restart `attempt` (1 for the first restart).
 *
 * @example backoffDelay(1, DEFAULT_BACKOFF) // 10
 * @example backoffDelay(4, DEFAULT_BACKOFF) // 80
 * @example backoffDelay(9, DEFAULT_BACKOFF) // 300
 */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  const cap = Math.min(backoff.maxSeconds, MAX_DELAY_SECONDS);
  const exponent = Math.max(0, attempt - 1);
  // 2^30 seconds is beyond any cap: no overflow to Infinity for absurd attempt numbers.
  return Math.min(cap, backoff.initialSeconds * 2 ** Math.min(exponent, 30));
}

/**
 * Whether a task that ran from `startedAt` to `stoppedAt` ran long enough to start a new count.
 * A task that never started (no `startedAt`) did not.
 */
export function ranLongEnough(startedAt: string | undefined, stoppedAt: string, backoff: Backoff): boolean {
  if (startedAt === undefined) return false;
  const ran = (Date.parse(stoppedAt) - Date.parse(startedAt)) / 1000;
  return Number.isFinite(ran) && ran >= backoff.resetAfterSeconds;
}
