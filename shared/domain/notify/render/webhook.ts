/**
 * The generic webhook: a stable JSON document, signed so receivers can check it came from autopilot
 * and is fresh.
 *
 * Receivers verify a delivery like this (what {@link verifyWebhook} does):
 * 1. read `X-Autopilot-Timestamp` (Unix seconds) and refuse it when it is more than 5 minutes away
 *    from their clock (replays);
 * 2. compute the hex HMAC-SHA256 of `<timestamp>.<raw body>` with the shared secret;
 * 3. compare it, in constant time, with the `v1=` value of `X-Autopilot-Signature` (64 lower-case
 *    hex digits; anything else is refused);
 * 4. drop a delivery whose body `id` it has handled already: a signature proves where a delivery came
 *    from and when, not that it is the first (autopilot retries deliveries, and a delivery captured
 *    in transit can be sent again within the 5 minutes).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Fact, Link, NotificationMessage, Severity } from '../message';

/** The webhook document, version 1. Absent values are `null`, so every key is always there. */
export interface WebhookBody {
  /** the document version; a change that is not purely additive bumps it */
  version: '1';
  /** the autopilot event id (a summary's id for a summary), for idempotent receivers */
  id: string;
  /** the autopilot detail-type, e.g. "Deployment Rolled Back" */
  type: string;
  severity: Severity;
  /** one line, e.g. "prod/api rolled back to api:7" */
  title: string;
  /** what happened, plain text */
  text: string;
  /** why, when the event carries a reason */
  reason: string | null;
  cluster: string | null;
  service: string | null;
  facts: Fact[];
  links: Link[];
  /** shared by the events of one deployment */
  threadKey: string | null;
  /** ISO time of the event */
  at: string;
  dryRun: boolean;
  /** set on the summary of several similar events held back in one window */
  aggregate: { count: number; examples: string[]; windowStart: string; windowEnd: string } | null;
}

/** The header with the signing time, Unix seconds. */
export const TIMESTAMP_HEADER = 'X-Autopilot-Timestamp';
/** The header with the signature, `v1=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'X-Autopilot-Signature';

/** The webhook document of a notification. */
export function renderWebhook(message: NotificationMessage): WebhookBody {
  return {
    version: '1',
    id: message.id,
    type: message.eventType,
    severity: message.severity,
    title: message.title,
    text: message.text,
    reason: message.reason ?? null,
    cluster: message.cluster ?? null,
    service: message.service ?? null,
    facts: message.facts.map((f) => ({ label: f.label, value: f.value })),
    links: message.links.map((l) => ({ label: l.label, url: l.url })),
    threadKey: message.threadKey ?? null,
    at: message.at,
    dryRun: message.dryRun,
    aggregate: message.aggregate
      ? {
          count: message.aggregate.count,
          examples: [...message.aggregate.examples],
          windowStart: message.aggregate.windowStart,
          windowEnd: message.aggregate.windowEnd,
        }
      : null,
  };
}

const signature = (body: string, secret: string, timestamp: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

/**
 * The signature headers of a webhook body: sign the exact bytes that are sent.
 *
 * @param body - the JSON text as it will be posted
 * @param secret - the channel's signing secret
 * @param timestampSeconds - now, in Unix seconds
 * @example
 * const body = JSON.stringify(renderWebhook(message));
 * await post(url, body, signWebhook(body, secret, Math.floor(Date.now() / 1000)));
 */
export function signWebhook(body: string, secret: string, timestampSeconds: number): Record<string, string> {
  const timestamp = String(Math.floor(timestampSeconds));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: `v1=${signature(body, secret, timestamp)}`,
  };
}

/** A header, whatever the case of its name (HTTP header names are case-insensitive). */
function headerOf(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

/**
 * Whether a webhook delivery is authentic and fresh: the signature matches the body, timestamp and
 * secret, and the timestamp is within `toleranceSeconds` of now. Several `v1=` values separated by
 * commas are accepted (one per secret while a secret is rotated).
 *
 * @param headers - the request headers (any case; Node's `IncomingHttpHeaders` fits)
 * @param nowSeconds - the receiver's clock, Unix seconds
 * @example
 * if (!verifyWebhook(rawBody, req.headers, secret, Math.floor(Date.now() / 1000))) return res.status(401);
 */
export function verifyWebhook(
  body: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = headerOf(headers, TIMESTAMP_HEADER)?.trim();
  const signed = headerOf(headers, SIGNATURE_HEADER);
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || !signed) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(body, secret, timestamp), 'hex');
  return signed
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1='))
    .some((part) => {
      const hex = part.slice(3);
      // Exactly what signWebhook writes: Buffer.from(…, 'hex') would otherwise decode upper case and
      // drop what follows the first non-hex character, so spoiled values would verify.
      if (!SIGNATURE_HEX.test(hex)) return false;
      return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
    });
}

/** A `v1=` value: the HMAC-SHA256 in lower-case hex, 64 digits, nothing else. */
const SIGNATURE_HEX = /^[0-9a-f]{64}$/;
