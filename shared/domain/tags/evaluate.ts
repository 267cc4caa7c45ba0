/**
 * Tag policy evaluation (issue 14): one resource, as the sweep or a CloudTrail record shows it,
 * against the policy file's `tagPolicies:` rules. For each rule that selects the resource it says
 * whether the resource complies, what is wrong (a required key missing, a value not allowed, with
 * what is allowed), what remediation would add (inherited values first, then defaults: never over a
 * present value, never past 50 user tags), whether the resource is exempt, the marks it carries, and
 * what AWS's limits say (too many tags, keys or values AWS refuses, an old-format ARN that cannot be
 * tagged). `aws:` tags are AWS's own: not counted, not evaluated. Pure, no I/O: `tag-plan.ts` turns
 * the results into decisions and effects.
 */
import type { TagPolicyRule } from '../../config/tag-policies';
import { parseLegacyServiceArn, parseServiceArn, parseTaskArn } from '../aws/arn';
import { globMatch } from '../policy/glob';
import { type AllowedValues, describeAllowed, isAllowed } from './allowed';
import { isDue, isReadableDue, parseMarks } from './marks';
import {
  CLUSTER_SCOPED_TYPES,
  type InheritSource,
  isAwsOwned,
  MAX_USER_TAGS,
  type TagPolicyMode,
  type TagResourceType,
  tagKeyProblem,
  tagValueProblem,
  VIOLATION_TAG,
} from './tag-rules';

/** Tags as a map of key to value. */
export type Tags = Readonly<Record<string, string>>;

/** A resource as the evaluation sees it: its own tags and its relatives'. */
export interface TagResourceView {
  type: TagResourceType;
  arn: string;
  /**
   * what a rule's `names` globs match: the cluster, service, capacity provider or repository name;
   * a task definition's family, and a task's task definition family (tasks have no name)
   */
  name: string;
  /** the cluster a service or task is in (for a cluster, its own name is `name`) */
  cluster?: string;
  /** a task started by a service: the service's name (a standalone task has none) */
  service?: string;
  /** a service's desired count (what scaling to zero remembers) */
  desiredCount?: number;
  tags: Tags;
  /** the tags of what it inherits from: its cluster, service, task definition, family's other revisions */
  parentTags: { cluster?: Tags; service?: Tags; taskDefinition?: Tags; family?: Tags };
  /** what autopilot's table holds for it: marks that did not fit on the resource, a scale to zero */
  recorded?: {
    marks?: Readonly<Record<string, string>>;
    scaledToZero?: { rule: string; desiredCount: number };
  };
}

/** A required key missing, or a present value the rule does not allow (with what it allows). */
export type Violation =
  | { key: string; problem: 'missing' }
  | { key: string; problem: 'not-allowed'; value: string; allowed: AllowedValues; expected: string };

/** A tag remediation would add, and where its value comes from. */
export interface Addition {
  key: string;
  value: string;
  from: InheritSource | 'default';
}

/** What AWS's limits say about a resource's tags or ARN. */
export type LimitProblem =
  | { problem: 'too-many-tags'; count: number; max: number }
  | { problem: 'bad-key'; key: string; reason: string }
  | { problem: 'bad-value'; key: string; reason: string }
  | { problem: 'no-room'; wanted: number; room: number; dropped: string[] }
  | { problem: 'untaggable-arn'; reason: string };

/** A mark the resource carries for a rule: its due date, where it is kept, whether that date has passed. */
export interface MarkState {
  due: string;
  where: 'tag' | 'record';
  passed: boolean;
}

/** What one rule says about one resource. */
export interface RuleResult {
  rule: string;
  mode: TagPolicyMode;
  status: 'compliant' | 'violating' | 'exempt';
  /** what exempts it, in words (`tag team=legacy-*`, `arn arn:aws:ecs:*:*:service/old/**`) */
  exemptBy?: string;
  violations: Violation[];
  /** what remediation would add (inherited and default values for missing keys, within the room) */
  additions: Addition[];
  /** the violations remediation cannot fix (a value not allowed, a key with no value to add, no room) */
  unfixed: Violation[];
  /** the resource's limit problems, and this rule's additions that find no room */
  limits: LimitProblem[];
  /** whether the resource can take tags at all (an old-format ARN cannot) */
  taggable: boolean;
  /** the mark it carries for this rule, if any */
  mark?: MarkState;
}

/** The evaluation of one resource. */
export interface TagEvaluation {
  resource: TagResourceView;
  /** user tags (`aws:` ones are AWS's and do not count) */
  userTagCount: number;
  /** AWS's own keys, left out of the evaluation */
  ignored: string[];
  limits: LimitProblem[];
  /** one per rule that selects the resource, in the policy file's order */
  results: RuleResult[];
}

const PARENT_OF: Readonly<Record<InheritSource, keyof TagResourceView['parentTags']>> = {
  cluster: 'cluster',
  service: 'service',
  'task-definition': 'taskDefinition',
  family: 'family',
};

/** Why the resource's ARN cannot be tagged, or undefined when it can. */
function untaggableReason(resource: TagResourceView): string | undefined {
  if (
    resource.type === 'ecs:service' &&
    !parseServiceArn(resource.arn) &&
    parseLegacyServiceArn(resource.arn)
  ) {
    return `${resource.arn} is an old-format service ARN (no cluster name): ECS cannot tag it until the account opts in to the long ARN format and the service is created again`;
  }
  if (resource.type === 'ecs:task') {
    const task = parseTaskArn(resource.arn);
    if (task && task.cluster === undefined) {
      return `${resource.arn} is an old-format task ARN (no cluster name): ECS cannot tag it; tasks started after the account opts in to the long ARN format can be`;
    }
  }
  return undefined;
}

/** The problems AWS's limits find in a resource's own tags and ARN. */
function limitsOf(resource: TagResourceView, userKeys: readonly string[]): LimitProblem[] {
  const problems: LimitProblem[] = [];
  if (userKeys.length > MAX_USER_TAGS) {
    problems.push({ problem: 'too-many-tags', count: userKeys.length, max: MAX_USER_TAGS });
  }
  for (const key of userKeys) {
    const keyReason = tagKeyProblem(key);
    if (keyReason) problems.push({ problem: 'bad-key', key, reason: keyReason });
    const valueReason = tagValueProblem(resource.tags[key] ?? '');
    if (valueReason) problems.push({ problem: 'bad-value', key, reason: valueReason });
  }
  const untaggable = untaggableReason(resource);
  if (untaggable) problems.push({ problem: 'untaggable-arn', reason: untaggable });
  return problems;
}

/**
 * Whether a rule selects the resource: its type, and each selection the rule gives (clusters, names,
 * tags) matching. A type outside a cluster is never selected by `clusters` (the policy file refuses
 * such a rule).
 */
export function selects(rule: TagPolicyRule, resource: TagResourceView): boolean {
  if (!rule.resources.includes(resource.type)) return false;
  if (rule.clusters !== undefined) {
    if (!CLUSTER_SCOPED_TYPES.includes(resource.type)) return false;
    const cluster = resource.type === 'ecs:cluster' ? resource.name : resource.cluster;
    if (cluster === undefined || !rule.clusters.some((glob) => globMatch(glob, cluster))) return false;
  }
  if (rule.names !== undefined && !rule.names.some((glob) => globMatch(glob, resource.name))) return false;
  for (const [key, glob] of Object.entries(rule.tags ?? {})) {
    const value = resource.tags[key];
    if (value === undefined || !globMatch(glob, value)) return false;
  }
  return true;
}

/** What exempts the resource from the rule, in words, or undefined. */
function exemption(rule: TagPolicyRule, resource: TagResourceView): string | undefined {
  for (const [key, glob] of Object.entries(rule.exempt?.tags ?? {})) {
    const value = resource.tags[key];
    if (value !== undefined && globMatch(glob, value)) return `tag ${key}=${glob}`;
  }
  const arn = (rule.exempt?.arns ?? []).find((glob) => globMatch(glob, resource.arn));
  return arn === undefined ? undefined : `arn ${arn}`;
}

/** The violations of the rule's required keys and allowed values. */
function violationsOf(rule: TagPolicyRule, tags: Tags): Violation[] {
  const violations: Violation[] = [];
  for (const key of rule.required) {
    if (tags[key] === undefined) violations.push({ key, problem: 'missing' });
  }
  for (const [key, allowed] of Object.entries(rule.allowed ?? {})) {
    const value = tags[key];
    if (value !== undefined && !isAllowed(allowed, value)) {
      violations.push({ key, problem: 'not-allowed', value, allowed, expected: describeAllowed(allowed) });
    }
  }
  return violations;
}

/** The value remediation would give a missing key: inherited first (in the rule's order), then the default. */
function valueFor(rule: TagPolicyRule, resource: TagResourceView, key: string): Addition | undefined {
  const usable = (value: string | undefined): value is string => {
    if (value === undefined || tagValueProblem(value) !== undefined) return false;
    const allowed = rule.allowed?.[key];
    return allowed === undefined || isAllowed(allowed, value);
  };
  const inheritedKeys = rule.inherit?.keys ?? rule.required;
  if (inheritedKeys.includes(key)) {
    for (const source of rule.inherit?.from[resource.type] ?? []) {
      const value = resource.parentTags[PARENT_OF[source]]?.[key];
      if (usable(value)) return { key, value, from: source };
    }
  }
  const fallback = rule.defaults?.[key];
  return usable(fallback) ? { key, value: fallback, from: 'default' } : undefined;
}

/** The mark the resource carries for `rule`: on its tag, else in the record. */
function markOf(resource: TagResourceView, rule: string, now: Date): MarkState | undefined {
  const onTag = parseMarks(resource.tags[VIOLATION_TAG]).get(rule);
  const due = onTag ?? resource.recorded?.marks?.[rule];
  // A record whose date cannot be read is no mark: the violation is marked again, not acted on.
  if (due === undefined || !isReadableDue(due)) return undefined;
  return { due, where: onTag !== undefined ? 'tag' : 'record', passed: isDue(due, now) };
}

/**
 * Evaluates one resource against every rule that selects it.
 *
 * @param resource - the resource and its relatives' tags
 * @param rules - the policy file's `tagPolicies`, in order
 * @param now - the time marks are compared with
 * @example
 * evaluateResource(
 *   { type: 'ecs:service', arn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api', name: 'api',
 *     cluster: 'prod', tags: {}, parentTags: { cluster: { owner: 'payments' } } },
 *   [ownerRule], now,
 * ).results[0]
 * // { status: 'violating', violations: [{ key: 'owner', problem: 'missing' }],
 * //   additions: [{ key: 'owner', value: 'payments', from: 'cluster' }], unfixed: [], … }
 */
export function evaluateResource(
  resource: TagResourceView,
  rules: readonly TagPolicyRule[],
  now: Date,
): TagEvaluation {
  const keys = Object.keys(resource.tags);
  const ignored = keys.filter(isAwsOwned);
  const userKeys = keys.filter((key) => !isAwsOwned(key));
  const limits = limitsOf(resource, userKeys);
  const taggable = !limits.some((l) => l.problem === 'untaggable-arn');
  const results = rules
    .filter((rule) => selects(rule, resource))
    .map((rule) => evaluateRule(rule, resource, { now, limits, taggable, userTags: userKeys.length }));
  return { resource, userTagCount: userKeys.length, ignored, limits, results };
}

function evaluateRule(
  rule: TagPolicyRule,
  resource: TagResourceView,
  context: { now: Date; limits: LimitProblem[]; taggable: boolean; userTags: number },
): RuleResult {
  const mark = markOf(resource, rule.name, context.now);
  const base = {
    rule: rule.name,
    mode: rule.mode,
    limits: context.limits,
    taggable: context.taggable,
    ...(mark ? { mark } : {}),
  };
  const exemptBy = exemption(rule, resource);
  if (exemptBy !== undefined) {
    return { ...base, status: 'exempt', exemptBy, violations: [], additions: [], unfixed: [] };
  }
  const violations = violationsOf(rule, resource.tags);
  // Missing keys the rule has a value for: the required ones first (they fix violations), then
  // those it only defaults or inherits.
  const wanted = [
    ...new Set([...rule.required, ...(rule.inherit?.keys ?? []), ...Object.keys(rule.defaults ?? {})]),
  ]
    .filter((key) => resource.tags[key] === undefined)
    .flatMap((key) => valueFor(rule, resource, key) ?? []);
  const room = Math.max(0, MAX_USER_TAGS - context.userTags);
  const additions = context.taggable ? wanted.slice(0, room) : [];
  const limits =
    context.taggable && wanted.length > room
      ? [
          ...context.limits,
          {
            problem: 'no-room' as const,
            wanted: wanted.length,
            room,
            dropped: wanted.slice(room).map((a) => a.key),
          },
        ]
      : context.limits;
  const added = new Set(additions.map((a) => a.key));
  const unfixed = violations.filter((v) => !(v.problem === 'missing' && added.has(v.key)));
  return {
    ...base,
    limits,
    status: violations.length > 0 ? 'violating' : 'compliant',
    violations,
    additions,
    unfixed,
  };
}
