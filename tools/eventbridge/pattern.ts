/**
 * Amazon EventBridge event-pattern matching, done locally.
 *
 * Used by `autopilot dispatch` to route an event to the functions whose `serverless.yml` EventBridge
 * patterns match it, and by the local event bus. The semantics follow the EventBridge user guide and
 * the reference matcher EventBridge is built on (aws/event-ruler):
 *
 * - every leaf of a pattern is an array; the field matches when any element matches (OR);
 * - the fields of an object are ANDed, nested objects recurse, `$or` ORs whole sub-patterns;
 * - when the event value is an array, the field matches when any element matches; arrays of objects
 *   are "crushed out", and fields matched under an array must come from the same element;
 * - a field that is missing (or is an object, i.e. not a leaf) only matches `{ "exists": false }`;
 * - arrays are crushed out without recursion, at most {@link MAX_MATCH_DEPTH} levels deep and
 *   {@link MAX_MATCH_ELEMENTS} elements per field: a field past either bound matches nothing (not
 *   even `exists: false`), so no event, however hostile, can exhaust the stack or stall routing.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
import { MAX_EVENT_NESTING } from './event';

/** The deepest arrays the matcher crushes out: as deep as EventBridge processes JSON. */
export const MAX_MATCH_DEPTH = MAX_EVENT_NESTING;

/** The most array elements the matcher walks for one field (a 256 KB event holds fewer). */
export const MAX_MATCH_ELEMENTS = 100_000;

/**
 * An EventBridge event pattern, as parsed from JSON (or from the `eventBridge.pattern` of a
 * `serverless.yml` function event).
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export type EventPattern = Record<string, unknown>;

/**
 * Thrown for a pattern EventBridge would reject (`InvalidEventPatternException`). The message names the
 * JSON path of the offending node, e.g. `Invalid event pattern at $.detail.state[0]: ...`.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html
 */
export class PatternError extends Error {
  /** JSON path of the invalid node, e.g. `$.detail["c-count"][0].numeric`. */
  readonly path: string;

  /**
   * @param path JSON path of the invalid node.
   * @param detail what is wrong with it.
   */
  constructor(path: string, detail: string) {
    super(`Invalid event pattern at ${path}: ${detail}`);
    this.name = 'PatternError';
    this.path = path;
  }
}

/**
 * A pattern that has been validated and compiled once, to be tested against many events.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export type CompiledPattern = (event: unknown) => boolean;

/**
 * Validates `pattern` and compiles it into a reusable matcher (cheaper than calling
 * {@link matchesPattern} repeatedly with the same pattern, e.g. on a local event bus).
 *
 * @throws {@link PatternError} when the pattern is invalid.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 */
export function compilePattern(pattern: EventPattern): CompiledPattern {
  if (!isPlainObject(pattern)) {
    throw new PatternError('$', 'an event pattern must be a JSON object');
  }
  const matchRoot = compileObject(pattern, '$', false);
  return (event) => matchRoot(isPlainObject(event) ? event : EMPTY);
}

/**
 * True when `event` (a parsed JSON EventBridge event) matches `pattern`, with EventBridge semantics.
 *
 * @throws {@link PatternError} when the pattern is invalid.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html
 */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  return compilePattern(pattern)(event);
}

/**
 * Throws a {@link PatternError} naming the JSON path of the first problem when `pattern` is not a valid
 * EventBridge event pattern (a leaf that is not an array, an empty array or object, an unknown or
 * malformed operator, `$or` with fewer than two sub-patterns, ...); returns normally otherwise.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 */
export function validatePattern(pattern: EventPattern): void {
  compilePattern(pattern);
}

// ---------------------------------------------------------------------------------------------------
// Compilation of objects and fields

type JsonObject = Readonly<Record<string, unknown>>;
type ObjectMatcher = (candidate: JsonObject) => boolean;
type ValueTest = (value: unknown) => boolean;
type Leaf = string | number | boolean | null;

/** One element of a leaf array: either an existence test or a test on each leaf value. */
type ElementMatcher = { readonly exists: boolean } | { readonly test: ValueTest };

const EMPTY: JsonObject = Object.freeze({});
const OR_KEY = '$or';
const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'cidr',
  'wildcard',
]);

function compileObject(pattern: Record<string, unknown>, path: string, insideOr: boolean): ObjectMatcher {
  const keys = Object.keys(pattern);
  if (keys.length === 0) {
    throw new PatternError(path, 'empty objects are not allowed');
  }
  const matchers: ObjectMatcher[] = keys.map((key) => {
    const value = pattern[key];
    const childPath = pathOf(path, key);
    if (key === OR_KEY) {
      return compileOr(value, childPath);
    }
    if (insideOr && OPERATORS.has(key)) {
      throw new PatternError(childPath, `"${key}" is a reserved name and cannot be a field inside "$or"`);
    }
    if (Array.isArray(value)) {
      const matchField = compileLeaf(value, childPath);
      return (candidate) => matchField(fieldOf(candidate, key));
    }
    if (isPlainObject(value)) {
      const matchChild = compileObject(value, childPath, insideOr);
      return (candidate) => objectsAt(fieldOf(candidate, key)).some(matchChild);
    }
    throw new PatternError(childPath, `"${key}" must be an object or an array`);
  });
  return (candidate) => matchers.every((match) => match(candidate));
}

function compileOr(value: unknown, path: string): ObjectMatcher {
  if (!Array.isArray(value)) {
    throw new PatternError(path, '"$or" must be an array of objects');
  }
  if (value.length < 2) {
    throw new PatternError(path, '"$or" must contain at least 2 objects');
  }
  const branches = value.map((branch, index) => {
    const branchPath = `${path}[${index}]`;
    if (!isPlainObject(branch)) {
      throw new PatternError(branchPath, 'only JSON objects are allowed in "$or"');
    }
    return compileObject(branch, branchPath, true);
  });
  return (candidate) => branches.some((match) => match(candidate));
}

/** Compiles a leaf array: the field matches when any element matches. */
function compileLeaf(elements: readonly unknown[], path: string): (fieldValue: unknown) => boolean {
  if (elements.length === 0) {
    throw new PatternError(path, 'empty arrays are not allowed');
  }
  const matchers = elements.map((element, index) => compileElement(element, `${path}[${index}]`));
  return (fieldValue) => {
    const leaves = leavesOf(fieldValue);
    if (leaves === undefined) return false;
    return matchers.some((matcher) =>
      'exists' in matcher ? matcher.exists === leaves.length > 0 : leaves.some(matcher.test),
    );
  };
}

function compileElement(element: unknown, path: string): ElementMatcher {
  if (typeof element === 'string') {
    return { test: exactString(element) };
  }
  if (typeof element === 'number') {
    const n = finiteNumber(element, path);
    return { test: (value) => value === n };
  }
  if (typeof element === 'boolean' || element === null) {
    return { test: (value) => value === element };
  }
  if (isPlainObject(element)) {
    return compileOperator(element, path);
  }
  throw new PatternError(path, 'a match value must be a string, number, boolean, null or an operator object');
}

// ---------------------------------------------------------------------------------------------------
// Operators

function compileOperator(expression: Record<string, unknown>, path: string): ElementMatcher {
  const [name, ...extra] = Object.keys(expression);
  if (name === undefined) {
    throw new PatternError(path, 'empty objects are not allowed');
  }
  const operatorPath = pathOf(path, name);
  if (extra.length > 0) {
    throw new PatternError(
      path,
      `only one operator is allowed in a match expression, got ${Object.keys(expression).join(', ')}`,
    );
  }
  const arg = expression[name];
  switch (name) {
    case 'prefix':
      return { test: compileAffix(arg, operatorPath, 'prefix') };
    case 'suffix':
      return { test: compileAffix(arg, operatorPath, 'suffix') };
    case 'equals-ignore-case': {
      const folded = fold(requireString(arg, operatorPath, name));
      return { test: (value) => typeof value === 'string' && fold(value) === folded };
    }
    case 'wildcard': {
      const matchWildcard = compileWildcard(requireString(arg, operatorPath, name), operatorPath);
      return { test: (value) => typeof value === 'string' && matchWildcard(value) };
    }
    case 'anything-but': {
      const excluded = compileAnythingBut(arg, operatorPath);
      return { test: (value) => !excluded(value) };
    }
    case 'numeric': {
      const inRange = compileNumeric(arg, operatorPath);
      return { test: (value) => typeof value === 'number' && inRange(value) };
    }
    case 'cidr':
      return { test: compileCidr(arg, operatorPath) };
    case 'exists':
      if (typeof arg !== 'boolean') {
        throw new PatternError(operatorPath, '"exists" must be true or false');
      }
      return { exists: arg };
    default:
      throw new PatternError(operatorPath, `unknown operator "${name}"`);
  }
}

/** `{"prefix": "x"}`, `{"prefix": {"equals-ignore-case": "x"}}` and the same for `suffix`. */
function compileAffix(arg: unknown, path: string, kind: 'prefix' | 'suffix'): ValueTest {
  const hasAffix = (value: string, affix: string): boolean =>
    kind === 'prefix' ? value.startsWith(affix) : value.endsWith(affix);
  if (typeof arg === 'string') {
    return (value) => typeof value === 'string' && hasAffix(value, arg);
  }
  if (isPlainObject(arg)) {
    const [name, ...extra] = Object.keys(arg);
    if (name === 'equals-ignore-case' && extra.length === 0) {
      const folded = fold(requireString(arg[name], pathOf(path, name), name));
      return (value) => typeof value === 'string' && hasAffix(fold(value), folded);
    }
  }
  throw new PatternError(path, `"${kind}" must be a string or {"equals-ignore-case": string}`);
}

/**
 * Compiles the argument of `anything-but` into the test for the values it excludes. Only values of the
 * excluded kind can be excluded: `{"anything-but": "x"}` matches numbers, booleans and null, and
 * `{"anything-but": 5}` matches every string, as in EventBridge.
 */
function compileAnythingBut(arg: unknown, path: string): ValueTest {
  if (typeof arg === 'string') {
    return (value) => value === arg;
  }
  if (typeof arg === 'number') {
    const n = finiteNumber(arg, path);
    return (value) => value === n;
  }
  if (Array.isArray(arg)) {
    if (arg.length === 0) {
      throw new PatternError(path, '"anything-but" list must not be empty');
    }
    if (arg.every((item) => typeof item === 'string')) {
      const excluded = new Set<unknown>(arg);
      return (value) => typeof value === 'string' && excluded.has(value);
    }
    if (arg.every((item) => typeof item === 'number')) {
      const excluded = new Set<unknown>(arg.map((item, index) => finiteNumber(item, `${path}[${index}]`)));
      return (value) => typeof value === 'number' && excluded.has(value);
    }
    throw new PatternError(path, '"anything-but" list must contain only strings or only numbers');
  }
  if (isPlainObject(arg)) {
    const [name, ...extra] = Object.keys(arg);
    if (name === undefined || extra.length > 0) {
      throw new PatternError(path, '"anything-but" object must have exactly one operator');
    }
    const inner = arg[name];
    const innerPath = pathOf(path, name);
    switch (name) {
      case 'prefix':
      case 'suffix': {
        const affix = requireString(inner, innerPath, name);
        if (affix === '') {
          throw new PatternError(innerPath, `"anything-but" ${name} must not be empty`);
        }
        return (value) =>
          typeof value === 'string' && (name === 'prefix' ? value.startsWith(affix) : value.endsWith(affix));
      }
      case 'equals-ignore-case': {
        const folded = new Set(stringOrStrings(inner, innerPath, name).map(fold));
        return (value) => typeof value === 'string' && folded.has(fold(value));
      }
      case 'wildcard': {
        const wildcards = stringOrStrings(inner, innerPath, name).map((w, index) =>
          compileWildcard(w, Array.isArray(inner) ? `${innerPath}[${index}]` : innerPath),
        );
        return (value) => typeof value === 'string' && wildcards.some((match) => match(value));
      }
      default:
        throw new PatternError(innerPath, `unsupported "anything-but" operator "${name}"`);
    }
  }
  throw new PatternError(
    path,
    '"anything-but" must be a string, a number, a list of them, or an operator object',
  );
}

const LOWER_BOUNDS = new Set(['>', '>=']);
const UPPER_BOUNDS = new Set(['<', '<=']);

/**
 * `["=", n]`, `[">" | ">=", n]`, `["<" | "<=", n]` or `[">" | ">=", n, "<" | "<=", m]` with n < m,
 * the forms EventBridge accepts.
 */
function compileNumeric(arg: unknown, path: string): (value: number) => boolean {
  if (!Array.isArray(arg) || arg.length === 0) {
    throw new PatternError(path, '"numeric" must be a non-empty array like [">", 0, "<=", 5]');
  }
  const [op1, n1, op2, n2, ...rest] = arg;
  const operand = (op: unknown, n: unknown, index: number): number => {
    if (typeof n !== 'number') {
      throw new PatternError(`${path}[${index}]`, `value of "${String(op)}" must be a number`);
    }
    return finiteNumber(n, `${path}[${index}]`);
  };
  if (typeof op1 !== 'string' || !(op1 === '=' || LOWER_BOUNDS.has(op1) || UPPER_BOUNDS.has(op1))) {
    throw new PatternError(`${path}[0]`, `unknown numeric operator ${JSON.stringify(op1)}`);
  }
  const first = operand(op1, n1, 1);
  const firstTest = comparison(op1, first);
  if (arg.length === 2) {
    return firstTest;
  }
  if (!LOWER_BOUNDS.has(op1)) {
    throw new PatternError(path, `"${op1}" cannot be combined with another numeric condition`);
  }
  if (typeof op2 !== 'string' || !UPPER_BOUNDS.has(op2)) {
    throw new PatternError(
      `${path}[2]`,
      `a numeric range must end with "<" or "<=", got ${JSON.stringify(op2)}`,
    );
  }
  const second = operand(op2, n2, 3);
  if (rest.length > 0) {
    throw new PatternError(path, 'too many elements in numeric expression');
  }
  if (first >= second) {
    throw new PatternError(path, 'the lower bound of a numeric range must be less than its upper bound');
  }
  const secondTest = comparison(op2, second);
  return (value) => firstTest(value) && secondTest(value);
}

function comparison(op: string, bound: number): (value: number) => boolean {
  switch (op) {
    case '>':
      return (value) => value > bound;
    case '>=':
      return (value) => value >= bound;
    case '<':
      return (value) => value < bound;
    case '<=':
      return (value) => value <= bound;
    default:
      return (value) => value === bound;
  }
}

// ---------------------------------------------------------------------------------------------------
// Wildcards

/**
 * `*` matches any run of characters (including none); `\*` is a literal asterisk and `\\` a literal
 * backslash. Consecutive wildcards and any other escape are rejected, as EventBridge does.
 */
function compileWildcard(pattern: string, path: string): (value: string) => boolean {
  const segments: string[] = [''];
  let previousWasWildcard = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern.charAt(i);
    if (ch === '*') {
      if (previousWasWildcard) {
        throw new PatternError(path, 'consecutive wildcard characters are not allowed');
      }
      segments.push('');
      previousWasWildcard = true;
      continue;
    }
    previousWasWildcard = false;
    let literal = ch;
    if (ch === '\\') {
      const next = pattern.charAt(i + 1);
      if (next !== '*' && next !== '\\') {
        throw new PatternError(path, 'a backslash may only escape "*" or "\\"');
      }
      literal = next;
      i++;
    }
    segments[segments.length - 1] += literal;
  }
  return (value) => wildcardMatches(segments, value);
}

/** `segments` are the literal parts between wildcards; there is at least one. */
function wildcardMatches(segments: readonly string[], value: string): boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) {
    return value === first;
  }
  const last = segments[segments.length - 1] ?? '';
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) {
    return false;
  }
  // Greedy leftmost placement of the middle segments is optimal when every gap is a `*`.
  let position = first.length;
  const end = value.length - last.length;
  for (const segment of segments.slice(1, -1)) {
    const found = value.indexOf(segment, position);
    if (found === -1 || found + segment.length > end) {
      return false;
    }
    position = found + segment.length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// IP addresses

interface IpAddress {
  readonly bits: 32 | 128;
  readonly value: bigint;
}

function compileCidr(arg: unknown, path: string): ValueTest {
  const text = requireString(arg, path, 'cidr');
  const slash = text.indexOf('/');
  const address = parseIp(slash === -1 ? text : text.slice(0, slash));
  const prefixText = slash === -1 ? '' : text.slice(slash + 1);
  if (address === undefined || !/^\d{1,3}$/.test(prefixText) || Number(prefixText) > address.bits) {
    throw new PatternError(path, `invalid CIDR block ${JSON.stringify(text)}, expected e.g. "10.0.0.0/24"`);
  }
  const shift = BigInt(address.bits - Number(prefixText));
  const network = address.value >> shift;
  return (value) => {
    const ip = typeof value === 'string' ? parseIp(value) : undefined;
    return ip !== undefined && ip.bits === address.bits && ip.value >> shift === network;
  };
}

/** Exact string match; an IP address also matches other spellings of the same address (IPv6). */
function exactString(expected: string): ValueTest {
  const ip = parseIp(expected);
  if (ip === undefined) {
    return (value) => value === expected;
  }
  return (value) => {
    if (value === expected) return true;
    const other = typeof value === 'string' ? parseIp(value) : undefined;
    return other !== undefined && other.bits === ip.bits && other.value === ip.value;
  };
}

function parseIp(text: string): IpAddress | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { bits: 128, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { bits: 32, value };
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined): string[] | undefined => {
    if (half === undefined || half === '') return [];
    const groups = half.split(':');
    const tail = groups[groups.length - 1] ?? '';
    if (tail.includes('.')) {
      const v4 = parseIpv4(tail);
      if (v4 === undefined) return undefined;
      groups.splice(-1, 1, ((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16));
    }
    return groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group)) ? groups : undefined;
  };
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  // An embedded IPv4 address may only end the address.
  if (halves.length === 2 && (halves[0] ?? '').includes('.')) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(`0x${group}`), 0n);
}

// ---------------------------------------------------------------------------------------------------
// Helpers

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldOf(candidate: JsonObject, key: string): unknown {
  return Object.hasOwn(candidate, key) ? candidate[key] : undefined;
}

/**
 * The objects a nested pattern is matched against: the value itself, the objects in an array (arrays
 * are crushed out), or an empty object when there are none, so that `exists: false` below still holds.
 * None at all for arrays past the matcher's bounds: nothing below them matches.
 */
function objectsAt(value: unknown): readonly JsonObject[] {
  if (isPlainObject(value)) return [value];
  if (Array.isArray(value)) {
    const items = crushed(value);
    if (items === undefined) return [];
    const objects = items.filter(isPlainObject);
    if (objects.length > 0) return objects;
  }
  return [EMPTY];
}

/**
 * The leaf values of a field: none when it is missing or an object, the scalars of an array;
 * `undefined` for arrays past the matcher's bounds (the field matches nothing).
 */
function leavesOf(value: unknown): readonly Leaf[] | undefined {
  if (value === undefined || isPlainObject(value)) return [];
  if (Array.isArray(value)) return crushed(value)?.filter((item): item is Leaf => isLeaf(item));
  return isLeaf(value) ? [value] : [];
}

/**
 * `array.flat(Infinity)`, in order, without recursion; `undefined` when the arrays nest deeper than
 * {@link MAX_MATCH_DEPTH} or hold more than {@link MAX_MATCH_ELEMENTS} elements in all.
 */
function crushed(array: readonly unknown[]): unknown[] | undefined {
  const items: unknown[] = [];
  const open: Array<{ array: readonly unknown[]; next: number }> = [{ array, next: 0 }];
  let walked = 0;
  while (open.length > 0) {
    const top = open[open.length - 1] as { array: readonly unknown[]; next: number };
    if (top.next >= top.array.length) {
      open.pop();
      continue;
    }
    const item = top.array[top.next++];
    if (++walked > MAX_MATCH_ELEMENTS) return undefined;
    if (!Array.isArray(item)) items.push(item);
    else if (open.length >= MAX_MATCH_DEPTH) return undefined;
    else open.push({ array: item, next: 0 });
  }
  return items;
}

function isLeaf(value: unknown): value is Leaf {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

function fold(text: string): string {
  return text.toLowerCase();
}

function requireString(value: unknown, path: string, operator: string): string {
  if (typeof value !== 'string') {
    throw new PatternError(path, `"${operator}" must be a string`);
  }
  return value;
}

function stringOrStrings(value: unknown, path: string, operator: string): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) {
    return value;
  }
  throw new PatternError(path, `"${operator}" must be a string or a non-empty list of strings`);
}

function finiteNumber(value: number, path: string): number {
  if (!Number.isFinite(value)) {
    throw new PatternError(path, 'numbers must be finite');
  }
  return value;
}

function pathOf(parent: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}
