import * as z from 'zod';
import { AUTOPILOT_SOURCE } from './autopilot-events';
import { boundedDetail, EventBridgeEnvelopeSchema, TrustedEnvelopeFields } from './eventbridge-event';

/**
 * Any event autopilot published on its bus, as its subscribers (the notifier) receive it. The detail
 * is checked against its detail-type's contract by the formatter, which falls back to a generic
 * message for detail-types it does not know yet, so a new capability's events are never dropped.
 */
export const AutopilotBusEventSchema = EventBridgeEnvelopeSchema.extend({
  ...TrustedEnvelopeFields,
  source: z.literal(AUTOPILOT_SOURCE),
  'detail-type': z.string().min(1).max(128),
  detail: boundedDetail(z.record(z.string(), z.unknown())),
});

/** An autopilot event from the bus, as parsed by {@link AutopilotBusEventSchema}. */
export type AutopilotBusEvent = z.infer<typeof AutopilotBusEventSchema>;
