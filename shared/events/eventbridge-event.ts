import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';

/**
 * A complete EventBridge event of one source and detail-type: Powertools' envelope
 * (`EventBridgeSchema`: version, id, account, time, region, resources…) with `source` and
 * `detail-type` fixed to literals, so handlers can switch on them, and `detail` checked by its schema.
 * Extend the result for what an event says beyond its detail (e.g. `resources[0]`).
 *
 * @example
 * export const EcrImageActionEventSchema = eventBridgeEvent('aws.ecr', ECR_IMAGE_ACTION, EcrImageActionDetailSchema);
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 */
export function eventBridgeEvent<Source extends string, DetailType extends string, Detail extends z.ZodType>(
  source: Source,
  detailType: DetailType,
  detail: Detail,
) {
  return EventBridgeSchema.extend({
    source: z.literal(source),
    'detail-type': z.literal(detailType),
    detail,
  });
}
