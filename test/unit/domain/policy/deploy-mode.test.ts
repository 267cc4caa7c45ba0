import fc from 'fast-check';
import {
  DEPLOY_MODE,
  type DeployMode,
  parseDeployMode,
  type TagContext,
} from '../../../../shared/domain/policy/deploy-mode';

/** A valid deploy mode from its text. */
function deployMode(text: string): DeployMode {
  const mode = parseDeployMode(text);
  if ('invalid' in mode) throw new Error(mode.invalid);
  return mode;
}

const NOTHING_RUNNING: TagContext = { allowPrerelease: false, running: [] };

describe('parseDeployMode', () => {
  it.each<[string, Record<string, string>]>([
    ['tag:main', { kind: 'tag', tag: 'main' }],
    ['tag:release_2026.01-rc', { kind: 'tag', tag: 'release_2026.01-rc' }],
    ['  tag:main  ', { kind: 'tag', tag: 'main' }],
    ['semver:major', { kind: 'semver', level: 'major' }],
    ['semver:minor', { kind: 'semver', level: 'minor' }],
    ['semver:patch', { kind: 'semver', level: 'patch' }],
    ['numeric:main-', { kind: 'numeric', prefix: 'main-' }],
    ['numeric', { kind: 'numeric', prefix: '' }],
    ['numeric:build', { kind: 'numeric', prefix: 'build' }],
    ['alphabetic:2026-', { kind: 'alphabetic', prefix: '2026-' }],
    ['alphabetic', { kind: 'alphabetic', prefix: '' }],
    [' alphabetic:release_ ', { kind: 'alphabetic', prefix: 'release_' }],
    [`numeric:${'p'.repeat(127)}`, { kind: 'numeric', prefix: 'p'.repeat(127) }],
    ['match', { kind: 'match' }],
    ['off', { kind: 'off' }],
  ])('parses %j', (value, expected) => {
    // Prepare
    const text = value;

    // Act
    const mode = parseDeployMode(text);

    // Assess
    expect(mode).toEqual(expected);
  });

  it.each([
    '',
    'tag:',
    'tag:.hidden',
    'tag:-dash',
    `tag:${'a'.repeat(129)}`,
    'tag:has space',
    'semver:',
    'semver:MAJOR',
    'semver:prerelease',
    'numeric:',
    'alphabetic:',
    'numeric:-main',
    'numeric:.main',
    'numeric:main/',
    'numeric:has space',
    `numeric:${'p'.repeat(128)}`,
    'Numeric:main-',
    'numerical:main-',
    'alphabetical',
    'numeric=main-',
    'OFF',
    'on',
    'latest',
  ])('rejects %j with a reason', (value) => {
    // Prepare
    const text = value;

    // Act
    const mode = parseDeployMode(text);

    // Assess
    expect(mode).toEqual({
      invalid: `autopilot:deploy value "${value}" is not tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off`,
    });
  });
});

describe('DeployMode', () => {
  it.each<
    [string, { follows: boolean; ordersByVersion: boolean; ordersByTag: boolean; needsRunningTags: boolean }]
  >([
    ['tag:main', { follows: true, ordersByVersion: false, ordersByTag: true, needsRunningTags: false }],
    ['semver:minor', { follows: true, ordersByVersion: true, ordersByTag: false, needsRunningTags: true }],
    ['numeric:main-', { follows: true, ordersByVersion: true, ordersByTag: false, needsRunningTags: true }],
    ['alphabetic', { follows: true, ordersByVersion: true, ordersByTag: false, needsRunningTags: true }],
    ['match', { follows: true, ordersByVersion: false, ordersByTag: false, needsRunningTags: false }],
    ['off', { follows: false, ordersByVersion: false, ordersByTag: false, needsRunningTags: false }],
  ])('%s answers what deploy on push asks', (text, expected) => {
    // Prepare
    const mode = deployMode(text);

    // Act
    const answers = {
      follows: mode.follows(),
      ordersByVersion: mode.ordersByVersion(),
      ordersByTag: mode.ordersByTag(),
      needsRunningTags: mode.needsRunningTags(),
    };

    // Assess
    expect(answers).toEqual(expected);
  });

  it.each([
    'tag:main',
    'tag:release_2026.01-rc',
    'semver:major',
    'semver:patch',
    'numeric:main-',
    'numeric',
    'alphabetic:2026-',
    'alphabetic',
    'match',
    'off',
  ])('writes %s as it was written (text and JSON)', (text) => {
    // Prepare
    const mode = deployMode(`  ${text} `);

    // Act
    const written = [String(mode), JSON.stringify({ mode })];

    // Assess
    expect(written).toEqual([text, JSON.stringify({ mode: text })]);
  });

  it('parses what the policy file schema accepts, and only that', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.stringMatching(DEPLOY_MODE),
          fc.string(),
          fc.constantFrom('tag:', 'semver:', 'OFF', 'Match', 'tags:main', 'numeric:', 'numerical:main-'),
        ),
        (text) => {
          // Prepare
          const accepted = DEPLOY_MODE.test(text.trim());

          // Act
          const mode = parseDeployMode(text);

          // Assess
          expect('invalid' in mode).toBe(!accepted);
          if (!('invalid' in mode)) expect(String(mode)).toBe(text.trim());
        },
      ),
    );
  });

  describe('accepts', () => {
    it.each<[string, string, TagContext, { ok: boolean; reason: string }]>([
      ['tag:main', 'main', NOTHING_RUNNING, { ok: true, reason: 'follows tag main' }],
      [
        'tag:main',
        'develop',
        NOTHING_RUNNING,
        { ok: false, reason: 'pushed tag develop is not the followed tag main' },
      ],
      ['match', 'anything', NOTHING_RUNNING, { ok: true, reason: 'tag anything passes the policy filters' }],
      ['off', 'main', NOTHING_RUNNING, { ok: false, reason: 'autopilot:deploy is off' }],
      [
        'semver:minor',
        'latest',
        NOTHING_RUNNING,
        { ok: false, reason: 'tag latest is not a semantic version' },
      ],
      [
        'semver:minor',
        '1.5.0-rc.1',
        NOTHING_RUNNING,
        {
          ok: false,
          reason: 'tag 1.5.0-rc.1 is a pre-release and the policy does not allow pre-releases',
        },
      ],
      [
        'semver:minor',
        '1.5.0-rc.1',
        { allowPrerelease: true, running: [{ container: 'app', tags: ['1.4.2'] }] },
        { ok: true, reason: '1.5.0-rc.1 is an allowed upgrade (semver:minor)' },
      ],
      [
        'semver:minor',
        '1.5.0',
        { allowPrerelease: false, running: [{ container: 'app', tags: ['latest', 'v1.4.2'] }] },
        { ok: true, reason: '1.5.0 is an allowed upgrade (semver:minor)' },
      ],
      [
        'semver:patch',
        '1.5.0',
        { allowPrerelease: false, running: [{ container: 'app', tags: ['1.4.2'] }] },
        {
          ok: false,
          reason: '1.5.0 is a minor upgrade from 1.4.2; semver:patch allows patch upgrades at most',
        },
      ],
      [
        'semver:major',
        '2.0.0',
        { allowPrerelease: false, running: [{ container: 'app', tags: ['main'] }] },
        { ok: false, reason: 'cannot tell the running version of container app (no version tag)' },
      ],
    ])('%s judges %s', (text, tag, context, expected) => {
      // Prepare
      const mode = deployMode(text);

      // Act
      const verdict = mode.accepts(tag, context);

      // Assess
      expect(verdict).toEqual(expected);
    });
  });
});

/** The running image of one container, known by these tags. */
const runs = (...tags: string[]): TagContext => ({
  allowPrerelease: false,
  running: [{ container: 'app', tags }],
});

describe('numeric and alphabetic modes', () => {
  describe('accepts', () => {
    it.each<[string, string, TagContext, { ok: boolean; reason: string }]>([
      [
        'numeric:main-',
        'main-1235',
        runs('main-1234'),
        { ok: true, reason: 'main-1235 is newer than main-1234, which runs (numeric:main-)' },
      ],
      [
        'numeric:main-',
        'main-1234',
        runs('main-999'),
        { ok: true, reason: 'main-1234 is newer than main-999, which runs (numeric:main-)' },
      ],
      [
        'numeric:main-',
        'main-998',
        runs('main-1234'),
        { ok: false, reason: 'main-998 is not newer than main-1234, which runs' },
      ],
      [
        'numeric:main-',
        'main-1234',
        runs('main-1234'),
        { ok: false, reason: 'main-1234 is not newer than main-1234, which runs' },
      ],
      [
        'numeric:main-',
        'main-01234',
        runs('main-1234'),
        { ok: false, reason: 'main-01234 is not newer than main-1234, which runs' },
      ],
      [
        'numeric:main-',
        'main-01235',
        runs('main-1234'),
        { ok: true, reason: 'main-01235 is newer than main-1234, which runs (numeric:main-)' },
      ],
      [
        'numeric:main-',
        'main-1235',
        runs('latest', 'main-1234', 'main-hotfix-9999', 'main-1200'),
        { ok: true, reason: 'main-1235 is newer than main-1234, which runs (numeric:main-)' },
      ],
      [
        'numeric:main-',
        'main-1235',
        runs('main-1236', 'main-1234'),
        { ok: false, reason: 'main-1235 is not newer than main-1236, which runs' },
      ],
      [
        'numeric:main-',
        'main-1235',
        {
          allowPrerelease: false,
          running: [
            { container: 'app', tags: ['main-1234'] },
            { container: 'worker', tags: ['main-1240'] },
          ],
        },
        { ok: false, reason: 'main-1235 is not newer than main-1240, which runs' },
      ],
      [
        'numeric:main-',
        'main-90071992547409931',
        runs('main-90071992547409930'),
        {
          ok: true,
          reason: 'main-90071992547409931 is newer than main-90071992547409930, which runs (numeric:main-)',
        },
      ],
      [
        'numeric:main-',
        'main-1235',
        runs('main-hotfix-3', 'latest'),
        { ok: false, reason: 'cannot tell the running build of container app (no tag main-<number>)' },
      ],
      [
        'numeric:main-',
        'main-hotfix-12',
        runs('main-1234'),
        { ok: false, reason: 'tag main-hotfix-12 is not followed by numeric:main- (main-<number>)' },
      ],
      [
        'numeric:main-hotfix-',
        'main-1235',
        runs('main-hotfix-3'),
        {
          ok: false,
          reason: 'tag main-1235 is not followed by numeric:main-hotfix- (main-hotfix-<number>)',
        },
      ],
      [
        'numeric:main-hotfix-',
        'main-hotfix-4',
        runs('main-1234', 'main-hotfix-3'),
        { ok: true, reason: 'main-hotfix-4 is newer than main-hotfix-3, which runs (numeric:main-hotfix-)' },
      ],
      [
        'numeric:main-',
        'main-',
        runs('main-1234'),
        { ok: false, reason: 'tag main- is not followed by numeric:main- (main-<number>)' },
      ],
      [
        'numeric:main-',
        'main-12a',
        runs('main-1234'),
        { ok: false, reason: 'tag main-12a is not followed by numeric:main- (main-<number>)' },
      ],
      [
        'numeric:main-',
        'main--12',
        runs('main-1234'),
        { ok: false, reason: 'tag main--12 is not followed by numeric:main- (main-<number>)' },
      ],
      [
        'numeric',
        '1235',
        runs('1234', 'main'),
        { ok: true, reason: '1235 is newer than 1234, which runs (numeric)' },
      ],
      [
        'numeric',
        'v1235',
        runs('1234'),
        { ok: false, reason: 'tag v1235 is not followed by numeric (<number>)' },
      ],
      [
        'numeric:main-',
        `main-${'9'.repeat(123)}`,
        runs('main-1234'),
        { ok: true, reason: `main-${'9'.repeat(123)} is newer than main-1234, which runs (numeric:main-)` },
      ],
      [
        'numeric:main-',
        `main-${'9'.repeat(124)}`,
        runs('main-1234'),
        {
          ok: false,
          reason: 'tag is 129 characters long, the maximum is 128: not followed by numeric:main-',
        },
      ],
      [
        'numeric:main-',
        'main-1235',
        runs(`main-${'9'.repeat(124)}`, 'main-1234'),
        { ok: true, reason: 'main-1235 is newer than main-1234, which runs (numeric:main-)' },
      ],
      [
        'numeric:main-',
        'main-1235',
        NOTHING_RUNNING,
        { ok: true, reason: 'tag main-1235 is followed by numeric:main-' },
      ],
      [
        'alphabetic',
        '2026-12-04.1',
        runs('2026-12-03.2'),
        { ok: true, reason: '2026-12-04.1 is newer than 2026-12-03.2, which runs (alphabetic)' },
      ],
      [
        'alphabetic',
        '20261204T0930',
        runs('20261204T1015'),
        { ok: false, reason: '20261204T0930 is not newer than 20261204T1015, which runs' },
      ],
      [
        'alphabetic',
        '2026-12-04.10',
        runs('2026-12-04.9'),
        { ok: false, reason: '2026-12-04.10 is not newer than 2026-12-04.9, which runs' },
      ],
      [
        'alphabetic',
        '2026-12-04.1',
        runs('2026-12-04.1'),
        { ok: false, reason: '2026-12-04.1 is not newer than 2026-12-04.1, which runs' },
      ],
      [
        'alphabetic:release-',
        'release-2026-12-04',
        runs('latest', 'release-2026-11-30'),
        {
          ok: true,
          reason: 'release-2026-12-04 is newer than release-2026-11-30, which runs (alphabetic:release-)',
        },
      ],
      [
        'alphabetic:release-',
        'release-',
        runs('release-2026-11-30'),
        { ok: false, reason: 'tag release- is not followed by alphabetic:release- (release-<text>)' },
      ],
      [
        'alphabetic:release-',
        'hotfix-2026-12-04',
        runs('release-2026-11-30'),
        {
          ok: false,
          reason: 'tag hotfix-2026-12-04 is not followed by alphabetic:release- (release-<text>)',
        },
      ],
      [
        'alphabetic:release-',
        'release-2026-12-04',
        runs('2026-11-30'),
        { ok: false, reason: 'cannot tell the running build of container app (no tag release-<text>)' },
      ],
      ['alphabetic', 'B', runs('a'), { ok: false, reason: 'B is not newer than a, which runs' }],
    ])('%s judges %s', (text, tag, context, expected) => {
      // Prepare
      const mode = deployMode(text);

      // Act
      const verdict = mode.accepts(tag, context);

      // Assess
      expect(verdict).toEqual(expected);
    });
  });

  describe('compareTags', () => {
    const sign = (n: number | undefined) => (n === undefined ? undefined : Math.sign(n));

    it.each<[string, string, string, number | undefined]>([
      ['numeric:main-', 'main-999', 'main-1234', -1],
      ['numeric:main-', 'main-1234', 'main-999', 1],
      ['numeric:main-', 'main-1234', 'main-1234', 0],
      ['numeric:main-', 'main-007', 'main-7', 0],
      ['numeric:main-', 'main-0', 'main-000', 0],
      ['numeric:main-', 'main-010', 'main-9', 1],
      ['numeric:main-', 'main-9007199254740993', 'main-9007199254740992', 1],
      ['numeric:main-', `main-1${'0'.repeat(100)}`, `main-${'9'.repeat(100)}`, 1],
      ['numeric:main-', 'main-hotfix-1', 'main-1', undefined],
      ['numeric:main-', 'main-1', 'latest', undefined],
      ['numeric:main-hotfix-', 'main-hotfix-2', 'main-hotfix-10', -1],
      ['numeric:main-hotfix-', 'main-2', 'main-hotfix-10', undefined],
      ['alphabetic', '2026-12-04.1', '2026-12-04.2', -1],
      ['alphabetic', '2026-12-05', '2026-12-04.9', 1],
      ['alphabetic', '2026-12-04', '2026-12-04', 0],
      ['alphabetic', 'Z', 'a', -1],
      ['alphabetic:2026-', '2025-12-31', '2026-01-01', undefined],
      ['semver:minor', '1.10.0', '1.9.0', 1],
      ['semver:minor', 'v1.4.2', '1.4.2', 0],
      ['semver:minor', '1.4.2', 'main', undefined],
      ['tag:main', 'main', 'main', undefined],
      ['match', 'a', 'b', undefined],
      ['off', 'a', 'b', undefined],
    ])('%s compares %s with %s: %s', (text, a, b, expected) => {
      // Prepare
      const mode = deployMode(text);

      // Act
      const order = mode.compareTags(a, b);

      // Assess
      expect(sign(order)).toBe(expected);
    });

    const digits = fc.stringMatching(/^[0-9]{1,40}$/);

    it('numeric orders builds as their exact values, however long', () => {
      fc.assert(
        fc.property(digits, digits, (a, b) => {
          // Prepare
          const mode = deployMode('numeric:main-');
          const expected = Math.sign(Number(BigInt(a) - BigInt(b)));

          // Act
          const order = mode.compareTags(`main-${a}`, `main-${b}`);

          // Assess
          expect(sign(order)).toBe(expected);
        }),
      );
    });

    const followed: Record<string, fc.Arbitrary<string>> = {
      'numeric:main-': digits.map((d) => `main-${d}`),
      alphabetic: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/),
    };

    it.each(Object.keys(followed))('%s orders every two followed tags, one way, consistently', (text) => {
      const tags = followed[text] as fc.Arbitrary<string>;
      fc.assert(
        fc.property(tags, tags, tags, (a, b, c) => {
          // Prepare
          const mode = deployMode(text);

          // Act
          const ab = sign(mode.compareTags(a, b));
          const ba = sign(mode.compareTags(b, a));
          const bc = sign(mode.compareTags(b, c));
          const ac = sign(mode.compareTags(a, c));

          // Assess: total (always an answer), antisymmetric, transitive.
          expect(ab).toBeDefined();
          expect(ab).toBe(ba === 0 ? 0 : -(ba ?? 0));
          if (ab !== undefined && ab <= 0 && bc !== undefined && bc <= 0) {
            expect(ac).toBeLessThanOrEqual(Math.min(ab, bc));
          }
        }),
      );
    });

    it('a pushed tag is accepted exactly when it comes after the running one', () => {
      fc.assert(
        fc.property(followed['numeric:main-'] as fc.Arbitrary<string>, digits, (running, build) => {
          // Prepare
          const mode = deployMode('numeric:main-');
          const tag = `main-${build}`;

          // Act
          const verdict = mode.accepts(tag, runs(running));

          // Assess
          expect(verdict.ok).toBe((mode.compareTags(tag, running) ?? 0) > 0);
        }),
      );
    });
  });
});
