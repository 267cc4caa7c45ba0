/**
 * notify: tells people what autopilot did, in their chat channels. Triggered by every autopilot event
 * on the bus, and by a schedule that sends the summaries of storms aggregated in ended windows.
 */
import { z } from 'zod';
import { makeNotifyDeps } from '../shared/adapters/compose-notify';
import { BaseEnvSchema } from '../shared/config/env';
import { flushWindows, type NotifyDecision, notifyEvent } from '../shared/domain/notify/notify';
import { AutopilotBusEventSchema } from '../shared/events/autopilot-bus-event';
import { ScheduledEventSchema } from '../shared/events/scheduled-event';
import { withHandler } from '../shared/middleware/with-handler';

// By source, so a rejected event's reason names the field that is wrong.
const NotifyEventSchema = z.discriminatedUnion('source', [AutopilotBusEventSchema, ScheduledEventSchema]);

/** The Lambda handler. Returns what happened for every channel, with its reason. */
export const handler = withHandler({
  name: 'notify',
  envSchema: BaseEnvSchema,
  eventSchema: NotifyEventSchema,
  idempotencyKey: 'id',
}).handler(async (event, { env }): Promise<{ decisions: NotifyDecision[] }> => {
  const deps = makeNotifyDeps(env);
  const decisions = event.source === 'aws.events' ? await flushWindows(deps) : await notifyEvent(event, deps);
  // Decisions hold titles only: a message never carries a secret, and webhook URLs never reach one.
  return { decisions };
});
