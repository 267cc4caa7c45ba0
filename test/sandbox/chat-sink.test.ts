/**
 * The sandbox's chat sink: what each stand-in service answers, what it records, its rate limits
 * (on a clock the tests move) and the verification of signed webhooks.
 */
import { createHmac } from 'node:crypto';
import { type ChatMessage, type ChatSink, startChatSink } from '../../sandbox/chat-sink';
import type { PublishedMessage } from '../../sandbox/runtime/sns';

const SIGNING_SECRET = 'whsec-test';
const TOKEN = 'xoxb-test-token';
const T0 = Date.parse('2026-11-23T10:00:00Z');

let sink: ChatSink;
let clock: number;

beforeEach(async () => {
  clock = T0;
  sink = await startChatSink({
    signingSecrets: { ops: SIGNING_SECRET },
    slackToken: TOKEN,
    now: () => clock,
  });
});

afterEach(async () => {
  await sink.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${sink.endpoint}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** A Slack Web API answer. */
type SlackAnswer = { ok: boolean; ts: string; channel: string; message: Record<string, unknown> };

function sign(body: string, timestamp: number, secret = SIGNING_SECRET): Record<string, string> {
  const hex = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return { 'X-Autopilot-Timestamp': String(timestamp), 'X-Autopilot-Signature': `v1=${hex}` };
}

describe('Slack incoming webhooks', () => {
  it('answers ok as text and records the message', async () => {
    // Prepare
    const body = { text: 'Deployment Started prod/api', blocks: [] };

    // Act
    const response = await post('/slack/platform', body);

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('ok');
    expect(sink.messages()).toEqual([
      { at: new Date(T0), kind: 'slack', channel: 'platform', body, status: 200 },
    ]);
  });

  it('answers 429 with Retry-After: 1 to a second message within a second, and accepts it after', async () => {
    // Prepare
    await post('/slack/platform', { text: 'one' });
    clock += 500;

    // Act
    const tooSoon = await post('/slack/platform', { text: 'two' });
    const otherWebhook = await post('/slack/payments', { text: 'elsewhere' });
    clock += 500;
    const later = await post('/slack/platform', { text: 'two again' });

    // Assess
    expect(tooSoon.status).toBe(429);
    expect(tooSoon.headers.get('retry-after')).toBe('1');
    expect(otherWebhook.status).toBe(200);
    expect(later.status).toBe(200);
    expect(sink.messages({ channel: 'platform' }).map((m) => [m.status, m.problem])).toEqual([
      [200, undefined],
      [429, 'rate_limited'],
      [200, undefined],
    ]);
  });

  it('refuses a body that is not JSON (invalid_payload) or has no text (no_text)', async () => {
    // Prepare
    const notJson = 'text=hello';

    // Act
    const invalid = await post('/slack/a', notJson);
    const empty = await post('/slack/b', { username: 'autopilot' });

    // Assess
    expect([invalid.status, await invalid.text()]).toEqual([400, 'invalid_payload']);
    expect([empty.status, await empty.text()]).toEqual([400, 'no_text']);
  });
});

describe('Slack Web API', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('posts with chat.postMessage (increasing ts), threads, and updates with chat.update', async () => {
    // Prepare
    const first = (await (
      await post('/slack-api/chat.postMessage', { channel: 'C0SANDBOX01', text: 'Deployment Started' }, auth)
    ).json()) as SlackAnswer;
    clock += 1000;

    // Act
    const reply = (await (
      await post(
        '/slack-api/chat.postMessage',
        { channel: 'C0SANDBOX01', text: 'Deployment Succeeded', thread_ts: first.ts },
        auth,
      )
    ).json()) as SlackAnswer;
    const update = await (
      await post('/slack-api/chat.update', { channel: 'C0SANDBOX01', ts: first.ts, text: 'Deployed ✔' }, auth)
    ).json();

    // Assess
    expect(first).toEqual(
      expect.objectContaining({
        ok: true,
        channel: 'C0SANDBOX01',
        ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
      }),
    );
    expect(Number(reply.ts)).toBeGreaterThan(Number(first.ts));
    expect(reply.message).toEqual(
      expect.objectContaining({ thread_ts: first.ts, text: 'Deployment Succeeded' }),
    );
    expect(update).toEqual(
      expect.objectContaining({ ok: true, channel: 'C0SANDBOX01', ts: first.ts, text: 'Deployed ✔' }),
    );
    expect(sink.messages({ kind: 'slack-api' }).map((m) => [m.method, m.channel, m.ts, m.threadTs])).toEqual([
      ['chat.postMessage', 'C0SANDBOX01', first.ts, undefined],
      ['chat.postMessage', 'C0SANDBOX01', reply.ts, first.ts],
      ['chat.update', 'C0SANDBOX01', first.ts, undefined],
    ]);
  });

  it('answers ok: false for a missing or wrong token and an unknown message, 429 above 1 a second', async () => {
    // Prepare
    const body = { channel: 'C0SANDBOX01', text: 'x' };
    await post('/slack-api/chat.postMessage', body, auth);

    // Act
    const noToken = await (await post('/slack-api/chat.postMessage', body)).json();
    const wrongToken = await (
      await post('/slack-api/chat.postMessage', body, { authorization: 'Bearer xoxb-other' })
    ).json();
    const unknown = await (await post('/slack-api/chat.update', { ...body, ts: '1.000001' }, auth)).json();
    const tooSoon = await post('/slack-api/chat.postMessage', body, auth);

    // Assess
    expect([noToken, wrongToken, unknown]).toEqual([
      { ok: false, error: 'not_authed' },
      { ok: false, error: 'invalid_auth' },
      { ok: false, error: 'message_not_found' },
    ]);
    expect([tooSoon.status, tooSoon.headers.get('retry-after'), await tooSoon.json()]).toEqual([
      429,
      '1',
      { ok: false, error: 'ratelimited' },
    ]);
  });
});

describe('Microsoft Teams, Google Chat', () => {
  it('answers a Teams Workflows webhook 202 and notes a body without an Adaptive Card', async () => {
    // Prepare
    const card = {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: {
            type: 'AdaptiveCard',
            version: '1.4',
            body: [{ type: 'TextBlock', text: 'Rolled back' }],
          },
        },
      ],
    };

    // Act
    const ok = await post('/teams/platform', card);
    const plain = await post('/teams/platform', { text: 'no card' });

    // Assess
    expect([ok.status, await ok.text()]).toEqual([202, '']);
    expect(plain.status).toBe(202);
    expect(sink.messages({ kind: 'teams' }).map((m) => m.problem)).toEqual([
      undefined,
      'no attachments: the flow posts attachments[].content as an Adaptive Card',
    ]);
  });

  it('answers a Google Chat webhook 200 with the created message, 400 for an empty one', async () => {
    // Prepare
    const body = { cardsV2: [{ cardId: 'c', card: { header: { title: 'Deployment Started' } } }] };

    // Act
    const ok = await post('/google-chat/platform?threadKey=prod-api', body);
    const empty = await post('/google-chat/platform', {});

    // Assess
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(
      expect.objectContaining({
        name: expect.stringMatching(/^spaces\/platform\/messages\//),
        sender: expect.objectContaining({ type: 'BOT' }),
        thread: { name: expect.stringMatching(/^spaces\/platform\/threads\//) },
        cardsV2: body.cardsV2,
      }),
    );
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      error: expect.objectContaining({ code: 400, status: 'INVALID_ARGUMENT' }),
    });
  });
});

describe('Discord webhooks', () => {
  it('answers 204 with rate-limit headers, then 429 with retry_after once the bucket is empty', async () => {
    // Prepare
    const body = { embeds: [{ title: 'Deployment Started', description: 'prod/api' }] };
    const answers: Response[] = [];

    // Act
    for (let i = 0; i < 5; i++) answers.push(await post('/discord/platform', body));
    clock += 500;
    const limited = await post('/discord/platform', body);
    clock += 1500;
    const afterReset = await post('/discord/platform', body);

    // Assess
    expect(answers.map((a) => [a.status, a.headers.get('x-ratelimit-remaining')])).toEqual([
      [204, '4'],
      [204, '3'],
      [204, '2'],
      [204, '1'],
      [204, '0'],
    ]);
    expect(answers[0]?.headers.get('x-ratelimit-limit')).toBe('5');
    expect(answers[0]?.headers.get('x-ratelimit-reset-after')).toBe('2.000');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-reset-after')).toBe('1.500');
    expect(await limited.json()).toEqual({
      message: 'You are being rate limited.',
      retry_after: 1.5,
      global: false,
    });
    expect([afterReset.status, afterReset.headers.get('x-ratelimit-remaining')]).toEqual([204, '4']);
  });

  it('answers the message with ?wait=true, and 400 for an empty message', async () => {
    // Prepare
    const body = { content: 'hello' };

    // Act
    const waited = await post('/discord/other?wait=true', body);
    const empty = await post('/discord/other', { embeds: [] });

    // Assess
    expect(waited.status).toBe(200);
    expect(await waited.json()).toEqual(
      expect.objectContaining({ id: expect.stringMatching(/^\d+$/), content: 'hello' }),
    );
    expect([empty.status, await empty.json()]).toEqual([
      400,
      { code: 50006, message: 'Cannot send an empty message' },
    ]);
  });
});

describe('signed webhooks', () => {
  it('verifies an HMAC-SHA256 of "<timestamp>.<body>" with the configured secret', async () => {
    // Prepare
    const body = JSON.stringify({ title: 'Deployment Started', cluster: 'prod' });
    const timestamp = Math.floor(clock / 1000);

    // Act
    const response = await post('/webhook/ops', body, sign(body, timestamp));

    // Assess
    expect([response.status, await response.json()]).toEqual([200, { received: true }]);
    expect(sink.messages({ kind: 'webhook' })).toEqual([
      expect.objectContaining({ channel: 'ops', status: 200, verified: true, body: JSON.parse(body) }),
    ]);
  });

  it.each([
    [
      'another secret',
      (body: string, ts: number) => sign(body, ts, 'not-the-secret'),
      'the signature does not match the body and timestamp',
    ],
    [
      'a changed body',
      (body: string, ts: number) => sign(`${body} `, ts),
      'the signature does not match the body and timestamp',
    ],
    [
      'an old timestamp',
      (body: string, ts: number) => sign(body, ts - 301),
      'X-Autopilot-Timestamp is more than five minutes off (seconds since the epoch expected)',
    ],
    ['no headers', () => ({}), 'missing X-Autopilot-Timestamp or X-Autopilot-Signature'],
  ])('refuses (401) a signature made with %s', async (_case, headers, problem) => {
    // Prepare
    const body = JSON.stringify({ title: 'x' });

    // Act
    const response = await post('/webhook/ops', body, headers(body, Math.floor(clock / 1000)));

    // Assess
    expect(response.status).toBe(401);
    expect(sink.messages()).toEqual([expect.objectContaining({ verified: false, status: 401, problem })]);
  });

  it('accepts webhooks without a configured secret, leaving verified unset', async () => {
    // Prepare
    const body = { title: 'x' };

    // Act
    const response = await post('/webhook/unsigned', body);

    // Assess
    expect(response.status).toBe(200);
    expect(sink.messages()[0]).not.toHaveProperty('verified');
  });
});

describe('SNS, listeners, unknown paths', () => {
  it('records SNS messages as AWS Chatbot would get them and tells subscribers', async () => {
    // Prepare
    const seen: ChatMessage[] = [];
    sink.subscribe((m) => seen.push(m));
    const published = (message: string): PublishedMessage => ({
      at: new Date(clock),
      messageId: 'm-1',
      topicArn: 'arn:aws:sns:eu-west-1:123456789012:autopilot-notifications',
      topicName: 'autopilot-notifications',
      message,
      attributes: {},
    });
    const chatbot = {
      version: '1.0',
      source: 'custom',
      content: { title: 'Rolled back', description: 'prod/api' },
    };

    // Act
    sink.receiveSns(published(JSON.stringify(chatbot)));
    sink.receiveSns(published('plain text'));

    // Assess
    expect(seen).toEqual([
      expect.objectContaining({
        kind: 'sns',
        channel: 'autopilot-notifications',
        body: chatbot,
        status: 200,
      }),
      expect.objectContaining({
        kind: 'sns',
        body: 'plain text',
        problem: 'not JSON: AWS Chatbot ignores it',
      }),
    ]);
    expect(seen[0]).not.toHaveProperty('problem');
  });

  it('resolves waitFor with a message still to come', async () => {
    // Prepare
    const waiting = sink.waitFor((m) => m.kind === 'discord', 2000);

    // Act
    await post('/discord/platform', { content: 'hi' });

    // Assess
    await expect(waiting).resolves.toEqual(expect.objectContaining({ kind: 'discord', status: 204 }));
  });

  it('answers 404 for unknown paths and 405 for other methods, recording neither', async () => {
    // Prepare
    const url = `${sink.endpoint}/slack/platform`;

    // Act
    const unknown = await post('/mattermost/x', { text: 'x' });
    const get = await fetch(url);

    // Assess
    expect([unknown.status, get.status]).toEqual([404, 405]);
    expect(sink.messages()).toEqual([]);
  });
});
