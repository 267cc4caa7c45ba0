/**
 * The `semver` package, loaded at its first use rather than when a function's bundle is imported:
 * its module builds some forty regular expressions when it loads (about 2 ms of a cold start), and
 * only a push judged by a `semver:` mode or a `tags.semver` range needs them.
 */
let loaded: typeof import('semver') | undefined;

/** The `semver` package (loaded once, on the first call). */
export function semver(): typeof import('semver') {
  loaded ??= require('semver') as typeof import('semver');
  return loaded;
}
