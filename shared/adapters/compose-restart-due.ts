/** Builds restart-due's ports: RunTask (never DescribeTasks), the chains, the delay queue, events. */
import type { RestartEnv } from '../config/env';
import type { RestartDueDeps } from '../domain/restart/restart-tasks';
import { EcsTaskStarter } from './aws/ecs-task-starter';
import { restartCommonDeps } from './compose-restart';

/** restart-due's ports on AWS. */
export function makeRestartDueDeps(env: RestartEnv): RestartDueDeps {
  return { starter: new EcsTaskStarter(), ...restartCommonDeps(env) };
}
