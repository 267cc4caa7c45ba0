/**
 * notify: tells people what autopilot did, in their chat channels. Triggered by every autopilot event
 * on the bus, and by a schedule that sends the summaries of storms aggregated in ended windows.
 */
import * as z from 'zod/mini';
import { makeNotifyDeps } from '../shared/adapters/compose-notify';
import { BaseEnvSchema } from '../shared/config/env';
import { flushWindows, type NotifyDecision, notifyEvent } from '../shared/domain/notify/notify';
import { AutopilotBusEventSchema } from '../shared/events/autopilot-bus-event';
import { ScheduledEventSchema } from '../shared/events/scheduled-event';
import { withHandler } from '../shared/middleware/with-handler';

// By source, so a rejected event's reason names the field that is wrong.
const NotifyEventSchema = z.discriminatedUnion('source', [AutopilotBusEventSchema, ScheduledEventSchema]);

/**
 * What makes two deliveries one announcement. PutEvents has no idempotency token: when its answer is
 * lost after the entries were put, the SDK's retry (or the function's) puts the same announcement
 * again under a new event id. Every autopilot event names its cause (`triggeredBy`, or the
 * `deploymentId` of a success), so its detail-type and detail identify it: a copy is a replay, not a
 * second message in chat. A schedule's events all look alike: they are told apart by their id.
 */
const ANNOUNCEMENT_KEY = `source == 'aws.events' && id || [source, "detail-type", detail]`;

/** The Lambda handler. Returns what happened for every channel, with its reason. */
export const handler = withHandler({
  name: 'notify',
  envSchema: BaseEnvSchema,
  eventSchema: NotifyEventSchema,
  idempotencyKey: ANNOUNCEMENT_KEY,
}).handler(async (event, { env }): Promise<{ decisions: NotifyDecision[] }> => {
  const deps = makeNotifyDeps(env);
  const decisions = event.source === 'aws.events' ? await flushWindows(deps) : await notifyEvent(event, deps);
  // Decisions hold titles only: a message never carries a secret, and webhook URLs never reach one.
  return { decisions };
});
