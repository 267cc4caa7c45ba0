/**
 * index-services: keeps the repository -> services index current. Triggered by ECS API calls that
 * create, change, tag or delete services (through CloudTrail), by ECS deployment state changes, and by
 * a periodic reconcile of the whole account.
 */
import { z } from 'zod';
import { EcsInventory } from '../shared/adapters/aws/ecs-inventory';
import { EcsReader } from '../shared/adapters/aws/ecs-reader';
import { DynamoHealthStore } from '../shared/adapters/state/dynamo-health-store';
import { DynamoStateStore } from '../shared/adapters/state/dynamo-state-store';
import { BaseEnvSchema } from '../shared/config/env';
import { policyFileFor } from '../shared/config/policy-file';
import { type IndexDecision, indexServices, reconcileIndex } from '../shared/domain/index-services';
import { assertNever } from '../shared/errors';
import {
  EcsCloudTrailApiCallEventSchema,
  serviceRefFromApiCall,
} from '../shared/events/ecs-cloudtrail-api-call';
import { EcsDeploymentStateChangeEventSchema } from '../shared/events/ecs-deployment-state-change';
import { ScheduledEventSchema } from '../shared/events/scheduled-event';
import { withHandler } from '../shared/middleware/with-handler';
import { countDecisions, logger } from '../shared/observability';

const IndexEventSchema = z.discriminatedUnion('detail-type', [
  EcsCloudTrailApiCallEventSchema,
  EcsDeploymentStateChangeEventSchema,
  ScheduledEventSchema,
]);

/** The cluster and service of a service ARN (`arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`). */
function refFromServiceArn(arn: string) {
  const cluster = /:service\/([^/]+)\/[^/]+$/.exec(arn)?.[1];
  return cluster ? [{ cluster, service: arn }] : [];
}

/** The Lambda handler. Indexing converges on the current state, so even a replay is harmless. */
export const handler = withHandler({
  name: 'index-services',
  envSchema: BaseEnvSchema,
  eventSchema: IndexEventSchema,
  idempotencyKey: 'id',
}).handler(async (event, { env }): Promise<{ decisions: IndexDecision[] }> => {
  const deps = {
    ecs: new EcsReader(),
    inventory: new EcsInventory(),
    state: new DynamoStateStore(env.AUTOPILOT_TABLE),
    health: new DynamoHealthStore(env.AUTOPILOT_TABLE),
    policyFile: policyFileFor(env),
    dryRun: env.AUTOPILOT_DRY_RUN,
  };
  let decisions: IndexDecision[];
  switch (event['detail-type']) {
    case 'AWS API Call via CloudTrail': {
      const ref = serviceRefFromApiCall(event.detail);
      decisions = ref ? await indexServices([ref], deps) : [];
      break;
    }
    case 'ECS Deployment State Change':
      decisions = await indexServices(refFromServiceArn(event.resources[0]), deps);
      break;
    case 'Scheduled Event':
      decisions = await reconcileIndex(deps);
      break;
    default:
      return assertNever(event);
  }
  for (const decision of decisions) logger.info('index', { decision });
  countDecisions(decisions);
  return { decisions };
});
