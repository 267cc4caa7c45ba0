/**
 * The oracle the glob matcher (shared/domain/policy/glob.ts) is tested against: the translation of a
 * glob to an RE2 expression that autopilot used until globs got a matcher of their own, matched by
 * RE2 (`re2js`). It reads the same syntax and refuses the same globs with the same reasons; the
 * property tests in glob.test.ts check that both agree on every glob and text they draw.
 */
import { RE2JS } from 're2js';
import { MAX_GLOB_LENGTH } from '../../shared/domain/policy/glob';

/** What the oracle says of a glob: whether it matches each text, or why it is refused. */
export type OracleVerdict = { ok: true; matches: (text: string) => boolean } | { ok: false; reason: string };

const REGEX_SPECIAL = /[\\.+*?()|[\]{}^$]/g;
const quote = (text: string): string => text.replace(REGEX_SPECIAL, '\\$&');

class GlobSyntaxError extends Error {}

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
 * The oracle's verdict on a glob, as `compileGlob` gave it when globs were translated to RE2.
 *
 * @example oracleGlob('release-*') // { ok: true, matches }
 */
export function oracleGlob(glob: string, options: { ignoreCase?: boolean } = {}): OracleVerdict {
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
  let source: string;
  try {
    source = translate(glob, 0, false).source;
  } catch (error) {
    if (error instanceof GlobSyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
  try {
    const compiled = RE2JS.compile(`^(?:${source})$`, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
    return { ok: true, matches: (text) => compiled.matches(text) };
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}
