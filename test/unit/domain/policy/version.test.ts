import {
  checkUpgrade,
  highestVersion,
  parseVersionTag,
  type UpgradeLevel,
} from '../../../../shared/domain/policy/version';

/** Parses a version the test relies on being valid. */
function v(tag: string) {
  const version = parseVersionTag(tag);
  if (!version) throw new Error(`expected ${tag} to be a version`);
  return version;
}

describe('parseVersionTag', () => {
  it.each([
    ['1.4.2', '1.4.2'],
    ['v1.4.2', '1.4.2'],
    ['V1.4.2', '1.4.2'],
    ['0.0.1', '0.0.1'],
    ['1.5.0-rc.1', '1.5.0-rc.1'],
    ['v2.0.0-beta.3', '2.0.0-beta.3'],
    ['10.20.30', '10.20.30'],
  ])('reads %j as %s', (tag, expected) => {
    // Prepare
    const text = tag;

    // Act
    const version = parseVersionTag(text);

    // Assess
    expect(version?.version).toBe(expected);
  });

  it.each([
    'main',
    'latest',
    '1.4',
    '1',
    'v1',
    '01.2.3',
    '1.2.3.4',
    'vv1.2.3',
    'Vv1.2.3',
    'release-1.2.3',
    '',
    'v',
  ])('is undefined for %j', (tag) => {
    // Prepare
    const text = tag;

    // Act
    const version = parseVersionTag(text);

    // Assess
    expect(version).toBeUndefined();
  });
});

describe('highestVersion', () => {
  it.each<[string[], string | undefined]>([
    [['latest', '1.2.0', 'v1.10.0'], '1.10.0'],
    [['1.2.0', '1.2.0-rc.1'], '1.2.0'],
    [['2.0.0-rc.1', '1.9.9'], '2.0.0-rc.1'],
    [['main', 'latest'], undefined],
    [[], undefined],
  ])('of %j is %s', (tags, expected) => {
    // Prepare
    const input = [...tags];

    // Act
    const version = highestVersion(input);

    // Assess
    expect(version?.version).toBe(expected);
  });
});

describe('checkUpgrade', () => {
  it.each<[UpgradeLevel, string, string, ReturnType<typeof checkUpgrade>]>([
    ['major', '1.4.2', '2.0.0', { allowed: true, change: 'major' }],
    ['major', '1.4.2', '1.5.0', { allowed: true, change: 'minor' }],
    ['minor', '1.4.2', '1.5.0', { allowed: true, change: 'minor' }],
    ['minor', '1.4.2', '1.4.3', { allowed: true, change: 'patch' }],
    ['patch', '1.4.2', '1.4.3', { allowed: true, change: 'patch' }],
    ['patch', '1.4.3-rc.1', '1.4.3', { allowed: true, change: 'prerelease' }],
    ['patch', '1.4.3-rc.1', '1.4.3-rc.2', { allowed: true, change: 'prerelease' }],
    ['patch', '1.4.2', '1.4.3-rc.1', { allowed: true, change: 'patch' }],
    [
      'minor',
      '1.4.2',
      '2.0.0',
      {
        allowed: false,
        reason: '2.0.0 is a major upgrade from 1.4.2; semver:minor allows minor upgrades at most',
      },
    ],
    [
      'patch',
      '1.4.2',
      '1.5.0',
      {
        allowed: false,
        reason: '1.5.0 is a minor upgrade from 1.4.2; semver:patch allows patch upgrades at most',
      },
    ],
    [
      'patch',
      '1.4.2',
      '2.0.0',
      {
        allowed: false,
        reason: '2.0.0 is a major upgrade from 1.4.2; semver:patch allows patch upgrades at most',
      },
    ],
    [
      'major',
      '1.4.2',
      '1.4.1',
      { allowed: false, reason: '1.4.1 is older than running 1.4.2 (no downgrades)' },
    ],
    [
      'major',
      '1.4.2',
      '1.4.2-rc.1',
      { allowed: false, reason: '1.4.2-rc.1 is older than running 1.4.2 (no downgrades)' },
    ],
    ['major', '1.4.2', '1.4.2', { allowed: false, reason: '1.4.2 is the running version' }],
  ])('semver:%s from %s to %s', (level, running, candidate, expected) => {
    // Prepare
    const from = v(running);
    const to = v(candidate);

    // Act
    const result = checkUpgrade(level, from, to);

    // Assess
    expect(result).toEqual(expected);
  });
});
