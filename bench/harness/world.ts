/**
 * What the push and reconcile benchmarks share: the AWS process (the router and the accounts started
 * on demand, `aws-process.ts`), the functions pointed at its router, and the reconcile run as the
 * schedule would run it (invocations until the sweep is complete).
 */
import { join } from 'node:path';
import { type AwsProcess, type RemoteAccount, startAwsProcess } from './aws-process';
import { type CallCounts, sumCounts } from './calls';
import { type BenchFunctions, type BenchSource, loadFunctions, scheduledReconcile } from './functions';

export type { RemoteAccount } from './aws-process';

/** The repository root. */
export const ROOT = join(__dirname, '..', '..');

/**
 * The benchmarks' policy file: no push cap below 10,000 services (the repository's file caps a push at
 * 25), as JSON, the form the bundles read (`shared/config/policy-file.ts`).
 */
export const BENCH_POLICY_FILE = join(__dirname, 'autopilot.bench.json');

/**
 * Set over serverless.yml's environment: every scheduled reconcile starts a sweep when none is under
 * way (period 0 s), so the unchanged run right after the first is a sweep, not `not-due`.
 */
export const BENCH_ENVIRONMENT = { AUTOPILOT_RECONCILE_PERIOD: '0s' };

/** The AWS process, the functions and the accounts of one benchmark. */
export interface BenchWorld {
  functions: BenchFunctions;
  /** Starts and seeds an account of `services` services, and routes to it. */
  startAccount(services: number): Promise<RemoteAccount>;
  /** Routes the calls that follow to `account`. */
  use(account: RemoteAccount): Promise<void>;
  /**
   * Holds every call that follows `ms` before it reaches a server (0, the default: none), as an AWS
   * call takes that long: a timer in the AWS process, so calls in flight together wait together.
   */
  setLatency(ms: number): Promise<void>;
  /** Stops the AWS process (its accounts with it) and restores the environment. */
  stop(): Promise<void>;
}

/**
 * Starts the AWS process and loads the functions (`BENCH_SOURCE=bundle` runs the built bundles).
 *
 * @example
 * const world = await startBenchWorld();
 * const account = await world.startAccount(1_000);
 */
export async function startBenchWorld(source?: BenchSource): Promise<BenchWorld> {
  // Forked before the functions' environment is set: the AWS process needs none of it.
  const aws: AwsProcess = await startAwsProcess();
  const chosen = source ?? (process.env.BENCH_SOURCE === 'bundle' ? 'bundle' : 'typescript');
  const functions = loadFunctions({
    root: ROOT,
    endpoint: aws.endpoint,
    policyFile: BENCH_POLICY_FILE,
    source: chosen,
    overrides: BENCH_ENVIRONMENT,
  });
  functions.preload('index-services', 'deploy-on-push');
  return {
    functions,
    startAccount: (services) => aws.startAccount(services, functions.tableName),
    use: (account) => aws.use(account),
    setLatency: (ms) => aws.setLatency(ms),
    async stop() {
      functions.restore();
      await aws.stop();
    },
  };
}

/** One sweep of the reconcile: the invocations it took, together. */
export interface ReconcileSweep {
  invocations: number;
  calls: CallCounts;
  /** wall time of all the invocations */
  ms: number;
  /** the largest result, in bytes of JSON (what the idempotency record stores) */
  resultBytes: number;
  /** invocations that reached the function's timeout (stopped by the middleware, or ran past it) */
  overran: number;
  /** the first error thrown, if any */
  error?: string;
  /** the sweep said it was not complete after the last invocation allowed */
  incomplete: boolean;
  /** the `status` of each invocation's result, when it says one (`finished`, `continues`, `not-due`…) */
  statuses: string[];
}

/**
 * Whether a reconcile result says its sweep goes on in a later invocation: `status: 'continues'`, a
 * cursor or checkpoint left, or `complete`/`done: false`, at the top or under `sweep` or `summary`.
 * A result that says nothing of the kind (the one-run reconcile's `{ decisions }`) is a complete sweep.
 */
export function sweepContinues(result: unknown): boolean {
  if (typeof result !== 'object' || result === null) return false;
  const record = result as Record<string, unknown>;
  const says = (part: unknown): boolean => {
    if (typeof part !== 'object' || part === null) return false;
    const p = part as Record<string, unknown>;
    const left = (value: unknown) => value !== undefined && value !== null;
    return (
      p.status === 'continues' ||
      p.complete === false ||
      p.done === false ||
      left(p.checkpoint) ||
      left(p.cursor)
    );
  };
  return says(record) || says(record.sweep) || says(record.summary);
}

/**
 * Runs the scheduled reconcile until its sweep is complete (one invocation for a reconcile without a
 * checkpoint), at most `maxInvocations` times (50), each a new Scheduled Event as the schedule sends,
 * with serverless.yml's timeout unless `timeoutMs` says otherwise.
 */
export async function reconcileSweep(
  world: BenchWorld,
  account: RemoteAccount,
  options: { maxInvocations?: number; timeoutMs?: number } = {},
): Promise<ReconcileSweep> {
  const maxInvocations = options.maxInvocations ?? 50;
  await world.use(account);
  await account.takeCalls();
  const tallies: CallCounts[] = [];
  const sweep: ReconcileSweep = {
    invocations: 0,
    calls: {},
    ms: 0,
    resultBytes: 0,
    overran: 0,
    incomplete: false,
    statuses: [],
  };
  for (;;) {
    const run = await world.functions.invoke(
      'index-services',
      scheduledReconcile(),
      options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs },
    );
    tallies.push(await account.takeCalls());
    sweep.invocations += 1;
    sweep.ms += run.ms;
    if (run.overran || run.error?.name === 'TimeoutError') sweep.overran += 1;
    const status = (run.result as { status?: unknown } | undefined)?.status;
    if (typeof status === 'string') sweep.statuses.push(status);
    sweep.resultBytes = Math.max(sweep.resultBytes, Buffer.byteLength(JSON.stringify(run.result ?? null)));
    if (run.error) {
      sweep.error = `${run.error.name}: ${run.error.message}`.slice(0, 300);
      break;
    }
    if (!sweepContinues(run.result)) break;
    if (sweep.invocations >= maxInvocations) {
      sweep.incomplete = true;
      break;
    }
  }
  sweep.calls = sumCounts(tallies);
  await account.takePublished();
  return sweep;
}
