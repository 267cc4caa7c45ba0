/**
 * Text helpers the renderers share: cleaning, truncation to a product's limit, escaping for its
 * markup, and fitting a whole payload into a product's size limit. Every renderer starts from
 * {@link cleanMessage}: the texts of a message come from events (reasons, names, alarm texts) that
 * autopilot does not control.
 */
import type { NotificationMessage } from '../message';

// C0 and C1 control characters but tab and newline: chat APIs refuse them or show boxes.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
// A surrogate without its pair is no character: JSON carries it, chat APIs refuse the payload.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `text` without control characters (tabs and newlines stay; carriage returns go) and with lone
 * surrogates replaced by U+FFFD.
 *
 * @example cleanText('a\u0000b\r\nc') // 'ab\nc'
 */
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL, '').replace(LONE_SURROGATE, '\uFFFD');
}

/** The message with every text {@link cleanText cleaned}: what every renderer starts from. */
export function cleanMessage(message: NotificationMessage): NotificationMessage {
  return {
    ...message,
    eventType: cleanText(message.eventType),
    title: cleanText(message.title),
    text: cleanText(message.text),
    ...(message.reason !== undefined ? { reason: cleanText(message.reason) } : {}),
    facts: message.facts.map((f) => ({ label: cleanText(f.label), value: cleanText(f.value) })),
    links: message.links.map((l) => ({ label: cleanText(l.label), url: l.url })),
    ...(message.cluster !== undefined ? { cluster: cleanText(message.cluster) } : {}),
    ...(message.service !== undefined ? { service: cleanText(message.service) } : {}),
  };
}

/** The UTF-8 size of the JSON of `value`: what a chat API counts against its message limit. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * The payload `build` makes at the largest scale that fits `maxBytes`: 1 first, then halved down to
 * 1/64, then 0. `build(scale)` multiplies its text budgets by `scale`; at 0 it must keep only what
 * is short by construction (the title), so the result always fits.
 *
 * @example fitPayload((scale) => card(message, { text: Math.floor(4000 * scale) }), 27_000)
 */
export function fitPayload<T>(build: (scale: number) => T, maxBytes: number): T {
  for (let scale = 1; scale >= 1 / 64; scale /= 2) {
    const body = build(scale);
    if (jsonBytes(body) <= maxBytes) return body;
  }
  return build(0);
}

/** `max * scale`, rounded down: a text budget of a {@link fitPayload} build. */
export const scaled = (max: number, scale: number): number => Math.floor(max * scale);

/**
 * Shortens `text` to at most `max` UTF-16 code units, ending with "…" when cut. Never splits a
 * surrogate pair, so the result is also at most `max` code points (Slack and Discord count either).
 *
 * @example
 * truncate('abcdef', 4) // 'abc…'
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  return `${truncateRaw(text, max - 1)}…`;
}

/** Collapses newlines and runs of spaces, for one-line titles. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Escapes the three characters Slack's mrkdwn gives a meaning to (`&`, `<`, `>`); Slack asks for
 * exactly these and decodes nothing else.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes text for the HTML subset Google Chat cards render. */
export function escapeHtml(text: string): string {
  return escapeSlack(text).replace(/"/g, '&quot;');
}

/**
 * Escapes the characters Discord's markdown formats (and `#` / `-` that start a heading or a list
 * line), so names and reasons show as written and `[label](url)` is never a link.
 */
export function escapeDiscord(text: string): string {
  return text.replace(/([\\*_~`|>[\]])/g, '\\$1').replace(/^([ \t]*)([#-])/gm, '$1\\$2');
}

/**
 * Escapes, with a backslash, the markdown Teams reads in an Adaptive Card fact: emphasis, code,
 * links (`[a](b)` stays text, never a link), and `#`, `-`, `+`, `>` that start a line. Nothing
 * else, so names such as `stop-deployment` or `api (8)` read as written everywhere.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]~])/g, '\\$1').replace(/^([ \t]*)([#+>-])/gm, '$1\\$2');
}

/**
 * Defuses link and mention syntax in text AWS Chatbot renders with the markdown of Slack or of Teams
 * (it does not tell which, and neither decodes an escape the other knows): a zero-width space after
 * every `<` (Slack's `<url|label>`, `<!channel>`) and between `]` and `(` (markdown's `[label](url)`).
 * The text reads the same; nothing in it links or pings.
 */
export function defuseLinks(text: string): string {
  return text.replace(/</g, '<\u200B').replace(/\]\(/g, ']\u200B(');
}

/**
 * Escapes `text` and shortens it so the escaped result fits `max`, cutting the raw text so that no
 * entity (`&amp;`) is cut in half. `escaper` must escape character by character, as the escapers here do.
 *
 * @example
 * fitEscaped('a<b', escapeSlack, 5) // 'a…' ('a&lt;b' is 6 long)
 */
export function fitEscaped(text: string, escaper: (raw: string) => string, max: number): string {
  // Escaping never shortens: a text longer than `max` is cut without escaping all of it first.
  if (text.length <= max) {
    const escaped = escaper(text);
    if (escaped.length <= max) return escaped;
  }
  if (max <= 0) return '';
  let length = 0;
  let end = 0;
  // By code point, so that an emoji is never cut in half either.
  for (const char of text) {
    const size = escaper(char).length;
    if (length + size > max - 1) break;
    length += size;
    end += char.length;
  }
  return `${escaper(text.slice(0, end))}…`;
}

/** The first `length` code units of `text`, one fewer when that would split a surrogate pair. */
function truncateRaw(text: string, length: number): string {
  const last = text.charCodeAt(length - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}
