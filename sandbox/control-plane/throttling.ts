/**
 * ECS's request quotas: a token bucket per account and Region for an operation, as ECS documents its
 * throttling. A call takes tokens; a bucket without enough is answered `ThrottlingException` "Rate
 * exceeded" (400) and changes nothing; the bucket refills at its sustained rate up to its burst.
 *
 * The sandbox applies the quotas it is given (`ControlPlaneOptions.rateQuotas`; `sandbox/account.ts`
 * gives {@link FARGATE_RUN_TASK_QUOTA}), on the control plane's clock, so a storm of restarts that
 * ignored RunTask's rate would be throttled as in ECS. Whether a given call is throttled depends on how
 * fast calls come, so tests assert what a caller must guarantee (nothing lost, calls in flight), not
 * how many were throttled.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/request-throttling.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/throttling.html
 */

/** A token bucket's size (the burst rate) and refill (the sustained rate, tokens a second). */
export interface RateQuota {
  burst: number;
  perSecond: number;
}

/**
 * Fargate's quota on RunTask requests: 20 calls a second, burst and sustained, per account and
 * Region (each call may start up to 10 tasks).
 */
export const FARGATE_RUN_TASK_QUOTA: RateQuota = { burst: 20, perSecond: 20 };

/** One operation's token bucket, full at first. */
export class TokenBucket {
  private tokens: number;
  private at: number | undefined;

  /** @throws RangeError for a burst below 1 or a refill rate that is not positive */
  constructor(private readonly quota: RateQuota) {
    if (!(quota.burst >= 1 && quota.perSecond > 0))
      throw new RangeError(
        `a rate quota needs a burst of 1 or more and a positive rate: ${JSON.stringify(quota)}`,
      );
    this.tokens = quota.burst;
  }

  /**
   * Takes one token at `now` if the bucket holds one (after refilling it for the time since the last
   * call).
   *
   * @returns whether the call is within the quota
   * @example
   * const bucket = new TokenBucket({ burst: 2, perSecond: 1 });
   * bucket.take(t0); bucket.take(t0); // true, true
   * bucket.take(t0); // false: throttled
   * bucket.take(new Date(t0.getTime() + 1000)); // true: one token back after a second
   */
  take(now: Date): boolean {
    const ms = now.getTime();
    if (this.at !== undefined && ms > this.at)
      this.tokens = Math.min(this.quota.burst, this.tokens + ((ms - this.at) / 1000) * this.quota.perSecond);
    this.at = Math.max(ms, this.at ?? ms);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
