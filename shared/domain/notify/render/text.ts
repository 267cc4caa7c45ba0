/**
 * Text helpers the renderers share: truncation to a product's limit and escaping for its markup.
 */

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

/** Escapes the characters Discord's markdown formats, so names and reasons show as written. */
export function escapeDiscord(text: string): string {
  return text.replace(/([\\*_~`|>[\]])/g, '\\$1');
}

/**
 * Escapes `text` and shortens it so the escaped result fits `max`, cutting the raw text so that no
 * entity (`&amp;`) is cut in half. `escaper` must escape character by character, as the escapers here do.
 *
 * @example
 * fitEscaped('a<b', escapeSlack, 5) // 'a…' ('a&lt;b' is 6 long)
 */
export function fitEscaped(text: string, escaper: (raw: string) => string, max: number): string {
  const escaped = escaper(text);
  if (escaped.length <= max) return escaped;
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
