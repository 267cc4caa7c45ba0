/**
 * A policy's tag filters (`tags: { glob, regex, semver }`): which pushed tags it accepts at all,
 * whatever the deploy mode. Pure.
 */
import picomatch from 'picomatch';
import semver from 'semver';
import type { Policy } from '../../config/policy-file';
import { parseVersionTag } from './version';

/**
 * Checks a pushed tag against the policy's tag filters; all given filters must pass.
 *
 * @returns why the tag is rejected, or undefined when it passes them all (or there are none)
 * @example rejectedByFilters({ tags: { glob: 'release-*' } }, 'main') // 'tag main does not match glob release-*'
 */
export function rejectedByFilters(policy: Policy, tag: string): string | undefined {
  const filters = policy.tags;
  if (!filters) return undefined;
  if (filters.glob !== undefined) {
    const globs = Array.isArray(filters.glob) ? filters.glob : [filters.glob];
    if (!globs.some((g) => picomatch.isMatch(tag, g)))
      return `tag ${tag} does not match glob ${globs.join(', ')}`;
  }
  if (filters.regex !== undefined && !new RegExp(`^(?:${filters.regex})$`).test(tag)) {
    return `tag ${tag} does not match regex ${filters.regex}`;
  }
  if (filters.semver !== undefined) {
    const version = parseVersionTag(tag);
    if (!version) return `tag ${tag} is not a semantic version (policy requires ${filters.semver})`;
    if (!semver.satisfies(version, filters.semver, { includePrerelease: policy.allowPrerelease === true })) {
      return `version ${version.version} is outside the allowed range ${filters.semver}`;
    }
  }
  return undefined;
}
