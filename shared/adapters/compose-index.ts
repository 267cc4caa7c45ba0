/**
 * Builds the ports of the indexer from the validated environment (kept apart from compose.ts so the
 * indexer's bundle holds only the clients it uses: no ECR, no ECS writes).
 */
import type { BaseEnv } from '../config/env';
import { policyFileFor } from '../config/policy-file';
import type { IndexDeps } from '../domain/index/index-services';
import { EcsInventory } from './aws/ecs-inventory';
import { EcsReader } from './aws/ecs-reader';
import { EventBridgePublisher } from './aws/event-publisher';
import { DynamoHealthStore } from './state/dynamo-health-store';
import { DynamoStateStore } from './state/dynamo-state-store';

/** Everything indexing needs, on AWS. */
export function makeIndexDeps(env: BaseEnv): IndexDeps {
  return {
    ecs: new EcsReader(),
    inventory: new EcsInventory(),
    state: new DynamoStateStore(env.AUTOPILOT_TABLE),
    health: new DynamoHealthStore(env.AUTOPILOT_TABLE),
    events: new EventBridgePublisher(env.AUTOPILOT_BUS),
    policyFile: policyFileFor(env),
    dryRun: env.AUTOPILOT_DRY_RUN,
  };
}
