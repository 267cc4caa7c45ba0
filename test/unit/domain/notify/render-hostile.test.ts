/**
 * Text autopilot does not control (reasons, names, alarm texts) in every chat payload: escaped where
 * the product reads markup, so it shows as written and never links or pings; cut so the payload stays
 * within the product's limits; and never an empty text where the product requires one.
 */
import fc from 'fast-check';
import { chatTitle } from '../../../../sandbox/timeline';
import type { NotificationMessage } from '../../../../shared/domain/notify/message';
import {
  DISCORD_LIMITS,
  type GoogleChatMessage,
  renderDiscord,
  renderGoogleChat,
  renderSlack,
  renderSnsChatbot,
  renderTeams,
  SLACK_LIMITS,
  type SlackMessage,
  type TeamsMessage,
} from '../../../../shared/domain/notify/render';
import { CHATBOT_LIMITS } from '../../../../shared/domain/notify/render/sns-chatbot';
import { cleanText, jsonBytes } from '../../../../shared/domain/notify/render/text';

const LINK = '[click here](https://evil.example/login)';

function message(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    eventType: 'Deployment Rolled Back',
    id: 'event-1',
    severity: 'warning',
    title: 'prod/api rolled back',
    text: 'rolled back to api:7',
    reason: 'alarm api-5xx',
    facts: [{ label: 'Cluster', value: 'prod' }],
    links: [{ label: 'ECS service', url: 'https://console.aws.amazon.com/ecs/v2/clusters/prod' }],
    cluster: 'prod',
    service: 'api',
    at: '2026-11-23T10:00:05Z',
    dryRun: false,
    ...overrides,
  };
}

/** Every string in a payload, with its path. */
function strings(value: unknown, path = '$'): Array<[string, string]> {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => strings(v, `${path}.${k}`));
  }
  return [];
}

const teamsCard = (m: NotificationMessage) => renderTeams(m).attachments[0].content;

describe('text from events is shown as written, never as a link', () => {
  it('Teams: title, text and reason are text runs (no markdown), fact titles and values are escaped', () => {
    // Prepare
    const hostile = message({
      title: `deploy ${LINK}`,
      text: `text ${LINK}`,
      reason: `reason ${LINK}`,
      facts: [{ label: `**label** ${LINK}`, value: `- ${LINK}` }],
    });

    // Act
    const card = teamsCard(hostile);

    // Assess
    expect(card.body.map((e) => e.type)).toEqual([
      'RichTextBlock',
      'RichTextBlock',
      'RichTextBlock',
      'FactSet',
    ]);
    expect(card.body[2]).toMatchObject({ inlines: [{ type: 'TextRun', text: `Why: reason ${LINK}` }] });
    expect(card.body[3]).toEqual({
      type: 'FactSet',
      facts: [
        {
          title: '\\*\\*label\\*\\* \\[click here\\](https://evil.example/login)',
          value: '\\- \\[click here\\](https://evil.example/login)',
        },
      ],
    });
  });

  it('Discord: the title and the field names are escaped like the description and values', () => {
    // Prepare
    const hostile = message({ title: `deploy ${LINK}`, facts: [{ label: `**${LINK}**`, value: LINK }] });

    // Act
    const embed = renderDiscord(hostile).embeds[0];

    // Assess
    expect(embed.title).toBe('⚠️ deploy \\[click here\\](https://evil.example/login)');
    expect(embed.fields).toEqual([
      {
        name: '\\*\\*\\[click here\\](https://evil.example/login)\\*\\*',
        value: '\\[click here\\](https://evil.example/login)',
        inline: false,
      },
    ]);
  });

  it('Google Chat: the header, labels and buttons are one line each; card text is escaped HTML', () => {
    // Prepare
    const hostile = message({
      eventType: 'Deployment\nRolled Back',
      title: 'line one\nline two',
      cluster: 'prod\nx',
      facts: [{ label: 'Clu\nster', value: '<a href="https://evil.example">x</a>' }],
      links: [{ label: 'open\nme', url: 'https://console.aws.amazon.com/' }],
    });

    // Act
    const card = renderGoogleChat(hostile).cardsV2[0].card;

    // Assess
    expect(card.header).toEqual({
      title: '⚠️ line one line two',
      subtitle: 'Warning · Deployment Rolled Back · prod x/api',
    });
    expect(card.sections[0]?.widgets[1]).toEqual({
      decoratedText: {
        topLabel: 'Clu ster',
        text: '&lt;a href=&quot;https://evil.example&quot;&gt;x&lt;/a&gt;',
        wrapText: true,
      },
    });
    expect(card.sections[1]?.widgets[0]).toMatchObject({ buttonList: { buttons: [{ text: 'open me' }] } });
  });

  it('AWS Chatbot: links and mentions are defused in the title, description and next steps', () => {
    // Prepare
    const hostile = message({ title: `<!channel> ${LINK}`, reason: `<https://evil.example|ok> ${LINK}` });

    // Act
    const { content } = renderSnsChatbot(hostile);

    // Assess
    expect(content.title).toBe('⚠️ <\u200B!channel> [click here]\u200B(https://evil.example/login)');
    expect(content.description).toContain(
      'Why: <\u200Bhttps://evil.example|ok> [click here]\u200B(https://evil.example/login)',
    );
    expect(content.description).not.toMatch(/\]\(|<[^\u200B]/);
  });

  it('Slack: <!channel> and <url|label> in a reason are escaped, as before', () => {
    // Prepare
    const hostile = message({ reason: '<!channel> <https://evil.example|ok>' });

    // Act
    const body = JSON.stringify(renderSlack(hostile));

    // Assess
    expect(body).toContain('&lt;!channel&gt; &lt;https://evil.example|ok&gt;');
    expect(body).not.toContain('<!channel>');
  });

  it('removes control characters and lone surrogates, which chat APIs refuse', () => {
    // Prepare
    const text = 'a\u0000b\u0007c\r\nd\u009fe\ud800f';

    // Act
    const cleaned = cleanText(text);

    // Assess
    expect(cleaned).toBe('abc\nde\ufffdf');
  });
});

describe('a long reason is cut to each product`s limit', () => {
  const huge = message({
    title: 'T'.repeat(10_000),
    text: '€'.repeat(100_000),
    reason: '"\\'.repeat(100_000),
    facts: Array.from({ length: 200 }, (_, i) => ({ label: `Fact ${i}`, value: '<&>'.repeat(5000) })),
  });

  it('Teams stays under 28 KB and keeps its title', () => {
    // Prepare
    const input = huge;

    // Act
    const body = renderTeams(input);

    // Assess
    expect(jsonBytes(body)).toBeLessThanOrEqual(27_000);
    expect(body.attachments[0].content.body[0]).toMatchObject({
      inlines: [{ text: expect.stringMatching(/^⚠️ T+…$/) }],
    });
  });

  it('Google Chat stays under 32,000 bytes', () => {
    // Prepare
    const input = huge;

    // Act
    const body = renderGoogleChat(input);

    // Assess
    expect(jsonBytes(body)).toBeLessThanOrEqual(30_000);
    expect(body.cardsV2[0].card.header.title.length).toBeLessThanOrEqual(200);
  });

  it('AWS Chatbot keeps the title to 250 and the description to 8,000 characters', () => {
    // Prepare
    const input = message({ title: '<'.repeat(1000), reason: `${LINK} `.repeat(2000) });

    // Act
    const { content } = renderSnsChatbot(input);

    // Assess
    expect(content.title.length).toBeLessThanOrEqual(CHATBOT_LIMITS.title);
    expect(content.description.length).toBeLessThanOrEqual(CHATBOT_LIMITS.description);
    expect(content.description.endsWith('…')).toBe(true);
  });
});

describe('every payload, whatever the message', () => {
  const text = (max: number) => fc.string({ unit: 'binary', maxLength: max });
  const arbitraryMessage: fc.Arbitrary<NotificationMessage> = fc.record({
    eventType: text(200),
    id: fc.string({ minLength: 1, maxLength: 64 }),
    severity: fc.constantFrom('info', 'success', 'warning', 'error'),
    title: text(2000),
    text: fc.oneof(text(100), text(60_000)),
    reason: fc.option(fc.oneof(text(100), text(60_000)), { nil: undefined }),
    facts: fc.array(fc.record({ label: text(300), value: fc.oneof(text(50), text(5000)) }), {
      maxLength: 40,
    }),
    links: fc.array(fc.record({ label: text(100), url: fc.webUrl() }), { maxLength: 8 }),
    cluster: fc.option(text(300), { nil: undefined }),
    service: fc.option(text(300), { nil: undefined }),
    at: fc.constant('2026-11-23T10:00:05Z'),
    dryRun: fc.boolean(),
  });

  /** The empty required texts of a payload (none is allowed). */
  function emptyRequired(body: unknown, required: RegExp): string[] {
    return strings(body)
      .filter(([path, value]) => required.test(path) && value.trim() === '')
      .map(([path]) => path);
  }

  it('is within the limits, with no empty required text, for every channel', () => {
    fc.assert(
      fc.property(arbitraryMessage, (m) => {
        // Act
        const slack: SlackMessage = renderSlack(m);
        const teams: TeamsMessage = renderTeams(m);
        const discord = renderDiscord(m);
        const google: GoogleChatMessage = renderGoogleChat(m);
        const chatbot = renderSnsChatbot(m);

        // Assess
        expect(slack.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocks);
        expect(emptyRequired(slack, /\.text$/)).toEqual([]);
        expect(jsonBytes(teams)).toBeLessThanOrEqual(27_000);
        expect(emptyRequired(teams, /\.(text|title|value)$/)).toEqual([]);
        const embed = discord.embeds[0];
        const total =
          embed.title.length +
          (embed.description ?? '').length +
          embed.footer.text.length +
          embed.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
        expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.total);
        expect(emptyRequired(discord, /\.(title|description|name|value)$/)).toEqual([]);
        expect(jsonBytes(google)).toBeLessThanOrEqual(30_000);
        expect(emptyRequired(google, /\.(textParagraph\.text|decoratedText\.text|title)$/)).toEqual([]);
        expect(google.cardsV2[0].card.sections[0]?.widgets.length).toBeGreaterThan(0);
        expect(chatbot.content.title.length).toBeLessThanOrEqual(CHATBOT_LIMITS.title);
        expect(chatbot.content.description.length).toBeLessThanOrEqual(CHATBOT_LIMITS.description);
        expect(chatbot.content.description.trim()).not.toBe('');
        for (const [path, value] of strings([slack, teams, discord, google, chatbot])) {
          expect([path, cleanText(value) === value]).toEqual([path, true]);
        }
      }),
      { seed: 11, numRuns: 150 },
    );
  });
});

describe('the sandbox timeline', () => {
  it('reads the title of a Teams card from its first rich text block', () => {
    // Prepare
    const body = renderTeams(message());

    // Act
    const title = chatTitle({
      at: new Date('2026-11-23T10:00:05Z'),
      kind: 'teams',
      channel: 'ops',
      body,
      status: 200,
    });

    // Assess
    expect(title).toBe('⚠️ prod/api rolled back');
  });
});
