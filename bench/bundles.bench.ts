/**
 * Bundle size and cold-start import cost of every function, against a bundle that only imports the
 * ECS client (built with the same esbuild options) and a bare `node`. Each function is built with
 * scripts/build.ts's `bundleOptions` into a temporary directory; each import runs in a child process
 * of its own that only requires the bundle and reports the CPU (user + system, `process.cpuUsage`)
 * the require took, the CPU of the whole process until then (Node's own start-up and the require:
 * what a Lambda init pays) and its peak RSS. The children run alternately (bare, ECS-only, every
 * function, then again), so a busy machine slows every variant alike; medians, and CPU as ratios to
 * the ECS-only bundle measured the same way.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleOptions } from '../scripts/build';
import { functionKeys } from '../tools/serverless-config';
import type { Bench, CountGoal } from './report';

const root = join(__dirname, '..');

/** The goal for a bundle, in KB of 1,000 bytes, minified. */
const SIZE_GOAL_KB = 500;

/**
 * What CI checks so the bundles cannot grow back: the largest bundle (notify, 667 KB, since the
 * schemas are built with zod/mini) and about 3% more. The goal above is not reached;
 * docs/ARCHITECTURE.md ("What a cold start pays for") says what the rest is, by package.
 */
const SIZE_CEILING_KB = 690;

/** The goal for import CPU, as a ratio to the ECS-only bundle: reported, not checked. */
const CPU_GOAL_RATIO = 1.3;

const ECS_ONLY = 'ECS client only';
/** The `withHandler` stack alone (bench/support/noop-handler.ts): what every function imports before its own work. */
const STACK_ONLY = 'withHandler stack only';
const BARE = 'node -e ""';

/**
 * What a child reports: CPU of the require and of the whole process until it ended, in
 * microseconds; peak RSS in KiB.
 */
interface Sample {
  cpuMicros: number;
  processCpuMicros: number;
  maxRssKiB: number;
}

/** The child: requires the bundle (none for bare node) and prints what the require cost. */
const PROBE = [
  'const start = process.cpuUsage();',
  'if (process.argv[2]) require(process.argv[2]);',
  'const used = process.cpuUsage(start);',
  'const all = process.cpuUsage();',
  'console.log(JSON.stringify({ cpuMicros: used.user + used.system, processCpuMicros: all.user + all.system, maxRssKiB: process.resourceUsage().maxRSS }));',
].join('\n');

function probe(script: string, bundle: string | undefined): Promise<Sample> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, ...(bundle ? [bundle] : [])],
      // What a cold start in Lambda has: no debugging, no tracing, the region, and (as serverless.yml
      // sets it) no SDK warning about the Node version, which only the ECS-only bundle would print.
      {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'eu-west-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Sample),
    );
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

export const bench: Bench = async ({ short, log }) => {
  const rounds = short ? 3 : 15;
  const dir = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    const script = join(dir, 'probe.js');
    writeFileSync(script, PROBE);
    const ecsEntry = join(dir, 'ecs-only.ts');
    writeFileSync(
      ecsEntry,
      "import { ECSClient } from '@aws-sdk/client-ecs';\nexport const client = new ECSClient({});\n",
    );

    const bundles: { name: string; path: string; bytes: number }[] = [];
    const entries: Record<string, string[]> = {
      [ECS_ONLY]: [ecsEntry],
      [STACK_ONLY]: [join(root, 'bench', 'support', 'noop-handler.ts')],
    };
    for (const name of [ECS_ONLY, STACK_ONLY, ...functionKeys(root)]) {
      const outfile = join(dir, name.replaceAll(' ', '-'), 'index.js');
      const entryPoints = entries[name];
      const result = await build({
        ...bundleOptions(entryPoints ? 'deploy-on-push' : name),
        ...(entryPoints ? { entryPoints, nodePaths: [join(root, 'node_modules')] } : {}),
        outfile,
      });
      const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
      bundles.push({ name, path: outfile, bytes });
      log(`built ${name}: ${Math.round(bytes / 1000)} KB`);
    }

    const variants = [{ name: BARE, path: undefined, bytes: 0 }, ...bundles];
    const samples = new Map<string, Sample[]>(variants.map((v) => [v.name, []]));
    for (let i = 0; i < rounds; i++) {
      for (const variant of variants) samples.get(variant.name)?.push(await probe(script, variant.path));
      log(`round ${i + 1} of ${rounds}`);
    }

    const medianOf = (name: string, of: (sample: Sample) => number) =>
      median((samples.get(name) ?? []).map(of));
    const cpuOf = (name: string) => medianOf(name, (s) => s.cpuMicros);
    const processCpuOf = (name: string) => medianOf(name, (s) => s.processCpuMicros);
    const rssOf = (name: string) => medianOf(name, (s) => s.maxRssKiB) / 1024;
    const ecsCpu = cpuOf(ECS_ONLY);
    const ecsProcessCpu = processCpuOf(ECS_ONLY);
    const bareRss = rssOf(BARE);
    const rows = variants.map((variant) => {
      const kb = variant.bytes / 1000;
      return [
        variant.name,
        variant.path ? round(kb, 0) : '-',
        variant.path && !entries[variant.name] ? (kb <= SIZE_GOAL_KB ? 'yes' : 'no') : '-',
        round(cpuOf(variant.name) / 1000, 1),
        variant.path ? round(cpuOf(variant.name) / ecsCpu, 2) : 0,
        round(processCpuOf(variant.name) / 1000, 1),
        round(processCpuOf(variant.name) / ecsProcessCpu, 2),
        round(rssOf(variant.name), 1),
        round(rssOf(variant.name) - bareRss, 1),
      ];
    });
    const functions = bundles.filter((b) => !entries[b.name]);
    const stackProcessRatio = processCpuOf(STACK_ONLY) / ecsProcessCpu;
    const goals: CountGoal[] = functions.map((b) => ({
      goal: `${b.name}: bundle size, KB minified (must not grow past ${SIZE_CEILING_KB}; the goal is ${SIZE_GOAL_KB})`,
      actual: round(b.bytes / 1000, 0),
      limit: SIZE_CEILING_KB,
    }));
    const worstRatio = Math.max(...functions.map((b) => cpuOf(b.name) / ecsCpu));
    const worstProcessRatio = Math.max(...functions.map((b) => processCpuOf(b.name) / ecsProcessCpu));
    return {
      name: 'bundles',
      title: 'Bundle size and cold-start import cost',
      description: [
        `Every function bundled as \`npm run build\` bundles it, and a bundle that only imports`,
        `\`@aws-sdk/client-ecs\` and constructs an \`ECSClient\` with the same options. Each import runs in a`,
        `fresh Node process that only requires the bundle (no debugging, no tracing), ${rounds} rounds in`,
        `turn (bare node, ECS-only, the withHandler stack alone, each function, again); medians. Require CPU is user + system CPU of the`,
        `require alone; process CPU is the whole child's until the require returned (Node's start-up and the`,
        `require: what a Lambda init pays, and what the issue's 1.7-2.0x were measured as). Both as ratios to`,
        `the ECS-only bundle measured the same way (goal <= ${CPU_GOAL_RATIO}x: reported, not checked).`,
        `Peak RSS is the process's, and above a bare \`node -e ""\`.`,
      ].join(' '),
      tables: [
        {
          columns: [
            'bundle',
            'size (KB)',
            `<= ${SIZE_GOAL_KB} KB`,
            'require CPU (ms)',
            'require CPU vs ECS-only',
            'process CPU (ms)',
            'process CPU vs ECS-only',
            'peak RSS (MiB)',
            'RSS above bare node (MiB)',
          ],
          rows,
        },
      ],
      goals,
      notes: [
        `Worst ratio to the ECS-only bundle: require CPU ${round(worstRatio, 2)}x, process CPU ${round(worstProcessRatio, 2)}x (goal ${CPU_GOAL_RATIO}x).`,
        `The withHandler stack alone (bench/support/noop-handler.ts: Powertools' logger, metrics, parser and idempotency with the DynamoDB client, middy, zod's mini build, the dead-letter queue's SQS client; none of autopilot's work) is ${round((bundles[1]?.bytes ?? 0) / 1000, 0)} KB and costs ${round(stackProcessRatio, 2)}x the ECS-only bundle's process CPU: what every function imports before the code and clients of its own work, which leaves ${round(Math.max(0, CPU_GOAL_RATIO - stackProcessRatio), 2)}x of the ${CPU_GOAL_RATIO}x goal for them.`,
        `The ECS-only bundle is ${round((bundles[0]?.bytes ?? 0) / 1000, 0)} KB: the SDK's core, the credential providers Lambda uses and one client. A function adds its other clients (DynamoDB, SQS, ECR, EventBridge; SSM, SNS, Secrets Manager in notify), Powertools, zod (its mini build, about 40 KiB) and semver, so with the SDK bundled most stay above ${SIZE_GOAL_KB} KB; CI holds the sizes under ${SIZE_CEILING_KB} KB so they cannot grow back. Most of the require's CPU is V8 compiling the bundle, which grows with its size; then the SDK's modules and the zod schemas of the events a function parses. The policy file is read sealed, as the build validated it, without its schemas.`,
        `The tracer and the X-Ray SDK are not in the functions' bundles: .build/tracing.js (about 127 KB), loaded only when tracing is switched on, is not measured here.`,
        `Nor is RE2: globs have a linear-time matcher of their own, and .build/re2.js (re2js, about 151 KB), required when a policy's tags.regex is first matched, is not measured here.`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
