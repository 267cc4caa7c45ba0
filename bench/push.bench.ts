/**
 * Deploy on push at scale: the calls one push costs, by API operation and per affected service, for
 * accounts of 100 to 20,000 services with 1 % following the pushed repository; and wall-time ratios,
 * measured A B A B in the same process: a push hitting 10 services against one hitting 1, and a
 * 1-service push in a large account against the same push in a 100-service one (flat in size).
 *
 * Each account is the harness's (`bench/harness/account.ts`): the sandbox's ECS/ECR and dynalite in
 * the benchmark's AWS process (`bench/harness/aws-process.ts`), requests counted at the servers. Its
 * index is seeded by running the reconcile once, as the schedule would. `deploy-on-push` is invoked
 * directly, in this process, with the control plane's ECR Image Action event; what it publishes
 * lands on a counted PutEvents endpoint. Pushes wait {@link SERVICE_LATENCY_MS} per call at the
 * router, so their wall time is what they wait on AWS one call after another, as in Lambda.
 */

import { REPOSITORIES } from './harness/account';
import { type CallCounts, figure, median, operationsOf, totalOf } from './harness/calls';
import { type BenchWorld, type RemoteAccount, reconcileSweep, startBenchWorld } from './harness/world';
import type { Bench, BenchReport, CountGoal } from './report';

/** How one push went. */
interface PushRun {
  calls: CallCounts;
  ms: number;
  /** services the push deployed to */
  deployed: number;
  /** decisions by action */
  actions: Record<string, number>;
  published: Record<string, number>;
  error?: string;
}

/** Pushes a new image of `repository:main` and invokes deploy-on-push with its event. */
async function push(world: BenchWorld, account: RemoteAccount, repository: string): Promise<PushRun> {
  await world.use(account);
  await account.takeCalls();
  await account.takePublished();
  const event = await account.push(repository);
  const run = await world.functions.invoke('deploy-on-push', event);
  const decisions = ((run.result as { decisions?: { action: string }[] } | undefined)?.decisions ?? []).map(
    (d) => d.action,
  );
  const actions: Record<string, number> = {};
  for (const action of decisions) actions[action] = (actions[action] ?? 0) + 1;
  return {
    calls: await account.takeCalls(),
    ms: run.ms,
    deployed: actions.deploy ?? 0,
    actions,
    published: await account.takePublished(),
    ...(run.error ? { error: `${run.error.name}: ${run.error.message}`.slice(0, 200) } : {}),
  };
}

/** Medians of A B A B … runs of two pushes, and their ratio (a over b). */
async function alternate(
  rounds: number,
  a: () => Promise<PushRun>,
  b: () => Promise<PushRun>,
): Promise<{ a: number; b: number; ratio: number; runs: PushRun[] }> {
  const as: number[] = [];
  const bs: number[] = [];
  const runs: PushRun[] = [];
  for (let round = 0; round < rounds; round++) {
    const first = await a();
    const second = await b();
    runs.push(first, second);
    as.push(first.ms);
    bs.push(second.ms);
  }
  const ma = median(as);
  const mb = median(bs);
  return { a: ma, b: mb, ratio: ma / mb, runs };
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * The service latency every call of a push waits at the router (an ECS or DynamoDB call from Lambda
 * takes tens of milliseconds): wall time then counts the round trips made one after the other, as
 * against AWS, not the servers' CPU. The seeding reconcile runs without it (it is not measured).
 */
const SERVICE_LATENCY_MS = 25;

/** The issue's goal: calls per affected service of a push. */
const ISSUE_GOAL = 6;

/**
 * Calls per affected service held in CI, by services affected (as measured: 1 service pays the push's
 * eight fixed calls, index, quarantine, the pauses in force (`autopilot pause`, one Query a push),
 * tag, PutEvents, the idempotency record twice and the intents' mark, besides its own seven).
 */
const CALLS_PER_SERVICE_HELD: Record<number, number> = { 1: 15, 10: 6, 50: 5.3, 200: 5.21 };

/** The benchmark. */
export const bench: Bench = async ({ short, log }): Promise<BenchReport> => {
  const sizes = short ? [100, 1_000] : [100, 1_000, 5_000, 20_000];
  /** the account the wall ratios are measured in (and against the 100-service one) */
  const ratioSize = short ? 1_000 : 5_000;
  const rounds = short ? 3 : 7;
  const world = await startBenchWorld();
  const perSize: { size: number; pushed: PushRun; one: PushRun; seedMs: number; seedError?: string }[] = [];
  const notes: string[] = [];
  let tenVsOne: Awaited<ReturnType<typeof alternate>> | undefined;
  let largeVsSmall: Awaited<ReturnType<typeof alternate>> | undefined;
  let small: RemoteAccount | undefined;
  try {
    for (const size of sizes) {
      log(`push: seeding ${count(size)} services`);
      const account = await world.startAccount(size);
      try {
        // Seeding, not measured: as long as the reconcile needs (at its 60 s timeout the reconcile of
        // 5,000 services stops half done and goes on in the background, counted with the pushes).
        await world.setLatency(0);
        const seeded = await reconcileSweep(world, account, { timeoutMs: 3_600_000 });
        log(`push: index seeded by the reconcile (${(seeded.ms / 1000).toFixed(1)} s)`);
        await world.setLatency(SERVICE_LATENCY_MS);
        // The first invocation loads the function and its clients; this push is counted, not timed.
        const one = await push(world, account, REPOSITORIES.one);
        const pushed = await push(world, account, REPOSITORIES.pushed);
        perSize.push({
          size,
          pushed,
          one,
          seedMs: seeded.ms,
          ...(seeded.error ? { seedError: seeded.error } : {}),
        });
        log(
          `push: ${count(size)} services: ${totalOf(pushed.calls)} calls, ${pushed.deployed} of ${account.followers.pushed} deployed`,
        );
        if (size === ratioSize) {
          tenVsOne = await alternate(
            rounds,
            () => push(world, account, REPOSITORIES.ten),
            () => push(world, account, REPOSITORIES.one),
          );
          const smaller = small;
          if (smaller) {
            largeVsSmall = await alternate(
              rounds,
              () => push(world, account, REPOSITORIES.one),
              () => push(world, smaller, REPOSITORIES.one),
            );
          }
        }
      } finally {
        if (size === 100) small = account;
        else await account.stop();
      }
    }
  } finally {
    await small?.stop();
    await world.stop();
  }

  // The issue's goal is 6 calls per affected service, reached from 10 services; a 1-service push pays
  // the push's fixed calls alone (docs/BENCHMARKS.md). CI holds today's figures, with no headroom: a
  // change that adds calls fails, one that removes them lowers these limits.
  const goals: CountGoal[] = perSize.map(({ size, pushed }) => {
    const limit = CALLS_PER_SERVICE_HELD[pushed.deployed] ?? ISSUE_GOAL;
    return {
      goal: `push, ${count(size)} services (${pushed.deployed} affected): calls per affected service (must not grow past ${limit}; the goal is ${ISSUE_GOAL})`,
      actual: Number((totalOf(pushed.calls) / pushed.deployed).toFixed(2)),
      limit,
    };
  });
  for (const { size, pushed, one, seedError } of perSize) {
    if (pushed.error) notes.push(`${count(size)} services: the push failed: ${pushed.error}`);
    if (one.error) notes.push(`${count(size)} services: the 1-service push failed: ${one.error}`);
    if (seedError)
      notes.push(
        `${count(size)} services: the reconcile that seeded the index failed (after writing it): ${seedError}`,
      );
    const others = Object.entries(pushed.actions).filter(([action]) => action !== 'deploy');
    if (others.length > 0) {
      notes.push(
        `${count(size)} services: decisions other than deploy: ${others.map(([a, n]) => `${a} ${n}`).join(', ')}`,
      );
    }
  }
  const allRuns = [...(tenVsOne?.runs ?? []), ...(largeVsSmall?.runs ?? [])];
  const failedRatioRuns = allRuns.filter((run) => run.error || run.deployed === 0);
  if (failedRatioRuns.length > 0) {
    notes.push(
      `${failedRatioRuns.length} pushes of the wall ratios failed or deployed nothing: the ratios are not meaningful`,
    );
  }
  notes.push(
    `functions run from ${process.env.BENCH_SOURCE === 'bundle' ? 'the built bundles (.build/)' : 'the TypeScript sources (tsx)'}; every call goes through the harness's router in the AWS process (one extra hop on 127.0.0.1 and ${SERVICE_LATENCY_MS} ms, the same for every call of a push)`,
  );
  const operations = operationsOf(perSize.map((s) => s.pushed.calls));
  return {
    name: 'push',
    title: 'Deploy on push at scale',
    description: [
      'Calls one push costs (requests counted at the sandbox servers: ECS, ECR, DynamoDB, PutEvents; SDK retries included),',
      'for accounts of 100 to 20,000 services in `services / 100` clusters, 1 % of them (one per cluster) following the pushed',
      'repository; the index is seeded by one run of the reconcile. The servers run in a process of their own, so the',
      "function's process only waits on them, and every call of a push waits a fixed service latency of",
      `${SERVICE_LATENCY_MS} ms at the router (a timer, as an AWS call takes tens of milliseconds; calls in flight together`,
      "wait together): wall time counts round trips made one after the other, not the servers' CPU. Wall ratios are medians",
      `of pushes alternated A B A B (${rounds} rounds): a push hitting 10 services over one hitting 1, and a 1-service push in a`,
      `${count(ratioSize)}-service account over the same push in a 100-service one (1.0 = flat in account size).`,
    ].join(' '),
    tables: [
      {
        caption: 'A push of the repository 1 % of the services follow',
        columns: [
          'services',
          'affected',
          'calls',
          'calls per affected service',
          'events published',
          '1-service push: calls',
        ],
        rows: perSize.map(({ size, pushed, one }) => [
          count(size),
          pushed.deployed,
          totalOf(pushed.calls),
          figure(totalOf(pushed.calls) / pushed.deployed),
          totalOf(pushed.published),
          totalOf(one.calls),
        ]),
      },
      {
        caption: 'Calls of that push by operation',
        columns: [
          'operation',
          ...perSize.map(({ size, pushed }) => `${count(size)} (${pushed.deployed} affected)`),
        ],
        rows: operations.map((operation) => [
          operation,
          ...perSize.map(({ pushed }) => pushed.calls[operation] ?? 0),
        ]),
      },
      {
        caption: 'Wall-time ratios (medians, A B A B)',
        columns: ['ratio', 'value', 'goal'],
        rows: [
          [
            `push hitting 10 services / hitting 1 (${count(ratioSize)} services)`,
            tenVsOne ? figure(tenVsOne.ratio) : 'not measured',
            '<= 2.5',
          ],
          [
            `1-service push: ${count(ratioSize)} services / 100 services`,
            largeVsSmall ? figure(largeVsSmall.ratio) : 'not measured',
            '~ 1 (flat)',
          ],
        ],
      },
    ],
    goals,
    notes,
  };
};
