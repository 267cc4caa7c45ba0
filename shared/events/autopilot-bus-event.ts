import * as z from 'zod/mini';
import '../zod-messages';
import { AUTOPILOT_SOURCE } from './autopilot-events';
import { boundedDetail, EventBridgeEnvelopeSchema, TrustedEnvelopeFields } from './eventbridge-event';

/**
 * Any event autopilot published on its bus, as its subscribers (the notifier) receive it. The detail
 * is checked against its detail-type's contract by the formatter, which falls back to a generic
 * message for detail-types it does not know yet, so a new capability's events are never dropped.
 */
export const AutopilotBusEventSchema = z.extend(EventBridgeEnvelopeSchema, {
  ...TrustedEnvelopeFields,
  source: z.literal(AUTOPILOT_SOURCE),
  'detail-type': z.string().check(z.minLength(1), z.maxLength(128)),
  detail: boundedDetail(z.record(z.string(), z.unknown())),
});

/** An autopilot event from the bus, as parsed by {@link AutopilotBusEventSchema}. */
export type AutopilotBusEvent = z.infer<typeof AutopilotBusEventSchema>;
