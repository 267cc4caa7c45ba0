/**
 * Builds the ports of the domain from the validated environment: the composition shared by the
 * handlers. Clients are the cached, traced ones from `aws/clients.ts`.
 */
import type { BaseEnv } from '../config/env';
import { policyFileFor } from '../config/policy-file';
import type { DeployDeps } from '../domain/deploy/deploy-pushed-image';
import { EcrGateway } from './aws/ecr-gateway';
import { EcsGateway } from './aws/ecs-gateway';
import { EventBridgePublisher } from './aws/event-publisher';
import { DynamoStateStore } from './state/dynamo-state-store';

/** Everything deploy on push needs, on AWS. */
export function makeDeployDeps(env: BaseEnv): DeployDeps {
  return {
    ecs: new EcsGateway(),
    ecr: new EcrGateway(),
    state: new DynamoStateStore(env.AUTOPILOT_TABLE),
    events: new EventBridgePublisher(env.AUTOPILOT_BUS),
    policyFile: policyFileFor(env),
    dryRun: env.AUTOPILOT_DRY_RUN,
    now: () => new Date(),
  };
}
