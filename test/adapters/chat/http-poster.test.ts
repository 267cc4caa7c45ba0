import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpPoster,
  type HttpPosterOptions,
  newPosterState,
} from '../../../shared/adapters/chat/http-poster';
import { PermanentError, RetryableError } from '../../../shared/errors';
import { failure } from '../../support/failure';
import { fakeTime, json, ScriptedServer, silence, text } from './scripted-server';

const CHANNEL = 'payments-slack';
/** The secret part of a webhook URL, which must never show in an error. */
const SECRET_PATH = '/services/T0001/B0002/s3cr3tW3bh00kT0k3n';

let server: ScriptedServer;
let clock: ReturnType<typeof fakeTime>;

/** A poster on the fake clock, with fresh pacing memory and jitter fixed at the middle. */
function poster(options: HttpPosterOptions = {}): HttpPoster {
  return new HttpPoster({
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    state: newPosterState(),
    ...options,
  });
}

beforeAll(async () => {
  server = await ScriptedServer.start();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
  clock = fakeTime();
});

describe('HttpPoster.post', () => {
  it('POSTs the body as JSON and returns the parsed answer', async () => {
    // Prepare
    server.script(json(200, { ok: true, ts: '1736668800.000100' }));

    // Act
    const response = await poster().post({
      channel: CHANNEL,
      url: server.url(SECRET_PATH),
      body: { text: 'prod/api rolled back to api:7' },
      headers: { authorization: 'Bearer xoxb-1' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ok: true, ts: '1736668800.000100' });
    expect(server.received).toEqual([
      expect.objectContaining({
        method: 'POST',
        path: SECRET_PATH,
        body: '{"text":"prod/api rolled back to api:7"}',
        headers: expect.objectContaining({
          'content-type': 'application/json; charset=utf-8',
          authorization: 'Bearer xoxb-1',
        }),
      }),
    ]);
    expect(clock.sleeps).toEqual([]);
  });

  it('sends a string body byte for byte and returns a text answer as text', async () => {
    // Prepare
    server.script(text(200, 'ok'));
    const body = '{"title":"déployé 🚀","b":1,"a":2}';

    // Act
    const response = await poster().post({ channel: CHANNEL, url: server.url('/hook'), body });

    // Assess
    expect(response.body).toBe('ok');
    expect(server.received[0]?.body).toBe(body);
  });

  it('retries a 5xx after an exponential, jittered backoff', async () => {
    // Prepare
    server.script(text(502, 'bad gateway'), text(503, 'unavailable'), json(200, { ok: true }));

    // Act
    const response = await poster({ baseDelayMs: 200 }).post({
      channel: CHANNEL,
      url: server.url('/hook'),
      body: {},
    });

    // Assess
    expect(response.status).toBe(200);
    expect(server.received).toHaveLength(3);
    // Equal jitter: half the delay fixed, half random (0.5 here): 200 → 150, 400 → 300.
    expect(clock.sleeps).toEqual([150, 300]);
  });

  it('gives up after the last attempt with a retryable error that names the channel', async () => {
    // Prepare
    server.script(...Array.from({ length: 4 }, () => text(500, `error at ${SECRET_PATH}`)));

    // Act
    const error = await failure(poster().post({ channel: CHANNEL, url: server.url(SECRET_PATH), body: {} }));

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('channel payments-slack: HTTP 500 after 4 attempts');
    expect(server.received).toHaveLength(4);
  });

  it('honours Retry-After in seconds on a 429', async () => {
    // Prepare
    server.script(text(429, 'slow down', { 'retry-after': '3' }), text(200, 'ok'));

    // Act
    await poster().post({ channel: CHANNEL, url: server.url('/hook'), body: {} });

    // Assess
    expect(clock.sleeps).toEqual([3000]);
    expect(server.received).toHaveLength(2);
  });

  it('honours Retry-After as an HTTP date', async () => {
    // Prepare
    const at = new Date(clock.now() + 7000).toUTCString();
    server.script(text(429, 'slow down', { 'retry-after': at }), text(200, 'ok'));

    // Act
    await poster().post({ channel: CHANNEL, url: server.url('/hook'), body: {} });

    // Assess
    expect(clock.sleeps).toEqual([7000]);
  });

  it("honours Discord's JSON retry_after (seconds, fractional) on a 429", async () => {
    // Prepare
    server.script(
      json(429, { message: 'You are being rate limited.', retry_after: 1.25, global: false }),
      json(200, { id: '1' }),
    );

    // Act
    await poster().post({ channel: 'ops-discord', url: server.url('/api/webhooks/1/tok'), body: {} });

    // Assess
    expect(clock.sleeps).toEqual([1250]);
  });

  it('takes the longest of Retry-After, retry_after and X-RateLimit-Reset-After', async () => {
    // Prepare
    server.script(
      json(429, { retry_after: 1.5 }, { 'retry-after': '1', 'x-ratelimit-reset-after': '2.5' }),
      json(200, {}),
    );

    // Act
    await poster().post({ channel: 'ops-discord', url: server.url('/api/webhooks/1/tok'), body: {} });

    // Assess
    expect(clock.sleeps).toEqual([2500]);
  });

  it('waits X-RateLimit-Reset-After before the next request once X-RateLimit-Remaining is 0', async () => {
    // Prepare
    const url = server.url('/api/webhooks/1/tok');
    server.script(
      json(200, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '1.5' }),
      json(200, {}, { 'x-ratelimit-remaining': '4', 'x-ratelimit-reset-after': '2' }),
      json(200, {}),
    );
    const discord = poster();

    // Act
    await discord.post({ channel: 'ops-discord', url, body: { n: 1 } });
    const beforeSecond = [...clock.sleeps];
    await discord.post({ channel: 'ops-discord', url, body: { n: 2 } });
    const beforeThird = [...clock.sleeps];
    await discord.post({ channel: 'ops-discord', url, body: { n: 3 } });

    // Assess
    expect(beforeSecond).toEqual([]);
    expect(beforeThird).toEqual([1500]);
    // The second answer left requests remaining: no further wait.
    expect(clock.sleeps).toEqual([1500]);
    expect(server.received.map((r) => r.body)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  });

  it('does not wait for a rate limit of another URL', async () => {
    // Prepare
    server.script(
      json(200, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '30' }),
      json(200, {}),
    );
    const discord = poster();

    // Act
    await discord.post({ channel: 'a', url: server.url('/api/webhooks/1/a'), body: {} });
    await discord.post({ channel: 'b', url: server.url('/api/webhooks/2/b'), body: {} });

    // Assess
    expect(clock.sleeps).toEqual([]);
  });

  it('fails fast, without a request, while a rate limit outlasts the time budget', async () => {
    // Prepare
    const url = server.url('/api/webhooks/1/tok');
    server.script(json(200, {}, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': '30' }));
    const discord = poster();
    await discord.post({ channel: 'ops-discord', url, body: {} });

    // Act
    const error = await failure(discord.post({ channel: 'ops-discord', url, body: {} }));

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe(
      'channel ops-discord: rate limited for another 30 s, beyond the retry budget of 20 s',
    );
    expect(server.received).toHaveLength(1);
  });

  it('gives up at once when the channel asks for a wait longer than the time budget', async () => {
    // Prepare
    server.script(text(503, 'maintenance', { 'retry-after': '60' }));

    // Act
    const error = await failure(poster().post({ channel: CHANNEL, url: server.url('/hook'), body: {} }));

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe(
      'channel payments-slack: HTTP 503 after 1 attempt (retry budget of 20 s spent)',
    );
    expect(server.received).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('times out a request the channel never answers, and retries it', async () => {
    // Prepare
    server.script(silence, silence);

    // Act
    const error = await failure(
      poster({ timeoutMs: 50, maxAttempts: 2 }).post({
        channel: CHANNEL,
        url: server.url(SECRET_PATH),
        body: {},
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('channel payments-slack: no answer within 50 ms after 2 attempts');
    expect(server.received).toHaveLength(2);
  });

  it('retries a refused connection as a network error', async () => {
    // Prepare
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    // Act
    const error = await failure(
      poster({ maxAttempts: 2 }).post({
        channel: CHANNEL,
        url: `http://127.0.0.1:${port}${SECRET_PATH}`,
        body: {},
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('channel payments-slack: network error ECONNREFUSED after 2 attempts');
    expect(error.message).not.toContain(String(port));
  });

  it('fails a 4xx at once, with the reason the channel gave', async () => {
    // Prepare
    server.script(text(400, 'invalid_payload'));

    // Act
    const error = await failure(poster().post({ channel: CHANNEL, url: server.url(SECRET_PATH), body: {} }));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('channel payments-slack: HTTP 400 (invalid_payload)');
    expect(server.received).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('does not follow redirects', async () => {
    // Prepare
    server.script(text(302, '', { location: 'http://example.com/elsewhere' }));

    // Act
    const error = await failure(poster().post({ channel: CHANNEL, url: server.url('/hook'), body: {} }));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('channel payments-slack: HTTP 302 (redirects are not followed)');
    expect(server.received).toHaveLength(1);
  });

  it.each([
    ['plain http to another host', 'http://hooks.example.com/services/T0001/B0002/s3cr3t'],
    ['another scheme', 'ftp://hooks.example.com/services/T0001/B0002/s3cr3t'],
    ['credentials in the URL', 'https://user:s3cr3t@hooks.example.com/services/T0001'],
    ['not a URL', 'hooks.example.com/services/T0001/B0002/s3cr3t'],
  ])('refuses %s before any request', async (_, url) => {
    // Prepare
    const fetch = jest.fn<ReturnType<typeof globalThis.fetch>, Parameters<typeof globalThis.fetch>>();

    // Act
    const error = await failure(poster({ fetch }).post({ channel: CHANNEL, url, body: {} }));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^channel payments-slack: /);
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).not.toContain('hooks.example.com');
    expect(error.cause).toBeUndefined();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('accepts http to localhost, the local sandbox', async () => {
    // Prepare
    server.script(text(200, 'ok'));

    // Act
    const response = await poster().post({
      channel: CHANNEL,
      url: server.url('/hook').replace('127.0.0.1', 'localhost'),
      body: {},
    });

    // Assess
    expect(response.status).toBe(200);
  });

  it('never puts the URL or the token in an error, even when the channel echoes them', async () => {
    // Prepare
    const url = server.url(SECRET_PATH);
    const token = 'xoxb-123456-s3cr3tT0k3n';
    server.script(
      text(404, `Cannot POST ${SECRET_PATH} (token ${token}, url ${url})`),
      text(403, `forbidden: ${encodeURIComponent(SECRET_PATH)}`),
    );
    const post = () =>
      poster().post({
        channel: CHANNEL,
        url,
        body: {},
        headers: { authorization: `Bearer ${token}` },
        secrets: [token],
      });

    // Act
    const errors = [await failure(post()), await failure(post())];

    // Assess
    for (const error of errors) {
      expect(error.message).not.toContain('s3cr3t');
      expect(error.message).not.toContain(SECRET_PATH);
      expect(error.message).toContain('[redacted]');
    }
    expect(errors[0]?.message).toMatch(/^channel payments-slack: HTTP 404 \(Cannot POST \[redacted\]/);
  });

  it('keeps a header value out of the error when fetch refuses to build the request', async () => {
    // Prepare
    const badToken = 'xoxb-s3cr3t\nInjected: 1';

    // Act
    const error = await failure(
      poster().post({
        channel: CHANNEL,
        url: server.url('/hook'),
        body: {},
        headers: { authorization: badToken },
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('channel payments-slack: the request could not be built');
    expect(error.cause).toBeUndefined();
    expect(server.received).toHaveLength(0);
  });

  it('paces requests per channel at perSecond', async () => {
    // Prepare
    server.script(...Array.from({ length: 4 }, () => text(200, 'ok')));
    const paced = poster();
    const slack = { channel: 'payments-slack', url: server.url('/a'), body: {}, perSecond: 2 };

    // Act
    await paced.post(slack);
    await paced.post(slack);
    await paced.post(slack);
    const slackSleeps = [...clock.sleeps];
    await paced.post({ channel: 'ops-discord', url: server.url('/b'), body: {}, perSecond: 5 });

    // Assess
    expect(slackSleeps).toEqual([500, 500]);
    // Another channel has its own pace.
    expect(clock.sleeps).toEqual(slackSleeps);
    expect(server.received).toHaveLength(4);
  });

  it('lines up concurrent posts to one channel instead of letting them burst', async () => {
    // Prepare
    server.script(...Array.from({ length: 3 }, () => text(200, 'ok')));
    const waits: number[] = [];
    // The clock stands still, as it does while the three posts start together.
    const paced = poster({ sleep: async (ms) => void waits.push(ms) });
    const slack = { channel: 'payments-slack', url: server.url('/a'), body: {}, perSecond: 2 };

    // Act
    await Promise.all([paced.post(slack), paced.post(slack), paced.post(slack)]);

    // Assess
    expect(waits).toEqual([500, 1000]);
  });

  it('shares the pace between posters of one process', async () => {
    // Prepare
    server.script(text(200, 'ok'), text(200, 'ok'));
    const state = newPosterState();
    const request = { channel: 'payments-slack', url: server.url('/a'), body: {}, perSecond: 1 };

    // Act
    await poster({ state }).post(request);
    await poster({ state }).post(request);

    // Assess
    expect(clock.sleeps).toEqual([1000]);
  });

  it('retries what the interpretation of a 2xx calls retryable, and fails what it calls permanent', async () => {
    // Prepare
    server.script(
      json(200, { ok: false, error: 'ratelimited' }, { 'retry-after': '2' }),
      json(200, { ok: true }),
      json(200, { ok: false, error: 'channel_not_found' }),
    );
    const interpret = (r: { body: unknown }) => {
      const body = r.body as { ok: boolean; error?: string };
      if (body.ok) return { ok: true as const };
      return body.error === 'ratelimited'
        ? { retry: `Slack error ${body.error}` }
        : { permanent: `Slack error ${body.error}` };
    };
    const slack = poster();

    // Act
    const first = await slack.post({
      channel: CHANNEL,
      url: server.url('/api/chat.postMessage'),
      body: {},
      interpret,
    });
    const error = await failure(
      slack.post({ channel: CHANNEL, url: server.url('/api/chat.postMessage'), body: {}, interpret }),
    );

    // Assess
    expect(first.body).toEqual({ ok: true });
    expect(clock.sleeps).toEqual([2000]);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('channel payments-slack: Slack error channel_not_found');
  });
});
