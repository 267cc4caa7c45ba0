/**
 * A local Amazon ECS + Amazon ECR control plane on 127.0.0.1: the real AWS JSON 1.1 protocol (the
 * unchanged AWS SDK v3 clients talk to it through `endpoint` or `AWS_ENDPOINT_URL_ECS` /
 * `AWS_ENDPOINT_URL_ECR`), ECS behaviour simulated on timers, and every EventBridge event AWS would
 * send handed to `emit`.
 *
 * @example
 * const plane = await startControlPlane({ emit: (event) => bus.put(event) });
 * const ecs = new ECSClient({ endpoint: plane.endpoint, region: 'eu-west-1' });
 * plane.pushImage('team/api', 'main');
 * await plane.stop();
 */
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import { FaultInjector } from '../faults';
import { startAwsQueryServer } from '../runtime/aws-query-server';
import { EC2_XMLNS, ec2Operations } from './ec2-api';
import { buildManifest, EcrApi } from './ecr-api';
import { EcsApi } from './ecs-api';
import { type CallerIdentity, EventFactory } from './events';
import {
  type AlarmConfiguration,
  type AlarmRecord,
  type AlarmStateValue,
  ControlPlaneModel,
  type ImageBehaviour,
  type TaskFate,
} from './model';
import { IdGenerator, mulberry32 } from './random';
import { type CallRecord, type FaultRule, startServer } from './server';
import { EcsSimulator, type SimulationTiming } from './simulator';
import { type RateQuota, TokenBucket } from './throttling';

export { assumedRoleIdentity, type CallerIdentity } from './events';
export type {
  AlarmConfiguration,
  AlarmStateValue,
  FailToStartCause,
  ImageBehaviour,
  TaskFate,
} from './model';
export { ControlPlaneModel, FAIL_TO_START_CAUSES, NO_CAPACITY_REASON, OOM_REASON } from './model';
export type { CallRecord, FaultRule } from './server';
export type { SimulationTiming } from './simulator';
export { SPOT_INTERRUPTION_REASON, TERMINATION_NOTICE_REASON } from './tasks';
export { FARGATE_RUN_TASK_QUOTA, type RateQuota } from './throttling';

/** The account of every ARN and event unless {@link ControlPlaneOptions.accountId} says otherwise. */
export const ACCOUNT = '123456789012';
/** The region of every ARN and event unless {@link ControlPlaneOptions.region} says otherwise. */
export const REGION = 'eu-west-1';
/** The private registry of {@link ACCOUNT} in {@link REGION}. */
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** The account of every ARN and event; default `123456789012`. */
  accountId?: string;
  /** The region of every ARN and event; default `eu-west-1`. */
  region?: string;
  /** Receives every EventBridge event the control plane produces (full envelopes). */
  emit: (event: EventBridgeEvent) => void;
  /**
   * Simulation speed in milliseconds. Defaults: `taskStartMs` 100 (PROVISIONING -> RUNNING),
   * `taskRunMs` 100 (RUNNING -> exit of `crash`/`exit` images), `healthyAfterMs` 100 (RUNNING ->
   * health checks passed or failed), `taskStopMs` 50 (stop requested -> STOPPED),
   * `stoppedTaskRetentionMs` one hour (how long stopped tasks stay visible).
   */
  timing?: Partial<SimulationTiming>;
  /** The clock of every timestamp; default the system clock. */
  now?: () => Date;
  /** Port on 127.0.0.1; default 0 (a free one). */
  port?: number;
  /** Seed of identifiers and fault decisions; default 1. The same seed replays the same run. */
  seed?: number;
  /**
   * The fault injector to consult, when it is shared with the runtime (`sandbox/account.ts`); by
   * default one of its own, seeded from `seed`. The control plane takes the rules addressed to `ecs`
   * and `ecr` (and to every service).
   */
  faults?: FaultInjector;
  /**
   * Callers by access key id, as CloudTrail shows them (`userIdentity`) and as `registeredBy` /
   * `createdBy`; unknown keys are the IAM user `sandbox`.
   */
  identities?: Record<string, CallerIdentity>;
  /** Called when `emit` throws; by default the error is written to stderr and the simulation goes on. */
  onEmitError?: (error: unknown, event: EventBridgeEvent) => void;
  /**
   * Request quotas, as ECS throttles (a token bucket per operation, `RunTask` or `ecr:PutImage`, on
   * the `now` clock; `./throttling.ts`): a call over its quota is answered `ThrottlingException` and
   * changes nothing. None by default; the sandbox account gives RunTask Fargate's.
   */
  rateQuotas?: Record<string, RateQuota>;
}

/** A running control plane. */
export interface ControlPlane {
  /** `http://127.0.0.1:<port>`, for both ECS and ECR. */
  endpoint: string;
  /** `http://127.0.0.1:<port>` of EC2 (DescribeNetworkInterfaces: the awsvpc tasks' interfaces). */
  ec2Endpoint: string;
  /** The state, for assertions and scenario setup. */
  model: ControlPlaneModel;
  /**
   * Replaces the fault rules (an empty list turns faults off); with a shared injector, the runtime's
   * too.
   */
  setFaults(rules: FaultRule[]): void;
  /** Every API call received, in order, faulted ones included. */
  calls: CallRecord[];
  /** Every event emitted, in order. */
  emitted: EventBridgeEvent[];
  /**
   * Resolves with the first event (already emitted or to come) that matches `predicate`; rejects
   * after `timeoutMs` (default 5000) or when the control plane stops.
   */
  waitForEvent(
    predicate: (event: EventBridgeEvent) => boolean,
    timeoutMs?: number,
  ): Promise<EventBridgeEvent>;
  /**
   * Simulates `docker push <registry>/<repository>:<tag>`: a new image (its digest derives from the
   * content, different on every push unless `options.content` is repeated), the tag moved to it, and
   * "ECR Image Action" PUSH SUCCESS with `image-tag`. With `options.replicatedFrom`, the image was
   * pushed in another region (or account) and ECR replicated it here: the same image and tag, and
   * "ECR Replication Action" SUCCESS naming the source instead of a push.
   *
   * @param behaviour - what containers running the image do (default healthy)
   * @throws when the repository does not exist (as `docker push` fails), or the tag is immutable
   */
  pushImage(
    repository: string,
    tag: string,
    behaviour?: ImageBehaviour,
    options?: { content?: string; replicatedFrom?: { region: string; accountId?: string } },
  ): { digest: string };
  /**
   * Sets the state of the CloudWatch alarm `name` (created on first use, INSUFFICIENT_DATA "Unchecked:
   * Initial alarm creation") and emits "CloudWatch Alarm State Change" with the previous state. One
   * event per call, even when the value does not change (CloudWatch sends one only on a change).
   * ECS does not act on alarms in the sandbox: the event is for whoever listens on the bus.
   *
   * @param reason - `state.reason`; default `Set to <state> by the sandbox.`
   * @param configuration - the alarm's `configuration` (metrics, description), kept for later calls;
   *   default one made-up metric `Sandbox/<name>`
   * @throws RangeError for an unknown state or a name that is empty or longer than 255 characters
   */
  setAlarmState(
    name: string,
    state: AlarmStateValue,
    reason?: string,
    configuration?: AlarmConfiguration,
  ): EventBridgeEvent;
  /**
   * Decides what the tasks of the RunTask call with client token `clientToken` do, whatever their
   * images say: exit with a code, be OOM-killed, be interrupted (Spot), fail to start. Used once, by
   * the first call with that token (a retry with the token answers the same tasks); other calls, a
   * restart's among them, run as their images say.
   *
   * @example
   * plane.setTaskFate('nightly-1', { kind: 'exit', exitCode: 1 });
   * await ecs.send(new RunTaskCommand({ cluster: 'batch', taskDefinition: 'report', clientToken: 'nightly-1' }));
   */
  setTaskFate(clientToken: string, fate: TaskFate): void;
  /**
   * The essential container of a RUNNING task exits with `exitCode` now, as when a batch job's work
   * fails (a bad release): the task stops `EssentialContainerExited`, "Essential container in task
   * exited". Lets a scenario fail tasks once it has seen them run (their RunTask record delivered).
   *
   * @throws Error when no such task is RUNNING
   */
  exitTask(taskArn: string, exitCode: number): void;
  /**
   * Spot takes a RUNNING task's capacity back now: on Fargate it stops `SpotInterruption`, "Your Spot
   * Task was interrupted."; on EC2 `TerminationNotice`. Lets a scenario interrupt a task once it has
   * seen it run (its RunTask record delivered).
   *
   * @throws Error when no such task is RUNNING
   */
  interruptTask(taskArn: string): void;
  /**
   * The CloudTrail record of the RunTask call made with `clientToken` never reaches the bus (as when
   * it is lost on the way), so whoever follows RunTask learns of its tasks only from their events.
   */
  loseRunTaskRecord(clientToken: string): void;
  /**
   * The CloudTrail record of the RunTask call made with `clientToken` is held back until
   * `releaseRunTaskRecord`, so the call's tasks report their states (and may stop) before it arrives,
   * as CloudTrail's records reach EventBridge minutes late while a task's own events take seconds.
   */
  delayRunTaskRecord(clientToken: string): void;
  /**
   * Delivers the held record of the RunTask call made with `clientToken` (and every later record of
   * that token at once). The number of records delivered: 0 when none was held yet.
   */
  releaseRunTaskRecord(clientToken: string): number;
  /**
   * Services and tasks created from now on get old-format ARNs (`service/<name>`, `task/<id>`), as
   * in an account that had not opted in to the long format when they were made (ECS no longer lets
   * an account opt out: PutAccountSetting answers so). ECS refuses to tag them ("Long arn format
   * must be used for tagging operations"). `false` turns a format back to long for later resources.
   */
  useOldArnFormat(formats: { services?: boolean; tasks?: boolean }): void;
  /** Stops the timers and the server. */
  stop(): Promise<void>;
}

const ALARM_STATES: readonly AlarmStateValue[] = ['ALARM', 'OK', 'INSUFFICIENT_DATA'];

/** The configuration of an alarm nobody described: one made-up metric. */
function defaultAlarmConfiguration(name: string): AlarmConfiguration {
  return {
    description: `Sandbox alarm ${name}`,
    metrics: [
      {
        id: 'm1',
        metricStat: {
          metric: { namespace: 'Sandbox', name, dimensions: {} },
          period: 60,
          stat: 'Maximum',
        },
        returnData: true,
      },
    ],
  };
}

const DEFAULT_TIMING: SimulationTiming = {
  taskStartMs: 100,
  taskRunMs: 100,
  healthyAfterMs: 100,
  taskStopMs: 50,
  stoppedTaskRetentionMs: 3_600_000,
};

/**
 * Starts a control plane on 127.0.0.1.
 *
 * @example
 * const plane = await startControlPlane({ emit: (e) => events.push(e), timing: { taskStartMs: 20 } });
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const accountId = options.accountId ?? ACCOUNT;
  const region = options.region ?? REGION;
  const now = options.now ?? (() => new Date());
  const seed = options.seed ?? 1;
  const ids = new IdGenerator(mulberry32(seed));
  const faults = options.faults ?? new FaultInjector(mulberry32(seed ^ 0x5eed));
  const model = new ControlPlaneModel(accountId, region);
  const events = new EventFactory(accountId, region, ids, now);
  const emitted: EventBridgeEvent[] = [];
  const waiters = new Set<{
    predicate: (event: EventBridgeEvent) => boolean;
    resolve: (event: EventBridgeEvent) => void;
    reject: (error: Error) => void;
  }>();
  const onEmitError =
    options.onEmitError ??
    ((error: unknown, event: EventBridgeEvent) => {
      process.stderr.write(`control plane: emit of "${event['detail-type']}" failed: ${String(error)}\n`);
    });
  const emit = (event: EventBridgeEvent) => {
    if (isLostRunTaskRecord(model, event)) return;
    const held = model.heldRunTaskRecords.get(runTaskRecordToken(event) ?? '');
    if (held) {
      held.push(event);
      return;
    }
    emitted.push(event);
    try {
      options.emit(event);
    } catch (error) {
      onEmitError(error, event);
    }
    for (const waiter of [...waiters]) {
      if (waiter.predicate(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  };
  const simulator = new EcsSimulator({
    model,
    events,
    emit,
    timing: { ...DEFAULT_TIMING, ...options.timing },
    now,
    ids,
  });
  const ecs = new EcsApi({ model, tasks: simulator.tasks, deployments: simulator.deployments, now, ids });
  const ecr = new EcrApi({ model, events, emit, now });
  const calls: CallRecord[] = [];
  const identify = (accessKeyId: string | undefined): CallerIdentity => {
    const known = accessKeyId === undefined ? undefined : options.identities?.[accessKeyId];
    const identity: CallerIdentity = known ?? {
      type: 'IAMUser',
      principalId: 'AIDASANDBOXUSER000001',
      arn: `arn:aws:iam::${accountId}:user/sandbox`,
      accountId,
      userName: 'sandbox',
    };
    return accessKeyId === undefined ? { ...identity } : { ...identity, accessKeyId };
  };
  const server = await startServer(
    {
      operations: { ecs: ecs.operations(), ecr: ecr.operations() },
      events,
      emit,
      faults,
      calls,
      ids,
      now,
      identify,
      quotas: new Map(
        Object.entries(options.rateQuotas ?? {}).map(([operation, quota]) => [
          operation.includes(':') ? operation : `ecs:${operation}`,
          new TokenBucket(quota),
        ]),
      ),
    },
    options.port ?? 0,
  );
  const ec2 = await startAwsQueryServer({
    xmlns: EC2_XMLNS,
    protocol: 'ec2',
    operations: ec2Operations(model),
  });
  let pushes = 0;

  return {
    endpoint: server.endpoint,
    ec2Endpoint: ec2.endpoint,
    model,
    calls,
    emitted,
    setFaults: (rules) => faults.set(rules),
    waitForEvent(predicate, timeoutMs = 5000) {
      const seen = emitted.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise<EventBridgeEvent>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (event: EventBridgeEvent) => {
            clearTimeout(timer);
            resolve(event);
          },
          reject: (error: Error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching event within ${timeoutMs} ms (${emitted.length} events emitted)`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    pushImage(repository, tag, behaviour = { kind: 'healthy' }, pushOptions = {}) {
      pushes += 1;
      const content = pushOptions.content ?? `${repository}:${tag}#${pushes}:${JSON.stringify(behaviour)}`;
      const image = ecr.putImage(repository, buildManifest(content), {
        tag,
        behaviour,
        ...(pushOptions.replicatedFrom === undefined ? {} : { replicatedFrom: pushOptions.replicatedFrom }),
      });
      return { digest: image.digest };
    },
    setAlarmState(name, state, reason, configuration) {
      if (!ALARM_STATES.includes(state)) {
        throw new RangeError(`alarm state must be one of ${ALARM_STATES.join(', ')}: ${String(state)}`);
      }
      if (name.length < 1 || name.length > 255) {
        throw new RangeError(`alarm name must be 1 to 255 characters: "${name}"`);
      }
      const at = now();
      const alarm: AlarmRecord = model.alarms.get(name) ?? {
        name,
        arn: model.alarmArn(name),
        configuration: configuration ?? defaultAlarmConfiguration(name),
        state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', timestamp: at },
      };
      if (configuration) alarm.configuration = structuredClone(configuration);
      const previous = alarm.state;
      alarm.state = { value: state, reason: reason ?? `Set to ${state} by the sandbox.`, timestamp: at };
      model.alarms.set(name, alarm);
      const event = events.alarmStateChange(alarm, previous);
      emit(event);
      return event;
    },
    setTaskFate(clientToken, fate) {
      model.taskFates.set(clientToken, structuredClone(fate));
    },
    exitTask(taskArn, exitCode) {
      const record = model.tasks.get(taskArn);
      if (!record || !simulator.tasks.exitNow(record, exitCode))
        throw new Error(`no RUNNING task ${taskArn}`);
    },
    interruptTask(taskArn) {
      const record = model.tasks.get(taskArn);
      if (!record || !simulator.tasks.interruptNow(record)) throw new Error(`no RUNNING task ${taskArn}`);
    },
    loseRunTaskRecord(clientToken) {
      model.lostRunTaskRecords.add(clientToken);
    },
    delayRunTaskRecord(clientToken) {
      if (!model.heldRunTaskRecords.has(clientToken)) model.heldRunTaskRecords.set(clientToken, []);
    },
    releaseRunTaskRecord(clientToken) {
      const held = model.heldRunTaskRecords.get(clientToken) ?? [];
      model.heldRunTaskRecords.delete(clientToken);
      for (const event of held) emit(event);
      return held.length;
    },
    useOldArnFormat(formats) {
      if (formats.services !== undefined) model.oldArnFormat.services = formats.services;
      if (formats.tasks !== undefined) model.oldArnFormat.tasks = formats.tasks;
    },
    async stop() {
      simulator.stop();
      for (const waiter of waiters) waiter.reject(new Error('the control plane stopped'));
      waiters.clear();
      await Promise.all([server.close(), ec2.close()]);
    },
  };
}

/** A RunTask CloudTrail record the sandbox was told to lose (`loseRunTaskRecord`). */
function isLostRunTaskRecord(model: ControlPlaneModel, event: EventBridgeEvent): boolean {
  const token = runTaskRecordToken(event);
  return token !== undefined && model.lostRunTaskRecords.has(token);
}

/** The client token of a RunTask call's CloudTrail record; `undefined` for any other event. */
function runTaskRecordToken(event: EventBridgeEvent): string | undefined {
  if (event['detail-type'] !== 'AWS API Call via CloudTrail' || event.detail.eventName !== 'RunTask')
    return undefined;
  const token = (event.detail.requestParameters as { clientToken?: unknown } | null)?.clientToken;
  return typeof token === 'string' ? token : undefined;
}
