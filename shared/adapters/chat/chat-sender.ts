/**
 * {@link ChatSender} for every channel type of the policy file: Slack (incoming webhook or bot token
 * with threads), Microsoft Teams, Discord, Google Chat, signed generic webhooks over HTTPS, and SNS
 * topics in the AWS Chatbot format. Secrets are read through the {@link SecretSource} at send time.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { ChannelConfig, ChannelType } from '../../config/notifications';
import type { NotificationMessage } from '../../domain/notify/message';
import { assertNever, PermanentError } from '../../errors';
import { logger } from '../../observability';
import type { ChatSender, SecretSource, SentMessage, ThreadRef } from '../../ports';
import { classifyAwsError } from '../aws/aws-errors';
import { cachedClient, clientConfig } from '../aws/clients';
import { HttpPoster, type PostResponse, type Verdict } from './http-poster';

/** The pure renderers of `shared/domain/notify/render/` this sender needs. */
export interface ChatRenderers {
  /** the body for a Teams, Discord or Google Chat webhook (and the other types) */
  renderFor(type: ChannelType, message: NotificationMessage): unknown;
  /** a Slack message; `channel` and `threadTs` for chat.postMessage */
  renderSlack(message: NotificationMessage, options: { threadTs?: string; channel?: string }): unknown;
  /** the first message of a thread, updated with the outcome (chat.update) */
  renderSlackOutcome(first: NotificationMessage, outcome: NotificationMessage): unknown;
  /** the generic webhook's JSON document */
  renderWebhook(message: NotificationMessage): unknown;
  /** the signature headers of a generic webhook body */
  signWebhook(body: string, secret: string, timestampSeconds: number): Record<string, string>;
  /** an AWS Chatbot custom notification */
  renderSnsChatbot(message: NotificationMessage): unknown;
}

/** Options of {@link HttpChatSender}. */
export interface HttpChatSenderOptions {
  /** where webhook URLs, tokens and signing secrets are read */
  secrets: SecretSource;
  /** the HTTP client; a default {@link HttpPoster} (5 s timeout, 4 attempts, 20 s budget) */
  poster?: HttpPoster;
  /** the SNS client; the shared traced one by default */
  snsClient?: SNSClient;
  /** the renderers; the real ones of `shared/domain/notify/render` by default */
  renderers?: ChatRenderers;
  /** the clock of webhook signatures (ms since epoch); default Date.now */
  now?: () => number;
}

/** Requests per second per channel when the channel sets no `rateLimit` (the services' own limits). */
const DEFAULT_PER_SECOND: { [K in ChannelType]: number | undefined } = {
  slack: 1,
  teams: 1,
  'google-chat': 1,
  discord: 5,
  webhook: 5,
  // SNS allows thousands per second; the SDK retries its throttling.
  sns: undefined,
};

const SLACK_API = 'https://slack.com/api';

/** Slack Web API errors (HTTP 200, `ok: false`) that can pass on their own. */
const SLACK_TRANSIENT = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** SNS errors after which publishing the same message again cannot work. */
const SNS_PERMANENT = [
  'AuthorizationErrorException',
  'NotFoundException',
  'InvalidParameterException',
  'InvalidParameterValueException',
  'InvalidSecurityException',
  'ValidationException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
];

/** SNS limits MessageGroupId and MessageDeduplicationId to 128 characters. */
const SNS_ID_LENGTH = 128;

/**
 * Sends notifications over HTTPS (and SNS).
 *
 * @example
 * const sender = new HttpChatSender({ secrets: new ParametersSecretSource() });
 * const sent = await sender.send('payments-slack', channel, message, thread);
 */
export class HttpChatSender implements ChatSender {
  private readonly secrets: SecretSource;
  private readonly poster: HttpPoster;
  private readonly renderers?: ChatRenderers;
  private readonly now: () => number;
  private snsClient?: SNSClient;

  /** @param options - see {@link HttpChatSenderOptions} */
  constructor(options: HttpChatSenderOptions) {
    this.secrets = options.secrets;
    this.poster = options.poster ?? new HttpPoster();
    this.renderers = options.renderers;
    this.snsClient = options.snsClient;
    this.now = options.now ?? Date.now;
  }

  /**
   * Delivers `message` to the channel `name`; with a Slack bot token, as a reply in `thread` when given.
   *
   * @returns the Slack message's ts and channel id (bot token only), to thread the next messages
   * @throws PermanentError - the channel refused it for good (4xx, bad configuration, missing secret)
   * @throws RetryableError - still failing after the retries
   */
  async send(
    name: string,
    channel: ChannelConfig,
    message: NotificationMessage,
    thread?: ThreadRef,
  ): Promise<SentMessage | undefined> {
    const render = this.renderers ?? (await realRenderers());
    const perSecond = channel.rateLimit?.perSecond ?? DEFAULT_PER_SECOND[channel.type];
    switch (channel.type) {
      case 'slack': {
        if (channel.token) return this.slackBot(name, channel, message, thread, render, perSecond);
        if (!channel.webhook) throw new PermanentError(`channel ${name}: Slack needs a webhook or a token`);
        const url = await this.secrets.get(channel.webhook);
        // Incoming webhooks answer the text "ok", and 4xx with a reason text when they refuse.
        await this.poster.post({ channel: name, url, body: render.renderSlack(message, {}), perSecond });
        return undefined;
      }
      case 'teams':
      case 'discord':
      case 'google-chat': {
        const url = await this.secrets.get(channel.webhook);
        await this.poster.post({
          channel: name,
          url,
          body: render.renderFor(channel.type, message),
          perSecond,
        });
        return undefined;
      }
      case 'webhook': {
        const [url, secret] = await Promise.all([
          this.secrets.get(channel.url),
          this.secrets.get(channel.signingSecret),
        ]);
        // The signature covers these exact bytes, so the body is sent as this string.
        const body = JSON.stringify(render.renderWebhook(message));
        const headers = render.signWebhook(body, secret, Math.floor(this.now() / 1000));
        await this.poster.post({ channel: name, url, body, headers, perSecond, secrets: [secret] });
        return undefined;
      }
      case 'sns':
        await this.publish(name, channel.topicArn, message, render);
        return undefined;
      default:
        return assertNever(channel);
    }
  }

  /** chat.postMessage (a reply when threaded), then the first message updated with an outcome. */
  private async slackBot(
    name: string,
    channel: Extract<ChannelConfig, { type: 'slack' }>,
    message: NotificationMessage,
    thread: ThreadRef | undefined,
    render: ChatRenderers,
    perSecond: number | undefined,
  ): Promise<SentMessage> {
    if (!channel.token) throw new PermanentError(`channel ${name}: no Slack token configured`);
    // A thread's ts only exists in the channel its first message was posted to.
    const target = thread?.channelId ?? channel.channel;
    if (!target) throw new PermanentError(`channel ${name}: a Slack bot token needs a channel id`);
    const token = await this.secrets.get(channel.token);
    const api = (channel.apiUrl ?? SLACK_API).replace(/\/+$/, '');
    const call = (method: string, body: unknown) =>
      this.poster.post({
        channel: name,
        url: `${api}/${method}`,
        body,
        headers: { authorization: `Bearer ${token}` },
        perSecond,
        secrets: [token],
        interpret: slackVerdict,
      });

    const posted = await call(
      'chat.postMessage',
      render.renderSlack(message, { channel: target, threadTs: thread?.ts }),
    );
    const answer = asRecord(posted.body);
    const sent: SentMessage = {
      ts: typeof answer.ts === 'string' ? answer.ts : undefined,
      channelId: typeof answer.channel === 'string' ? answer.channel : target,
    };

    if (thread?.ts && message.severity !== 'info') {
      const update = {
        ...asRecord(render.renderSlackOutcome(thread.first, message)),
        channel: target,
        ts: thread.ts,
      };
      try {
        await call('chat.update', update);
      } catch (error) {
        // The reply is posted: failing the send now would post it again on the retry. The outcome
        // stays visible in the thread; only the first message's summary is stale.
        logger.warn('could not update the first message of a Slack thread', {
          channel: name,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    return sent;
  }

  /** SNS Publish; on FIFO topics grouped by deployment thread and deduplicated by event id. */
  private async publish(
    name: string,
    topicArn: string,
    message: NotificationMessage,
    render: ChatRenderers,
  ): Promise<void> {
    const fifo = topicArn.endsWith('.fifo');
    this.snsClient ??= cachedClient('sns', () => new SNSClient(clientConfig()));
    try {
      await this.snsClient.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: JSON.stringify(render.renderSnsChatbot(message)),
          ...(fifo
            ? {
                MessageGroupId: (message.threadKey ?? 'autopilot').slice(0, SNS_ID_LENGTH),
                MessageDeduplicationId: message.id.slice(0, SNS_ID_LENGTH),
              }
            : {}),
        }),
      );
    } catch (error) {
      throw classifyAwsError(error, `channel ${name}: SNS Publish`, SNS_PERMANENT);
    }
  }
}

/** Slack's Web API answers HTTP 200 with `{ ok: false, error }` when it refuses. */
function slackVerdict(response: PostResponse): Verdict {
  const body = asRecord(response.body);
  if (body.ok === true) return { ok: true };
  // Error codes are snake_case words; anything else is not echoed.
  const code =
    typeof body.error === 'string' && /^[a-z_]{1,64}$/.test(body.error) ? body.error : 'unknown_error';
  return SLACK_TRANSIENT.has(code) ? { retry: `Slack error ${code}` } : { permanent: `Slack error ${code}` };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

let loaded: Promise<ChatRenderers> | undefined;

/** The real renderers, loaded on first use so that tests injecting their own never load them. */
function realRenderers(): Promise<ChatRenderers> {
  // require, not import(): under the CLI (tsx, CommonJS) a dynamic import goes through Node's ESM
  // loader, which resolves neither folders nor .ts files; esbuild bundles either the same way.
  loaded ??= Promise.resolve().then(
    (): ChatRenderers => require('../../domain/notify/render') as typeof import('../../domain/notify/render'),
  );
  return loaded;
}
