/**
 * Bundles every function in serverless.yml into .build/<function>/index.js (one esbuild bundle each,
 * holding only the code and SDK clients that function imports) and validates the policy file first,
 * so a wrong autopilot.yml fails the build with its line and field, before anything is deployed. The
 * validated policy file is written sealed (as JSON, with the SHA-256 of its content) to
 * .build/autopilot.json, the file the functions read in Lambda (serverless.yml's AUTOPILOT_CONFIG):
 * the bundles check the seal and carry neither a YAML parser nor the policy file's schemas.
 * `npm run build` and `npm start` run this file through tsx; `serverless package` and `serverless
 * deploy` call {@link buildAll} through tools/serverless-build-plugin.js (which loads it with tsx too).
 * The function keys come from the one reader of serverless.yml, tools/serverless-config.ts.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import {
  loadPolicyFile,
  PolicyFileError,
  readPolicyFileText,
  sealPolicyFile,
} from '../shared/config/policy-file';
import { parsePolicyFile } from '../shared/config/policy-yaml';
import { functionKeys } from '../tools/serverless-config';

const root = join(__dirname, '..');
const outRoot = join(root, '.build');

/**
 * The first lines of every bundle: when debugging (`AUTOPILOT_DEBUG=true` or
 * `POWERTOOLS_LOG_LEVEL=DEBUG`) and source maps are off, switch them on and load the bundle again,
 * since Node maps only the files it compiles after they are switched on (a CommonJS module may
 * `return` at its top level). Without debugging this costs one comparison; `NODE_OPTIONS=
 * --enable-source-maps` cost every cold start 16% more import CPU and 19 MiB.
 */
const DEBUG_SOURCE_MAPS = [
  "if ((process.env.AUTOPILOT_DEBUG === 'true' || process.env.POWERTOOLS_LOG_LEVEL === 'DEBUG') && !process.sourceMapsEnabled) {",
  '  process.setSourceMapsEnabled(true);',
  '  delete require.cache[__filename];',
  '  module.exports = require(__filename);',
  '  return;',
  '}',
].join('\n');

/**
 * Where the build writes the tracer (shared/tracing.ts: Powertools' tracer and the X-Ray SDK), a
 * bundle of its own beside the functions' folders; serverless.yml packages it with every function.
 */
export const TRACING_BUNDLE = '.build/tracing.js';

/**
 * Leaves shared/tracing.ts out of a function's bundle: observability.ts's `require('./tracing')`
 * becomes `require('../tracing.js')`, the file {@link tracingBundleOptions} builds, which the
 * function reads only when tracing is switched on.
 */
const tracingBeside: Plugin = {
  name: 'tracing-beside',
  setup(builder) {
    const source = join(root, 'shared', 'tracing.ts');
    builder.onResolve({ filter: /^\.\/tracing$/ }, (args) =>
      join(args.resolveDir, args.path) === source.replace(/\.ts$/, '')
        ? { path: `../${basename(TRACING_BUNDLE)}`, external: true }
        : undefined,
    );
  },
};

/**
 * Where the build writes RE2 (`re2js`, 147 KiB), a bundle of its own beside the functions' folders
 * like the tracer; serverless.yml packages it with every function. Only a tag filter's regular
 * expression (`tags.regex`) needs it: globs have a matcher of their own (shared/domain/policy/glob.ts).
 */
export const RE2_BUNDLE = '.build/re2.js';

/**
 * Leaves `re2js` out of a function's bundle: glob.ts's `require('re2js')`, made when the first tag
 * regex is compiled (the policy file is validated, or a tag filtered), becomes `require('../re2.js')`,
 * the file {@link re2BundleOptions} builds.
 */
const re2Beside: Plugin = {
  name: 're2-beside',
  setup(builder) {
    builder.onResolve({ filter: /^re2js$/ }, () => ({ path: `../${basename(RE2_BUNDLE)}`, external: true }));
  },
};

/** esbuild options for one function's bundle. */
export function bundleOptions(name: string): BuildOptions & { metafile: true } {
  return {
    ...commonOptions(),
    entryPoints: [join(root, 'functions', `${name}.ts`)],
    plugins: [tracingBeside, re2Beside],
  };
}

/** esbuild options for RE2's bundle ({@link RE2_BUNDLE}), shared by every function. */
export function re2BundleOptions(): BuildOptions & { metafile: true } {
  return { ...commonOptions(), entryPoints: [require.resolve('re2js')] };
}

/** esbuild options for the tracer's bundle ({@link TRACING_BUNDLE}), shared by every function. */
export function tracingBundleOptions(): BuildOptions & { metafile: true } {
  return { ...commonOptions(), entryPoints: [join(root, 'shared', 'tracing.ts')] };
}

/** What every bundle is built with. */
function commonOptions(): BuildOptions & { metafile: true } {
  return {
    bundle: true,
    platform: 'node',
    // Lambda runs nodejs22.x; the local sandbox runs the same bundles on Node 20.
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    // The SDK's default credential chain (SSO, INI, web identity, with the STS and SSO clients) is
    // replaced by what Lambda uses: the environment, or the container endpoint (SnapStart).
    alias: { '@aws-sdk/credential-provider-node': join(root, 'shared/adapters/aws/lambda-credentials.ts') },
    // EC2's client (600 KB of schemas esbuild cannot tree-shake) is restart-tasks' only, for a rare
    // read: required when first used, from the SDK Lambda's runtime carries (ec2-network-interface-reader.ts).
    external: ['@aws-sdk/client-ec2'],
    // A constant in the bundle: loadPolicyFile's YAML branch (and the yaml package) is left out, the
    // bundles read the JSON written below.
    define: { 'process.env.AUTOPILOT_BUNDLE': '"true"' },
    // Written, not loaded: Node reads the map only when source maps are switched on, which the
    // bundle does itself when debugging (DEBUG_SOURCE_MAPS), not at every cold start.
    sourcemap: 'linked',
    banner: { js: DEBUG_SOURCE_MAPS },
    metafile: true,
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
}

/** Where the build writes the validated policy file, sealed; serverless.yml packages it and names it. */
export const POLICY_JSON = '.build/autopilot.json';

/**
 * Validates autopilot.yml (as `autopilot validate-config` does), writes it sealed to
 * {@link POLICY_JSON}, then bundles every function into .build/<key>/. A policy file with errors
 * throws with the validator's lines (`autopilot.yml:<line>:<column> <field>: <message>`) and builds
 * nothing.
 *
 * @param options - where progress lines go
 * @returns the bundles built
 */
export async function buildAll({
  log = console.log,
}: {
  log?: (line: string) => void;
} = {}): Promise<{ name: string; bytes: number }[]> {
  let policy: ReturnType<typeof parsePolicyFile>;
  try {
    policy = parsePolicyFile(readPolicyFileText(join(root, 'autopilot.yml')), 'autopilot.yml');
  } catch (error) {
    // The validator's lines, without a stack: they are the whole message.
    throw new Error(error instanceof PolicyFileError ? error.message : String(error), { cause: error });
  }
  log(
    `autopilot.yml: valid (${Object.keys(policy.policies).length} policies, ${Object.keys(policy.clusters).length} cluster defaults)`,
  );
  rmSync(outRoot, { recursive: true, force: true });
  mkdirSync(outRoot, { recursive: true });
  writeFileSync(join(root, POLICY_JSON), sealPolicyFile(policy));
  // Read back as a bundle will read it (its size limit and its seal), so a file the functions would
  // refuse at their cold start fails the build instead.
  loadPolicyFile(join(root, POLICY_JSON));
  const tracing = await build({ ...tracingBundleOptions(), outfile: join(root, TRACING_BUNDLE) });
  log(`built tracing (${Math.round(outputBytes(tracing.metafile) / 1024)} KiB, loaded only when tracing)`);
  const re2 = await build({ ...re2BundleOptions(), outfile: join(root, RE2_BUNDLE) });
  log(`built re2 (${Math.round(outputBytes(re2.metafile) / 1024)} KiB, loaded only for a tags.regex filter)`);
  const built: { name: string; bytes: number }[] = [];
  for (const name of functionKeys(root)) {
    const outdir = join(outRoot, name);
    mkdirSync(outdir, { recursive: true });
    const result = await build({ ...bundleOptions(name), outfile: join(outdir, 'index.js') });
    writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
    const bytes = outputBytes(result.metafile);
    log(`built ${name} (${Math.round(bytes / 1024)} KiB)`);
    built.push({ name, bytes });
  }
  return built;
}

/** Bytes of a build's bundle (not its source map). */
function outputBytes(metafile: Metafile): number {
  return Object.values(metafile.outputs).find((output) => output.entryPoint)?.bytes ?? 0;
}

if (require.main === module) {
  buildAll().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
