/**
 * The tag policy use cases, each `(input, deps)`: read (the resources through their readers, what the
 * table recorded for them), evaluate, plan (`planTags`, with the run cap), then `applyPlan` with the
 * tag applier. Dry run applies nothing and reports the decisions marked `dryRun`.
 *
 * - `evaluateOne(arn)`: a CloudTrail call touched one resource; it is read with its parents' tags
 *   and dealt with at once (a service created without its owner is repaired seconds later).
 * - `sweepPage(cursor)`: one page of the scheduled sweep of the whole account (readers in order,
 *   ECS then ECR), and the cursor of the next page, so a sweep larger than one invocation goes on in
 *   the next from where it stopped. The run cap holds per page: a page over it changes nothing.
 */
import type { TagPolicyRule, TagPolicySettings } from '../../config/tag-policies';
import type { TaggedResourceReader, TagMarkStore, TagSweepToken } from '../../ports';
import { applyPlan } from '../plan/plan';
import { evaluateResource, type TagEvaluation, type TagResourceView } from './evaluate';
import { type TagWrites, tagEffects } from './tag-effects';
import { planTags, type TagDecision } from './tag-plan';

/** What the tag policy use cases read, write and are told. */
export interface TagPolicyDeps extends TagWrites {
  /** the readers of the account's resources, in sweep order */
  readers: readonly TaggedResourceReader[];
  marks: TagMarkStore;
  /** the policy file's `tagPolicies` */
  rules: readonly TagPolicyRule[];
  /** the policy file's `tagPolicySettings` */
  settings: TagPolicySettings;
  dryRun: boolean;
  /**
   * tells the world about the decisions as carried out, with the evaluations they were planned from
   * (what `tagEvents` needs for the events)
   */
  report?: (decisions: TagDecision[], evaluations: readonly TagEvaluation[]) => Promise<void>;
}

/** Where a sweep stands: the reader it is at (an index into `readers`) and that reader's token. */
export interface TagSweepCursor {
  reader: number;
  token?: TagSweepToken;
}

/**
 * What a use case did: the decisions as carried out, the evaluations they were planned from (for the
 * sweep's summary), and how many of each action.
 */
export interface TagRun {
  decisions: TagDecision[];
  evaluations: TagEvaluation[];
  counts: TagCounts;
}

/** Resources read and decisions by action. */
export interface TagCounts {
  resources: number;
  decisions: Partial<Record<TagDecision['action'], number>>;
}

/** What a sweep's page did, and where the next page starts (none: the sweep is complete). */
export interface TagSweepRun extends TagRun {
  next?: TagSweepCursor;
}

/** The views with what the table recorded for them (marks kept off the resource, a scale to zero). */
async function withRecords(
  views: readonly TagResourceView[],
  marks: TagMarkStore,
): Promise<TagResourceView[]> {
  if (views.length === 0) return [];
  const records = await marks.recordsOf(views.map((v) => v.arn));
  return views.map((view) => {
    const record = records.get(view.arn);
    if (!record) return view;
    const { scaledToZero } = record;
    return {
      ...view,
      recorded: {
        ...(Object.keys(record.marks).length > 0 ? { marks: record.marks } : {}),
        ...(scaledToZero
          ? { scaledToZero: { rule: scaledToZero.rule, desiredCount: scaledToZero.desiredCount } }
          : {}),
      },
    };
  });
}

/** Evaluates, plans and applies the rules on resources read at one time. */
async function carryOut(views: readonly TagResourceView[], deps: TagPolicyDeps): Promise<TagRun> {
  const now = deps.now();
  const recorded = await withRecords(views, deps.marks);
  const evaluations = recorded.map((view) => evaluateResource(view, deps.rules, now));
  const plan = planTags(evaluations, deps.rules, deps.settings, now);
  const { report } = deps;
  const decisions = await applyPlan(plan, tagEffects(deps), {
    dryRun: deps.dryRun,
    ...(report ? { report: (done: TagDecision[]) => report(done, evaluations) } : {}),
  });
  return { decisions, evaluations, counts: countsOf(views.length, decisions) };
}

function countsOf(resources: number, decisions: readonly TagDecision[]): TagCounts {
  const counts: TagCounts['decisions'] = {};
  for (const { action } of decisions) counts[action] = (counts[action] ?? 0) + 1;
  return { resources, decisions: counts };
}

/**
 * Evaluates the one resource a CloudTrail call touched, and applies what the rules call for.
 *
 * @param arn - the resource's ARN
 * @returns the decisions as carried out; none when no reader reads the ARN or the resource is gone
 * @example
 * await evaluateOne('arn:aws:ecs:eu-west-1:123456789012:service/prod/api', deps)
 * // { decisions: [{ action: 'remediate', added: [{ key: 'owner', value: 'payments', from: 'cluster' }], … }], … }
 */
export async function evaluateOne(arn: string, deps: TagPolicyDeps): Promise<TagRun> {
  const reader = deps.readers.find((r) => r.reads(arn));
  const view = await reader?.readResource(arn);
  return view ? carryOut([view], deps) : { decisions: [], evaluations: [], counts: countsOf(0, []) };
}

/**
 * Sweeps one page: reads it, evaluates, plans with the run cap and applies, and says where the next
 * page starts.
 *
 * @param cursor - where the sweep stands; none starts it
 * @example
 * let run = await sweepPage(undefined, deps);
 * while (run.next) run = await sweepPage(run.next, deps); // or in the next invocation
 */
export async function sweepPage(
  cursor: TagSweepCursor | undefined,
  deps: TagPolicyDeps,
): Promise<TagSweepRun> {
  const at = cursor?.reader ?? 0;
  const reader = deps.readers[at];
  if (!reader) return { decisions: [], evaluations: [], counts: countsOf(0, []) };
  const page = await reader.readPage(cursor?.token);
  const run = await carryOut(page.resources, deps);
  const next: TagSweepCursor | undefined =
    page.next !== undefined
      ? { reader: at, token: page.next }
      : at + 1 < deps.readers.length
        ? { reader: at + 1 }
        : undefined;
  return { ...run, ...(next ? { next } : {}) };
}
