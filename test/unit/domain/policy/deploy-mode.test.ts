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
      invalid: `autopilot:deploy value "${value}" is not tag:<name>, semver:major|minor|patch, match or off`,
    });
  });
});

describe('DeployMode', () => {
  it.each<
    [string, { follows: boolean; ordersByVersion: boolean; ordersByTag: boolean; needsRunningTags: boolean }]
  >([
    ['tag:main', { follows: true, ordersByVersion: false, ordersByTag: true, needsRunningTags: false }],
    ['semver:minor', { follows: true, ordersByVersion: true, ordersByTag: false, needsRunningTags: true }],
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

  it.each(['tag:main', 'tag:release_2026.01-rc', 'semver:major', 'semver:patch', 'match', 'off'])(
    'writes %s as it was written (text and JSON)',
    (text) => {
      // Prepare
      const mode = deployMode(`  ${text} `);

      // Act
      const written = [String(mode), JSON.stringify({ mode })];

      // Assess
      expect(written).toEqual([text, JSON.stringify({ mode: text })]);
    },
  );

  it('parses what the policy file schema accepts, and only that', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.stringMatching(DEPLOY_MODE),
          fc.string(),
          fc.constantFrom('tag:', 'semver:', 'OFF', 'Match', 'tags:main'),
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
