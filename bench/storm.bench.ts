/**
 * A storm: 1,000 autopilot events within one minute through the notifier, on its real adapters (the
 * aggregation windows in dynalite, the channels' secrets in the local Parameter Store and Secrets
 * Manager, every channel type posted over HTTP to the sandbox's chat sink, SNS for AWS Chatbot) with
 * the sandbox's policy file (sandbox/autopilot.yml: six channels, routes by event type and by team
 * tag, `aggregate: { window: 10s, after: 3 }`). Time is a {@link VirtualClock}: the events are a minute
 * apart in event time whatever the machine's speed, the flush schedule runs every minute of it, and
 * the chat channels' paces and rate limits are waited out on it, so the counts do not depend on the
 * machine. The service tags come from a table (what DescribeServices would answer), not ECS.
 *
 * The promise it holds the notifier to, per channel, window of event time and group: at most `after`
 * messages one by one, one summary when more came, and at most one late summary for the events that
 * came after the window was closed (the notifier falls behind event time in a storm); every event
 * sent, or held and counted in exactly one summary that went out.
 */

import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CHAT_CHANNEL, SLACK_BOT_TOKEN, seedChatChannels, WEBHOOK_SIGNING_SECRET } from '../sandbox/account';
import { type ChatKind, startChatSink } from '../sandbox/chat-sink';
import { mulberry32 } from '../sandbox/control-plane/random';
import { startRuntime } from '../sandbox/runtime';
import { DeadLetterQueue } from '../shared/adapters/aws/dead-letter-queue';
import { HttpChatSender } from '../shared/adapters/chat/chat-sender';
import { HttpPoster, newPosterState } from '../shared/adapters/chat/http-poster';
import { DeadLetterUndeliveredSink } from '../shared/adapters/compose-notify';
import { ParametersSecretSource } from '../shared/adapters/secrets/parameters-secret-source';
import { DynamoNotificationStore } from '../shared/adapters/state/dynamo-notification-store';
import { loadPolicyFile } from '../shared/config/policy-file';
import { describeEvent } from '../shared/domain/notify/describe-event';
import {
  type BusEvent,
  flushWindows,
  type NotifyDecision,
  type NotifyDeps,
  notifyEvent,
} from '../shared/domain/notify/notify';
import { groupKeyOf, windowAt, windowMsOf } from '../shared/domain/notify/notify-plan';
import { routeMessage } from '../shared/domain/notify/route';
import type { ChatSender, NotificationStore } from '../shared/ports';
import type { Bench, BenchReport, CountGoal } from './report';
import { autopilotSamples, withService } from './support/autopilot-events';
import { VirtualClock } from './support/virtual-clock';

const ROOT = resolve(__dirname, '..');
const POLICY_FILE = resolve(ROOT, 'sandbox', 'autopilot.yml');
const MINUTE = 60_000;
/** serverless.yml's notifyFlushRate */
const FLUSH_EVERY_MS = MINUTE;
const CLUSTERS = ['prod', 'staging', 'batch'];
const SERVICES_PER_CLUSTER = 8;
/**
 * What a storm is made of (detail-type: weight): a mass deploy (started, succeeded), a bad image
 * rolled back and quarantined on many services, and a little of everything else.
 */
const MIX: [string, number][] = [
  ['Deployment Started', 35],
  ['Deployment Succeeded', 20],
  ['Deployment Rolled Back', 15],
  ['Image Quarantined', 10],
  ['Action Failed', 6],
  ['Configuration Problem', 6],
  ['Deployment Scheduled', 5],
  ['Rollback Failed', 3],
];

/** The entry of `weighted` that `r` in [0, 1) falls on. */
function pick(weighted: [string, number][], r: number): string {
  const total = weighted.reduce((sum, [, w]) => sum + w, 0);
  let at = r * total;
  for (const [value, weight] of weighted) {
    if (at < weight) return value;
    at -= weight;
  }
  return weighted[weighted.length - 1]?.[0] ?? '';
}

/** Services whose `team` tag is `payments`: the route to Teams. */
const PAYMENTS = new Set(['prod/svc-0', 'prod/svc-1', 'staging/svc-0']);
/** The service's tags, as DescribeServices would answer them. */
const tagsFor = (cluster: string, service: string): Record<string, string> =>
  PAYMENTS.has(`${cluster}/${service}`) ? { team: 'payments' } : {};
/** The chat sink's kind of each channel of sandbox/autopilot.yml. */
const SINK_KIND: Record<string, ChatKind> = {
  'platform-slack': 'slack',
  'platform-teams': 'teams',
  'platform-discord': 'discord',
  'sre-google-chat': 'google-chat',
  'audit-webhook': 'webhook',
  chatbot: 'sns',
};

/** A summary the channel took: its window (channel, start, group), how many it told, and whether late. */
interface SentSummary {
  key: string;
  count: number;
  late: boolean;
}

/** The sender, with the summaries each channel took (their counts tell what each told). */
function recordingSummaries(sender: ChatSender, sent: SentSummary[]): ChatSender {
  return {
    async send(name, channel, message, thread) {
      const answer = await sender.send(name, channel, message, thread);
      if (message.aggregate)
        sent.push({
          key: `${name}|${message.aggregate.windowStart}|${groupKeyOf(message)}`,
          count: message.aggregate.count,
          late: message.id.includes(':late:'),
        });
      return answer;
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

export const bench: Bench = async ({ short, log }): Promise<BenchReport> => {
  const count = short ? 250 : 1000;
  const stormStart = Math.ceil(Date.now() / MINUTE) * MINUTE + 10 * MINUTE;
  // Event time starts an hour before the storm: the warm-up and the single events of the baseline.
  const clock = new VirtualClock(stormStart - 60 * MINUTE);
  const runtime = await startRuntime({
    root: ROOT,
    endpoints: { ecs: 'http://127.0.0.1:9', ecr: 'http://127.0.0.1:9' },
    policyFile: POLICY_FILE,
    schedules: false,
    // The notifier is called here, with this clock; nothing is delivered through the bus.
    invoke: async () => undefined,
  });
  const chat = await startChatSink({
    slackToken: SLACK_BOT_TOKEN,
    signingSecrets: { [CHAT_CHANNEL]: WEBHOOK_SIGNING_SECRET },
    now: clock.now,
  });
  try {
    seedChatChannels(runtime, chat);
    const notifications = loadPolicyFile(POLICY_FILE).notifications;
    const told: SentSummary[] = [];
    const store: NotificationStore = new DynamoNotificationStore(runtime.dynamo.tableName);
    const deps: NotifyDeps = {
      notifications,
      sender: recordingSummaries(
        new HttpChatSender({
          secrets: new ParametersSecretSource(),
          poster: new HttpPoster({
            allowLoopback: true,
            now: clock.now,
            sleep: clock.sleep,
            state: newPosterState(),
          }),
          now: clock.now,
        }),
        told,
      ),
      store,
      undelivered: new DeadLetterUndeliveredSink(new DeadLetterQueue(runtime.dlq.url)),
      tagsOf: async (cluster, service) => tagsFor(cluster, service),
      dryRun: false,
      now: clock.date,
    };
    const samples = new Map(autopilotSamples().map((sample) => [sample['detail-type'], sample]));
    const random = mulberry32(12);
    const eventAt = (n: number, at: number): BusEvent => {
      const type = pick(MIX, random());
      const sample = samples.get(type);
      if (!sample) throw new Error(`no sample of ${type} in events/`);
      // Most of a storm is one cluster: a mass deploy in prod, and what goes wrong with it.
      const cluster = random() < 0.7 ? 'prod' : (CLUSTERS[1 + (n % (CLUSTERS.length - 1))] as string);
      const service = `svc-${Math.floor(random() * SERVICES_PER_CLUSTER)}`;
      return withService(sample, { cluster, service, id: `storm-${n}`, time: at });
    };

    // Warm-up (not measured): the secrets are fetched and the connections opened once.
    const windowMs = windowMsOf(notifications);
    let n = 0;
    for (; n < 3; n++) {
      clock.advanceTo(stormStart - 60 * MINUTE + n * windowMs);
      await notifyEvent(eventAt(n, clock.now()), deps);
    }
    // The baseline: one event alone in its window, a minute of event time apart.
    const single: number[] = [];
    for (let i = 0; i < (short ? 5 : 15); i++, n++) {
      clock.advanceTo(stormStart - 50 * MINUTE + i * MINUTE);
      const started = performance.now();
      await notifyEvent(eventAt(n, clock.now()), deps);
      single.push(performance.now() - started);
    }
    clock.advanceTo(stormStart - MINUTE);
    await flushWindows(deps);
    told.length = 0;
    const sinkBefore = chat.messages().length;
    log(`baseline: ${single.length} single events, median ${median(single).toFixed(1)} ms`);

    // The storm: `count` events spread evenly over one minute of event time, one at a time (the
    // function has reserved concurrency 1); the flush schedule fires whenever its minute has come.
    const storm = Array.from({ length: count }, (_, i) =>
      eventAt(n + i, stormStart + Math.floor((i * MINUTE) / count)),
    );
    const decisions = new Map<string, NotifyDecision[]>();
    const summaries: NotifyDecision[] = [];
    let flushes = 0;
    let nextFlush = stormStart + FLUSH_EVERY_MS;
    const flush = async () => {
      const sent = await flushWindows(deps);
      summaries.push(...sent);
      flushes++;
      return sent;
    };
    const started = performance.now();
    for (const [i, event] of storm.entries()) {
      clock.advanceTo(Date.parse(event.time));
      while (clock.now() >= nextFlush) {
        await flush();
        nextFlush += FLUSH_EVERY_MS;
      }
      decisions.set(event.id, await notifyEvent(event, deps));
      if ((i + 1) % 250 === 0) log(`${i + 1} of ${count} events`);
    }
    // After the last window ended, the schedule flushes what is left, minute after minute until no
    // window has anything left to tell (late events are told once a flush finds no new one).
    nextFlush = Math.max(nextFlush, stormStart + MINUTE + windowMs);
    for (let quiet = false; !quiet; nextFlush += FLUSH_EVERY_MS) {
      clock.advanceTo(Math.max(clock.now(), nextFlush));
      await flush();
      quiet = (await store.listEndedWindows(clock.date())).length === 0;
    }
    const wall = performance.now() - started;
    const drainedAt = clock.now();

    // What the policy promises per channel: in each window and group (event type, cluster,
    // severity), at most `after` messages, one summary when more arrived, and at most one late summary.
    const { after } = notifications.aggregate;
    const groups = new Map<string, { channel: string; events: string[] }>();
    const groupOf = (channel: string, event: BusEvent) => {
      const message = describeEvent({ ...event, detailType: event['detail-type'] });
      return `${channel}|${windowAt(new Date(message.at), windowMs).start}|${groupKeyOf(message)}`;
    };
    for (const event of storm) {
      const message = describeEvent({ ...event, detailType: event['detail-type'] });
      const tags = tagsFor(message.cluster ?? '', message.service ?? '');
      for (const channel of routeMessage(message, notifications, tags)) {
        const key = groupOf(channel, event);
        const group = groups.get(key) ?? { channel, events: [] };
        group.events.push(event.id);
        groups.set(key, group);
      }
    }
    // What the summaries that went out told, by window, and how many late summaries each window got.
    const summarised = new Map<string, number>();
    const lateSummaries = new Map<string, number>();
    for (const summary of told) {
      summarised.set(summary.key, (summarised.get(summary.key) ?? 0) + summary.count);
      if (summary.late) lateSummaries.set(summary.key, (lateSummaries.get(summary.key) ?? 0) + 1);
    }
    const heldIn = new Map<string, number>();
    for (const event of storm)
      for (const d of decisions.get(event.id) ?? [])
        if (d.action === 'held') {
          const key = groupOf(d.channel, event);
          heldIn.set(key, (heldIn.get(key) ?? 0) + 1);
        }
    // Sent, or held and told exactly once: the summaries of its window told as many as it held.
    const accounted = storm.filter((event) => {
      const own = decisions.get(event.id) ?? [];
      return (
        own.length > 0 &&
        own.every(
          (d) =>
            d.action === 'sent' ||
            (d.action === 'held' &&
              summarised.get(groupOf(d.channel, event)) === heldIn.get(groupOf(d.channel, event))),
        )
      );
    }).length;

    const sink = chat.messages().slice(sinkBefore);
    const channels = Object.keys(notifications.channels).sort();
    const rows = channels.map((channel) => {
      const own = [...decisions.values()].flat().filter((d) => d.channel === channel);
      const mine = [...groups.values()].filter((g) => g.channel === channel);
      const promised = mine.reduce(
        (sum, g) => sum + Math.min(g.events.length, after) + (g.events.length > after ? 1 : 0),
        0,
      );
      // A late summary is promised, at most one, to a window whose late events got one.
      const late = [...lateSummaries.entries()].filter(([key]) => key.startsWith(`${channel}|`));
      const received = sink.filter((m) => m.kind === SINK_KIND[channel]);
      return {
        channel,
        routed: own.length,
        sent: own.filter((d) => d.action === 'sent').length,
        held: own.filter((d) => d.action === 'held').length,
        parked: own.filter((d) => d.action === 'parked').length,
        summaries: summaries.filter((d) => d.channel === channel && d.action === 'sent').length,
        lateSummaries: late.reduce((sum, [, n]) => sum + n, 0),
        lateWindows: late.length,
        groups: mine.length,
        accepted: received.filter((m) => m.status < 300).length,
        refused: received.filter((m) => m.status >= 300).length,
        promised: promised + late.length,
      };
    });
    const perEvent = wall / count;
    const goals: CountGoal[] = [
      {
        goal: `storm, ${count} events in a minute: events not accounted for (sent, or held and summarised)`,
        actual: count - accounted,
        limit: 0,
      },
      ...rows.map((r) => ({
        goal: `storm, ${count} events: messages to ${r.channel} (limit: what aggregation promises)`,
        actual: r.sent + r.summaries,
        limit: r.promised,
      })),
      {
        goal: `storm, ${count} events: windows told in more than one late summary`,
        actual: [...lateSummaries.values()].filter((n) => n > 1).length,
        limit: 0,
      },
      {
        goal: `storm, ${count} events: messages the notifier counts as sent that the chat sink did not accept`,
        actual: rows.reduce((sum, r) => sum + Math.max(0, r.sent + r.summaries - r.accepted), 0),
        limit: 0,
      },
    ];
    return {
      name: 'storm',
      title: 'Storm: 1,000 autopilot events in a minute through the notifier',
      description: [
        `${count} autopilot events (the eight published types, mostly a mass deploy in one cluster and rollbacks, quarantines after it: ${MIX.map(([type, weight]) => `${type} ${weight}%`).join(', ')}; ${CLUSTERS.length} clusters, 70% prod, ${CLUSTERS.length * SERVICES_PER_CLUSTER} services) spread over one minute of event time, notified one at a time by the notifier's use cases on their real adapters: windows in dynalite, secrets in the local Parameter Store and Secrets Manager, messages over HTTP to the sandbox's chat sink (and SNS), with sandbox/autopilot.yml's routes and \`aggregate: { window: ${notifications.aggregate.window}, after: ${after} }\`.`,
        "Time is a clock the benchmark moves (event time, the flush schedule every minute, the channels' paces and rate limits), so the counts do not depend on the machine; only the wall ratio does.",
        '"Promised" is the policy\'s bound per channel: in each window and group (event type, cluster, severity) at most `after` messages, one summary if more arrived, and at most one late summary for the events that came after the window was closed (held, never sent one by one).',
      ].join(' '),
      tables: [
        {
          caption: 'Messages per channel',
          columns: [
            'channel',
            'events routed',
            'sent',
            'held',
            'parked',
            'summaries',
            'of them late',
            'windows × groups',
            'accepted by the sink',
            'refused (429…)',
            'promised at most',
          ],
          rows: rows.map((r) => [
            r.channel,
            r.routed,
            r.sent,
            r.held,
            r.parked,
            r.summaries,
            r.lateSummaries,
            r.groups,
            r.accepted,
            r.refused,
            r.promised,
          ]),
        },
        {
          caption: 'Events and time',
          columns: ['figure', 'value'],
          rows: [
            ['events in', count],
            ['events accounted for', accounted],
            [
              'windows closed before some of their events came (told in a late summary)',
              rows.reduce((sum, r) => sum + r.lateWindows, 0),
            ],
            ['flushes (one a minute of event time)', flushes],
            [
              "event time to drain the storm (s): the channels' paces",
              Math.round((drainedAt - stormStart) / 1000),
            ],
            ['wall per event in the storm / one event alone', perEvent / median(single)],
          ],
        },
      ],
      goals,
      notes: [
        `Wall: ${perEvent.toFixed(1)} ms per event in the storm, ${median(single).toFixed(1)} ms for one event alone (median of ${single.length}); held events post nothing (no chat request), so a storm's event costs no more than one alone.`,
        'The notifier falls behind event time (the paces), so the flush closes windows whose later events still wait: those are held (the window is remembered closed) and told in one late summary per window, sent once a flush finds no new late event since the previous one (docs/RELIABILITY.md, "Notify").',
        "Event time runs ahead of the events when the channels' paces (Slack, Teams, Google Chat one a second, Discord and the webhook five) hold the notifier up: the drain time above.",
      ],
    };
  } finally {
    await chat.close();
    await runtime.stop();
  }
};
