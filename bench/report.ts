/**
 * What every benchmark under bench/ returns: its figures as a table (ratios against a baseline
 * measured in the same run, and counts; never absolute times alone) and its count-based goals.
 * `bench/run.ts` prints the tables, writes them to docs/BENCHMARKS.md with the command and the
 * machine, and fails when a goal is not met. Timing ratios are reported, never asserted.
 */

/** Options every benchmark takes. */
export interface BenchOptions {
  /** the short version `.ci/run` plays so the benchmark cannot rot: small sizes, few repetitions */
  short: boolean;
  /** progress lines (stderr) */
  log: (line: string) => void;
}

/** A goal that is a count (calls per service, bytes), checked in CI: it must not regress. */
export interface CountGoal {
  /** what is measured, e.g. "reconcile, unchanged run, 1,000 services: calls per service" */
  goal: string;
  actual: number;
  /** the goal holds when actual <= limit */
  limit: number;
}

/** One benchmark's result. */
export interface BenchReport {
  /** file name without `.bench.ts`, e.g. `bundles` */
  name: string;
  /** a heading for docs/BENCHMARKS.md */
  title: string;
  /** what it measures and how, in a few sentences (markdown) */
  description: string;
  tables: { caption?: string; columns: string[]; rows: (string | number)[][] }[];
  goals: CountGoal[];
  /** remarks printed under the tables */
  notes?: string[];
}

/** A benchmark: `export const bench: Bench = async (options) => …` in `bench/<name>.bench.ts`. */
export type Bench = (options: BenchOptions) => Promise<BenchReport>;

/** Whether a count goal holds. */
export function goalMet(goal: CountGoal): boolean {
  return Number.isFinite(goal.actual) && goal.actual <= goal.limit;
}
