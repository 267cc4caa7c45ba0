/**
 * `npm run bench [-- --short] [-- <name> …]`: runs every `bench/*.bench.ts` (or those named, e.g.
 * `storm`), one after the other in this process, and prints each report's tables and goals.
 *
 * - Full (default): writes each report's section of docs/BENCHMARKS.md with the command, the date and
 *   the machine; the sections of benchmarks not run are kept.
 * - `--short`: the short versions (`.ci/run`): writes nothing unless `--out <file>` is given.
 *
 * Exits 1 when a count goal is not met (naming it) or a benchmark throws, in either mode. Timing
 * ratios are printed, never checked: they depend on the machine and on what else runs on it.
 */
import { fork } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type Bench, type BenchReport, goalMet } from './report';
import {
  describeMachine,
  mergeBenchmarks,
  type RunContext,
  reportAsMarkdown,
  reportAsText,
} from './support/markdown';

const BENCH_DIR = __dirname;
const DOCS = resolve(BENCH_DIR, '..', 'docs', 'BENCHMARKS.md');
const SUFFIX = '.bench.ts';

interface Arguments {
  short: boolean;
  names: string[];
  out?: string;
}

function parseArguments(argv: string[]): Arguments {
  const args: Arguments = { short: false, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--short') args.short = true;
    else if (arg === '--out') args.out = argv[++i];
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg} (--short, --out <file>, names)`);
    else args.names.push(arg.endsWith(SUFFIX) ? basename(arg, SUFFIX) : arg);
  }
  return args;
}

/** The benchmarks present now: other work adds files under bench/, the runner picks up what exists. */
function benchmarkNames(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => basename(file, SUFFIX))
    .sort();
}

/** Runs one benchmark in this process and sends its report to the runner (the `--child` mode). */
async function runHere(name: string, short: boolean): Promise<void> {
  const module = (await import(join(BENCH_DIR, `${name}${SUFFIX}`))) as { bench?: Bench };
  if (typeof module.bench !== 'function') throw new Error(`bench/${name}${SUFFIX} exports no \`bench\``);
  const report = await module.bench({ short, log: (line) => process.stderr.write(`[${name}] ${line}\n`) });
  await new Promise<void>((resolve, reject) =>
    process.send?.(report, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

/**
 * Runs one benchmark in a process of its own: SDK clients are cached per process with the endpoints
 * they were made with, the functions' environment is process-wide, and a benchmark's servers and
 * timers must not outlive it, so no benchmark sees another's.
 */
function runOne(name: string, short: boolean): Promise<BenchReport> {
  return new Promise((resolve, reject) => {
    // The same loader as this process (tsx's flags are in execArgv), stdout to ours for progress.
    const child = fork(__filename, ['--child', name, ...(short ? ['--short'] : [])], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let report: BenchReport | undefined;
    child.on('message', (message) => {
      report = message as BenchReport;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (report) resolve(report);
      else
        reject(new Error(`bench/${name}${SUFFIX} ended without a report (${signal ?? `exit code ${code}`})`));
    });
  });
}

function commandLine(argv: string[]): string {
  // Through npm the arguments after `--` are the runner's; say it the way people type it.
  if (process.env.npm_lifecycle_event === 'bench')
    return ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' ');
  return ['npx tsx bench/run.ts', ...argv].join(' ');
}

async function main(): Promise<number> {
  // The code measured logs as it would in Lambda (retries of a chat post, …); the reports are what
  // the run prints. Set before any benchmark loads: Powertools reads the level when it is created.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  // As in .ci/run: the SDK's notice about Node versions says nothing about the figures.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await runHere(argv[1] as string, argv.includes('--short'));
    return 0;
  }
  const args = parseArguments(argv);
  const available = benchmarkNames();
  const unknown = args.names.filter((name) => !available.includes(name));
  if (unknown.length) {
    process.stderr.write(`no benchmark ${unknown.join(', ')} (there are: ${available.join(', ')})\n`);
    return 2;
  }
  const names = args.names.length ? args.names : available;
  const run: RunContext = {
    command: commandLine(argv),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: describeMachine({
      cpus: cpus(),
      totalmem: totalmem(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      load: loadavg(),
    }),
  };
  process.stdout.write(`${run.command}\n${run.machine}\n\n`);

  const sections = new Map<string, string>();
  const failures: string[] = [];
  const failed = new Set<string>();
  for (const name of names) {
    try {
      const report = await runOne(name, args.short);
      process.stdout.write(`${reportAsText(report)}\n\n`);
      sections.set(report.name, reportAsMarkdown(report, run));
      for (const goal of report.goals.filter((g) => !goalMet(g))) {
        failed.add(name);
        failures.push(`${name}: goal not met: ${goal.goal}: ${goal.actual} > ${goal.limit}`);
      }
    } catch (error) {
      // One broken benchmark does not hide the others' figures.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stdout.write(`== ${name}: FAILED\n${message}\n\n`);
      failed.add(name);
      failures.push(`${name}: threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const target = args.out ? resolve(args.out) : args.short ? undefined : DOCS;
  if (target && sections.size > 0) {
    const existing = existsSync(target) ? readFileSync(target, 'utf8') : '';
    writeFileSync(target, mergeBenchmarks(existing, sections));
    process.stdout.write(`wrote ${target}\n`);
  }
  for (const failure of failures) process.stdout.write(`FAILED ${failure}\n`);
  process.stdout.write(`${names.length - failed.size} of ${names.length} benchmarks passed\n`);
  return failures.length ? 1 : 0;
}

main().then(
  // Exit explicitly: a benchmark's servers or timers must not keep the runner (and CI) alive.
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
