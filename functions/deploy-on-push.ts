/**
 * deploy-on-push: an image pushed to ECR becomes a new task-definition revision, pinned by digest, on
 * every service that follows it. Triggered by "ECR Image Action" (PUSH, SUCCESS). Also triggered by
 * CloudTrail UpdateService calls that name a revision: one by someone else that moves a service back
 * to an older image than autopilot deployed is a revert, told and dealt with as the policy says.
 */
import * as z from 'zod/mini';
import { makeDeployDeps, makeRevertDeps } from '../shared/adapters/compose-deploy';
import { BaseEnvSchema } from '../shared/config/env';
import { deployPushedImage } from '../shared/domain/deploy/deploy-pushed-image';
import type { DeploymentDecision } from '../shared/domain/deploy/plan-deployment';
import { onServiceUpdated, type RevertDecision } from '../shared/domain/deploy/revert';
import { isAutopilotCall } from '../shared/domain/tags/tag-triggers';
import { type EcrImageActionEvent, EcrImageActionEventSchema } from '../shared/events/ecr-image-action';
import {
  EcsCloudTrailApiCallEventSchema,
  serviceRefFromApiCall,
} from '../shared/events/ecs-cloudtrail-api-call';
import { withHandler } from '../shared/middleware/with-handler';

const DeployEventSchema = z.discriminatedUnion('detail-type', [
  EcrImageActionEventSchema,
  EcsCloudTrailApiCallEventSchema,
]);

/** The environment: the stack whose roles are autopilot's own (`<service>-<stage>`). */
const DeployEnvSchema = z.extend(BaseEnvSchema, {
  AUTOPILOT_STACK: z._default(z.string().check(z.minLength(1)), 'ecs-autopilot'),
});

/** Why an ECR event is not a deployable push, or undefined when it is one. */
function notAPush(event: EcrImageActionEvent): string | undefined {
  const { detail } = event;
  if (detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') {
    return `not a successful push (${detail['action-type']} ${detail.result})`;
  }
  // Per-platform manifests of a multi-arch image arrive without a tag; the tagged index follows.
  if (!detail['image-tag']) return 'push without an image tag (a digest-only or per-platform manifest)';
  if (!detail['image-digest']) return 'push without an image digest';
  return undefined;
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
    const ignored = notAPush(event);
    if (ignored) {
      return { decisions: [], ignored };
    }
    const decisions = await deployPushedImage(
      {
        eventId: event.id,
        accountId: event.account,
        region: event.region,
        repositoryName: event.detail['repository-name'],
        digest: event.detail['image-digest'] ?? '',
        tag: event.detail['image-tag'] ?? '',
        pushedAt: new Date(event.time),
      },
      makeDeployDeps(env),
    );
    return { decisions };
  },
);
