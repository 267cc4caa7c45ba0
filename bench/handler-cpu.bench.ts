/**
 * Handler CPU per event, without the AWS side: every function of serverless.yml fed the samples in
 * events/ that its rules match (and its schedules' events), invoked many times through the sandbox's
 * FunctionRunner (the environment serverless.yml gives it, a Lambda context) in this process, while
 * the AWS side (ECS, ECR, dynalite, EventBridge, SQS, SSM, Secrets Manager, SNS, the chat sink, and
 * the sandbox's own functions reacting to what the handlers publish) runs in a child process
 * (bench/support/aws-side.ts), so its CPU is not counted. CPU is `process.cpuUsage()` (user + system)
 * around each invocation; the SDK's own work in this process (signing, serialising, parsing answers)
 * is the handler's. The baseline is a handler that does nothing through the same `withHandler` stack
 * (bench/support/noop-handler.ts), invoked in the same rounds (baseline, then each function, round
 * after round), so each ratio compares figures of one run.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { applyEnvironment, FunctionRunner } from '../sandbox/runtime/functions';
import { loadRoutes, route } from '../tools/eventbridge/routing';
import { readServerlessConfig } from '../tools/serverless-config';
import type { Bench, BenchReport } from './report';
import type { AwsSideReady } from './support/aws-side';

const ROOT = resolve(__dirname, '..');
const EVENTS = join(ROOT, 'events');
const REGION = 'eu-west-1';
const NOOP = 'bench-noop';

interface Sample {
  name: string;
  event: Record<string, unknown>;
}

/** A percentile of values (nearest rank). */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/**
 * The same event delivered anew: a new id (idempotency would answer a copy with the first result),
 * and for autopilot's own events a new cause, since the notifier knows an announcement by its detail.
 */
function fresh(sample: Sample): Record<string, unknown> {
  const event = structuredClone(sample.event);
  event.id = randomUUID();
  const detail = event.detail as Record<string, unknown> | undefined;
  if (event.source === 'autopilot' && detail) {
    if (typeof detail.triggeredBy === 'string') detail.triggeredBy = randomUUID();
    else if (typeof detail.deploymentId === 'string')
      detail.deploymentId = `ecs-svc/${Date.now()}${randomUUID().slice(0, 4)}`;
  }
  return event;
}

/** Starts the AWS side in a child process and waits until its account is seeded and settled. */
async function startAwsSide(log: (line: string) => void) {
  const child = fork(join(__dirname, 'support', 'aws-side.ts'), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  log(`AWS side starting (pid ${child.pid})`);
  const ready = await new Promise<AwsSideReady>((resolve, reject) => {
    child.once('message', (message) => resolve(message as AwsSideReady));
    child.once('exit', (code, signal) =>
      reject(new Error(`the AWS side ended before it was ready (${signal ?? code})`)),
    );
  });
  child.removeAllListeners('exit');
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      // It stops its account and exits when we disconnect; the kill is for one that hangs.
      child.disconnect();
      setTimeout(() => child.kill(), 10_000).unref();
    });
  return { ready, stop };
}

export const bench: Bench = async ({ short, log }): Promise<BenchReport> => {
  const config = readServerlessConfig(ROOT, {
    region: REGION,
    params: { dryRun: 'false', logLevel: 'SILENT' },
  });
  const routes = loadRoutes(ROOT);
  const account = '123456789012';
  // The samples each function's rules match; schedules get their own rule's event (the sample of
  // the reconcile names the prod stage's rule).
  const files = readdirSync(EVENTS)
    .filter((file) => file.endsWith('.json'))
    .sort();
  const samplesOf = new Map<string, Sample[]>(config.functions.map((f) => [f.name, []]));
  const scheduleTemplate = JSON.parse(readFileSync(join(EVENTS, 'scheduled-reconcile.json'), 'utf8'));
  for (const file of files) {
    const event = JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as Record<string, unknown>;
    if (event.source === 'aws.events') continue;
    for (const name of route(routes, event))
      samplesOf.get(name)?.push({ name: file.replace(/\.json$/, ''), event });
  }
  for (const f of config.functions)
    for (const schedule of f.schedules)
      samplesOf.get(f.name)?.push({
        name: `schedule ${schedule.ruleName}`,
        event: {
          ...scheduleTemplate,
          resources: [`arn:aws:events:${REGION}:${account}:rule/${schedule.ruleName}`],
        },
      });

  const aws = await startAwsSide(log);
  try {
    const { environments } = aws.ready;
    const notify = config.functions.find((f) => f.name === 'notify');
    if (!notify) throw new Error('serverless.yml has no notify function');
    // The baseline runs with the notifier's environment and settings (it needs the table, like all).
    const noop = { ...notify, name: NOOP, schedules: [] };
    const environmentOf = (name: string) => environments[name === NOOP ? 'notify' : name] ?? {};
    // Before any function module loads: some of it is read at load time.
    const restore = applyEnvironment(Object.assign({}, ...Object.values(environments)));
    try {
      const runner = new FunctionRunner({
        root: ROOT,
        functions: [...config.functions, noop],
        environment: (definition) => environmentOf(definition.name),
        source: 'typescript',
        account,
        region: REGION,
        load: (path) => (path.endsWith(`${NOOP}.ts`) ? require('./support/noop-handler') : require(path)),
      });
      const names = [
        NOOP,
        ...config.functions.map((f) => f.name).filter((n) => (samplesOf.get(n) ?? []).length > 0),
      ];
      samplesOf.set(NOOP, [
        { name: 'any sample', event: JSON.parse(readFileSync(join(EVENTS, 'ecr-image-push.json'), 'utf8')) },
      ]);
      const warmup = 3;
      const rounds = short ? 12 : 200;
      const cpu = new Map<string, number[]>(names.map((n) => [n, []]));
      const wall = new Map<string, number[]>(names.map((n) => [n, []]));
      const rejected = new Map<string, number>();
      const threw = new Map<string, number>();
      for (let round = 0; round < warmup + rounds; round++) {
        for (const name of names) {
          const samples = samplesOf.get(name) ?? [];
          const event = fresh(samples[round % samples.length] as Sample);
          const started = performance.now();
          const before = process.cpuUsage();
          try {
            const result = (await runner.invoke(name, event)) as { status?: string } | undefined;
            if (result?.status === 'rejected') rejected.set(name, (rejected.get(name) ?? 0) + 1);
          } catch (error) {
            threw.set(name, (threw.get(name) ?? 0) + 1);
            if ((threw.get(name) ?? 0) === 1)
              log(`${name} threw: ${error instanceof Error ? error.message : String(error)}`);
          }
          const used = process.cpuUsage(before);
          if (round < warmup) continue;
          cpu.get(name)?.push((used.user + used.system) / 1000);
          wall.get(name)?.push(performance.now() - started);
        }
        if ((round + 1) % 50 === 0) log(`round ${round + 1} of ${warmup + rounds}`);
      }
      const base = { p50: percentile(cpu.get(NOOP) ?? [], 50), p99: percentile(cpu.get(NOOP) ?? [], 99) };
      const rows = names.map((name) => {
        const own = cpu.get(name) ?? [];
        const p50 = percentile(own, 50);
        const p99 = percentile(own, 99);
        return [
          name === NOOP ? 'baseline: no-op through withHandler' : name,
          (samplesOf.get(name) ?? []).length,
          own.length,
          rejected.get(name) ?? 0,
          threw.get(name) ?? 0,
          p50 / base.p50,
          p99 / base.p50,
          p50,
          p99,
          percentile(wall.get(name) ?? [], 50) / Math.max(p50, 0.001),
        ];
      });
      return {
        name: 'handler-cpu',
        title: 'Handler CPU per event, without the AWS side',
        description: [
          `Every function of serverless.yml, fed the samples in events/ its rules match and its schedules' events (${rounds} rounds after ${warmup} of warm-up; each round invokes the baseline, then every function once, each with the next of its samples under a new event id), from the TypeScript sources through the sandbox's FunctionRunner with the environment serverless.yml gives it.`,
          "The AWS side (the sandbox account, seeded: ECS, ECR, dynalite, EventBridge, SQS, SSM, Secrets Manager, SNS, the chat sink) runs in a child process, so only the handler process's CPU (user + system, `process.cpuUsage`) is counted: the handler, the middleware, the SDK's signing and parsing.",
          'The baseline is a handler that does nothing through the same `withHandler` stack (its idempotency record in the table included).',
        ].join(' '),
        tables: [
          {
            caption: "CPU per invocation (ratios to the baseline's p50; absolute ms for reference)",
            columns: [
              'function',
              'samples',
              'invocations',
              'rejected',
              'threw',
              'p50 / baseline p50',
              'p99 / baseline p50',
              'p50 CPU ms',
              'p99 CPU ms',
              'wall p50 / CPU p50',
            ],
            rows,
          },
          {
            caption: 'The samples each function was fed',
            columns: ['function', 'samples'],
            rows: names
              .filter((name) => name !== NOOP)
              .map((name) => [name, (samplesOf.get(name) ?? []).map((sample) => sample.name).join(', ')]),
          },
        ],
        goals: [
          {
            // A function that throws measures nothing: every sample must be handled or rejected.
            goal: 'handler CPU: invocations that threw',
            actual: [...threw.values()].reduce((sum, n) => sum + n, 0),
            limit: 0,
          },
        ],
        notes: [
          `Baseline p50 ${base.p50.toFixed(2)} ms CPU, p99 ${base.p99.toFixed(2)} ms. Rejected invocations (an event the function's schema refuses, parked in the dead-letter queue) count in the CPU figures too: they are what such an event costs.`,
          '"wall p50 / CPU p50" above 1 is time spent waiting: for the AWS side, and for chat channels\' pace (the notifier).',
          'The same events repeat under new ids, so most invocations take the paths of a steady account (nothing left to deploy or roll back, a notification window past `after`) rather than the work of a first sighting: the p99 shows the heavier ones.',
        ],
      };
    } finally {
      restore();
    }
  } finally {
    await aws.stop();
  }
};
