/**
 * Builds the ports of deploy on push (and of the pushes deployed when due) from the validated
 * environment. Clients are the cached, traced ones from `aws/clients.ts`.
 */
import type { BaseEnv } from '../config/env';
import type { DeployDeps } from '../domain/deploy/deploy-pushed-image';
import type { RevertDeps } from '../domain/deploy/revert';
import { EcrGateway } from './aws/ecr-gateway';
import { EcsGateway } from './aws/ecs-gateway';
import { baseDeps } from './compose-base';
import { DynamoDeploymentHistory } from './state/dynamo-deployment-history';
import { DynamoPauses } from './state/dynamo-pauses';
import { DynamoPendingPushes } from './state/dynamo-pending-pushes';
import { DynamoQuarantine } from './state/dynamo-quarantine';
import { DynamoRevertLog } from './state/dynamo-revert-log';
import { DynamoServiceIndex } from './state/dynamo-service-index';
import { DynamoServiceLease } from './state/dynamo-service-lease';
import { DynamoSkippedPushes } from './state/dynamo-skipped-pushes';

/** Everything deploy on push needs, on AWS. */
export function makeDeployDeps(env: BaseEnv): DeployDeps {
  const table = env.AUTOPILOT_TABLE;
  return {
    ecs: new EcsGateway(),
    ecr: new EcrGateway(),
    index: new DynamoServiceIndex(table),
    quarantine: new DynamoQuarantine(table),
    history: new DynamoDeploymentHistory(table),
    lease: new DynamoServiceLease(table),
    pending: new DynamoPendingPushes(table),
    skips: new DynamoSkippedPushes(table),
    pauses: new DynamoPauses(table),
    ...baseDeps(env),
  };
}

/** What revert detection needs (deploy on push's CloudTrail UpdateService path), on AWS. */
export function makeRevertDeps(env: BaseEnv): RevertDeps {
  const table = env.AUTOPILOT_TABLE;
  return {
    ecs: new EcsGateway(),
    ecr: new EcrGateway(),
    history: new DynamoDeploymentHistory(table),
    reverts: new DynamoRevertLog(table),
    pauses: new DynamoPauses(table),
    lease: new DynamoServiceLease(table),
    ...baseDeps(env),
  };
}
