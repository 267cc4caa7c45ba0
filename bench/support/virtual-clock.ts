/**
 * A clock the benchmark moves, so "1,000 events within one minute" is a minute of event time however
 * long the machine takes. It only goes forward: the driver moves it to each event's time, and a
 * wait (a chat channel's pace, a rate limit's reset) moves it to the wait's end at once instead of
 * sleeping, so the rate limits of the chat sink and the pacing of the poster agree on one time.
 */
export class VirtualClock {
  private ms: number;

  /** @param startMs - where time starts (ms since epoch) */
  constructor(startMs: number) {
    this.ms = startMs;
  }

  /** The time now (ms since epoch): pass as `now` to the poster, the sender and the chat sink. */
  readonly now = (): number => this.ms;

  /** The time now as a Date: the notifier's `now`. */
  readonly date = (): Date => new Date(this.ms);

  /** Moves time forward to `ms`; never back (a wait that ended before now changes nothing). */
  advanceTo(ms: number): void {
    if (ms > this.ms) this.ms = ms;
  }

  /**
   * Waits `ms` of this clock: time jumps to the end of the wait. A wait that starts after another one
   * jumped starts from there, so waits side by side (two channels paced at once) may end later than
   * on a real clock: event time runs ahead, never behind, which can only make windows and rate limits
   * stricter.
   */
  readonly sleep = async (ms: number): Promise<void> => {
    this.advanceTo(this.ms + Math.max(0, ms));
    // Yield, as a timer would: the caller's continuation never runs inside sleep().
    await new Promise<void>((resolve) => setImmediate(resolve));
  };
}
