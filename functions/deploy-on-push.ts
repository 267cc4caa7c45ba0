/**
 * deploy-on-push: an image pushed to ECR becomes a new task-definition revision, pinned by digest, on
 * every service that follows it. Triggered by "ECR Image Action" (PUSH, SUCCESS).
 */
import { makeDeployDeps } from '../shared/adapters/compose-deploy';
import { BaseEnvSchema } from '../shared/config/env';
import { deployPushedImage } from '../shared/domain/deploy/deploy-pushed-image';
import type { DeploymentDecision } from '../shared/domain/deploy/plan-deployment';
import { type EcrImageActionEvent, EcrImageActionEventSchema } from '../shared/events/ecr-image-action';
import { withHandler } from '../shared/middleware/with-handler';

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
  envSchema: BaseEnvSchema,
  eventSchema: EcrImageActionEventSchema,
  idempotencyKey: '[id, detail."image-digest"]',
}).handler(async (event, { env }): Promise<{ decisions: DeploymentDecision[]; ignored?: string }> => {
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
});
