/**
 * Google Chat: an incoming-webhook message with one card (cards v2). Card text is the HTML subset
 * Google Chat formats, so values are HTML-escaped; the header, labels and buttons are plain text, so
 * they are kept to one line. The message stays under Google Chat's 32,000-byte limit.
 *
 * @see https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages#Message
 * @see https://developers.google.com/workspace/chat/api/reference/rest/v1/cards
 */
import type { NotificationMessage } from '../message';
import { styleOf } from './severity';
import { cleanMessage, escapeHtml, fitEscaped, fitPayload, oneLine, scaled, truncate } from './text';

/** A card widget this renderer emits. */
export type ChatWidget =
  | { textParagraph: { text: string } }
  | { decoratedText: { topLabel: string; text: string; wrapText: true } }
  | { buttonList: { buttons: Array<{ text: string; onClick: { openLink: { url: string } } }> } };

/** The Google Chat webhook body. */
export interface GoogleChatMessage {
  /**
   * What notifications and clients that cannot show cards display. (A `text` field would be shown
   * above the card as well, repeating it.)
   */
  fallbackText: string;
  cardsV2: [
    {
      cardId: string;
      card: {
        header: { title: string; subtitle: string };
        sections: Array<{ widgets: ChatWidget[] }>;
      };
    },
  ];
}

/** The limits this renderer keeps. */
export const GOOGLE_CHAT_LIMITS = {
  /** Google Chat refuses messages over 32,000 bytes; the body keeps a margin */
  bytes: 30_000,
  /** Google Chat ignores widgets past 100 per card */
  widgets: 100,
  /** header title and subtitle, labels, button texts: one line each */
  line: 200,
  text: 4000,
  reason: 4000,
  factValue: 1000,
  fallbackText: 1000,
} as const;

/**
 * A Google Chat card for a notification: the title in the header, the text, facts as decorated text,
 * the reason, and one button per console link. Card text is escaped HTML; the header, labels and
 * buttons are plain text on one line; texts are cut (with "…") until the body fits Google Chat's limit.
 */
export function renderGoogleChat(raw: NotificationMessage): GoogleChatMessage {
  const message = cleanMessage(raw);
  const style = styleOf(message.severity);
  const line = (text: string) => truncate(oneLine(text), GOOGLE_CHAT_LIMITS.line);
  const title = line(`${style.emoji} ${message.title}`);
  const target = message.cluster && message.service ? ` · ${message.cluster}/${message.service}` : '';
  const subtitle = line(`${style.label} · ${message.eventType}${target}`);
  return fitPayload((scale) => {
    const html = (text: string, max: number) =>
      fitEscaped(text, escapeHtml, scaled(max, scale)).replace(/\n/g, '<br>');
    const text = html(message.text, GOOGLE_CHAT_LIMITS.text);
    const widgets: ChatWidget[] = [
      // An empty paragraph is left out: Google Chat refuses empty text.
      ...(text.trim() !== '' ? [{ textParagraph: { text } }] : []),
      ...message.facts.map(
        (f): ChatWidget => ({
          decoratedText: {
            topLabel: line(f.label),
            text: html(f.value, GOOGLE_CHAT_LIMITS.factValue) || '-',
            wrapText: true,
          },
        }),
      ),
    ];
    const reason = message.reason ? html(message.reason, GOOGLE_CHAT_LIMITS.reason) : '';
    if (reason !== '') widgets.push({ textParagraph: { text: `<b>Why:</b> ${reason}` } });
    const kept = widgets.slice(0, scale > 0 ? GOOGLE_CHAT_LIMITS.widgets - 1 : 0);
    // A card needs a widget: the title, when nothing else is left.
    const sections: Array<{ widgets: ChatWidget[] }> = [
      { widgets: kept.length > 0 ? kept : [{ textParagraph: { text: escapeHtml(title) } }] },
    ];
    if (message.links.length > 0 && scale > 0)
      sections.push({
        widgets: [
          {
            buttonList: {
              buttons: message.links.map((l) => ({
                text: line(l.label) || 'Open',
                onClick: { openLink: { url: l.url } },
              })),
            },
          },
        ],
      });
    return {
      fallbackText: truncate(
        `${title}\n${message.text}`,
        scaled(GOOGLE_CHAT_LIMITS.fallbackText, scale) || title.length,
      ),
      cardsV2: [
        {
          cardId: message.id,
          card: {
            header: { title, subtitle },
            sections,
          },
        },
      ],
    };
  }, GOOGLE_CHAT_LIMITS.bytes);
}
