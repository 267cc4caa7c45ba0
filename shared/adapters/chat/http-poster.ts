/**
 * POSTs JSON to chat webhooks and APIs with Node's global fetch: HTTPS only, a timeout per request,
 * retries with backoff and jitter inside a total time budget, the channel's own rate-limit headers
 * obeyed and a per-channel pace kept.
 *
 * Webhook URLs and tokens are secrets: no error message or log line built here contains them; errors
 * name the channel instead. For the same reason errors thrown by fetch are not kept as `cause` (their
 * messages may carry the URL, a header value or the host).
 */
import { PermanentError, RetryableError } from '../../errors';
import { logger } from '../../observability';

/** A request to one channel. */
export interface PostRequest {
  /** the channel's name in the policy file: errors, logs and the pace are keyed by it */
  channel: string;
  /** the secret URL; only https (http only to 127.0.0.1 or localhost, the local sandbox) */
  url: string;
  /** sent byte for byte when a string (a signed body), as JSON otherwise */
  body: unknown;
  /** extra headers (Authorization, signatures); Content-Type is JSON unless given */
  headers?: Record<string, string>;
  /** at most this many requests per second to the channel; no pacing when absent */
  perSecond?: number;
  /** other secret strings (tokens) to keep out of error messages, beside the URL */
  secrets?: readonly string[];
  /** what a 2xx answer means when the status alone does not tell (Slack's `{ok: false}`) */
  interpret?: (response: PostResponse) => Verdict;
}

/** The answer of a channel. */
export interface PostResponse {
  status: number;
  /** parsed JSON when the answer says it is JSON (or looks like it), the text otherwise */
  body: unknown;
  headers: Headers;
}

/**
 * What a 2xx answer means: delivered, worth another attempt (optionally after `afterMs`), or never
 * going to work. `retry` and `permanent` hold a short reason without secrets, e.g. "Slack error
 * ratelimited".
 */
export type Verdict = { ok: true } | { retry: string; afterMs?: number } | { permanent: string };

/** Per-process memory of pacing and rate limits, shared by every poster unless one is given. */
export interface PosterState {
  /** channel name → earliest time (ms) of its next request */
  nextSlot: Map<string, number>;
  /** URL → time (ms) before which its rate limit (X-RateLimit-Remaining: 0) forbids requests */
  blockedUntil: Map<string, number>;
}

/** Tuning and test seams of {@link HttpPoster}; every field is optional. */
export interface HttpPosterOptions {
  /** abort one request after this long; default 5000 ms */
  timeoutMs?: number;
  /** attempts per post, the first included; default 4 */
  maxAttempts?: number;
  /** total time one post may take, waits included; default 20000 ms */
  budgetMs?: number;
  /** first backoff delay, doubled per attempt; default 250 ms */
  baseDelayMs?: number;
  /** largest backoff delay; default 4000 ms */
  maxDelayMs?: number;
  /** the clock (ms since epoch); default Date.now */
  now?: () => number;
  /** how to wait; default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** jitter source in [0, 1); default Math.random */
  random?: () => number;
  /** pacing and rate-limit memory; default one per process, so it outlives an invocation */
  state?: PosterState;
  /** the fetch implementation; default the global one */
  fetch?: typeof fetch;
}

/** A fresh {@link PosterState} (tests; processes use the shared one). */
export function newPosterState(): PosterState {
  return { nextSlot: new Map(), blockedUntil: new Map() };
}

const PROCESS_STATE = newPosterState();

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

/** A failed attempt: why, in words safe to show, and when the channel said to come back. */
interface Failure {
  reason: string;
  afterMs?: number;
}

/**
 * Posts to chat channels.
 *
 * @example
 * const poster = new HttpPoster();
 * const { body } = await poster.post({ channel: 'payments-slack', url, body: { text: 'hi' }, perSecond: 1 });
 */
export class HttpPoster {
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly budgetMs: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly state: PosterState;
  private readonly fetch: typeof fetch;

  /** @param options - timeouts, retry budget and test seams; see {@link HttpPosterOptions} */
  constructor(options: HttpPosterOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.budgetMs = options.budgetMs ?? 20_000;
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 4000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.random = options.random ?? Math.random;
    this.state = options.state ?? PROCESS_STATE;
    this.fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /**
   * POSTs `request.body` and returns the channel's answer.
   *
   * @throws PermanentError - refused URL, 4xx other than 429, a redirect, or a permanent verdict
   * @throws RetryableError - network errors, timeouts, 5xx or 429 still failing after the last
   *   attempt or when the time budget is spent
   */
  async post(request: PostRequest): Promise<PostResponse> {
    const url = checkUrl(request.url, request.channel);
    const deadline = this.now() + this.budgetMs;
    const body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
    const given = request.headers ?? {};
    const headers = Object.keys(given).some((k) => k.toLowerCase() === 'content-type')
      ? given
      : { 'content-type': 'application/json; charset=utf-8', ...given };
    const redact = redactor([request.url, ...urlParts(url), ...(request.secrets ?? [])]);

    for (let attempt = 1; ; attempt++) {
      await this.waitForTurn(request, url.href, deadline, attempt);
      const timeoutMs = Math.max(1, Math.min(this.timeoutMs, deadline - this.now()));
      const outcome = await this.attempt(request, url.href, body, headers, timeoutMs, redact);
      if ('response' in outcome) return outcome.response;

      const { reason, afterMs } = outcome.failure;
      const spent = `${reason} after ${attempts(attempt)}`;
      if (attempt >= this.maxAttempts) throw new RetryableError(`channel ${request.channel}: ${spent}`);
      const delay = afterMs ?? this.backoff(attempt);
      if (this.now() + delay >= deadline)
        throw new RetryableError(
          `channel ${request.channel}: ${spent} (retry budget of ${this.budgetMs / 1000} s spent)`,
        );
      logger.warn('chat request failed, retrying', { channel: request.channel, attempt, reason, delay });
      await this.sleep(delay);
    }
  }

  /** One request: a response to return, or a failure worth another attempt. */
  private async attempt(
    request: PostRequest,
    href: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
    redact: (text: string) => string,
  ): Promise<{ response: PostResponse } | { failure: Failure }> {
    let res: Response;
    try {
      res = await this.fetch(href, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const failure = fetchFailure(error, timeoutMs);
      if (failure) return { failure };
      // Anything else is fetch refusing to build the request (a header with a bad character...).
      throw new PermanentError(`channel ${request.channel}: the request could not be built`);
    }

    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      return { failure: fetchFailure(error, timeoutMs) ?? { reason: 'the answer could not be read' } };
    }
    const response: PostResponse = {
      status: res.status,
      body: parseBody(text, res.headers),
      headers: res.headers,
    };
    this.noteRateLimit(href, res.headers);

    const status = `HTTP ${res.status}`;
    if (res.status >= 200 && res.status < 300) {
      const verdict = request.interpret?.(response) ?? { ok: true };
      if ('ok' in verdict) return { response };
      if ('permanent' in verdict)
        throw new PermanentError(`channel ${request.channel}: ${verdict.permanent}`);
      return {
        failure: { reason: verdict.retry, afterMs: verdict.afterMs ?? serverDelayMs(response, this.now()) },
      };
    }
    if (res.status === 429 || res.status >= 500)
      return { failure: { reason: status, afterMs: serverDelayMs(response, this.now()) } };
    const detail =
      res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : summary(text, redact);
    throw new PermanentError(`channel ${request.channel}: ${status}${detail}`);
  }

  /**
   * Waits for the channel's pace and for the URL's rate limit. The slot is reserved before waiting,
   * so concurrent posts to one channel line up instead of bursting.
   */
  private async waitForTurn(
    request: PostRequest,
    href: string,
    deadline: number,
    attempt: number,
  ): Promise<void> {
    const now = this.now();
    let at = Math.max(now, this.state.blockedUntil.get(href) ?? 0);
    if (request.perSecond && request.perSecond > 0) {
      at = Math.max(at, this.state.nextSlot.get(request.channel) ?? 0);
      this.state.nextSlot.set(request.channel, at + 1000 / request.perSecond);
    }
    if (at <= now) return;
    if (at >= deadline) {
      const done = attempt > 1 ? ` (after ${attempts(attempt - 1)})` : '';
      throw new RetryableError(
        `channel ${request.channel}: rate limited for another ${Math.ceil((at - now) / 1000)} s, ` +
          `beyond the retry budget of ${this.budgetMs / 1000} s${done}`,
      );
    }
    await this.sleep(at - now);
  }

  /** Remembers Discord-style bucket exhaustion, so the next request to the URL waits for the reset. */
  private noteRateLimit(href: string, headers: Headers): void {
    const resetAfter = seconds(headers.get('x-ratelimit-reset-after'));
    if (headers.get('x-ratelimit-remaining')?.trim() === '0' && resetAfter !== undefined)
      this.state.blockedUntil.set(href, this.now() + resetAfter);
    else this.state.blockedUntil.delete(href);
  }

  /** Exponential backoff with equal jitter: half the delay fixed, half random. */
  private backoff(attempt: number): number {
    const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(delay / 2 + (this.random() * delay) / 2);
  }
}

function attempts(n: number): string {
  return `${n} attempt${n === 1 ? '' : 's'}`;
}

/** Parses and vets a channel URL; the messages never repeat it. */
function checkUrl(raw: string, channel: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The URL's own TypeError carries the input: not kept.
    throw new PermanentError(`channel ${channel}: the configured URL is not a valid URL`);
  }
  if (url.username || url.password)
    throw new PermanentError(`channel ${channel}: URLs with credentials in them are refused`);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) return url;
  throw new PermanentError(
    `channel ${channel}: only https URLs are allowed (http only to 127.0.0.1 or localhost)`,
  );
}

/**
 * A network error or timeout as a retryable failure; undefined for anything else. Errors are matched
 * by name, not class: fetch's errors may come from another realm (jest's vm sandbox, for one).
 */
function fetchFailure(error: unknown, timeoutMs: number): Failure | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: unknown };
  if (name === 'TimeoutError' || name === 'AbortError') return { reason: `no answer within ${timeoutMs} ms` };
  // undici rejects with TypeError('fetch failed' | 'terminated', { cause }) when the connection fails.
  if (name === 'TypeError' && (message === 'fetch failed' || message === 'terminated')) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    return {
      reason: typeof code === 'string' && /^[A-Z_]+$/.test(code) ? `network error ${code}` : 'network error',
    };
  }
  return undefined;
}

/** The answer's body: JSON when it says so or looks like it, text otherwise. */
function parseBody(text: string, headers: Headers): unknown {
  const trimmed = text.trim();
  if (headers.get('content-type')?.includes('json') || /^[[{]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return text;
    }
  }
  return text;
}

/** How long the channel asked us to wait (Retry-After, Discord's retry_after, X-RateLimit-Reset-After). */
function serverDelayMs(response: PostResponse, now: number): number | undefined {
  const retryAfter = response.headers.get('retry-after');
  const candidates = [
    seconds(retryAfter) ?? httpDate(retryAfter, now),
    typeof response.body === 'object' && response.body !== null
      ? seconds(String((response.body as { retry_after?: unknown }).retry_after))
      : undefined,
    seconds(response.headers.get('x-ratelimit-reset-after')),
  ].filter((ms): ms is number => ms !== undefined);
  return candidates.length ? Math.max(...candidates) : undefined;
}

/** A non-negative number of seconds (integer or decimal) in milliseconds. */
function seconds(value: string | null | undefined): number | undefined {
  const trimmed = value?.trim();
  return trimmed && /^\d+(\.\d+)?$/.test(trimmed) ? Math.ceil(Number(trimmed) * 1000) : undefined;
}

/** Milliseconds until an HTTP date (Retry-After's other form). */
function httpDate(value: string | null, now: number): number | undefined {
  const at = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The parts of a URL that may hold its secret, so that an answer echoing them in any form is
 * redacted: the path, the query, and every long path segment and query value (tokens are long).
 */
function urlParts(url: URL): string[] {
  const long = (part: string) => part.length >= 8;
  return [
    url.pathname,
    url.search,
    ...url.pathname.split('/').filter(long),
    ...[...url.searchParams.values()].filter(long),
  ];
}

/** Replaces every occurrence of the secrets (raw, decoded or encoded) in a text. */
function redactor(secrets: readonly string[]): (text: string) => string {
  const found = [
    ...new Set(
      secrets.flatMap((s) => [s, safeDecode(s), encodeURIComponent(s), encodeURIComponent(safeDecode(s))]),
    ),
  ]
    .filter((s) => s.length > 3)
    .sort((a, b) => b.length - a.length);
  return (text) => found.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** A short, redacted excerpt of an error answer (Slack says "invalid_payload", Discord a JSON message). */
function summary(text: string, redact: (text: string) => string): string {
  const oneLine = redact(text).replace(/\s+/g, ' ').trim();
  if (!oneLine) return '';
  return ` (${oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine})`;
}
