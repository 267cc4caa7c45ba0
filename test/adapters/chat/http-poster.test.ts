import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HttpPoster,
  type HttpPosterOptions,
  newPosterState,
  outboundRefusal,
  type ResolvedAddress,
  type SendInit,
  sendPinned,
} from '../../../shared/adapters/chat/http-poster';
import { PermanentError, RetryableError } from '../../../shared/errors';
import { failure } from '../../support/failure';
import { fakeTime, json, ScriptedServer, silence, text } from './scripted-server';

const CHANNEL = 'payments-slack';
/** The secret part of a webhook URL, which must never show in an error. */
const SECRET_PATH = '/services/T0001/B0002/s3cr3tW3bh00kT0k3n';

let server: ScriptedServer;
let clock: ReturnType<typeof fakeTime>;

/**
 * A poster on the fake clock, with fresh pacing memory and jitter fixed at the middle, allowed to
 * reach the scripted server on loopback as the sandbox is.
 */
function poster(options: HttpPosterOptions = {}): HttpPoster {
  return new HttpPoster({
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
    state: newPosterState(),
    allowLoopback: true,
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
    const send = jest.fn<Promise<Response>, [URL, ResolvedAddress, SendInit]>();

    // Act
    const error = await failure(
      poster({ send, allowLoopback: false }).post({ channel: CHANNEL, url, body: {} }),
    );

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/^channel payments-slack: /);
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).not.toContain('hooks.example.com');
    expect(error.cause).toBeUndefined();
    expect(send).not.toHaveBeenCalled();
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

describe('where a chat request may go', () => {
  it.each<[string, string, boolean]>([
    // public
    ['a public IPv4 address', '93.184.216.34', false],
    ['the edge of 172.16/12', '172.32.0.1', false],
    ['a public IPv6 address', '2606:4700:4700::1111', false],
    // private, loopback, link-local, metadata, reserved
    ['the instance metadata service', '169.254.169.254', true],
    ['the ECS task metadata endpoint', '169.254.170.2', true],
    ['10/8', '10.0.0.1', true],
    ['172.16/12', '172.31.255.255', true],
    ['192.168/16', '192.168.1.1', true],
    ['127/8', '127.1.2.3', true],
    ['0.0.0.0', '0.0.0.0', true],
    ['carrier-grade NAT', '100.64.0.1', true],
    ['multicast', '224.0.0.1', true],
    ['broadcast', '255.255.255.255', true],
    ['IPv6 loopback', '::1', true],
    ['the unspecified IPv6 address', '::', true],
    ['unique local fd00::/8', 'fd00::1', true],
    ['the IPv6 metadata service', 'fd00:ec2::254', true],
    ['link-local fe80::/10', 'fe80::1', true],
    ['IPv4-mapped metadata', '::ffff:169.254.169.254', true],
    ['IPv4-mapped 10/8, hex form', '::ffff:a00:1', true],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1', true],
    ['NAT64 of the metadata service', '64:ff9b::a9fe:a9fe', true],
    ['6to4 of the metadata service', '2002:a9fe:a9fe::1', true],
    ['IPv6 multicast', 'ff02::1', true],
  ])('%s (%s) refused: %s', (_, address, refused) => {
    // Prepare
    const allowLoopback = false;

    // Act
    const refusal = outboundRefusal(address, allowLoopback);

    // Assess
    expect(refusal !== undefined).toBe(refused);
  });

  it.each<[string, boolean]>([
    ['127.0.0.1', false],
    ['::1', false],
    ['10.0.0.1', true],
    ['169.254.169.254', true],
  ])('in the sandbox, %s refused: %s (only loopback is opened)', (address, refused) => {
    // Prepare
    const allowLoopback = true;

    // Act
    const refusal = outboundRefusal(address, allowLoopback);

    // Assess
    expect(refusal !== undefined).toBe(refused);
  });

  const PUBLIC = { address: '93.184.216.34', family: 4 } as const;
  /** DNS as the table says (a name missing from it does not resolve). */
  const dns =
    (names: Record<string, ResolvedAddress[]>) =>
    async (hostname: string): Promise<ResolvedAddress[]> => {
      const found = names[hostname];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return found;
    };
  const NAMES: Record<string, ResolvedAddress[]> = {
    'hooks.slack.com': [PUBLIC],
    localhost: [{ address: '127.0.0.1', family: 4 }],
    'metadata.example.com': [{ address: '169.254.169.254', family: 4 }],
    'mixed.example.com': [PUBLIC, { address: '10.0.0.5', family: 4 }],
    'v6-private.example.com': [{ address: 'fd12:3456::1', family: 6 }],
  };

  it.each<[string, string, boolean, string | undefined]>([
    ['a public webhook', 'https://hooks.slack.com/services/T1/B1/s3cr3t', false, PUBLIC.address],
    ['the metadata service by address', 'https://169.254.169.254/latest/meta-data/', false, undefined],
    ['the metadata service over http', 'http://169.254.169.254/latest/meta-data/', false, undefined],
    ['the IPv6 metadata service', 'https://[fd00:ec2::254]/latest/meta-data/', false, undefined],
    ['an IPv4-mapped IPv6 literal', 'https://[::ffff:a9fe:a9fe]/', false, undefined],
    ['127.0.0.1 written as a number', 'https://2130706433/hook', false, undefined],
    ['127.0.0.1 written in hex', 'https://0x7f.1/hook', false, undefined],
    ['0.0.0.0', 'https://0.0.0.0/hook', false, undefined],
    ['a name resolving to the metadata service', 'https://metadata.example.com/hook', false, undefined],
    ['a name with one private address among public ones', 'https://mixed.example.com/hook', false, undefined],
    ['a name resolving to a unique local IPv6 address', 'https://v6-private.example.com/', false, undefined],
    ['the Lambda runtime API', 'http://127.0.0.1:9001/2018-06-01/runtime/invocation/next', false, undefined],
    ['loopback over https', 'https://127.0.0.1:9001/', false, undefined],
    ['localhost', 'https://localhost/hook', false, undefined],
    ['in the sandbox, http to localhost', 'http://localhost:8080/hook', true, '127.0.0.1'],
    ['in the sandbox, https to 127.0.0.1', 'https://127.0.0.1:8443/hook', true, '127.0.0.1'],
    ['in the sandbox, plain http to a public host', 'http://hooks.slack.com/services/T1', true, undefined],
    ['in the sandbox, a private address', 'https://10.0.0.1/hook', true, undefined],
  ])('%s: %s (sandbox %s) goes to %s', async (_, url, allowLoopback, expected) => {
    // Prepare
    const send = jest.fn<Promise<Response>, [URL, ResolvedAddress, SendInit]>(
      async () => new Response('ok', { status: 200 }),
    );

    // Act
    const outcome = await poster({ send, allowLoopback, lookup: dns(NAMES) })
      .post({ channel: CHANNEL, url, body: {} })
      .then(
        () => 'sent',
        (error: Error) => error,
      );

    // Assess
    if (expected === undefined) {
      expect(outcome).toBeInstanceOf(PermanentError);
      expect((outcome as Error).message).toMatch(/^channel payments-slack: (the URL's host is|only https)/);
      expect((outcome as Error).message).not.toContain('s3cr3t');
      expect(send).not.toHaveBeenCalled();
    } else {
      expect(outcome).toBe('sent');
      expect(send.mock.calls[0]?.[1].address).toBe(expected);
    }
  });

  it('connects to the address it checked and checks again on every attempt (DNS rebinding)', async () => {
    // Prepare
    const answers: ResolvedAddress[][] = [[PUBLIC], [{ address: '127.0.0.1', family: 4 }]];
    const lookup = jest.fn(async () => answers.shift() ?? []);
    const send = jest.fn<Promise<Response>, [URL, ResolvedAddress, SendInit]>(
      async () => new Response('busy', { status: 503 }),
    );

    // Act
    const error = await failure(
      poster({ send, lookup, allowLoopback: false }).post({
        channel: CHANNEL,
        url: 'https://hooks.slack.com/services/T1/B1/s3cr3t',
        body: {},
      }),
    );

    // Assess
    expect(send.mock.calls.map(([, address]) => address.address)).toEqual([PUBLIC.address]);
    expect(lookup).toHaveBeenCalledTimes(2);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(
      "channel payments-slack: the URL's host is a private, loopback, link-local or reserved address: refused",
    );
  });

  it('retries a name that does not resolve, without naming it', async () => {
    // Prepare
    const lookup = dns({});

    // Act
    const error = await failure(
      poster({ lookup, maxAttempts: 2, allowLoopback: false }).post({
        channel: CHANNEL,
        url: 'https://s3cr3t-host.example.com/hook',
        body: {},
      }),
    );

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('channel payments-slack: name lookup failed (ENOTFOUND) after 2 attempts');
  });

  it('sends to the pinned address whatever the name resolves to, with the name as Host', async () => {
    // Prepare
    server.script(text(200, 'ok'));
    const port = new URL(server.url('/')).port;
    const url = new URL(`http://rebound.invalid:${port}/hook`);

    // Act
    const response = await sendPinned(
      url,
      { address: '127.0.0.1', family: 4 },
      { method: 'POST', headers: {}, body: '{}', signal: AbortSignal.timeout(5000) },
    );

    // Assess
    expect(response.status).toBe(200);
    expect(server.received[0]?.headers.host).toBe(`rebound.invalid:${port}`);
  });
});
