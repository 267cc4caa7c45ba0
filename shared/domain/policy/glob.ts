/**
 * Globs and regular expressions from the policy file, matched in linear time. Tag filters, cluster
 * defaults and notification routes match names that people outside autopilot choose (anyone who may
 * push picks a tag), so no pattern may backtrack: globs are translated to RE2 syntax and both kinds
 * are matched by RE2 (`re2js`, a pure JavaScript port of RE2), whose time grows linearly with the
 * text whatever the pattern. picomatch, which the globs followed before, turns `*a*a*a*a*b` into a
 * backtracking regular expression that takes seconds on a 40-character tag.
 *
 * The glob syntax is picomatch's for every name autopilot matches (tags, cluster and service names,
 * event types, none of which starts with a dot):
 *
 * - `*` any run of characters but `/` (also none), `**` any run of characters, `?` one character but `/`;
 * - `[abc]`, `[a-z]` one character of the set, `[^abc]` or `[!abc]` one character not in it (nor
 *   `/`; picomatch 4 reads `[!abc]` as `!`, `a`, `b` or `c`, the shells as here);
 * - `{a,b}` one of the alternatives, each a glob itself;
 * - `\c` the character `c` itself; every other character matches itself.
 *
 * Refused, with the reason: extglobs (`@(…)`, `!(…)`, `+(…)`, `*(…)`, `?(…)`), a leading `!`
 * (negation), POSIX classes (`[[:alpha:]]`), brace ranges (`{1..3}`), unclosed `[` or `{`, and a glob longer than
 * {@link MAX_GLOB_LENGTH}. Pure.
 */
import { RE2JS } from 're2js';

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

/** RE2's pattern for the whole text, or why RE2 refuses it. */
function re2(source: string, flags = 0): Compiled {
  try {
    const compiled = RE2JS.compile(`^(?:${source})$`, flags);
    return { ok: true, pattern: { matches: (text) => compiled.matches(text) } };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

const REGEX_SPECIAL = /[\\.+*?()|[\]{}^$]/g;
const quote = (text: string): string => text.replace(REGEX_SPECIAL, '\\$&');

/** Thrown inside {@link translate} for a glob it refuses. */
class GlobSyntaxError extends Error {}

/**
 * Translates a glob to an RE2 expression (see the module documentation), from `start` up to the end
 * or, inside braces, up to the `,` or `}` that ends the alternative.
 */
function translate(glob: string, start: number, inBraces: boolean): { source: string; end: number } {
  let source = '';
  let i = start;
  while (i < glob.length) {
    const c = glob.charAt(i);
    const next = glob.charAt(i + 1);
    if (inBraces && (c === ',' || c === '}')) return { source, end: i };
    if ('@!+*?'.includes(c) && next === '(') {
      throw new GlobSyntaxError(`extglob "${c}(" is not supported; use a tags.regex filter instead`);
    }
    if (c === '\\') {
      if (i + 1 >= glob.length) throw new GlobSyntaxError('a glob cannot end with "\\"');
      source += quote(next);
      i += 2;
    } else if (c === '*') {
      const double = next === '*';
      source += double ? '.*' : '[^/]*';
      i += double ? 2 : 1;
      while (glob.charAt(i) === '*') i++;
    } else if (c === '?') {
      source += '[^/]';
      i++;
    } else if (c === '[') {
      const set = characterClass(glob, i);
      source += set.source;
      i = set.end;
    } else if (c === '{' && hasAlternatives(glob, i)) {
      const alternatives: string[] = [];
      i++;
      for (;;) {
        const part = translate(glob, i, true);
        alternatives.push(part.source);
        if (glob.charAt(part.end) === '}') {
          i = part.end + 1;
          break;
        }
        i = part.end + 1;
      }
      source += `(?:${alternatives.join('|')})`;
    } else {
      source += quote(c);
      i++;
    }
  }
  if (inBraces) throw new GlobSyntaxError('"{" is not closed by "}"');
  return { source, end: i };
}

/**
 * Whether the `{` at `open` starts alternatives: a `,` before its matching `}` (else it is literal).
 * Brace ranges (`{1..3}`), which picomatch expands, are refused rather than read otherwise.
 */
function hasAlternatives(glob: string, open: number): boolean {
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

/** The RE2 class of the `[…]` at `open`, and the index after its `]`. */
function characterClass(glob: string, open: number): { source: string; end: number } {
  let i = open + 1;
  let negated = false;
  if (glob.charAt(i) === '!' || glob.charAt(i) === '^') {
    negated = true;
    i++;
  }
  if (glob.startsWith('[:', i))
    throw new GlobSyntaxError('POSIX classes such as [[:alpha:]] are not supported');
  let members = '';
  let first = true;
  for (; i < glob.length; i++) {
    let c = glob.charAt(i);
    // A negated set never matches `/`, like `*` and `?`.
    if (c === ']' && !first) return { source: negated ? `[^/${members}]` : `[${members}]`, end: i + 1 };
    first = false;
    if (c === '\\') {
      i++;
      c = glob.charAt(i);
    }
    const isRange = glob.charAt(i + 1) === '-' && glob.charAt(i + 2) !== ']' && i + 2 < glob.length;
    if (isRange) {
      let to = glob.charAt(i + 2);
      let skip = 2;
      if (to === '\\') {
        to = glob.charAt(i + 3);
        skip = 3;
      }
      if (to < c) throw new GlobSyntaxError(`range "${c}-${to}" is out of order`);
      members += `${quoteClass(c)}-${quoteClass(to)}`;
      i += skip;
    } else {
      members += quoteClass(c);
    }
  }
  throw new GlobSyntaxError('"[" is not closed by "]"');
}

const quoteClass = (c: string): string => (/[\\\]^[-]/.test(c) ? `\\${c}` : c);

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
      return re2(translate(glob, 0, false).source, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
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

/**
 * Compiles a tag filter's regular expression (RE2 syntax: no lookaround, no backreferences) for
 * matching whole tags in linear time.
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
    // Alone first: a source that compiles alone has balanced groups, so wrapping it cannot change it.
    const alone = re2Alone(source);
    return alone ?? re2(source);
  });
}

/** Why RE2 refuses `source` on its own, or undefined when it compiles. */
function re2Alone(source: string): Compiled | undefined {
  try {
    RE2JS.compile(source);
    return undefined;
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
