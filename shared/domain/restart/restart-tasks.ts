/**
 * The restart use cases, each `(input, deps)`: plan (reads only), then `applyPlan` with the restart
 * applier, the events being the report of the decisions as carried out. Dry run applies nothing and
 * reports the decisions marked `dryRun`.
 */
import type {
  EventPublisher,
  LaunchSpec,
  NetworkInterfaceReader,
  NetworkInterfaceView,
  RestartChains,
  RestartScheduler,
  TaskReader,
  TaskStarter,
} from '../../ports';
import { applyPlan } from '../plan/plan';
import type { RestartRuleText } from '../policy/restart-policy';
import {
  launchSpecFromRequest,
  launchSpecFromRunning,
  networkInterfaceOf,
  type RunningTask,
} from './launch-spec';
import { restartEffects } from './restart-effects';
import { restartEvents } from './restart-events';
import {
  announcedKey,
  type DueRestart,
  planLaunchCaptured,
  planRestartDue,
  planTaskStopped,
  type RestartDecision,
  type RestartPlan,
  type TaskStop,
} from './restart-plan';

/** restart-tasks' ports: reads tasks, keeps chains and specs, queues restarts, announces. */
export interface RestartTasksDeps {
  tasks: TaskReader;
  /** the security groups of a RUNNING awsvpc task whose RunTask record never came */
  networkInterfaces: NetworkInterfaceReader;
  /** the policy file's `restart:` rules */
  restartRules?: readonly RestartRuleText[];
  chains: RestartChains;
  scheduler: RestartScheduler;
  events: EventPublisher;
  dryRun: boolean;
  now: () => Date;
}

/** restart-due's ports: starts tasks, keeps chains, queues the next attempt, announces. */
export interface RestartDueDeps {
  starter: TaskStarter;
  chains: RestartChains;
  scheduler: RestartScheduler;
  events: EventPublisher;
  dryRun: boolean;
  now: () => Date;
}

async function carryOut(
  plan: RestartPlan,
  deps: Omit<RestartTasksDeps, 'tasks' | 'networkInterfaces'> & { starter?: TaskStarter },
): Promise<RestartDecision[]> {
  const decisions = await applyPlan(plan, restartEffects(deps), {
    dryRun: deps.dryRun,
    report: async (decided) => {
      const events = restartEvents(decided);
      if (events.length > 0) await deps.events.publish(events);
    },
  });
  if (!deps.dryRun) await markAnnounced(decisions, deps);
  return decisions;
}

/**
 * After PutEvents, each chain whose start or abandonment went out is marked announced, so a retry
 * of the message or event that decided it announces nothing again (stopped between the two, it
 * announces twice, never none). A chain that moved on meanwhile is left as it is.
 */
async function markAnnounced(
  decisions: readonly RestartDecision[],
  deps: Pick<RestartTasksDeps, 'chains' | 'now'>,
): Promise<void> {
  for (const d of decisions) {
    if (d.action !== 'started' && d.action !== 'abandon') continue;
    const chain = await deps.chains.getChain(d.clusterArn, d.chainId);
    const state = d.action === 'started' ? 'running' : 'abandoned';
    if (!chain || chain.state !== state || chain.attempt !== d.attempt) continue;
    const key = announcedKey(chain);
    if (chain.announced === key) continue;
    await deps.chains.saveChain({ ...chain, announced: key, version: chain.version + 1 });
  }
}

/**
 * A standalone task stopped: restart it after its backoff, give up, or leave it.
 *
 * @example await onStandaloneTaskStopped(stop, deps) // [{ action: 'restart', attempt: 1, delaySeconds: 10, … }]
 */
export async function onStandaloneTaskStopped(
  stop: TaskStop,
  deps: RestartTasksDeps,
): Promise<RestartDecision[]> {
  return carryOut(await planTaskStopped(stop, deps, deps.now()), deps);
}

/** A restart message is due: start the attempt it names, once. */
export async function restartDue(due: DueRestart, deps: RestartDueDeps): Promise<RestartDecision[]> {
  return carryOut(await planRestartDue(due, deps, deps.now()), deps);
}

/** A RunTask / StartTask record: keep the launch spec of each task it started. */
export async function captureLaunch(
  launched: {
    clusterArn: (taskArn: string) => string | undefined;
    taskArns: readonly string[];
    request: Record<string, unknown>;
  },
  deps: Pick<RestartTasksDeps, 'chains' | 'scheduler' | 'events' | 'dryRun' | 'now'>,
): Promise<RestartDecision[]> {
  const specs = launched.taskArns.flatMap((taskArn) => {
    const clusterArn = launched.clusterArn(taskArn);
    const spec: LaunchSpec | undefined = clusterArn
      ? launchSpecFromRequest(launched.request, clusterArn)
      : undefined;
    return clusterArn && spec ? [{ clusterArn, taskArn, spec }] : [];
  });
  return carryOut(planLaunchCaptured(specs, 'run-task'), deps);
}

/**
 * A standalone task is RUNNING: keep what its event shows as its launch spec when its RunTask record
 * has not been kept. An awsvpc task's security groups (and whether it has a public IP) are read from
 * its network interface, named in the event; an interface gone, or a read EC2 refuses, leaves the
 * spec unknown: a restart never guesses them.
 */
export async function captureRunning(
  task: RunningTask & { taskArn: string },
  deps: Pick<RestartTasksDeps, 'chains' | 'networkInterfaces' | 'scheduler' | 'events' | 'dryRun' | 'now'>,
): Promise<RestartDecision[]> {
  const known = await deps.chains.getSpec(task.clusterArn, task.taskArn);
  if (known)
    return [{ action: 'ignore', taskArn: task.taskArn, reason: `launch spec known (${known.source})` }];
  const unknown = (why: string): RestartDecision[] => [
    { action: 'ignore', taskArn: task.taskArn, reason: `launch spec unknown: ${why}` },
  ];
  const eni = networkInterfaceOf(task);
  let networkInterface: NetworkInterfaceView | undefined;
  if (eni) {
    if (eni.networkInterfaceId === undefined)
      return unknown('awsvpc task: its event names no network interface and its RunTask record never came');
    const read = await deps.networkInterfaces.describeNetworkInterface(eni.networkInterfaceId);
    if ('unavailable' in read)
      return unknown(
        `awsvpc task: its network interface ${eni.networkInterfaceId} ${read.unavailable} and its RunTask record never came`,
      );
    networkInterface = read.networkInterface;
  }
  const found = launchSpecFromRunning(task, networkInterface);
  if ('unknown' in found) return unknown(found.unknown);
  return carryOut(
    planLaunchCaptured([{ clusterArn: task.clusterArn, taskArn: task.taskArn, spec: found.spec }], 'running'),
    deps,
  );
}
