/**
 * The moving parts of ECS on timers, as two state machines that meet through a narrow interface:
 * - `tasks.ts`, the {@link TaskLifecycle}: PROVISIONING -> PENDING -> RUNNING -> STOPPED, what images
 *   make containers do, health checks, stop codes, "ECS Task State Change";
 * - `deployments.ts`, the {@link DeploymentController}: the service scheduler, rolling deployments,
 *   service deployments, the circuit breaker and rollback, "ECS Deployment State Change" and "ECS
 *   Service Action".
 *
 * The controller launches and stops tasks ({@link TaskControl}); the lifecycle reports every task
 * transition to it and asks it what becomes of a task that fails its health checks
 * ({@link TaskSupervisor}). Both schedule on one set of {@link Timers}, so `stop()` halts them both
 * and a seeded run replays the same way.
 */

import { DeploymentController } from './deployments';
import { type TaskControl, TaskLifecycle, type TaskLifecycleDeps } from './tasks';
import { Timers } from './timers';

export {
  CIRCUIT_BREAKER_REASON,
  circuitBreakerThreshold,
  SUPERSEDED_REASON,
  USER_ROLLBACK_REASON,
} from './deployments';
export type { LaunchSpec, SimulationTiming } from './tasks';

/** What the simulator works with: model, event builders, emit callback, timing, clock and ids. */
export type SimulatorDeps = Omit<TaskLifecycleDeps, 'timers' | 'supervisor'>;

/** The task lifecycle and the deployment controller, wired to each other. */
export class EcsSimulator {
  readonly tasks: TaskLifecycle;
  readonly deployments: DeploymentController;
  private readonly timers = new Timers();

  /** @param deps - model, event builders, emit callback, timing, clock and ids */
  constructor(deps: SimulatorDeps) {
    // The controller is built first, so it reaches the lifecycle through this forwarding TaskControl.
    const tasks: TaskControl = {
      launchTask: (spec) => this.tasks.launchTask(spec),
      stopTask: (task, stopCode, reason) => this.tasks.stopTask(task, stopCode, reason),
    };
    this.deployments = new DeploymentController({ ...deps, timers: this.timers, tasks });
    this.tasks = new TaskLifecycle({ ...deps, timers: this.timers, supervisor: this.deployments });
  }

  /** Cancels every timer; nothing moves afterwards. */
  stop(): void {
    this.timers.stop();
  }
}
