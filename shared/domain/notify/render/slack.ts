/**
 * Slack: a Block Kit message (incoming webhook or chat.postMessage), within Slack's block limits.
 *
 * @see https://docs.slack.dev/reference/block-kit/blocks
 * @see https://docs.slack.dev/messaging/formatting-message-text#escaping
 */
import type { NotificationMessage } from '../message';
import { outcomeEmoji, styleOf } from './severity';
import { cleanMessage, escapeSlack, fitEscaped, oneLine, truncate } from './text';

/** Slack's limits on the blocks used here. */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextText: 3000,
  /** Slack truncates longer top-level `text`; a notification preview needs far less */
  fallbackText: 3000,
  /** blocks in one message */
  blocks: 50,
} as const;

/** A Block Kit text object. */
export type SlackText =
  | { type: 'plain_text'; text: string; emoji: boolean }
  | { type: 'mrkdwn'; text: string };

/** The Block Kit blocks this renderer emits. */
export type SlackBlock =
  | { type: 'header'; text: Extract<SlackText, { type: 'plain_text' }> }
  | { type: 'section'; text: SlackText }
  | { type: 'section'; fields: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

/** A Slack message body. */
export interface SlackMessage {
  /** the notification and screen-reader fallback of the blocks */
  text: string;
  blocks: SlackBlock[];
  /** chat.postMessage only: the channel id */
  channel?: string;
  /** chat.postMessage only: the ts of the thread's first message */
  thread_ts?: string;
  unfurl_links: false;
}

/** A chat.update body (the sender adds `channel` and `ts`). */
export interface SlackUpdate {
  text: string;
  blocks: SlackBlock[];
}

/** A mrkdwn text object: `prefix` is mrkdwn already, `raw` is escaped and shortened to fit `max`. */
const mrkdwn = (prefix: string, raw: string, max: number): SlackText => ({
  type: 'mrkdwn',
  text: `${prefix}${fitEscaped(raw, escapeSlack, max - prefix.length)}`,
});

/** `<url|label>`; the label is escaped, and `|` would end the URL part. */
const slackLink = (url: string, label: string) =>
  `<${escapeSlack(url).replace(/\|/g, '%7C')}|${escapeSlack(label)}>`;

function factSections(message: NotificationMessage): SlackBlock[] {
  // Slack refuses empty text objects.
  const fields = message.facts
    .filter((f) => f.value.trim() !== '')
    .map((f) =>
      mrkdwn(`*${escapeSlack(truncate(oneLine(f.label), 100))}*\n`, f.value, SLACK_LIMITS.fieldText),
    );
  const sections: SlackBlock[] = [];
  // A section holds at most 10 fields: more facts go on in the next section, as many as the
  // message's 50 blocks leave room for (header, outcome, text, reason and links take five).
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.fields)
    sections.push({ type: 'section', fields: fields.slice(i, i + SLACK_LIMITS.fields) });
  return sections.slice(0, SLACK_LIMITS.blocks - 5);
}

function blocksOf(message: NotificationMessage, emoji: string, outcome?: NotificationMessage): SlackBlock[] {
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(`${emoji} ${oneLine(message.title)}`, SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
  ];
  if (outcome)
    blocks.push({
      type: 'section',
      text: mrkdwn('*Outcome:* ', oneLine(outcome.title), SLACK_LIMITS.sectionText),
    });
  if (message.text.trim() !== '')
    blocks.push({ type: 'section', text: mrkdwn('', message.text, SLACK_LIMITS.sectionText) });
  blocks.push(...factSections(message));
  if (message.reason)
    blocks.push({
      type: 'context',
      elements: [mrkdwn('*Why:* ', message.reason, SLACK_LIMITS.contextText)],
    });
  // Links as mrkdwn rather than buttons: a link button still sends an interaction payload, which an
  // incoming webhook's app has no endpoint for, and Slack then marks the click as failed.
  const links = linksText(message);
  if (links) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links }] });
  return blocks;
}

const fallbackOf = (message: NotificationMessage, emoji: string) =>
  fitEscaped(`${emoji} ${oneLine(message.title)}\n${message.text}`, escapeSlack, SLACK_LIMITS.fallbackText);

/** The links that fit one context element; a link is never cut in half. */
function linksText(message: NotificationMessage): string {
  let text = '';
  for (const l of message.links) {
    const next = `${text ? `${text}  ·  ` : ''}${slackLink(l.url, truncate(oneLine(l.label), 75))}`;
    if (next.length > SLACK_LIMITS.contextText) break;
    text = next;
  }
  return text;
}

/**
 * A Slack message for a notification: header, text, facts as fields, the reason and console links.
 *
 * @param options - `channel` and `threadTs` for chat.postMessage (bot token); omit for webhooks
 * @example
 * renderSlack(message, { channel: 'C0123456789', threadTs: '1700000000.000100' })
 */
export function renderSlack(
  raw: NotificationMessage,
  options: { threadTs?: string; channel?: string } = {},
): SlackMessage {
  const message = cleanMessage(raw);
  const emoji = styleOf(message.severity).emoji;
  return {
    text: fallbackOf(message, emoji),
    blocks: blocksOf(message, emoji),
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.threadTs ? { thread_ts: options.threadTs } : {}),
    unfurl_links: false,
  };
}

/**
 * The first message of a deployment's thread, updated with the deployment's outcome: its header is
 * marked (✅ succeeded, ↩️ rolled back, ❌ failed) and the outcome is quoted under it.
 *
 * @param rawFirst - the message that opened the thread
 * @param rawOutcome - the message that ends (or advances) the deployment
 */
export function renderSlackOutcome(
  rawFirst: NotificationMessage,
  rawOutcome: NotificationMessage,
): SlackUpdate {
  const [first, outcome] = [cleanMessage(rawFirst), cleanMessage(rawOutcome)];
  const emoji = outcomeEmoji(outcome);
  return {
    text: fitEscaped(
      `${emoji} ${oneLine(first.title)}: ${oneLine(outcome.title)}`,
      escapeSlack,
      SLACK_LIMITS.fallbackText,
    ),
    blocks: blocksOf(first, emoji, outcome),
  };
}
