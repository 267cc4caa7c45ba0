/**
 * The timeline's chat lines: the title of a message as each service shows it first, and the marks
 * for refused or signed messages.
 */
import type { ChatKind, ChatMessage } from '../../sandbox/chat-sink';
import { chatTitle, describeChatMessage, formatLine } from '../../sandbox/timeline';

const AT = new Date('2026-11-23T10:00:00.000Z');

/** A body of each kind whose title is "Deployment Started prod/api". */
const BODIES: { [K in ChatKind]: unknown } = {
  slack: { text: 'Deployment Started prod/api\nfrom :3 to :4', blocks: [] },
  'slack-api': {
    channel: 'C0SANDBOX01',
    blocks: [{ type: 'header', text: { type: 'plain_text', text: 'Deployment Started prod/api' } }],
  },
  teams: {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          type: 'AdaptiveCard',
          body: [
            {
              type: 'Container',
              items: [{ type: 'TextBlock', text: 'Deployment Started prod/api', weight: 'Bolder' }],
            },
            { type: 'TextBlock', text: 'second' },
          ],
        },
      },
    ],
  },
  discord: { embeds: [{ title: 'Deployment Started prod/api', description: 'from :3 to :4' }] },
  'google-chat': { cardsV2: [{ cardId: 'x', card: { header: { title: 'Deployment Started prod/api' } } }] },
  webhook: { title: 'Deployment Started prod/api', detail: {} },
  sns: {
    version: '1.0',
    source: 'custom',
    content: { title: 'Deployment Started prod/api', description: 'd' },
  },
};

const message = (kind: ChatKind, extra: Partial<ChatMessage> = {}): ChatMessage => ({
  at: AT,
  kind,
  channel: 'platform',
  body: BODIES[kind],
  status: 200,
  ...extra,
});

describe('chatTitle', () => {
  it.each(Object.keys(BODIES) as ChatKind[])('finds the title of a %s message', (kind) => {
    // Prepare
    const received = message(kind);

    // Act
    const title = chatTitle(received);

    // Assess
    expect(title).toBe('Deployment Started prod/api');
  });

  it('falls back on the text of a body that is not JSON, and says when there is none', () => {
    // Prepare
    const plain = message('sns', { body: 'plain text\nmore' });
    const empty = message('discord', { body: {} });

    // Act
    const titles = [chatTitle(plain), chatTitle(empty)];

    // Assess
    expect(titles).toEqual(['plain text', '(no title)']);
  });
});

describe('describeChatMessage', () => {
  it('writes kind, channel and title, with the status and problem of a refused message', () => {
    // Prepare
    const limited = message('slack', { status: 429, problem: 'rate_limited' });

    // Act
    const line = formatLine(describeChatMessage(limited));

    // Assess
    expect(line).toBe(
      `10:00:00.000  ${'chat'.padEnd(22)} slack platform: Deployment Started prod/api [HTTP 429; rate_limited]`,
    );
  });

  it('marks signed webhooks and Slack thread replies and updates', () => {
    // Prepare
    const signed = message('webhook', { verified: true });
    const reply = message('slack-api', {
      channel: 'C0SANDBOX01',
      method: 'chat.postMessage',
      threadTs: '1.000001',
    });
    const update = message('slack-api', { channel: 'C0SANDBOX01', method: 'chat.update' });

    // Act
    const texts = [signed, reply, update].map((m) => describeChatMessage(m).text);

    // Assess
    expect(texts).toEqual([
      'webhook platform: Deployment Started prod/api [signed]',
      'slack C0SANDBOX01 (thread): Deployment Started prod/api',
      'slack C0SANDBOX01 (update): Deployment Started prod/api',
    ]);
  });
});
