/**
 * Requests counted by service and operation (`ecs:DescribeServices`, `dynamodb:PutItem`…), as the
 * servers of the benchmark account receive them: what a function really sent, SDK retries included.
 */

/** Counts by `<service>:<operation>`. */
export type CallCounts = Record<string, number>;

/** A running tally of requests that can be taken (read and reset) between measurements. */
export class CallCounter {
  private counts = new Map<string, number>();

  /** Counts one request. */
  record(service: string, operation: string): void {
    const key = `${service}:${operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** The counts since the last take, and a fresh start. */
  take(): CallCounts {
    const taken = Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
    this.counts = new Map();
    return taken;
  }
}

/** All requests of `counts`. */
export function totalOf(counts: CallCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** The sum of several tallies. */
export function sumCounts(tallies: readonly CallCounts[]): CallCounts {
  const sum: CallCounts = {};
  for (const tally of tallies) {
    for (const [key, n] of Object.entries(tally)) sum[key] = (sum[key] ?? 0) + n;
  }
  return sum;
}

/** Every operation that appears in any of the tallies, sorted. */
export function operationsOf(tallies: readonly CallCounts[]): string[] {
  return [...new Set(tallies.flatMap((tally) => Object.keys(tally)))].sort();
}

/** A number for a table: integers as they are, others with `digits` decimals. */
export function figure(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/** The median of `values` (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
