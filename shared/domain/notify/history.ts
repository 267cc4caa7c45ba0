/**
 * What the history of a service keeps of an autopilot event (issue 15, `autopilot history`): the
 * notifier sees every autopilot event, so it records each one that names a service, with its reason,
 * the event that caused it and what each channel did with it. Pure.
 */
import type { HistoryEntry } from '../../ports';
import type { NotificationMessage } from './message';
import type { BusEvent, NotifyDecision } from './notify-plan';

/**
 * The history entry of an event about a service, or undefined when it names none (a tag policy
 * summary, a standalone task's restart: their resources are not services).
 *
 * @param message - the event's message, as the notifier described it
 * @example
 * historyEntryOf(deploymentStarted, describeBusEvent(deploymentStarted), [{ channel: 'platform-slack', action: 'sent', … }])
 * // { cluster: 'prod', service: 'api', detailType: 'Deployment Started', told: ['platform-slack: sent'], … }
 */
export function historyEntryOf(
  event: BusEvent,
  message: NotificationMessage,
  decisions: readonly NotifyDecision[],
): HistoryEntry | undefined {
  if (!message.cluster || !message.service) return undefined;
  const detail = (typeof event.detail === 'object' && event.detail !== null ? event.detail : {}) as Record<
    string,
    unknown
  >;
  return {
    cluster: message.cluster,
    service: message.service,
    at: event.time,
    eventId: event.id,
    detailType: message.eventType,
    title: message.title,
    ...(message.reason ? { reason: message.reason } : {}),
    ...(typeof detail.triggeredBy === 'string' ? { triggeredBy: detail.triggeredBy } : {}),
    told: decisions.filter((d) => d.action !== 'ignore').map((d) => `${d.channel}: ${d.action}`),
    dryRun: detail.dryRun === true,
  };
}
