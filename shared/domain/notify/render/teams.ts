/**
 * Microsoft Teams: an Adaptive Card posted to a Workflows ("When a Teams webhook request is
 * received") webhook, which only accepts Adaptive Cards wrapped in a `message` with attachments.
 *
 * @see https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 * @see https://adaptivecards.io/explorer/
 */
import type { NotificationMessage } from '../message';
import { styleOf } from './severity';
import { oneLine, truncate } from './text';

/** An Adaptive Card element this renderer emits. */
export type AdaptiveElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: boolean;
      weight?: 'Bolder';
      size?: 'Medium';
      color?: 'default' | 'good' | 'warning' | 'attention';
      isSubtle?: boolean;
      spacing?: 'Small';
    }
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

/** Teams shows at most this many card actions (its host config's `maxActions`). */
const MAX_ACTIONS = 6;
/** Keeps one fact value from swamping the card (the whole card must stay under 28 KB). */
const MAX_VALUE = 1000;

/**
 * An Adaptive Card for a notification: a title coloured by severity, the text, the reason, facts and
 * one button per console link.
 */
export function renderTeams(message: NotificationMessage): TeamsMessage {
  const style = styleOf(message.severity);
  const body: AdaptiveElement[] = [
    {
      type: 'TextBlock',
      text: `${style.emoji} ${oneLine(message.title)}`,
      weight: 'Bolder',
      size: 'Medium',
      color: style.teamsColor,
      wrap: true,
    },
    { type: 'TextBlock', text: message.text, wrap: true },
  ];
  if (message.reason)
    body.push({
      type: 'TextBlock',
      text: `Why: ${message.reason}`,
      isSubtle: true,
      wrap: true,
      spacing: 'Small',
    });
  if (message.facts.length > 0)
    body.push({
      type: 'FactSet',
      facts: message.facts.map((f) => ({ title: oneLine(f.label), value: truncate(f.value, MAX_VALUE) })),
    });
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
          actions: message.links
            .slice(0, MAX_ACTIONS)
            .map((l) => ({ type: 'Action.OpenUrl', title: oneLine(l.label), url: l.url })),
          msteams: { width: 'Full' },
        },
      },
    ],
  };
}
