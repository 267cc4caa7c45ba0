/**
 * Bundles every function in serverless.yml into .build/<function>/index.js (one esbuild bundle each,
 * holding only the code and SDK clients that function imports) and validates the policy file first,
 * so a wrong autopilot.yml fails the build with its line and field, before anything is deployed.
 * `npm run build` and `npm start` run this file through tsx; `serverless package` and `serverless
 * deploy` call {@link buildAll} through tools/serverless-build-plugin.js (which loads it with tsx too).
 * The function keys come from the one reader of serverless.yml, tools/serverless-config.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { functionKeys } from '../tools/serverless-config';

const root = join(__dirname, '..');
const outRoot = join(root, '.build');

/** esbuild options for one function's bundle. */
export function bundleOptions(name: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: [join(root, 'functions', `${name}.ts`)],
    bundle: true,
    platform: 'node',
    // Lambda runs nodejs22.x; the local sandbox runs the same bundles on Node 20.
    target: 'node20',
    format: 'cjs',
    mainFields: ['module', 'main'],
    sourcemap: 'linked',
    metafile: true,
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
}

/**
 * Validates autopilot.yml with `autopilot validate-config`, then bundles every function into
 * .build/<key>/. A policy file with errors throws with the validator's lines
 * (`autopilot.yml:<line>:<column> <field>: <message>`) and builds nothing.
 *
 * @param options - where progress lines go
 * @returns the bundles built
 */
export async function buildAll({
  log = console.log,
}: {
  log?: (line: string) => void;
} = {}): Promise<{ name: string; bytes: number }[]> {
  const check = spawnSync(
    process.execPath,
    [join(root, 'bin', 'autopilot.js'), 'validate-config', 'autopilot.yml'],
    { cwd: root, encoding: 'utf8' },
  );
  const output = `${check.stderr ?? ''}${check.stdout ?? ''}`.trim();
  if (check.status !== 0) {
    throw new Error(output || `autopilot validate-config failed (${check.error?.message ?? check.signal})`);
  }
  log(output);
  rmSync(outRoot, { recursive: true, force: true });
  const built: { name: string; bytes: number }[] = [];
  for (const name of functionKeys(root)) {
    const outdir = join(outRoot, name);
    mkdirSync(outdir, { recursive: true });
    const result = await build({ ...bundleOptions(name), outfile: join(outdir, 'index.js') });
    writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
    const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
    log(`built ${name} (${Math.round(bytes / 1024)} KiB)`);
    built.push({ name, bytes });
  }
  return built;
}

if (require.main === module) {
  buildAll().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
