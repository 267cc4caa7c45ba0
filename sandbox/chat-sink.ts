/**
 * The sandbox's chat services: one HTTP server on 127.0.0.1 that stands in for every channel type
 * autopilot's `notify` function sends to, answering as each service does, and recording every message
 * it receives (accepted or refused) for the timeline and the tests.
 *
 * | path | stands in for | answers |
 * |---|---|---|
 * | `POST /slack/<name>` | a Slack incoming webhook | 200 `ok` (text/plain); 400 `invalid_payload` / `no_text`; 429 `Retry-After: 1` above 1 message a second |
 * | `POST /slack-api/chat.postMessage`, `/slack-api/chat.update` | the Slack Web API with a bot token (`apiUrl` = `<endpoint>/slack-api`) | 200 `{ ok: true, channel, ts, message }` or `{ ok: false, error }` (`not_authed`, `invalid_auth`, `channel_not_found`, `no_text`, `message_not_found`); chat.postMessage 429 `{ ok: false, error: 'ratelimited' }` above 1 message a second per channel |
 * | `POST /teams/<name>` | a Microsoft Teams Workflows webhook | 202, empty (the flow runs later: a body without an Adaptive Card is accepted and noted as a problem) |
 * | `POST /discord/<name>` | a Discord webhook (`?wait=true` answers 200 with the message) | 204 with `X-RateLimit-Limit/Remaining/Reset/Reset-After/Bucket`; 429 `{ message, retry_after, global: false }` once the bucket (5 per 2 s) is empty; 400 for an empty or oversized message |
 * | `POST /google-chat/<name>` | a Google Chat space webhook | 200 with the created message (`name`, `sender`, `createTime`, `thread`, `space`, …); 400 for an empty message |
 * | `POST /webhook/<name>` | a receiver of autopilot's signed webhooks | 200 `{ received: true }`; 401 when a signing secret is configured for `<name>` and `X-Autopilot-Signature: v1=<hex HMAC-SHA256 of "<X-Autopilot-Timestamp>.<body>">` does not match or the timestamp (seconds) is more than five minutes off |
 * | SNS | AWS Chatbot behind an SNS topic | {@link ChatSink.receiveSns}: messages the local SNS published; a body that is not an AWS Chatbot custom notification is noted as a problem |
 *
 * Rate limits can be switched off (`rateLimits: false`); the clock is an option, for tests.
 *
 * @example
 * const chat = await startChatSink({ signingSecrets: { platform: 'secret' } });
 * await fetch(chat.url('slack', 'platform'), { method: 'POST', body: JSON.stringify({ text: 'hi' }) });
 * chat.messages(); // [{ kind: 'slack', channel: 'platform', body: { text: 'hi' }, status: 200, … }]
 * await chat.close();
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type LocalServer, listenLocal, readBody } from './runtime/local-http';
import type { PublishedMessage } from './runtime/sns';

/** The services the sink stands in for. */
export type ChatKind = 'slack' | 'slack-api' | 'teams' | 'discord' | 'google-chat' | 'webhook' | 'sns';

/** The kinds that are webhooks with a channel name in their path. */
export type WebhookKind = 'slack' | 'teams' | 'discord' | 'google-chat' | 'webhook';

/** A message the sink received. */
export interface ChatMessage {
  at: Date;
  kind: ChatKind;
  /** the name in the path; the Slack channel id for `slack-api`; the topic name for `sns` */
  channel: string;
  /** the body, parsed (JSON, or the form fields of a Slack API call); the text when it does not parse */
  body: unknown;
  /** the HTTP status the sink answered (200 for SNS) */
  status: number;
  /** `webhook` with a signing secret configured: whether the signature verified */
  verified?: boolean;
  /** why the sink refused it, or what the real service would do wrong with it later */
  problem?: string;
  /** `slack-api`: the method called */
  method?: 'chat.postMessage' | 'chat.update';
  /** `slack-api`: the message's ts (the new one for chat.postMessage, the updated one for chat.update) */
  ts?: string;
  /** `slack-api`: the thread the message was posted in */
  threadTs?: string;
  /** `google-chat`: the thread the message went to (`spaces/<name>/threads/<id>`; one per `threadKey`) */
  thread?: string;
  /** `sns`: the Subject of Publish */
  subject?: string;
}

/** Sees every message the sink records; it must not throw (errors are swallowed). */
export type ChatListener = (message: ChatMessage) => void;

/** Options of {@link startChatSink}. */
export interface ChatSinkOptions {
  /** 0 (a free port) by default */
  port?: number;
  /** the signing secret of each generic webhook, by name in the path (`/webhook/<name>`) */
  signingSecrets?: Record<string, string>;
  /** the only Slack bot token accepted; any `xoxb-` token when not given */
  slackToken?: string;
  /** whether Slack and Discord rate limits apply; true by default */
  rateLimits?: boolean;
  /** Discord's bucket per webhook: `limit` requests per `windowMs`; 5 per 2000 ms by default */
  discord?: { limit?: number; windowMs?: number };
  /** the clock (ms since epoch); Date.now by default */
  now?: () => number;
}

/** Slack: at most one message a second per webhook (and per channel for chat.postMessage). */
const SLACK_INTERVAL_MS = 1000;
/** Timers and clocks are not exact: a sender pacing itself at exactly one a second must pass. */
const CLOCK_TOLERANCE_MS = 20;
/** Signed webhooks: timestamps further off than this are refused (replays). */
const SIGNATURE_TOLERANCE_S = 300;

interface HttpAnswer {
  status: number;
  headers?: Record<string, string>;
  /** JSON (objects) or text */
  body?: unknown;
}

interface Received {
  at: number;
  kind: WebhookKind | 'slack-api';
  channel: string;
  rawBody: string;
  headers: IncomingMessage['headers'];
  query: URLSearchParams;
  method?: string;
}

/**
 * The running sink. See the module documentation.
 */
export class ChatSink {
  private readonly log: ChatMessage[] = [];
  private readonly listeners = new Set<ChatListener>();
  private readonly signingSecrets: Map<string, string>;
  private readonly now: () => number;
  /** Slack webhook name or `api:<channel id>` → when its last message was accepted */
  private readonly slackLast = new Map<string, number>();
  /** Discord webhook name → its bucket */
  private readonly discordBuckets = new Map<string, { remaining: number; resetAt: number; id: string }>();
  /** Slack channel id → ts → the message as posted (for chat.update) */
  private readonly slackMessages = new Map<string, Map<string, Record<string, unknown>>>();
  private slackSequence = 0;
  private slackSeconds = 0;

  private constructor(
    private readonly server: LocalServer,
    /** `http://127.0.0.1:<port>` */
    readonly endpoint: string,
    private readonly options: ChatSinkOptions,
  ) {
    this.signingSecrets = new Map(Object.entries(options.signingSecrets ?? {}));
    this.now = options.now ?? Date.now;
  }

  /** Starts a sink on 127.0.0.1; use {@link startChatSink}. */
  static async start(options: ChatSinkOptions = {}): Promise<ChatSink> {
    let sink: ChatSink | undefined;
    const server = await listenLocal((request, response) => {
      sink?.handle(request, response).catch(() => {
        // handle() answers every request; this only fires if the socket broke while answering.
        if (!response.headersSent) answer(response, { status: 500, body: 'internal error' });
      });
    }, options.port);
    sink = new ChatSink(server, server.endpoint, options);
    return sink;
  }

  /**
   * The URL of a webhook of the sink.
   *
   * @example
   * chat.url('slack', 'platform'); // http://127.0.0.1:<port>/slack/platform
   */
  url(kind: WebhookKind, channel: string): string {
    return `${this.endpoint}/${kind}/${encodeURIComponent(channel)}`;
  }

  /** The Slack Web API base (a Slack channel's `apiUrl`): `http://127.0.0.1:<port>/slack-api`. */
  get slackApiUrl(): string {
    return `${this.endpoint}/slack-api`;
  }

  /** Sets (or replaces) the signing secret of the generic webhook `/webhook/<channel>`. */
  setSigningSecret(channel: string, secret: string): void {
    this.signingSecrets.set(channel, secret);
  }

  /** Every message received so far, oldest first, optionally only of one kind and/or channel (a copy). */
  messages(filter: { kind?: ChatKind; channel?: string } = {}): ChatMessage[] {
    return this.log.filter(
      (m) =>
        (filter.kind === undefined || m.kind === filter.kind) &&
        (filter.channel === undefined || m.channel === filter.channel),
    );
  }

  /**
   * Calls `listener` with every message recorded from now on.
   *
   * @returns a function that unsubscribes
   */
  subscribe(listener: ChatListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The first message, already received or still to come, that `predicate` accepts.
   *
   * @throws Error after `timeoutMs` (5000 by default)
   */
  waitFor(predicate: (message: ChatMessage) => boolean, timeoutMs = 5000): Promise<ChatMessage> {
    const found = this.log.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        unsubscribe();
        reject(new Error(`no matching chat message within ${timeoutMs} ms`));
      }, timeoutMs);
      const unsubscribe = this.subscribe((message) => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        unsubscribe();
        resolve(message);
      });
    });
  }

  /** Forgets the messages received so far (rate limits and Slack messages stay). */
  clear(): void {
    this.log.length = 0;
  }

  /**
   * Records a message published to an SNS topic, as AWS Chatbot subscribed to it would receive it.
   * Wire it with `runtime.topics.subscribe((m) => chat.receiveSns(m))`.
   */
  receiveSns(published: PublishedMessage): void {
    const body = parseJson(published.message);
    this.record({
      at: published.at,
      kind: 'sns',
      channel: published.topicName,
      body: body.ok ? body.value : published.message,
      status: 200,
      ...optional('subject', published.subject),
      ...optional('problem', chatbotProblem(body.ok ? body.value : undefined)),
    });
  }

  /** Stops the server and closes open connections. */
  close(): Promise<void> {
    return this.server.close();
  }

  private record(message: ChatMessage): void {
    this.log.push(message);
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch {
        // A listener's failure is not the sender's.
      }
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const rawBody = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const [kind, name, ...rest] = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (!isKind(kind) || name === undefined || rest.length > 0) {
      answer(response, { status: 404, body: 'not found' });
      return;
    }
    if (request.method !== 'POST') {
      answer(response, { status: 405, headers: { allow: 'POST' }, body: 'method not allowed' });
      return;
    }
    const received: Received = {
      at: this.now(),
      kind,
      channel: name,
      rawBody,
      headers: request.headers,
      query: url.searchParams,
    };
    const { reply, message } = this.receive(received);
    this.record({ at: new Date(received.at), kind, channel: name, ...message });
    answer(response, reply);
  }

  /** What to answer and record for one request. */
  private receive(r: Received): {
    reply: HttpAnswer;
    message: Omit<ChatMessage, 'at' | 'kind' | 'channel'> & { channel?: string };
  } {
    switch (r.kind) {
      case 'slack':
        return this.slackWebhook(r);
      case 'slack-api':
        return this.slackApi(r);
      case 'teams':
        return teams(r);
      case 'discord':
        return this.discord(r);
      case 'google-chat':
        return googleChat(r);
      case 'webhook':
        return this.webhook(r);
    }
  }

  private get rateLimited(): boolean {
    return this.options.rateLimits !== false;
  }

  /** Whether a Slack message to `key` now would be more than one a second; if not, counts it. */
  private slackTooSoon(key: string, now: number): boolean {
    const last = this.slackLast.get(key);
    if (this.rateLimited && last !== undefined && now - last < SLACK_INTERVAL_MS - CLOCK_TOLERANCE_MS) {
      return true;
    }
    return false;
  }

  private slackWebhook(r: Received) {
    const parsed = parseJson(r.rawBody);
    const body = parsed.ok ? parsed.value : r.rawBody;
    const refuse = (status: number, problem: string, headers?: Record<string, string>) => ({
      reply: { status, headers, body: problem },
      message: { body, status, problem },
    });
    if (this.slackTooSoon(r.channel, r.at)) return refuse(429, 'rate_limited', { 'retry-after': '1' });
    if (!parsed.ok || !isRecord(parsed.value)) return refuse(400, 'invalid_payload');
    if (!hasSlackContent(parsed.value)) return refuse(400, 'no_text');
    this.slackLast.set(r.channel, r.at);
    return { reply: { status: 200, body: 'ok' }, message: { body, status: 200 } };
  }

  private slackApi(r: Received) {
    const method = r.channel;
    const contentType = String(r.headers['content-type'] ?? '');
    const parsed = contentType.includes('application/x-www-form-urlencoded')
      ? { ok: true as const, value: Object.fromEntries(new URLSearchParams(r.rawBody)) as unknown }
      : parseJson(r.rawBody);
    const body = parsed.ok && isRecord(parsed.value) ? parsed.value : {};
    const channel = typeof body.channel === 'string' ? body.channel : '';
    const refuse = (error: string, status = 200, headers?: Record<string, string>) => ({
      reply: { status, headers, body: { ok: false, error } },
      message: {
        channel,
        body: parsed.ok ? parsed.value : r.rawBody,
        status,
        problem: error,
        ...(isSlackMethod(method) ? { method } : {}),
      },
    });
    // Slack's Web API answers HTTP 200 with `ok: false`, except for rate limits (429).
    if (!isSlackMethod(method)) return refuse('unknown_method', 404);
    const authorization = String(r.headers.authorization ?? '');
    const token =
      /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] ??
      (typeof body.token === 'string' ? body.token : undefined);
    if (!token) return refuse('not_authed');
    const tokenOk = this.options.slackToken ? token === this.options.slackToken : token.startsWith('xoxb-');
    if (!tokenOk) return refuse('invalid_auth');
    if (!parsed.ok || !isRecord(parsed.value)) return refuse('invalid_json');
    if (channel === '') return refuse('channel_not_found');
    if (!hasSlackContent(body)) return refuse('no_text');
    const messages = this.slackMessages.get(channel) ?? new Map<string, Record<string, unknown>>();
    this.slackMessages.set(channel, messages);

    if (method === 'chat.update') {
      const ts = typeof body.ts === 'string' ? body.ts : '';
      const existing = messages.get(ts);
      if (!existing) return refuse('message_not_found');
      const updated: Record<string, unknown> = {
        ...existing,
        ...slackMessage(body, ts),
        edited: { user: 'B0SANDBOX', ts: this.nextTs(r.at) },
      };
      messages.set(ts, updated);
      return {
        reply: { status: 200, body: { ok: true, channel, ts, text: updated.text ?? '', message: updated } },
        message: { channel, body, status: 200, method, ts },
      };
    }

    if (this.slackTooSoon(`api:${channel}`, r.at)) return refuse('ratelimited', 429, { 'retry-after': '1' });
    this.slackLast.set(`api:${channel}`, r.at);
    const ts = this.nextTs(r.at);
    const threadTs = typeof body.thread_ts === 'string' && body.thread_ts !== '' ? body.thread_ts : undefined;
    const posted = { ...slackMessage(body, ts), ...(threadTs ? { thread_ts: threadTs } : {}) };
    messages.set(ts, posted);
    return {
      reply: { status: 200, body: { ok: true, channel, ts, message: posted } },
      message: { channel, body, status: 200, method, ts, ...optional('threadTs', threadTs) },
    };
  }

  /** A Slack message timestamp, `<seconds>.<6 digits>`, strictly increasing. */
  private nextTs(now: number): string {
    // Seconds never go back and the sequence always grows, so each ts is greater than the last.
    this.slackSeconds = Math.max(this.slackSeconds, Math.floor(now / 1000));
    this.slackSequence += 1;
    return `${this.slackSeconds}.${String(this.slackSequence).padStart(6, '0')}`;
  }

  private discord(r: Received) {
    const limit = this.options.discord?.limit ?? 5;
    const windowMs = this.options.discord?.windowMs ?? 2000;
    const previous = this.discordBuckets.get(r.channel);
    const bucket =
      previous && r.at < previous.resetAt
        ? previous
        : {
            remaining: limit,
            resetAt: r.at + windowMs,
            id: previous?.id ?? createHash('sha1').update(r.channel).digest('hex').slice(0, 32),
          };
    this.discordBuckets.set(r.channel, bucket);
    const parsed = parseJson(r.rawBody);
    const body = parsed.ok ? parsed.value : r.rawBody;
    const resetAfter = Math.max(0, bucket.resetAt - r.at) / 1000;
    const rateHeaders = (remaining: number): Record<string, string> => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': (bucket.resetAt / 1000).toFixed(3),
      'x-ratelimit-reset-after': resetAfter.toFixed(3),
      'x-ratelimit-bucket': bucket.id,
    });
    if (this.rateLimited && bucket.remaining <= 0) {
      return {
        reply: {
          status: 429,
          headers: {
            ...rateHeaders(0),
            'retry-after': String(Math.ceil(resetAfter)),
            'x-ratelimit-scope': 'user',
          },
          body: {
            message: 'You are being rate limited.',
            retry_after: Number(resetAfter.toFixed(3)),
            global: false,
          },
        },
        message: { body, status: 429, problem: 'rate limited' },
      };
    }
    bucket.remaining = Math.max(0, bucket.remaining - 1);
    const headers = rateHeaders(bucket.remaining);
    const refuse = (code: number, message: string) => ({
      reply: { status: 400, headers, body: { code, message } },
      message: { body, status: 400, problem: message },
    });
    if (!parsed.ok || !isRecord(parsed.value))
      return refuse(50109, 'The request body contains invalid JSON.');
    const problem = discordProblem(parsed.value);
    if (problem) return refuse(problem.code, problem.message);
    if (r.query.get('wait') === 'true') {
      const id = snowflake(r.at);
      return {
        reply: {
          status: 200,
          headers,
          body: {
            id,
            type: 0,
            channel_id: createHash('sha1')
              .update(`channel:${r.channel}`)
              .digest('hex')
              .replace(/\D/g, '')
              .slice(0, 18),
            webhook_id: bucket.id.replace(/\D/g, '').slice(0, 18),
            content: parsed.value.content ?? '',
            embeds: parsed.value.embeds ?? [],
            timestamp: new Date(r.at).toISOString(),
          },
        },
        message: { body, status: 200 },
      };
    }
    return { reply: { status: 204, headers }, message: { body, status: 204 } };
  }

  private webhook(r: Received) {
    const parsed = parseJson(r.rawBody);
    const body = parsed.ok ? parsed.value : r.rawBody;
    const secret = this.signingSecrets.get(r.channel);
    if (secret !== undefined) {
      const problem = signatureProblem(r, secret);
      if (problem) {
        return {
          reply: { status: 401, body: { error: 'invalid signature' } },
          message: { body, status: 401, verified: false, problem },
        };
      }
    }
    const verified = secret === undefined ? {} : { verified: true };
    if (!parsed.ok) {
      return {
        reply: { status: 400, body: { error: 'the body is not JSON' } },
        message: { body, status: 400, ...verified, problem: 'the body is not JSON' },
      };
    }
    return { reply: { status: 200, body: { received: true } }, message: { body, status: 200, ...verified } };
  }
}

/**
 * Starts a chat sink on 127.0.0.1. See the module documentation.
 *
 * @example
 * const chat = await startChatSink({ signingSecrets: { platform: 'whsec-sandbox' } });
 */
export function startChatSink(options: ChatSinkOptions = {}): Promise<ChatSink> {
  return ChatSink.start(options);
}

const KINDS = new Set<string>(['slack', 'slack-api', 'teams', 'discord', 'google-chat', 'webhook']);

function isKind(kind: string | undefined): kind is WebhookKind | 'slack-api' {
  return kind !== undefined && KINDS.has(kind);
}

function isSlackMethod(method: string): method is 'chat.postMessage' | 'chat.update' {
  return method === 'chat.postMessage' || method === 'chat.update';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** Slack needs `text`, `blocks` or `attachments`. */
function hasSlackContent(body: Record<string, unknown>): boolean {
  return (
    (typeof body.text === 'string' && body.text.trim() !== '') ||
    (Array.isArray(body.blocks) && body.blocks.length > 0) ||
    (Array.isArray(body.attachments) && body.attachments.length > 0) ||
    // Form-encoded calls carry blocks as a JSON string.
    (typeof body.blocks === 'string' && body.blocks.length > 2)
  );
}

/** A message as the Slack API describes it in its answers. */
function slackMessage(body: Record<string, unknown>, ts: string): Record<string, unknown> {
  return {
    type: 'message',
    subtype: 'bot_message',
    bot_id: 'B0SANDBOX',
    text: typeof body.text === 'string' ? body.text : '',
    ...(body.blocks === undefined ? {} : { blocks: body.blocks }),
    ...(body.attachments === undefined ? {} : { attachments: body.attachments }),
    ts,
  };
}

function teams(r: Received) {
  const parsed = parseJson(r.rawBody);
  if (!parsed.ok) {
    const problem = "The input body for trigger 'manual' of type 'Request' must be of type JSON.";
    return {
      reply: { status: 400, body: { error: { code: 'InvalidRequestContent', message: problem } } },
      message: { body: r.rawBody, status: 400, problem },
    };
  }
  // Workflows accepts any JSON; the flow's "Post card in a chat or channel" step fails later.
  return {
    reply: { status: 202 },
    message: { body: parsed.value, status: 202, ...optional('problem', teamsProblem(parsed.value)) },
  };
}

/** What the Workflows flow would choke on: the body must carry an Adaptive Card attachment. */
function teamsProblem(body: unknown): string | undefined {
  if (!isRecord(body) || !Array.isArray(body.attachments) || body.attachments.length === 0) {
    return 'no attachments: the flow posts attachments[].content as an Adaptive Card';
  }
  const card = body.attachments.find(
    (a) => isRecord(a) && a.contentType === 'application/vnd.microsoft.card.adaptive',
  ) as Record<string, unknown> | undefined;
  if (!card) return 'no attachment of contentType application/vnd.microsoft.card.adaptive';
  const content = card.content;
  if (!isRecord(content) || content.type !== 'AdaptiveCard' || !Array.isArray(content.body)) {
    return 'the attachment content is not an AdaptiveCard with a body';
  }
  return undefined;
}

/** Discord's checks of an execute-webhook body (empty message, embed limits). */
function discordProblem(body: Record<string, unknown>): { code: number; message: string } | undefined {
  const content = typeof body.content === 'string' ? body.content : '';
  const embeds = Array.isArray(body.embeds) ? body.embeds : [];
  if (content === '' && embeds.length === 0 && body.components === undefined) {
    return { code: 50006, message: 'Cannot send an empty message' };
  }
  const invalid = { code: 50035, message: 'Invalid Form Body' };
  if (content.length > 2000 || embeds.length > 10) return invalid;
  let total = 0;
  for (const embed of embeds) {
    if (!isRecord(embed)) return invalid;
    const title = typeof embed.title === 'string' ? embed.title : '';
    const description = typeof embed.description === 'string' ? embed.description : '';
    if (title.length > 256 || description.length > 4096) return invalid;
    const fields = Array.isArray(embed.fields) ? embed.fields : [];
    if (fields.length > 25) return invalid;
    total += title.length + description.length;
    for (const field of fields) {
      if (!isRecord(field) || typeof field.name !== 'string' || typeof field.value !== 'string')
        return invalid;
      if (field.name.length > 256 || field.value.length > 1024) return invalid;
      total += field.name.length + field.value.length;
    }
  }
  return total > 6000 ? invalid : undefined;
}

/** A Discord id: milliseconds since the Discord epoch, shifted, as a decimal string. */
function snowflake(now: number): string {
  return String((BigInt(now - 1_420_070_400_000) << 22n) + BigInt(Math.floor(Math.random() * 4096)));
}

function googleChat(r: Received) {
  const parsed = parseJson(r.rawBody);
  const error = (message: string) => ({
    reply: { status: 400, body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } },
    message: { body: parsed.ok ? parsed.value : r.rawBody, status: 400, problem: message },
  });
  if (!parsed.ok || !isRecord(parsed.value)) return error('Invalid JSON payload received.');
  const body = parsed.value;
  const hasText = typeof body.text === 'string' && body.text !== '';
  const hasCards =
    (Array.isArray(body.cardsV2) && body.cardsV2.length > 0) ||
    (Array.isArray(body.cards) && body.cards.length > 0);
  if (!hasText && !hasCards)
    return error('Message cannot be empty. Discarded message must contain text or cards.');
  const space = `spaces/${r.channel}`;
  const threadKey = r.query.get('threadKey');
  const thread = threadKey
    ? createHash('sha1').update(`${r.channel}:${threadKey}`).digest('base64url').slice(0, 11)
    : randomUUID().replaceAll('-', '').slice(0, 11);
  const id = `${randomUUID().replaceAll('-', '').slice(0, 11)}.${randomUUID().replaceAll('-', '').slice(0, 11)}`;
  return {
    reply: {
      status: 200,
      body: {
        name: `${space}/messages/${id}`,
        sender: { name: 'users/114022495153014004089', displayName: 'autopilot', type: 'BOT' },
        ...(hasText ? { text: body.text, formattedText: body.text } : {}),
        ...(body.cardsV2 === undefined ? {} : { cardsV2: body.cardsV2 }),
        createTime: new Date(r.at).toISOString(),
        thread: { name: `${space}/threads/${thread}` },
        space: { name: space, type: 'ROOM', spaceType: 'SPACE' },
      },
    },
    message: { body, status: 200, thread: `${space}/threads/${thread}` },
  };
}

/** Why a signed webhook does not verify; undefined when it does. */
function signatureProblem(r: Received, secret: string): string | undefined {
  const timestamp = header(r.headers, 'x-autopilot-timestamp');
  const signature = header(r.headers, 'x-autopilot-signature');
  if (!timestamp || !signature) return 'missing X-Autopilot-Timestamp or X-Autopilot-Signature';
  if (!/^\d+$/.test(timestamp)) return 'X-Autopilot-Timestamp is not a number of seconds';
  if (Math.abs(r.at / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_S) {
    return 'X-Autopilot-Timestamp is more than five minutes off (seconds since the epoch expected)';
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}.${r.rawBody}`).digest();
  // Several signatures may be sent while a secret is rotated: `v1=<hex>, v1=<hex>`.
  const candidates = signature
    .split(/[,\s]+/)
    .map((part) => /^v1=([0-9a-f]{64})$/i.exec(part.trim())?.[1])
    .filter((hex): hex is string => hex !== undefined);
  if (candidates.length === 0) return 'X-Autopilot-Signature has no v1=<64 hex digits>';
  return candidates.some((hex) => timingSafeEqual(Buffer.from(hex, 'hex'), expected))
    ? undefined
    : 'the signature does not match the body and timestamp';
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** What AWS Chatbot would ignore: a custom notification needs version 1.0, source custom, content.description. */
function chatbotProblem(body: unknown): string | undefined {
  if (!isRecord(body)) return 'not JSON: AWS Chatbot ignores it';
  if (body.version !== '1.0' || body.source !== 'custom') {
    return 'not an AWS Chatbot custom notification (version "1.0", source "custom")';
  }
  if (!isRecord(body.content) || typeof body.content.description !== 'string') {
    return 'AWS Chatbot custom notifications need content.description';
  }
  return undefined;
}

function answer(response: ServerResponse, reply: HttpAnswer): void {
  if (reply.body === undefined) {
    response.writeHead(reply.status, { ...reply.headers });
    response.end();
    return;
  }
  const isText = typeof reply.body === 'string';
  const text = isText ? String(reply.body) : JSON.stringify(reply.body);
  response.writeHead(reply.status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...reply.headers,
  });
  response.end(text);
}
