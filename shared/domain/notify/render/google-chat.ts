/**
 * Google Chat: an incoming-webhook message with one card (cards v2). Card text is the HTML subset
 * Google Chat formats, so values are HTML-escaped.
 *
 * @see https://developers.google.com/workspace/chat/api/reference/rest/v1/spaces.messages#Message
 * @see https://developers.google.com/workspace/chat/api/reference/rest/v1/cards
 */
import type { NotificationMessage } from '../message';
import { styleOf } from './severity';
import { escapeHtml, oneLine } from './text';

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

/** Google Chat ignores widgets past 100 per card. */
const MAX_WIDGETS = 100;

/**
 * A Google Chat card for a notification: the title in the header, the text, facts as decorated text,
 * the reason, and one button per console link.
 */
export function renderGoogleChat(message: NotificationMessage): GoogleChatMessage {
  const style = styleOf(message.severity);
  const title = `${style.emoji} ${oneLine(message.title)}`;
  const target = message.cluster && message.service ? ` · ${message.cluster}/${message.service}` : '';
  const widgets: ChatWidget[] = [
    { textParagraph: { text: escapeHtml(message.text) } },
    ...message.facts.map(
      (f): ChatWidget => ({
        decoratedText: {
          topLabel: oneLine(f.label),
          text: escapeHtml(f.value).replace(/\n/g, '<br>'),
          wrapText: true,
        },
      }),
    ),
  ];
  if (message.reason) widgets.push({ textParagraph: { text: `<b>Why:</b> ${escapeHtml(message.reason)}` } });
  const sections: Array<{ widgets: ChatWidget[] }> = [{ widgets: widgets.slice(0, MAX_WIDGETS - 1) }];
  if (message.links.length > 0)
    sections.push({
      widgets: [
        {
          buttonList: {
            buttons: message.links.map((l) => ({
              text: oneLine(l.label),
              onClick: { openLink: { url: l.url } },
            })),
          },
        },
      ],
    });
  return {
    fallbackText: `${title}\n${message.text}`,
    cardsV2: [
      {
        cardId: message.id,
        card: {
          header: { title, subtitle: `${style.label} · ${message.eventType}${target}` },
          sections,
        },
      },
    ],
  };
}
