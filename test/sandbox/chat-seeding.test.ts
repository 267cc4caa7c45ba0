/**
 * startSandbox with its chat services: the sink runs with the sandbox, the channels' webhook URLs,
 * bot token and signing secret are where account.ts says (read with the real SDK clients through
 * the endpoint variables the functions get), the SNS topic delivers to the sink, and the timeline
 * shows what the sink receives. No ECS account is seeded: none of this needs one.
 */
import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  CHAT_CHANNEL,
  DISCORD_WEBHOOK_PARAMETER,
  GOOGLE_CHAT_SECRET,
  NOTIFICATIONS_TOPIC_ARN,
  type Sandbox,
  SLACK_BOT_TOKEN,
  SLACK_TOKEN_PARAMETER,
  SLACK_WEBHOOK_PARAMETER,
  startSandbox,
  TEAMS_WEBHOOK_PARAMETER,
  WEBHOOK_SECRET,
  WEBHOOK_SIGNING_SECRET,
} from '../../sandbox/account';
import { followTimeline, type TimelineLine } from '../../sandbox/timeline';

let sandbox: Sandbox;
let ssm: SSMClient;
let secretsManager: SecretsManagerClient;
let sns: SNSClient;

beforeAll(async () => {
  sandbox = await startSandbox({ source: 'typescript' });
  // The runtime has set the functions' environment on process.env: these clients see what they see.
  ssm = new SSMClient({ maxAttempts: 1 });
  secretsManager = new SecretsManagerClient({ maxAttempts: 1 });
  sns = new SNSClient({ maxAttempts: 1 });
}, 30_000);

afterAll(async () => {
  ssm.destroy();
  secretsManager.destroy();
  sns.destroy();
  await sandbox.stop();
});

beforeEach(() => {
  sandbox.chat.clear();
});

const parameter = async (name: string) =>
  (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter;
const secret = async (name: string) =>
  (await secretsManager.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;

describe('startSandbox: chat channels', () => {
  it('points the functions at the local Parameter Store, Secrets Manager and SNS', () => {
    // Prepare
    const { runtime } = sandbox;

    // Act
    const endpoints = [
      process.env.AWS_ENDPOINT_URL_SSM,
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
      process.env.AWS_ENDPOINT_URL_SNS,
    ];

    // Assess
    expect(endpoints).toEqual([runtime.ssmEndpoint, runtime.secretsManagerEndpoint, runtime.snsEndpoint]);
  });

  it('seeds the webhook URLs and the bot token as SecureString parameters', async () => {
    // Prepare
    const names = [
      SLACK_WEBHOOK_PARAMETER,
      SLACK_TOKEN_PARAMETER,
      TEAMS_WEBHOOK_PARAMETER,
      DISCORD_WEBHOOK_PARAMETER,
    ];

    // Act
    const seeded = await Promise.all(names.map(parameter));

    // Assess
    expect(names).toEqual([
      '/autopilot/sandbox/slack-webhook',
      '/autopilot/sandbox/slack-token',
      '/autopilot/sandbox/teams-webhook',
      '/autopilot/sandbox/discord-webhook',
    ]);
    expect(seeded.map((p) => [p?.Type, p?.Value])).toEqual([
      ['SecureString', `${sandbox.chat.endpoint}/slack/${CHAT_CHANNEL}`],
      ['SecureString', SLACK_BOT_TOKEN],
      ['SecureString', `${sandbox.chat.endpoint}/teams/${CHAT_CHANNEL}`],
      ['SecureString', `${sandbox.chat.endpoint}/discord/${CHAT_CHANNEL}`],
    ]);
  });

  it('seeds the Google Chat URL as a string secret and the webhook as a JSON secret', async () => {
    // Prepare
    const names = [GOOGLE_CHAT_SECRET, WEBHOOK_SECRET];

    // Act
    const [googleChat, webhook] = await Promise.all(names.map(secret));

    // Assess
    expect(names).toEqual(['autopilot/sandbox/google-chat', 'autopilot/sandbox/webhook']);
    expect(googleChat).toBe(`${sandbox.chat.endpoint}/google-chat/${CHAT_CHANNEL}`);
    expect(JSON.parse(webhook ?? '')).toEqual({
      url: `${sandbox.chat.endpoint}/webhook/${CHAT_CHANNEL}`,
      signingSecret: WEBHOOK_SIGNING_SECRET,
    });
  });

  it('verifies the seeded webhook with the seeded signing secret', async () => {
    // Prepare
    const { url, signingSecret } = JSON.parse((await secret(WEBHOOK_SECRET)) ?? '') as {
      url: string;
      signingSecret: string;
    };
    const body = JSON.stringify({ title: 'Deployment Started prod/api' });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', signingSecret).update(`${timestamp}.${body}`).digest('hex');

    // Act
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-Autopilot-Timestamp': timestamp,
        'X-Autopilot-Signature': `v1=${signature}`,
      },
      body,
    });

    // Assess
    expect(response.status).toBe(200);
    expect(sandbox.chat.messages()).toEqual([
      expect.objectContaining({ kind: 'webhook', channel: CHAT_CHANNEL, verified: true }),
    ]);
  });

  it('creates the notifications topic, whose messages reach the sink and the timeline', async () => {
    // Prepare
    const lines: TimelineLine[] = [];
    const unfollow = followTimeline(sandbox, (line) => lines.push(line));
    const chatbot = {
      version: '1.0',
      source: 'custom',
      content: { title: 'Deployment Rolled Back prod/api', description: 'the circuit breaker tripped' },
    };

    // Act
    await sns.send(
      new PublishCommand({ TopicArn: NOTIFICATIONS_TOPIC_ARN, Message: JSON.stringify(chatbot) }),
    );
    unfollow();

    // Assess
    expect(NOTIFICATIONS_TOPIC_ARN).toBe('arn:aws:sns:eu-west-1:123456789012:autopilot-notifications');
    expect(sandbox.chat.messages()).toEqual([
      expect.objectContaining({
        kind: 'sns',
        channel: 'autopilot-notifications',
        body: chatbot,
        status: 200,
      }),
    ]);
    expect(lines).toEqual([
      expect.objectContaining({
        source: 'chat',
        text: 'sns autopilot-notifications: Deployment Rolled Back prod/api',
      }),
    ]);
  });
});
