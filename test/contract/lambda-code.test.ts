/**
 * `shared/` and `functions/` hold only what runs in Lambda: they import nothing from the code that
 * only the CLI, the sandbox, the build and the tests use (`tools/`, `cli/`, `scripts/`, `sandbox/`,
 * `test/`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = join(__dirname, '..', '..');
const LAMBDA_FOLDERS = ['shared', 'functions'];
const NOT_LAMBDA = ['tools', 'cli', 'scripts', 'sandbox', 'test'].map((folder) => join(root, folder));

/** The TypeScript files under a folder of the repository. */
function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(root, folder, file));
}

/** The relative modules a source imports, resolved to paths. */
function relativeImports(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g),
  ];
  return specifiers.map(([, specifier = '']) => resolve(file, '..', specifier));
}

/** What a Lambda source imports from the folders Lambda code must not use. */
function importsOutsideLambda(file: string, text: string): string[] {
  return relativeImports(file, text)
    .filter((target) => NOT_LAMBDA.some((folder) => target.startsWith(`${folder}/`)))
    .map((target) => `${relative(root, file)} imports ${relative(root, target)}`);
}

describe('Lambda code', () => {
  it('imports nothing from tools/, cli/, scripts/, sandbox/ or test/', () => {
    // Prepare
    const files = LAMBDA_FOLDERS.flatMap(sources);

    // Act
    const outside = files.flatMap((file) => importsOutsideLambda(file, readFileSync(file, 'utf8')));

    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(outside).toEqual([]);
  });

  it('would see a handler that imports the pattern matcher', () => {
    // Prepare
    const file = join(root, 'functions', 'notify.ts');
    const text =
      "import { matchesPattern } from '../tools/eventbridge/pattern';\nrequire('../shared/errors');";

    // Act
    const outside = importsOutsideLambda(file, text);

    // Assess
    expect(outside).toEqual(['functions/notify.ts imports tools/eventbridge/pattern']);
  });
});
