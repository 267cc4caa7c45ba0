/**
 * index-services: keeps the repository -> services index current, and announces the service tags
 * autopilot cannot use (`Configuration Problem`). Triggered by ECS API calls that create, change, tag
 * or delete services (through CloudTrail), by ECS deployment state changes, and by a periodic
 * reconcile of the whole account.
 */
import * as z from 'zod/mini';
import { makeIndexDeps } from '../shared/adapters/compose-index';
import { BaseEnvSchema } from '../shared/config/env';
import { clusterOfServiceArn } from '../shared/domain/aws/arn';
import { type IndexDecision, indexServices } from '../shared/domain/index/index-services';
import { type ReconcileSummary, reconcileIndex } from '../shared/domain/index/reconcile';
import { durationPattern, parseDuration } from '../shared/domain/policy/duration';
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

/**
 * The indexer's environment: how often a sweep of the reconcile starts (the schedule wakes it more
 * often, so a sweep longer than one invocation goes on from its checkpoint).
 */
const IndexEnvSchema = z.extend(BaseEnvSchema, {
  AUTOPILOT_RECONCILE_PERIOD: z._default(z.string().check(z.regex(durationPattern())), '6h'),
});

/** Time kept back from the deadline for the page under way, the checkpoint and the answer. */
const RESERVE_MS = 15_000;

/** The cluster and service of a service ARN (`arn:aws:ecs:<region>:<account>:service/<cluster>/<name>`). */
function refFromServiceArn(arn: string) {
  const cluster = clusterOfServiceArn(arn);
  return cluster ? [{ cluster, service: arn }] : [];
}

/** The Lambda handler. Indexing converges on the current state, so even a replay is harmless. */
export const handler = withHandler({
  name: 'index-services',
  envSchema: IndexEnvSchema,
  eventSchema: IndexEventSchema,
  idempotencyKey: 'id',
}).handler(
  async (event, { env, lambdaContext }): Promise<{ decisions: IndexDecision[] } | ReconcileSummary> => {
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
      case 'Scheduled Event': {
        // A summary, not every decision: the idempotency record must not grow with the account.
        const deadline = new Date(
          deps.now().getTime() + lambdaContext.getRemainingTimeInMillis() - RESERVE_MS,
        );
        const periodMs = parseDuration(env.AUTOPILOT_RECONCILE_PERIOD) ?? 0;
        return reconcileIndex({ triggeredBy, deadline, periodMs }, deps);
      }
      default:
        return assertNever(event);
    }
    return { decisions };
  },
);
