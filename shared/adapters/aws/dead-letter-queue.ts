/**
 * Parks events that can never be processed in the SQS dead-letter queue, with the reason, so that
 * nothing is silently dropped and people can replay them after a fix.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { boundedJson, MAX_DETAIL_DEPTH } from '../../events/json-bounds';
import { cachedClient, clientConfig } from './clients';

/**
 * SQS takes messages of up to 256 KiB (the classic limit, which every queue accepts); the body keeps
 * room for the reason and the envelope.
 */
const MAX_BODY_BYTES = 256 * 1024;
/** Reasons longer than this are cut: a reason names fields, it never needs to be long. */
const MAX_REASON = 4000;
/** A parked event keeps this much nesting; deeper values become a marker (they were rejected for it). */
const MAX_PARKED_DEPTH = MAX_DETAIL_DEPTH + 2;

/** Sends one rejected event with its reason to the queue. */
export class DeadLetterQueue {
  /**
   * @param queueUrl - the queue
   * @param client - the SQS client; the shared traced one by default
   */
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = cachedClient('sqs', () => new SQSClient(clientConfig())),
  ) {}

  /**
   * Parks `event` with `reason`; `source` names the function that rejected it. Whatever the event
   * holds, the message is sent: nesting deeper than an event may have is written as a marker, and an
   * event too large for a message is kept as its first bytes, marked `truncated`.
   */
  async park(source: string, reason: string, event: unknown): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: parkedBody(source, reason, event),
        MessageAttributes: { reason: { DataType: 'String', StringValue: reason.slice(0, 256) } },
      }),
    );
  }
}

/** The message body of a parked event, at most {@link MAX_BODY_BYTES} long. */
export function parkedBody(source: string, reason: string, event: unknown): string {
  const shortReason = reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason;
  const body = boundedJson({ rejectedBy: source, reason: shortReason, event }, MAX_PARKED_DEPTH);
  if (Buffer.byteLength(body) <= MAX_BODY_BYTES) return body;
  const json = boundedJson(event, MAX_PARKED_DEPTH);
  // Characters, not bytes: at most 4 bytes each, so a quarter of the budget always fits.
  const head = json.slice(0, Math.floor((MAX_BODY_BYTES - MAX_REASON * 4 - 200) / 4));
  return JSON.stringify({ rejectedBy: source, reason: shortReason, truncated: true, eventHead: head });
}
