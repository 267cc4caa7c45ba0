import * as z from 'zod/mini';
import '../zod-messages';
import { digestProblem, repositoryProblem, tagProblem } from '../domain/aws/image-reference';
import type { PushedImage } from '../domain/deploy/plan-deployment';
import { checkedString, eventBridgeEvent } from './eventbridge-event';

/**
 * Detail-type of the event Amazon ECR sends when an image push or an image deletion completes.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const ECR_IMAGE_ACTION = 'ECR Image Action' as const;

/**
 * `detail` of an "ECR Image Action" event.
 *
 * - `action-type`: `PUSH` or `DELETE`.
 * - `result`: `SUCCESS` or `FAILURE`.
 * - `image-digest`: absent on some failed pushes.
 * - `image-tag`: absent on digest-only pushes, such as the per-platform manifests of a multi-arch image
 *   (only the image index carries the tag).
 * - `manifest-media-type` / `artifact-media-type`: sent by newer ECR versions, absent on older events.
 *
 * AWS adds fields to this event over time, so unknown keys are kept rather than rejected.
 *
 * The fields autopilot writes into task definitions, index keys and tags are checked here, so a push
 * that could never be deployed is rejected (permanently, naming the field) instead of failing later:
 * the repository name and the tag follow the Docker reference grammar (ECR allows 256 characters
 * for a name), the digest is a `sha256:` / `sha384:` / `sha512:` digest in lowercase hex.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const EcrImageActionDetailSchema = z.looseObject({
  'action-type': z.enum(['PUSH', 'DELETE']),
  result: z.enum(['SUCCESS', 'FAILURE']),
  'repository-name': checkedString(repositoryProblem, 256),
  'image-digest': z.optional(checkedString(digestProblem, 200)),
  'image-tag': z.optional(checkedString(tagProblem, 128)),
  'manifest-media-type': z.optional(z.string()),
  'artifact-media-type': z.optional(z.string()),
});

/** `detail` of an "ECR Image Action" event, as parsed by {@link EcrImageActionDetailSchema}. */
export type EcrImageActionDetail = z.infer<typeof EcrImageActionDetailSchema>;

/**
 * A complete "ECR Image Action" EventBridge event (source `aws.ecr`).
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const EcrImageActionEventSchema = eventBridgeEvent(
  'aws.ecr',
  ECR_IMAGE_ACTION,
  EcrImageActionDetailSchema,
);

/** A complete "ECR Image Action" event, as parsed by {@link EcrImageActionEventSchema}. */
export type EcrImageActionEvent = z.infer<typeof EcrImageActionEventSchema>;

/**
 * The image an ECR event names (a push, or a replication), as a push to the registry the event
 * landed in: its account and region, the repository, digest and tag of its detail, its time.
 */
export function pushedImageOf(event: {
  id: string;
  account: string;
  region: string;
  time: string;
  detail: {
    'repository-name': string;
    'image-digest'?: string | undefined;
    'image-tag'?: string | undefined;
  };
}): PushedImage {
  return {
    eventId: event.id,
    accountId: event.account,
    region: event.region,
    repositoryName: event.detail['repository-name'],
    digest: event.detail['image-digest'] ?? '',
    tag: event.detail['image-tag'] ?? '',
    pushedAt: new Date(event.time),
  };
}
