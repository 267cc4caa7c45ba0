import * as z from 'zod/mini';
import '../zod-messages';
import { digestProblem, repositoryProblem, tagProblem } from '../domain/aws/image-reference';
import type { PushedImage } from '../domain/deploy/plan-deployment';
import { pushedImageOf } from './ecr-image-action';
import { checkedString, eventBridgeEvent, TrustedEnvelopeFields } from './eventbridge-event';

/**
 * Detail-type of the event Amazon ECR sends when it has replicated an image into a registry (another
 * region, or another account's registry). ECR sends it in the destination: the envelope's `account`
 * and `region` are the registry the replica is now in; no "ECR Image Action" PUSH is sent there.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const ECR_REPLICATION_ACTION = 'ECR Replication Action' as const;

/**
 * A short upper-case word (`SUCCESS`, `REPLICATE`): the values ECR documents for `result` and
 * `action-type` are such words, and a value it adds later parses and is skipped with its name rather
 * than being rejected as a malformed event.
 */
const EcrWord = z
  .string()
  .check(
    z.regex(/^[A-Z][A-Z_]{0,31}$/, 'expected an upper-case word such as SUCCESS (at most 32 characters)'),
  );

/**
 * `detail` of an "ECR Replication Action" event.
 *
 * - `action-type`: `REPLICATE`.
 * - `result`: `SUCCESS`, or `FAILED` when the replication failed.
 * - `repository-name`, `image-digest`, `image-tag`: the replica, in the destination registry (a
 *   replica keeps its digest); `image-tag` is absent for an untagged image, such as the per-platform
 *   manifests of a multi-arch image. The digest is optional as on a push: a failed replication
 *   without one still parses, and is skipped.
 * - `source-account` / `source-region`: the registry the image was replicated from; said in the
 *   decisions, never used to find services.
 *
 * The fields autopilot writes into task definitions, index keys and tags are checked as on a push
 * (`ecr-image-action.ts`); AWS adds fields to its events over time, so unknown keys are kept.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/replication.html
 */
export const EcrReplicationActionDetailSchema = z.looseObject({
  'action-type': EcrWord,
  result: EcrWord,
  'repository-name': checkedString(repositoryProblem, 256),
  'image-digest': z.optional(checkedString(digestProblem, 200)),
  'image-tag': z.optional(checkedString(tagProblem, 128)),
  'source-account': z.optional(TrustedEnvelopeFields.account),
  'source-region': z.optional(TrustedEnvelopeFields.region),
});

/** `detail` of an "ECR Replication Action" event, as parsed by {@link EcrReplicationActionDetailSchema}. */
export type EcrReplicationActionDetail = z.infer<typeof EcrReplicationActionDetailSchema>;

/**
 * A complete "ECR Replication Action" EventBridge event (source `aws.ecr`), as received in the
 * destination account and region.
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 */
export const EcrReplicationActionEventSchema = eventBridgeEvent(
  'aws.ecr',
  ECR_REPLICATION_ACTION,
  EcrReplicationActionDetailSchema,
);

/** A complete "ECR Replication Action" event, as parsed by {@link EcrReplicationActionEventSchema}. */
export type EcrReplicationActionEvent = z.infer<typeof EcrReplicationActionEventSchema>;

/**
 * A replication as deploy on push sees it: a push of the digest and tag to the repository in the
 * registry the event landed in (its account and region, the destination), so the services whose task
 * definitions name the replica's registry are the ones found, and those naming the source registry
 * are not (their own region's push or replication is theirs). Its `origin` says where the image came
 * from, after the reason of every decision; the replication's time orders it as a push's time would.
 *
 * @example
 * replicaAsPush(event) // { accountId: '123456789012', region: 'eu-west-1', repositoryName: 'team/payments',
 * //   tag: '1.5.0', origin: 'replicated by ECR from us-east-1', … }
 */
export function replicaAsPush(event: EcrReplicationActionEvent): PushedImage {
  return { ...pushedImageOf(event), origin: replicatedFrom(event) };
}

/**
 * Where a replica came from, in words: the source region, and the source account when it is not
 * the destination's.
 *
 * @example replicatedFrom(event) // 'replicated by ECR from 111122223333 in us-east-1'
 */
function replicatedFrom(event: EcrReplicationActionEvent): string {
  const account = event.detail['source-account'];
  const region = event.detail['source-region'];
  const where = [account === undefined || account === event.account ? undefined : account, region]
    .filter((part) => part !== undefined)
    .join(' in ');
  return where === '' ? 'replicated by ECR' : `replicated by ECR from ${where}`;
}
