/**
 * Builds the ports of the rollback use case from the validated environment (kept apart from
 * compose.ts so the watcher's bundle holds only the clients it uses).
 */
import type { BaseEnv } from '../config/env';
import { policyFileFor } from '../config/policy-file';
import type { WatchDeps } from '../domain/rollback/watch-deployments';
import { EcsDeploymentControl } from './aws/ecs-deployment-control';
import { EcsServiceUpdater } from './aws/ecs-service-updater';
import { EventBridgePublisher } from './aws/event-publisher';
import { DynamoHealthStore } from './state/dynamo-health-store';

/** Everything the rollback use case needs, on AWS. */
export function makeWatchDeps(env: BaseEnv): WatchDeps & { health: DynamoHealthStore } {
  return {
    ecs: new EcsServiceUpdater(),
    control: new EcsDeploymentControl(),
    health: new DynamoHealthStore(env.AUTOPILOT_TABLE),
    events: new EventBridgePublisher(env.AUTOPILOT_BUS),
    policyFile: policyFileFor(env),
    dryRun: env.AUTOPILOT_DRY_RUN,
    now: () => new Date(),
  };
}
