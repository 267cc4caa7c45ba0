/**
 * {@link EventPublisher} on Amazon EventBridge: autopilot's own events, validated against their
 * contracts before they leave.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PermanentError, RetryableError } from '../../errors';
import { AUTOPILOT_SOURCE, type AutopilotEvent, AutopilotEventSchemas } from '../../events/autopilot-events';
import type { EventPublisher } from '../../ports';
import { resendPause, sleep } from '../resend-pause';
import { cachedClient, clientConfig } from './clients';

/** PutEvents takes at most ten entries per call. */
const BATCH = 10;
/**
 * Entries that failed inside a successful call (throttled, internal) are sent at most this often in
 * all, after a growing pause (as the SDK backs off a throttled call): sent again at once, a throttled
 * entry is throttled again, and an entry that fails for good fails the run, whose retry puts the
 * entries that did go through a second time.
 */
const ENTRY_ATTEMPTS = 5;
/** The first pause before failed entries are sent again; it doubles each time, with jitter. */
const ENTRY_BACKOFF_MS = 100;

/** Options of {@link EventBridgePublisher}. */
export interface PublisherOptions {
  /** waits before failed entries are sent again; a timer by default */
  pause?: (ms: number) => Promise<void>;
}

/** Publishes on an EventBridge bus with `source: "autopilot"`. */
export class EventBridgePublisher implements EventPublisher {
  /**
   * @param busName - the bus name or ARN
   * @param client - the EventBridge client; the shared traced one by default
   * @param options - the pause before failed entries are sent again (tests)
   */
  constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = cachedClient(
      'eventbridge',
      () => new EventBridgeClient(clientConfig()),
    ),
    private readonly options: PublisherOptions = {},
  ) {}

  async publish(events: readonly AutopilotEvent[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = events.map((event) => {
      const checked = AutopilotEventSchemas[event.detailType].safeParse(event.detail);
      if (!checked.success) {
        // A bug, not a transient fault: retrying the same event would build the same detail.
        throw new PermanentError(`"${event.detailType}" violates its contract: ${checked.error.message}`);
      }
      return {
        EventBusName: this.busName,
        Source: AUTOPILOT_SOURCE,
        DetailType: event.detailType,
        Detail: JSON.stringify(checked.data),
      };
    });
    for (let i = 0; i < entries.length; i += BATCH) await this.putWithRetry(entries.slice(i, i + BATCH));
  }

  private async putWithRetry(entries: PutEventsRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const out = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!out.FailedEntryCount) return;
      const failed = pending.filter((_, i) => out.Entries?.[i]?.ErrorCode);
      if (attempt >= ENTRY_ATTEMPTS) {
        const codes = (out.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean);
        throw new RetryableError(`PutEvents failed for ${failed.length} entries: ${codes.join(', ')}`);
      }
      pending = failed;
      await (this.options.pause ?? sleep)(resendPause(ENTRY_BACKOFF_MS, attempt));
    }
  }
}
