/**
 * Discord: an execute-webhook body with one embed, within Discord's embed limits (a message over a
 * limit is refused with HTTP 400, so everything is truncated here with "…").
 *
 * @see https://discord.com/developers/docs/resources/webhook#execute-webhook
 * @see https://discord.com/developers/docs/resources/message#embed-object-embed-limits
 */
import type { NotificationMessage } from '../message';
import { styleOf } from './severity';
import { cleanMessage, escapeDiscord, fitEscaped, oneLine, truncate } from './text';

/** Discord's embed limits. */
export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  /** title, description, field names and values, footer text and author name of all embeds */
  total: 6000,
} as const;

/** A Discord embed field. */
export interface DiscordField {
  name: string;
  value: string;
  inline: boolean;
}

/** A Discord embed. */
export interface DiscordEmbed {
  title: string;
  description?: string;
  color: number;
  fields: DiscordField[];
  url?: string;
  timestamp: string;
  footer: { text: string };
}

/** The Discord webhook body. */
export interface DiscordMessage {
  username: 'ecs-autopilot';
  embeds: [DiscordEmbed];
  /** no @everyone, @here, role or user pings, whatever the text says */
  allowed_mentions: { parse: [] };
}

/** Short one-line values sit side by side. */
const INLINE_MAX = 40;

/**
 * A Discord embed for a notification: the title (linked to the first console link), the text and
 * reason, facts as fields and the rest of the links, coloured by severity. Text from events is
 * escaped everywhere Discord reads markdown (title, description, field names and values), so it
 * shows as written and links nowhere; everything is cut to the embed limits.
 */
export function renderDiscord(raw: NotificationMessage): DiscordMessage {
  const message = cleanMessage(raw);
  const style = styleOf(message.severity);
  const title = fitEscaped(`${style.emoji} ${oneLine(message.title)}`, escapeDiscord, DISCORD_LIMITS.title);
  const footer = truncate(`ecs-autopilot · ${oneLine(message.eventType)}`, DISCORD_LIMITS.footerText);
  const [first, ...more] = message.links;
  const parts = [
    escapeDiscord(message.text),
    message.reason ? `**Why:** ${escapeDiscord(message.reason)}` : '',
    // A `)` would end the masked link's URL early.
    more.map((l) => `[${escapeDiscord(oneLine(l.label))}](${l.url.replace(/\)/g, '%29')})`).join(' · '),
  ].filter(Boolean);
  // The description goes first; fields fill what is left of the 6000-character total. A cut never
  // leaves half an escape: a lone backslash before the "…" would escape it.
  const description = truncate(
    parts.join('\n\n'),
    Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.total - title.length - footer.length),
  ).replace(/(?<!\\)((?:\\\\)*)\\…$/, '$1…');
  let budget = DISCORD_LIMITS.total - title.length - footer.length - description.length;
  const fields: DiscordField[] = [];
  for (const f of message.facts.slice(0, DISCORD_LIMITS.fields)) {
    const name = fitEscaped(oneLine(f.label), escapeDiscord, DISCORD_LIMITS.fieldName) || '-';
    const value =
      fitEscaped(f.value, escapeDiscord, Math.min(DISCORD_LIMITS.fieldValue, budget - name.length)) || '-';
    if (name.length + value.length > budget) break;
    budget -= name.length + value.length;
    fields.push({ name, value, inline: value.length <= INLINE_MAX && !value.includes('\n') });
  }
  return {
    username: 'ecs-autopilot',
    embeds: [
      {
        title,
        // Discord refuses an empty description; a message without text has none.
        ...(description !== '' ? { description } : {}),
        color: style.color,
        fields,
        ...(first ? { url: first.url } : {}),
        timestamp: message.at,
        footer: { text: footer },
      },
    ],
    allowed_mentions: { parse: [] },
  };
}
