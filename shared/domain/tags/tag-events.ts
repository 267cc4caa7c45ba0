/**
 * The tag policy capability's events (issue 14), from its decisions as carried out (what
 * `applyPlan` reports; in a dry run, the plan's decisions marked `dryRun`):
 * - `Tag Policy Violation` when a violation is marked (once: a violation already marked is counted
 *   in the summary, not announced again, so autopilot reading its own mark back says nothing);
 * - `Tag Policy Remediated` when tags were added;
 * - `Tag Policy Enforced` when a violation's grace ended: a task stopped, a service scaled to zero,
 *   or, where no safe action is opted in, only told;
 * - `Tag Policy Restored` when a service autopilot scaled to zero gets its desired count back, or a
 *   mark is cleared (the resource complies, is exempt, or its rule no longer applies): one event
 *   for both when they come together;
 * - `Action Failed` when AWS refused a tag write for good (the applier's `refused`);
 * - `Tag Policy Summary`, the counts of a sweep per rule and resource type ({@link tagSummaryEvent}).
 * Each carries the resource's own tags, so the notifier routes it to the resource's owner. Pure.
 */
import type { TagPolicyRule } from '../../config/tag-policies';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  TAG_EVENT_LIMITS,
  TAG_POLICY_ENFORCED,
  TAG_POLICY_REMEDIATED,
  TAG_POLICY_RESTORED,
  TAG_POLICY_SUMMARY,
  TAG_POLICY_VIOLATION,
} from '../../events/autopilot-events';
import type { LimitProblem, RuleResult, TagEvaluation, TagResourceView, Violation } from './evaluate';
import type { TagDecision } from './tag-plan';
import {
  isAwsOwned,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  TAG_RESOURCE_TYPES,
  type TagResourceType,
  VIOLATION_TAG,
} from './tag-rules';

/** What the events of a run say besides its decisions. */
export interface TagEventContext {
  /** the evaluations the plan was made from: the resources (names, clusters, tags) and each rule's result */
  evaluations: readonly TagEvaluation[];
  /** the policy file's rules (each rule's mode and opted-in actions) */
  rules: readonly TagPolicyRule[];
  /** id of the event that started the run (a CloudTrail call, the sweep's schedule) */
  triggeredBy: string;
}

type ResourceDecision = Exclude<TagDecision, { action: 'over-cap' }>;
type Detail<K extends AutopilotEvent['detailType']> = Extract<AutopilotEvent, { detailType: K }>['detail'];
type ResourceFields = Pick<
  Detail<typeof TAG_POLICY_VIOLATION>,
  'resourceType' | 'resourceArn' | 'name' | 'cluster' | 'service' | 'rule' | 'tags'
>;

/** `text` cut to `max` characters, with … when cut. */
const clip = (text: string, max: number = TAG_EVENT_LIMITS.text) =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/** Violations as an event carries them: what is allowed said in words, within the bounds. */
function violationsOf(violations: readonly Violation[]): Detail<typeof TAG_POLICY_VIOLATION>['violations'] {
  return violations.slice(0, TAG_EVENT_LIMITS.violations).map((v) =>
    v.problem === 'missing'
      ? { key: v.key, problem: 'missing' }
      : {
          key: v.key,
          problem: 'not-allowed',
          value: clip(v.value, MAX_TAG_VALUE_LENGTH),
          allowed: clip(v.expected),
        },
  );
}

/** The name of a resource autopilot has no view of: the last part of its ARN. */
const nameFromArn = (arn: string) => clip(arn.split(/[/:]/).pop() || arn, TAG_EVENT_LIMITS.name);

/**
 * The tags a notification is routed on: the resource's user tags with what this run adds (or would,
 * in a dry run), without AWS's own and without autopilot's mark (the event says it), within AWS's
 * key and value lengths and at most 50.
 */
function routingTags(resource: TagResourceView | undefined, added: Readonly<Record<string, string>>) {
  const tags = { ...resource?.tags, ...added };
  const kept = Object.entries(tags).filter(
    ([key, value]) =>
      !isAwsOwned(key) &&
      key !== VIOLATION_TAG &&
      key.length > 0 &&
      key.length <= MAX_TAG_KEY_LENGTH &&
      value.length <= MAX_TAG_VALUE_LENGTH,
  );
  return Object.fromEntries(kept.slice(0, TAG_EVENT_LIMITS.tags));
}

/** What each resource of a run is, and what the run adds to it. */
class Run {
  private readonly views = new Map<string, TagEvaluation>();
  private readonly added = new Map<string, Record<string, string>>();
  readonly rules: ReadonlyMap<string, TagPolicyRule>;

  constructor(
    readonly decisions: readonly TagDecision[],
    context: Pick<TagEventContext, 'evaluations' | 'rules'>,
  ) {
    for (const evaluation of context.evaluations) this.views.set(evaluation.resource.arn, evaluation);
    this.rules = new Map(context.rules.map((rule) => [rule.name, rule]));
    for (const d of decisions) {
      if (d.action !== 'remediate') continue;
      const tags = this.added.get(d.arn) ?? {};
      for (const a of d.added) tags[a.key] ??= a.value;
      this.added.set(d.arn, tags);
    }
  }

  evaluation(arn: string): TagEvaluation | undefined {
    return this.views.get(arn);
  }

  result(d: { arn: string; rule: string }): RuleResult | undefined {
    return this.views.get(d.arn)?.results.find((r) => r.rule === d.rule);
  }

  /** The other decisions about the same resource and rule. */
  siblings(d: ResourceDecision): ResourceDecision[] {
    return this.decisions.filter(
      (o): o is ResourceDecision =>
        o !== d && o.action !== 'over-cap' && o.arn === d.arn && o.rule === d.rule,
    );
  }

  fields(d: ResourceDecision): ResourceFields {
    const resource = this.views.get(d.arn)?.resource;
    return {
      resourceType: d.resourceType,
      resourceArn: clip(d.arn, TAG_EVENT_LIMITS.arn),
      name: resource ? clip(resource.name, TAG_EVENT_LIMITS.name) : nameFromArn(d.arn),
      ...(resource?.cluster ? { cluster: clip(resource.cluster, TAG_EVENT_LIMITS.name) } : {}),
      ...(resource?.service ? { service: clip(resource.service, TAG_EVENT_LIMITS.name) } : {}),
      rule: d.rule,
      tags: routingTags(resource, this.added.get(d.arn) ?? {}),
    };
  }

  /** What enforcement does once the mark of `d`'s rule is due on its resource. */
  whenDue(d: ResourceDecision): Detail<typeof TAG_POLICY_VIOLATION>['whenDue'] {
    const rule = this.rules.get(d.rule);
    if (rule?.mode !== 'enforce') return 'report-only';
    const resource = this.views.get(d.arn)?.resource;
    if (!resource?.cluster) return 'notify-only';
    if (resource.type === 'ecs:task' && resource.service === undefined && rule.actions.stopTask) {
      return 'stop-task';
    }
    if (resource.type === 'ecs:service' && rule.actions.scaleServiceToZero) return 'scale-to-zero';
    return 'notify-only';
  }

  /** Why a mark is cleared or a desired count given back. */
  because(d: ResourceDecision): Detail<typeof TAG_POLICY_RESTORED>['because'] {
    const result = this.result(d);
    if (result) return result.status === 'exempt' ? 'exempt' : 'complies';
    return this.rules.has(d.rule) ? 'rule-no-longer-selects' : 'rule-removed';
  }
}

/**
 * The events of tag decisions as carried out.
 *
 * @param decisions - the decisions `applyPlan` reports (amended where the world answered otherwise;
 *   marked `dryRun` in a dry run)
 * @param context - the evaluations and rules the plan was made from, and the event that started the run
 * @example
 * tagEvents(plan.decisions, { evaluations, rules, triggeredBy: event.id })
 * // [{ detailType: 'Tag Policy Remediated', detail: { resourceType: 'ecs:service', name: 'api',
 * //    added: [{ key: 'owner', value: 'payments', from: 'cluster' }], tags: { owner: 'payments' }, … } }]
 */
export function tagEvents(decisions: readonly TagDecision[], context: TagEventContext): AutopilotEvent[] {
  const run = new Run(decisions, context);
  const triggeredBy = clip(context.triggeredBy, TAG_EVENT_LIMITS.name);
  return decisions.flatMap((d): AutopilotEvent[] => {
    if (d.action === 'over-cap') return [];
    const dryRun = d.dryRun === true;
    const reason = clip(d.reason);
    switch (d.action) {
      case 'violation': {
        // Announced when marked; a mark already there was announced then (the summary counts it).
        if (run.result(d)?.mark) return [];
        return [
          {
            detailType: TAG_POLICY_VIOLATION,
            detail: {
              ...run.fields(d),
              mode: run.rules.get(d.rule)?.mode ?? run.result(d)?.mode ?? 'audit',
              violations: violationsOf(d.violations),
              due: d.due,
              whenDue: run.whenDue(d),
              limits: d.limits.slice(0, TAG_EVENT_LIMITS.limits).map((l) => clip(describeLimit(l))),
              reason,
              dryRun,
              triggeredBy,
            },
          },
        ];
      }
      case 'remediate': {
        const fixed = (v: Violation) => d.fixes.some((f) => f.key === v.key && f.problem === v.problem);
        const remaining = run
          .siblings(d)
          .flatMap((o) =>
            o.action === 'violation' || o.action === 'enforce' || o.action === 'notify' ? o.violations : [],
          );
        return [
          {
            detailType: TAG_POLICY_REMEDIATED,
            detail: {
              ...run.fields(d),
              added: d.added.slice(0, TAG_EVENT_LIMITS.tags).map((a) => ({
                key: a.key,
                value: clip(a.value, MAX_TAG_VALUE_LENGTH),
                from: a.from,
              })),
              remaining: violationsOf(remaining.filter((v) => !fixed(v))),
              reason,
              dryRun,
              triggeredBy,
            },
          },
        ];
      }
      case 'enforce':
      case 'notify': {
        const resource = run.evaluation(d.arn)?.resource;
        // A service autopilot scaled to zero already was announced then; telling it again each sweep is noise.
        if (d.action === 'notify' && resource?.recorded?.scaledToZero) return [];
        const desiredCount = resource?.desiredCount ?? 0;
        const scaled = d.action === 'enforce' && d.act === 'scale-to-zero';
        return [
          {
            detailType: TAG_POLICY_ENFORCED,
            detail: {
              ...run.fields(d),
              action:
                d.action === 'notify'
                  ? 'notify-only'
                  : d.act === 'stop-task'
                    ? 'stopped-task'
                    : 'scaled-to-zero',
              ...(scaled && desiredCount > 0 ? { desiredCount } : {}),
              violations: violationsOf(d.violations),
              due: d.due,
              reason,
              dryRun,
              triggeredBy,
            },
          },
        ];
      }
      case 'restore': {
        const cleared = run.siblings(d).find((o) => o.action === 'clear-mark');
        return [
          {
            detailType: TAG_POLICY_RESTORED,
            detail: {
              ...run.fields(d),
              restored: 'desired-count',
              desiredCount: Math.max(1, d.desiredCount),
              markCleared: cleared !== undefined,
              ...(cleared?.action === 'clear-mark' ? { due: cleared.due } : {}),
              because: run.because(d),
              reason,
              dryRun,
              triggeredBy,
            },
          },
        ];
      }
      case 'clear-mark': {
        // Told with the desired count given back, when there is one.
        if (run.siblings(d).some((o) => o.action === 'restore')) return [];
        return [
          {
            detailType: TAG_POLICY_RESTORED,
            detail: {
              ...run.fields(d),
              restored: 'mark-cleared',
              markCleared: true,
              due: d.due,
              because: run.because(d),
              reason,
              dryRun,
              triggeredBy,
            },
          },
        ];
      }
      case 'refused': {
        // AWS refused a tag write for good (an old-format ARN, a limit reached since the read): said,
        // since the plan counted on it, and nothing else tells that the resource was left as it was.
        const { cluster } = run.fields(d);
        const service = d.resourceType === 'ecs:service' ? run.fields(d).name : undefined;
        return [
          {
            detailType: ACTION_FAILED,
            detail: {
              action: `tag policy ${d.wouldBe}`,
              ...(cluster ? { cluster } : {}),
              ...(service ? { service, serviceArn: d.arn } : {}),
              reason,
              dryRun,
              triggeredBy,
            },
          },
        ];
      }
      default:
        return [];
    }
  });
}

/** An AWS limit problem in words. */
function describeLimit(limit: LimitProblem): string {
  switch (limit.problem) {
    case 'too-many-tags':
      return `${limit.count} tags, more than AWS's ${limit.max}`;
    case 'bad-key':
    case 'bad-value':
    case 'untaggable-arn':
      return limit.reason;
    case 'no-room':
      return `no room for ${limit.dropped.join(', ')}: ${limit.wanted} tags to add, room for ${limit.room}`;
  }
}

/** What a sweep's summary says besides its decisions. */
export interface TagSummaryContext extends Pick<TagEventContext, 'evaluations' | 'triggeredBy'> {
  /** the sweep: the first invocation's event id, carried by every part */
  sweepId: string;
  /** false when the sweep goes on in the next invocation from where it stopped */
  complete: boolean;
  /** resources the run looked at (those no rule selects included); the evaluations' count by default */
  resourcesSeen?: number;
  /** a dry run (also when the decisions say so) */
  dryRun?: boolean;
}

type Row = Detail<typeof TAG_POLICY_SUMMARY>['rows'][number];
type Counted = Exclude<keyof Row, 'rule' | 'resourceType'>;

const STILL_VIOLATING = new Set<TagDecision['action']>(['violation', 'enforce', 'notify']);

/**
 * The summary of a sweep (or of one part of it): per rule and resource type, how many resources
 * comply, still violate, are exempt or were held by the run cap (each resource counted once per
 * rule, in one of the four), and how many had tags added, were enforced on, or restored.
 *
 * @example
 * tagSummaryEvent(plan.decisions, { evaluations, triggeredBy: event.id, sweepId: event.id, complete: true })
 * // { detailType: 'Tag Policy Summary', detail: { resourcesSeen: 2, rows: [{ rule: 'owner',
 * //   resourceType: 'ecs:service', compliant: 1, violating: 1, remediated: 1, … }], complete: true, … } }
 */
export function tagSummaryEvent(
  decisions: readonly TagDecision[],
  context: TagSummaryContext,
): AutopilotEvent {
  const rows = new Map<string, Row>();
  const counted = new Set<string>();
  const rowOf = (rule: string, resourceType: TagResourceType): Row => {
    const key = `${rule}\n${resourceType}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        rule,
        resourceType,
        compliant: 0,
        violating: 0,
        exempt: 0,
        skipped: 0,
        remediated: 0,
        enforced: 0,
        restored: 0,
      };
      rows.set(key, row);
    }
    return row;
  };
  /** Counts the resource once under `what` for the rule. */
  const count = (rule: string, type: TagResourceType, arn: string, what: Counted) => {
    const row = rowOf(rule, type);
    const key = `${rule}\n${arn}\n${what}`;
    if (counted.has(key)) return;
    counted.add(key);
    row[what] += 1;
  };
  const about = new Map<string, ResourceDecision[]>();
  for (const d of decisions) {
    if (d.action === 'over-cap') continue;
    const key = `${d.rule}\n${d.arn}`;
    about.set(key, [...(about.get(key) ?? []), d]);
    if (d.action === 'remediate') count(d.rule, d.resourceType, d.arn, 'remediated');
    if (d.action === 'enforce') count(d.rule, d.resourceType, d.arn, 'enforced');
    if (d.action === 'restore' || d.action === 'clear-mark') count(d.rule, d.resourceType, d.arn, 'restored');
  }
  for (const { resource, results } of context.evaluations) {
    for (const result of results) {
      const mine = about.get(`${result.rule}\n${resource.arn}`) ?? [];
      const state: Counted = mine.some((d) => d.action === 'held')
        ? 'skipped'
        : mine.some((d) => STILL_VIOLATING.has(d.action))
          ? 'violating'
          : result.status === 'exempt'
            ? 'exempt'
            : 'compliant';
      count(result.rule, resource.type, resource.arn, state);
    }
  }
  const overCap = decisions.find((d) => d.action === 'over-cap');
  const order = (type: TagResourceType) => TAG_RESOURCE_TYPES.indexOf(type);
  return {
    detailType: TAG_POLICY_SUMMARY,
    detail: {
      sweepId: clip(context.sweepId, TAG_EVENT_LIMITS.name),
      complete: context.complete,
      resourcesSeen: context.resourcesSeen ?? context.evaluations.length,
      rows: [...rows.values()]
        .sort((a, b) =>
          a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : order(a.resourceType) - order(b.resourceType),
        )
        .slice(0, TAG_EVENT_LIMITS.summaryRows),
      ...(overCap?.action === 'over-cap' ? { overCap: { changes: overCap.changes, max: overCap.max } } : {}),
      dryRun: context.dryRun === true || decisions.some((d) => d.dryRun === true),
      triggeredBy: clip(context.triggeredBy, TAG_EVENT_LIMITS.name),
    },
  };
}
