/**
 * Version tags (`1.4.2`, `v1.4.2`) and the upgrade levels of the `semver:` deploy mode.
 */
import type { SemVer } from 'semver';
import { semver } from './semver';

/** How far a `semver:` service may move from its running version. */
export type UpgradeLevel = 'major' | 'minor' | 'patch';

/**
 * Parses an image tag as a strict semantic version, allowing one leading `v`.
 *
 * @returns the version, or undefined for tags such as `main`, `1.4` or `latest`
 * @example parseVersionTag('v1.4.2')?.version // '1.4.2'
 */
export function parseVersionTag(tag: string): SemVer | undefined {
  const text = tag.startsWith('v') || tag.startsWith('V') ? tag.slice(1) : tag;
  // semver.parse itself accepts a leading `v`, so `vv1.4.2` would pass without this check.
  if (!/^\d/.test(text)) return undefined;
  return semver().parse(text) ?? undefined;
}

/**
 * The highest version among tags, ignoring tags that are not versions.
 *
 * @example highestVersion(['latest', '1.2.0', 'v1.10.0'])?.version // '1.10.0'
 */
export function highestVersion(tags: readonly string[]): SemVer | undefined {
  let best: SemVer | undefined;
  for (const tag of tags) {
    const version = parseVersionTag(tag);
    if (version && (!best || semver().gt(version, best))) best = version;
  }
  return best;
}

/** Why a candidate version is or is not an allowed upgrade. */
export type UpgradeCheck =
  | { allowed: true; change: 'major' | 'minor' | 'patch' | 'prerelease' }
  | { allowed: false; reason: string };

/**
 * Whether moving from `running` to `candidate` is an upgrade within `level`. Never a downgrade or a
 * re-deploy of the same version.
 *
 * @example checkUpgrade('minor', parse('1.4.2'), parse('1.5.0')) // { allowed: true, change: 'minor' }
 */
export function checkUpgrade(level: UpgradeLevel, running: SemVer, candidate: SemVer): UpgradeCheck {
  const comparison = semver().compare(candidate, running);
  if (comparison === 0) return { allowed: false, reason: `${candidate.version} is the running version` };
  if (comparison < 0) {
    return {
      allowed: false,
      reason: `${candidate.version} is older than running ${running.version} (no downgrades)`,
    };
  }
  const change =
    candidate.major !== running.major
      ? 'major'
      : candidate.minor !== running.minor
        ? 'minor'
        : candidate.patch !== running.patch
          ? 'patch'
          : 'prerelease';
  const rank = { prerelease: 0, patch: 1, minor: 2, major: 3 } as const;
  if (rank[change] > rank[level]) {
    return {
      allowed: false,
      reason: `${candidate.version} is a ${change} upgrade from ${running.version}; semver:${level} allows ${level} upgrades at most`,
    };
  }
  return { allowed: true, change };
}

/**
 * Compares two numbers written in decimal digits by their value, whatever their length: leading zeros
 * do not count (`007` and `7` are equal), then the longer number is the larger, then the digits
 * decide. Build numbers are compared as text, never as JavaScript numbers, which lose digits past
 * 2^53 (`9007199254740993` would equal `9007199254740992`).
 *
 * @returns a negative number when `a` is smaller, 0 when both are the same number, positive otherwise
 * @example compareDigits('999', '1234') // negative
 * @example compareDigits('0042', '42') // 0
 */
export function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
