import * as z from 'zod/mini';
import '../zod-messages';
import { eventBridgeEvent } from './eventbridge-event';

/**
 * Detail-type of the event an EventBridge schedule rule (`rate(...)` / `cron(...)`) sends to its targets.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
 */
export const SCHEDULED_EVENT = 'Scheduled Event' as const;

/**
 * `detail` of a "Scheduled Event": always `{}` today; unknown keys are tolerated.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
 */
export const ScheduledEventDetailSchema = z.looseObject({});

/** `detail` of a "Scheduled Event", as parsed by {@link ScheduledEventDetailSchema}. */
export type ScheduledEventDetail = z.infer<typeof ScheduledEventDetailSchema>;

/**
 * A complete "Scheduled Event" (source `aws.events`). `resources[0]` is the ARN of the schedule rule
 * that fired, e.g. `arn:aws:events:eu-west-1:123456789012:rule/ecs-autopilot-prod-reconcile`.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-rule-schedule.html
 */
export const ScheduledEventSchema = z.extend(
  eventBridgeEvent('aws.events', SCHEDULED_EVENT, ScheduledEventDetailSchema),
  { resources: z.tuple([z.string().check(z.startsWith('arn:'))], z.string()) },
);

/** A complete "Scheduled Event", as parsed by {@link ScheduledEventSchema}. */
export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;
