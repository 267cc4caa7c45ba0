import fc from 'fast-check';
import {
  checkUpgrade,
  compareDigits,
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

describe('compareDigits', () => {
  const sign = (n: number) => Math.sign(n);

  it.each<[string, string, number]>([
    ['999', '1234', -1],
    ['1234', '999', 1],
    ['1234', '1234', 0],
    ['007', '7', 0],
    ['0', '000', 0],
    ['010', '9', 1],
    ['9007199254740993', '9007199254740992', 1],
    ['18446744073709551616', '18446744073709551615', 1],
    [`1${'0'.repeat(120)}`, '9'.repeat(120), 1],
    [`000${'9'.repeat(120)}`, `1${'0'.repeat(120)}`, -1],
  ])('compares %s with %s: %d', (a, b, expected) => {
    // Prepare
    const numbers = [a, b] as const;

    // Act
    const order = compareDigits(...numbers);

    // Assess
    expect(sign(order)).toBe(expected);
  });

  it('agrees with exact integer arithmetic, leading zeros and all', () => {
    const digits = fc.stringMatching(/^[0-9]{1,60}$/);
    fc.assert(
      fc.property(digits, digits, (a, b) => {
        // Prepare
        const expected = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;

        // Act
        const order = compareDigits(a, b);

        // Assess
        expect(sign(order)).toBe(expected);
      }),
    );
  });
});
