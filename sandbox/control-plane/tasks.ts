/**
 * The task state machine: PROVISIONING -> PENDING -> RUNNING -> (desiredStatus STOPPED) -> STOPPED on
 * timers, with what the images make containers do (crash, exit, pass or fail health checks), stop
 * codes and an "ECS Task State Change" event for every change.
 *
 * It knows nothing of services: a task a service started reports its transitions to the
 * {@link TaskSupervisor} (the deployment controller), which also says what becomes of a task that
 * fails its health checks. The other way round, the supervisor only launches and stops tasks
 * ({@link TaskControl}).
 */
import type {
  Container,
  LaunchType,
  NetworkConfiguration,
  Tag,
  TaskOverride,
  TaskStopCode,
} from '@aws-sdk/client-ecs';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import type { EventFactory } from './events';
import {
  type ClusterRecord,
  type ControlPlaneModel,
  HEALTHY,
  OOM_REASON,
  type ResolvedContainer,
  type TaskBehaviour,
  type TaskDefinitionRecord,
  type TaskRecord,
} from './model';
import type { IdGenerator } from './random';
import type { Timers } from './timers';

/** `stoppedReason` of a Fargate Spot task whose capacity was taken back. */
export const SPOT_INTERRUPTION_REASON = 'Your Spot Task was interrupted.';
/** `stoppedReason` of a task whose EC2 instance got its termination notice (Spot) and went away. */
export const TERMINATION_NOTICE_REASON = (instanceId: string) =>
  `Host EC2 (instance ${instanceId}) stopped/terminated.`;

/** How fast tasks move, in milliseconds. */
export interface SimulationTiming {
  /** PROVISIONING -> RUNNING (half of it to PENDING, half to RUNNING). */
  taskStartMs: number;
  /** RUNNING -> exit, for `crash` and `exit` images. */
  taskRunMs: number;
  /** RUNNING -> passing (or failing) health checks. */
  healthyAfterMs: number;
  /** Stop requested -> STOPPED. */
  taskStopMs: number;
  /** How long DescribeTasks and ListTasks still show a STOPPED task (ECS: about an hour). */
  stoppedTaskRetentionMs: number;
}

/** Everything needed to start one task. */
export interface LaunchSpec {
  cluster: ClusterRecord;
  taskDefinition: TaskDefinitionRecord;
  group: string;
  startedBy?: string;
  launchType: LaunchType;
  capacityProviderName?: string;
  networkConfiguration?: NetworkConfiguration;
  overrides?: TaskOverride;
  tags: Tag[];
  enableExecuteCommand?: boolean;
  /** The Fargate platform version asked for (`LATEST`, the default, is `1.4.0`). */
  platformVersion?: string;
  /**
   * What this task does whatever its images say (a sandbox knob: `ControlPlane.setTaskBehaviour`); an
   * image that cannot be pulled still fails the task first, unless this is itself a failure to start.
   */
  behaviour?: TaskBehaviour;
  /** Set for tasks the service scheduler starts. */
  service?: { arn: string; deploymentId: string };
  containers: ResolvedContainer[];
  /** The container instance StartTask placed it on (EC2); otherwise made up for EC2 tasks. */
  containerInstanceArn?: string;
}

/**
 * What a task reports to its supervisor, in the order it happens:
 * - `running`: lastStatus RUNNING (its containers started);
 * - `healthy`: it passed its health checks;
 * - `stopping`: desiredStatus STOPPED (whoever asked);
 * - `failed`: it counts as a failed task (it could not start, an essential container exited, or it
 *   failed its health checks); always right after its `stopping`;
 * - `stopped`: lastStatus STOPPED.
 */
export type TaskTransition = 'running' | 'healthy' | 'stopping' | 'failed' | 'stopped';

/**
 * Which health check a task failed, as its supervisor sees it: the ELB health checks of the target
 * group the task is registered in, or the container health checks.
 */
export type HealthCheckFailure = { check: 'elb'; target: string } | { check: 'container' };

/** The owner of tasks (the service scheduler): told of every transition, asked about failed health checks. */
export interface TaskSupervisor {
  /** `task` went through `transition` (standalone tasks report too; their supervisor ignores them). */
  onTaskTransition(task: TaskRecord, transition: TaskTransition): void;
  /**
   * `task` failed its health checks: the check that failed, and the task is stopped and replaced; or
   * `undefined` when nothing replaces it (a standalone task), and it keeps running UNHEALTHY.
   */
  onHealthChecksFailed(task: TaskRecord): HealthCheckFailure | undefined;
}

/** What the supervisor may do to tasks. */
export interface TaskControl {
  /** Creates a task in PROVISIONING and sets it on its way. */
  launchTask(spec: LaunchSpec): TaskRecord;
  /** Asks a task to stop; stopping a task twice changes nothing. */
  stopTask(task: TaskRecord, stopCode: TaskStopCode, reason: string): void;
}

/** What the task lifecycle works with. */
export interface TaskLifecycleDeps {
  model: ControlPlaneModel;
  events: EventFactory;
  emit: (event: EventBridgeEvent) => void;
  timing: SimulationTiming;
  now: () => Date;
  ids: IdGenerator;
  timers: Timers;
  supervisor: TaskSupervisor;
}

/** Resolves the images of a task definition's containers against the registry. */
export function resolveContainers(
  model: ControlPlaneModel,
  taskDefinition: TaskDefinitionRecord,
): ResolvedContainer[] {
  return (taskDefinition.definition.containerDefinitions ?? []).map((c) =>
    model.resolveImage(c.name ?? '', c.image ?? ''),
  );
}

/**
 * The behaviour of a task: the first essential container that cannot be pulled or misbehaves decides;
 * a behaviour given to the task (`own`) is the first essential container's, after a failed pull (an
 * image that cannot be pulled fails the task before anything runs) unless it is a failure to start.
 */
export function taskBehaviour(
  taskDefinition: TaskDefinitionRecord,
  containers: readonly ResolvedContainer[],
  own?: TaskBehaviour,
): { behaviour: TaskBehaviour; decidingContainer?: string; pullError?: string } {
  const essential = containers.filter(
    (c) =>
      taskDefinition.definition.containerDefinitions?.find((d) => d.name === c.name)?.essential !== false,
  );
  const unpullable = containers.find((c) => c.pullError !== undefined);
  if (own?.kind === 'fail-to-start') return { behaviour: own, decidingContainer: essential[0]?.name };
  if (unpullable)
    return { behaviour: HEALTHY, decidingContainer: unpullable.name, pullError: unpullable.pullError };
  if (own) return { behaviour: own, decidingContainer: essential[0]?.name };
  const misbehaving = essential.find((c) => c.behaviour.kind !== 'healthy');
  return misbehaving
    ? { behaviour: misbehaving.behaviour, decidingContainer: misbehaving.name }
    : { behaviour: HEALTHY };
}

/** The sandbox VPC's default security group: an awsvpc task RunTask gave no groups is in it, as in AWS. */
export const DEFAULT_SECURITY_GROUP = 'sg-0d0e0f1a2b3c4d5e6';

/** Runs tasks on timers. */
export class TaskLifecycle implements TaskControl {
  /** @param deps - model, event builders, emit callback, timing, clock, ids, timers and the supervisor */
  constructor(private readonly deps: TaskLifecycleDeps) {}

  /** Forgets tasks stopped longer ago than the retention, as ECS does. */
  private forgetOldTasks(): void {
    const { model, now, timing } = this.deps;
    const horizon = now().getTime() - timing.stoppedTaskRetentionMs;
    for (const [arn, record] of model.tasks) {
      const stoppedAt = record.task.stoppedAt;
      if (record.task.lastStatus === 'STOPPED' && stoppedAt !== undefined && stoppedAt.getTime() < horizon) {
        model.tasks.delete(arn);
        model.tags.delete(arn);
        for (const [id, eni] of model.networkInterfaces)
          if (eni.taskArn === arn) model.networkInterfaces.delete(id);
      }
    }
  }

  /**
   * The elastic network interface of an awsvpc task, as EC2 describes it: the subnet it was placed
   * in, RunTask's security groups (else the VPC's default group) and a public IP when asked for.
   */
  private createNetworkInterface(
    record: TaskRecord,
    spec: LaunchSpec,
    at: { subnet: string; ip: string; attachmentId: string },
  ): void {
    const vpc = spec.networkConfiguration?.awsvpcConfiguration;
    const networkInterfaceId = record.task.attachments?.[0]?.details?.find(
      (d) => d.name === 'networkInterfaceId',
    )?.value;
    if (!networkInterfaceId) return;
    this.deps.model.networkInterfaces.set(networkInterfaceId, {
      networkInterfaceId,
      subnetId: at.subnet,
      securityGroups: vpc?.securityGroups?.length ? [...vpc.securityGroups] : [DEFAULT_SECURITY_GROUP],
      // A documentation address (TEST-NET-3), made from the private one so no id is drawn.
      ...(vpc?.assignPublicIp === 'ENABLED' ? { publicIp: `203.0.113.${at.ip.split('.')[3]}` } : {}),
      privateIpAddress: at.ip,
      attachmentId: at.attachmentId,
      taskArn: record.arn,
      status: 'in-use',
    });
  }

  /** Creates a task in PROVISIONING and sets it on its way. */
  launchTask(spec: LaunchSpec): TaskRecord {
    const { model, ids, now } = this.deps;
    this.forgetOldTasks();
    const id = ids.hex(32);
    const arn = model.newTaskArn(spec.cluster.name, id);
    const definition = spec.taskDefinition.definition;
    const fargate = spec.launchType === 'FARGATE';
    const awsvpc = definition.networkMode === 'awsvpc';
    const attachmentId = ids.uuid();
    const ip = `10.0.${Math.floor(Number.parseInt(ids.hex(2), 16) % 250) + 1}.${(Number.parseInt(ids.hex(2), 16) % 250) + 2}`;
    const subnet = spec.networkConfiguration?.awsvpcConfiguration?.subnets?.[0] ?? 'subnet-0a1b2c3d4e5f60718';
    const { behaviour, decidingContainer } = taskBehaviour(
      spec.taskDefinition,
      spec.containers,
      spec.behaviour,
    );
    const containers: Container[] = (definition.containerDefinitions ?? []).map((c) => ({
      containerArn: `${model.ecsArnPrefix}container/${spec.cluster.name}/${id}/${ids.uuid()}`,
      taskArn: arn,
      name: c.name,
      image: c.image,
      lastStatus: 'PENDING',
      networkInterfaces: awsvpc ? [{ attachmentId, privateIpv4Address: ip }] : [],
      networkBindings: awsvpc ? undefined : [],
      healthStatus: c.healthCheck ? 'UNKNOWN' : undefined,
      cpu: String(c.cpu ?? 0),
      memory: c.memory === undefined ? undefined : String(c.memory),
      memoryReservation: c.memoryReservation === undefined ? undefined : String(c.memoryReservation),
    }));
    const arch = definition.runtimePlatform?.cpuArchitecture === 'ARM64' ? 'arm64' : 'x86_64';
    const record: TaskRecord = {
      id,
      arn,
      clusterName: spec.cluster.name,
      serviceArn: spec.service?.arn,
      deploymentId: spec.service?.deploymentId,
      containers: spec.containers,
      behaviour,
      decidingContainer,
      healthy: false,
      task: {
        attachments: awsvpc
          ? [
              {
                id: attachmentId,
                type: 'ElasticNetworkInterface',
                status: 'PRECREATED',
                details: [
                  { name: 'subnetId', value: subnet },
                  { name: 'networkInterfaceId', value: `eni-${ids.hex(17)}` },
                  { name: 'macAddress', value: ids.hex(12).replace(/(..)(?!$)/g, '$1:') },
                  {
                    name: 'privateDnsName',
                    value: `ip-${ip.replaceAll('.', '-')}.${model.region}.compute.internal`,
                  },
                  { name: 'privateIPv4Address', value: ip },
                ],
              },
            ]
          : [],
        attributes: [{ name: 'ecs.cpu-architecture', value: arch }],
        availabilityZone: `${model.region}${'abc'[Number.parseInt(ids.hex(1), 16) % 3]}`,
        capacityProviderName: spec.capacityProviderName,
        clusterArn: spec.cluster.arn,
        containerInstanceArn: fargate
          ? undefined
          : (spec.containerInstanceArn ??
            `${model.ecsArnPrefix}container-instance/${spec.cluster.name}/${ids.hex(32)}`),
        containers,
        cpu: definition.cpu,
        createdAt: now(),
        desiredStatus: 'RUNNING',
        enableExecuteCommand: spec.enableExecuteCommand ?? false,
        group: spec.group,
        healthStatus: 'UNKNOWN',
        lastStatus: 'PROVISIONING',
        launchType: spec.launchType,
        memory: definition.memory,
        overrides: spec.overrides ?? {
          containerOverrides: (definition.containerDefinitions ?? []).map((c) => ({ name: c.name })),
          inferenceAcceleratorOverrides: [],
        },
        platformVersion: fargate
          ? spec.platformVersion === undefined || spec.platformVersion === 'LATEST'
            ? '1.4.0'
            : spec.platformVersion
          : undefined,
        platformFamily: fargate ? 'Linux' : undefined,
        startedBy: spec.startedBy,
        tags: spec.tags,
        taskArn: arn,
        taskDefinitionArn: spec.taskDefinition.arn,
        version: 1,
        ephemeralStorage: fargate ? { sizeInGiB: definition.ephemeralStorage?.sizeInGiB ?? 20 } : undefined,
        fargateEphemeralStorage: fargate
          ? { sizeInGiB: definition.ephemeralStorage?.sizeInGiB ?? 20 }
          : undefined,
      },
    };
    model.tasks.set(arn, record);
    if (spec.tags.length > 0) model.putTags(arn, spec.tags);
    if (awsvpc) this.createNetworkInterface(record, spec, { subnet, ip, attachmentId });
    // Sent after the API call has answered (and its CloudTrail record was sent).
    const created = this.deps.events.taskStateChange(structuredClone(record.task));
    this.deps.timers.schedule(0, () => this.deps.emit(created));
    const failure = record.behaviour.kind === 'fail-to-start' ? record.behaviour : undefined;
    // No capacity to place it: the task never gets to pull anything.
    const next =
      failure?.stage === 'PROVISIONING'
        ? () => this.failToStart(record, failure.reason)
        : () => this.toPending(record);
    this.deps.timers.schedule(Math.floor(this.deps.timing.taskStartMs / 2), next, arn);
    return record;
  }

  private changed(record: TaskRecord): void {
    record.task.version = (record.task.version ?? 0) + 1;
    this.deps.emit(this.deps.events.taskStateChange(structuredClone(record.task)));
  }

  private toPending(record: TaskRecord): void {
    const task = record.task;
    task.lastStatus = 'PENDING';
    task.pullStartedAt = this.deps.now();
    this.changed(record);
    const half = Math.ceil(this.deps.timing.taskStartMs / 2);
    const pullError =
      record.behaviour.kind === 'fail-to-start'
        ? record.behaviour.reason
        : record.containers.find((c) => c.pullError !== undefined)?.pullError;
    if (pullError !== undefined) {
      this.deps.timers.schedule(half, () => this.failToStart(record, pullError), record.arn);
    } else {
      this.deps.timers.schedule(half, () => this.toRunning(record), record.arn);
    }
  }

  private failToStart(record: TaskRecord, reason: string): void {
    // A failed pull is the container's; capacity and resource initialisation are the task's alone.
    for (const container of record.task.containers ?? []) {
      if (container.name === record.decidingContainer && reason.startsWith('CannotPullContainerError'))
        container.reason = reason;
    }
    this.stopTask(record, 'TaskFailedToStart', reason);
    this.deps.supervisor.onTaskTransition(record, 'failed');
  }

  private toRunning(record: TaskRecord): void {
    const { now, timing, ids, model } = this.deps;
    const task = record.task;
    const at = now();
    task.lastStatus = 'RUNNING';
    task.pullStoppedAt = at;
    task.startedAt = at;
    task.connectivity = 'CONNECTED';
    task.connectivityAt = at;
    for (const attachment of task.attachments ?? []) attachment.status = 'ATTACHED';
    for (const container of task.containers ?? []) {
      const resolved = record.containers.find((c) => c.name === container.name);
      container.lastStatus = 'RUNNING';
      container.imageDigest = resolved?.digest;
      container.runtimeId = `${record.id}-${ids.digits(10)}`;
      if (resolved?.ecr) {
        const image = model.findImage(resolved.ecr.repositoryName, { digest: resolved.ecr.digest });
        if (image) image.lastRecordedPullTime = at;
      }
    }
    this.changed(record);
    switch (record.behaviour.kind) {
      case 'healthy':
        this.deps.timers.schedule(timing.healthyAfterMs, () => this.passHealthChecks(record), record.arn);
        break;
      case 'unhealthy':
        this.deps.timers.schedule(timing.healthyAfterMs, () => this.failHealthChecks(record), record.arn);
        break;
      case 'crash': {
        const exitCode = record.behaviour.exitCode ?? 1;
        this.deps.timers.schedule(timing.taskRunMs, () => this.exit(record, exitCode), record.arn);
        break;
      }
      case 'exit': {
        const exitCode = record.behaviour.exitCode;
        this.deps.timers.schedule(timing.taskRunMs, () => this.exit(record, exitCode), record.arn);
        break;
      }
      case 'oom':
        // SIGKILL by the kernel's OOM killer: 128 + 9.
        this.deps.timers.schedule(timing.taskRunMs, () => this.exit(record, 137, OOM_REASON), record.arn);
        break;
      case 'spot-interruption':
        this.deps.timers.schedule(timing.taskRunMs, () => this.interrupt(record), record.arn);
        break;
      case 'fail-to-start':
        // Never RUNNING: failed in PROVISIONING or PENDING.
        break;
    }
    this.deps.supervisor.onTaskTransition(record, 'running');
  }

  private passHealthChecks(record: TaskRecord): void {
    record.healthy = true;
    let checked = false;
    for (const container of record.task.containers ?? []) {
      if (container.healthStatus !== undefined) {
        container.healthStatus = 'HEALTHY';
        checked = true;
      }
    }
    if (checked) record.task.healthStatus = 'HEALTHY';
    this.deps.supervisor.onTaskTransition(record, 'healthy');
  }

  private failHealthChecks(record: TaskRecord): void {
    const failure = this.deps.supervisor.onHealthChecksFailed(record);
    if (failure?.check === 'elb') {
      this.stopTask(
        record,
        'ServiceSchedulerInitiated',
        `Task failed ELB health checks in (${failure.target})`,
      );
      this.deps.supervisor.onTaskTransition(record, 'failed');
      return;
    }
    for (const container of record.task.containers ?? []) {
      if (container.name === record.decidingContainer) container.healthStatus = 'UNHEALTHY';
    }
    record.task.healthStatus = 'UNHEALTHY';
    if (failure) {
      this.stopTask(record, 'ServiceSchedulerInitiated', 'Task failed container health checks');
      this.deps.supervisor.onTaskTransition(record, 'failed');
    }
    // A standalone task keeps running UNHEALTHY: nothing replaces it.
  }

  /**
   * The task's deciding essential container (a healthy task's first) exits with `exitCode` now, as a
   * running batch job that fails does (`ControlPlane.exitTask`): its timers are cancelled and it stops
   * `EssentialContainerExited`.
   *
   * @returns false when the task is not RUNNING (nothing done)
   */
  exitNow(record: TaskRecord, exitCode: number): boolean {
    if (record.task.lastStatus !== 'RUNNING' || record.task.desiredStatus === 'STOPPED') return false;
    this.deps.timers.cancel(record.arn);
    // A healthy task has no deciding container yet: its first container is the one that fails.
    record.decidingContainer ??= record.task.containers?.[0]?.name;
    this.exit(record, exitCode);
    return true;
  }

  private exit(record: TaskRecord, exitCode: number, reason?: string): void {
    for (const container of record.task.containers ?? []) {
      if (container.name === record.decidingContainer) {
        container.lastStatus = 'STOPPED';
        container.exitCode = exitCode;
        if (reason !== undefined) container.reason = reason;
      }
    }
    this.stopTask(record, 'EssentialContainerExited', 'Essential container in task exited');
    this.deps.supervisor.onTaskTransition(record, 'failed');
  }

  /**
   * The capacity under a running task is taken back: Fargate Spot interrupts the task (`SpotInterruption`),
   * an EC2 Spot instance gets its termination notice and its tasks are stopped (`TerminationNotice`).
   * The containers get SIGTERM and exit with 143 (they did not handle it).
   */
  /**
   * Spot takes the capacity of a RUNNING task back now (`ControlPlane.interruptTask`): its timers
   * are cancelled and it stops as an interrupted task does.
   *
   * @returns false when the task is not RUNNING (nothing done)
   */
  interruptNow(record: TaskRecord): boolean {
    if (record.task.lastStatus !== 'RUNNING' || record.task.desiredStatus === 'STOPPED') return false;
    this.deps.timers.cancel(record.arn);
    this.interrupt(record);
    return true;
  }

  private interrupt(record: TaskRecord): void {
    const fargate = record.task.launchType === 'FARGATE';
    // SIGTERM, unhandled: 128 + 15.
    for (const container of record.task.containers ?? []) container.exitCode = 143;
    this.stopTask(
      record,
      fargate ? 'SpotInterruption' : 'TerminationNotice',
      fargate ? SPOT_INTERRUPTION_REASON : TERMINATION_NOTICE_REASON(`i-${this.deps.ids.hex(17)}`),
    );
  }

  /**
   * Asks a task to stop: desiredStatus STOPPED now (one event), lastStatus STOPPED after
   * `taskStopMs` (another event). Stopping a task twice changes nothing.
   */
  stopTask(record: TaskRecord, stopCode: TaskStopCode, reason: string): void {
    const task = record.task;
    if (task.desiredStatus === 'STOPPED') return;
    this.deps.timers.cancel(record.arn);
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = this.deps.now();
    this.changed(record);
    this.deps.timers.schedule(this.deps.timing.taskStopMs, () => this.finishStop(record), record.arn);
    this.deps.supervisor.onTaskTransition(record, 'stopping');
  }

  private finishStop(record: TaskRecord): void {
    const task = record.task;
    const at = this.deps.now();
    const started = task.startedAt !== undefined;
    task.lastStatus = 'STOPPED';
    task.stoppedAt = at;
    task.executionStoppedAt = at;
    if (!started) task.pullStoppedAt = task.pullStartedAt === undefined ? undefined : at;
    for (const attachment of task.attachments ?? []) attachment.status = 'DELETED';
    // The interface is detached, and kept until ECS forgets the task (in AWS it goes within minutes):
    // a RUNNING event handled after the stop still finds its security groups, whatever the timing.
    for (const eni of this.deps.model.networkInterfaces.values())
      if (eni.taskArn === task.taskArn) eni.status = 'available';
    for (const container of task.containers ?? []) {
      if (started && container.exitCode === undefined) container.exitCode = 0;
      container.lastStatus = 'STOPPED';
    }
    this.changed(record);
    this.deps.supervisor.onTaskTransition(record, 'stopped');
  }
}
