/**
 * The moving parts of ECS, on timers: tasks go PROVISIONING -> PENDING -> RUNNING -> STOPPED, the
 * service scheduler keeps each service at its desired count, rolls deployments (maximumPercent /
 * minimumHealthyPercent), completes them, trips the deployment circuit breaker and rolls back. Every
 * state change is emitted as the EventBridge event ECS would send.
 *
 * What a container does is decided by its image (see {@link ImageBehaviour}), looked up in the ECR
 * model when the task (or, for services, the deployment) starts.
 */
import type {
  Container,
  Deployment,
  DeploymentCircuitBreaker,
  LaunchType,
  NetworkConfiguration,
  Tag,
  TaskOverride,
  TaskStopCode,
} from '@aws-sdk/client-ecs';
import type { AwsEvent, DeploymentEventName, EventFactory } from './events';
import {
  type ClusterRecord,
  ControlPlaneModel,
  type DeploymentState,
  HEALTHY,
  type ImageBehaviour,
  ONGOING_SERVICE_DEPLOYMENT_STATUSES,
  type ResolvedContainer,
  type RevisionCounts,
  type ServiceDeploymentRecord,
  type ServiceRecord,
  type TaskDefinitionRecord,
  type TaskRecord,
} from './model';
import type { IdGenerator } from './random';

/** How fast the simulated world moves, in milliseconds. */
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

/** What the simulator works with. */
export interface SimulatorDeps {
  model: ControlPlaneModel;
  events: EventFactory;
  emit: (event: AwsEvent) => void;
  timing: SimulationTiming;
  now: () => Date;
  ids: IdGenerator;
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
  /** Set for tasks the service scheduler starts. */
  service?: { arn: string; deploymentId: string };
  containers: ResolvedContainer[];
}

/** The reason ECS gives when the circuit breaker stops a deployment. */
export const CIRCUIT_BREAKER_REASON = 'ECS deployment circuit breaker: task failed to start.';

/**
 * The sandbox's `statusReason` / `rollback.reason` of a service deployment stopped with
 * StopServiceDeployment ROLLBACK, and the `rolloutStateReason` of its stopped deployment (ECS does not
 * document its wording).
 */
export const USER_ROLLBACK_REASON = 'Service deployment stopped with stopType ROLLBACK.';

/** The sandbox's `statusReason` of a service deployment that a newer one replaced before it finished. */
export const SUPERSEDED_REASON = 'Service deployment stopped: a newer service deployment started.';

const MAX_SERVICE_EVENTS = 100;
const PENDING_STATUSES = new Set(['PROVISIONING', 'PENDING', 'ACTIVATING']);

/**
 * How many failed tasks trip the circuit breaker: `thresholdConfiguration` as ECS documents it;
 * by default 50 % of the desired count, at least 3 and at most 200.
 */
export function circuitBreakerThreshold(
  breaker: DeploymentCircuitBreaker | undefined,
  desired: number,
): number {
  const config = breaker?.thresholdConfiguration;
  const value = config?.value ?? 50;
  switch (config?.type) {
    case 'COUNT':
      return Math.max(1, value);
    case 'UNBOUNDED_PERCENT':
      return Math.max(1, Math.ceil((desired * value) / 100));
    default:
      return Math.min(200, Math.max(3, Math.ceil((desired * value) / 100)));
  }
}

/** The behaviour of a task: the first essential container that cannot be pulled or misbehaves decides. */
export function taskBehaviour(
  taskDefinition: TaskDefinitionRecord,
  containers: readonly ResolvedContainer[],
): { behaviour: ImageBehaviour; decidingContainer?: string; pullError?: string } {
  const essential = containers.filter(
    (c) =>
      taskDefinition.definition.containerDefinitions?.find((d) => d.name === c.name)?.essential !== false,
  );
  const unpullable = containers.find((c) => c.pullError !== undefined);
  if (unpullable)
    return { behaviour: HEALTHY, decidingContainer: unpullable.name, pullError: unpullable.pullError };
  const misbehaving = essential.find((c) => c.behaviour.kind !== 'healthy');
  return misbehaving
    ? { behaviour: misbehaving.behaviour, decidingContainer: misbehaving.name }
    : { behaviour: HEALTHY };
}

/** Runs tasks and services on timers. */
export class EcsSimulator {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly timersByTask = new Map<string, Set<NodeJS.Timeout>>();
  private readonly reconcilePending = new Set<string>();
  private stopped = false;

  /** @param deps - model, event builders, emit callback, timing, clock and ids */
  constructor(private readonly deps: SimulatorDeps) {}

  /** Cancels every timer; nothing moves afterwards. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.timersByTask.clear();
  }

  private schedule(ms: number, run: () => void, taskArn?: string): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (taskArn) this.timersByTask.get(taskArn)?.delete(timer);
      if (!this.stopped) run();
    }, ms);
    this.timers.add(timer);
    if (taskArn) {
      const set = this.timersByTask.get(taskArn) ?? new Set<NodeJS.Timeout>();
      set.add(timer);
      this.timersByTask.set(taskArn, set);
    }
  }

  private cancelTaskTimers(taskArn: string): void {
    for (const timer of this.timersByTask.get(taskArn) ?? []) {
      clearTimeout(timer);
      this.timers.delete(timer);
    }
    this.timersByTask.delete(taskArn);
  }

  private emitNow(event: AwsEvent): void {
    this.deps.emit(event);
  }

  /** Emits after the current API call has answered (and its CloudTrail record was sent). */
  private emitLater(event: AwsEvent): void {
    this.schedule(0, () => this.emitNow(event));
  }

  // ---------------------------------------------------------------- tasks

  /** Resolves the images of a task definition's containers against the registry. */
  resolveContainers(taskDefinition: TaskDefinitionRecord): ResolvedContainer[] {
    return (taskDefinition.definition.containerDefinitions ?? []).map((c) =>
      this.deps.model.resolveImage(c.name ?? '', c.image ?? ''),
    );
  }

  /** Forgets tasks stopped longer ago than the retention, as ECS does. */
  private forgetOldTasks(): void {
    const { model, now, timing } = this.deps;
    const horizon = now().getTime() - timing.stoppedTaskRetentionMs;
    for (const [arn, record] of model.tasks) {
      const stoppedAt = record.task.stoppedAt;
      if (record.task.lastStatus === 'STOPPED' && stoppedAt !== undefined && stoppedAt.getTime() < horizon) {
        model.tasks.delete(arn);
        model.tags.delete(arn);
      }
    }
  }

  /** Creates a task in PROVISIONING and sets it on its way. */
  launchTask(spec: LaunchSpec): TaskRecord {
    const { model, ids, now } = this.deps;
    this.forgetOldTasks();
    const id = ids.hex(32);
    const arn = model.taskArn(spec.cluster.name, id);
    const definition = spec.taskDefinition.definition;
    const fargate = spec.launchType === 'FARGATE';
    const awsvpc = definition.networkMode === 'awsvpc';
    const attachmentId = ids.uuid();
    const ip = `10.0.${Math.floor(Number.parseInt(ids.hex(2), 16) % 250) + 1}.${(Number.parseInt(ids.hex(2), 16) % 250) + 2}`;
    const subnet = spec.networkConfiguration?.awsvpcConfiguration?.subnets?.[0] ?? 'subnet-0a1b2c3d4e5f60718';
    const { behaviour, decidingContainer } = taskBehaviour(spec.taskDefinition, spec.containers);
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
          : `${model.ecsArnPrefix}container-instance/${spec.cluster.name}/${ids.hex(32)}`,
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
        platformVersion: fargate ? '1.4.0' : undefined,
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
    this.emitLater(this.deps.events.taskStateChange(structuredClone(record.task)));
    this.schedule(Math.floor(this.deps.timing.taskStartMs / 2), () => this.toPending(record), arn);
    return record;
  }

  private changed(record: TaskRecord): void {
    record.task.version = (record.task.version ?? 0) + 1;
    this.emitNow(this.deps.events.taskStateChange(structuredClone(record.task)));
  }

  private toPending(record: TaskRecord): void {
    const task = record.task;
    task.lastStatus = 'PENDING';
    task.pullStartedAt = this.deps.now();
    this.changed(record);
    const half = Math.ceil(this.deps.timing.taskStartMs / 2);
    const pullError = record.containers.find((c) => c.pullError !== undefined)?.pullError;
    if (pullError !== undefined) {
      this.schedule(half, () => this.failToStart(record, pullError), record.arn);
    } else {
      this.schedule(half, () => this.toRunning(record), record.arn);
    }
  }

  private failToStart(record: TaskRecord, reason: string): void {
    for (const container of record.task.containers ?? []) {
      if (container.name === record.decidingContainer) container.reason = reason;
    }
    this.stopTask(record, 'TaskFailedToStart', reason);
    this.recordFailure(record);
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
        this.schedule(timing.healthyAfterMs, () => this.passHealthChecks(record), record.arn);
        break;
      case 'unhealthy':
        this.schedule(timing.healthyAfterMs, () => this.failHealthChecks(record), record.arn);
        break;
      case 'crash': {
        const exitCode = record.behaviour.exitCode ?? 1;
        this.schedule(timing.taskRunMs, () => this.exit(record, exitCode), record.arn);
        break;
      }
      case 'exit': {
        const exitCode = record.behaviour.exitCode;
        this.schedule(timing.taskRunMs, () => this.exit(record, exitCode), record.arn);
        break;
      }
    }
    this.reconcileOwner(record);
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
    const owner = this.owner(record);
    if (owner) {
      const { service, state } = owner;
      // A healthy task resets the circuit breaker's count unless the service says otherwise.
      if (
        state &&
        service.service.deploymentConfiguration?.deploymentCircuitBreaker?.resetOnHealthyTask !== false
      ) {
        state.breakerFailures = 0;
      }
    }
    this.reconcileOwner(record);
  }

  private failHealthChecks(record: TaskRecord): void {
    const owner = this.owner(record);
    const loadBalancer = owner?.service.service.loadBalancers?.[0];
    if (owner && loadBalancer) {
      const target = loadBalancer.targetGroupArn
        ? `target-group ${loadBalancer.targetGroupArn}`
        : `elb ${loadBalancer.loadBalancerName ?? ''}`;
      this.addServiceEvent(
        owner.service,
        `(service ${owner.service.name}) (port ${loadBalancer.containerPort ?? 80}) is unhealthy in (${target}) due to (reason Health checks failed).`,
      );
      this.stopTask(record, 'ServiceSchedulerInitiated', `Task failed ELB health checks in (${target})`);
      this.recordFailure(record);
      return;
    }
    for (const container of record.task.containers ?? []) {
      if (container.name === record.decidingContainer) container.healthStatus = 'UNHEALTHY';
    }
    record.task.healthStatus = 'UNHEALTHY';
    if (owner) {
      this.addServiceEvent(
        owner.service,
        `(service ${owner.service.name}) (task ${record.id}) failed container health checks.`,
      );
      this.stopTask(record, 'ServiceSchedulerInitiated', 'Task failed container health checks');
      this.recordFailure(record);
    }
    // A standalone task keeps running UNHEALTHY: nothing replaces it.
  }

  private exit(record: TaskRecord, exitCode: number): void {
    for (const container of record.task.containers ?? []) {
      if (container.name === record.decidingContainer) {
        container.lastStatus = 'STOPPED';
        container.exitCode = exitCode;
      }
    }
    this.stopTask(record, 'EssentialContainerExited', 'Essential container in task exited');
    this.recordFailure(record);
  }

  /**
   * Asks a task to stop: desiredStatus STOPPED now (one event), lastStatus STOPPED after
   * `taskStopMs` (another event). Stopping a task twice changes nothing.
   */
  stopTask(record: TaskRecord, stopCode: TaskStopCode, reason: string): void {
    const task = record.task;
    if (task.desiredStatus === 'STOPPED') return;
    this.cancelTaskTimers(record.arn);
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = this.deps.now();
    this.changed(record);
    this.schedule(this.deps.timing.taskStopMs, () => this.finishStop(record), record.arn);
    this.reconcileOwner(record);
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
    for (const container of task.containers ?? []) {
      if (started && container.exitCode === undefined) container.exitCode = 0;
      container.lastStatus = 'STOPPED';
    }
    this.changed(record);
    this.reconcileOwner(record);
  }

  // ------------------------------------------------------------- services

  private owner(
    record: TaskRecord,
  ): { service: ServiceRecord; deployment?: Deployment; state?: DeploymentState } | undefined {
    if (!record.serviceArn) return undefined;
    const service = this.deps.model.services.get(record.serviceArn);
    if (!service) return undefined;
    const deployment = service.service.deployments.find((d) => d.id === record.deploymentId);
    const state =
      record.deploymentId === undefined ? undefined : service.deploymentState.get(record.deploymentId);
    return { service, deployment, state };
  }

  private reconcileOwner(record: TaskRecord): void {
    const owner = this.owner(record);
    if (owner) this.requestReconcile(owner.service);
  }

  /** Records a failed task of a service deployment; may trip the circuit breaker. */
  private recordFailure(record: TaskRecord): void {
    const owner = this.owner(record);
    if (!owner?.deployment || !owner.state) return;
    const { service, deployment, state } = owner;
    deployment.failedTasks = (deployment.failedTasks ?? 0) + 1;
    if (deployment.rolloutState !== 'IN_PROGRESS' || deployment.status !== 'PRIMARY') return;
    state.breakerFailures += 1;
    const serviceDeployment = this.serviceDeploymentOf(service, state);
    const breakerView = serviceDeployment?.view.deploymentCircuitBreaker;
    if (breakerView && serviceDeployment?.targetDeploymentId === deployment.id) {
      breakerView.failureCount = state.breakerFailures;
    }
    const breaker = service.service.deploymentConfiguration?.deploymentCircuitBreaker;
    const threshold = circuitBreakerThreshold(breaker, service.service.desiredCount ?? 0);
    if (state.breakerFailures < threshold) return;
    if (breaker?.enable) {
      this.failDeployment(service, deployment, state);
    } else if (!state.impairedReported) {
      state.impairedReported = true;
      this.addServiceEvent(
        service,
        `(service ${service.name}) is unable to consistently start tasks successfully.`,
      );
      this.emitNow(
        this.deps.events.serviceAction(service.arn, service.service.clusterArn ?? '', {
          eventType: 'WARN',
          eventName: 'SERVICE_TASK_START_IMPAIRED',
        }),
      );
    }
  }

  private failDeployment(service: ServiceRecord, deployment: Deployment, state: DeploymentState): void {
    const now = this.deps.now();
    deployment.rolloutState = 'FAILED';
    deployment.rolloutStateReason = CIRCUIT_BREAKER_REASON;
    deployment.updatedAt = now;
    this.addServiceEvent(
      service,
      `(service ${service.name}) (deployment ${deployment.id}) deployment failed: tasks failed to start.`,
    );
    const serviceDeployment = this.serviceDeploymentOf(service, state);
    const breaker = service.service.deploymentConfiguration?.deploymentCircuitBreaker;
    if (
      serviceDeployment?.view.deploymentCircuitBreaker &&
      serviceDeployment.targetDeploymentId === deployment.id
    ) {
      serviceDeployment.view.deploymentCircuitBreaker.status = 'TRIGGERED';
    }
    this.emitDeployment(service, 'SERVICE_DEPLOYMENT_FAILED', deployment.id ?? '', CIRCUIT_BREAKER_REASON);
    // A rollback that fails itself is not rolled back again: that would loop.
    const rolledBack =
      breaker?.rollback === true &&
      !state.rollback &&
      serviceDeployment !== undefined &&
      this.rollBack(service, serviceDeployment, {
        reason: CIRCUIT_BREAKER_REASON,
        eventReason: (id) => `ECS deployment circuit breaker: rolling back to deploymentId ${id}.`,
      });
    if (!rolledBack && serviceDeployment) {
      if (state.rollback && serviceDeployment.rollbackDeploymentId === deployment.id) {
        this.finishServiceDeployment(service, serviceDeployment, 'ROLLBACK_FAILED', CIRCUIT_BREAKER_REASON);
      } else if (serviceDeployment.targetDeploymentId === deployment.id) {
        // Without the rollback option the service deployment stops where it failed.
        this.finishServiceDeployment(service, serviceDeployment, 'STOPPED', CIRCUIT_BREAKER_REASON);
      }
    }
    this.requestReconcile(service);
  }

  private emitDeployment(
    service: ServiceRecord,
    eventName: DeploymentEventName,
    deploymentId: string,
    reason: string,
  ) {
    this.emitNow(this.deps.events.deploymentStateChange(service.arn, { eventName, deploymentId, reason }));
  }

  /** Adds a message to the service's `events` (newest first, at most 100). */
  addServiceEvent(service: ServiceRecord, message: string): void {
    service.service.events = [
      { id: this.deps.ids.uuid(), createdAt: this.deps.now(), message },
      ...(service.service.events ?? []),
    ].slice(0, MAX_SERVICE_EVENTS);
  }

  // --------------------------------------------------- service deployments

  private serviceDeploymentOf(
    service: ServiceRecord,
    state: DeploymentState | undefined,
  ): ServiceDeploymentRecord | undefined {
    const arn = state?.serviceDeploymentArn;
    return arn === undefined ? undefined : service.serviceDeployments.find((d) => d.arn === arn);
  }

  /** Moves a service deployment to a final status, freezing its revision counts. */
  private finishServiceDeployment(
    service: ServiceRecord,
    record: ServiceDeploymentRecord,
    status: 'SUCCESSFUL' | 'STOPPED' | 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED',
    statusReason?: string,
  ): void {
    const at = this.deps.now();
    const view = record.view;
    view.status = status;
    if (statusReason !== undefined) view.statusReason = statusReason;
    view.updatedAt = at;
    view.finishedAt = at;
    if (status === 'STOPPED') view.stoppedAt ??= at;
    if (view.deploymentCircuitBreaker?.status === 'MONITORING')
      view.deploymentCircuitBreaker.status = 'MONITORING_COMPLETE';
    if (view.alarms?.status === 'MONITORING') view.alarms.status = 'MONITORING_COMPLETE';
    const counts = new Map<string, RevisionCounts>();
    for (const arn of new Set([...record.sourceRevisionArns, record.targetRevisionArn])) {
      counts.set(arn, this.deps.model.revisionCounts(service, arn));
    }
    record.finalCounts = counts;
  }

  /**
   * Starts rolling `record` back to the last completed revision of the service, with the digests it
   * ran: ROLLBACK_REQUESTED now, ROLLBACK_IN_PROGRESS when the rollback deployment's
   * SERVICE_DEPLOYMENT_IN_PROGRESS is sent, ROLLBACK_SUCCESSFUL (or ROLLBACK_FAILED) when it ends.
   *
   * @returns `false` when there is nothing to roll back to
   */
  private rollBack(
    service: ServiceRecord,
    record: ServiceDeploymentRecord,
    cause: { reason: string; eventReason: (targetId: string) => string },
  ): boolean {
    const target = service.lastCompleted;
    if (!target || !this.deps.model.findTaskDefinition(target.taskDefinition)) return false;
    const at = this.deps.now();
    const view = record.view;
    view.status = 'ROLLBACK_REQUESTED';
    view.statusReason = cause.reason;
    view.updatedAt = at;
    view.rollback = { reason: cause.reason, startedAt: at, serviceRevisionArn: target.revisionArn };
    this.addServiceEvent(service, `(service ${service.name}) rolling back to deployment ${target.id}.`);
    const rollback = this.startDeployment(service, target.taskDefinition, {
      reason: cause.eventReason(target.id),
      revisionArn: target.revisionArn,
      serviceDeploymentArn: record.arn,
      rollback: true,
      // The rollback runs the digests the completed deployment ran, not what its tags point at now.
      resolvedImages: service.deploymentState.get(target.id)?.resolvedImages,
    });
    record.rollbackDeploymentId = rollback.id;
    return true;
  }

  /**
   * StopServiceDeployment with stopType ROLLBACK of an ongoing service deployment: the deployment in
   * progress is marked FAILED (no SERVICE_DEPLOYMENT_FAILED event: ECS sends that one for the circuit
   * breaker) and a rollback deployment to the last completed revision starts. A service deployment
   * already rolling back goes on as it is.
   *
   * @returns `false` when the service has no completed revision to roll back to
   */
  stopServiceDeployment(service: ServiceRecord, record: ServiceDeploymentRecord): boolean {
    const status = record.view.status;
    if (status === 'ROLLBACK_REQUESTED' || status === 'ROLLBACK_IN_PROGRESS') return true;
    const at = this.deps.now();
    const deployment = service.service.deployments.find((d) => d.id === record.targetDeploymentId);
    const rolledBack = this.rollBack(service, record, {
      reason: USER_ROLLBACK_REASON,
      eventReason: (id) => `ECS deployment rollback requested: rolling back to deploymentId ${id}.`,
    });
    if (!rolledBack) return false;
    record.view.stoppedAt = at;
    if (deployment && deployment.rolloutState === 'IN_PROGRESS') {
      deployment.rolloutState = 'FAILED';
      deployment.rolloutStateReason = USER_ROLLBACK_REASON;
      deployment.updatedAt = at;
    }
    this.requestReconcile(service);
    return true;
  }

  /**
   * Starts a new service deployment of `taskDefinitionArn` (CreateService, UpdateService): a new
   * service revision, a service deployment (PENDING, then IN_PROGRESS when
   * SERVICE_DEPLOYMENT_IN_PROGRESS is sent) from the revisions running now, and a new PRIMARY
   * deployment. An ongoing service deployment of the service is STOPPED. Services with an external
   * deployment controller get the deployment only.
   *
   * @param reason - the `reason` of the IN_PROGRESS event and the rollout state reason; by default
   *   `ECS deployment <id> in progress.`
   */
  beginDeployment(service: ServiceRecord, taskDefinitionArn: string, reason?: string): Deployment {
    const { ids, now, model } = this.deps;
    const s = service.service;
    if ((s.deploymentController?.type ?? 'ECS') !== 'ECS') {
      return this.startDeployment(service, taskDefinitionArn, { reason });
    }
    const at = now();
    for (const ongoing of service.serviceDeployments) {
      if (ONGOING_SERVICE_DEPLOYMENT_STATUSES.has(ongoing.view.status ?? '')) {
        this.finishServiceDeployment(service, ongoing, 'STOPPED', SUPERSEDED_REASON);
      }
    }
    const revisionArn = model.serviceRevisionArn(service.clusterName, service.name, ids.digits(19));
    const arn = model.serviceDeploymentArn(service.clusterName, service.name, ids.serviceDeploymentId());
    const sourceRevisionArns = [
      ...new Set(
        s.deployments
          .map((d) => service.deploymentState.get(d.id ?? '')?.revisionArn)
          .filter((r): r is string => r !== undefined),
      ),
    ];
    const config = s.deploymentConfiguration;
    const breaker = config?.deploymentCircuitBreaker;
    const record: ServiceDeploymentRecord = {
      arn,
      targetDeploymentId: '',
      targetRevisionArn: revisionArn,
      sourceRevisionArns,
      view: {
        serviceDeploymentArn: arn,
        serviceArn: service.arn,
        clusterArn: s.clusterArn,
        createdAt: at,
        updatedAt: at,
        status: 'PENDING',
        deploymentConfiguration: structuredClone(config),
        deploymentCircuitBreaker: {
          status: breaker?.enable ? 'MONITORING' : 'DISABLED',
          failureCount: 0,
          threshold: circuitBreakerThreshold(breaker, s.desiredCount ?? 0),
        },
        alarms: {
          status: config?.alarms?.enable ? 'MONITORING' : 'DISABLED',
          alarmNames: [...(config?.alarms?.alarmNames ?? [])],
          triggeredAlarmNames: [],
        },
      },
    };
    service.serviceDeployments.push(record);
    const deployment = this.startDeployment(service, taskDefinitionArn, {
      reason,
      revisionArn,
      serviceDeploymentArn: arn,
    });
    record.targetDeploymentId = deployment.id ?? '';
    service.revisions.set(revisionArn, {
      arn: revisionArn,
      taskDefinition: taskDefinitionArn,
      createdAt: at,
      deploymentId: record.targetDeploymentId,
    });
    return deployment;
  }

  /**
   * Adds a PRIMARY deployment of `taskDefinitionArn` with the service's current configuration: the
   * previous PRIMARY becomes ACTIVE (and is drained), SERVICE_DEPLOYMENT_IN_PROGRESS is sent after the
   * API call answers, and the scheduler starts tasks.
   */
  private startDeployment(
    service: ServiceRecord,
    taskDefinitionArn: string,
    options: {
      reason?: string;
      revisionArn?: string;
      serviceDeploymentArn?: string;
      rollback?: boolean;
      resolvedImages?: ResolvedContainer[];
    },
  ): Deployment {
    const { ids, now } = this.deps;
    const s = service.service;
    const id = ids.deploymentId();
    const at = now();
    const fargate =
      ControlPlaneModel.placement(s.launchType, s.capacityProviderStrategy).launchType === 'FARGATE';
    const ecsController = (s.deploymentController?.type ?? 'ECS') === 'ECS';
    const rolloutReason = options.reason ?? `ECS deployment ${id} in progress.`;
    const deployment: Deployment = {
      id,
      status: 'PRIMARY',
      taskDefinition: taskDefinitionArn,
      desiredCount: s.desiredCount ?? 0,
      pendingCount: 0,
      runningCount: 0,
      failedTasks: 0,
      createdAt: at,
      updatedAt: at,
      capacityProviderStrategy: s.capacityProviderStrategy,
      launchType: s.launchType,
      platformVersion: fargate ? '1.4.0' : undefined,
      platformFamily: fargate ? 'Linux' : undefined,
      networkConfiguration: s.networkConfiguration,
      rolloutState: ecsController ? 'IN_PROGRESS' : undefined,
      rolloutStateReason: ecsController ? rolloutReason : undefined,
    };
    for (const previous of s.deployments) if (previous.status === 'PRIMARY') previous.status = 'ACTIVE';
    s.deployments.unshift(deployment);
    s.taskDefinition = taskDefinitionArn;
    const state: DeploymentState = {
      breakerFailures: 0,
      impairedReported: false,
      revisionArn: options.revisionArn,
      serviceDeploymentArn: options.serviceDeploymentArn,
    };
    if (options.rollback) state.rollback = true;
    if (options.resolvedImages) state.resolvedImages = options.resolvedImages;
    service.deploymentState.set(id, state);
    service.steady = false;
    if (ecsController) {
      const event = this.deps.events.deploymentStateChange(service.arn, {
        eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
        deploymentId: id,
        reason: rolloutReason,
      });
      // After the API call has answered: the service deployment starts as the event is sent.
      this.schedule(0, () => {
        this.markStarted(service, id);
        this.emitNow(event);
      });
      this.requestReconcile(service);
    }
    return deployment;
  }

  /** PENDING -> IN_PROGRESS, or ROLLBACK_REQUESTED -> ROLLBACK_IN_PROGRESS, as deployment `id` starts. */
  private markStarted(service: ServiceRecord, id: string): void {
    const record = this.serviceDeploymentOf(service, service.deploymentState.get(id));
    if (!record) return;
    const at = this.deps.now();
    const view = record.view;
    if (record.targetDeploymentId === id && view.status === 'PENDING') {
      view.status = 'IN_PROGRESS';
      view.startedAt = at;
      view.updatedAt = at;
    } else if (record.rollbackDeploymentId === id && view.status === 'ROLLBACK_REQUESTED') {
      view.status = 'ROLLBACK_IN_PROGRESS';
      view.startedAt ??= at;
      view.updatedAt = at;
    }
  }

  /** Runs the service scheduler for `service` once the current call or timer is done. */
  requestReconcile(service: ServiceRecord): void {
    if (this.reconcilePending.has(service.arn)) return;
    this.reconcilePending.add(service.arn);
    this.schedule(0, () => {
      this.reconcilePending.delete(service.arn);
      this.reconcile(service);
    });
  }

  private scaleInReason(service: ServiceRecord): string {
    const primary = service.service.deployments[0];
    return `Scaling activity initiated by (deployment ${primary?.id ?? ''})`;
  }

  private reconcile(service: ServiceRecord): void {
    const s = service.service;
    if (s.status === 'INACTIVE') return;
    const all = this.deps.model.tasksOfService(service.arn);
    const live = all.filter((t) => t.task.desiredStatus === 'RUNNING');

    if (s.status === 'DRAINING') {
      this.stopTasks(service, live);
      if (all.every((t) => !ControlPlaneModel.isAlive(t))) {
        s.status = 'INACTIVE';
      }
      this.updateCounts(service);
      return;
    }
    if ((s.deploymentController?.type ?? 'ECS') !== 'ECS' || s.schedulingStrategy === 'DAEMON') {
      this.updateCounts(service);
      return;
    }
    const primary = s.deployments[0];
    if (!primary) return;
    const desired = s.desiredCount ?? 0;
    const config = s.deploymentConfiguration;
    const maxTotal = Math.max(desired, Math.floor((desired * (config?.maximumPercent ?? 200)) / 100));
    const minHealthy = Math.ceil((desired * (config?.minimumHealthyPercent ?? 100)) / 100);

    const primaryLive = live.filter((t) => t.deploymentId === primary.id);
    const oldLive = live.filter((t) => t.deploymentId !== primary.id);

    if (primary.rolloutState !== 'FAILED') {
      // Scale in beyond the desired count, tasks not yet running first.
      const surplus = primaryLive.length - desired;
      if (surplus > 0) {
        const byProgress = [...primaryLive].sort((a, b) => Number(a.healthy) - Number(b.healthy));
        this.stopTasks(service, byProgress.slice(0, surplus));
      }
      // Drain older deployments while enough healthy tasks remain; their unhealthy tasks (not yet
      // running, or never passing health checks) count for nothing and go first.
      const healthyPrimary = primaryLive.filter((t) => t.healthy).length;
      const oldHealthy = oldLive.filter((t) => t.healthy);
      this.stopTasks(
        service,
        oldLive.filter((t) => !t.healthy),
      );
      let healthy = healthyPrimary + oldHealthy.length;
      const drained: TaskRecord[] = [];
      for (const task of oldHealthy) {
        if (healthy - 1 < minHealthy) break;
        drained.push(task);
        healthy -= 1;
      }
      this.stopTasks(service, drained);
      // Launch up to the desired count within maximumPercent.
      const stillLive = this.deps.model
        .tasksOfService(service.arn)
        .filter((t) => t.task.desiredStatus === 'RUNNING');
      const primaryNow = stillLive.filter((t) => t.deploymentId === primary.id).length;
      const toLaunch = Math.min(desired - primaryNow, maxTotal - stillLive.length);
      if (toLaunch > 0) this.launchForDeployment(service, primary, toLaunch);
    }

    this.maybeComplete(service, primary);
    // Deployments whose tasks have all stopped are gone from the description.
    s.deployments = s.deployments.filter(
      (d, i) => i === 0 || all.some((t) => t.deploymentId === d.id && ControlPlaneModel.isAlive(t)),
    );
    this.updateCounts(service);
    this.maybeSteady(service);
  }

  private stopTasks(service: ServiceRecord, tasks: readonly TaskRecord[]): void {
    const stoppable = tasks.filter((t) => t.task.desiredStatus === 'RUNNING');
    if (stoppable.length === 0) return;
    const running = stoppable.filter((t) => t.task.lastStatus === 'RUNNING');
    if (running.length > 0) {
      this.addServiceEvent(
        service,
        `(service ${service.name}) has stopped ${running.length} running tasks: ${running.map((t) => `(task ${t.id})`).join(' ')}.`,
      );
    }
    for (const task of stoppable)
      this.stopTask(task, 'ServiceSchedulerInitiated', this.scaleInReason(service));
  }

  private launchForDeployment(service: ServiceRecord, deployment: Deployment, count: number): void {
    const { model } = this.deps;
    const cluster = model.clusters.get(service.clusterName);
    const taskDefinition = model.findTaskDefinition(deployment.taskDefinition ?? '');
    const state = service.deploymentState.get(deployment.id ?? '');
    if (!cluster || !taskDefinition || !state) return;
    // ECS resolves image tags to digests once per deployment: every task of it runs the same digests.
    let containers = state.resolvedImages;
    if (!containers) {
      containers = this.resolveContainers(taskDefinition);
      if (containers.every((c) => c.pullError === undefined)) state.resolvedImages = containers;
    }
    const s = service.service;
    const placement = ControlPlaneModel.placement(deployment.launchType, deployment.capacityProviderStrategy);
    const tags = this.propagatedTags(service, taskDefinition);
    const started: TaskRecord[] = [];
    for (let i = 0; i < count; i++) {
      started.push(
        this.launchTask({
          cluster,
          taskDefinition,
          group: `service:${service.name}`,
          startedBy: deployment.id,
          launchType: placement.launchType,
          capacityProviderName: placement.capacityProviderName,
          networkConfiguration: deployment.networkConfiguration,
          tags,
          enableExecuteCommand: s.enableExecuteCommand,
          service: { arn: service.arn, deploymentId: deployment.id ?? '' },
          containers,
        }),
      );
    }
    this.addServiceEvent(
      service,
      `(service ${service.name}) has started ${count} tasks: ${started.map((t) => `(task ${t.id})`).join(' ')}.`,
    );
  }

  /** Tags a service's tasks get: propagated from the service or the task definition, plus ECS managed tags. */
  private propagatedTags(service: ServiceRecord, taskDefinition: TaskDefinitionRecord): Tag[] {
    const { model } = this.deps;
    const s = service.service;
    const tags: Tag[] =
      s.propagateTags === 'SERVICE'
        ? model.tagsOf(service.arn)
        : s.propagateTags === 'TASK_DEFINITION'
          ? model.tagsOf(taskDefinition.arn)
          : [];
    if (s.enableECSManagedTags) {
      tags.push({ key: 'aws:ecs:clusterName', value: service.clusterName });
      tags.push({ key: 'aws:ecs:serviceName', value: service.name });
    }
    return tags;
  }

  private maybeComplete(service: ServiceRecord, primary: Deployment): void {
    if (primary.rolloutState !== 'IN_PROGRESS') return;
    const desired = service.service.desiredCount ?? 0;
    const tasks = this.deps.model.tasksOfService(service.arn);
    const primaryLive = tasks.filter(
      (t) => t.deploymentId === primary.id && t.task.desiredStatus === 'RUNNING',
    );
    const othersAlive = tasks.some((t) => t.deploymentId !== primary.id && ControlPlaneModel.isAlive(t));
    if (primaryLive.length !== desired || !primaryLive.every((t) => t.healthy) || othersAlive) return;
    const id = primary.id ?? '';
    const reason = `ECS deployment ${id} completed.`;
    primary.rolloutState = 'COMPLETED';
    primary.rolloutStateReason = reason;
    primary.updatedAt = this.deps.now();
    const state = service.deploymentState.get(id);
    service.lastCompleted = {
      id,
      taskDefinition: primary.taskDefinition ?? '',
      revisionArn: state?.revisionArn,
    };
    const record = this.serviceDeploymentOf(service, state);
    if (
      record?.targetDeploymentId === id &&
      ONGOING_SERVICE_DEPLOYMENT_STATUSES.has(record.view.status ?? '')
    ) {
      this.finishServiceDeployment(service, record, 'SUCCESSFUL');
    } else if (record?.rollbackDeploymentId === id && record.view.status?.startsWith('ROLLBACK_')) {
      this.finishServiceDeployment(service, record, 'ROLLBACK_SUCCESSFUL');
    }
    this.addServiceEvent(service, `(service ${service.name}) (deployment ${id}) deployment completed.`);
    this.emitDeployment(service, 'SERVICE_DEPLOYMENT_COMPLETED', id, reason);
  }

  private maybeSteady(service: ServiceRecord): void {
    const s = service.service;
    const primary = s.deployments[0];
    const steady =
      s.status === 'ACTIVE' &&
      s.deployments.length === 1 &&
      primary?.rolloutState === 'COMPLETED' &&
      (s.runningCount ?? 0) === (s.desiredCount ?? 0) &&
      (s.pendingCount ?? 0) === 0 &&
      this.deps.model
        .tasksOfService(service.arn)
        .every((t) => t.task.desiredStatus !== 'RUNNING' || t.healthy);
    if (steady && !service.steady) {
      this.addServiceEvent(service, `(service ${service.name}) has reached a steady state.`);
      this.emitNow(
        this.deps.events.serviceAction(service.arn, s.clusterArn ?? '', {
          eventType: 'INFO',
          eventName: 'SERVICE_STEADY_STATE',
        }),
      );
    }
    service.steady = steady;
  }

  private updateCounts(service: ServiceRecord): void {
    const s = service.service;
    const tasks = this.deps.model.tasksOfService(service.arn);
    let running = 0;
    let pending = 0;
    s.deployments.forEach((d, i) => {
      const mine = tasks.filter((t) => t.deploymentId === d.id);
      d.runningCount = mine.filter((t) => t.task.lastStatus === 'RUNNING').length;
      d.pendingCount = mine.filter(
        (t) => t.task.desiredStatus === 'RUNNING' && PENDING_STATUSES.has(t.task.lastStatus ?? ''),
      ).length;
      d.desiredCount =
        i === 0 && s.status === 'ACTIVE'
          ? (s.desiredCount ?? 0)
          : mine.filter((t) => t.task.desiredStatus === 'RUNNING').length;
      running += d.runningCount;
      pending += d.pendingCount;
    });
    s.runningCount = running;
    s.pendingCount = pending;
  }
}
