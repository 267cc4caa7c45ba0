/**
 * The pause before a batch call's failed or unprocessed entries are sent again (PutEvents entries,
 * BatchWriteItem's UnprocessedItems): sent again at once, a throttled entry is throttled again, so
 * the adapters back off as the SDK does for a throttled call.
 */

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The pause before resend `round` (1 for the first), doubling from `firstMs`, with equal jitter: half
 * the doubled pause for sure, the other half at random.
 *
 * @example resendPause(100, 3) // between 200 and 400
 */
export function resendPause(firstMs: number, round: number): number {
  const pause = firstMs * 2 ** (round - 1);
  return pause / 2 + Math.random() * (pause / 2);
}
