/**
 * Builds the ports of the rollback use case from the validated environment (kept apart from the
 * other compositions so the watcher's bundle holds only the clients it uses: RegisterTaskDefinition
 * only for a rollback target's pinned copy, no ECR).
 */
import type { BaseEnv } from '../config/env';
import type { WatchDeps } from '../domain/rollback/watch-deployments';
import { EcsDeploymentControl } from './aws/ecs-deployment-control';
import { EcsRollbackPlatform } from './aws/ecs-rollback-platform';
import { EcsServiceRevisions } from './aws/ecs-service-revisions';
import { baseDeps } from './compose-base';
import { DynamoBakeSchedule } from './state/dynamo-bake-schedule';
import { DynamoDeploymentHistory } from './state/dynamo-deployment-history';
import { DynamoQuarantine } from './state/dynamo-quarantine';
import { DynamoRollbackHistory } from './state/dynamo-rollback-history';
import { DynamoServiceIndex } from './state/dynamo-service-index';

/** Everything the rollback use case needs, on AWS (the alarm index among them, which it only reads). */
export function makeWatchDeps(env: BaseEnv): WatchDeps {
  const table = env.AUTOPILOT_TABLE;
  return {
    ecs: new EcsRollbackPlatform(),
    revisions: new EcsServiceRevisions(),
    control: new EcsDeploymentControl(),
    history: new DynamoDeploymentHistory(table),
    rollbacks: new DynamoRollbackHistory(table),
    bakes: new DynamoBakeSchedule(table),
    quarantine: new DynamoQuarantine(table),
    index: new DynamoServiceIndex(table),
    ...baseDeps(env),
  };
}
