/**
 * The reconcile: a sweep over every cluster and service of the account that catches what the events
 * missed. It costs little for what did not change: per cluster one query of what it remembers
 * (`IndexSweep.fingerprintsOf`), ListServices 100 at a time, DescribeServices 10 at a time, and for a
 * service whose decision inputs are what they were ({@link indexFingerprint}) nothing more. A changed
 * service goes through the indexing of one service ({@link planIndexing}, the same path as events),
 * with DescribeTaskDefinition only for revisions not yet indexed. A sweep stops at its deadline after
 * a whole page and the next run goes on from its checkpoint; one run at a time holds it. What a run
 * returns is a summary of bounded size, however large the account.
 */
import type {
  AnnouncedProblem,
  IndexedFingerprint,
  ReconcileSweep,
  ServiceRef,
  ServiceState,
  SweepCursor,
} from '../../ports';
import { clusterNameOf, clusterOfServiceArn } from '../aws/arn';
import { indexFingerprint, renewalDue } from './fingerprint';
import { type IndexDecision, type IndexDeps, indexServices } from './index-services';

/** Input of {@link reconcileIndex}. */
export interface ReconcileInput {
  /** id of the scheduled event: announcements name it, a new sweep takes it as its id, it holds the lease */
  triggeredBy: string;
  /** stop after the page that reaches this time (the Lambda's remaining time, less a reserve) */
  deadline?: Date;
  /** a new sweep starts when the last one started longer ago than this (ms) */
  periodMs: number;
}

/** What a reconcile run did, of bounded size. */
export interface ReconcileSummary {
  /**
   * finished: the sweep is done; continues: stopped at the deadline, the next run goes on from
   * `cursor`; not-due: the last sweep is recent; busy: another run holds the sweep (or took it over
   * from this one, whose lease ran out)
   */
  status: 'finished' | 'continues' | 'not-due' | 'busy';
  sweepId?: string;
  cursor?: SweepCursor;
  /** services looked at, by what happened to them */
  counts: { unchanged: number; indexed: number; removed: number; problems: number };
  /** the first few decisions that changed something (the handler logs them) */
  decisions: IndexDecision[];
  dryRun?: boolean;
}

/** How many changed decisions a summary carries. */
export const SUMMARY_DECISIONS = 5;
/** How long a run without a deadline holds the sweep. */
const DEFAULT_HOLD_MS = 15 * 60_000;
/** The lease outlives the deadline by this much: the page under way and the checkpoint. */
const LEASE_MARGIN_MS = 60_000;

/**
 * Walks the account from the sweep's checkpoint (or starts a sweep when the last started a period ago)
 * and re-indexes what changed; services remembered but no longer listed are described once more and
 * removed when gone. In a dry run nothing is written (the checkpoint neither): the run reports what
 * it would do from where the sweep stands, as far as its deadline.
 *
 * @example
 * await reconcileIndex({ triggeredBy: event.id, deadline, periodMs: 6 * HOUR }, deps)
 * // { status: 'continues', cursor: { clusterArn: 'arn:…:cluster/prod', nextToken: '…' }, counts: … }
 */
export async function reconcileIndex(input: ReconcileInput, deps: IndexDeps): Promise<ReconcileSummary> {
  const owner = input.triggeredBy;
  const summary: ReconcileSummary = {
    status: 'finished',
    counts: { unchanged: 0, indexed: 0, removed: 0, problems: 0 },
    decisions: [],
    ...(deps.dryRun ? { dryRun: true } : {}),
  };
  const started = deps.now();
  let sweep: ReconcileSweep | undefined;
  if (deps.dryRun) sweep = await deps.sweep.currentSweep();
  else {
    const until = new Date(
      (input.deadline?.getTime() ?? started.getTime() + DEFAULT_HOLD_MS) + LEASE_MARGIN_MS,
    );
    const claim = await deps.sweep.claimSweep(owner, started.toISOString(), until.toISOString());
    if (!claim) return { ...summary, status: 'busy' };
    sweep = claim.sweep;
  }
  const ours = { owner, dryRun: deps.dryRun };
  try {
    if (!sweep?.cursor) {
      const due = !sweep || Date.parse(sweep.startedAt) + input.periodMs <= started.getTime();
      if (!due && !deps.dryRun) return { ...summary, status: 'not-due', sweepId: sweep?.sweepId };
      sweep = { sweepId: owner, startedAt: started.toISOString() };
      // Saved at once: a run that stops before its first checkpoint still started the sweep.
      await save(ours, { ...sweep, cursor: { clusterArn: '' } }, deps);
    }
    summary.sweepId = sweep.sweepId;
    const cursor = await walk(sweep, input, deps, summary, ours);
    if (cursor) return { ...summary, status: 'continues', cursor };
    await save(
      ours,
      { sweepId: sweep.sweepId, startedAt: sweep.startedAt, finishedAt: deps.now().toISOString() },
      deps,
    );
    return summary;
  } catch (error) {
    // Its lease ran out and another run goes on with the sweep: this one stops, with nothing to retry.
    if (error instanceof SweepTakenOverError) return { ...summary, status: 'busy' };
    throw error;
  } finally {
    if (!deps.dryRun) await deps.sweep.releaseSweep(owner);
  }
}

/** Who saves the checkpoint (nobody in a dry run). */
interface Holder {
  owner: string;
  dryRun: boolean;
}

/** Saves the sweep; a run whose lease was taken over stops (its successor goes on). */
async function save(holder: Holder, sweep: ReconcileSweep, deps: IndexDeps): Promise<void> {
  if (holder.dryRun) return;
  if (!(await deps.sweep.saveSweep(holder.owner, sweep))) {
    throw new SweepTakenOverError(`the reconcile's sweep is held by another run (${holder.owner} lost it)`);
  }
}

/** The sweep was taken over by another run: this one's time ran out. */
class SweepTakenOverError extends Error {
  override readonly name = 'SweepTakenOverError';
}

/**
 * Walks the clusters (in ARN order, so a checkpoint names where to go on whatever ListClusters adds
 * meanwhile) from the sweep's cursor.
 *
 * @returns where the next run goes on, or undefined when the sweep is done
 */
async function walk(
  sweep: ReconcileSweep,
  input: ReconcileInput,
  deps: IndexDeps,
  summary: ReconcileSummary,
  holder: Holder,
): Promise<SweepCursor | undefined> {
  const clusters = [...(await deps.inventory.listClusters())].sort();
  const from = sweep.cursor?.clusterArn;
  const revisions = new Map<string, string[]>();
  const overdue = () => input.deadline !== undefined && deps.now().getTime() >= input.deadline.getTime();
  for (const clusterArn of clusters.filter((arn) => from === undefined || arn >= from)) {
    let nextToken = clusterArn === from ? sweep.cursor?.nextToken : undefined;
    const remembered = new Map<string, IndexedFingerprint>();
    for (const fingerprint of await deps.sweep.fingerprintsOf(clusterArn)) {
      remembered.set(fingerprint.serviceArn, fingerprint);
      if (fingerprint.repositories) revisions.set(fingerprint.taskDefinitionArn, fingerprint.repositories);
    }
    const listed = new Set<string>();
    do {
      if (overdue()) return { clusterArn, ...(nextToken ? { nextToken } : {}) };
      const page = await deps.inventory.listServicePage(clusterArn, nextToken);
      for (const arn of page.serviceArns) listed.add(arn);
      await reconcileServices(clusterArn, page.serviceArns, { remembered, revisions, input, deps, summary });
      nextToken = page.nextToken;
      // The last page is not a checkpoint: the services gone from the cluster are looked at after it.
      if (nextToken) await save(holder, { ...sweep, cursor: { clusterArn, nextToken } }, deps);
    } while (nextToken);
    // Remembered but not listed: gone, or listed on a page an earlier run read (described: unchanged).
    const unlisted = [...remembered.keys()].filter((arn) => !listed.has(arn));
    await reconcileServices(clusterArn, unlisted, { remembered, revisions, input, deps, summary });
    const next = clusters.find((arn) => arn > clusterArn);
    if (next) await save(holder, { ...sweep, cursor: { clusterArn: next } }, deps);
  }
  return undefined;
}

/**
 * The problems announced for these services of a cluster, with one query for the cluster instead of
 * one per service: every service whose ARN names the cluster has its entry (none announced: empty);
 * an ARN of the old format is left to its own read. A single service is read by itself.
 */
async function announcedIn(
  clusterArn: string,
  refs: readonly ServiceRef[],
  deps: IndexDeps,
): Promise<Map<string, AnnouncedProblem[]> | undefined> {
  const cluster = clusterNameOf(clusterArn);
  const covered = refs.filter((ref) => clusterOfServiceArn(ref.service) === cluster);
  if (covered.length < 2) return undefined;
  const announced = new Map<string, AnnouncedProblem[]>(covered.map((ref) => [ref.service, []]));
  for (const problem of await deps.problems.announcedProblemsOfCluster(clusterArn)) {
    announced.get(problem.serviceArn)?.push(problem);
  }
  return announced;
}

/** What reconciling a page of services works with. */
interface PageContext {
  remembered: Map<string, IndexedFingerprint>;
  revisions: Map<string, string[]>;
  input: ReconcileInput;
  deps: IndexDeps;
  summary: ReconcileSummary;
}

/**
 * Describes a page of services and indexes those that changed (or are due to be written again
 * before their TTL runs out), and removes those that are gone; the others cost nothing more.
 */
async function reconcileServices(clusterArn: string, serviceArns: readonly string[], page: PageContext) {
  const { remembered, revisions, input, deps, summary } = page;
  if (serviceArns.length === 0) return;
  const refs: ServiceRef[] = serviceArns.map((service) => ({ cluster: clusterArn, service }));
  const described = await deps.ecs.describeServices(refs);
  const now = deps.now();
  const changed: ServiceState[] = [];
  for (const service of described) {
    const before = remembered.get(service.arn);
    const same = before?.fingerprint === indexFingerprint(service, deps.policyFile, now);
    if (same && before && !renewalDue(before, now)) summary.counts.unchanged++;
    else changed.push(service);
  }
  const found = new Set(described.map((s) => s.arn));
  const gone = refs.filter((ref) => !found.has(ref.service));
  if (changed.length === 0 && gone.length === 0) return;
  const again = changed.map((s) => ({ cluster: clusterArn, service: s.arn }));
  const announced = await announcedIn(clusterArn, [...again, ...gone], deps);
  const decisions = await indexServices(
    { refs: [...again, ...gone], triggeredBy: input.triggeredBy, described: changed, revisions, announced },
    deps,
  );
  for (const decision of decisions) {
    summary.counts[decision.action === 'indexed' ? 'indexed' : 'removed']++;
    summary.counts.problems += decision.problems?.filter((p) => p.action !== 'known').length ?? 0;
    if (summary.decisions.length < SUMMARY_DECISIONS) summary.decisions.push(decision);
  }
}
