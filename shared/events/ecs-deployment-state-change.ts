import * as z from 'zod/mini';
import '../zod-messages';
import { SERVICE_ARN } from '../domain/aws/arn';
import { eventBridgeEvent } from './eventbridge-event';

/**
 * Detail-type of the event Amazon ECS sends when a service deployment starts, completes or fails.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
 */
export const ECS_DEPLOYMENT_STATE_CHANGE = 'ECS Deployment State Change' as const;

/**
 * `detail` of an "ECS Deployment State Change" event.
 *
 * - `eventName`: `SERVICE_DEPLOYMENT_IN_PROGRESS` (initial and rollback deployments; the `reason` tells
 *   them apart), `SERVICE_DEPLOYMENT_COMPLETED` (steady state reached) or `SERVICE_DEPLOYMENT_FAILED`
 *   (circuit breaker or CloudWatch alarm tripped).
 * - `deploymentId`: the ECS deployment, e.g. `ecs-svc/4503305428331469521`.
 * - `updatedAt`: ISO 8601 timestamp of the state change.
 *
 * Unknown keys are kept: AWS may add fields to this event.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
 */
export const EcsDeploymentStateChangeDetailSchema = z.looseObject({
  eventType: z.enum(['INFO', 'WARN', 'ERROR']),
  eventName: z.enum([
    'SERVICE_DEPLOYMENT_IN_PROGRESS',
    'SERVICE_DEPLOYMENT_COMPLETED',
    'SERVICE_DEPLOYMENT_FAILED',
  ]),
  deploymentId: z.string().check(z.minLength(1), z.maxLength(256)),
  updatedAt: z.iso.datetime({ offset: true }),
  reason: z.optional(z.string()),
});

/** `detail` of an "ECS Deployment State Change" event, as parsed by {@link EcsDeploymentStateChangeDetailSchema}. */
export type EcsDeploymentStateChangeDetail = z.infer<typeof EcsDeploymentStateChangeDetailSchema>;

/**
 * A complete "ECS Deployment State Change" EventBridge event (source `aws.ecs`).
 *
 * `resources[0]` is the ARN of the service being deployed; the schema requires it, so the parsed
 * type is a non-empty tuple and `resources[0]` is a `string` even under `noUncheckedIndexedAccess`.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html
 */
export const EcsDeploymentStateChangeEventSchema = z.extend(
  eventBridgeEvent('aws.ecs', ECS_DEPLOYMENT_STATE_CHANGE, EcsDeploymentStateChangeDetailSchema),
  {
    resources: z.tuple(
      [z.string().check(z.maxLength(1024), z.regex(SERVICE_ARN, 'resources[0] must be an ECS service ARN'))],
      z.string(),
    ),
  },
);

/** A complete "ECS Deployment State Change" event, as parsed by {@link EcsDeploymentStateChangeEventSchema}. */
export type EcsDeploymentStateChangeEvent = z.infer<typeof EcsDeploymentStateChangeEventSchema>;
