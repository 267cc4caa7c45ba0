#!/usr/bin/env node
// Bundles every function in serverless.yml into .build/<function>/index.js (one esbuild bundle each,
// holding only the code and SDK clients that function imports) and validates the policy file first,
// so a wrong autopilot.yml fails the build with its line and field, before anything is deployed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { parse } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outRoot = join(root, '.build');

/** Function keys of serverless.yml; each has its handler in functions/<key>.ts. */
export function functionNames() {
  const sls = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'error' });
  return Object.keys(sls.functions ?? {});
}

/** esbuild options for one function's bundle. */
export function bundleOptions(name) {
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

async function main() {
  execFileSync(
    process.execPath,
    [join(root, 'bin', 'autopilot.js'), 'validate-config', join(root, 'autopilot.yml')],
    {
      stdio: 'inherit',
    },
  );
  rmSync(outRoot, { recursive: true, force: true });
  for (const name of functionNames()) {
    const outdir = join(outRoot, name);
    mkdirSync(outdir, { recursive: true });
    const result = await build({ ...bundleOptions(name), outfile: join(outdir, 'index.js') });
    writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
    const bytes = Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.bytes ?? 0;
    console.log(`built ${name} (${Math.round(bytes / 1024)} KiB)`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
