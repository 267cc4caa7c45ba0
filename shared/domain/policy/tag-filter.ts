/**
 * A policy's tag filters (`tags: { glob, regex, semver }`): which pushed tags it accepts at all,
 * whatever the deploy mode. Globs and regular expressions are matched in linear time (`glob.ts`:
 * globs by an automaton of their own, regexes by RE2): whoever may push chooses the tag. Pure.
 */

import type { Policy } from '../../config/policy-file';
import { compileTagRegex, globMatch } from './glob';
import { semver } from './semver';
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
    if (!globs.some((g) => globMatch(g, tag))) return `tag ${tag} does not match glob ${globs.join(', ')}`;
  }
  if (filters.regex !== undefined) {
    const compiled = compileTagRegex(filters.regex);
    // The policy file refuses what RE2 cannot compile; should one get here, it accepts no tag.
    if (!compiled.ok) return `regex ${filters.regex} cannot be used: ${compiled.reason}`;
    if (!compiled.pattern.matches(tag)) return `tag ${tag} does not match regex ${filters.regex}`;
  }
  if (filters.semver !== undefined) {
    const version = parseVersionTag(tag);
    if (!version) return `tag ${tag} is not a semantic version (policy requires ${filters.semver})`;
    if (
      !semver().satisfies(version, filters.semver, { includePrerelease: policy.allowPrerelease === true })
    ) {
      return `version ${version.version} is outside the allowed range ${filters.semver}`;
    }
  }
  return undefined;
}
