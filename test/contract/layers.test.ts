/**
 * The domain's dependency rules, read from the sources: `shared/domain/` imports no AWS SDK, reads no
 * `process.env`, imports nothing from config at run time (`import type` is erased) and nothing from
 * adapters, handlers, the CLI, the sandbox or tools; `ports.ts` is in no import cycle; and each folder
 * of the domain imports only the folders it builds on (a capability uses `policy/` and `aws/`, not
 * another capability).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..', '..');
const DOMAIN = join(root, 'shared', 'domain');
const PORTS = join(root, 'shared', 'ports.ts');

/**
 * What each folder of the domain may import from the others. A new capability gets a line here: it
 * builds on `policy/`, `aws/` and `plan/` (decide, then apply); the repository index also keeps
 * rollback's alarm index.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  aws: [],
  plan: [],
  policy: ['aws'],
  deploy: ['aws', 'plan', 'policy'],
  rollback: ['aws', 'plan', 'policy'],
  index: ['aws', 'plan', 'policy', 'rollback'],
  notify: ['aws', 'plan', 'policy'],
  restart: ['aws', 'plan', 'policy'],
  tags: ['aws', 'plan', 'policy'],
  // What `autopilot status` says of a service reads every capability's view of it.
  status: ['aws', 'plan', 'policy', 'deploy', 'index', 'rollback'],
};

/** Where the domain never reaches, not even for a type. */
const NEVER = [
  'shared/adapters',
  'shared/middleware',
  'functions',
  'cli',
  'sandbox',
  'tools',
  'scripts',
  'test',
];

/** One import of a source: what it names, where that resolves, and whether it stays at run time. */
interface Import {
  specifier: string;
  /** the file a relative specifier resolves to (undefined for packages) */
  target?: string;
  runtime: boolean;
}

/** The TypeScript files under a folder. */
function sources(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file));
}

/** The file a relative specifier names (`./x` is `./x.ts` or `./x/index.ts`). */
function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  return (
    [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => existsSync(candidate)) ?? `${base}.ts`
  );
}

/** Whether an import declaration is erased by TypeScript: `import type`, or only `type` specifiers. */
function typeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) return node.isTypeOnly;
  const clause = node.importClause;
  if (!clause) return false; // `import './x'` runs the module
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((element) => element.isTypeOnly)
  );
}

/** The imports of a source and whether it reads `process.env`. */
function scan(file: string, text: string): { imports: Import[]; readsEnv: boolean } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const imports: Import[] = [];
  let readsEnv = false;
  const add = (specifier: string, runtime: boolean) =>
    imports.push({
      specifier,
      runtime,
      ...(specifier.startsWith('.') ? { target: resolveRelative(file, specifier) } : {}),
    });
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      add(node.moduleSpecifier.text, !typeOnly(node));
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require')) &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      add(node.arguments[0].text, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) add(literal.text, false);
    } else if (
      ts.isPropertyAccessExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'process' &&
      node.name.text === 'env'
    ) {
      readsEnv = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, readsEnv };
}

const scanned = new Map<string, ReturnType<typeof scan>>();
function scanFile(file: string): ReturnType<typeof scan> {
  let found = scanned.get(file);
  if (!found) {
    found = scan(file, readFileSync(file, 'utf8'));
    scanned.set(file, found);
  }
  return found;
}

const rel = (file: string) => relative(root, file).split(sep).join('/');
const inside = (file: string | undefined, folder: string) =>
  file !== undefined && rel(file).startsWith(`${folder}/`);
/** The folder of the domain a file is in (`deploy`, `policy`, …), or undefined outside the domain. */
const domainFolder = (file: string) =>
  inside(file, 'shared/domain') ? rel(file).split('/')[2]?.replace(/\.ts$/, '') : undefined;

/** Every rule one domain source breaks, said as `<file>: <what>`. */
function violations(file: string, found: ReturnType<typeof scan>): string[] {
  const at = rel(file);
  const problems: string[] = [];
  if (found.readsEnv) problems.push(`${at}: reads process.env`);
  const from = domainFolder(file);
  for (const { specifier, target, runtime } of found.imports) {
    if (specifier.startsWith('@aws-sdk/')) problems.push(`${at}: imports ${specifier}`);
    if (target === undefined) continue;
    const to = rel(target);
    if (NEVER.some((folder) => inside(target, folder))) problems.push(`${at}: imports ${to}`);
    if (runtime && inside(target, 'shared/config')) problems.push(`${at}: imports ${to} at run time`);
    const folder = domainFolder(target);
    if (from && folder && folder !== from && !(MAY_IMPORT[from] ?? []).includes(folder)) {
      problems.push(`${at}: ${from}/ imports ${to}`);
    }
  }
  return problems;
}

/** The cycles through `start`, following every import (types too) of the files under `shared/`. */
function cyclesThrough(start: string): string[][] {
  const cycles: string[][] = [];
  const walk = (file: string, path: string[], seen: Set<string>) => {
    for (const { target } of scanFile(file).imports) {
      if (target === undefined || !inside(target, 'shared') || !existsSync(target)) continue;
      if (target === start) cycles.push([...path, target].map(rel));
      else if (!seen.has(target)) {
        seen.add(target);
        walk(target, [...path, target], seen);
      }
    }
  };
  walk(start, [start], new Set([start]));
  return cycles;
}

/** Every package and file the domain loads at run time, following runtime imports through `shared/`. */
function runtimeClosure(files: readonly string[]): Set<string> {
  const reached = new Set<string>();
  const pending = [...files];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    for (const { specifier, target, runtime } of scanFile(file).imports) {
      if (!runtime) continue;
      const key = target ? rel(target) : specifier;
      if (reached.has(key)) continue;
      reached.add(key);
      if (target && existsSync(target)) pending.push(target);
    }
  }
  return reached;
}

describe('the domain', () => {
  const files = sources(DOMAIN);

  it('has a folder per capability and the shared policy/ and aws/, each with a rule here', () => {
    // Prepare
    const folders = readdirSync(DOMAIN, { withFileTypes: true });

    // Act
    const names = folders.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
    const loose = folders.filter((entry) => entry.isFile()).map((entry) => entry.name);

    // Assess
    expect(names.sort()).toEqual(Object.keys(MAY_IMPORT).sort());
    expect(loose).toEqual([]);
  });

  it('imports no AWS SDK, no config at run time, no adapters, handlers, CLI, sandbox or tools, and reads no process.env', () => {
    // Prepare
    const checked = files.map((file) => [file, scanFile(file)] as const);

    // Act
    const problems = checked.flatMap(([file, found]) => violations(file, found));

    // Assess
    expect(files.length).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });

  it('loads no AWS SDK and no adapter at run time, however deep', () => {
    // Prepare
    const start = files;

    // Act
    const reached = [...runtimeClosure(start)];

    // Assess
    expect(
      reached.filter((key) => key.startsWith('@aws-sdk/') || key.startsWith('shared/adapters/')),
    ).toEqual([]);
    expect(reached.filter((key) => key.startsWith('shared/config/'))).toEqual([]);
  });

  it('is in no import cycle with ports.ts, not even through types', () => {
    // Prepare
    const start = PORTS;

    // Act
    const cycles = cyclesThrough(start);

    // Assess
    expect(cycles).toEqual([]);
  });
});

describe('the layer check', () => {
  const file = join(DOMAIN, 'deploy', 'plan-deployment.ts');

  it.each([
    [
      "import { ECSClient } from '@aws-sdk/client-ecs';",
      'shared/domain/deploy/plan-deployment.ts: imports @aws-sdk/client-ecs',
    ],
    [
      "import { parsePolicyFile } from '../../config/policy-file';",
      'shared/domain/deploy/plan-deployment.ts: imports shared/config/policy-file.ts at run time',
    ],
    [
      "import { makeDeps } from '../../adapters/compose';",
      'shared/domain/deploy/plan-deployment.ts: imports shared/adapters/compose.ts',
    ],
    [
      'const table = process.env.AUTOPILOT_TABLE;',
      'shared/domain/deploy/plan-deployment.ts: reads process.env',
    ],
    [
      "import { onAlarm } from '../rollback/watch-deployments';",
      'shared/domain/deploy/plan-deployment.ts: deploy/ imports shared/domain/rollback/watch-deployments.ts',
    ],
    [
      "const { route } = require('../../../tools/eventbridge/routing');",
      'shared/domain/deploy/plan-deployment.ts: imports tools/eventbridge/routing.ts',
    ],
  ])('sees %s', (text, expected) => {
    // Prepare
    const found = scan(file, text);

    // Act
    const problems = violations(file, found);

    // Assess
    expect(problems).toEqual([expected]);
  });

  it.each([
    "import type { PolicyFile } from '../../config/policy-file';",
    "import { type Policy, type PolicyFile } from '../../config/policy-file';",
    "import type { ServiceState } from '../../ports';",
    "import { parseDeployMode } from '../policy/deploy-mode';",
  ])('lets %s pass', (text) => {
    // Prepare
    const found = scan(file, text);

    // Act
    const problems = violations(file, found);

    // Assess
    expect(problems).toEqual([]);
  });
});
