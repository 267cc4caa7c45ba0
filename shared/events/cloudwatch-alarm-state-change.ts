import * as z from 'zod/mini';
import '../zod-messages';
import { eventBridgeEvent } from './eventbridge-event';

/**
 * Detail-type of the event CloudWatch sends when an alarm changes state.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export const CLOUDWATCH_ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change' as const;

const AlarmStateSchema = z.looseObject({
  value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  reason: z._default(z.string(), ''),
  timestamp: z.string(),
});

/**
 * `detail` of a "CloudWatch Alarm State Change" event. Unknown keys (configuration, metrics) are kept.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export const CloudWatchAlarmStateChangeDetailSchema = z.looseObject({
  /** CloudWatch allows 255 characters; the alarm index keys on it */
  alarmName: z.string().check(z.minLength(1), z.maxLength(255)),
  state: AlarmStateSchema,
  previousState: z.optional(AlarmStateSchema),
});

/** `detail` of a "CloudWatch Alarm State Change" event. */
export type CloudWatchAlarmStateChangeDetail = z.infer<typeof CloudWatchAlarmStateChangeDetailSchema>;

/**
 * A complete "CloudWatch Alarm State Change" EventBridge event (source `aws.cloudwatch`).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export const CloudWatchAlarmStateChangeEventSchema = eventBridgeEvent(
  'aws.cloudwatch',
  CLOUDWATCH_ALARM_STATE_CHANGE,
  CloudWatchAlarmStateChangeDetailSchema,
);

/** A complete "CloudWatch Alarm State Change" event. */
export type CloudWatchAlarmStateChangeEvent = z.infer<typeof CloudWatchAlarmStateChangeEventSchema>;
