/**
 * notify fed the autopilot samples in events/: two chat channels (a signed webhook and a Teams
 * webhook) are HTTP servers on 127.0.0.1 whose URLs are SSM SecureString parameters (SSM faked with
 * aws-sdk-client-mock), the dead-letter queue is a faked SQS, and the table (aggregation windows,
 * idempotency) is in dynalite on 127.0.0.1. The policy file is written to a temporary directory.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { verifyWebhook } from '../../shared/domain/notify/render';
import { type Received, ScriptedServer, text } from '../adapters/chat/scripted-server';
import { type AutopilotSample, autopilotSample } from '../support/autopilot-samples';
import { lambdaContext, sampleEvent, useFunctionUnderTest } from '../support/handler';

const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);

const ACCOUNT = '123456789012';
const DLQ_URL = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/ecs-autopilot-test-dlq`;
const FLUSH_RULE = `arn:aws:events:eu-west-1:${ACCOUNT}:rule/ecs-autopilot-prod-notify-flush`;
const MINUTE = 60_000;

/** The secret parts of the channel URLs: the token in the webhook path, the Teams signature. */
const WEBHOOK_TOKEN = 'c2VjcmV0LWF1ZGl0LXdlYmhvb2stdG9rZW4';
const WEBHOOK_PATH = `/hooks/autopilot/${WEBHOOK_TOKEN}`;
const TEAMS_SIG = 'dGVhbXMtd29ya2Zsb3ctc2lnbmF0dXJlLXNlY3JldA';
const TEAMS_PATH = `/workflows/3c59dc048e8850243be8079a5c74d079/triggers/manual/paths/invoke?api-version=1&sig=${TEAMS_SIG}`;
const SIGNING_SECRET = 'whsec-5d41402abc4b2a76b9719d911017c592';

const PARAMETER = {
  webhookUrl: '/autopilot/test/audit-webhook-url',
  signingSecret: '/autopilot/test/audit-webhook-signing-secret',
  teamsWebhook: '/autopilot/test/platform-teams-webhook',
};

// What went wrong goes to both channels; everything else to the audit webhook only. The channels'
// pace is raised so that the tests never wait for Teams' one message a second.
const POLICY_FILE = `version: 1
notifications:
  channels:
    audit-webhook:
      type: webhook
      url: { ssm: ${PARAMETER.webhookUrl} }
      signingSecret: { ssm: ${PARAMETER.signingSecret} }
      rateLimit: { perSecond: 100 }
    platform-teams:
      type: teams
      webhook: { ssm: ${PARAMETER.teamsWebhook} }
      rateLimit: { perSecond: 100 }
  routes:
    - events: [Deployment Rolled Back, Rollback Failed, Image Quarantined, Action Failed]
      channels: [audit-webhook, platform-teams]
  default: [audit-webhook]
  aggregate: { window: 1m, after: 2 }
`;

const fn = useFunctionUnderTest('notify');
const context = () => lambdaContext('notify');

let webhook: ScriptedServer;
let teams: ScriptedServer;
let configDir: string;
const saved = {
  config: process.env.AUTOPILOT_CONFIG,
  dlq: process.env.AUTOPILOT_DLQ_URL,
  sandbox: process.env.AUTOPILOT_SANDBOX,
};

beforeAll(async () => {
  [webhook, teams] = await Promise.all([ScriptedServer.start(), ScriptedServer.start()]);
  // A path of its own: the policy file is cached per path for the life of the process.
  configDir = mkdtempSync(join(tmpdir(), 'notify-handler-'));
  const config = join(configDir, 'autopilot.yml');
  writeFileSync(config, POLICY_FILE);
  process.env.AUTOPILOT_CONFIG = config;
  process.env.AUTOPILOT_DLQ_URL = DLQ_URL;
  // The channels are servers on loopback, as the sandbox's chat sink is: only the sandbox may reach it.
  process.env.AUTOPILOT_SANDBOX = 'true';
});

afterAll(async () => {
  for (const [name, value] of [
    ['AUTOPILOT_CONFIG', saved.config],
    ['AUTOPILOT_DLQ_URL', saved.dlq],
    ['AUTOPILOT_SANDBOX', saved.sandbox],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([webhook.close(), teams.close()]);
  rmSync(configDir, { recursive: true, force: true });
});

/** Every secret a message, a decision or a dead letter must never hold. */
const secrets = () => [
  webhook.url(WEBHOOK_PATH),
  teams.url(TEAMS_PATH),
  WEBHOOK_TOKEN,
  TEAMS_SIG,
  SIGNING_SECRET,
];

beforeEach(() => {
  webhook.reset();
  teams.reset();
  ssm.reset();
  sqs.reset();
  const parameters = {
    [PARAMETER.webhookUrl]: webhook.url(WEBHOOK_PATH),
    [PARAMETER.signingSecret]: SIGNING_SECRET,
    [PARAMETER.teamsWebhook]: teams.url(TEAMS_PATH),
  };
  for (const [name, value] of Object.entries(parameters)) {
    ssm
      .on(GetParameterCommand, { Name: name, WithDecryption: true })
      .resolves({ Parameter: { Name: name, Type: 'SecureString', Value: value, Version: 1 } });
  }
  sqs.on(SendMessageCommand).resolves({ MessageId: randomUUID() });
});

/** The bodies of the messages sent to the dead-letter queue, parsed. */
const deadLetters = () =>
  sqs.commandCalls(SendMessageCommand).map((c) => JSON.parse(c.args[0].input.MessageBody ?? '{}'));

const nowSeconds = () => Math.floor(Date.now() / 1000);
const isoSeconds = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const bodyOf = (received: Received | undefined) => JSON.parse(received?.body ?? '{}');

describe('notify handler', () => {
  it('delivers a rollback to the channels routed for it, signed for the webhook', async () => {
    // Prepare
    webhook.script(text(200, 'ok'));
    teams.script(text(202, ''));
    const event = autopilotSample('Deployment Rolled Back');

    // Act
    const result = await fn.handler(event, context());

    // Assess
    const title = 'prod/api rolled back to api:7';
    expect(result.decisions).toEqual([
      { channel: 'audit-webhook', action: 'sent', reason: 'sent', title },
      { channel: 'platform-teams', action: 'sent', reason: 'sent', title },
    ]);
    const [delivery] = webhook.received;
    expect(webhook.received).toHaveLength(1);
    expect(delivery?.path).toBe(WEBHOOK_PATH);
    expect(verifyWebhook(delivery?.body ?? '', delivery?.headers ?? {}, SIGNING_SECRET, nowSeconds())).toBe(
      true,
    );
    expect(bodyOf(delivery)).toMatchObject({
      version: '1',
      id: event.id,
      type: 'Deployment Rolled Back',
      title,
      threadKey: `prod/api@${event.detail.fromTaskDefinition}`,
      at: event.time,
    });
    expect(teams.received).toHaveLength(1);
    expect(bodyOf(teams.received[0])).toMatchObject({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive' }],
    });
  });

  it('sends once when EventBridge delivers the same event twice', async () => {
    // Prepare
    webhook.script(text(200, 'ok'), text(200, 'ok'));
    teams.script(text(202, ''), text(202, ''));
    const event = autopilotSample('Deployment Rolled Back');

    // Act
    const first = await fn.handler(event, context());
    const again = await fn.handler(structuredClone(event), context());

    // Assess
    expect(again).toEqual({ ...first, replayed: true });
    expect(webhook.received).toHaveLength(1);
    expect(teams.received).toHaveLength(1);
  });

  it('sends once when a lost PutEvents answer put the same announcement on the bus twice, under two ids', async () => {
    // Prepare
    webhook.script(text(200, 'ok'), text(200, 'ok'));
    teams.script(text(202, ''), text(202, ''));
    const event = autopilotSample('Deployment Rolled Back');
    const copy = { ...structuredClone(event), id: randomUUID() };

    // Act
    const first = await fn.handler(event, context());
    const again = await fn.handler(copy, context());

    // Assess
    expect(again).toEqual({ ...first, replayed: true });
    expect(webhook.received).toHaveLength(1);
    expect(teams.received).toHaveLength(1);
  });

  it('sends both when two announcements differ only in their cause', async () => {
    // Prepare
    webhook.script(text(200, 'ok'), text(200, 'ok'));
    teams.script(text(202, ''), text(202, ''));
    const event = autopilotSample('Deployment Rolled Back');
    const later = structuredClone(event);
    later.id = randomUUID();
    later.detail.triggeredBy = randomUUID();

    // Act
    await fn.handler(event, context());
    const second = await fn.handler(later, context());

    // Assess
    expect(second.replayed).toBeUndefined();
    expect(webhook.received).toHaveLength(2);
    expect(teams.received).toHaveLength(2);
  });

  it('parks the message of a channel that keeps answering 500, and still delivers to the other', async () => {
    // Prepare
    webhook.script(text(200, 'ok'));
    // Retry-After: 0 lets the poster retry at once instead of backing off for seconds.
    const failure = text(500, 'Internal Server Error', { 'retry-after': '0' });
    teams.script(failure, failure, failure, failure);
    const event = autopilotSample('Deployment Rolled Back');

    // Act
    const result = await fn.handler(event, context());

    // Assess
    expect(result.decisions).toEqual([
      expect.objectContaining({ channel: 'audit-webhook', action: 'sent' }),
      {
        channel: 'platform-teams',
        action: 'parked',
        reason: 'not delivered: channel platform-teams: HTTP 500 after 4 attempts',
        title: 'prod/api rolled back to api:7',
      },
    ]);
    expect(webhook.received).toHaveLength(1);
    expect(teams.received).toHaveLength(4);
    expect(deadLetters()).toEqual([
      {
        rejectedBy: 'notify-delivery',
        reason: expect.stringMatching(/channel platform-teams: HTTP 500 after 4 attempts$/),
        event: {
          channel: 'platform-teams',
          error: 'channel platform-teams: HTTP 500 after 4 attempts',
          message: expect.objectContaining({ id: event.id, title: 'prod/api rolled back to api:7' }),
        },
      },
    ]);
    const sqsRequest = JSON.stringify(sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input));
    for (const secret of secrets()) {
      expect(sqsRequest).not.toContain(secret);
      expect(JSON.stringify(result)).not.toContain(secret);
    }
  });

  it('holds a storm back past `aggregate.after` and sends one summary once its window has ended', async () => {
    // Prepare
    webhook.script(text(200, 'ok'), text(200, 'ok'), text(200, 'ok'));
    // The handler runs on the real clock: the storm happened in a window that has already ended.
    const windowStart = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * MINUTE;
    const storm = ['api', 'web', 'worker', 'billing'].map((service, i) => {
      const event: AutopilotSample<'Deployment Started'> = autopilotSample('Deployment Started');
      event.id = randomUUID();
      event.time = isoSeconds(windowStart + (i + 1) * 5_000);
      event.detail.service = service;
      event.detail.serviceArn = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/${service}`;
      return event;
    });
    const schedule = sampleEvent<{ id: string; time: string; resources: string[] }>('scheduled-reconcile');
    schedule.id = randomUUID();
    schedule.time = isoSeconds(Math.floor(Date.now() / MINUTE) * MINUTE);
    schedule.resources = [FLUSH_RULE];

    // Act
    const notified = [];
    for (const event of storm) notified.push(await fn.handler(event, context()));
    const flushed = await fn.handler(schedule, context());
    const flushedAgain = await fn.handler({ ...schedule, id: randomUUID() }, context());

    // Assess
    const windowEnd = new Date(windowStart + MINUTE).toISOString();
    expect(notified.map((r) => r.decisions.map((d: { action: string }) => d.action))).toEqual([
      ['sent'],
      ['sent'],
      ['held'],
      ['held'],
    ]);
    expect(notified[2].decisions[0].reason).toBe(
      `similar event 3 in the window (more than 2): summarised after ${windowEnd}`,
    );
    expect(flushed.decisions).toEqual([
      {
        channel: 'audit-webhook',
        action: 'sent',
        reason: 'sent',
        title: '2 more "Deployment Started" events in prod within 1m',
      },
    ]);
    expect(flushedAgain.decisions).toEqual([]);
    expect(webhook.received).toHaveLength(3);
    expect(teams.received).toHaveLength(0);
    const summary = webhook.received[2];
    expect(verifyWebhook(summary?.body ?? '', summary?.headers ?? {}, SIGNING_SECRET, nowSeconds())).toBe(
      true,
    );
    expect(bodyOf(summary)).toMatchObject({
      type: 'Deployment Started',
      cluster: 'prod',
      aggregate: {
        count: 2,
        examples: [
          'prod/worker deploying api:8 (team/api:main)',
          'prod/billing deploying api:8 (team/api:main)',
        ],
        windowStart: new Date(windowStart).toISOString(),
        windowEnd,
      },
    });
  });

  it('rejects an autopilot event whose detail is not an object, and sends nothing', async () => {
    // Prepare
    const event = { ...autopilotSample('Deployment Rolled Back'), detail: 'prod/api rolled back to api:7' };

    // Act
    const result = await fn.handler(event, context());

    // Assess
    expect(result).toMatchObject({
      status: 'rejected',
      reason: expect.stringContaining('event does not match the expected schema'),
    });
    expect(webhook.received).toHaveLength(0);
    expect(teams.received).toHaveLength(0);
    expect(deadLetters()).toEqual([
      expect.objectContaining({ rejectedBy: 'notify', event: expect.objectContaining({ id: event.id }) }),
    ]);
  });
});
