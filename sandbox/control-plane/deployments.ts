/**
 * The service and deployment state machine: the service scheduler keeps each service at its desired
 * count of tasks of its PRIMARY deployment, rolls deployments (maximumPercent /
 * minimumHealthyPercent), completes them, keeps service deployments and revisions, trips the
 * deployment circuit breaker and rolls back (automatically or by StopServiceDeployment). It sends the
 * "ECS Deployment State Change" and "ECS Service Action" events.
 *
 * It sees tasks only through the narrow interface of `tasks.ts`: it launches and stops them
 * ({@link TaskControl}) and, as their {@link TaskSupervisor}, hears of their transitions and says
 * what becomes of a task that fails its health checks.
 */
import type { Deployment, DeploymentCircuitBreaker, Tag } from '@aws-sdk/client-ecs';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import type { DeploymentEventName, EventFactory } from './events';
import {
  ControlPlaneModel,
  type DeploymentState,
  ONGOING_SERVICE_DEPLOYMENT_STATUSES,
  type ResolvedContainer,
  type RevisionCounts,
  type ServiceDeploymentRecord,
  type ServiceRecord,
  type TaskDefinitionRecord,
  type TaskRecord,
} from './model';
import type { IdGenerator } from './random';
import {
  type HealthCheckFailure,
  resolveContainers,
  type TaskControl,
  type TaskSupervisor,
  type TaskTransition,
} from './tasks';
import type { Timers } from './timers';

/** What the deployment controller works with. */
export interface DeploymentControllerDeps {
  model: ControlPlaneModel;
  events: EventFactory;
  emit: (event: EventBridgeEvent) => void;
  now: () => Date;
  ids: IdGenerator;
  timers: Timers;
  tasks: TaskControl;
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

/** Runs the services: deployments, service deployments, circuit breaker and rollback. */
export class DeploymentController implements TaskSupervisor {
  private readonly reconcilePending = new Set<string>();

  /** @param deps - model, event builders, emit callback, clock, ids, timers and the tasks */
  constructor(private readonly deps: DeploymentControllerDeps) {}

  /** A task of a service moved on: the scheduler looks at the service again; a failed task may trip the breaker. */
  onTaskTransition(record: TaskRecord, transition: TaskTransition): void {
    switch (transition) {
      case 'healthy': {
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
        return;
      }
      case 'failed':
        this.recordFailure(record);
        return;
      case 'running':
      case 'stopping':
      case 'stopped':
        this.reconcileOwner(record);
        return;
    }
  }

  /**
   * A task failed its health checks: a service task is stopped and replaced, by the ELB health checks
   * of the service's load balancer if it has one, else by its container health checks; a standalone
   * task is left alone.
   */
  onHealthChecksFailed(record: TaskRecord): HealthCheckFailure | undefined {
    const owner = this.owner(record);
    if (!owner) return undefined;
    const loadBalancer = owner.service.service.loadBalancers?.[0];
    if (loadBalancer) {
      const target = loadBalancer.targetGroupArn
        ? `target-group ${loadBalancer.targetGroupArn}`
        : `elb ${loadBalancer.loadBalancerName ?? ''}`;
      this.addServiceEvent(
        owner.service,
        `(service ${owner.service.name}) (port ${loadBalancer.containerPort ?? 80}) is unhealthy in (${target}) due to (reason Health checks failed).`,
      );
      return { check: 'elb', target };
    }
    this.addServiceEvent(
      owner.service,
      `(service ${owner.service.name}) (task ${record.id}) failed container health checks.`,
    );
    return { check: 'container' };
  }

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
      this.deps.emit(
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
    this.deps.emit(this.deps.events.deploymentStateChange(service.arn, { eventName, deploymentId, reason }));
  }

  /** Adds a message to the service's `events` (newest first, at most 100). */
  private addServiceEvent(service: ServiceRecord, message: string): void {
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
    // ECS resolves image tags to digests when a deployment starts (a rollback runs the digests of the
    // deployment it returns to): a tag pushed later does not change what this deployment runs. An
    // image that cannot be resolved yet is resolved again when a task of the deployment launches.
    const resolved = options.resolvedImages ?? this.resolveAtStart(taskDefinitionArn);
    if (resolved) state.resolvedImages = resolved;
    service.deploymentState.set(id, state);
    service.steady = false;
    if (ecsController) {
      const event = this.deps.events.deploymentStateChange(service.arn, {
        eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
        deploymentId: id,
        reason: rolloutReason,
      });
      // After the API call has answered: the service deployment starts as the event is sent.
      this.deps.timers.schedule(0, () => {
        this.markStarted(service, id);
        this.deps.emit(event);
      });
      this.requestReconcile(service);
    }
    return deployment;
  }

  /** The images of a revision resolved now, when every one of them can be (else undefined). */
  private resolveAtStart(taskDefinitionArn: string): ResolvedContainer[] | undefined {
    const taskDefinition = this.deps.model.findTaskDefinition(taskDefinitionArn);
    if (!taskDefinition) return undefined;
    const containers = resolveContainers(this.deps.model, taskDefinition);
    return containers.every((c) => c.pullError === undefined) ? containers : undefined;
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
    this.deps.timers.schedule(0, () => {
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
      this.deps.tasks.stopTask(task, 'ServiceSchedulerInitiated', this.scaleInReason(service));
  }

  private launchForDeployment(service: ServiceRecord, deployment: Deployment, count: number): void {
    const { model } = this.deps;
    const cluster = model.clusters.get(service.clusterName);
    const taskDefinition = model.findTaskDefinition(deployment.taskDefinition ?? '');
    const state = service.deploymentState.get(deployment.id ?? '');
    if (!cluster || !taskDefinition || !state) return;
    // Resolved once per deployment (at its start, or at its first launch when an image could not be
    // resolved then): every task of it runs the same digests.
    let containers = state.resolvedImages;
    if (!containers) {
      containers = resolveContainers(model, taskDefinition);
      if (containers.every((c) => c.pullError === undefined)) state.resolvedImages = containers;
    }
    const s = service.service;
    const placement = ControlPlaneModel.placement(deployment.launchType, deployment.capacityProviderStrategy);
    const tags = this.propagatedTags(service, taskDefinition);
    const started: TaskRecord[] = [];
    for (let i = 0; i < count; i++) {
      started.push(
        this.deps.tasks.launchTask({
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
      this.deps.emit(
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
