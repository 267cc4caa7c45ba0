/**
 * What a cold start pays for and what it does not, on a bundle built as `npm run build` builds it
 * (scripts/build.ts's bundleOptions, into a temporary directory): source maps only when debugging,
 * the X-Ray SDK only when tracing, RE2 only when a tag regex is compiled, no YAML parser nor policy
 * file schemas (the build sealed the file it validated), zod's mini
 * build only (with its English messages). Sizes and import CPU are measured by
 * bench/bundles.bench.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import {
  bundleOptions,
  RE2_BUNDLE,
  re2BundleOptions,
  TRACING_BUNDLE,
  tracingBundleOptions,
} from '../../scripts/build';

let dir: string;
let bundle: string;
let inputs: string[];
/** The files of which something is in the bundle (esbuild reads more than it keeps). */
let kept: string[];

/** Invokes the bundle's handler in a fresh Node process with only `env`; what it printed. */
function invoke(env: Record<string, string>): Promise<string> {
  const script = join(dir, 'invoke.js');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [script, bundle],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cold-start-'));
  bundle = join(dir, 'bake-timer', 'index.js');
  const result = await build({ ...bundleOptions('bake-timer'), outfile: bundle });
  // Beside the functions' folders, as the build writes it and serverless.yml packages it.
  await build({ ...tracingBundleOptions(), outfile: join(dir, basename(TRACING_BUNDLE)) });
  await build({ ...re2BundleOptions(), outfile: join(dir, basename(RE2_BUNDLE)) });
  inputs = Object.keys(result.metafile.inputs);
  kept = Object.values(result.metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs).flatMap(([input, { bytesInOutput }]) => (bytesInOutput > 0 ? [input] : [])),
  );
  // The environment is invalid (no table, no bus): the handler throws a ConfigError from the
  // middleware; its stack says whether frames are mapped to the sources.
  writeFileSync(
    join(dir, 'invoke.js'),
    [
      'const fn = require(process.argv[2]);',
      "const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 60000 };",
      "fn.handler({ id: 'x' }, context).then(() => console.log('STACK none'), (e) => {",
      "  console.log('MESSAGE ' + e.message);",
      "  console.log('STACK ' + e.stack.split('\\n')[1]);",
      '});',
      // The X-Ray SDK's context (cls-hooked) registers its namespaces on `process` when it loads.
      "process.on('exit', () => console.log('XRAY ' + (process.namespaces === undefined ? 'not loaded' : 'loaded')));",
    ].join('\n'),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('a function bundle', () => {
  it('maps stack traces to the sources only when debugging is switched on', async () => {
    // Prepare
    const sources = /shared\/middleware\/with-handler\.ts:\d+/;

    // Act
    const plain = await invoke({});
    const debug = await invoke({ AUTOPILOT_DEBUG: 'true' });
    const debugLogs = await invoke({ POWERTOOLS_LOG_LEVEL: 'DEBUG' });

    // Assess
    expect(plain).toMatch(/STACK .*index\.js:\d+:\d+/);
    expect(plain).not.toMatch(sources);
    expect(debug).toMatch(sources);
    expect(debugLogs).toMatch(sources);
  });

  it('holds no YAML parser: it reads the policy file the build wrote as JSON', () => {
    // Prepare
    const yaml = /node_modules\/yaml\//;

    // Act
    const found = inputs.filter((input) => yaml.test(input));

    // Assess
    expect(found).toEqual([]);
  });

  it('holds no policy file schemas: it checks the seal of the file the build validated', () => {
    // Prepare
    const schemas = /shared\/config\/(policy-file|policy-yaml|notifications|tag-policies)\.ts$/;

    // Act
    const found = kept.filter((input) => schemas.test(input));

    // Assess
    expect(found).toEqual([]);
    expect(kept).toContain('shared/config/policy-file-reader.ts');
  });

  it('holds only the credential providers Lambda uses: the environment and the container endpoint', () => {
    // Prepare
    const providers =
      /node_modules\/@aws-sdk\/(credential-provider-[a-z-]+|nested-clients|token-providers)\//;

    // Act
    const found = new Set(inputs.flatMap((input) => input.match(providers)?.[1] ?? []));

    // Assess
    expect([...found].sort()).toEqual(['credential-provider-env', 'credential-provider-http']);
  });

  it('holds no X-Ray SDK: it reads the tracer from the file beside it, built once for every function', () => {
    // Prepare
    const xray =
      /node_modules\/(aws-xray-sdk-core|cls-hooked)\/|node_modules\/@aws-lambda-powertools\/tracer\/lib\/esm\/Tracer/;

    // Act
    const found = inputs.filter((input) => xray.test(input));

    // Assess
    expect(found).toEqual([]);
  });

  it('loads the X-Ray SDK only when tracing is switched on', async () => {
    // Prepare
    const tracing = { POWERTOOLS_TRACE_ENABLED: 'true', AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR' };

    // Act
    const plain = await invoke({});
    const traced = await invoke(tracing);

    // Assess
    expect(plain).toContain('XRAY not loaded');
    expect(traced).toContain('XRAY loaded');
  });

  it("holds zod's mini build only, and tells what is wrong in English", async () => {
    // Prepare: full zod's classes (every method, shaken or not) and its other locales.
    const fullZod = /node_modules\/zod\/(v4\/classic|v3|v4\/locales\/(?!en\.js|index\.js))/;

    // Act
    const found = kept.filter((input) => fullZod.test(input));
    const mini = kept.filter((input) => input.includes('node_modules/zod/v4/mini/'));
    const printed = await invoke({});

    // Assess: zod/mini ships no messages; the bundle configures the English ones full zod has.
    expect(found).toEqual([]);
    expect(mini.length).toBeGreaterThan(0);
    expect(printed).toContain(
      'MESSAGE invalid environment: AUTOPILOT_TABLE: Invalid input: expected string, received undefined',
    );
  });

  it('holds no RE2: globs have a matcher of their own, and tag regexes read RE2 from the file beside it', () => {
    // Prepare
    const re2 = /node_modules\/re2js\//;

    // Act
    const found = inputs.filter((input) => re2.test(input));

    // Assess
    expect(found).toEqual([]);
  });

  it('loads RE2 from the file beside it when the first tag regex is compiled, not before', async () => {
    // Prepare: the policy module as a function's bundle holds it, in a folder beside RE2's file.
    const policy = join(dir, 'policy', 'index.js');
    await build({
      ...bundleOptions('bake-timer'),
      entryPoints: [join(__dirname, '..', '..', 'shared', 'domain', 'policy', 'glob.ts')],
      outfile: policy,
    });
    const re2File = join(dir, basename(RE2_BUNDLE));
    const script = join(dir, 'regex.js');
    writeFileSync(
      script,
      [
        `const policy = require(${JSON.stringify(policy)});`,
        `const loaded = () => require.cache[${JSON.stringify(re2File)}] !== undefined;`,
        "const glob = policy.globMatch('release-*', 'release-1');",
        'const before = loaded();',
        "const regex = policy.compileTagRegex('v[0-9]+');",
        "console.log(JSON.stringify({ glob, before, matched: regex.ok && regex.pattern.matches('v12'), after: loaded() }));",
      ].join('\n'),
    );

    // Act
    const output = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [script], (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );

    // Assess
    expect(JSON.parse(output)).toEqual({ glob: true, before: false, matched: true, after: true });
  });
});
