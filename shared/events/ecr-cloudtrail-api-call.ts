import type * as z from 'zod/mini';
import '../zod-messages';
import { AWS_API_CALL_VIA_CLOUDTRAIL, cloudTrailRecordDetail } from './ecs-cloudtrail-api-call';
import { eventBridgeEvent } from './eventbridge-event';

/**
 * ECR API calls after which a repository's tags may no longer satisfy a tag policy: it was created
 * (with or without tags), or its tags changed. Their CloudTrail records name the repository in
 * `requestParameters` (`repositoryName`, or `resourceArn` for the tag calls).
 *
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html
 */
export const REPOSITORY_TAG_API_CALLS = ['CreateRepository', 'TagResource', 'UntagResource'] as const;

/**
 * `detail` of an "AWS API Call via CloudTrail" event for the Amazon ECR API: a CloudTrail record, as
 * for ECS (`EcsCloudTrailApiCallDetailSchema`) but with `eventSource` `ecr.amazonaws.com`.
 * `responseElements` is `null` for calls without output (TagResource, UntagResource) and for failed
 * calls; unknown keys are kept at every level, as CloudTrail adds fields over time.
 *
 * @see https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/logging-using-cloudtrail.html
 */
export const EcrCloudTrailApiCallDetailSchema = cloudTrailRecordDetail('ecr.amazonaws.com');

/** `detail` of an ECR "AWS API Call via CloudTrail" event, as parsed by {@link EcrCloudTrailApiCallDetailSchema}. */
export type EcrCloudTrailApiCallDetail = z.infer<typeof EcrCloudTrailApiCallDetailSchema>;

/**
 * A complete "AWS API Call via CloudTrail" EventBridge event for the ECR API (source `aws.ecr`,
 * `detail.eventSource` `ecr.amazonaws.com`). CloudTrail events carry an empty `resources` array.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 */
export const EcrCloudTrailApiCallEventSchema = eventBridgeEvent(
  'aws.ecr',
  AWS_API_CALL_VIA_CLOUDTRAIL,
  EcrCloudTrailApiCallDetailSchema,
);

/** A complete ECR "AWS API Call via CloudTrail" event, as parsed by {@link EcrCloudTrailApiCallEventSchema}. */
export type EcrCloudTrailApiCallEvent = z.infer<typeof EcrCloudTrailApiCallEventSchema>;
