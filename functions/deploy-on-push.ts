/**
 * deploy-on-push: an image pushed to ECR becomes a new task-definition revision, pinned by digest, on
 * every service that follows it. Triggered by "ECR Image Action" (PUSH, SUCCESS) and by "ECR
 * Replication Action" (SUCCESS: an image ECR replicated into this region's registry, deployed as a
 * push there). Also triggered by CloudTrail UpdateService calls that name a revision: one by someone
 * else that moves a service back to an older image than autopilot deployed is a revert, told and dealt
 * with as the policy says.
 */
import * as z from 'zod/mini';
import { makeDeployDeps, makeRevertDeps } from '../shared/adapters/compose-deploy';
import { BaseEnvSchema } from '../shared/config/env';
import { deployPushedImage } from '../shared/domain/deploy/deploy-pushed-image';
import type { DeploymentDecision, PushedImage } from '../shared/domain/deploy/plan-deployment';
import { onServiceUpdated, type RevertDecision } from '../shared/domain/deploy/revert';
import { isAutopilotCall } from '../shared/domain/tags/tag-triggers';
import { assertNever } from '../shared/errors';
import {
  type EcrImageActionEvent,
  EcrImageActionEventSchema,
  pushedImageOf,
} from '../shared/events/ecr-image-action';
import {
  type EcrReplicationActionEvent,
  EcrReplicationActionEventSchema,
  replicaAsPush,
} from '../shared/events/ecr-replication-action';
import {
  EcsCloudTrailApiCallEventSchema,
  serviceRefFromApiCall,
} from '../shared/events/ecs-cloudtrail-api-call';
import { withHandler } from '../shared/middleware/with-handler';

const DeployEventSchema = z.discriminatedUnion('detail-type', [
  EcrImageActionEventSchema,
  EcrReplicationActionEventSchema,
  EcsCloudTrailApiCallEventSchema,
]);

/** The ECR events that bring an image into this region's registry. */
type ImageArrival = EcrImageActionEvent | EcrReplicationActionEvent;

/** The environment: the stack whose roles are autopilot's own (`<service>-<stage>`). */
const DeployEnvSchema = z.extend(BaseEnvSchema, {
  AUTOPILOT_STACK: z._default(z.string().check(z.minLength(1)), 'ecs-autopilot'),
});

/**
 * Why an ECR event brings no image to deploy, or undefined when it brings one: only a successful push
 * or replication of a tagged image is deployed.
 */
function notDeployable(event: ImageArrival): string | undefined {
  const unsuccessful = notSuccessful(event);
  if (unsuccessful) return unsuccessful;
  const what = event['detail-type'] === 'ECR Image Action' ? 'push' : 'replication';
  // Per-platform manifests of a multi-arch image arrive without a tag; the tagged index follows.
  if (!event.detail['image-tag'])
    return `${what} without an image tag (a digest-only or per-platform manifest)`;
  if (!event.detail['image-digest']) return `${what} without an image digest`;
  return undefined;
}

/** Why an ECR event is not a successful push or replication, or undefined when it is one. */
function notSuccessful(event: ImageArrival): string | undefined {
  switch (event['detail-type']) {
    case 'ECR Image Action': {
      const { detail } = event;
      return detail['action-type'] === 'PUSH' && detail.result === 'SUCCESS'
        ? undefined
        : `not a successful push (${detail['action-type']} ${detail.result})`;
    }
    case 'ECR Replication Action': {
      const { detail } = event;
      return detail['action-type'] === 'REPLICATE' && detail.result === 'SUCCESS'
        ? undefined
        : `not a successful replication (${detail['action-type']} ${detail.result})`;
    }
    default:
      return assertNever(event);
  }
}

/** The image an ECR event brings, as a push to the registry the event landed in. */
function pushOf(event: ImageArrival): PushedImage {
  return event['detail-type'] === 'ECR Replication Action' ? replicaAsPush(event) : pushedImageOf(event);
}

/** The Lambda handler. Returns every decision with its reason. */
export const handler = withHandler({
  name: 'deploy-on-push',
  envSchema: DeployEnvSchema,
  eventSchema: DeployEventSchema,
  idempotencyKey: '[id, detail."image-digest"]',
}).handler(
  async (
    event,
    { env },
  ): Promise<{ decisions: (DeploymentDecision | RevertDecision)[]; ignored?: string }> => {
    if (event['detail-type'] === 'AWS API Call via CloudTrail') {
      const ref = serviceRefFromApiCall(event.detail);
      const request = event.detail.requestParameters as { taskDefinition?: unknown } | undefined;
      if (!ref || event.detail.eventName !== 'UpdateService') {
        return { decisions: [], ignored: `${event.detail.eventName} names no service it updated` };
      }
      const revert = await onServiceUpdated(
        {
          eventId: event.id,
          at: event.detail.eventTime ?? event.time,
          by: event.detail.userIdentity.arn ?? event.detail.userIdentity.type ?? 'unknown',
          ownCall: isAutopilotCall(event.detail.userIdentity, env.AUTOPILOT_STACK),
          cluster: ref.cluster,
          service: ref.service,
          ...(typeof request?.taskDefinition === 'string' ? { taskDefinition: request.taskDefinition } : {}),
        },
        makeRevertDeps(env),
      );
      return { decisions: [revert] };
    }
    const ignored = notDeployable(event);
    if (ignored) {
      return { decisions: [], ignored };
    }
    const decisions = await deployPushedImage(pushOf(event), makeDeployDeps(env));
    return { decisions };
  },
);
