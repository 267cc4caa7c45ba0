/**
 * The renderers: pure functions from a {@link NotificationMessage} to the body each channel type
 * posts. The chat sender picks one with {@link renderFor}.
 */
import type { ChannelType } from '../../../config/notifications';
import type { NotificationMessage } from '../message';
import { renderDiscord } from './discord';
import { renderGoogleChat } from './google-chat';
import { renderSlack } from './slack';
import { renderSnsChatbot } from './sns-chatbot';
import { renderTeams } from './teams';
import { renderWebhook } from './webhook';

export {
  DISCORD_LIMITS,
  type DiscordEmbed,
  type DiscordField,
  type DiscordMessage,
  renderDiscord,
} from './discord';
export { type ChatWidget, GOOGLE_CHAT_LIMITS, type GoogleChatMessage, renderGoogleChat } from './google-chat';
export { outcomeEmoji, SEVERITY_STYLES, type SeverityStyle, styleOf } from './severity';
export {
  renderSlack,
  renderSlackOutcome,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
  type SlackText,
  type SlackUpdate,
} from './slack';
export { CHATBOT_LIMITS, type ChatbotNotification, renderSnsChatbot } from './sns-chatbot';
export { type AdaptiveElement, renderTeams, TEAMS_LIMITS, type TeamsMessage, type TextRun } from './teams';
export {
  renderWebhook,
  SIGNATURE_HEADER,
  signWebhook,
  TIMESTAMP_HEADER,
  verifyWebhook,
  type WebhookBody,
} from './webhook';

/** The channel types a message can be rendered for (those of the policy file's `notifications`). */
export type RenderTarget = ChannelType;

/** The renderer of each channel type. */
const RENDERERS: { readonly [T in RenderTarget]: (message: NotificationMessage) => unknown } = {
  slack: renderSlack,
  teams: renderTeams,
  discord: renderDiscord,
  'google-chat': renderGoogleChat,
  webhook: renderWebhook,
  sns: renderSnsChatbot,
};

/**
 * The body to post for a message on a channel of type `type`. Slack gets a webhook body (no channel,
 * no thread); the bot-token path calls {@link renderSlack} with its options.
 *
 * @example
 * await post(url, renderFor('teams', message));
 */
export function renderFor(type: RenderTarget, message: NotificationMessage): unknown {
  return RENDERERS[type](message);
}
