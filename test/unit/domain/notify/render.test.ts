import { describeEvent, summarise } from '../../../../shared/domain/notify/describe-event';
import type { NotificationMessage } from '../../../../shared/domain/notify/message';
import {
  DISCORD_LIMITS,
  type RenderTarget,
  renderDiscord,
  renderFor,
  renderGoogleChat,
  renderSlack,
  renderSlackOutcome,
  renderSnsChatbot,
  renderTeams,
  renderWebhook,
  SLACK_LIMITS,
  type SlackBlock,
  signWebhook,
  verifyWebhook,
} from '../../../../shared/domain/notify/render';
import type { AutopilotDetailType } from '../../../../shared/events/autopilot-events';
import {
  AUTOPILOT_DETAIL_TYPES,
  autopilotDetail,
  describableSample,
} from '../../../support/autopilot-samples';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const taskDefinition = (revision: number) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:${revision}`;

/** Every channel type; the mapped type makes a new channel type fail to compile here. */
const CHANNELS: { [T in RenderTarget]: (message: NotificationMessage) => unknown } = {
  slack: (m) => renderSlack(m),
  teams: renderTeams,
  discord: renderDiscord,
  'google-chat': renderGoogleChat,
  webhook: renderWebhook,
  sns: renderSnsChatbot,
};

const TYPES = AUTOPILOT_DETAIL_TYPES;
const TARGETS = Object.keys(CHANNELS) as RenderTarget[];

/** The message of the sample of `type` in events/autopilot-*.json. */
function messageOf(type: AutopilotDetailType): NotificationMessage {
  return describeEvent(describableSample(type));
}

/** A message with everything a renderer has to cope with. */
function hostileMessage(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    eventType: 'Deployment Started',
    id: 'event-hostile',
    severity: 'error',
    title: 'prod/<script>&',
    text: 'text <script>alert(1)</script> & more',
    reason: 'reason <b>&</b>',
    facts: [{ label: 'Cluster', value: 'v <script>&' }],
    links: [{ label: 'ECS <service>', url: 'https://example.com/a?b=1' }],
    cluster: 'prod',
    service: 'api',
    at: '2026-11-23T10:00:05Z',
    dryRun: false,
    ...overrides,
  };
}

const manyFacts = (count: number, length: number) =>
  Array.from({ length: count }, (_, i) => ({ label: `Fact ${i}`, value: 'v'.repeat(length) }));

/** The texts of every mrkdwn object in Slack blocks. */
function slackTexts(blocks: SlackBlock[]): string[] {
  return blocks.flatMap((b) => {
    if (b.type === 'header') return [b.text.text];
    if (b.type === 'context') return b.elements.map((e) => e.text);
    return 'fields' in b ? b.fields.map((f) => f.text) : [b.text.text];
  });
}

describe('payloads', () => {
  const cases = TYPES.flatMap((type) => TARGETS.map((target) => [type, target] as const));

  it.each(cases)('renders %s for %s as the snapshot shows', (type, target) => {
    // Prepare
    const message = messageOf(type);

    // Act
    const body = renderFor(target, message);

    // Assess
    expect(body).toMatchSnapshot();
  });

  it.each(TARGETS)('renders a storm summary for %s as the snapshot shows', (target) => {
    // Prepare
    const summary = summarise(
      {
        channel: 'ops',
        groupKey: 'Deployment Started|prod|info',
        windowStart: '2026-11-23T10:00:00.000Z',
        windowEnd: '2026-11-23T10:01:00.000Z',
        count: 12,
        examples: [
          'prod/svc-2 deploying svc-2:2 (team/svc-2:main)',
          'prod/svc-3 deploying svc-3:2 (team/svc-3:main)',
        ],
      },
      { eventType: 'Deployment Started', severity: 'info', cluster: 'prod' },
    );

    // Act
    const body = renderFor(target, summary);

    // Assess
    expect(body).toMatchSnapshot();
  });

  it.each(TARGETS)('renderFor(%s) is that channel renderer', (target) => {
    // Prepare
    const message = messageOf('Deployment Rolled Back');

    // Act
    const body = renderFor(target, message);

    // Assess
    expect(body).toEqual(CHANNELS[target](message));
  });

  it.each(TARGETS)('marks a dry run for %s', (target) => {
    // Prepare
    const message = describeEvent(
      describableSample('Deployment Started', { ...autopilotDetail('Deployment Started'), dryRun: true }),
    );

    // Act
    const body = JSON.stringify(renderFor(target, message));

    // Assess: Discord's title is escaped markdown (\\[dry run\\] in JSON), shown as [dry run].
    const shown = target === 'discord' ? body.replaceAll('\\\\', '') : body;
    expect(shown).toContain('[dry run] prod/api deploying api:8');
    expect(body).toContain('Dry run: autopilot changed nothing.');
  });
});

describe('renderSlack', () => {
  it('escapes &, < and > in mrkdwn, but not in the plain-text header', () => {
    // Prepare
    const message = hostileMessage();

    // Act
    const body = renderSlack(message);

    // Assess
    const [header, ...rest] = slackTexts(body.blocks);
    expect(header).toBe('❌ prod/<script>&');
    expect(rest).toEqual([
      'text &lt;script&gt;alert(1)&lt;/script&gt; &amp; more',
      '*Cluster*\nv &lt;script&gt;&amp;',
      '*Why:* reason &lt;b&gt;&amp;&lt;/b&gt;',
      '<https://example.com/a?b=1|ECS &lt;service&gt;>',
    ]);
    expect(body.text).toBe(
      '❌ prod/&lt;script&gt;&amp;\ntext &lt;script&gt;alert(1)&lt;/script&gt; &amp; more',
    );
  });

  it('keeps the header, fields and section text within Slack limits', () => {
    // Prepare
    const message = hostileMessage({
      title: 'T'.repeat(400),
      text: '&'.repeat(5000),
      facts: manyFacts(23, 2500),
    });

    // Act
    const body = renderSlack(message);

    // Assess
    const header = body.blocks[0];
    expect(header?.type === 'header' && header.text.text).toHaveLength(SLACK_LIMITS.headerText);
    expect(header?.type === 'header' && header.text.text.endsWith('…')).toBe(true);
    const sections = body.blocks.filter((b) => b.type === 'section');
    const fieldSections = sections.flatMap((b) => ('fields' in b ? [b.fields] : []));
    expect(fieldSections.map((f) => f.length)).toEqual([10, 10, 3]);
    for (const fields of fieldSections)
      for (const field of fields) expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
    const text = sections.find((b) => 'text' in b);
    expect(text && 'text' in text && text.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    // Cut between entities, never inside one.
    expect(text && 'text' in text && text.text.text).toMatch(/^(&amp;)+…$/);
    expect(body.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  });

  it('addresses chat.postMessage to a channel and thread when asked, and never unfurls', () => {
    // Prepare
    const message = messageOf('Deployment Succeeded');

    // Act
    const threaded = renderSlack(message, { channel: 'C0123456789', threadTs: '1700000000.000100' });
    const webhook = renderSlack(message);

    // Assess
    expect(threaded).toMatchObject({
      channel: 'C0123456789',
      thread_ts: '1700000000.000100',
      unfurl_links: false,
    });
    expect(webhook).not.toHaveProperty('channel');
    expect(webhook).not.toHaveProperty('thread_ts');
    expect(webhook.unfurl_links).toBe(false);
  });

  it('links the console in a context block', () => {
    // Prepare
    const message = messageOf('Deployment Rolled Back');

    // Act
    const body = renderSlack(message);

    // Assess
    const last = body.blocks.at(-1);
    expect(last).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: [
            `<https://${REGION}.console.aws.amazon.com/ecs/v2/clusters/prod/services/api/health?region=${REGION}|ECS service>`,
            `<https://${REGION}.console.aws.amazon.com/ecs/v2/task-definitions/api/8/containers?region=${REGION}|Task definition api:8>`,
            `<https://${REGION}.console.aws.amazon.com/ecs/v2/task-definitions/api/7/containers?region=${REGION}|Task definition api:7>`,
          ].join('  ·  '),
        },
      ],
    });
  });
});

describe('renderSlackOutcome', () => {
  it.each<[AutopilotDetailType, string]>([
    ['Deployment Succeeded', '✅'],
    ['Deployment Rolled Back', '↩️'],
    ['Rollback Failed', '❌'],
  ])('marks the first message of the thread with the outcome of %s (%s)', (type, emoji) => {
    // Prepare
    const first = messageOf('Deployment Started');
    const outcome = messageOf(type);

    // Act
    const update = renderSlackOutcome(first, outcome);

    // Assess
    expect(update.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: `${emoji} prod/api deploying api:8 (team/api:main)`, emoji: true },
    });
    expect(update.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: `*Outcome:* ${outcome.title}` },
    });
    expect(update.text).toBe(`${emoji} prod/api deploying api:8 (team/api:main): ${outcome.title}`);
    expect(update).not.toHaveProperty('thread_ts');
  });
});

describe('renderTeams', () => {
  it.each([
    ['info', 'default'],
    ['success', 'good'],
    ['warning', 'warning'],
    ['error', 'attention'],
  ] as const)('colours the title of a %s message %s', (severity, color) => {
    // Prepare
    const message = hostileMessage({ severity });

    // Act
    const card = renderTeams(message).attachments[0].content;

    // Assess
    expect(card.body[0]).toMatchObject({
      type: 'RichTextBlock',
      inlines: [{ type: 'TextRun', weight: 'Bolder', color }],
    });
  });

  it('opens each console link with an Action.OpenUrl', () => {
    // Prepare
    const message = messageOf('Deployment Started');

    // Act
    const card = renderTeams(message).attachments[0].content;

    // Assess
    expect(card.actions).toEqual(
      message.links.map((l) => ({ type: 'Action.OpenUrl', title: l.label, url: l.url })),
    );
  });
});

describe('renderDiscord', () => {
  it('truncates to the embed limits with …', () => {
    // Prepare
    const message = hostileMessage({
      title: 'T'.repeat(400),
      text: 'x'.repeat(5000),
      facts: manyFacts(30, 1500),
    });

    // Act
    const embed = renderDiscord(message).embeds[0];
    const description = embed.description ?? '';

    // Assess
    expect(embed.title).toHaveLength(DISCORD_LIMITS.title);
    expect(embed.title.endsWith('…')).toBe(true);
    expect(description.length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
    expect(description.endsWith('…')).toBe(true);
    expect(embed.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const field of embed.fields) {
      expect(field.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
      expect(field.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
    }
    const total =
      embed.title.length +
      description.length +
      embed.footer.text.length +
      embed.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
    expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.total);
  });

  it('keeps at most 25 fields when the facts are short', () => {
    // Prepare
    const message = hostileMessage({ facts: manyFacts(30, 5) });

    // Act
    const embed = renderDiscord(message).embeds[0];

    // Assess
    expect(embed.fields).toHaveLength(DISCORD_LIMITS.fields);
    expect(embed.fields[0]).toEqual({ name: 'Fact 0', value: 'vvvvv', inline: true });
  });

  it('pings nobody, escapes markdown and links the title to the first console link', () => {
    // Prepare
    const message = hostileMessage({
      text: '@everyone *bold* _it_',
      facts: [{ label: 'Long', value: 'a\nb' }],
    });

    // Act
    const body = renderDiscord(message);

    // Assess
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.embeds[0].description).toMatch(/^@everyone \\\*bold\\\* \\_it\\_/);
    expect(body.embeds[0].url).toBe('https://example.com/a?b=1');
    expect(body.embeds[0].fields).toEqual([{ name: 'Long', value: 'a\nb', inline: false }]);
  });
});

describe('renderGoogleChat', () => {
  it('escapes HTML in card text and opens links with buttons', () => {
    // Prepare
    const message = hostileMessage();

    // Act
    const body = renderGoogleChat(message);

    // Assess
    const [details, links] = body.cardsV2[0].card.sections;
    expect(details?.widgets).toEqual([
      { textParagraph: { text: 'text &lt;script&gt;alert(1)&lt;/script&gt; &amp; more' } },
      { decoratedText: { topLabel: 'Cluster', text: 'v &lt;script&gt;&amp;', wrapText: true } },
      { textParagraph: { text: '<b>Why:</b> reason &lt;b&gt;&amp;&lt;/b&gt;' } },
    ]);
    expect(links?.widgets).toEqual([
      {
        buttonList: {
          buttons: [{ text: 'ECS <service>', onClick: { openLink: { url: 'https://example.com/a?b=1' } } }],
        },
      },
    ]);
    expect(body.fallbackText).toBe('❌ prod/<script>&\ntext <script>alert(1)</script> & more');
  });
});

describe('renderWebhook', () => {
  it('gives every key of version 1, with null for what a message does not have', () => {
    // Prepare
    const message = messageOf('Deployment Scheduled');

    // Act
    const body = renderWebhook(message);

    // Assess
    expect(Object.keys(body)).toEqual([
      'version',
      'id',
      'type',
      'severity',
      'title',
      'text',
      'reason',
      'cluster',
      'service',
      'facts',
      'links',
      'threadKey',
      'at',
      'dryRun',
      'aggregate',
    ]);
    expect(body).toMatchObject({
      version: '1',
      type: 'Deployment Scheduled',
      threadKey: null,
      aggregate: null,
    });
  });
});

describe('signWebhook and verifyWebhook', () => {
  const SECRET = 'whsec-test-secret';
  const NOW = 1_795_000_000;
  const BODY = JSON.stringify({ version: '1', id: 'event-1' });

  it('signs "<timestamp>.<body>" with HMAC-SHA256 in v1= form', () => {
    // Prepare
    const body = BODY;

    // Act
    const headers = signWebhook(body, SECRET, NOW);

    // Assess
    expect(headers['X-Autopilot-Timestamp']).toBe(String(NOW));
    expect(headers['X-Autopilot-Signature']).toMatch(/^v1=[0-9a-f]{64}$/);
  });

  it('verifies what it signed, whatever the case of the header names', () => {
    // Prepare
    const headers = signWebhook(BODY, SECRET, NOW);
    const lowerCased = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

    // Act
    const ok = verifyWebhook(BODY, headers, SECRET, NOW + 10);
    const okLower = verifyWebhook(BODY, lowerCased, SECRET, NOW);

    // Assess
    expect(ok).toBe(true);
    expect(okLower).toBe(true);
  });

  it('accepts one of several signatures (secret rotation)', () => {
    // Prepare
    const signed = signWebhook(BODY, SECRET, NOW);
    const headers = {
      ...signed,
      'X-Autopilot-Signature': `v1=${'0'.repeat(64)}, ${signed['X-Autopilot-Signature']}`,
    };

    // Act
    const ok = verifyWebhook(BODY, headers, SECRET, NOW);

    // Assess
    expect(ok).toBe(true);
  });

  it.each<[string, () => boolean]>([
    ['a tampered body', () => verifyWebhook(`${BODY} `, signWebhook(BODY, SECRET, NOW), SECRET, NOW)],
    ['another secret', () => verifyWebhook(BODY, signWebhook(BODY, 'other', NOW), SECRET, NOW)],
    ['a stale timestamp', () => verifyWebhook(BODY, signWebhook(BODY, SECRET, NOW - 301), SECRET, NOW)],
    [
      'a timestamp from the future',
      () => verifyWebhook(BODY, signWebhook(BODY, SECRET, NOW + 301), SECRET, NOW),
    ],
    [
      'a replayed signature with a new timestamp',
      () =>
        verifyWebhook(
          BODY,
          { ...signWebhook(BODY, SECRET, NOW - 3600), 'X-Autopilot-Timestamp': String(NOW) },
          SECRET,
          NOW,
        ),
    ],
    ['no headers', () => verifyWebhook(BODY, {}, SECRET, NOW)],
    [
      'a malformed signature',
      () =>
        verifyWebhook(
          BODY,
          { 'X-Autopilot-Timestamp': String(NOW), 'X-Autopilot-Signature': 'v1=zz' },
          SECRET,
          NOW,
        ),
    ],
  ])('rejects %s', (_, verify) => {
    // Prepare
    const check = verify;

    // Act
    const ok = check();

    // Assess
    expect(ok).toBe(false);
  });

  /** The right signature, then changed so that Buffer.from(hex) would still decode it to the same bytes. */
  const malformed: [string, (signature: string) => string][] = [
    ['trailing garbage', (sig) => `${sig}zz`],
    ['a trailing odd hex digit', (sig) => `${sig}0`],
    ['upper-case hex', (sig) => sig.toUpperCase()],
    ['inner spaces', (sig) => `${sig.slice(0, 10)} ${sig.slice(10)}`],
  ];
  it.each(malformed)('rejects the right signature with %s', (_, spoil) => {
    // Prepare
    const right = (signWebhook(BODY, SECRET, NOW)['X-Autopilot-Signature'] ?? '').slice('v1='.length);
    const headers = { 'X-Autopilot-Timestamp': String(NOW), 'X-Autopilot-Signature': `v1=${spoil(right)}` };

    // Act
    const ok = verifyWebhook(BODY, headers, SECRET, NOW);

    // Assess
    expect(ok).toBe(false);
  });

  it('honours a custom tolerance', () => {
    // Prepare
    const headers = signWebhook(BODY, SECRET, NOW - 20);

    // Act
    const strict = verifyWebhook(BODY, headers, SECRET, NOW, 10);
    const lenient = verifyWebhook(BODY, headers, SECRET, NOW, 30);

    // Assess
    expect(strict).toBe(false);
    expect(lenient).toBe(true);
  });
});

describe('renderSnsChatbot', () => {
  it('follows the custom notification schema and threads a deployment', () => {
    // Prepare
    const message = messageOf('Deployment Started');

    // Act
    const body = renderSnsChatbot(message);

    // Assess
    expect(body).toMatchObject({
      version: '1.0',
      source: 'custom',
      id: message.id,
      content: { textType: 'client-markdown', title: 'ℹ️ prod/api deploying api:8 (team/api:main)' },
      metadata: {
        threadId: `prod/api@${taskDefinition(8)}`,
        summary: 'prod/api deploying api:8 (team/api:main)',
        eventType: 'Deployment Started',
        relatedResources: [taskDefinition(8)],
      },
    });
    expect(body.content.nextSteps).toHaveLength(message.links.length);
    expect(Object.values(body.metadata.additionalContext).every((v) => typeof v === 'string')).toBe(true);
  });

  it('has no thread id for an event outside a deployment', () => {
    // Prepare
    const message = messageOf('Deployment Scheduled');

    // Act
    const body = renderSnsChatbot(message);

    // Assess
    expect(body.metadata).not.toHaveProperty('threadId');
  });
});
