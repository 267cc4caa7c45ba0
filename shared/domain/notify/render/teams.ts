/**
 * Microsoft Teams: an Adaptive Card posted to a Workflows ("When a Teams webhook request is
 * received") webhook, which only accepts Adaptive Cards wrapped in a `message` with attachments.
 *
 * Text from events (titles, reasons, names) is never read as markdown: the title, the text and the
 * reason are `TextRun`s of a `RichTextBlock`, which Adaptive Cards show as written; fact titles and
 * values (markdown in a `FactSet`) are escaped. The whole body stays under Teams' 28 KB message limit.
 *
 * @see https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 * @see https://adaptivecards.io/explorer/RichTextBlock.html
 * @see https://adaptivecards.io/explorer/
 */
import type { NotificationMessage } from '../message';
import { styleOf } from './severity';
import { cleanMessage, escapeMarkdown, fitPayload, oneLine, scaled, truncate } from './text';

/** A run of text, shown as written (no markdown). */
export interface TextRun {
  type: 'TextRun';
  text: string;
  weight?: 'Bolder';
  size?: 'Medium';
  color?: 'default' | 'good' | 'warning' | 'attention';
  isSubtle?: boolean;
}

/** An Adaptive Card element this renderer emits. */
export type AdaptiveElement =
  | { type: 'RichTextBlock'; inlines: TextRun[]; spacing?: 'Small' }
  | { type: 'FactSet'; facts: Array<{ title: string; value: string }> };

/** The Teams webhook body. */
export interface TeamsMessage {
  type: 'message';
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive';
      contentUrl: null;
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
        type: 'AdaptiveCard';
        version: '1.4';
        body: AdaptiveElement[];
        actions: Array<{ type: 'Action.OpenUrl'; title: string; url: string }>;
        msteams: { width: 'Full' };
      };
    },
  ];
}

/** The limits this renderer keeps. */
export const TEAMS_LIMITS = {
  /** Teams refuses webhook messages over 28 KB; the body keeps a margin for the envelope */
  bytes: 27_000,
  /** at most this many card actions show (the host config's `maxActions`) */
  actions: 6,
  title: 256,
  text: 4000,
  reason: 4000,
  facts: 30,
  factTitle: 100,
  factValue: 1000,
  actionTitle: 100,
} as const;

/**
 * An Adaptive Card for a notification: a title coloured by severity, the text, the reason, facts and
 * one button per console link; texts are cut (with "…") until the body fits Teams' limit.
 */
export function renderTeams(raw: NotificationMessage): TeamsMessage {
  const message = cleanMessage(raw);
  const style = styleOf(message.severity);
  const title = truncate(`${style.emoji} ${oneLine(message.title)}`, TEAMS_LIMITS.title);
  return fitPayload((scale) => {
    const text = truncate(message.text, scaled(TEAMS_LIMITS.text, scale));
    const reason = message.reason
      ? truncate(`Why: ${message.reason}`, scaled(TEAMS_LIMITS.reason, scale))
      : '';
    const facts = message.facts.slice(0, scaled(TEAMS_LIMITS.facts, scale)).map((f) => ({
      title: escapeMarkdown(truncate(oneLine(f.label), TEAMS_LIMITS.factTitle)) || '-',
      value: escapeMarkdown(truncate(f.value, scaled(TEAMS_LIMITS.factValue, scale))) || '-',
    }));
    const body: AdaptiveElement[] = [
      {
        type: 'RichTextBlock',
        inlines: [
          { type: 'TextRun', text: title, weight: 'Bolder', size: 'Medium', color: style.teamsColor },
        ],
      },
    ];
    // Empty texts are left out: a TextRun needs text.
    if (text.trim() !== '') body.push({ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text }] });
    if (reason !== '') {
      body.push({
        type: 'RichTextBlock',
        inlines: [{ type: 'TextRun', text: reason, isSubtle: true }],
        spacing: 'Small',
      });
    }
    if (facts.length > 0) body.push({ type: 'FactSet', facts });
    return cardOf(body, message, scale);
  }, TEAMS_LIMITS.bytes);
}

function cardOf(body: AdaptiveElement[], message: NotificationMessage, scale: number): TeamsMessage {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body,
          // Console links are autopilot's own; at the smallest scale they go too.
          actions: message.links.slice(0, scale > 0 ? TEAMS_LIMITS.actions : 0).map((l) => ({
            type: 'Action.OpenUrl',
            title: truncate(oneLine(l.label), TEAMS_LIMITS.actionTitle) || 'Open',
            url: l.url,
          })),
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}
