/**
 * POSTs JSON to chat webhooks and APIs: HTTPS only, to public addresses only, a timeout per request,
 * retries with backoff and jitter inside a total time budget, the channel's own rate-limit headers
 * obeyed and a per-channel pace kept.
 *
 * Where a request may go ({@link outboundRefusal}): the host is resolved and every address it
 * resolves to is checked (private, loopback, link-local and metadata, shared, multicast, reserved
 * and documentation ranges, IPv4-mapped, NAT64 and 6to4 forms of them: refused), and the connection
 * is made to the address checked, so a second resolution cannot point it elsewhere (DNS rebinding).
 * Only the local sandbox (`allowLoopback`, from AUTOPILOT_SANDBOX, which no deployed function sets)
 * may reach loopback, over http or https.
 *
 * Webhook URLs and tokens are secrets: no error message or log line built here contains them; errors
 * name the channel instead. For the same reason errors of the connection are not kept as `cause`
 * (their messages may carry the URL, a header value or the host).
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { PermanentError, RetryableError } from '../../errors';
import { logger } from '../../observability';

/** A request to one channel. */
export interface PostRequest {
  /** the channel's name in the policy file: errors, logs and the pace are keyed by it */
  channel: string;
  /** the secret URL; only https to public addresses (the sandbox: also http and https to loopback) */
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
  /**
   * Loopback addresses (127.0.0.0/8, ::1) are reachable, over http too: the local sandbox and tests
   * only (AUTOPILOT_SANDBOX). Default false: a deployed function never reaches loopback, where the
   * Lambda runtime API listens.
   */
  allowLoopback?: boolean;
  /** resolves a host name to every address it has; default DNS (`dns.promises.lookup`, all addresses) */
  lookup?: (hostname: string) => Promise<ResolvedAddress[]>;
  /** sends one request to the address checked; default Node's http/https, connected to that address */
  send?: (url: URL, address: ResolvedAddress, init: SendInit) => Promise<Response>;
}

/** An address a host resolved to. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** One request, as {@link HttpPosterOptions.send} gets it. */
export interface SendInit {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}

/** A fresh {@link PosterState} (tests; processes use the shared one). */
export function newPosterState(): PosterState {
  return { nextSlot: new Map(), blockedUntil: new Map() };
}

const PROCESS_STATE = newPosterState();

/** Loopback: the sandbox's chat sink; in Lambda, the runtime API. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Addresses a chat request never goes to (IANA special-purpose registries): no webhook of a chat
 * service lives there, and they reach the account's own network, the instance metadata service or
 * the Lambda runtime. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) are checked as their IPv4.
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local: instance metadata (169.254.169.254), ECS task metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24], // 6to4 relays
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64: an IPv4 address inside
  ['64:ff9b:1::', 48],
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments (Teredo among them)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: an IPv4 address inside
  ['fc00::', 7], // unique local (fd00::/8; fd00:ec2::254 is the IPv6 metadata service)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/**
 * Why a request may not go to an address, or undefined when it may: public addresses always, loopback
 * only when allowed (the sandbox).
 *
 * @example outboundRefusal('169.254.169.254', false) // 'a private, loopback, link-local or reserved address'
 */
export function outboundRefusal(address: string, allowLoopback: boolean): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowLoopback && LOOPBACK.check(address, type)) return undefined;
  return NOT_PUBLIC.check(address, type) ? 'a private, loopback, link-local or reserved address' : undefined;
}

/** Whether an address is loopback (what plain http may reach, in the sandbox). */
function isLoopback(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

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
  private readonly allowLoopback: boolean;
  private readonly lookup: (hostname: string) => Promise<ResolvedAddress[]>;
  private readonly send: (url: URL, address: ResolvedAddress, init: SendInit) => Promise<Response>;

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
    this.allowLoopback = options.allowLoopback ?? false;
    this.lookup = options.lookup ?? lookupAll;
    this.send = options.send ?? sendPinned;
  }

  /**
   * POSTs `request.body` and returns the channel's answer.
   *
   * @throws PermanentError - refused URL or address, 4xx other than 429, a redirect, or a permanent verdict
   * @throws RetryableError - network errors, timeouts, 5xx or 429 still failing after the last
   *   attempt or when the time budget is spent
   */
  async post(request: PostRequest): Promise<PostResponse> {
    const url = checkUrl(request.url, request.channel, this.allowLoopback);
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
      // Resolved and checked again per attempt: the address connected to is always one checked.
      const outcome = await this.destination(request.channel, url).then(
        (address) => this.attempt(request, url, address, body, headers, timeoutMs, redact),
        (error: PermanentError | Failure) => {
          if (error instanceof PermanentError) throw error;
          return { failure: error };
        },
      );
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

  /**
   * The address to connect to: the URL's own when it is an IP, else the first of the host's addresses,
   * all of which must be allowed (a name that resolves to a private address among public ones is
   * refused whole). Plain http only to loopback, in the sandbox.
   *
   * @throws PermanentError - an address refused
   * @returns a rejected {@link Failure} when the name does not resolve (retried)
   */
  private async destination(channel: string, url: URL): Promise<ResolvedAddress> {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const literal = isIP(host);
    let addresses: ResolvedAddress[];
    if (literal !== 0) addresses = [{ address: host, family: literal as 4 | 6 }];
    else {
      try {
        addresses = await this.lookup(host);
      } catch (error) {
        const code = (error as { code?: unknown } | undefined)?.code;
        throw {
          reason:
            typeof code === 'string' && /^[A-Z_]+$/.test(code)
              ? `name lookup failed (${code})`
              : 'name lookup failed',
        } satisfies Failure;
      }
      if (addresses.length === 0) throw { reason: 'name lookup failed' } satisfies Failure;
    }
    for (const { address } of addresses) {
      const refusal = outboundRefusal(address, this.allowLoopback);
      if (refusal) throw new PermanentError(`channel ${channel}: the URL's host is ${refusal}: refused`);
      if (url.protocol === 'http:' && !isLoopback(address))
        throw new PermanentError(`channel ${channel}: only https URLs are allowed`);
    }
    return addresses[0] as ResolvedAddress;
  }

  /** One request: a response to return, or a failure worth another attempt. */
  private async attempt(
    request: PostRequest,
    url: URL,
    address: ResolvedAddress,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
    redact: (text: string) => string,
  ): Promise<{ response: PostResponse } | { failure: Failure }> {
    const href = url.href;
    let res: Response;
    try {
      res = await this.send(url, address, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const failure = fetchFailure(error, timeoutMs);
      if (failure) return { failure };
      // Anything else is the request refused before it was sent (a header with a bad character...).
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

/**
 * Parses and vets a channel URL before any lookup; the messages never repeat it. Where it may go is
 * checked on its addresses ({@link HttpPoster} `destination`).
 */
function checkUrl(raw: string, channel: string, allowLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The URL's own TypeError carries the input: not kept.
    throw new PermanentError(`channel ${channel}: the configured URL is not a valid URL`);
  }
  if (url.username || url.password)
    throw new PermanentError(`channel ${channel}: URLs with credentials in them are refused`);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && allowLoopback)) return url;
  throw new PermanentError(`channel ${channel}: only https URLs are allowed`);
}

/** Every address of a host name, as DNS gives them. */
async function lookupAll(hostname: string): Promise<ResolvedAddress[]> {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

/**
 * Sends one request with Node's http/https, connected to `address` whatever the host name resolves
 * to now (the name still goes in the Host header and TLS's server name, and the certificate must
 * match it). Fails like fetch: `TypeError('fetch failed', { cause })` for connection errors, the
 * signal's reason when it aborts, and synchronously thrown errors for a request that cannot be built.
 */
export function sendPinned(url: URL, address: ResolvedAddress, init: SendInit): Promise<Response> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    // net.connect asks for every address when it may try several families (autoSelectFamily).
    if ((options as { all?: boolean }).all)
      (callback as (e: null, a: ResolvedAddress[]) => void)(null, [address]);
    else callback(null, address.address, address.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const { signal } = init;
    const req = send(url, {
      method: init.method,
      headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) },
      lookup: pinned,
      agent: false,
    });
    const abort = () => {
      req.destroy();
      reject(signal.reason);
    };
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    const done = () => signal.removeEventListener('abort', abort);
    req.on('error', (error) => {
      done();
      reject(new TypeError('fetch failed', { cause: error }));
    });
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => {
        done();
        reject(new TypeError('terminated', { cause: error }));
      });
      res.on('end', () => {
        done();
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 599) {
          reject(new TypeError('fetch failed', { cause: { code: 'BAD_STATUS' } }));
          return;
        }
        const headers = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
        const empty = status === 204 || status === 205 || status === 304;
        resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers }));
      });
    });
    req.end(init.body);
  });
}

/**
 * A network error or timeout as a retryable failure; undefined for anything else. Errors are matched
 * by name, not class: they may come from another realm (jest's vm sandbox, for one).
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
