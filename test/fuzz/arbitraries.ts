/**
 * What the fuzz tests feed autopilot: the real samples of events/, broken the ways a hostile or
 * buggy sender breaks them. Every arbitrary is JSON (events arrive as JSON), and each test runs with
 * a fixed seed, so a failure is replayed exactly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { boundedJson } from '../../shared/events/json-bounds';

const EVENTS = join(__dirname, '..', '..', 'events');

/** Every sample of events/, by file name without `.json`. */
export const SAMPLES: Readonly<Record<string, Record<string, unknown>>> = Object.fromEntries(
  readdirSync(EVENTS)
    .filter((file) => file.endsWith('.json'))
    .map((file) => [file.replace(/\.json$/, ''), JSON.parse(readFileSync(join(EVENTS, file), 'utf8'))]),
);

/** The samples whose name starts with one of `prefixes`. */
export function samplesOf(...prefixes: string[]): Record<string, unknown>[] {
  return Object.entries(SAMPLES)
    .filter(([name]) => prefixes.some((p) => name.startsWith(p)))
    .map(([, event]) => event);
}

/** `[[[…]]]`, `depth` deep, built from text as a sender would send it. */
export const deepArray = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

/** Values a hostile sender puts where a field was. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    '',
    ' ',
    'sha256:abc',
    `sha256:${'A'.repeat(64)}`,
    'arn:',
    'arn:aws:ecs:eu-west-1:123456789012:service/',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    '\u0000',
    '\ud800',
    '9999-12-31T23:59:59Z',
    '0000-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
    -1,
    1e308,
    -0,
    null,
    true,
    [],
    {},
  ),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.nat({ max: 3000 }).map((n) => 'x'.repeat(n * 100)),
  fc.integer({ min: 50, max: 5000 }).map(deepArray),
);

/** The paths to the values in `value` (object keys and array indexes), down to 12 levels, without recursion. */
function pathsOf(value: unknown): (string | number)[][] {
  const paths: (string | number)[][] = [];
  const pending: Array<{ value: unknown; path: (string | number)[] }> = [{ value, path: [] }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    paths.push(next.path);
    if (typeof next.value !== 'object' || next.value === null || next.path.length >= 12) continue;
    const entries = Array.isArray(next.value)
      ? next.value.map((v, i) => [i, v] as const)
      : Object.entries(next.value);
    for (const [key, child] of entries.slice(0, 50))
      pending.push({ value: child, path: [...next.path, key] });
  }
  return paths;
}

/** `value` with what is at `path` replaced by `replacement` (`undefined`: removed). */
function replaceAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(value)) {
    const copy = [...value];
    if (replacement === undefined && rest.length === 0) copy.splice(Number(head), 1);
    else copy[Number(head)] = replaceAt(copy[Number(head)], rest, replacement);
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  if (replacement === undefined && rest.length === 0) delete copy[head];
  else
    Object.defineProperty(copy, head, {
      value: replaceAt(copy[head], rest, replacement),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

/**
 * One of `samples` broken 1 to 3 times: a value replaced by a hostile one, removed, or a key added
 * (`__proto__` and `constructor` included).
 */
export function brokenEvent(samples: readonly Record<string, unknown>[]): fc.Arbitrary<unknown> {
  const mutation = fc.record({
    pick: fc.nat(),
    kind: fc.constantFrom('replace', 'remove', 'add'),
    key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'detail', 'id'), fc.string({ maxLength: 12 })),
    value: hostileValue,
  });
  return fc
    .tuple(fc.constantFrom(...samples), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([sample, mutations]) =>
      mutations.reduce<unknown>((event, { pick, kind, key, value }) => {
        const paths = pathsOf(event);
        const path = paths[pick % paths.length] ?? [];
        if (kind === 'remove') return replaceAt(event, path, undefined);
        if (kind === 'add') {
          const parent = path.length === 0 ? event : path.reduce<unknown>((v, k) => (v as never)[k], event);
          if (typeof parent !== 'object' || parent === null || Array.isArray(parent)) return event;
          // An own property, even for "__proto__", as JSON.parse makes it.
          const added = { ...parent };
          Object.defineProperty(added, key, { value, enumerable: true, writable: true, configurable: true });
          return replaceAt(event, path, added);
        }
        return replaceAt(event, path, value);
      }, structuredClone(sample)),
    );
}

/**
 * The options of a fuzz run: a fixed seed (a failure replays exactly) and a reporter that prints
 * the counterexample with its nesting cut (fast-check's own printing recurses, and a hostile
 * counterexample would exhaust the stack instead of being shown).
 */
export function fuzzRun<T>(numRuns: number): fc.Parameters<T> {
  const report = (details: fc.RunDetails<T>): void => {
    if (!details.failed) return;
    const example = boundedJson(details.counterexample, 8).slice(0, 3000);
    throw new Error(
      `property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}"): ${String(details.errorInstance)}\ncounterexample: ${example}`,
    );
  };
  return { seed: 11, numRuns, reporter: report };
}
