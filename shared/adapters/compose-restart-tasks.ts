/**
 * Builds restart-tasks' ports: DescribeTasks (never RunTask), DescribeNetworkInterfaces (a RUNNING awsvpc
 * task's security groups), the chains, the delay queue, events, and the policy file's `restart:` rules.
 */
import type { RestartEnv } from '../config/env';
import { policyFileFor } from '../config/policy-file-reader';
import type { RestartTasksDeps } from '../domain/restart/restart-tasks';
import { Ec2NetworkInterfaceReader } from './aws/ec2-network-interface-reader';
import { EcsTaskReader } from './aws/ecs-task-reader';
import { restartCommonDeps } from './compose-restart';

/** restart-tasks' ports on AWS. */
export function makeRestartTasksDeps(env: RestartEnv): RestartTasksDeps {
  return {
    tasks: new EcsTaskReader(),
    networkInterfaces: new Ec2NetworkInterfaceReader(),
    restartRules: policyFileFor(env).restart,
    ...restartCommonDeps(env),
  };
}
