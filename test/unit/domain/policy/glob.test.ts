import fc from 'fast-check';
import picomatch from 'picomatch';
import {
  compileGlob,
  compileTagRegex,
  globMatch,
  isGlob,
  MAX_GLOB_LENGTH,
  MAX_REGEX_LENGTH,
} from '../../../../shared/domain/policy/glob';
import { oracleGlob } from '../../../support/glob-re2-oracle';

describe('globMatch', () => {
  it.each<[string, string, boolean]>([
    ['release-*', 'release-1.2', true],
    ['release-*', 'release-', true],
    ['release-*', 'hotfix-1', false],
    ['prod-*', 'prod-eu', true],
    ['*-dev', 'api-dev', true],
    ['Deployment *', 'Deployment Started', true],
    ['*Failed', 'Rollback Failed', true],
    ['staging/*', 'staging/api', true],
    ['staging/*', 'staging/api/x', false],
    ['*', 'a/b', false],
    ['**', 'a/b', true],
    ['v?.*', 'v1.2', true],
    ['v?.*', 'v12.2', false],
    ['[0-9]*', '7-x', true],
    ['[!0-9]*', '7-x', false],
    ['[^0-9]*', 'x', true],
    ['[]a]', ']', true],
    ['[a-]', '-', true],
    ['{main,develop}', 'develop', true],
    ['{main,develop}', 'mai', false],
    ['{a,b{c,d}}-x', 'bd-x', true],
    ['{abc}', '{abc}', true],
    ['a.b', 'aXb', false],
    ['a+b', 'a+b', true],
    ['(x)', '(x)', true],
    ['\\*', '*', true],
    ['\\*', 'x', false],
    ['$^', '$^', true],
  ])('%j on %j is %s', (glob, text, expected) => {
    // Prepare
    const compiled = compileGlob(glob);

    // Act
    const matched = globMatch(glob, text);

    // Assess
    expect(compiled.ok).toBe(true);
    expect(matched).toBe(expected);
  });

  it.each<[string, string]>([
    ['', 'a glob cannot be empty'],
    ['x'.repeat(MAX_GLOB_LENGTH + 1), `a glob is at most ${MAX_GLOB_LENGTH} characters, this one has 257`],
    ['!main', 'negated globs ("!…") are not supported'],
    ['!(main)', 'extglob "!(" is not supported'],
    ['+(a|b)', 'extglob "+(" is not supported'],
    ['@(a|b)', 'extglob "@(" is not supported'],
    ['x*(a)', 'extglob "*(" is not supported'],
    ['[[:alpha:]]', 'POSIX classes'],
    ['[abc', '"[" is not closed'],
    ['{a,b', '"{" is not closed'],
    ['a\\', 'cannot end with "\\"'],
    ['[z-a]', 'range "z-a" is out of order'],
    ['v{1..3}', 'brace ranges such as {1..3} are not supported'],
  ])('refuses %j: %s', (glob, reason) => {
    // Prepare
    const text = 'main';

    // Act
    const compiled = compileGlob(glob);

    // Assess
    expect(compiled).toEqual({ ok: false, reason: expect.stringContaining(reason) });
    expect(globMatch(glob, text)).toBe(false);
  });

  it('matches in linear time: a glob that makes picomatch backtrack for hours answers at once', () => {
    // Prepare: picomatch turns this into [^/]*?a[^/]*?a… and needs C(128, 12) steps to fail.
    const glob = `${'*a'.repeat(12)}*b`;
    const tag = 'a'.repeat(128);

    // Act
    const matched = globMatch(glob, tag);

    // Assess
    expect(matched).toBe(false);
  });

  it('ignores case when asked (for hints), and only then', () => {
    // Prepare
    const glob = 'deployment *';

    // Act
    const verdicts = [
      globMatch(glob, 'Deployment Started'),
      globMatch(glob, 'Deployment Started', { ignoreCase: true }),
    ];

    // Assess
    expect(verdicts).toEqual([false, true]);
  });

  it('agrees with picomatch on every glob of its syntax and every name autopilot matches (but [!a], negated here)', () => {
    // Prepare: globs from the syntax both share, names as tags, clusters, services and events are.
    const char = fc.constantFrom('a', 'b', '1', '-', '_', '.', '/', ' ');
    const literal = fc.string({ unit: char, minLength: 1, maxLength: 3 });
    const atom = fc.oneof(
      literal,
      fc.constant('*'),
      fc.constant('?'),
      fc.constant('[ab]'),
      fc.constant('[^a]'),
      fc.constant('[0-9]'),
      fc.tuple(literal, literal).map(([x, y]) => `{${x},${y}}`),
    );
    const glob = fc
      .array(atom, { minLength: 1, maxLength: 4 })
      .map((atoms) => atoms.join(''))
      // picomatch reads these as something else (globstars, a leading "./", a trailing slash).
      .filter(
        (g) =>
          !g.includes('**') &&
          !g.startsWith('.') &&
          !g.startsWith('/') &&
          !g.includes('/.') &&
          !g.endsWith('/'),
      );
    const name = fc
      .string({ unit: char, minLength: 1, maxLength: 8 })
      .filter(
        (n) =>
          !n.startsWith('.') &&
          !n.includes('/.') &&
          !n.startsWith('/') &&
          !n.endsWith('/') &&
          !n.includes('//'),
      );

    // Act / Assess
    fc.assert(
      fc.property(glob, name, (g, n) => {
        fc.pre(compileGlob(g).ok);
        expect(globMatch(g, n)).toBe(picomatch.isMatch(n, g));
      }),
      { seed: 11, numRuns: 2000 },
    );
  });
});

describe('globMatch, against RE2', () => {
  // Globs drawn from every character the syntax gives a meaning to, and texts from the characters
  // that tell the tests apart (`/`, a line break, cases, a character outside ASCII and one outside
  // the 16-bit range, which JavaScript strings hold as two units).
  const globChar = fc.constantFrom(
    ...'abAé-/.*?[]!^{},()@+:'.split(''),
    '\\', // escapes
  );
  const textChar = fc.constantFrom('a', 'b', 'A', 'B', 'é', 'É', '-', '/', '.', '\n', ']', '{', ',', '😀');
  const glob = fc.string({ unit: globChar, minLength: 1, maxLength: 10 });
  const texts = fc.array(fc.string({ unit: textChar, maxLength: 8 }), { minLength: 1, maxLength: 5 });

  it('agrees with the translation to RE2 it replaces: the same globs refused with the same reasons, the same texts matched', () => {
    // Prepare: the oracle is the RE2 translation autopilot used before (test/support/glob-re2-oracle.ts).
    const verdictOf = (g: string, ts: string[], ignoreCase: boolean) => {
      const compiled = compileGlob(g, { ignoreCase });
      return compiled.ok ? ts.map((t) => compiled.pattern.matches(t)) : compiled.reason;
    };
    const oracleVerdictOf = (g: string, ts: string[], ignoreCase: boolean) => {
      const verdict = oracleGlob(g, { ignoreCase });
      return verdict.ok ? ts.map((t) => verdict.matches(t)) : verdict.reason;
    };

    // Act / Assess
    fc.assert(
      fc.property(glob, texts, fc.boolean(), (g, ts, ignoreCase) => {
        expect(verdictOf(g, ts, ignoreCase)).toEqual(oracleVerdictOf(g, ts, ignoreCase));
      }),
      { seed: 12, numRuns: 5000 },
    );
  });

  it('agrees with RE2 on texts a glob matches, built from its own pieces', () => {
    // Prepare: random texts rarely match a glob; these are made of the glob's literal pieces, so
    // stars, alternatives and classes are exercised on texts that get far into them.
    const piece = fc.constantFrom('a', 'b', 'ab', '-', '/', '.', 'é');
    const structured = fc
      .array(
        fc.oneof(
          piece,
          fc.constantFrom('*', '**', '?', '[ab]', '[!a]', '[a-c]', '[^/]'),
          fc.tuple(piece, piece, piece).map(([x, y, z]) => `{${x},${y}*,${z}{a,}}`),
        ),
        { minLength: 1, maxLength: 6 },
      )
      .map((parts) => parts.join(''));
    const text = fc.array(piece, { maxLength: 10 }).map((parts) => parts.join(''));

    // Act / Assess
    fc.assert(
      fc.property(structured, fc.array(text, { minLength: 1, maxLength: 5 }), (g, ts) => {
        const compiled = compileGlob(g);
        const verdict = oracleGlob(g);
        expect(compiled.ok && verdict.ok).toBe(true);
        if (compiled.ok && verdict.ok) {
          expect(ts.map((t) => compiled.pattern.matches(t))).toEqual(ts.map((t) => verdict.matches(t)));
        }
      }),
      { seed: 12, numRuns: 3000 },
    );
  });

  it('answers a glob that would backtrack on a long text: *a*a*a*a*a*b on 10,000 a', () => {
    // Prepare: a backtracking matcher tries every way to share the a's among the stars.
    const pattern = '*a*a*a*a*a*b';
    const text = 'a'.repeat(10_000);

    // Act
    const matched = globMatch(pattern, text);

    // Assess
    expect(matched).toBe(false);
  });
});

describe('isGlob', () => {
  it.each<[string, boolean]>([
    ['Deployment Started', false],
    ['Deployment *', true],
    ['v?', true],
    ['[ab]', true],
    ['{a,b}', true],
  ])('%j: %s', (text, expected) => {
    // Prepare
    const input = text;

    // Act
    const result = isGlob(input);

    // Assess
    expect(result).toBe(expected);
  });
});

describe('compileTagRegex', () => {
  it.each<[string, string, boolean]>([
    ['release-\\d{4}\\.\\d{2}', 'release-2025.03', true],
    ['release-\\d{4}\\.\\d{2}', 'release-2025.03-x', false],
    ['v[0-9]+', 'v12', true],
    ['main|develop', 'develop', true],
    ['main|develop', 'main-x', false],
    ['(?i)MAIN', 'main', true],
    ['^v1$', 'v1', true],
  ])('%j on %j is %s (the whole tag)', (source, tag, expected) => {
    // Prepare
    const compiled = compileTagRegex(source);

    // Act
    const matched = compiled.ok && compiled.pattern.matches(tag);

    // Assess
    expect(compiled.ok).toBe(true);
    expect(matched).toBe(expected);
  });

  it.each<[string, string]>([
    ['(?=a)b', 'invalid or unsupported Perl syntax: `(?=`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['a)|(b', 'unexpected )'],
    ['[a-', 'missing closing ]'],
    ['((a{100}){100}){100}', 'invalid repeat count'],
    ['x'.repeat(MAX_REGEX_LENGTH + 1), `at most ${MAX_REGEX_LENGTH} characters`],
  ])('refuses %j: %s', (source, reason) => {
    // Prepare
    const input = source;

    // Act
    const compiled = compileTagRegex(input);

    // Assess
    expect(compiled).toEqual({ ok: false, reason: expect.stringContaining(reason) });
  });

  it('matches in linear time: the nested quantifier that took a minute per service answers at once', () => {
    // Prepare: with JavaScript's engine, ^(?:([a-z0-9]+-?)+)$ on this tag backtracks 2^29 times.
    const compiled = compileTagRegex('([a-z0-9]+-?)+');
    const tag = `${'a'.repeat(29)}!`;

    // Act
    const matched = compiled.ok && compiled.pattern.matches(tag);

    // Assess
    expect(compiled.ok).toBe(true);
    expect(matched).toBe(false);
  });
});
