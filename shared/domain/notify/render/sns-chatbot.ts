/**
 * SNS to AWS Chatbot (Amazon Q Developer in chat applications): a custom notification, which Chatbot
 * renders in Slack or Teams. Chatbot drops SNS messages that are not in a format it knows, so the
 * body follows its custom-notification event schema exactly.
 *
 * `client-markdown` is rendered with the target product's markdown, which differs between Slack and
 * Teams, so the description uses plain lines and bare URLs (both products link them), and text from
 * events has its link and mention syntax defused (`defuseLinks`): a reason never becomes a link or
 * pings a channel. Title and description are cut to the schema's 250 and 8,000 characters.
 *
 * @see https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
import type { NotificationMessage } from '../message';
import { styleOf } from './severity';
import { cleanMessage, defuseLinks, oneLine, truncate } from './text';

/** The limits of a custom notification (its OpenAPI schema) this renderer keeps. */
export const CHATBOT_LIMITS = {
  title: 250,
  description: 8000,
  /** a line of next steps, a keyword, the summary, a context value */
  line: 200,
} as const;

/** An AWS Chatbot custom notification. */
export interface ChatbotNotification {
  version: '1.0';
  source: 'custom';
  id: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps?: string[];
    keywords?: string[];
  };
  metadata: {
    /** notifications with the same threadId are threaded (when the channel's preferences allow) */
    threadId?: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

/**
 * `text` defused ({@link defuseLinks}) and cut (with "…") to at most `max` characters: defusing adds
 * characters, so the cut is made again, shorter by what they added, until it fits.
 */
function fitDefused(text: string, max: number): string {
  let cut = max;
  for (let attempt = 0; attempt < 8; attempt++) {
    const defused = defuseLinks(truncate(text, cut));
    if (defused.length <= max) return defused;
    cut -= defused.length - max;
  }
  // Defusing at most doubles a text.
  return defuseLinks(truncate(text, Math.floor(max / 2)));
}

/** An AWS ARN inside some text. */
const ARN = /arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:[^\s"'<>,]+/g;

/** The ARNs a message names: its thread key names the revision being deployed. */
function relatedResourcesOf(message: NotificationMessage): string[] {
  const texts = [message.threadKey ?? '', ...message.facts.map((f) => f.value)];
  return [...new Set(texts.flatMap((text) => text.match(ARN) ?? []))];
}

/**
 * The AWS Chatbot custom notification of a message: the title with its severity emoji, the text,
 * reason and facts as the description, console links as next steps, and the deployment's thread key
 * as the thread id.
 */
export function renderSnsChatbot(raw: NotificationMessage): ChatbotNotification {
  const message = cleanMessage(raw);
  const style = styleOf(message.severity);
  const line = (text: string) => truncate(oneLine(text), CHATBOT_LIMITS.line);
  const title = fitDefused(`${style.emoji} ${oneLine(message.title)}`, CHATBOT_LIMITS.title);
  const written = [
    message.text,
    ...(message.reason ? [`Why: ${message.reason}`] : []),
    ...(message.facts.length > 0
      ? ['', ...message.facts.map((f) => `• ${oneLine(f.label)}: ${f.value.replace(/\n/g, '; ')}`)]
      : []),
  ]
    .join('\n')
    .trim();
  const description = fitDefused(written || oneLine(message.title) || '-', CHATBOT_LIMITS.description);
  const keywords = [
    message.eventType,
    ...(message.cluster ? [message.cluster] : []),
    ...(message.service ? [message.service] : []),
    ...(message.dryRun ? ['dry run'] : []),
  ].map(line);
  const additionalContext: Record<string, string> = {
    severity: message.severity,
    at: message.at,
    dryRun: String(message.dryRun),
    ...(message.cluster ? { cluster: message.cluster } : {}),
    ...(message.service ? { service: message.service } : {}),
    ...(message.aggregate ? { aggregated: String(message.aggregate.count) } : {}),
  };
  return {
    version: '1.0',
    source: 'custom',
    id: message.id,
    content: {
      textType: 'client-markdown',
      title,
      description,
      ...(message.links.length > 0
        ? { nextSteps: message.links.map((l) => `${defuseLinks(line(l.label))}: ${l.url}`) }
        : {}),
      keywords,
    },
    metadata: {
      ...(message.threadKey ? { threadId: message.threadKey } : {}),
      summary: line(message.title),
      eventType: line(message.eventType),
      relatedResources: relatedResourcesOf(message),
      additionalContext,
    },
  };
}
