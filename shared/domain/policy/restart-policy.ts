/**
 * What the policy file's `restart:` rules say about one standalone task: the first rule whose match
 * (cluster, group, family, startedBy globs; every one given must match) fits the task gives its
 * restart mode, backoff and limit. The task's own `autopilot:restart` tag says the mode before any
 * rule; a matching rule's backoff and limit apply either way.
 */
import { parseDuration } from './duration';
import { globMatch } from './glob';

/** The restart modes (the `autopilot:restart` tag and a rule's `mode`). */
export const RESTART_MODES = ['on-failure', 'always', 'off'] as const;
export type RestartMode = (typeof RESTART_MODES)[number];

/** A `restart:` rule as the policy file gives it (durations as text). */
export interface RestartRuleText {
  match: {
    cluster?: string | string[];
    group?: string | string[];
    family?: string | string[];
    startedBy?: string | string[];
  };
  mode: RestartMode;
  backoff: { initial: string; max: string; resetAfter: string };
  maxAttempts: number;
  /** how long a stop waits for its launch spec (default 15m) */
  launchSpecWait?: string;
}

/** What a rule decides for a task: its mode, backoff (seconds) and limit, and the rule's index. */
export interface RestartRule {
  mode: RestartMode;
  backoff: { initialSeconds: number; maxSeconds: number; resetAfterSeconds: number };
  maxAttempts: number;
  /** how long a stop waits for its launch spec, in seconds */
  launchSpecWaitSeconds: number;
  /** `restart[<n>]`, for reasons */
  name: string;
}

/** What a task is matched on. */
export interface TaskIdentity {
  cluster: string;
  group?: string;
  family: string;
  startedBy?: string;
}

/**
 * How long a stop waits for its launch spec by default: CloudTrail delivers most records to
 * EventBridge within minutes; 15 minutes allows for a slow one.
 */
export const DEFAULT_SPEC_WAIT_SECONDS = 900;

const globs = (value: string | string[] | undefined) => (value === undefined ? undefined : [value].flat());
const seconds = (text: string) => Math.round((parseDuration(text) ?? 0) / 1000);

/**
 * The rule for a task, or `undefined` when none matches.
 *
 * @example restartRuleFor([{ match: { family: 'worker*' }, mode: 'on-failure', … }], { cluster: 'batch', family: 'worker' })
 */
export function restartRuleFor(
  rules: readonly RestartRuleText[],
  task: TaskIdentity,
): RestartRule | undefined {
  const index = rules.findIndex((rule) =>
    (
      [
        ['cluster', task.cluster],
        ['group', task.group],
        ['family', task.family],
        ['startedBy', task.startedBy],
      ] as const
    ).every(([key, value]) => {
      const wanted = globs(rule.match[key]);
      return wanted === undefined || (value !== undefined && wanted.some((glob) => globMatch(glob, value)));
    }),
  );
  const rule = rules[index];
  if (!rule) return undefined;
  return {
    mode: rule.mode,
    backoff: {
      initialSeconds: seconds(rule.backoff.initial),
      maxSeconds: seconds(rule.backoff.max),
      resetAfterSeconds: seconds(rule.backoff.resetAfter),
    },
    maxAttempts: rule.maxAttempts,
    launchSpecWaitSeconds:
      rule.launchSpecWait === undefined ? DEFAULT_SPEC_WAIT_SECONDS : seconds(rule.launchSpecWait),
    name: `restart[${index}]`,
  };
}
