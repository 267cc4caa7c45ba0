/**
 * Builds the ports of the bake timer from the validated environment (kept apart from the watcher's
 * composition so the bake timer's bundle holds only what it calls: ECS reads (services, task
 * definitions, and the service revisions whose digests a known good revision records), no
 * UpdateService, no StopServiceDeployment; its role is checked against its bundle by `test/contract/iam.test.ts`).
 */
import type { BaseEnv } from '../config/env';
import type { BakeDeps } from '../domain/rollback/watch-deployments';
import { EcsReader } from './aws/ecs-reader';
import { EcsServiceRevisions } from './aws/ecs-service-revisions';
import { baseDeps } from './compose-base';
import { DynamoBakeSchedule } from './state/dynamo-bake-schedule';
import { DynamoDeploymentHistory } from './state/dynamo-deployment-history';
import { DynamoRollbackHistory } from './state/dynamo-rollback-history';
import { DynamoServiceIndex } from './state/dynamo-service-index';

/** Everything the bake timer needs, on AWS. */
export function makeBakeDeps(env: BaseEnv): BakeDeps {
  const table = env.AUTOPILOT_TABLE;
  return {
    ecs: new EcsReader(),
    revisions: new EcsServiceRevisions(),
    history: new DynamoDeploymentHistory(table),
    rollbacks: new DynamoRollbackHistory(table),
    bakes: new DynamoBakeSchedule(table),
    index: new DynamoServiceIndex(table),
    ...baseDeps(env),
  };
}
