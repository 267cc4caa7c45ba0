/**
 * The scheduled tag policy sweep across invocations: {@link sweepPage} page after page until the
 * deadline, the cursor and the running counts saved after every page in a checkpoint held under a
 * lease (one run at a time, as the index reconcile holds its sweep), and one `Tag Policy Summary`
 * with the counts of the whole sweep when it completes. A new sweep starts `periodMs` after the last
 * one started; the schedule wakes the function more often, so a sweep longer than one invocation goes
 * on from its checkpoint.
 *
 * A dry run changes nothing in the account but keeps its checkpoint (autopilot's own bookkeeping, in
 * its table), so a dry-run stage sweeps and summarises at the same pace as a real one; a checkpoint of
 * the other kind (dry run or not) is not continued.
 */
import { TAG_EVENT_LIMITS } from '../../events/autopilot-events';
import type { EventPublisher, TagSweepCheckpoint, TagSweepRow, TagSweepStore } from '../../ports';
import { tagSummaryEvent } from './tag-events';
import type { TagDecision } from './tag-plan';
import { sweepPage, type TagCounts, type TagPolicyDeps, type TagRun } from './tag-policies';
import { TAG_RESOURCE_TYPES } from './tag-rules';

/** What the sweep needs besides the tag policy use cases' ports. */
export interface TagSweepDeps extends TagPolicyDeps {
  sweeps: TagSweepStore;
  events: EventPublisher;
}

/** Input of {@link sweepTags}. */
export interface TagSweepInput {
  /** id of the scheduled event: it holds the lease, a new sweep takes it as its id, events name it */
  triggeredBy: string;
  /** no page starts after this time (the Lambda's remaining time, less a reserve) */
  deadline?: Date;
  /** a new sweep starts when the last one started longer ago than this (ms) */
  periodMs: number;
}

/** What a sweep's run did, of bounded size (the idempotency record keeps it). */
export interface TagSweepSummary {
  /**
   * finished: the sweep completed and its summary was published; continues: stopped at the deadline,
   * the next run goes on from its checkpoint; not-due: the last sweep is recent; busy: another run
   * holds the sweep (or took it over from this one, whose lease ran out)
   */
  status: 'finished' | 'continues' | 'not-due' | 'busy';
  sweepId?: string;
  /** pages this run swept */
  pages: number;
  /** resources this run read, and its decisions by action */
  counts: TagCounts;
  /** the first few decisions of this run that changed or told something (the handler logs them) */
  decisions: TagDecision[];
  dryRun?: boolean;
}

/** How many decisions a summary carries. */
export const SUMMARY_DECISIONS = 5;
/** Decisions that neither change nor tell anything, left out of a summary's few. */
const QUIET = new Set<TagDecision['action']>(['compliant', 'exempt', 'held']);
/** How long a run without a deadline holds the sweep. */
const DEFAULT_HOLD_MS = 15 * 60_000;
/** The lease outlives the deadline by this much: the page under way and the checkpoint. */
const LEASE_MARGIN_MS = 60_000;

/** The sweep was taken over by another run: this one's time ran out. */
class SweepTakenOverError extends Error {
  override readonly name = 'SweepTakenOverError';
}

/**
 * Sweeps the account's tag policies from the checkpoint (or starts a sweep when the last started a
 * period ago), publishing each page's events as its decisions are carried out and the summary once
 * the sweep is complete.
 *
 * @example
 * await sweepTags({ triggeredBy: event.id, deadline, periodMs: 24 * HOUR }, deps)
 * // { status: 'continues', sweepId: '…', pages: 40, counts: { resources: 4000, decisions: { compliant: 3990, remediate: 10 } }, decisions: [{ action: 'remediate', … }] }
 */
export async function sweepTags(input: TagSweepInput, deps: TagSweepDeps): Promise<TagSweepSummary> {
  const owner = input.triggeredBy;
  const summary: TagSweepSummary = {
    status: 'finished',
    pages: 0,
    counts: { resources: 0, decisions: {} },
    decisions: [],
    ...(deps.dryRun ? { dryRun: true } : {}),
  };
  const started = deps.now();
  const until = new Date(
    (input.deadline?.getTime() ?? started.getTime() + DEFAULT_HOLD_MS) + LEASE_MARGIN_MS,
  );
  const claim = await deps.sweeps.claimSweep(owner, started.toISOString(), until.toISOString());
  if (!claim) return { ...summary, status: 'busy' };
  try {
    // A checkpoint of the other kind (a dry run's, or a real run's in a dry run) is not continued.
    let sweep = claim.sweep && (claim.sweep.dryRun === true) === deps.dryRun ? claim.sweep : undefined;
    if (!sweep?.cursor) {
      const due = !sweep || Date.parse(sweep.startedAt) + input.periodMs <= started.getTime();
      if (!due) return { ...summary, status: 'not-due', ...(sweep ? { sweepId: sweep.sweepId } : {}) };
      sweep = {
        sweepId: owner,
        startedAt: started.toISOString(),
        cursor: { reader: 0 },
        resourcesSeen: 0,
        rows: [],
        ...(deps.dryRun ? { dryRun: true } : {}),
      };
      // Saved at once: a run that stops before its first page still started the sweep.
      await save(owner, sweep, deps.sweeps);
    }
    summary.sweepId = sweep.sweepId;
    const overdue = () => input.deadline !== undefined && deps.now().getTime() >= input.deadline.getTime();
    while (sweep.cursor) {
      if (overdue()) return { ...summary, status: 'continues' };
      const run = await sweepPage(sweep.cursor, deps);
      tally(summary, run);
      sweep = withPage(sweep, run, input.triggeredBy, run.next);
      if (!sweep.cursor) sweep = { ...sweep, finishedAt: deps.now().toISOString() };
      await save(owner, sweep, deps.sweeps);
    }
    await deps.events.publish([summaryOf(sweep, input.triggeredBy, deps.dryRun)]);
    return summary;
  } catch (error) {
    // Its lease ran out and another run goes on with the sweep: this one stops, with nothing to retry.
    if (error instanceof SweepTakenOverError) return { ...summary, status: 'busy' };
    throw error;
  } finally {
    await deps.sweeps.releaseSweep(owner);
  }
}

/** Saves the checkpoint; a run whose lease was taken over stops (its successor goes on). */
async function save(owner: string, sweep: TagSweepCheckpoint, sweeps: TagSweepStore): Promise<void> {
  if (!(await sweeps.saveSweep(owner, sweep))) {
    throw new SweepTakenOverError(`the tag policy sweep is held by another run (${owner} lost it)`);
  }
}

/** Adds a page's counts to the run's. */
function tally(summary: TagSweepSummary, run: TagRun): void {
  summary.pages += 1;
  summary.counts.resources += run.counts.resources;
  for (const [action, count] of Object.entries(run.counts.decisions)) {
    const key = action as TagDecision['action'];
    summary.counts.decisions[key] = (summary.counts.decisions[key] ?? 0) + (count ?? 0);
  }
  for (const decision of run.decisions) {
    if (summary.decisions.length >= SUMMARY_DECISIONS) break;
    if (!QUIET.has(decision.action)) summary.decisions.push(decision);
  }
}

const COUNTED = [
  'compliant',
  'violating',
  'exempt',
  'skipped',
  'remediated',
  'enforced',
  'restored',
] as const satisfies readonly (keyof TagSweepRow)[];

/** The checkpoint after a page: its counts added (the page summarised as the summary counts), the cursor moved on. */
function withPage(
  sweep: TagSweepCheckpoint,
  run: TagRun,
  triggeredBy: string,
  next: TagSweepCheckpoint['cursor'],
): TagSweepCheckpoint {
  const page = tagSummaryEvent(run.decisions, {
    evaluations: run.evaluations,
    triggeredBy,
    sweepId: sweep.sweepId,
    complete: false,
    resourcesSeen: run.counts.resources,
  });
  const rows = new Map(sweep.rows.map((row) => [`${row.rule}\n${row.resourceType}`, { ...row }]));
  const detail = page.detailType === 'Tag Policy Summary' ? page.detail : undefined;
  for (const row of detail?.rows ?? []) {
    const key = `${row.rule}\n${row.resourceType}`;
    const sum = rows.get(key);
    if (!sum) rows.set(key, { ...row });
    else for (const what of COUNTED) sum[what] += row[what];
  }
  const { cursor: _, ...rest } = sweep;
  const overCap = sweep.overCap ?? detail?.overCap;
  return {
    ...rest,
    ...(next ? { cursor: next } : {}),
    resourcesSeen: sweep.resourcesSeen + run.counts.resources,
    rows: [...rows.values()],
    ...(overCap ? { overCap } : {}),
  };
}

/** The `Tag Policy Summary` of a whole sweep, from its checkpoint's counts. */
function summaryOf(sweep: TagSweepCheckpoint, triggeredBy: string, dryRun: boolean) {
  const event = tagSummaryEvent([], {
    evaluations: [],
    triggeredBy,
    sweepId: sweep.sweepId,
    complete: true,
    resourcesSeen: sweep.resourcesSeen,
    dryRun,
  });
  if (event.detailType !== 'Tag Policy Summary') return event;
  const order = (type: TagSweepRow['resourceType']) => TAG_RESOURCE_TYPES.indexOf(type);
  const rows = [...sweep.rows]
    .sort((a, b) =>
      a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : order(a.resourceType) - order(b.resourceType),
    )
    .slice(0, TAG_EVENT_LIMITS.summaryRows);
  return {
    ...event,
    detail: { ...event.detail, rows, ...(sweep.overCap ? { overCap: sweep.overCap } : {}) },
  };
}
