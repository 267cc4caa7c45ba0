import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  InternalErrorException,
  NotFoundException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { type ChatRenderers, HttpChatSender } from '../../../shared/adapters/chat/chat-sender';
import { HttpPoster, newPosterState } from '../../../shared/adapters/chat/http-poster';
import type { ChannelConfig, SecretRef } from '../../../shared/config/notifications';
import type { NotificationMessage } from '../../../shared/domain/notify/message';
import { PermanentError, RetryableError } from '../../../shared/errors';
import type { SecretSource, ThreadRef } from '../../../shared/ports';
import { failedRequestMetadata } from '../../support/aws-errors';
import { failure } from '../../support/failure';
import { fakeTime, json, ScriptedServer, text } from './scripted-server';

const TOKEN = 'xoxb-1111-2222-s3cr3tB0tT0k3n';
const SIGNING_SECRET = 'whsec-s3cr3tS1gn1ngK3y';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:autopilot-chatbot';
const FIFO_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:autopilot-chatbot.fifo';
/** When the webhook is signed: 2026-01-12T08:00:00Z. */
const NOW_SECONDS = 1_768_204_800;

const STARTED: NotificationMessage = {
  eventType: 'Deployment Started',
  id: '7f2c8f0e-3b1a-4c55-9d0e-1a2b3c4d5e6f',
  severity: 'info',
  title: 'prod/api: deploying api:8 (payments/api:1.4.2)',
  text: 'A push of payments/api:1.4.2 is rolling out — déployé 🚀',
  facts: [{ label: 'Cluster', value: 'prod' }],
  links: [],
  cluster: 'prod',
  service: 'api',
  threadKey: 'prod/api@8',
  at: '2026-01-12T08:00:00Z',
  dryRun: false,
};

const SUCCEEDED: NotificationMessage = {
  ...STARTED,
  eventType: 'Deployment Succeeded',
  id: '0b7c1d2e-4f5a-4b6c-8d9e-0f1a2b3c4d5e',
  severity: 'success',
  title: 'prod/api: api:8 is healthy',
  text: 'The deployment completed.',
};

/** Renderers that show what they were given, and an HMAC signer like the real one. */
const renderers: ChatRenderers = {
  renderFor: (type, message) => ({ rendered: type, title: message.title }),
  renderSlack: (message, options) => ({ text: message.title, ...options }),
  renderSlackOutcome: (first, outcome) => ({ text: `${first.title} → ${outcome.title}` }),
  renderWebhook: (message) => ({ id: message.id, title: message.title, text: message.text }),
  signWebhook: (body, secret, timestampSeconds) => ({
    'x-autopilot-timestamp': String(timestampSeconds),
    'x-autopilot-signature': `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`,
  }),
  renderSnsChatbot: (message) => ({ version: '1.0', source: 'custom', content: { title: message.title } }),
};

let server: ScriptedServer;
let clock: ReturnType<typeof fakeTime>;
const sns = mockClient(SNSClient);

/** Secrets by reference: `{ ssm: '/autopilot/x' }` reads `values['/autopilot/x']`. */
function secrets(values: Record<string, string>): SecretSource {
  return {
    get: async (ref: SecretRef) => {
      const name = 'ssm' in ref ? ref.ssm : ref.secretsManager;
      const value = values[name];
      if (value === undefined) throw new PermanentError(`SSM parameter ${name} not found`);
      return value;
    },
  };
}

/** A sender on the fake clock whose secrets point at the scripted server. */
function sender(): HttpChatSender {
  return new HttpChatSender({
    secrets: secrets({
      '/autopilot/slack-webhook': server.url('/services/T0001/B0002/s3cr3tW3bh00k'),
      '/autopilot/slack-token': TOKEN,
      '/autopilot/teams': server.url('/workflows/teams?sig=s3cr3tS1g'),
      '/autopilot/discord': server.url('/api/webhooks/123/s3cr3tD1sc0rd'),
      '/autopilot/google-chat': server.url('/v1/spaces/AAAA/messages?key=k&token=s3cr3tG00gl3'),
      '/autopilot/webhook-url': server.url('/hooks/autopilot'),
      '/autopilot/webhook-secret': SIGNING_SECRET,
    }),
    poster: new HttpPoster({
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
      state: newPosterState(),
      allowLoopback: true,
    }),
    snsClient: new SNSClient({}),
    renderers,
    now: () => NOW_SECONDS * 1000 + 999,
  });
}

function slackBot(apiPath = '/api'): ChannelConfig {
  return {
    type: 'slack',
    token: { ssm: '/autopilot/slack-token' },
    channel: 'C0123456789',
    apiUrl: server.url(apiPath),
  };
}

beforeAll(async () => {
  server = await ScriptedServer.start();
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  server.reset();
  sns.reset();
  clock = fakeTime();
});

describe('HttpChatSender.send to Slack', () => {
  it('posts the Slack rendering to an incoming webhook', async () => {
    // Prepare
    server.script(text(200, 'ok'));
    const channel: ChannelConfig = { type: 'slack', webhook: { ssm: '/autopilot/slack-webhook' } };

    // Act
    const sent = await sender().send('payments-slack', channel, STARTED);

    // Assess
    expect(sent).toBeUndefined();
    expect(server.received).toHaveLength(1);
    expect(server.received[0]?.path).toBe('/services/T0001/B0002/s3cr3tW3bh00k');
    expect(JSON.parse(server.received[0]?.body ?? '')).toEqual({ text: STARTED.title });
  });

  it('posts with the bot token to chat.postMessage and returns the ts and channel id', async () => {
    // Prepare
    server.script(json(200, { ok: true, channel: 'C0123456789', ts: '1768204800.000100' }));

    // Act
    const sent = await sender().send('payments-slack', slackBot('/api/'), STARTED);

    // Assess
    expect(sent).toEqual({ ts: '1768204800.000100', channelId: 'C0123456789' });
    expect(server.received).toEqual([
      expect.objectContaining({
        path: '/api/chat.postMessage',
        headers: expect.objectContaining({ authorization: `Bearer ${TOKEN}` }),
      }),
    ]);
    expect(JSON.parse(server.received[0]?.body ?? '')).toEqual({
      text: STARTED.title,
      channel: 'C0123456789',
    });
  });

  it('fails for good on ok:false, without the token in the message', async () => {
    // Prepare
    server.script(json(200, { ok: false, error: 'channel_not_found' }));

    // Act
    const error = await failure(sender().send('payments-slack', slackBot(), STARTED));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('channel payments-slack: Slack error channel_not_found');
    expect(error.message).not.toContain(TOKEN);
    expect(server.received).toHaveLength(1);
  });

  it('retries ok:false ratelimited after the wait Slack asks for', async () => {
    // Prepare
    server.script(
      json(200, { ok: false, error: 'ratelimited' }, { 'retry-after': '4' }),
      json(200, { ok: true, channel: 'C0123456789', ts: '1768204800.000200' }),
    );

    // Act
    const sent = await sender().send('payments-slack', slackBot(), STARTED);

    // Assess
    expect(sent?.ts).toBe('1768204800.000200');
    expect(server.received).toHaveLength(2);
    expect(clock.sleeps).toEqual([4000]);
  });

  it('replies in the thread and updates the first message with the outcome', async () => {
    // Prepare
    server.script(
      json(200, { ok: true, channel: 'C0123456789', ts: '1768205100.000300' }),
      json(200, { ok: true, channel: 'C0123456789', ts: '1768204800.000100' }),
    );
    const thread: ThreadRef = { ts: '1768204800.000100', channelId: 'C0123456789', first: STARTED };

    // Act
    const sent = await sender().send('payments-slack', slackBot(), SUCCEEDED, thread);

    // Assess
    expect(sent).toEqual({ ts: '1768205100.000300', channelId: 'C0123456789' });
    expect(server.received.map((r) => [r.path, JSON.parse(r.body)])).toEqual([
      [
        '/api/chat.postMessage',
        { text: SUCCEEDED.title, channel: 'C0123456789', threadTs: '1768204800.000100' },
      ],
      [
        '/api/chat.update',
        { text: `${STARTED.title} → ${SUCCEEDED.title}`, channel: 'C0123456789', ts: '1768204800.000100' },
      ],
    ]);
  });

  it('replies in the thread without updating the first message when the reply is no outcome', async () => {
    // Prepare
    server.script(json(200, { ok: true, channel: 'C0123456789', ts: '1768205100.000300' }));
    const thread: ThreadRef = { ts: '1768204800.000100', channelId: 'C0123456789', first: STARTED };
    const progress: NotificationMessage = { ...STARTED, id: 'progress-1', title: 'prod/api: 2 of 4 tasks' };

    // Act
    await sender().send('payments-slack', slackBot(), progress, thread);

    // Assess
    expect(server.received.map((r) => r.path)).toEqual(['/api/chat.postMessage']);
  });

  it('still reports the reply when updating the first message fails', async () => {
    // Prepare
    server.script(
      json(200, { ok: true, channel: 'C0123456789', ts: '1768205100.000300' }),
      json(200, { ok: false, error: 'message_not_found' }),
    );
    const thread: ThreadRef = { ts: '1768204800.000100', channelId: 'C0123456789', first: STARTED };

    // Act
    const sent = await sender().send('payments-slack', slackBot(), SUCCEEDED, thread);

    // Assess
    expect(sent?.ts).toBe('1768205100.000300');
    expect(server.received).toHaveLength(2);
  });

  it('paces a channel at one message per second unless its rateLimit says otherwise', async () => {
    // Prepare
    server.script(...Array.from({ length: 4 }, () => text(200, 'ok')));
    const slow: ChannelConfig = { type: 'slack', webhook: { ssm: '/autopilot/slack-webhook' } };
    const fast: ChannelConfig = { ...slow, rateLimit: { perSecond: 4 } };
    const chat = sender();

    // Act
    await chat.send('slow', slow, STARTED);
    await chat.send('slow', slow, STARTED);
    await chat.send('fast', fast, STARTED);
    await chat.send('fast', fast, STARTED);

    // Assess
    expect(clock.sleeps).toEqual([1000, 250]);
  });
});

describe('HttpChatSender.send to Teams, Discord and Google Chat', () => {
  it.each([
    ['teams', '/autopilot/teams', '/workflows/teams?sig=s3cr3tS1g', 1000],
    ['discord', '/autopilot/discord', '/api/webhooks/123/s3cr3tD1sc0rd', 200],
    ['google-chat', '/autopilot/google-chat', '/v1/spaces/AAAA/messages?key=k&token=s3cr3tG00gl3', 1000],
  ] as const)('posts the %s rendering to its webhook, paced by default', async (type, ssm, path, pace) => {
    // Prepare
    server.script(json(200, {}), text(204, ''));
    const channel = { type, webhook: { ssm } } as ChannelConfig;
    const chat = sender();

    // Act
    const sent = await chat.send(`ops-${type}`, channel, STARTED);
    await chat.send(`ops-${type}`, channel, SUCCEEDED);

    // Assess
    expect(sent).toBeUndefined();
    expect(server.received.map((r) => r.path)).toEqual([path, path]);
    expect(JSON.parse(server.received[0]?.body ?? '')).toEqual({ rendered: type, title: STARTED.title });
    expect(clock.sleeps).toEqual([pace]);
  });

  it('fails for good when the webhook is gone, naming the channel and not the URL', async () => {
    // Prepare
    server.script(json(404, { message: 'Unknown Webhook', code: 10015 }));
    const channel: ChannelConfig = { type: 'discord', webhook: { ssm: '/autopilot/discord' } };

    // Act
    const error = await failure(sender().send('ops-discord', channel, STARTED));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('channel ops-discord: HTTP 404 ({"message":"Unknown Webhook","code":10015})');
  });

  it('passes on the secret source’s error', async () => {
    // Prepare
    const channel: ChannelConfig = { type: 'teams', webhook: { ssm: '/autopilot/missing' } };

    // Act
    const error = await failure(sender().send('ops-teams', channel, STARTED));

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('SSM parameter /autopilot/missing not found');
    expect(server.received).toHaveLength(0);
  });
});

describe('HttpChatSender.send to a signed webhook', () => {
  it('sends the exact bytes it signed, with a signature the receiver can verify', async () => {
    // Prepare
    server.script(text(202, ''));
    const channel: ChannelConfig = {
      type: 'webhook',
      url: { ssm: '/autopilot/webhook-url' },
      signingSecret: { secretsManager: '/autopilot/webhook-secret' },
    };

    // Act
    await sender().send('audit-hook', channel, STARTED);

    // Assess
    const received = server.received[0];
    expect(received?.path).toBe('/hooks/autopilot');
    const timestamp = String(received?.headers['x-autopilot-timestamp']);
    expect(timestamp).toBe(String(NOW_SECONDS));
    const expected = createHmac('sha256', SIGNING_SECRET).update(`${timestamp}.${received?.body}`).digest();
    const signature = Buffer.from(
      String(received?.headers['x-autopilot-signature']).replace(/^sha256=/, ''),
      'hex',
    );
    expect(timingSafeEqual(signature, expected)).toBe(true);
    expect(JSON.parse(received?.body ?? '')).toEqual({
      id: STARTED.id,
      title: STARTED.title,
      text: STARTED.text,
    });
    expect(received?.headers['content-type']).toBe('application/json; charset=utf-8');
  });
});

describe('HttpChatSender.send with the real renderers', () => {
  /** A sender without injected renderers, so it loads shared/domain/notify/render. */
  function realSender(): HttpChatSender {
    return new HttpChatSender({
      secrets: secrets({
        '/autopilot/webhook-url': server.url('/hooks/autopilot'),
        '/autopilot/webhook-secret': SIGNING_SECRET,
        '/autopilot/slack-token': TOKEN,
      }),
      poster: new HttpPoster({
        now: clock.now,
        sleep: clock.sleep,
        state: newPosterState(),
        allowLoopback: true,
      }),
      now: () => NOW_SECONDS * 1000,
    });
  }

  it('signs the generic webhook so that an HMAC of timestamp and raw body verifies', async () => {
    // Prepare
    server.script(text(204, ''));
    const channel: ChannelConfig = {
      type: 'webhook',
      url: { ssm: '/autopilot/webhook-url' },
      signingSecret: { ssm: '/autopilot/webhook-secret' },
    };

    // Act
    await realSender().send('audit-hook', channel, STARTED);

    // Assess
    const received = server.received[0];
    const timestamp = String(received?.headers['x-autopilot-timestamp']);
    const expected = createHmac('sha256', SIGNING_SECRET)
      .update(`${timestamp}.${received?.body}`)
      .digest('hex');
    expect(timestamp).toBe(String(NOW_SECONDS));
    expect(received?.headers['x-autopilot-signature']).toBe(`v1=${expected}`);
    expect(JSON.parse(received?.body ?? '')).toMatchObject({ id: STARTED.id, title: STARTED.title });
  });

  it('posts a Slack thread reply with channel and thread_ts, then chat.update with channel and ts', async () => {
    // Prepare
    server.script(
      json(200, { ok: true, channel: 'C0123456789', ts: '1768205100.000300' }),
      json(200, { ok: true }),
    );
    const thread: ThreadRef = { ts: '1768204800.000100', channelId: 'C0123456789', first: STARTED };

    // Act
    await realSender().send('payments-slack', slackBot(), SUCCEEDED, thread);

    // Assess
    const [reply, update] = server.received.map((r) => JSON.parse(r.body));
    expect(reply).toMatchObject({
      channel: 'C0123456789',
      thread_ts: '1768204800.000100',
      text: expect.any(String),
    });
    expect(update).toMatchObject({
      channel: 'C0123456789',
      ts: '1768204800.000100',
      blocks: expect.any(Array),
    });
  });
});

describe('HttpChatSender.send to SNS', () => {
  it('publishes the AWS Chatbot rendering to a standard topic', async () => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const channel: ChannelConfig = { type: 'sns', topicArn: TOPIC };

    // Act
    const sent = await sender().send('ops-chatbot', channel, STARTED);

    // Assess
    expect(sent).toBeUndefined();
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input).toEqual({ TopicArn: TOPIC, Message: expect.any(String) });
    expect(JSON.parse(input?.Message ?? '')).toEqual({
      version: '1.0',
      source: 'custom',
      content: { title: STARTED.title },
    });
  });

  it.each([
    ['the thread key', STARTED, 'prod/api@8'],
    ['autopilot without a thread key', { ...STARTED, threadKey: undefined }, 'autopilot'],
  ])('groups FIFO messages by %s and deduplicates by event id', async (_, message, group) => {
    // Prepare
    sns.on(PublishCommand).resolves({ MessageId: 'm-1', SequenceNumber: '1' });
    const channel: ChannelConfig = { type: 'sns', topicArn: FIFO_TOPIC };

    // Act
    await sender().send('ops-chatbot', channel, message);

    // Assess
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: FIFO_TOPIC,
      MessageGroupId: group,
      MessageDeduplicationId: STARTED.id,
    });
  });

  it.each([
    [
      'permanent',
      new NotFoundException({ message: 'Topic does not exist', $metadata: failedRequestMetadata(404) }),
      PermanentError,
    ],
    [
      'retryable',
      new ThrottledException({ message: 'Rate exceeded', $metadata: failedRequestMetadata(429, 5) }),
      RetryableError,
    ],
    [
      'retryable',
      new InternalErrorException({ message: 'Internal', $metadata: failedRequestMetadata(500, 5) }),
      RetryableError,
    ],
  ])('classifies %s SNS errors', async (_, rejection, expected) => {
    // Prepare
    sns.on(PublishCommand).rejects(rejection);
    const channel: ChannelConfig = { type: 'sns', topicArn: TOPIC };

    // Act
    const error = await failure(sender().send('ops-chatbot', channel, STARTED));

    // Assess
    expect(error).toBeInstanceOf(expected);
    expect(error.message).toMatch(
      new RegExp(`^channel ops-chatbot: SNS Publish failed: ${rejection.name}: `),
    );
    expect(error.cause).toBe(rejection);
  });
});
