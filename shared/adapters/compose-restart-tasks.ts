/** Builds restart-tasks' ports: DescribeTasks (never RunTask), the chains, the delay queue, events. */
import type { RestartEnv } from '../config/env';
import type { RestartTasksDeps } from '../domain/restart/restart-tasks';
import { EcsTaskReader } from './aws/ecs-task-reader';
import { restartCommonDeps } from './compose-restart';

/** restart-tasks' ports on AWS. */
export function makeRestartTasksDeps(env: RestartEnv): RestartTasksDeps {
  return { tasks: new EcsTaskReader(), ...restartCommonDeps(env) };
}
