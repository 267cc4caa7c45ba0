/**
 * index-services: keeps the repository -> services index current, and announces the service tags
 * autopilot cannot use (`Configuration Problem`). Triggered by ECS API calls that create, change, tag
 * or delete services (through CloudTrail), by ECS deployment state changes, and by a periodic
 * reconcile of the whole account.
 */
import * as z from 'zod';
import { makeIndexDeps } from '../shared/adapters/compose-index';
import { BaseEnvSchema } from '../shared/config/env';
import { clusterOfServiceArn } from '../shared/domain/aws/arn';
import { type IndexDecision, indexServices, reconcileIndex } from '../shared/domain/index/index-services';
import { assertNever } from '../shared/errors';
import {
  EcsCloudTrailApiCallEventSchema,
  serviceRefFromApiCall,
} from '../shared/events/ecs-cloudtrail-api-call';
import { EcsDeploymentStateChangeEventSchema } from '../shared/events/ecs-deployment-state-change';
import { ScheduledEventSchema } from '../shared/events/scheduled-event';
import { withHandler } from '../shared/middleware/with-handler';

const IndexEventSchema = z.discriminatedUnion('detail-type', [
  EcsCloudTrailApiCallEventSchema,
  EcsDeploymentStateChangeEventSchema,
  ScheduledEventSchema,
]);

/** The cluster and service of a service ARN (`arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`). */
function refFromServiceArn(arn: string) {
  const cluster = clusterOfServiceArn(arn);
  return cluster ? [{ cluster, service: arn }] : [];
}

/** The Lambda handler. Indexing converges on the current state, so even a replay is harmless. */
export const handler = withHandler({
  name: 'index-services',
  envSchema: BaseEnvSchema,
  eventSchema: IndexEventSchema,
  idempotencyKey: 'id',
}).handler(async (event, { env }): Promise<{ decisions: IndexDecision[] }> => {
  const deps = makeIndexDeps(env);
  const triggeredBy = event.id;
  let decisions: IndexDecision[];
  switch (event['detail-type']) {
    case 'AWS API Call via CloudTrail': {
      const ref = serviceRefFromApiCall(event.detail);
      decisions = ref ? await indexServices({ refs: [ref], triggeredBy }, deps) : [];
      break;
    }
    case 'ECS Deployment State Change':
      decisions = await indexServices({ refs: refFromServiceArn(event.resources[0]), triggeredBy }, deps);
      break;
    case 'Scheduled Event':
      decisions = await reconcileIndex({ triggeredBy }, deps);
      break;
    default:
      return assertNever(event);
  }
  return { decisions };
});
