/**
 * Decide, then apply, for tag policies (issue 14): the evaluations of one resource (a CloudTrail
 * call touched it) or of a sweep's page become a {@link TagPlan}, decisions with plain-English
 * reasons and the effects they call for. Pure: the applier, the events and the sweep come later.
 *
 * The modes are cumulative:
 * - `audit` reports a violation and marks it with its due date (`autopilot:violation=<rule>@<due>`
 *   where the resource can take one more tag, else a `mark-record`);
 * - `remediate` also adds what is missing and has a value (inherited first, then the default; never
 *   over a present value, never past 50 tags), then marks what is left;
 * - `enforce` also acts once the mark's due date has passed: stops an offending standalone task or
 *   scales an offending service to zero (remembering its desired count), each only if the rule opts
 *   in to it; anything else is only notified.
 * A resource that complies again (or is exempt) has its mark cleared, and a service autopilot scaled
 * to zero for that rule gets its desired count back. A plan that would change more resources than
 * `maxChangesPerRun` changes none and says so. Dry run is the plan not applied.
 */
import type { TagPolicyRule, TagPolicySettings } from '../../config/tag-policies';
import type { Plan } from '../plan/plan';
import { parseDuration } from '../policy/duration';
import type { Addition, LimitProblem, RuleResult, TagEvaluation, Violation } from './evaluate';
import { formatMarks, markDue, parseMarks } from './marks';
import { MAX_USER_TAGS, type TagResourceType, VIOLATION_TAG } from './tag-rules';

/** What every decision about one rule and one resource names. */
interface About {
  rule: string;
  arn: string;
  resourceType: TagResourceType;
  reason: string;
  dryRun?: boolean;
}

/** The decisions that change something, which the run cap holds and the applier may amend. */
export type ChangingAction = 'remediate' | 'violation' | 'enforce' | 'clear-mark' | 'restore';

/**
 * A decision about one resource and one rule, or about the run (`over-cap`). A union on `action`.
 * `ignore` and `refused` are never planned: the applier amends a decision to them (`tag-effects.ts`).
 */
export type TagDecision =
  | (About & { action: 'compliant' })
  | (About & { action: 'exempt'; exemptBy: string })
  | (About & {
      action: 'violation';
      violations: Violation[];
      /** when enforce acts (or would, in another mode) */
      due: string;
      limits: LimitProblem[];
    })
  | (About & { action: 'remediate'; added: Addition[]; fixes: Violation[] })
  | (About & { action: 'enforce'; act: 'stop-task' | 'scale-to-zero'; violations: Violation[]; due: string })
  | (About & { action: 'notify'; violations: Violation[]; due: string })
  | (About & { action: 'clear-mark'; due: string })
  | (About & { action: 'restore'; desiredCount: number })
  | (About & { action: 'held'; wouldBe: ChangingAction })
  /** applied: another run did this first (a conditional write lost, the task stopped already) */
  | (About & { action: 'ignore'; wouldBe: ChangingAction })
  /** applied: AWS refused the tag write for good (an old-format ARN, a limit), in its words */
  | (About & { action: 'refused'; wouldBe: ChangingAction; refusedBy: string })
  | { action: 'over-cap'; changes: number; max: number; reason: string; dryRun?: boolean };

/** What a tag decision calls for. A union on `kind`. */
export type TagEffect =
  | {
      kind: 'tag-resource';
      decision: number;
      arn: string;
      resourceType: TagResourceType;
      tags: Record<string, string>;
    }
  /** TagResource of the mark tag with `value`, every mark the resource keeps on it */
  | {
      kind: 'mark';
      decision: number;
      arn: string;
      resourceType: TagResourceType;
      rule: string;
      due: string;
      value: string;
    }
  | { kind: 'mark-record'; decision: number; arn: string; rule: string; due: string }
  /** a mark removed: from the tag (`value` what is left; none: UntagResource) or from the record */
  | {
      kind: 'clear-mark';
      decision: number;
      arn: string;
      resourceType: TagResourceType;
      rule: string;
      where: 'tag' | 'record';
      value?: string;
    }
  | { kind: 'stop-task'; decision: number; arn: string; cluster: string; reason: string }
  /** UpdateService to 0, the desired count recorded to restore */
  | {
      kind: 'scale-to-zero';
      decision: number;
      arn: string;
      cluster: string;
      rule: string;
      desiredCount: number;
    }
  | { kind: 'restore'; decision: number; arn: string; cluster: string; desiredCount: number };

export type TagPlan = Plan<TagDecision, TagEffect>;

/** An effect before it is given its decision's index. */
type Unplaced = TagEffect extends infer E ? (E extends TagEffect ? Omit<E, 'decision'> : never) : never;

/** Whether an effect changes a resource in AWS (what the run cap counts); records change only autopilot's table. */
function changesResource(effect: TagEffect): boolean {
  if (effect.kind === 'mark-record') return false;
  return effect.kind !== 'clear-mark' || effect.where === 'tag';
}

const DEFAULT_GRACE_MS = 7 * 86_400_000;

/**
 * Plans what the rules call for on the evaluated resources, in order, under the run cap.
 *
 * @param evaluations - one per resource (`evaluateResource`), a single one for a CloudTrail call
 * @param rules - the policy file's `tagPolicies` (for each rule's grace and actions)
 * @param settings - `tagPolicySettings` (the run cap)
 * @param now - when the marks made now are due from
 * @example
 * planTags([evaluateResource(service, rules, now)], rules, { maxChangesPerRun: 50 }, now)
 * // { decisions: [{ action: 'remediate', rule: 'owner', added: [{ key: 'owner', value: 'payments', from: 'cluster' }], … }],
 * //   effects: [{ kind: 'tag-resource', decision: 0, tags: { owner: 'payments' }, … }] }
 */
export function planTags(
  evaluations: readonly TagEvaluation[],
  rules: readonly TagPolicyRule[],
  settings: TagPolicySettings,
  now: Date,
): TagPlan {
  const byName = new Map(rules.map((rule) => [rule.name, rule]));
  const plan: TagPlan = { decisions: [], effects: [] };
  for (const evaluation of evaluations) planResource(evaluation, byName, now, plan);
  return capped(plan, settings.maxChangesPerRun);
}

/** The plan as it stands, or, over the cap, the same decisions held and no effect at all. */
function capped(plan: TagPlan, max: number): TagPlan {
  const changed = new Set(plan.effects.filter(changesResource).map((e) => e.arn));
  if (changed.size <= max) return plan;
  const why = `the run would change ${changed.size} resources, more than maxChangesPerRun ${max}: it changes none`;
  const withEffects = new Set(plan.effects.map((e) => e.decision));
  const decisions: TagDecision[] = [
    { action: 'over-cap', changes: changed.size, max, reason: why },
    ...plan.decisions.map((decision, index): TagDecision => {
      if (
        !withEffects.has(index) ||
        decision.action === 'over-cap' ||
        decision.action === 'held' ||
        decision.action === 'ignore' ||
        decision.action === 'refused'
      )
        return decision;
      if (decision.action === 'compliant' || decision.action === 'exempt' || decision.action === 'notify') {
        return decision;
      }
      const { rule, arn, resourceType } = decision;
      return {
        action: 'held',
        wouldBe: decision.action,
        rule,
        arn,
        resourceType,
        reason: `held (${why}); would have: ${decision.reason}`,
      };
    }),
  ];
  return { decisions, effects: [] };
}

/** What planning one resource keeps track of across its rules. */
interface ResourceState {
  /** the marks on the mark tag, as the plan leaves them */
  marks: Map<string, string>;
  /** user tags free, as the plan leaves them */
  room: number;
  /** keys this plan already adds (an earlier rule's value stands) */
  adding: Set<string>;
}

function planResource(
  evaluation: TagEvaluation,
  rules: ReadonlyMap<string, TagPolicyRule>,
  now: Date,
  plan: TagPlan,
): void {
  const { resource } = evaluation;
  const state: ResourceState = {
    marks: parseMarks(resource.tags[VIOLATION_TAG]),
    room: Math.max(0, MAX_USER_TAGS - evaluation.userTagCount),
    adding: new Set(),
  };
  const decide = (decision: TagDecision, effects: Array<Unplaced> = []): void => {
    const index = plan.decisions.push(decision) - 1;
    for (const effect of effects) plan.effects.push({ ...effect, decision: index } as TagEffect);
  };
  const about = (result: RuleResult, reason: string): About => ({
    rule: result.rule,
    arn: resource.arn,
    resourceType: resource.type,
    reason,
  });
  forgetStale(evaluation, rules, state, decide);
  for (const result of evaluation.results) {
    const rule = rules.get(result.rule);
    if (!rule) continue;
    if (result.status !== 'violating') {
      settle(result, evaluation, state, about, decide);
      continue;
    }
    let left = result.violations;
    if (rule.mode !== 'audit') left = remediate(result, evaluation, state, about, decide);
    if (left.length === 0) {
      settle({ ...result, status: 'compliant' }, evaluation, state, about, decide);
      continue;
    }
    violate(rule, result, left, evaluation, state, now, about, decide);
  }
}

type Decide = (decision: TagDecision, effects?: Array<Unplaced>) => void;
type AboutOf = (result: RuleResult, reason: string) => About;

/** A rule the resource complies with or is exempt from: its mark cleared, a scale to zero undone. */
function settle(
  result: RuleResult,
  evaluation: TagEvaluation,
  state: ResourceState,
  about: AboutOf,
  decide: Decide,
): void {
  const { resource } = evaluation;
  const how = result.status === 'exempt' ? `exempt (${result.exemptBy})` : 'complies';
  const scaled = resource.recorded?.scaledToZero;
  if (scaled?.rule === result.rule && resource.type === 'ecs:service' && resource.cluster !== undefined) {
    decide(
      {
        ...about(
          result,
          `${how} now: its desired count ${scaled.desiredCount}, which autopilot scaled to zero, is restored`,
        ),
        action: 'restore',
        desiredCount: scaled.desiredCount,
      },
      [{ kind: 'restore', arn: resource.arn, cluster: resource.cluster, desiredCount: scaled.desiredCount }],
    );
  }
  if (result.mark) {
    decide(
      {
        ...about(result, `${how} now: its violation mark (due ${result.mark.due}) is cleared`),
        action: 'clear-mark',
        due: result.mark.due,
      },
      [clearMark(result.rule, result.mark.where, evaluation, state)],
    );
    return;
  }
  if (scaled?.rule === result.rule) return;
  if (result.status === 'exempt') {
    decide({
      ...about(result, `exempt by ${result.exemptBy}`),
      action: 'exempt',
      exemptBy: result.exemptBy ?? '',
    });
  } else {
    decide({ ...about(result, `carries the tags rule ${result.rule} asks for`), action: 'compliant' });
  }
}

function clearMark(
  rule: string,
  where: 'tag' | 'record',
  evaluation: TagEvaluation,
  state: ResourceState,
): Unplaced {
  const { resource } = evaluation;
  const common = { kind: 'clear-mark' as const, arn: resource.arn, resourceType: resource.type, rule };
  if (where === 'record') return { ...common, where };
  state.marks.delete(rule);
  const value = formatMarks(state.marks);
  if (value === undefined) state.room += 1;
  return value === undefined ? { ...common, where } : { ...common, where, value };
}

/**
 * Marks and scales to zero of rules that no longer apply to the resource (removed from the policy
 * file, or no longer selecting it): nothing would ever clear or restore them otherwise, so a service
 * would stay at zero for a rule nobody has any more.
 */
function forgetStale(
  evaluation: TagEvaluation,
  rules: ReadonlyMap<string, TagPolicyRule>,
  state: ResourceState,
  decide: Decide,
): void {
  const { resource } = evaluation;
  const applying = new Set(evaluation.results.map((r) => r.rule).filter((name) => rules.has(name)));
  const about = (rule: string, reason: string): About => ({
    rule,
    arn: resource.arn,
    resourceType: resource.type,
    reason,
  });
  const gone = (rule: string) =>
    rules.has(rule) ? `rule ${rule} no longer selects it` : `rule ${rule} is no longer in the policy file`;
  const scaled = resource.recorded?.scaledToZero;
  if (scaled && !applying.has(scaled.rule) && resource.type === 'ecs:service' && resource.cluster) {
    decide(
      {
        ...about(
          scaled.rule,
          `${gone(scaled.rule)}: its desired count ${scaled.desiredCount}, which autopilot scaled to zero, is restored`,
        ),
        action: 'restore',
        desiredCount: scaled.desiredCount,
      },
      [{ kind: 'restore', arn: resource.arn, cluster: resource.cluster, desiredCount: scaled.desiredCount }],
    );
  }
  const stale: Array<[string, string, 'tag' | 'record']> = [
    ...[...state.marks].map(([rule, due]): [string, string, 'tag'] => [rule, due, 'tag']),
    ...Object.entries(resource.recorded?.marks ?? {}).map(([rule, due]): [string, string, 'record'] => [
      rule,
      due,
      'record',
    ]),
  ].filter(([rule]) => !applying.has(rule));
  for (const [rule, due, where] of stale) {
    decide(
      {
        ...about(rule, `${gone(rule)}: its violation mark (due ${due}) is cleared`),
        action: 'clear-mark',
        due,
      },
      [clearMark(rule, where, evaluation, state)],
    );
  }
}

/**
 * Adds what the result has values for, within the room the plan leaves (an earlier rule's addition
 * of the same key stands). Returns the violations left.
 */
function remediate(
  result: RuleResult,
  evaluation: TagEvaluation,
  state: ResourceState,
  about: AboutOf,
  decide: Decide,
): Violation[] {
  const fresh = result.additions.filter((a) => !state.adding.has(a.key));
  const added = fresh.slice(0, state.room);
  const keys = new Set([...state.adding, ...added.map((a) => a.key)]);
  const fixes = result.violations.filter((v) => v.problem === 'missing' && keys.has(v.key));
  if (added.length > 0) {
    for (const a of added) state.adding.add(a.key);
    state.room -= added.length;
    const dropped = fresh.slice(added.length).map((a) => a.key);
    const noRoom =
      dropped.length > 0 ? `; no room under ${MAX_USER_TAGS} tags for ${dropped.join(', ')}` : '';
    decide(
      {
        ...about(result, `adds ${added.map(describeAddition).join(', ')}${noRoom}`),
        action: 'remediate',
        added,
        fixes,
      },
      [
        {
          kind: 'tag-resource',
          arn: evaluation.resource.arn,
          resourceType: evaluation.resource.type,
          tags: Object.fromEntries(added.map((a) => [a.key, a.value])),
        },
      ],
    );
  }
  return result.violations.filter((v) => !fixes.includes(v));
}

/** A violation left: marked if it is not yet, acted on in enforce once the mark is due. */
function violate(
  rule: TagPolicyRule,
  result: RuleResult,
  violations: Violation[],
  evaluation: TagEvaluation,
  state: ResourceState,
  now: Date,
  about: AboutOf,
  decide: Decide,
): void {
  const { resource } = evaluation;
  const what = describeViolations(violations);
  const untaggable = result.taggable ? '' : '; the resource cannot be tagged (old-format ARN)';
  if (!result.mark) {
    const due = markDue(now, parseDuration(rule.grace) ?? DEFAULT_GRACE_MS);
    const then =
      rule.mode === 'enforce'
        ? `enforce acts after ${due}`
        : `${rule.mode} only reports (due ${due} in enforce)`;
    decide(
      {
        ...about(result, `${what}${untaggable}; marked: ${then}`),
        action: 'violation',
        violations,
        due,
        limits: result.limits,
      },
      [markEffect(result, evaluation, state, due)],
    );
    return;
  }
  const { due } = result.mark;
  if (rule.mode !== 'enforce' || !result.mark.passed) {
    const then =
      rule.mode === 'enforce'
        ? `enforce acts after ${due}`
        : `marked since, due ${due}; ${rule.mode} only reports`;
    decide({
      ...about(result, `${what}${untaggable}; ${then}`),
      action: 'violation',
      violations,
      due,
      limits: result.limits,
    });
    return;
  }
  const scaled = resource.recorded?.scaledToZero;
  if (
    resource.type === 'ecs:task' &&
    resource.service === undefined &&
    rule.actions.stopTask &&
    resource.cluster
  ) {
    const reason = `${what}; its grace ended ${due}: stopped (rule ${rule.name})`;
    decide({ ...about(result, reason), action: 'enforce', act: 'stop-task', violations, due }, [
      {
        kind: 'stop-task',
        arn: resource.arn,
        cluster: resource.cluster,
        // `autopilot:` first: restart classifies such a stop as autopilot's own and never restarts it.
        reason: `autopilot: tag policy ${rule.name}`,
      },
    ]);
  } else if (
    resource.type === 'ecs:service' &&
    rule.actions.scaleServiceToZero &&
    resource.cluster &&
    scaled === undefined &&
    (resource.desiredCount ?? 0) > 0
  ) {
    const desiredCount = resource.desiredCount ?? 0;
    decide(
      {
        ...about(
          result,
          `${what}; its grace ended ${due}: scaled to zero from ${desiredCount}, restored once it complies`,
        ),
        action: 'enforce',
        act: 'scale-to-zero',
        violations,
        due,
      },
      [
        {
          kind: 'scale-to-zero',
          arn: resource.arn,
          cluster: resource.cluster,
          rule: rule.name,
          desiredCount,
        },
      ],
    );
  } else {
    decide({
      ...about(result, `${what}; its grace ended ${due}: notified only, ${whyNoAction(rule, evaluation)}`),
      action: 'notify',
      violations,
      due,
    });
  }
}

/** Why enforce has nothing to do to a resource whose grace ended. */
function whyNoAction(rule: TagPolicyRule, evaluation: TagEvaluation): string {
  const { resource } = evaluation;
  switch (resource.type) {
    case 'ecs:task':
      if (resource.service !== undefined) {
        return `a task of service ${resource.service} (stopping it would only have the service start another)`;
      }
      return rule.actions.stopTask ? 'its cluster is unknown' : 'the rule does not opt in to stopTask';
    case 'ecs:service':
      if (!rule.actions.scaleServiceToZero) return 'the rule does not opt in to scaleServiceToZero';
      if (resource.recorded?.scaledToZero) {
        return `autopilot scaled it to zero already (rule ${resource.recorded.scaledToZero.rule}, from ${resource.recorded.scaledToZero.desiredCount})`;
      }
      return resource.cluster ? 'its desired count is 0 already' : 'its cluster is unknown';
    default:
      return `there is no safe action for ${resource.type}`;
  }
}

/** The mark for a rule: on the mark tag when it fits (in the value and under 50 tags), else recorded. */
function markEffect(
  result: RuleResult,
  evaluation: TagEvaluation,
  state: ResourceState,
  due: string,
): Unplaced {
  const { resource } = evaluation;
  const hasTag = state.marks.size > 0 || resource.tags[VIOLATION_TAG] !== undefined;
  const marks = new Map(state.marks).set(result.rule, due);
  const value = formatMarks(marks);
  if (result.taggable && value !== undefined && (hasTag || state.room > 0)) {
    if (!hasTag) state.room -= 1;
    state.marks.set(result.rule, due);
    return { kind: 'mark', arn: resource.arn, resourceType: resource.type, rule: result.rule, due, value };
  }
  return { kind: 'mark-record', arn: resource.arn, rule: result.rule, due };
}

const describeAddition = (a: Addition): string =>
  `${a.key}=${a.value} (${a.from === 'default' ? 'the default' : `from its ${a.from}`})`;

/**
 * Violations in words.
 *
 * @example describeViolations([{ key: 'owner', problem: 'missing' }]) // 'owner is missing'
 */
export function describeViolations(violations: readonly Violation[]): string {
  return violations
    .map((v) =>
      v.problem === 'missing' ? `${v.key} is missing` : `${v.key} is "${v.value}", expected ${v.expected}`,
    )
    .join(', ');
}
