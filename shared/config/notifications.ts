/**
 * The `notifications` section of the policy file: channels by name, routes, aggregation. Webhook
 * URLs, tokens and signing secrets are never written here: they are references to an SSM
 * SecureString parameter or a Secrets Manager secret, read at run time through Powertools Parameters.
 */
import * as z from 'zod/mini';
import '../zod-messages';
import { SEVERITIES } from '../domain/notify/message';
import { globMatches } from '../domain/notify/route';
import { durationPattern, parseDuration } from '../domain/policy/duration';
import { compileGlob, globMatch, isGlob, MAX_GLOB_LENGTH } from '../domain/policy/glob';
import { AutopilotEventSchemas } from '../events/autopilot-events';

/** Aggregation windows are seconds, minutes or hours: a window of days would hold alerts for days. */
const WINDOW_DURATION = durationPattern(['s', 'm', 'h']);
/** The longest aggregation window: a day. */
const MAX_WINDOW_MS = 24 * 3_600_000;

/** What the `notifications` section may hold: far above any real one (see `POLICY_FILE_LIMITS`). */
export const NOTIFICATION_LIMITS = {
  channels: 100,
  routes: 200,
  /** channels of a route, `default` and `always`; globs of a route filter; tags of a route */
  listed: 50,
} as const;

/**
 * A glob: its syntax checked here, so that what validates is what matches (in linear time,
 * `domain/policy/glob.ts`).
 */
export const GlobSchema = z.string().check(
  z.minLength(1, { message: 'invalid glob: a glob cannot be empty' }),
  z.maxLength(MAX_GLOB_LENGTH, { message: `invalid glob: a glob is at most ${MAX_GLOB_LENGTH} characters` }),
  z.superRefine((glob, ctx) => {
    // Not aborting on the length (a union would then hide the reason): the length was told above.
    if (glob.length === 0 || glob.length > MAX_GLOB_LENGTH) return;
    const compiled = compileGlob(glob);
    if (!compiled.ok) ctx.addIssue({ code: 'custom', message: `invalid glob: ${compiled.reason}` });
  }),
);

/**
 * Where a secret value lives. `key` picks a field of a JSON secret. The notifier may read only the
 * parameters under `/autopilot/` and the secrets named `autopilot/...` (its IAM role says so), so
 * references elsewhere are refused here, at deploy time, rather than failing at the first message.
 */
export const SecretRefSchema = z.union([
  z.strictObject({
    ssm: z.string().check(
      z.regex(/^\/autopilot\/[A-Za-z0-9_.\-/]{1,1000}$/, {
        message: 'expected an SSM parameter under /autopilot/, e.g. /autopilot/slack/platform-webhook',
      }),
      z.describe('SSM SecureString parameter under /autopilot/'),
    ),
  }),
  z.strictObject({
    secretsManager: z.string().check(
      z.regex(
        /^(autopilot\/[A-Za-z0-9_.+=@\-/]+|arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:autopilot\/.+)$/,
        {
          message: 'expected a secret named autopilot/... (or its ARN)',
        },
      ),
      z.describe('Secrets Manager secret named autopilot/... (or its ARN)'),
    ),
    key: z.optional(z.string().check(z.minLength(1))).check(z.describe('field of a JSON secret')),
  }),
]);

export type SecretRef = z.infer<typeof SecretRefSchema>;

const RateLimitSchema = z
  .strictObject({
    perSecond: z.number().check(z.positive(), z.lte(100)),
  })
  .check(
    z.describe('messages per second to this channel (defaults: Slack 1, Teams 1, Discord 5, Google Chat 1)'),
  );

const common = {
  description: z.optional(z.string().check(z.maxLength(1000))),
  rateLimit: z.optional(RateLimitSchema),
};

/** A Slack incoming webhook, or a bot token that threads a deployment's messages. */
export const SlackChannelSchema = z
  .strictObject({
    type: z.literal('slack'),
    webhook: z.optional(SecretRefSchema).check(z.describe('incoming webhook URL')),
    token: z
      .optional(SecretRefSchema)
      .check(z.describe('bot token (xoxb-...), for chat.postMessage and threads')),
    channel: z
      .optional(z.string().check(z.minLength(1), z.maxLength(255)))
      .check(z.describe('channel id for the bot token, e.g. C0123456789')),
    apiUrl: z
      .optional(
        z.url().check(
          z.refine((u) => /^(https:\/\/|http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/)/.test(u), {
            message: 'expected an https URL (http only for 127.0.0.1)',
          }),
        ),
      )
      .check(z.describe('Slack Web API base, default https://slack.com/api')),
    ...common,
  })
  .check(
    z.superRefine((c, ctx) => {
      if (!c.webhook === !c.token)
        ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'give either webhook or token' });
      if (c.token && !c.channel)
        ctx.addIssue({ code: 'custom', path: ['channel'], message: 'a bot token needs a channel id' });
    }),
  );

/** A channel of `type` that is one webhook URL, a secret. */
const webhookChannel = <Type extends string>(type: Type) =>
  z.strictObject({
    type: z.literal(type),
    webhook: SecretRefSchema,
    ...common,
  });

/** A Microsoft Teams Workflows (Power Automate) webhook; messages are Adaptive Cards. */
export const TeamsChannelSchema = webhookChannel('teams');

/** A Discord webhook; messages are embeds. */
export const DiscordChannelSchema = webhookChannel('discord');

/** A Google Chat space webhook; messages are cards. */
export const GoogleChatChannelSchema = webhookChannel('google-chat');

/** Any HTTPS endpoint: JSON body signed with HMAC-SHA256 (see README, "Signed webhooks"). */
export const WebhookChannelSchema = z.strictObject({
  type: z.literal('webhook'),
  url: SecretRefSchema,
  signingSecret: SecretRefSchema,
  ...common,
});

/** An SNS topic, in the AWS Chatbot / Amazon Q Developer custom notification format. */
export const SnsChannelSchema = z.strictObject({
  type: z.literal('sns'),
  topicArn: z.string().check(
    z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:autopilot-[A-Za-z0-9_-]{1,246}(\.fifo)?$/, {
      message: 'expected the ARN of an SNS topic named autopilot-... (the notifier may publish only there)',
    }),
  ),
  ...common,
});

export const ChannelSchema = z.discriminatedUnion('type', [
  SlackChannelSchema,
  TeamsChannelSchema,
  DiscordChannelSchema,
  GoogleChatChannelSchema,
  WebhookChannelSchema,
  SnsChannelSchema,
]);

export type ChannelConfig = z.infer<typeof ChannelSchema>;
export type ChannelType = ChannelConfig['type'];

const GlobList = z.array(GlobSchema).check(z.minLength(1), z.maxLength(NOTIFICATION_LIMITS.listed));
const ChannelList = z
  .array(z.string().check(z.minLength(1), z.maxLength(64)))
  .check(z.maxLength(NOTIFICATION_LIMITS.listed));

/**
 * Why an entry of a route's `events` can never match, or undefined when it names or globs at least
 * one published event type. The published types are the keys of `AutopilotEventSchemas`, so a new
 * event is accepted as soon as it is published: a misspelt name, a wrong case or a glob that
 * matches nothing would otherwise validate and silently drop alerts.
 */
function unknownEvent(entry: string): string | undefined {
  const published = Object.keys(AutopilotEventSchemas);
  if (published.some((type) => globMatches(type, entry))) return undefined;
  const expected = `expected one of: ${published.join(', ')}`;
  if (isGlob(entry)) {
    const caseOnly = published.some((type) => globMatch(entry, type, { ignoreCase: true }));
    const hint = caseOnly ? ' (it would, ignoring case: names are case-sensitive)' : '';
    return `"${entry}" matches no event${hint}; ${expected}`;
  }
  const meant = published.find((type) => type.toLowerCase() === entry.toLowerCase());
  const hint = meant ? ` (did you mean "${meant}"? names are case-sensitive)` : '';
  return `unknown event "${entry}"${hint}; ${expected}`;
}

const EventList = GlobList.check(
  z.superRefine((events, ctx) => {
    events.forEach((entry, i) => {
      if (!compileGlob(entry).ok) return;
      const problem = unknownEvent(entry);
      if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
    });
  }),
);

/**
 * Which events go to which channels. The routes are checked in order; every route whose filters all
 * match adds its channels (a route without filters matches every event), until a matching route
 * with `stop: true`. See `routeMessage` in `domain/notify/route.ts`.
 */
export const RouteSchema = z.strictObject(
  {
    events: z
      .optional(EventList)
      .check(
        z.describe(
          'event types (detail-types, case-sensitive) or globs, e.g. "Deployment *"; each must name or match an event autopilot publishes',
        ),
      ),
    severity: z.optional(z.array(z.enum(SEVERITIES as [string, ...string[]])).check(z.minLength(1))),
    clusters: z.optional(GlobList).check(z.describe('cluster names (globs)')),
    services: z.optional(GlobList).check(z.describe('service names or cluster/service (globs)')),
    tags: z
      .optional(
        z
          .record(
            z.string().check(z.minLength(1), z.maxLength(128)),
            z.union([
              z.string().check(z.maxLength(256)),
              z
                .array(z.string().check(z.maxLength(256)))
                .check(z.minLength(1), z.maxLength(NOTIFICATION_LIMITS.listed)),
            ]),
          )
          .check(
            z.refine((tags) => Object.keys(tags).length <= NOTIFICATION_LIMITS.listed, {
              message: `at most ${NOTIFICATION_LIMITS.listed} tags`,
            }),
          ),
      )
      .check(z.describe('service tags that must all match, e.g. { team: payments }')),
    channels: ChannelList.check(z.minLength(1)),
    stop: z
      .optional(z.boolean())
      .check(
        z.describe(
          'when this route matches, the routes after it are not checked (first match wins from here); default false: every matching route adds its channels',
        ),
      ),
  },
  {
    // Alertmanager users reach for `continue`: say what to write instead.
    error: (issue) =>
      issue.code === 'unrecognized_keys' && issue.keys.includes('continue')
        ? `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.map((k) => `"${k}"`).join(', ')} (routes here continue by default: every matching route adds its channels; \`stop: true\` ends the routing at a route)`
        : undefined,
  },
);

export type Route = z.infer<typeof RouteSchema>;

export const NotificationsSchema = z
  .strictObject({
    channels: z._default(z.record(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,64}$/)), ChannelSchema), {}),
    routes: z
      ._default(z.array(RouteSchema).check(z.maxLength(NOTIFICATION_LIMITS.routes)), [])
      .check(
        z.describe('checked in order: every matching route adds its channels, until one with stop: true'),
      ),
    default: z
      ._default(ChannelList, [])
      .check(z.describe('channels for the events no route matches (none when a route matched)')),
    always: z
      ._default(ChannelList, [])
      .check(
        z.describe(
          'channels that get every event, besides those the routes or default pick (e.g. an audit log); they do not count as a route match',
        ),
      ),
    aggregate: z._default(
      z.strictObject({
        window: z._default(
          z.string().check(
            z.regex(WINDOW_DURATION, { message: 'expected a duration like 30s, 1m or 1h' }),
            z.refine(
              (w) => {
                const ms = parseDuration(w) ?? 0;
                return ms >= 1000 && ms <= MAX_WINDOW_MS;
              },
              { message: 'expected a window from 1s to 24h' },
            ),
          ),
          '1m',
        ),
        after: z
          ._default(z.number().check(z.int(), z.gte(1), z.lte(1000)), 3)
          .check(z.describe('similar events sent one by one per window before the rest are summarised')),
      }),
      { window: '1m', after: 3 },
    ),
  })
  .check(
    z.superRefine((n, ctx) => {
      const channelCount = Object.keys(n.channels).length;
      if (channelCount > NOTIFICATION_LIMITS.channels) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels'],
          message: `at most ${NOTIFICATION_LIMITS.channels} channels, got ${channelCount}`,
        });
      }
      const check = (names: readonly string[], path: (string | number)[]) => {
        names.forEach((name, i) => {
          if (!Object.hasOwn(n.channels, name))
            ctx.addIssue({ code: 'custom', path: [...path, i], message: `unknown channel "${name}"` });
        });
      };
      n.routes.forEach((r, i) => {
        check(r.channels, ['routes', i, 'channels']);
      });
      check(n.default, ['default']);
      check(n.always, ['always']);
    }),
  );

export type Notifications = z.infer<typeof NotificationsSchema>;
