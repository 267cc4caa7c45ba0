/**
 * SNS to AWS Chatbot (Amazon Q Developer in chat applications): a custom notification, which Chatbot
 * renders in Slack or Teams. Chatbot drops SNS messages that are not in a format it knows, so the
 * body follows its custom-notification event schema exactly.
 *
 * `client-markdown` is rendered with the target product's markdown, which differs between Slack and
 * Teams, so the description uses plain lines and bare URLs (both products link them).
 *
 * @see https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html
 */
import type { NotificationMessage } from '../message';
import { styleOf } from './severity';
import { oneLine } from './text';

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
export function renderSnsChatbot(message: NotificationMessage): ChatbotNotification {
  const style = styleOf(message.severity);
  const description = [
    message.text,
    ...(message.reason ? [`Why: ${message.reason}`] : []),
    ...(message.facts.length > 0
      ? ['', ...message.facts.map((f) => `• ${oneLine(f.label)}: ${f.value.replace(/\n/g, '; ')}`)]
      : []),
  ].join('\n');
  const keywords = [
    message.eventType,
    ...(message.cluster ? [message.cluster] : []),
    ...(message.service ? [message.service] : []),
    ...(message.dryRun ? ['dry run'] : []),
  ];
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
      title: `${style.emoji} ${oneLine(message.title)}`,
      description,
      ...(message.links.length > 0
        ? { nextSteps: message.links.map((l) => `${oneLine(l.label)}: ${l.url}`) }
        : {}),
      keywords,
    },
    metadata: {
      ...(message.threadKey ? { threadId: message.threadKey } : {}),
      summary: oneLine(message.title),
      eventType: message.eventType,
      relatedResources: relatedResourcesOf(message),
      additionalContext,
    },
  };
}
