/**
 * Globs and regular expressions from the policy file, matched in linear time. Tag filters, cluster
 * defaults and notification routes match names that people outside autopilot choose (anyone who may
 * push picks a tag), so no pattern may backtrack. picomatch, which the globs followed before, turns
 * `*a*a*a*a*b` into a backtracking regular expression that takes seconds on a 40-character tag.
 *
 * Globs are matched here: a glob is compiled to a small nondeterministic automaton (one state per
 * character test, `*` a state that loops, `{a,b}` a fork into each alternative) and the text is run
 * through the set of states it can be in, one character at a time, so the time is at most the
 * text's length times the glob's, whatever the glob, and nothing backtracks. Every function resolves
 * policies, so this matcher is in every bundle; it is a few hundred lines, where RE2 was 147 KiB.
 *
 * The glob syntax is picomatch's for every name autopilot matches (tags, cluster and service names,
 * event types, none of which starts with a dot):
 *
 * - `*` any run of characters but `/` (also none), `**` any run of characters but a line break, `?`
 *   one character but `/`;
 * - `[abc]`, `[a-z]` one character of the set, `[^abc]` or `[!abc]` one character not in it (nor
 *   `/`; picomatch 4 reads `[!abc]` as `!`, `a`, `b` or `c`, the shells as here);
 * - `{a,b}` one of the alternatives, each a glob itself;
 * - `\c` the character `c` itself; every other character matches itself.
 *
 * Characters are Unicode code points. With `ignoreCase`, a character of the text also matches when
 * its lower or upper case does (for the ASCII names it is used on, RE2's case folding).
 *
 * Refused, with the reason: extglobs (`@(…)`, `!(…)`, `+(…)`, `*(…)`, `?(…)`), a leading `!`
 * (negation), POSIX classes (`[[:alpha:]]`), brace ranges (`{1..3}`), unclosed `[` or `{`, and a glob longer than
 * {@link MAX_GLOB_LENGTH}.
 *
 * A tag filter's regular expression (`tags.regex`, {@link compileTagRegex}) is compiled and matched by
 * RE2 (`re2js`, a pure JavaScript port of RE2, linear in the text whatever the expression). It is
 * required when the first expression is compiled, not before: in Lambda from `.build/re2.js` beside
 * the functions' folders (scripts/build.ts, RE2_BUNDLE), so no function's bundle holds it; in tests
 * and tsx runs from node_modules. Pure but for that one `require`.
 */
import type * as Re2js from 're2js';

/** The longest glob the policy file may hold: names are at most 255 characters. */
export const MAX_GLOB_LENGTH = 256;

/** The longest regular expression a tag filter may hold. */
export const MAX_REGEX_LENGTH = 256;

/** A glob or expression compiled for matching: `matches(text)` is true when it matches the whole text. */
export interface LinearPattern {
  matches(text: string): boolean;
}

/** The outcome of compiling: the pattern, or why it is refused. */
export type Compiled = { ok: true; pattern: LinearPattern } | { ok: false; reason: string };

const cache = new Map<string, Compiled>();
/** Compiled patterns kept; a policy file holds far fewer. */
const CACHE_SIZE = 1000;

function cached(key: string, compile: () => Compiled): Compiled {
  let found = cache.get(key);
  if (!found) {
    if (cache.size >= CACHE_SIZE) cache.clear();
    found = compile();
    cache.set(key, found);
  }
  return found;
}

/** Whether one character (a code point) of the text passes a test of the glob. */
type CharTest = (c: number) => boolean;

/** A glob, parsed: a sequence of these matches a sequence of texts, one after the other. */
type Item =
  | { kind: 'one'; test: CharTest }
  | { kind: 'run'; test: CharTest }
  | { kind: 'alternatives'; alternatives: Item[][] };

/** Thrown inside {@link GlobParser} for a glob it refuses. */
class GlobSyntaxError extends Error {}

const SLASH = 0x2f;
const LINE_FEED = 0x0a;
const notSlash: CharTest = (c) => c !== SLASH;
// RE2's `.`, which `**` was translated to: anything but a line break.
const notLineFeed: CharTest = (c) => c !== LINE_FEED;

/** The characters a text's character matches as, ignoring case: itself, its lower and upper case. */
function caseVariants(c: number): number[] {
  const char = String.fromCodePoint(c);
  const variants = [c];
  for (const other of [char.toLowerCase(), char.toUpperCase()]) {
    // A case that is not one character (ß upper-cased is SS) is no variant, as in RE2.
    const code = other.codePointAt(0) as number;
    if (other.length === String.fromCodePoint(code).length && code !== c) variants.push(code);
  }
  return variants;
}

/** The length in UTF-16 units of the character (code point) at `i`, and the code point. */
function charAt(glob: string, i: number): { code: number; text: string; length: number } {
  const code = glob.codePointAt(i);
  if (code === undefined) return { code: -1, text: '', length: 1 };
  const text = String.fromCodePoint(code);
  return { code, text, length: text.length };
}

/**
 * Reads a glob (see the module documentation) into {@link Item}s, refusing what it does not support
 * with the reason.
 */
class GlobParser {
  constructor(
    private readonly glob: string,
    private readonly ignoreCase: boolean,
  ) {}

  /**
   * The items from `start` up to the end or, inside braces, up to the `,` or `}` that ends the
   * alternative, and the index of that end.
   */
  sequence(start: number, inBraces: boolean): { items: Item[]; end: number } {
    const glob = this.glob;
    const items: Item[] = [];
    let i = start;
    while (i < glob.length) {
      const c = glob.charAt(i);
      const next = glob.charAt(i + 1);
      if (inBraces && (c === ',' || c === '}')) return { items, end: i };
      if ('@!+*?'.includes(c) && next === '(') {
        throw new GlobSyntaxError(`extglob "${c}(" is not supported; use a tags.regex filter instead`);
      }
      if (c === '\\') {
        if (i + 1 >= glob.length) throw new GlobSyntaxError('a glob cannot end with "\\"');
        const escaped = charAt(glob, i + 1);
        items.push({ kind: 'one', test: this.literal(escaped.code) });
        i += 1 + escaped.length;
      } else if (c === '*') {
        const double = next === '*';
        items.push({ kind: 'run', test: double ? notLineFeed : notSlash });
        i += double ? 2 : 1;
        while (glob.charAt(i) === '*') i++;
      } else if (c === '?') {
        items.push({ kind: 'one', test: notSlash });
        i++;
      } else if (c === '[') {
        const set = this.characterClass(i);
        items.push({ kind: 'one', test: set.test });
        i = set.end;
      } else if (c === '{' && this.hasAlternatives(i)) {
        const alternatives: Item[][] = [];
        i++;
        for (;;) {
          const part = this.sequence(i, true);
          alternatives.push(part.items);
          i = part.end + 1;
          if (glob.charAt(part.end) === '}') break;
        }
        items.push({ kind: 'alternatives', alternatives });
      } else {
        const literal = charAt(glob, i);
        items.push({ kind: 'one', test: this.literal(literal.code) });
        i += literal.length;
      }
    }
    if (inBraces) throw new GlobSyntaxError('"{" is not closed by "}"');
    return { items, end: i };
  }

  /**
   * Whether the `{` at `open` starts alternatives: a `,` before its matching `}` (else it is literal).
   * Brace ranges (`{1..3}`), which picomatch expands, are refused rather than read otherwise.
   */
  private hasAlternatives(open: number): boolean {
    const glob = this.glob;
    let depth = 0;
    let alternatives = false;
    for (let i = open; i < glob.length; i++) {
      const c = glob.charAt(i);
      if (c === '\\') i++;
      else if (c === '{') depth++;
      else if (c === ',' && depth === 1) alternatives = true;
      else if (c === '.' && glob.charAt(i + 1) === '.' && depth === 1) {
        throw new GlobSyntaxError('brace ranges such as {1..3} are not supported; use [1-3] or {1,2,3}');
      } else if (c === '}' && --depth === 0) return alternatives;
    }
    throw new GlobSyntaxError('"{" is not closed by "}"');
  }

  /** The test of the `[…]` at `open`, and the index after its `]`. */
  private characterClass(open: number): { test: CharTest; end: number } {
    const glob = this.glob;
    let i = open + 1;
    let negated = false;
    if (glob.charAt(i) === '!' || glob.charAt(i) === '^') {
      negated = true;
      i++;
    }
    if (glob.startsWith('[:', i))
      throw new GlobSyntaxError('POSIX classes such as [[:alpha:]] are not supported');
    // Pairs of first and last code point of each range (a single character is a range of one).
    const ranges: number[] = [];
    let first = true;
    while (i < glob.length) {
      if (glob.charAt(i) === ']' && !first) return { test: this.inRanges(ranges, negated), end: i + 1 };
      first = false;
      if (glob.charAt(i) === '\\') i++;
      const from = charAt(glob, i);
      i += from.length;
      const isRange = glob.charAt(i) === '-' && glob.charAt(i + 1) !== ']' && i + 1 < glob.length;
      if (isRange) {
        let to = charAt(glob, i + 1);
        let skip = 1 + to.length;
        if (to.text === '\\') {
          to = charAt(glob, i + 2);
          skip = 2 + to.length;
        }
        if (to.code < from.code) throw new GlobSyntaxError(`range "${from.text}-${to.text}" is out of order`);
        ranges.push(from.code, to.code);
        i += skip;
      } else if (from.code >= 0) {
        ranges.push(from.code, from.code);
      }
    }
    throw new GlobSyntaxError('"[" is not closed by "]"');
  }

  /** The test of a character that matches itself (and, ignoring case, its other cases). */
  private literal(code: number): CharTest {
    if (!this.ignoreCase) return (c) => c === code;
    return (c) => caseVariants(c).includes(code);
  }

  /** The test of a character class: one of the ranges, or (negated) neither one of them nor `/`. */
  private inRanges(ranges: number[], negated: boolean): CharTest {
    const inAny = (c: number): boolean => {
      for (let r = 0; r < ranges.length; r += 2) {
        if (c >= (ranges[r] as number) && c <= (ranges[r + 1] as number)) return true;
      }
      return false;
    };
    const member = this.ignoreCase ? (c: number) => caseVariants(c).some(inAny) : inAny;
    // A negated set never matches `/`, like `*` and `?`.
    return negated ? (c) => c !== SLASH && !member(c) : member;
  }
}

/** A state of the automaton: consumes one character, or any run of them, or forks, or accepts. */
type State =
  | { kind: 'one'; test: CharTest; out: number }
  | { kind: 'run'; test: CharTest; out: number }
  | { kind: 'fork'; outs: number[] }
  | { kind: 'accept' };

/** The automaton of a parsed glob, simulated on a set of states (module documentation). */
class GlobAutomaton implements LinearPattern {
  private readonly states: State[] = [{ kind: 'accept' }];
  private readonly start: number;

  constructor(items: Item[]) {
    this.start = this.chain(items, 0);
  }

  /** Adds the states of `items`, each leading to the next and the last to `next`; the first state. */
  private chain(items: Item[], next: number): number {
    let out = next;
    for (let k = items.length - 1; k >= 0; k--) {
      const item = items[k] as Item;
      if (item.kind === 'alternatives') {
        const outs = item.alternatives.map((alternative) => this.chain(alternative, out));
        this.states.push({ kind: 'fork', outs });
      } else {
        this.states.push({ kind: item.kind, test: item.test, out });
      }
      out = this.states.length - 1;
    }
    return out;
  }

  matches(text: string): boolean {
    const states = this.states;
    // seen[s] === round: state s is in the set being built (no state is added twice in a round).
    const seen = new Int32Array(states.length);
    let round = 1;
    const enter = (s: number, into: number[]): void => {
      if (seen[s] === round) return;
      seen[s] = round;
      const state = states[s] as State;
      if (state.kind === 'fork') for (const out of state.outs) enter(out, into);
      else {
        into.push(s);
        // A run may also match no character: what follows it may start here.
        if (state.kind === 'run') enter(state.out, into);
      }
    };
    let current: number[] = [];
    enter(this.start, current);
    for (const char of text) {
      const c = char.codePointAt(0) as number;
      round++;
      const next: number[] = [];
      for (const s of current) {
        const state = states[s] as State;
        if (state.kind === 'one' && state.test(c)) enter(state.out, next);
        else if (state.kind === 'run' && state.test(c)) enter(s, next);
      }
      if (next.length === 0) return false;
      current = next;
    }
    // State 0 accepts.
    return seen[0] === round;
  }
}

/**
 * Compiles a glob for matching in linear time.
 *
 * @returns the pattern, or why the glob is refused (too long, an extglob, a negation, unclosed)
 * @example compileGlob('release-*') // { ok: true, pattern }
 * @example compileGlob('!(main)') // { ok: false, reason: 'extglob "!(" is not supported; …' }
 */
export function compileGlob(glob: string, options: { ignoreCase?: boolean } = {}): Compiled {
  return cached(`glob:${options.ignoreCase ? 'i' : ''}:${glob}`, () => {
    if (glob.length === 0) return { ok: false, reason: 'a glob cannot be empty' };
    if (glob.length > MAX_GLOB_LENGTH) {
      return {
        ok: false,
        reason: `a glob is at most ${MAX_GLOB_LENGTH} characters, this one has ${glob.length}`,
      };
    }
    if (glob.startsWith('!') && glob.charAt(1) !== '(') {
      return { ok: false, reason: 'negated globs ("!…") are not supported; use a tags.regex filter instead' };
    }
    try {
      const { items } = new GlobParser(glob, options.ignoreCase === true).sequence(0, false);
      return { ok: true, pattern: new GlobAutomaton(items) };
    } catch (error) {
      if (error instanceof GlobSyntaxError) return { ok: false, reason: error.message };
      throw error;
    }
  });
}

/**
 * Whether `glob` (see the module documentation) matches all of `text`, in linear time. A glob the
 * policy file could not hold matches nothing (fail closed).
 *
 * @example globMatch('prod-*', 'prod-eu') // true
 * @example globMatch('staging/*', 'staging/api') // true
 */
export function globMatch(glob: string, text: string, options: { ignoreCase?: boolean } = {}): boolean {
  const compiled = compileGlob(glob, options);
  return compiled.ok && compiled.pattern.matches(text);
}

/** Whether `glob` uses any glob syntax, or names one text as it is. */
export function isGlob(glob: string): boolean {
  return /[*?[{\\]/.test(glob);
}

let re2js: typeof Re2js | undefined;

/**
 * RE2, required at first use: `.build/re2.js` in a bundle (the build resolves `re2js` to it), the
 * package itself in tests and tsx runs.
 */
function re2(): typeof Re2js.RE2JS {
  re2js ??= require('re2js') as typeof Re2js;
  return re2js.RE2JS;
}

/**
 * Compiles a tag filter's regular expression (RE2 syntax: no lookaround, no backreferences) for
 * matching whole tags in linear time. The first call loads RE2 (module documentation).
 *
 * @returns the pattern, or why it is refused (too long, or RE2 cannot compile it)
 * @example compileTagRegex('release-\\d+') // { ok: true, pattern }
 * @example compileTagRegex('(?=a)b') // { ok: false, reason: 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`' }
 */
export function compileTagRegex(source: string): Compiled {
  return cached(`regex:${source}`, () => {
    if (source.length > MAX_REGEX_LENGTH) {
      return {
        ok: false,
        reason: `a regular expression is at most ${MAX_REGEX_LENGTH} characters, this one has ${source.length}`,
      };
    }
    const RE2JS = re2();
    try {
      // Alone first: a source that compiles alone has balanced groups, so wrapping it cannot change it.
      RE2JS.compile(source);
      const compiled = RE2JS.compile(`^(?:${source})$`);
      return { ok: true, pattern: { matches: (text) => compiled.matches(text) } };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  });
}
