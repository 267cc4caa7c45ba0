/**
 * In-memory fakes of the restart capability's ports (issue 13): standalone tasks in ECS (DescribeTasks
 * with tags, RunTask idempotent on its client token, failures on request), the restart delay queue,
 * and the launch specs and chains (`RestartChains`, proven against the DynamoDB adapter by
 * test/contract/state/restart-chains.contract.ts). `aRestartWorld()` puts them together on one clock.
 */
import type {
  LaunchSpec,
  LaunchSpecSource,
  NetworkInterfaceReader,
  NetworkInterfaceView,
  RestartChain,
  RestartChains,
  RestartScheduler,
  RunTaskResult,
  TaskReader,
  TaskStarter,
  TaskView,
} from '../../shared/ports';
import { Clock, InMemoryEventPublisher } from './in-memory';

const clone = <T>(value: T): T => structuredClone(value);

/** A restart chain write, with its outcome. */
export type RestartWrite =
  | { op: 'saveSpec'; taskArn: string; source: LaunchSpecSource; saved: boolean }
  | { op: 'saveChain'; chainId: string; state: string; attempt: number; version: number; saved: boolean };

/** Launch specs and chains in memory, with the conditions of the DynamoDB adapter. */
export class InMemoryRestartChains implements RestartChains {
  private readonly specs = new Map<string, { spec: LaunchSpec; source: LaunchSpecSource }>();
  private readonly chains = new Map<string, RestartChain>();
  readonly writes: RestartWrite[] = [];

  /** @param _options - the state fakes' options (this fake keeps no TTLs, so it needs no clock) */
  // biome-ignore lint/complexity/noUselessConstructor: the contract suites build every fake with options
  constructor(_options: { now?: () => Date } = {}) {}

  async getSpec(clusterArn: string, taskArn: string) {
    const found = this.specs.get(`${clusterArn}#${taskArn}`);
    return found ? clone(found) : undefined;
  }

  async saveSpec(
    clusterArn: string,
    taskArn: string,
    spec: LaunchSpec,
    source: LaunchSpecSource,
  ): Promise<boolean> {
    const key = `${clusterArn}#${taskArn}`;
    const existing = this.specs.get(key);
    const saved = !existing || (source === 'run-task' && existing.source === 'running');
    if (saved) this.specs.set(key, clone({ spec, source }));
    this.writes.push({ op: 'saveSpec', taskArn, source, saved });
    return saved;
  }

  async getChain(clusterArn: string, chainId: string) {
    const found = this.chains.get(`${clusterArn}#${chainId}`);
    return found ? clone(found) : undefined;
  }

  async saveChain(chain: RestartChain): Promise<boolean> {
    const key = `${chain.clusterArn}#${chain.chainId}`;
    const existing = this.chains.get(key);
    const saved = chain.version === 1 ? existing === undefined : existing?.version === chain.version - 1;
    if (saved) this.chains.set(key, clone(chain));
    this.writes.push({
      op: 'saveChain',
      chainId: chain.chainId,
      state: chain.state,
      attempt: chain.attempt,
      version: chain.version,
      saved,
    });
    return saved;
  }

  async liveChains(clusterArn?: string): Promise<RestartChain[]> {
    return [...this.chains.values()]
      .filter((c) => c.state !== 'abandoned' && (clusterArn === undefined || c.clusterArn === clusterArn))
      .sort((a, b) => `${a.clusterArn}#${a.chainId}`.localeCompare(`${b.clusterArn}#${b.chainId}`))
      .map(clone);
  }
}

/** A RunTask call, as recorded by {@link InMemoryTasks}. */
export interface RunTaskCall {
  spec: LaunchSpec;
  clientToken: string;
  tags: Record<string, string>;
  result: RunTaskResult;
}

/**
 * Standalone tasks in memory: described with their tags until `forget`, started by RunTask with
 * `startedBy` autopilot; a client token seen before answers the task it started (ECS's idempotency).
 */
export class InMemoryTasks implements TaskReader, TaskStarter {
  private readonly tasks = new Map<string, TaskView>();
  private readonly byToken = new Map<string, string>();
  private failuresToAnswer: string[][] = [];
  private next = 1;
  readonly runs: RunTaskCall[] = [];

  /** A task ECS describes. */
  addTask(task: TaskView): this {
    this.tasks.set(task.taskArn, clone(task));
    return this;
  }

  /** The task is no longer described (ECS forgets stopped tasks after about an hour). */
  forget(taskArn: string): void {
    this.tasks.delete(taskArn);
  }

  /** The next RunTask calls answer these failures, one call each. */
  failNext(...failures: string[][]): this {
    this.failuresToAnswer.push(...failures);
    return this;
  }

  /** The tasks RunTask started, in order (a client token answered again is the same task, once). */
  started(): string[] {
    return [...new Set(this.runs.flatMap((r) => ('taskArn' in r.result ? [r.result.taskArn] : [])))];
  }

  async describeTask(_clusterArn: string, taskArn: string): Promise<TaskView | undefined> {
    const task = this.tasks.get(taskArn);
    return task ? clone(task) : undefined;
  }

  async runTask(
    spec: LaunchSpec,
    options: { clientToken: string; tags: Record<string, string> },
  ): Promise<RunTaskResult> {
    const known = this.byToken.get(options.clientToken);
    let result: RunTaskResult;
    if (known) result = { taskArn: known };
    else {
      const failures = this.failuresToAnswer.shift();
      if (failures) result = { failures };
      else {
        const cluster = spec.cluster.split('/').pop() ?? 'default';
        const account = spec.cluster.split(':')[4] ?? '123456789012';
        const taskArn = `arn:aws:ecs:eu-west-1:${account}:task/${cluster}/${String(this.next++).padStart(32, 'a')}`;
        const tags = Object.fromEntries((spec.tags ?? []).map((t) => [t.key, t.value]));
        this.addTask({
          taskArn,
          clusterArn: spec.cluster,
          taskDefinitionArn: spec.taskDefinition,
          ...(spec.group ? { group: spec.group } : {}),
          startedBy: 'autopilot',
          tags: { ...tags, ...options.tags },
        });
        this.byToken.set(options.clientToken, taskArn);
        result = { taskArn };
      }
    }
    this.runs.push(clone({ spec, clientToken: options.clientToken, tags: options.tags, result }));
    return result;
  }
}

/**
 * Elastic network interfaces in memory: described until `delete`; `refuse` makes every read answer
 * as EC2 does to a role without ec2:DescribeNetworkInterfaces.
 */
export class InMemoryNetworkInterfaces implements NetworkInterfaceReader {
  private readonly interfaces = new Map<string, NetworkInterfaceView>();
  private refusal: string | undefined;
  readonly reads: string[] = [];

  /** An interface EC2 describes. */
  add(networkInterfaceId: string, view: NetworkInterfaceView): this {
    this.interfaces.set(networkInterfaceId, clone(view));
    return this;
  }

  /** The interface is gone (its task stopped). */
  delete(networkInterfaceId: string): void {
    this.interfaces.delete(networkInterfaceId);
  }

  /** Every read is refused with `reason`. */
  refuse(reason: string): this {
    this.refusal = reason;
    return this;
  }

  async describeNetworkInterface(
    networkInterfaceId: string,
  ): Promise<{ networkInterface: NetworkInterfaceView } | { unavailable: string }> {
    this.reads.push(networkInterfaceId);
    if (this.refusal !== undefined) return { unavailable: this.refusal };
    const found = this.interfaces.get(networkInterfaceId);
    return found ? { networkInterface: clone(found) } : { unavailable: 'is gone' };
  }
}

/** The restart delay queue in memory: the messages sent, with their delays, until taken. */
export class InMemoryRestartScheduler implements RestartScheduler {
  readonly sent: { message: Parameters<RestartScheduler['schedule']>[0]; delaySeconds: number }[] = [];
  private taken = 0;

  async schedule(message: Parameters<RestartScheduler['schedule']>[0], delaySeconds: number): Promise<void> {
    this.sent.push(clone({ message, delaySeconds }));
  }

  /** The messages sent since the last `take`, in order. */
  take(): Parameters<RestartScheduler['schedule']>[0][] {
    const fresh = this.sent.slice(this.taken).map((s) => s.message);
    this.taken = this.sent.length;
    return fresh;
  }
}

/** The restart capability's fakes on one clock; `tasksDeps` and `dueDeps` are the use cases' deps. */
export function aRestartWorld(now = '2026-01-13T10:05:00.000Z', options: { dryRun?: boolean } = {}) {
  const clock = new Clock(new Date(now));
  const tasks = new InMemoryTasks();
  const networkInterfaces = new InMemoryNetworkInterfaces();
  const chains = new InMemoryRestartChains();
  const scheduler = new InMemoryRestartScheduler();
  const events = new InMemoryEventPublisher();
  const dryRun = options.dryRun ?? false;
  return {
    clock,
    tasks,
    networkInterfaces,
    chains,
    scheduler,
    events,
    tasksDeps: { tasks, networkInterfaces, chains, scheduler, events, dryRun, now: clock.now },
    dueDeps: { starter: tasks, chains, scheduler, events, dryRun, now: clock.now },
  };
}
