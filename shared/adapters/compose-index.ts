/**
 * Builds the ports of the indexer from the validated environment (kept apart from compose-deploy.ts
 * so the indexer's bundle holds only the clients it uses: no ECR, no ECS writes).
 */
import type { BaseEnv } from '../config/env';
import type { IndexDeps } from '../domain/index/index-services';
import { EcsInventory } from './aws/ecs-inventory';
import { EcsReader } from './aws/ecs-reader';
import { baseDeps } from './compose-base';
import { DynamoConfigurationProblems } from './state/dynamo-configuration-problems';
import { DynamoIndexSweep } from './state/dynamo-index-sweep';
import { DynamoRollbackHistory } from './state/dynamo-rollback-history';
import { DynamoServiceIndex } from './state/dynamo-service-index';

/** Everything indexing needs, on AWS. */
export function makeIndexDeps(env: BaseEnv): IndexDeps {
  const table = env.AUTOPILOT_TABLE;
  return {
    ecs: new EcsReader(),
    inventory: new EcsInventory(),
    index: new DynamoServiceIndex(table),
    problems: new DynamoConfigurationProblems(table),
    rollbacks: new DynamoRollbackHistory(table),
    sweep: new DynamoIndexSweep(table),
    ...baseDeps(env),
  };
}
