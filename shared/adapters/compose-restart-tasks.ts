/**
 * Builds restart-tasks' ports: DescribeTasks (never RunTask), the chains, the delay queue, events,
 * and the policy file's `restart:` rules.
 */
import type { RestartEnv } from '../config/env';
import { policyFileFor } from '../config/policy-file';
import type { RestartTasksDeps } from '../domain/restart/restart-tasks';
import { EcsTaskReader } from './aws/ecs-task-reader';
import { restartCommonDeps } from './compose-restart';

/** restart-tasks' ports on AWS. */
export function makeRestartTasksDeps(env: RestartEnv): RestartTasksDeps {
  return { tasks: new EcsTaskReader(), restartRules: policyFileFor(env).restart, ...restartCommonDeps(env) };
}
