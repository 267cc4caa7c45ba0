/**
 * Service tags autopilot cannot use: a deploy mode with a typo (`tags:main`), a policy the policy
 * file does not define, a rollback switch that is neither on nor off. Today such a tag only shows up
 * as a skip reason; these are the problems announced to people (`Configuration Problem`). Pure.
 */
import type { PolicyFile } from '../../config/policy-file';
import type { ServiceState } from '../../ports';
import { parseDeployMode } from './deploy-mode';
import { DEPLOY_TAG, POLICY_TAG, ROLLBACK_TAG } from './service-tags';

/** One tag of a service that autopilot cannot use. */
export interface TagProblem {
  tagKey: string;
  tagValue: string;
  /** what is wrong and what is expected */
  problem: string;
  /** what autopilot does with the service until the tag is fixed */
  effect: string;
  /** the value the tag was probably meant to have */
  suggestion?: string;
}

const ROLLBACK_MEANT: Readonly<Record<string, 'on' | 'off'>> = {
  true: 'on',
  yes: 'on',
  enabled: 'on',
  enable: 'on',
  '1': 'on',
  false: 'off',
  no: 'off',
  disabled: 'off',
  disable: 'off',
  '0': 'off',
};

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The one candidate a typo most likely meant: the same letters in another case, or 1 edit away (2 for
 * words longer than 3 letters). Short words allow fewer edits, or anything would mean `on`.
 */
function closest(word: string, candidates: readonly string[]): string | undefined {
  const text = word.trim().toLowerCase();
  const same = candidates.filter((c) => c.toLowerCase() === text);
  if (same.length === 1) return same[0];
  const ranked = candidates
    .map((candidate) => ({ candidate, edits: distance(text, candidate.toLowerCase()) }))
    .filter(({ candidate, edits }) => edits <= (Math.min(text.length, candidate.length) > 3 ? 2 : 1))
    .sort((a, b) => a.edits - b.edits);
  // Two candidates equally close: no guess is better than a wrong one.
  if (ranked.length === 0 || ranked[0]?.edits === ranked[1]?.edits) return undefined;
  return ranked[0]?.candidate;
}

/** The modes that take a value after a colon, and the words people write for them. */
const MODE_WORDS = ['tag', 'semver', 'numeric', 'alphabetic'] as const;

/** The ordered modes, which may stand alone (no prefix), as Flux and Argo CD Image Updater name them. */
const ORDERED_WORDS = ['numeric', 'alphabetic'] as const;

/**
 * The deploy mode an invalid `autopilot:deploy` value was probably meant to be.
 *
 * @example suggestDeployMode('tags:main') // 'tag:main'
 * @example suggestDeployMode('Semver:Minor') // 'semver:minor'
 * @example suggestDeployMode('numerical:main-') // 'numeric:main-' (Flux's name for it)
 */
export function suggestDeployMode(value: string): string | undefined {
  const text = value.trim();
  const lower = text.toLowerCase();
  const valid = (candidate: string) => ('invalid' in parseDeployMode(candidate) ? undefined : candidate);
  if (lower === 'off' || lower === 'match') return lower;
  if (['major', 'minor', 'patch'].includes(lower)) return `semver:${lower}`;
  // An ordered mode without a prefix, misspelt or with a separator left over: numerical, numeric:.
  const bare = /^([A-Za-z]+)\s*[:=/]?$/.exec(text);
  if (bare) return closest(bare[1] ?? '', ORDERED_WORDS);
  // A prefix with a typo or another separator: tags:main, tag=main, tag main, semvar:minor,
  // numerical:main- (the tag prefix keeps its case: ECR tags are case-sensitive).
  const parts = /^([A-Za-z]+)\s*[:=/ ]\s*(\S+)$/.exec(text);
  const [, prefix = '', rest = ''] = parts ?? [];
  const meant = parts ? closest(prefix, MODE_WORDS) : undefined;
  if (meant === 'semver') return valid(`semver:${rest.toLowerCase()}`);
  if (meant) return valid(`${meant}:${rest}`);
  return undefined;
}

const withSuggestion = (problem: TagProblem, suggestion: string | undefined): TagProblem =>
  suggestion === undefined ? problem : { ...problem, suggestion };

function checkDeployTag(service: ServiceState): TagProblem | undefined {
  const value = service.tags[DEPLOY_TAG];
  if (value === undefined) return undefined;
  const mode = parseDeployMode(value);
  if (!('invalid' in mode)) return undefined;
  const watched = service.tags[ROLLBACK_TAG]?.trim().toLowerCase() === 'on';
  return withSuggestion(
    {
      tagKey: DEPLOY_TAG,
      tagValue: value,
      problem: mode.invalid,
      effect: watched
        ? 'Deploy on push ignores the service until the tag is fixed.'
        : 'Deploy on push ignores the service, and its deployments are not watched for rollback, until the tag is fixed.',
    },
    suggestDeployMode(value),
  );
}

function checkPolicyTag(service: ServiceState, file: PolicyFile): TagProblem | undefined {
  const name = service.tags[POLICY_TAG];
  // Own keys only, like effectivePolicy: autopilot:policy=constructor is no policy.
  if (name === undefined || Object.hasOwn(file.policies, name)) return undefined;
  const defined = Object.keys(file.policies).sort();
  return withSuggestion(
    {
      tagKey: POLICY_TAG,
      tagValue: name,
      problem: `${POLICY_TAG} "${name}" is not defined in the policy file; ${
        defined.length ? `it defines ${defined.join(', ')}` : 'it defines no policies'
      }`,
      effect:
        "Deploy on push skips the service, and rollback uses the default settings instead of the policy's, until this is fixed.",
    },
    closest(name, defined),
  );
}

function checkRollbackTag(service: ServiceState): TagProblem | undefined {
  const value = service.tags[ROLLBACK_TAG];
  if (value === undefined) return undefined;
  const text = value.trim().toLowerCase();
  if (text === 'on' || text === 'off') return undefined;
  return withSuggestion(
    {
      tagKey: ROLLBACK_TAG,
      tagValue: value,
      problem: `${ROLLBACK_TAG} "${value}" is neither on nor off`,
      effect:
        'Autopilot ignores the tag until it is fixed: the service is watched for rollback only while it deploys on push.',
    },
    Object.hasOwn(ROLLBACK_MEANT, text) ? ROLLBACK_MEANT[text] : closest(text, ['on', 'off']),
  );
}

/**
 * The tags of an ACTIVE service that autopilot cannot use, in the order deploy, policy, rollback.
 * Absent tags are no problem (a service that does not opt in is not misconfigured), and
 * `autopilot:alarms` has none: any names separated by spaces are alarm names.
 *
 * @example
 * checkServiceTags(aService({ tags: { 'autopilot:deploy': 'tags:main' } }), policyFile)
 * // [{ tagKey: 'autopilot:deploy', tagValue: 'tags:main', suggestion: 'tag:main', problem: 'autopilot:deploy value "tags:main" is not …', … }]
 */
export function checkServiceTags(service: ServiceState, file: PolicyFile): TagProblem[] {
  if (service.status !== 'ACTIVE') return [];
  return [checkDeployTag(service), checkPolicyTag(service, file), checkRollbackTag(service)].filter(
    (problem): problem is TagProblem => problem !== undefined,
  );
}
