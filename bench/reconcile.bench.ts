/**
 * The scheduled reconcile at scale: the calls a sweep of the account costs (by operation and per
 * service), its first run on an account never indexed and an unchanged second run, the wall ratio of
 * the two, how many invocations a sweep took (a reconcile that stops at its deadline continues from
 * its checkpoint in the next one: they are summed until the sweep says it is complete), and the size
 * of the handler's result, which Powertools idempotency stores as one DynamoDB item (400 KB at most).
 *
 * The accounts are the harness's (`bench/harness/account.ts`): 100 to 20,000 services in
 * `services / 100` clusters, all opted in, requests counted at the sandbox's servers, which run in the
 * benchmark's AWS process (`bench/harness/aws-process.ts`) with no simulated latency: a first run
 * makes about six calls per service, which at 25 ms each, one after the other, would take some 50
 * minutes at 20,000 services, and the counts, what this benchmark holds, do not depend on it.
 */
import { figure, operationsOf, totalOf } from './harness/calls';
import { type ReconcileSweep, type RemoteAccount, reconcileSweep, startBenchWorld } from './harness/world';
import type { Bench, BenchReport, CountGoal } from './report';

/** The index-services function's timeout in serverless.yml (the provider's 60 s). */
const TIMEOUT_MS = 60_000;

const count = (n: number) => n.toLocaleString('en-US');

/** The benchmark. */
export const bench: Bench = async ({ short, log }): Promise<BenchReport> => {
  const sizes = short ? [100, 1_000] : [100, 1_000, 5_000, 20_000];
  const world = await startBenchWorld();
  const measured: { size: number; first: ReconcileSweep; unchanged: ReconcileSweep }[] = [];
  const notes: string[] = [];
  try {
    for (const size of sizes) {
      const last = measured.at(-1);
      // A reconcile without a checkpoint (its result says no status: it can only sweep in one
      // invocation) whose sweep would take longer than the function's timeout at this size (linear
      // in the services, from the last size) is not run: it cannot work in Lambda, and it would take
      // minutes here. One that says its status stops at its deadline and goes on in the next run.
      const oneShot = last !== undefined && last.first.statuses.length === 0;
      if (last && oneShot && (last.first.ms / last.size) * size > TIMEOUT_MS * 1.5) {
        notes.push(
          `${count(size)} services not run: the reconcile does a sweep in one invocation (no checkpoint), which took ${(last.first.ms / 1000).toFixed(1)} s at ${count(last.size)} services, so about ${(((last.first.ms / last.size) * size) / 1000).toFixed(0)} s here, past the function's ${TIMEOUT_MS / 1000} s timeout`,
        );
        continue;
      }
      log(`reconcile: seeding ${count(size)} services`);
      let account: RemoteAccount | undefined;
      try {
        account = await world.startAccount(size);
        const first = await reconcileSweep(world, account);
        log(
          `reconcile: ${count(size)} first run ${totalOf(first.calls)} calls in ${first.invocations} invocations`,
        );
        if (first.error?.startsWith('TimeoutError')) {
          // Its work goes on in the background (Lambda would have stopped it): stopping the account
          // ends it, and a larger account would only time out too.
          notes.push(
            `${count(size)} services: the first run reached the ${TIMEOUT_MS / 1000} s timeout after ${count(totalOf(first.calls))} calls and was stopped (no checkpoint: the sweep never completes); larger sizes not run`,
          );
          break;
        }
        const unchanged = await reconcileSweep(world, account);
        log(`reconcile: ${count(size)} unchanged run ${totalOf(unchanged.calls)} calls`);
        measured.push({ size, first, unchanged });
      } finally {
        await account?.stop();
      }
    }
  } finally {
    await world.stop();
  }

  const goals: CountGoal[] = measured.map(({ size, unchanged }) => ({
    goal: `reconcile, unchanged run, ${count(size)} services: calls per service`,
    actual: Number((totalOf(unchanged.calls) / size).toFixed(3)),
    limit: 0.5,
  }));
  const smallest = measured[0];
  const largest = measured.at(-1);
  if (smallest && largest && largest !== smallest) {
    const bytes = (m: typeof smallest) => Math.max(m.first.resultBytes, m.unchanged.resultBytes);
    goals.push({
      goal: `reconcile result (the idempotency record), ${count(largest.size)} services: bytes of JSON, at most twice the ${count(smallest.size)}-service one (${bytes(smallest)})`,
      actual: bytes(largest),
      limit: 2 * bytes(smallest),
    });
  }
  for (const { size, first, unchanged } of measured) {
    for (const [run, sweep] of [
      ['first', first],
      ['unchanged', unchanged],
    ] as const) {
      if (sweep.error) notes.push(`${count(size)} services, ${run} run failed: ${sweep.error}`);
      if (sweep.overran > 0)
        notes.push(
          `${count(size)} services, ${run} run: ${sweep.overran} invocation(s) ran past the ${TIMEOUT_MS / 1000} s timeout (Lambda would have stopped them)`,
        );
      const idle = sweep.statuses.filter((status) => status === 'not-due' || status === 'busy');
      if (idle.length > 0) {
        notes.push(
          `${count(size)} services, ${run} run: the reconcile answered ${[...new Set(idle)].join(', ')}: it swept nothing, so its calls are not a sweep's`,
        );
      }
      if (sweep.incomplete)
        notes.push(
          `${count(size)} services, ${run} run: the sweep was not complete after ${sweep.invocations} invocations`,
        );
    }
  }
  notes.push(
    `functions run from ${process.env.BENCH_SOURCE === 'bundle' ? 'the built bundles (.build/)' : 'the TypeScript sources (tsx)'}; every call goes through the harness's router in the AWS process (one extra hop on 127.0.0.1, the same for every call)`,
  );
  const operations = operationsOf(measured.flatMap((m) => [m.first.calls, m.unchanged.calls]));
  return {
    name: 'reconcile',
    title: 'The reconcile at scale',
    description: [
      'Calls of one sweep of the scheduled reconcile (`index-services` on a Scheduled Event; requests counted at the sandbox',
      'servers: ECS, DynamoDB, PutEvents; SDK retries included) for accounts of 100 to 20,000 services in `services / 100`',
      'clusters, all opted in: the first run on an account never indexed, then an unchanged run. A sweep is the invocations',
      'until the reconcile says it is complete (one for a reconcile without a checkpoint). The wall ratio is the unchanged',
      "run's time over the first run's; the servers run in a process of their own, answering at once (no simulated latency).",
      'The result is what Powertools idempotency stores (400 KB at most).',
    ].join(' '),
    tables: [
      {
        caption: 'One sweep, first run and unchanged run',
        columns: [
          'services',
          'first: calls',
          'per service',
          'invocations',
          'unchanged: calls',
          'per service',
          'invocations',
          'wall unchanged / first',
          'result bytes (first, unchanged)',
        ],
        rows: measured.map(({ size, first, unchanged }) => [
          count(size),
          totalOf(first.calls),
          figure(totalOf(first.calls) / size),
          first.invocations,
          totalOf(unchanged.calls),
          figure(totalOf(unchanged.calls) / size, 3),
          unchanged.invocations,
          figure(unchanged.ms / first.ms),
          `${first.resultBytes}, ${unchanged.resultBytes}`,
        ]),
      },
      {
        caption: 'Calls by operation (first run / unchanged run)',
        columns: ['operation', ...measured.map(({ size }) => `${count(size)}`)],
        rows: operations.map((operation) => [
          operation,
          ...measured.map(
            ({ first, unchanged }) => `${first.calls[operation] ?? 0} / ${unchanged.calls[operation] ?? 0}`,
          ),
        ]),
      },
    ],
    goals,
    notes,
  };
};
