/**
 * The one set of timers the task lifecycle and the deployment controller share: both schedule on it,
 * in the order they act, so a seeded run replays the same way, and one `stop()` halts them both.
 */

/** Timers that can be cancelled by group (a task's ARN) or all at once. */
export class Timers {
  private readonly all = new Set<NodeJS.Timeout>();
  private readonly byGroup = new Map<string, Set<NodeJS.Timeout>>();
  private stopped = false;

  /**
   * Runs `run` after `ms`, unless stopped before.
   *
   * @param group - cancels the timer with {@link cancel} (a task's timers are grouped by its ARN)
   */
  schedule(ms: number, run: () => void, group?: string): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.all.delete(timer);
      if (group) this.byGroup.get(group)?.delete(timer);
      if (!this.stopped) run();
    }, ms);
    this.all.add(timer);
    if (group) {
      const set = this.byGroup.get(group) ?? new Set<NodeJS.Timeout>();
      set.add(timer);
      this.byGroup.set(group, set);
    }
  }

  /** Cancels the pending timers of `group`. */
  cancel(group: string): void {
    for (const timer of this.byGroup.get(group) ?? []) {
      clearTimeout(timer);
      this.all.delete(timer);
    }
    this.byGroup.delete(group);
  }

  /** Cancels every timer; nothing is scheduled afterwards. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.all) clearTimeout(timer);
    this.all.clear();
    this.byGroup.clear();
  }
}
