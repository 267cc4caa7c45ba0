/**
 * Decide, then apply, for restarts. The planners only read (their deps are read views of the ports)
 * and return a {@link RestartPlan}: decisions with their reasons and the effects they call for.
 *
 * - `planTaskStopped` (restart-tasks, a standalone task STOPPED): classify the stop, find the task's
 *   opt-in and its chain, and decide: ignore, restart after the backoff (the chain saved, a message
 *   queued with the delay), or abandon (the chain saved abandoned, announced).
 * - `planRestartDue` (restart-due, a delay message): the chain read again; only the attempt it is
 *   waiting for is started (claimed once by a conditional write, RunTask idempotent on its client
 *   token); RunTask's failures back off to the next attempt or abandon (`afterRunTask`).
 * - `planLaunchCaptured` / `planRunningCaptured`: a launch spec saved for the tasks it started.
 */
import type { StopClass } from '../../events/autopilot-events';
import type {
  LaunchSpec,
  LaunchSpecSource,
  RestartChain,
  RestartChains,
  RestartMessage,
  RunTaskResult,
  SpecWait,
  TaskReader,
  TaskView,
} from '../../ports';
import { clusterNameOf, parseTaskArn, parseTaskDefinition } from '../aws/arn';
import type { Plan } from '../plan/plan';
import { formatDuration } from '../policy/duration';
import { DEFAULT_SPEC_WAIT_SECONDS, type RestartRuleText, restartRuleFor } from '../policy/restart-policy';
import { type Backoff, backoffDelay, DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, ranLongEnough } from './backoff';
import { type Classified, classifyStop, type StoppedTask } from './classify';
import {
  ATTEMPT_TAG,
  AUTOPILOT_STARTED_BY,
  parseRestartMode,
  RESTART_OF_TAG,
  RESTART_TAG,
  type RestartMode,
  STARTED_BY_TAG,
} from './restart-mode';

/** A chain remembers why its last tasks stopped, this many. */
const LAST_REASONS = 10;
/** A chain's stopped tasks kept to recognise duplicate events. */
const HANDLED_STOPS = 20;

/** What identifies a chain and its task, in every decision that is about one. */
interface ChainRef {
  cluster: string;
  clusterArn: string;
  chainId: string;
  taskDefinition: string;
  group?: string;
  attempt: number;
  maxAttempts: number;
  class: StopClass;
  triggeredBy: string;
}

/** A decision about a stopped task, a due restart, or a captured launch spec (a union on `action`). */
export type RestartDecision =
  | { action: 'ignore'; taskArn: string; class?: StopClass; reason: string; dryRun?: boolean }
  | (ChainRef & {
      action: 'restart';
      previousTaskArn: string;
      stopReason: string;
      delaySeconds: number;
      reason: string;
      dryRun?: boolean;
    })
  | (ChainRef & {
      action: 'started';
      previousTaskArn: string;
      taskArn: string;
      stopReason: string;
      delaySeconds: number;
      reason: string;
      dryRun?: boolean;
    })
  | (ChainRef & {
      action: 'abandon';
      lastTaskArn: string;
      lastReasons: string[];
      reason: string;
      dryRun?: boolean;
    })
  | (ChainRef & {
      action: 'await-spec';
      previousTaskArn: string;
      /** when the chain gives up waiting */
      until: string;
      reason: string;
      dryRun?: boolean;
    })
  | { action: 'capture'; taskArn: string; source: LaunchSpecSource; reason: string; dryRun?: boolean };

/** What a restart decision calls for (a union on `kind`). */
export type RestartEffect =
  | {
      kind: 'save-spec';
      decision: number;
      clusterArn: string;
      taskArn: string;
      spec: LaunchSpec;
      source: LaunchSpecSource;
    }
  | { kind: 'save-chain'; decision: number; chain: RestartChain }
  | {
      kind: 'schedule-restart';
      decision: number;
      message: RestartMessage;
      delaySeconds: number;
    }
  | {
      kind: 'run-task';
      decision: number;
      chain: RestartChain;
      clientToken: string;
      tags: Record<string, string>;
    };

export type RestartPlan = Plan<RestartDecision, RestartEffect>;

/** What planning a stopped task reads. */
export interface StopReads {
  tasks: TaskReader;
  chains: Pick<RestartChains, 'getSpec' | 'getChain'>;
  /** the policy file's `restart:` rules (none: tasks opt in by their tag only) */
  restartRules?: readonly RestartRuleText[];
}

/** A standalone task's STOPPED event, as the planner reads it. */
export interface TaskStop extends StoppedTask {
  clusterArn: string;
  taskArn: string;
  taskDefinitionArn: string;
  group?: string;
  startedBy?: string;
  startedAt?: string;
  stoppedAt: string;
  eventId: string;
}

const one = (decision: RestartDecision, effects: RestartEffect[] = []): RestartPlan => ({
  decisions: [decision],
  effects,
});

const taskIdOf = (taskArn: string) => parseTaskArn(taskArn)?.taskId ?? taskArn;

/** How each class of stop is answered in each mode: restart (with the backoff or at once), or not. */
function verdictOf(
  classified: Classified,
  mode: RestartMode,
): { restart: true; atOnce: boolean } | { restart: false; abandon: boolean; why: string } {
  switch (classified.class) {
    case 'exited-non-zero':
    case 'out-of-memory':
    case 'failed-to-start-transient':
    case 'run-task-failed':
      return { restart: true, atOnce: false };
    case 'capacity-lost':
      return { restart: true, atOnce: true };
    case 'exited-zero':
      return mode === 'always'
        ? { restart: true, atOnce: false }
        : { restart: false, abandon: false, why: 'exited 0: its work is done (only `always` restarts it)' };
    case 'stopped-by-user':
      return { restart: false, abandon: false, why: 'stopped by a user: never restarted' };
    case 'stopped-by-scheduler':
      return { restart: false, abandon: false, why: 'stopped by its service scheduler: never restarted' };
    case 'stopped-by-autopilot':
      return { restart: false, abandon: false, why: 'stopped by autopilot itself: never restarted' };
    case 'failed-to-start-permanent':
      return { restart: false, abandon: true, why: 'it cannot start, and trying again will not heal that' };
    case 'unknown':
      return { restart: false, abandon: false, why: 'a stop autopilot does not know: not restarted' };
  }
}

/**
 * The launch spec a chain starts from. A RUNNING event does not carry the task's tags, so a spec kept
 * from one takes them from DescribeTasks (what the task was started with, or got propagated), the
 * tags a restart adds itself and AWS's reserved `aws:` ones left out: the new task keeps its tags.
 */
function withTagsOf(
  taskTags: TaskView['tags'] | undefined,
  kept: { spec: LaunchSpec; source: LaunchSpecSource } | undefined,
): LaunchSpec | undefined {
  if (kept?.source !== 'running' || kept.spec.tags !== undefined || !taskTags) return kept?.spec;
  const added = new Set([RESTART_OF_TAG, ATTEMPT_TAG, STARTED_BY_TAG]);
  const tags = Object.entries(taskTags)
    .filter(([key]) => !key.startsWith('aws:') && !added.has(key))
    .map(([key, value]) => ({ key, value }));
  return tags.length > 0 ? { ...kept.spec, tags } : kept.spec;
}

/**
 * Plans what a standalone task's STOPPED event calls for.
 *
 * @example
 * const plan = await planTaskStopped(stop, { tasks, chains }, new Date());
 * // { decisions: [{ action: 'restart', attempt: 1, delaySeconds: 10, … }], effects: [save-chain, schedule-restart] }
 */
export async function planTaskStopped(stop: TaskStop, reads: StopReads, now: Date): Promise<RestartPlan> {
  const classified = classifyStop(stop);
  const ignore = (reason: string) =>
    one({ action: 'ignore', taskArn: stop.taskArn, class: classified.class, reason });
  if (stop.group?.startsWith('service:')) return ignore('a task of a service: its service replaces it');

  const task = await reads.tasks.describeTask(stop.clusterArn, stop.taskArn);
  const tags = task?.tags ?? {};
  const chainId = tags[RESTART_OF_TAG] ?? taskIdOf(stop.taskArn);
  const chain = await reads.chains.getChain(stop.clusterArn, chainId);

  if (chain?.handledStops.includes(stop.taskArn)) {
    // The same event again (a retry of a run that stopped after saving the chain): what the saved
    // decision still calls for is done again; any other event about this stop is a duplicate.
    return chain.currentTaskArn === stop.taskArn
      ? (resumeDecided(chain, stop.eventId, stop.eventId, now) ??
          ignore(`already decided (chain ${chainId})`))
      : ignore(`already decided (chain ${chainId})`);
  }
  if (chain && chain.currentTaskArn !== stop.taskArn) {
    return ignore(
      `autopilot already replaced this task (chain ${chainId} runs ${taskIdOf(chain.currentTaskArn)})`,
    );
  }
  if (chain?.state === 'abandoned') return ignore(`chain ${chainId} was abandoned`);

  // A chain goes on with the mode it was decided with; a first stop reads the task's tag, then the
  // policy file's first matching rule (whose backoff and limit apply either way).
  const rule = restartRuleFor(reads.restartRules ?? [], {
    cluster: clusterNameOf(stop.clusterArn),
    family: parseTaskDefinition(stop.taskDefinitionArn)?.family ?? stop.taskDefinitionArn,
    ...(stop.group ? { group: stop.group } : {}),
    ...((stop.startedBy ?? task?.startedBy) ? { startedBy: stop.startedBy ?? task?.startedBy } : {}),
  });
  const tagged = tags[RESTART_TAG];
  const parsed = chain
    ? { mode: chain.mode as RestartMode, by: 'its chain' }
    : tagged !== undefined
      ? { ...parseRestartMode(tagged), by: `tag ${RESTART_TAG}` }
      : rule
        ? { mode: rule.mode, by: `policy ${rule.name}` }
        : undefined;
  if (parsed === undefined) {
    return ignore(
      task
        ? `not opted in (no ${RESTART_TAG} tag, no restart rule)`
        : `not opted in: the task is no longer described, so its ${RESTART_TAG} tag is unknown, and no restart rule matches`,
    );
  }
  if ('invalid' in parsed) return ignore(parsed.invalid);
  if (parsed.mode === 'off') return ignore(`restarts are off (${parsed.by})`);
  const mode = parsed.mode;
  const backoff: Backoff = chain?.backoff ?? rule?.backoff ?? DEFAULT_BACKOFF;
  const maxAttempts = chain?.maxAttempts ?? rule?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const verdict = verdictOf(classified, mode);
  const reset =
    chain !== undefined && ranLongEnough(stop.startedAt ?? task?.startedAt, stop.stoppedAt, backoff);
  const made = chain && !reset ? chain.attempt : 0;
  const attempt = made + 1;
  const lastReasons = [classified.reason, ...(chain?.lastReasons ?? [])].slice(0, LAST_REASONS);
  const ref: ChainRef = {
    cluster: clusterNameOf(stop.clusterArn),
    clusterArn: stop.clusterArn,
    chainId,
    taskDefinition: stop.taskDefinitionArn,
    ...(stop.group ? { group: stop.group } : {}),
    attempt,
    maxAttempts,
    class: classified.class,
    triggeredBy: stop.eventId,
  };
  const base = {
    clusterArn: stop.clusterArn,
    chainId,
    maxAttempts,
    currentTaskArn: stop.taskArn,
    handledStops: [stop.taskArn, ...(chain?.handledStops ?? [])].slice(0, HANDLED_STOPS),
    lastReasons,
    lastClass: classified.class,
    mode,
    backoff,
    decidedBy: stop.eventId,
    updatedAt: now.toISOString(),
    version: (chain?.version ?? 0) + 1,
  };

  const abandon = (reason: string, spec: LaunchSpec | undefined): RestartPlan => {
    const decision: RestartDecision = {
      ...ref,
      attempt: made,
      action: 'abandon',
      lastTaskArn: stop.taskArn,
      lastReasons,
      reason,
    };
    const saved: RestartChain = {
      ...base,
      spec: spec ?? { cluster: stop.clusterArn, taskDefinition: stop.taskDefinitionArn },
      state: 'abandoned',
      attempt: made,
      abandonReason: reason,
    };
    return one(decision, [{ kind: 'save-chain', decision: 0, chain: saved }]);
  };

  if (!verdict.restart) {
    return verdict.abandon
      ? abandon(`${classified.reason}: ${verdict.why}`, chain?.spec)
      : ignore(verdict.why);
  }
  if (attempt > maxAttempts) {
    return abandon(`${made} of ${maxAttempts} restarts made, the task still fails`, chain?.spec);
  }
  const spec =
    chain?.spec ?? withTagsOf(task?.tags, await reads.chains.getSpec(stop.clusterArn, stop.taskArn));
  const delaySeconds = verdict.atOnce ? 0 : backoffDelay(attempt, backoff);
  const dueAt = new Date(now.getTime() + delaySeconds * 1000).toISOString();
  if (spec === undefined) {
    // Its RunTask record has not come yet (CloudTrail is minutes behind, at times): wait for it,
    // looking again every so often; a spec is never guessed.
    const wait = rule?.launchSpecWaitSeconds ?? DEFAULT_SPEC_WAIT_SECONDS;
    if (wait <= 0) return abandon('launch spec unknown', undefined);
    const specWait: SpecWait = {
      until: new Date(now.getTime() + wait * 1000).toISOString(),
      every: specCheckEvery(wait),
      check: 1,
      ...(task && Object.keys(task.tags).length > 0 ? { tags: task.tags } : {}),
    };
    const awaiting: RestartChain = {
      ...base,
      spec: { cluster: stop.clusterArn, taskDefinition: stop.taskDefinitionArn },
      state: 'awaiting-spec',
      attempt,
      nextAttemptAt: dueAt,
      delaySeconds,
      specWait,
    };
    return one(
      {
        ...ref,
        action: 'await-spec',
        previousTaskArn: stop.taskArn,
        until: specWait.until,
        reason: `${mode} (${parsed.by}): ${classified.reason}; launch spec not known yet (no RunTask record): looked for every ${specWait.every}s until ${specWait.until}, then restart ${attempt} of ${maxAttempts}`,
      },
      [{ kind: 'save-chain', decision: 0, chain: awaiting }, specCheckEffect(awaiting, stop.eventId, now)],
    );
  }

  const why = `${mode} (${parsed.by}): ${classified.reason}; restart ${attempt} of ${maxAttempts} ${delaySeconds > 0 ? `after ${delaySeconds}s` : 'at once'}${reset ? ' (the last task ran long enough: a new count)' : ''}`;
  const decision: RestartDecision = {
    ...ref,
    action: 'restart',
    previousTaskArn: stop.taskArn,
    stopReason: classified.reason,
    delaySeconds,
    reason: why,
  };
  const saved: RestartChain = {
    ...base,
    spec,
    state: 'waiting',
    attempt,
    nextAttemptAt: dueAt,
    delaySeconds,
  };
  return one(decision, [
    { kind: 'save-chain', decision: 0, chain: saved },
    {
      kind: 'schedule-restart',
      decision: 0,
      message: { clusterArn: stop.clusterArn, chainId, attempt, triggeredBy: stop.eventId },
      delaySeconds,
    },
  ]);
}

/** The whole seconds left until a waiting chain's next attempt is due (0 when due or unknown). */
function secondsLeft(chain: RestartChain, now: Date): number {
  return chain.nextAttemptAt
    ? Math.max(0, Math.ceil((Date.parse(chain.nextAttemptAt) - now.getTime()) / 1000))
    : 0;
}

/**
 * How often an awaiting chain looks for its launch spec: a tenth of the wait, between 1 and 30 seconds
 * (15 minutes: every 30 seconds, 30 checks at most).
 */
export function specCheckEvery(waitSeconds: number): number {
  return Math.min(30, Math.max(1, Math.round(waitSeconds / 10)));
}

/** The message of an awaiting chain's next look for its launch spec, due in `every` (or at its deadline). */
function specCheckEffect(
  chain: RestartChain,
  triggeredBy: string,
  now: Date,
): Extract<RestartEffect, { kind: 'schedule-restart' }> {
  const wait = chain.specWait as SpecWait;
  const untilDeadline = Math.max(0, Math.ceil((Date.parse(wait.until) - now.getTime()) / 1000));
  return {
    kind: 'schedule-restart',
    decision: 0,
    message: {
      clusterArn: chain.clusterArn,
      chainId: chain.chainId,
      attempt: chain.attempt,
      triggeredBy,
      specCheck: wait.check,
    },
    delaySeconds: Math.min(wait.every, untilDeadline),
  };
}

/** The message of a waiting chain's attempt, due in `delaySeconds`. */
function attemptEffect(chain: RestartChain, triggeredBy: string, delaySeconds: number): RestartEffect {
  return {
    kind: 'schedule-restart',
    decision: 0,
    message: { clusterArn: chain.clusterArn, chainId: chain.chainId, attempt: chain.attempt, triggeredBy },
    delaySeconds,
  };
}

/**
 * What a chain's saved decision still calls for when the event or message that decided it
 * (`decidedBy`) comes again, its earlier run having stopped after saving the chain: the message it
 * queued sent again (restart-due carries an attempt or a check out once, so a second one changes
 * nothing), or a start or an abandonment announced again when its announcement was not marked.
 * `undefined` when the chain holds another decision, or nothing of this one is left to do.
 */
function resumeDecided(
  chain: RestartChain,
  decidedBy: string,
  triggeredBy: string,
  now: Date,
): RestartPlan | undefined {
  if (chain.decidedBy !== decidedBy) return undefined;
  const ref = refOfChain(chain, triggeredBy);
  const stopReason = chain.lastReasons[0] ?? chain.lastClass;
  const again = `decided by ${decidedBy.includes('#') ? 'this message' : 'this event'} before`;
  switch (chain.state) {
    case 'waiting':
      return one(
        {
          ...ref,
          action: 'restart',
          previousTaskArn: chain.currentTaskArn,
          stopReason,
          delaySeconds: waitedOf(chain),
          reason: `restart ${chain.attempt} of ${chain.maxAttempts} ${again}; queued again`,
        },
        [attemptEffect(chain, triggeredBy, secondsLeft(chain, now))],
      );
    case 'awaiting-spec':
      // Only the stop's own event: a look queues the next one before it saves the chain (see
      // planSpecCheck), so a look delivered again never adds a second line of looks.
      return chain.specWait && !decidedBy.startsWith(SPEC_CHECK)
        ? one(
            {
              ...ref,
              action: 'await-spec',
              previousTaskArn: chain.currentTaskArn,
              until: chain.specWait.until,
              reason: `a look for the launch spec (check ${chain.specWait.check}) ${again}; queued again`,
            },
            [specCheckEffect(chain, triggeredBy, now)],
          )
        : undefined;
    case 'running':
      return chain.announced === announcedKey(chain)
        ? undefined
        : one({
            ...ref,
            action: 'started',
            previousTaskArn: chain.handledStops[0] ?? chain.currentTaskArn,
            taskArn: chain.currentTaskArn,
            stopReason,
            delaySeconds: waitedOf(chain),
            reason: `attempt ${chain.attempt} of ${chain.maxAttempts} started ${taskIdOf(chain.currentTaskArn)} before; announced again`,
          });
    case 'abandoned':
      return chain.announced === announcedKey(chain)
        ? undefined
        : one({
            ...ref,
            action: 'abandon',
            lastTaskArn: chain.currentTaskArn,
            lastReasons: chain.lastReasons,
            reason: chain.abandonReason ?? 'abandoned',
          });
    default:
      return undefined;
  }
}

/** What a chain's announcement is remembered as: its state and attempt. */
export const announcedKey = (chain: Pick<RestartChain, 'state' | 'attempt'>) =>
  `${chain.state}#${chain.attempt}`;

/** The `decidedBy` of what restart-due decided on RunTask's answer for attempt `attempt`. */
const runTaskKey = (attempt: number) => `run-task#${attempt}`;

/** The `decidedBy` of what restart-due decided on look `check` for a chain's launch spec. */
const SPEC_CHECK = 'spec-check#';
const specCheckKey = (check: number) => `${SPEC_CHECK}${check}`;

/** A due restart message, as the planner reads it. */
export type DueRestart = RestartMessage;

/**
 * RunTask's idempotency token for attempt `attempt` of a chain: the same attempt never starts two
 * tasks, whoever retries it (at most 64 characters, as RunTask allows).
 */
export function clientTokenOf(chainId: string, attempt: number): string {
  return `autopilot-${chainId.slice(0, 40)}-${attempt}`;
}

/** The tags of a restarted task beyond its spec's: the chain, the attempt, the caller's startedBy. */
export function restartTags(chain: RestartChain): Record<string, string> {
  return {
    [RESTART_OF_TAG]: chain.chainId,
    'autopilot:attempt': String(chain.attempt),
    ...(chain.spec.startedBy && chain.spec.startedBy !== AUTOPILOT_STARTED_BY
      ? { 'autopilot:started-by': chain.spec.startedBy }
      : {}),
  };
}

const refOfChain = (chain: RestartChain, triggeredBy: string): ChainRef => ({
  cluster: clusterNameOf(chain.clusterArn),
  clusterArn: chain.clusterArn,
  chainId: chain.chainId,
  taskDefinition: chain.spec.taskDefinition,
  ...(chain.spec.group ? { group: chain.spec.group } : {}),
  attempt: chain.attempt,
  maxAttempts: chain.maxAttempts,
  class: chain.lastClass as StopClass,
  triggeredBy,
});

/**
 * The backoff the chain's attempt was given when it was decided: kept on the chain, since a look for
 * the spec or the start moves `updatedAt` (older chains: from their last update to when it is due).
 */
const waitedOf = (chain: RestartChain) =>
  chain.delaySeconds ??
  (chain.nextAttemptAt === undefined
    ? 0
    : Math.max(0, Math.round((Date.parse(chain.nextAttemptAt) - Date.parse(chain.updatedAt)) / 1000)));

/**
 * Plans a due restart: the chain read again; the attempt it waits for is claimed (`starting`, the
 * intent, written before RunTask) and started; one already `starting` at this attempt (a run that
 * stopped after its claim) is started again with the same client token. Anything else is a message
 * the chain has moved past: ignored.
 */
export async function planRestartDue(
  due: DueRestart,
  reads: { chains: Pick<RestartChains, 'getChain' | 'getSpec'> },
  now: Date,
): Promise<RestartPlan> {
  const chain = await reads.chains.getChain(due.clusterArn, due.chainId);
  const ignore = (reason: string) =>
    one({ action: 'ignore', taskArn: chain?.currentTaskArn ?? due.chainId, reason });
  if (!chain) return ignore(`no chain ${due.chainId}`);
  const key = due.specCheck === undefined ? runTaskKey(due.attempt) : specCheckKey(due.specCheck);
  const resumed = resumeDecided(chain, key, due.triggeredBy, now);
  if (resumed) return resumed;
  if (due.specCheck !== undefined) {
    const wait = chain.specWait;
    return chain.state === 'awaiting-spec' && wait?.check === due.specCheck && chain.attempt === due.attempt
      ? planSpecCheck(chain, wait, due, reads, now)
      : ignore(
          `chain ${due.chainId} is ${chain.state}${wait ? ` at check ${wait.check}` : ''}, not awaiting check ${due.specCheck} of its launch spec`,
        );
  }
  if (chain.attempt !== due.attempt || (chain.state !== 'waiting' && chain.state !== 'starting')) {
    return ignore(
      `chain ${due.chainId} is ${chain.state} at attempt ${chain.attempt}, not waiting for attempt ${due.attempt}`,
    );
  }
  const starting: RestartChain =
    chain.state === 'starting'
      ? chain
      : { ...chain, state: 'starting', updatedAt: now.toISOString(), version: chain.version + 1 };
  const decision: RestartDecision = {
    ...refOfChain(chain, due.triggeredBy),
    action: 'restart',
    previousTaskArn: chain.currentTaskArn,
    stopReason: chain.lastReasons[0] ?? chain.lastClass,
    delaySeconds: waitedOf(chain),
    reason: `attempt ${chain.attempt} of ${chain.maxAttempts} is due`,
  };
  return one(decision, [
    ...(chain.state === 'waiting' ? [{ kind: 'save-chain' as const, decision: 0, chain: starting }] : []),
    {
      kind: 'run-task',
      decision: 0,
      chain: starting,
      clientToken: clientTokenOf(chain.chainId, chain.attempt),
      tags: restartTags(chain),
    },
  ]);
}

/**
 * Plans look `wait.check` for an awaiting chain's launch spec: found (its RunTask record, or its
 * RUNNING event, came meanwhile), the chain waits for its attempt as decided at the stop (at once
 * when that time has passed); not found by the deadline, the chain is given up, "launch spec
 * unknown"; otherwise the next look is queued, then the chain saved at it. Every save is conditional
 * on the chain's version, so a look delivered twice is done once (the second finds the chain moved
 * on), and two messages of one look at most make one more.
 */
async function planSpecCheck(
  chain: RestartChain,
  wait: SpecWait,
  due: DueRestart,
  reads: { chains: Pick<RestartChains, 'getSpec'> },
  now: Date,
): Promise<RestartPlan> {
  const ref = refOfChain(chain, due.triggeredBy);
  const { specWait: _, ...decided } = {
    ...chain,
    decidedBy: specCheckKey(wait.check),
    updatedAt: now.toISOString(),
    version: chain.version + 1,
  };
  const kept = await reads.chains.getSpec(chain.clusterArn, chain.currentTaskArn);
  const spec = withTagsOf(wait.tags, kept);
  if (spec && kept) {
    const waiting: RestartChain = { ...decided, spec, state: 'waiting' };
    const left = secondsLeft(waiting, now);
    return one(
      {
        ...ref,
        action: 'restart',
        previousTaskArn: chain.currentTaskArn,
        stopReason: chain.lastReasons[0] ?? chain.lastClass,
        delaySeconds: waitedOf(chain),
        reason: `launch spec found (${kept.source === 'run-task' ? 'its RunTask record' : 'its RUNNING event'}) at look ${wait.check}; restart ${chain.attempt} of ${chain.maxAttempts} ${left > 0 ? `after ${left}s` : 'at once'}`,
      },
      [{ kind: 'save-chain', decision: 0, chain: waiting }, attemptEffect(waiting, due.triggeredBy, left)],
    );
  }
  if (now.getTime() >= Date.parse(wait.until)) {
    const reason = `launch spec unknown: its RunTask record had not arrived by ${wait.until} (${wait.check} ${wait.check === 1 ? 'look' : 'looks'} in ${formatDuration(wait.check * wait.every * 1000)}), and a spec is never guessed`;
    const { nextAttemptAt: __, ...abandoned } = {
      ...decided,
      state: 'abandoned' as const,
      attempt: chain.attempt - 1,
      abandonReason: reason,
    };
    return one(
      {
        ...ref,
        attempt: abandoned.attempt,
        action: 'abandon',
        lastTaskArn: chain.currentTaskArn,
        lastReasons: chain.lastReasons,
        reason,
      },
      [{ kind: 'save-chain', decision: 0, chain: abandoned }],
    );
  }
  const next: RestartChain = { ...decided, specWait: { ...wait, check: wait.check + 1 } };
  const look = specCheckEffect(next, due.triggeredBy, now);
  return one(
    {
      ...ref,
      action: 'await-spec',
      previousTaskArn: chain.currentTaskArn,
      until: wait.until,
      reason: `launch spec still unknown at look ${wait.check}: looked for again in ${look.delaySeconds}s (until ${wait.until})`,
    },
    // The next look queued first: a run that stops before saving leaves the chain at this look, so
    // this message, delivered again, looks again; saved first, it would leave no look queued.
    [look, { kind: 'save-chain', decision: 0, chain: next }],
  );
}

/**
 * What RunTask's answer calls for: the chain running the new task (`started`), or, for `failures[]`,
 * the next attempt after its backoff, or the chain abandoned when it was the last.
 */
export function afterRunTask(
  chain: RestartChain,
  result: RunTaskResult,
  decision: Extract<RestartDecision, { action: 'restart' }>,
  now: Date,
): { decision: RestartDecision; effects: RestartEffect[] } {
  const ref = refOfChain(chain, decision.triggeredBy);
  if ('taskArn' in result) {
    const running: RestartChain = {
      ...chain,
      decidedBy: runTaskKey(chain.attempt),
      state: 'running',
      currentTaskArn: result.taskArn,
      updatedAt: now.toISOString(),
      version: chain.version + 1,
    };
    const { nextAttemptAt: _, ...withoutDue } = running;
    return {
      decision: {
        ...ref,
        action: 'started',
        previousTaskArn: decision.previousTaskArn,
        taskArn: result.taskArn,
        stopReason: decision.stopReason,
        delaySeconds: decision.delaySeconds,
        reason: `${decision.reason}: started ${taskIdOf(result.taskArn)}`,
      },
      effects: [{ kind: 'save-chain', decision: 0, chain: withoutDue }],
    };
  }
  const why = `RunTask failed: ${result.failures.join('; ') || 'no task started'}`;
  const lastReasons = [why, ...chain.lastReasons].slice(0, LAST_REASONS);
  if (chain.attempt >= chain.maxAttempts) {
    const abandoned: RestartChain = {
      ...chain,
      decidedBy: runTaskKey(chain.attempt),
      state: 'abandoned',
      abandonReason: `${chain.attempt} of ${chain.maxAttempts} restarts made: ${why}`,
      lastReasons,
      lastClass: 'run-task-failed',
      updatedAt: now.toISOString(),
      version: chain.version + 1,
    };
    return {
      decision: {
        ...ref,
        class: 'run-task-failed',
        action: 'abandon',
        lastTaskArn: chain.currentTaskArn,
        lastReasons,
        reason: `${chain.attempt} of ${chain.maxAttempts} restarts made: ${why}`,
      },
      effects: [{ kind: 'save-chain', decision: 0, chain: abandoned }],
    };
  }
  const attempt = chain.attempt + 1;
  const delaySeconds = backoffDelay(attempt, chain.backoff);
  const next: RestartChain = {
    ...chain,
    decidedBy: runTaskKey(chain.attempt),
    state: 'waiting',
    attempt,
    lastReasons,
    lastClass: 'run-task-failed',
    nextAttemptAt: new Date(now.getTime() + delaySeconds * 1000).toISOString(),
    delaySeconds,
    updatedAt: now.toISOString(),
    version: chain.version + 1,
  };
  return {
    decision: {
      ...ref,
      attempt,
      class: 'run-task-failed',
      action: 'restart',
      previousTaskArn: chain.currentTaskArn,
      stopReason: why,
      delaySeconds,
      reason: `${why}; restart ${attempt} of ${chain.maxAttempts} after ${delaySeconds}s`,
    },
    effects: [
      { kind: 'save-chain', decision: 0, chain: next },
      {
        kind: 'schedule-restart',
        decision: 0,
        message: {
          clusterArn: chain.clusterArn,
          chainId: chain.chainId,
          attempt,
          triggeredBy: decision.triggeredBy,
        },
        delaySeconds,
      },
    ],
  };
}

/** Plans saving the launch spec of each task a RunTask / StartTask record started. */
export function planLaunchCaptured(
  launched: readonly { clusterArn: string; taskArn: string; spec: LaunchSpec }[],
  source: LaunchSpecSource,
): RestartPlan {
  return {
    decisions: launched.map((l) => ({
      action: 'capture' as const,
      taskArn: l.taskArn,
      source,
      reason:
        source === 'run-task' ? 'launch spec from its RunTask record' : 'launch spec from its RUNNING event',
    })),
    effects: launched.map((l, i) => ({
      kind: 'save-spec' as const,
      decision: i,
      clusterArn: l.clusterArn,
      taskArn: l.taskArn,
      spec: l.spec,
      source,
    })),
  };
}
