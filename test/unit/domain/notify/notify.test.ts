import {
  type ChannelConfig,
  type Notifications,
  NotificationsSchema,
} from '../../../../shared/config/notifications';
import { describeEvent, summarise } from '../../../../shared/domain/notify/describe-event';
import {
  type BusEvent,
  flushWindows,
  type NotifyDeps,
  notifyEvent,
  sendTestMessage,
} from '../../../../shared/domain/notify/notify';
import { notifyEffects } from '../../../../shared/domain/notify/notify-effects';
import {
  countedLate,
  NOTHING_SENT,
  type NotifyPlan,
  planFlush,
  planNotification,
  planTestMessage,
  windowAt,
} from '../../../../shared/domain/notify/notify-plan';
import { applyPlan } from '../../../../shared/domain/plan/plan';
import type { ChatSender } from '../../../../shared/ports';
import { autopilotDetail, autopilotSample } from '../../../support/autopilot-samples';
import {
  InMemoryNotificationStore,
  InMemoryUndeliveredSink,
  RecordingChatSender,
} from '../../../support/in-memory';
import { InMemoryServiceHistory } from '../../../support/in-memory-state';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const taskDefinition = (family: string, revision: number) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
const DIGEST = `sha256:${'4f'.repeat(32)}`;

let counter = 0;

/** An autopilot event as the bus delivers it. */
function busEvent(
  detailType: string,
  detail: Record<string, unknown>,
  time = '2026-11-23T10:00:05Z',
): BusEvent {
  counter += 1;
  return {
    id: `event-${counter}`,
    time,
    account: ACCOUNT,
    region: REGION,
    'detail-type': detailType,
    detail,
  };
}

function started(service: string, revision: number, time?: string): BusEvent {
  return busEvent(
    'Deployment Started',
    {
      cluster: 'prod',
      service,
      serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/${service}`,
      repository: `team/${service}`,
      tag: 'main',
      digest: DIGEST,
      image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/${service}@${DIGEST}`,
      containers: ['app'],
      fromTaskDefinition: taskDefinition(service, revision - 1),
      toTaskDefinition: taskDefinition(service, revision),
      reason: 'main moved to a new digest (tag:main)',
      dryRun: false,
      triggeredBy: 'push-event-1',
    },
    time,
  );
}

function succeeded(service: string, revision: number): BusEvent {
  return busEvent('Deployment Succeeded', {
    cluster: 'prod',
    service,
    serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/${service}`,
    taskDefinition: taskDefinition(service, revision),
    deploymentId: 'ecs-svc/1234567890123456789',
    bakedUntil: '2026-11-23T10:20:00.000Z',
    dryRun: false,
  });
}

function notifications(content: Record<string, unknown>): Notifications {
  return NotificationsSchema.parse(content);
}

const SLACK_BOT = { type: 'slack', token: { ssm: '/autopilot/slack-token' }, channel: 'C0123456789' };
const TEAMS = { type: 'teams', webhook: { ssm: '/autopilot/teams-webhook' } };

function world(content: Record<string, unknown>, options: { failing?: string[]; dryRun?: boolean } = {}) {
  const sender = new RecordingChatSender(new Set(options.failing ?? []));
  const store = new InMemoryNotificationStore();
  const undelivered = new InMemoryUndeliveredSink();
  const tagLookups: string[] = [];
  let now = new Date('2026-11-23T10:00:30Z');
  const history = new InMemoryServiceHistory();
  const deps: NotifyDeps = {
    notifications: notifications(content),
    sender,
    store,
    history,
    undelivered,
    tagsOf: async (cluster, service): Promise<Record<string, string>> => {
      tagLookups.push(`${cluster}/${service}`);
      return service === 'payments' ? { team: 'payments' } : {};
    },
    dryRun: options.dryRun ?? false,
    now: () => now,
  };
  return {
    deps,
    sender,
    store,
    history,
    undelivered,
    tagLookups,
    setNow: (iso: string) => {
      now = new Date(iso);
    },
  };
}

describe('notifyEvent: the history of a service', () => {
  it('keeps every event about a service with its reason, its cause and what each channel did', async () => {
    // Prepare
    const w = world({
      channels: { ops: TEAMS, quiet: TEAMS },
      routes: [{ events: ['Deployment Succeeded'], channels: ['quiet'] }],
      default: ['ops'],
    });

    const deploying = started('api', 8);

    // Act
    await notifyEvent(deploying, w.deps);
    await notifyEvent(succeeded('api', 8), w.deps);
    await notifyEvent(deploying, w.deps);

    // Assess
    const kept = await w.history.recent('prod', 'api', 10);
    expect(kept).toEqual([
      expect.objectContaining({ detailType: 'Deployment Succeeded', told: ['quiet: sent'] }),
      expect.objectContaining({
        detailType: 'Deployment Started',
        title: expect.stringContaining('prod/api deploying'),
        reason: expect.any(String),
        triggeredBy: expect.any(String),
        told: ['ops: sent'],
        dryRun: false,
      }),
    ]);
  });

  it('keeps nothing in a dry run, nor for an event that names no service', async () => {
    // Prepare
    const dry = world({ channels: { ops: TEAMS }, default: ['ops'] }, { dryRun: true });
    const real = world({ channels: { ops: TEAMS }, default: ['ops'] });

    // Act
    await notifyEvent(started('api', 8), dry.deps);
    await notifyEvent(
      busEvent('Tag Policy Summary', autopilotSample('Tag Policy Summary').detail),
      real.deps,
    );

    // Assess
    expect(await dry.history.recent('prod', 'api', 10)).toEqual([]);
    expect(await real.history.recent('prod', 'api', 10)).toEqual([]);
  });
});

describe('notifyEvent', () => {
  it('sends an event to the default channels when no route matches', async () => {
    // Prepare
    const w = world({ channels: { ops: TEAMS }, default: ['ops'] });

    // Act
    const decisions = await notifyEvent(started('api', 8), w.deps);

    // Assess
    expect(decisions).toEqual([
      { channel: 'ops', action: 'sent', reason: 'sent', title: expect.stringContaining('prod/api') },
    ]);
    expect(w.sender.sent).toEqual([
      expect.objectContaining({
        channel: 'ops',
        type: 'teams',
        message: expect.objectContaining({
          eventType: 'Deployment Started',
          cluster: 'prod',
          service: 'api',
        }),
      }),
    ]);
    expect(w.tagLookups).toEqual([]);
  });

  it("threads a deployment's outcome under its first message in a Slack bot channel", async () => {
    // Prepare
    const w = world({ channels: { deploys: SLACK_BOT }, default: ['deploys'] });
    await notifyEvent(started('api', 8), w.deps);

    // Act
    const decisions = await notifyEvent(succeeded('api', 8), w.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        channel: 'deploys',
        action: 'sent',
        reason: 'sent in the thread of its deployment',
      }),
    ]);
    const [first, outcome] = w.sender.sent;
    expect(first?.thread).toBeUndefined();
    expect(outcome?.thread).toEqual({
      ts: '1767261600.000001',
      channelId: 'C0123456789',
      first: first?.message,
    });
  });

  it('routes by the service tags, looked up only because a route needs them', async () => {
    // Prepare
    const w = world({
      channels: { payments: TEAMS, ops: TEAMS },
      routes: [{ tags: { team: 'payments' }, channels: ['payments'] }],
      default: ['ops'],
    });

    // Act
    const payments = await notifyEvent(started('payments', 3), w.deps);
    const api = await notifyEvent(started('api', 8), w.deps);

    // Assess
    expect(payments.map((d) => d.channel)).toEqual(['payments']);
    expect(api.map((d) => d.channel)).toEqual(['ops']);
    expect(w.tagLookups).toEqual(['prod/payments', 'prod/api']);
  });

  it("routes a tag policy event by the resource's own tags it carries, looking nothing up", async () => {
    // Prepare
    const w = world({
      channels: { payments: TEAMS, search: TEAMS, ops: TEAMS },
      routes: [
        { tags: { team: 'payments' }, channels: ['payments'] },
        { tags: { team: 'search' }, channels: ['search'] },
      ],
      default: ['ops'],
    });
    const service = { ...autopilotDetail('Tag Policy Violation'), tags: { team: 'payments' } };
    const repository = {
      ...autopilotDetail('Tag Policy Remediated'),
      resourceType: 'ecr:repository',
      resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/search`,
      name: 'team/search',
      cluster: undefined,
      tags: { team: 'search', owner: 'search' },
    };
    const untagged = { ...autopilotDetail('Tag Policy Violation'), name: 'payments', tags: {} };

    // Act
    const toService = await notifyEvent(busEvent('Tag Policy Violation', service), w.deps);
    const toRepository = await notifyEvent(busEvent('Tag Policy Remediated', repository), w.deps);
    const toNobody = await notifyEvent(busEvent('Tag Policy Violation', untagged), w.deps);

    // Assess
    expect(toService.map((d) => d.channel)).toEqual(['payments']);
    expect(toRepository.map((d) => d.channel)).toEqual(['search']);
    // prod/payments has team=payments when looked up; the event says the resource has no tags.
    expect(toNobody.map((d) => d.channel)).toEqual(['ops']);
    expect(w.tagLookups).toEqual([]);
  });

  it('parks the message of a channel that keeps failing and still sends to the others', async () => {
    // Prepare
    const w = world(
      { channels: { broken: TEAMS, ops: TEAMS }, default: ['broken', 'ops'] },
      { failing: ['broken'] },
    );

    // Act
    const decisions = await notifyEvent(started('api', 8), w.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        channel: 'broken',
        action: 'parked',
        reason: 'not delivered: channel broken: HTTP 503 after 4 attempts',
      }),
      expect.objectContaining({ channel: 'ops', action: 'sent' }),
    ]);
    expect(w.undelivered.parked).toEqual([
      {
        channel: 'broken',
        message: expect.objectContaining({ eventType: 'Deployment Started' }),
        error: 'channel broken: HTTP 503 after 4 attempts',
      },
    ]);
    expect(w.sender.sent.map((s) => s.channel)).toEqual(['ops']);
  });

  it('still tells people about an event type it has no formatter for yet', async () => {
    // Prepare
    const w = world({ channels: { ops: TEAMS }, default: ['ops'] });
    const restarted = busEvent('Task Restarted', {
      cluster: 'batch',
      group: 'family:nightly-report',
      reason: 'exit code 137, attempt 2 of 5',
      dryRun: false,
    });

    // Act
    const decisions = await notifyEvent(restarted, w.deps);

    // Assess
    expect(decisions).toEqual([expect.objectContaining({ channel: 'ops', action: 'sent' })]);
    expect(w.sender.sent[0]?.message).toMatchObject({ eventType: 'Task Restarted', cluster: 'batch' });
  });

  it('in dry run decides and reports but neither sends nor counts', async () => {
    // Prepare
    const w = world({ channels: { ops: TEAMS }, default: ['ops'] }, { dryRun: true });

    // Act
    const decisions = await notifyEvent(started('api', 8), w.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ channel: 'ops', action: 'would-send', reason: 'dry run: nothing sent' }),
    ]);
    expect(w.sender.sent).toEqual([]);
    expect(w.store.writes).toEqual([]);
    expect(await w.store.listEndedWindows(new Date('2030-01-01T00:00:00Z'))).toEqual([]);
  });

  it('reports an event that goes nowhere', async () => {
    // Prepare
    const w = world({});

    // Act
    const decisions = await notifyEvent(started('api', 8), w.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ channel: '-', action: 'ignore', reason: 'no route and no default channel' }),
    ]);
  });
});

describe('aggregation of storms', () => {
  const CONFIG = { channels: { ops: TEAMS }, default: ['ops'], aggregate: { window: '1m', after: 2 } };
  const storm = (n: number) =>
    Array.from({ length: n }, (_, i) => started(`svc-${i}`, 2, `2026-11-23T10:00:${String(10 + i)}Z`));

  it('sends the first similar events of a window one by one and holds the rest', async () => {
    // Prepare
    const w = world(CONFIG);

    // Act
    const decisions = [];
    for (const event of storm(5)) decisions.push(...(await notifyEvent(event, w.deps)));

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['sent', 'sent', 'held', 'held', 'held']);
    expect(decisions[2]?.reason).toBe(
      'similar event 3 in the window (more than 2): summarised after 2026-11-23T10:01:00.000Z',
    );
    expect(w.sender.sent).toHaveLength(2);
  });

  it('sends one summary with the count and examples once the window has ended, once', async () => {
    // Prepare
    const w = world(CONFIG);
    for (const event of storm(5)) await notifyEvent(event, w.deps);

    // Act
    w.setNow('2026-11-23T10:00:59Z');
    const early = await flushWindows(w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    const due = await flushWindows(w.deps);
    const again = await flushWindows(w.deps);

    // Assess
    expect(early).toEqual([]);
    expect(due).toEqual([expect.objectContaining({ channel: 'ops', action: 'sent' })]);
    expect(again).toEqual([]);
    const summary = w.sender.sent[2]?.message;
    expect(summary?.aggregate).toEqual({
      count: 3,
      examples: [
        expect.stringContaining('prod/svc-2'),
        expect.stringContaining('prod/svc-3'),
        expect.stringContaining('prod/svc-4'),
      ],
      windowStart: '2026-11-23T10:00:00.000Z',
      windowEnd: '2026-11-23T10:01:00.000Z',
    });
    expect(summary?.eventType).toBe('Deployment Started');
  });

  it('closes a window that held nothing back without a summary', async () => {
    // Prepare
    const w = world(CONFIG);
    for (const event of storm(2)) await notifyEvent(event, w.deps);
    w.setNow('2026-11-23T10:05:00Z');

    // Act
    const decisions = await flushWindows(w.deps);

    // Assess
    expect(decisions).toEqual([]);
    expect(await w.store.listEndedWindows(new Date('2030-01-01T00:00:00Z'))).toEqual([]);
    expect(w.sender.sent).toHaveLength(2);
  });

  it('holds the events of a window that come after its summary, and tells them in one late summary once they stop coming', async () => {
    // Prepare: a storm the notifier fell behind: its window was summarised while some of its events waited.
    const w = world(CONFIG);
    const [a, b, c, d, e, f, g] = storm(7);
    for (const event of [a, b, c, d, e]) await notifyEvent(event as BusEvent, w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    await flushWindows(w.deps);

    // Act: two late events, a flush, one more, a flush, then flushes that find no new one.
    const late = [
      ...(await notifyEvent(f as BusEvent, w.deps)),
      ...(await notifyEvent(g as BusEvent, w.deps)),
    ];
    w.setNow('2026-11-23T10:02:00Z');
    const whileArriving = await flushWindows(w.deps);
    const later = await notifyEvent(started('svc-9', 2, '2026-11-23T10:00:40Z'), w.deps);
    w.setNow('2026-11-23T10:03:00Z');
    const stillArriving = await flushWindows(w.deps);
    w.setNow('2026-11-23T10:04:00Z');
    const settled = await flushWindows(w.deps);
    w.setNow('2026-11-23T10:05:00Z');
    const after = await flushWindows(w.deps);

    // Assess
    expect([...late, ...later].map((decision) => [decision.action, decision.reason])).toEqual(
      Array.from({ length: 3 }, () => [
        'held',
        "arrived after its window (2026-11-23T10:00:00.000Z to 2026-11-23T10:01:00.000Z) was closed: told in the window's late summary",
      ]),
    );
    expect([whileArriving, stillArriving, after]).toEqual([[], [], []]);
    expect(settled).toEqual([expect.objectContaining({ channel: 'ops', action: 'sent' })]);
    // Two one by one, the summary of three, the late summary of three: each event told once.
    expect(w.sender.sent.map((sent) => sent.message.title)).toEqual([
      expect.stringContaining('prod/svc-0'),
      expect.stringContaining('prod/svc-1'),
      '3 more "Deployment Started" events in prod within 1m',
      '3 more "Deployment Started" events in prod within 1m, arrived late',
    ]);
    const lateSummary = w.sender.sent[3]?.message;
    expect(lateSummary?.id).toBe('summary:ops:Deployment Started|prod|info:2026-11-23T10:00:00.000Z:late:5');
    expect(lateSummary?.aggregate?.examples).toEqual([
      expect.stringContaining('prod/svc-5'),
      expect.stringContaining('prod/svc-6'),
      expect.stringContaining('prod/svc-9'),
    ]);
  });

  it('sends nothing one by one for a window once closed, even one that held nothing back', async () => {
    // Prepare
    const w = world(CONFIG);
    const [first, late] = storm(2);
    await notifyEvent(first as BusEvent, w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    await flushWindows(w.deps);

    // Act
    const decisions = await notifyEvent(late as BusEvent, w.deps);
    w.setNow('2026-11-23T10:02:00Z');
    await flushWindows(w.deps);
    w.setNow('2026-11-23T10:03:00Z');
    const settled = await flushWindows(w.deps);

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['held']);
    expect(settled).toHaveLength(1);
    expect(w.sender.sent.map((sent) => sent.message.title)).toEqual([
      expect.stringContaining('prod/svc-0'),
      '1 more "Deployment Started" event in prod within 1m, arrived late',
    ]);
  });

  it('counts a late event delivered twice once, in its late summary', async () => {
    // Prepare
    const w = world(CONFIG);
    const events = storm(4);
    for (const event of events.slice(0, 3)) await notifyEvent(event, w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    await flushWindows(w.deps);
    const late = events[3] as BusEvent;

    // Act
    const first = await notifyEvent(late, w.deps);
    const again = await notifyEvent(structuredClone(late), w.deps);
    w.setNow('2026-11-23T10:02:00Z');
    await flushWindows(w.deps);
    w.setNow('2026-11-23T10:03:00Z');
    await flushWindows(w.deps);

    // Assess
    expect([...first, ...again].map((d) => d.action)).toEqual(['held', 'held']);
    expect(w.sender.sent.map((sent) => sent.message.aggregate?.count ?? 0)).toEqual([0, 0, 1, 1]);
  });

  it('tells an event later still, after the late summary went out, in a late summary of its own: nothing is told twice or lost', async () => {
    // Prepare
    const w = world(CONFIG);
    const events = storm(5);
    for (const event of events.slice(0, 3)) await notifyEvent(event, w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    await flushWindows(w.deps);
    await notifyEvent(events[3] as BusEvent, w.deps);
    for (const at of ['2026-11-23T10:02:00Z', '2026-11-23T10:03:00Z']) {
      w.setNow(at);
      await flushWindows(w.deps);
    }

    // Act: a retry hours later.
    await notifyEvent(events[4] as BusEvent, w.deps);
    for (const at of ['2026-11-23T14:00:00Z', '2026-11-23T14:01:00Z', '2026-11-23T14:02:00Z']) {
      w.setNow(at);
      await flushWindows(w.deps);
    }

    // Assess
    expect(w.sender.sent.slice(2).map((sent) => [sent.message.id, sent.message.aggregate?.count])).toEqual([
      ['summary:ops:Deployment Started|prod|info:2026-11-23T10:00:00.000Z', 1],
      ['summary:ops:Deployment Started|prod|info:2026-11-23T10:00:00.000Z:late:3', 1],
      ['summary:ops:Deployment Started|prod|info:2026-11-23T10:00:00.000Z:late:4', 1],
    ]);
  });

  it('counts different event types and clusters apart', async () => {
    // Prepare
    const w = world(CONFIG);
    const events = [...storm(2), succeeded('svc-0', 2), succeeded('svc-1', 2), succeeded('svc-2', 2)];

    // Act
    const decisions = [];
    for (const event of events) decisions.push(...(await notifyEvent(event, w.deps)));

    // Assess
    expect(decisions.map((d) => d.action)).toEqual(['sent', 'sent', 'sent', 'sent', 'held']);
  });
});

describe('windowAt', () => {
  it('puts instants into fixed buckets every notifier agrees on', () => {
    // Prepare
    const minute = 60_000;

    // Act
    const windows = [
      windowAt(new Date('2026-11-23T10:00:00.000Z'), minute),
      windowAt(new Date('2026-11-23T10:00:59.999Z'), minute),
      windowAt(new Date('2026-11-23T10:01:00.000Z'), minute),
    ];

    // Assess
    expect(windows).toEqual([
      { start: '2026-11-23T10:00:00.000Z', end: '2026-11-23T10:01:00.000Z' },
      { start: '2026-11-23T10:00:00.000Z', end: '2026-11-23T10:01:00.000Z' },
      { start: '2026-11-23T10:01:00.000Z', end: '2026-11-23T10:02:00.000Z' },
    ]);
  });
});

describe('countedLate', () => {
  it('calls an event late only when it was counted past the count its window was closed at', () => {
    // Prepare
    const closed = { told: 5, atCount: 5, lateExamples: [] };

    // Act
    const answers = [countedLate(undefined, 9), countedLate(closed, 5), countedLate(closed, 6)];

    // Assess
    expect(answers).toEqual([false, false, true]);
  });
});

/** The message an event becomes, as planning describes it. */
const messageOf = (event: BusEvent) =>
  describeEvent({ ...event, detailType: event['detail-type'], detail: event.detail });

const WINDOW = { start: '2026-11-23T10:00:00.000Z', end: '2026-11-23T10:01:00.000Z' };
const GROUP = 'Deployment Started|prod|info';
/** A channel's configuration as the policy file holds it. */
function configOf(deps: NotifyDeps, channel: string): ChannelConfig {
  const config = deps.notifications.channels[channel];
  if (!config) throw new Error(`no channel ${channel} in the test's policy`);
  return config;
}

describe('planNotification', () => {
  it('plans, per channel, the admit into its window and the send that starts the thread', async () => {
    // Prepare
    const w = world({ channels: { ops: TEAMS }, default: ['ops'] });
    const event = started('api', 8);
    const message = messageOf(event);

    // Act
    const plan = await planNotification(event, w.deps);

    // Assess
    expect(plan).toEqual<NotifyPlan>({
      decisions: [{ channel: 'ops', action: 'would-send', reason: NOTHING_SENT, title: message.title }],
      effects: [
        {
          kind: 'admit',
          decision: 0,
          channel: 'ops',
          eventId: event.id,
          groupKey: GROUP,
          window: WINDOW,
          after: 3,
          example: message.title,
        },
        {
          kind: 'send',
          decision: 0,
          channel: 'ops',
          config: configOf(w.deps, 'ops'),
          message,
          placement: { as: 'first', threadKey: message.threadKey as string },
          ifUndelivered: 'park',
        },
        {
          kind: 'remember-thread',
          decision: 0,
          channel: 'ops',
          threadKey: message.threadKey as string,
          first: message,
        },
      ],
    });
  });

  it('plans a reply under the thread its deployment started in the channel, read while planning', async () => {
    // Prepare
    const w = world({ channels: { deploys: SLACK_BOT }, default: ['deploys'] });
    await notifyEvent(started('api', 8), w.deps);
    const thread = await w.store.getThread('deploys', messageOf(succeeded('api', 8)).threadKey as string);
    const event = succeeded('api', 8);

    // Act
    const plan = await planNotification(event, w.deps);

    // Assess
    expect(thread).toBeDefined();
    expect(plan.effects).toEqual([
      expect.objectContaining({ kind: 'admit', decision: 0, channel: 'deploys' }),
      expect.objectContaining({ kind: 'send', decision: 0, placement: { as: 'reply', thread } }),
    ]);
  });

  it("gives each channel its own decision and effects, which share nothing with the other channels'", async () => {
    // Prepare
    const w = world({ channels: { a: TEAMS, b: TEAMS }, default: ['a'], always: ['b'] });

    // Act
    const plan = await planNotification(busEvent('Task Restarted', { cluster: 'batch' }), w.deps);

    // Assess
    expect(plan.decisions.map((d) => `${d.action} ${d.channel}`)).toEqual(['would-send a', 'would-send b']);
    expect(plan.effects.map((e) => `${e.kind} ${'decision' in e ? e.decision : '-'}`)).toEqual([
      'admit 0',
      'send 0',
      'admit 1',
      'send 1',
    ]);
  });

  it('plans nothing to do for an event that goes nowhere', async () => {
    // Prepare
    const w = world({});
    const event = started('api', 8);

    // Act
    const plan = await planNotification(event, w.deps);

    // Assess
    expect(plan).toEqual<NotifyPlan>({
      decisions: [
        {
          channel: '-',
          action: 'ignore',
          reason: 'no route and no default channel',
          title: messageOf(event).title,
        },
      ],
      effects: [],
    });
  });

  it('writes nothing, sends nothing: planning only reads', async () => {
    // Prepare
    const w = world({
      channels: { deploys: SLACK_BOT, ops: TEAMS },
      routes: [{ tags: { team: 'payments' }, channels: ['deploys'] }],
      default: ['ops'],
    });
    await notifyEvent(started('payments', 3), w.deps);
    const seen = { writes: w.store.writes.length, sent: w.sender.sent.length };

    // Act
    for (let i = 0; i < 5; i++) await planNotification(succeeded('payments', 3), w.deps);

    // Assess
    expect(w.store.writes.slice(seen.writes)).toEqual([]);
    expect(w.sender.sent).toHaveLength(seen.sent);
    expect(w.undelivered.parked).toEqual([]);
  });
});

describe('planFlush', () => {
  const CONFIG = { channels: { ops: TEAMS }, default: ['ops'], aggregate: { window: '1m', after: 2 } };

  it('plans one summary per ended window that held messages back, each window closed after its summary', async () => {
    // Prepare
    const w = world(CONFIG);
    for (let i = 0; i < 4; i++) await notifyEvent(started(`svc-${i}`, 2, `2026-11-23T10:00:1${i}Z`), w.deps);
    await notifyEvent(succeeded('api', 2), w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    const [storm, quiet] = await w.store.listEndedWindows(w.deps.now());
    if (!storm || !quiet) throw new Error('two ended windows expected');
    const summary = summarise(
      { ...storm, count: 2 },
      {
        eventType: 'Deployment Started',
        severity: 'info',
        cluster: 'prod',
      },
    );

    // Act
    const plan = await planFlush(w.deps);

    // Assess
    expect(plan).toEqual<NotifyPlan>({
      decisions: [{ channel: 'ops', action: 'would-send', reason: NOTHING_SENT, title: summary.title }],
      effects: [
        {
          kind: 'send',
          decision: 0,
          channel: 'ops',
          config: configOf(w.deps, 'ops'),
          message: summary,
          placement: { as: 'message' },
          ifUndelivered: 'park',
        },
        { kind: 'close-window', window: storm },
        { kind: 'close-window', window: quiet },
      ],
    });
    expect(summary.title).toBe('2 more "Deployment Started" events in prod within 1m');
  });

  it('writes nothing, sends nothing: planning only reads', async () => {
    // Prepare
    const w = world(CONFIG);
    for (let i = 0; i < 4; i++) await notifyEvent(started(`svc-${i}`, 2, `2026-11-23T10:00:1${i}Z`), w.deps);
    w.setNow('2026-11-23T10:05:00Z');
    const seen = { writes: w.store.writes.length, sent: w.sender.sent.length };

    // Act
    await planFlush(w.deps);

    // Assess
    expect(w.store.writes.slice(seen.writes)).toEqual([]);
    expect(w.sender.sent).toHaveLength(seen.sent);
  });

  it("plans a closed window's late count noted while its late events arrive, then its late summary and its close", async () => {
    // Prepare: a window summarised and closed, then a late event.
    const w = world(CONFIG);
    for (let i = 0; i < 3; i++) await notifyEvent(started(`svc-${i}`, 2, `2026-11-23T10:00:1${i}Z`), w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    await flushWindows(w.deps);
    await notifyEvent(started('svc-7', 2, '2026-11-23T10:00:30Z'), w.deps);
    w.setNow('2026-11-23T10:02:00Z');

    // Act
    const arriving = await planFlush(w.deps);
    await applyPlan(arriving, notifyEffects(w.deps), { dryRun: false });
    w.setNow('2026-11-23T10:03:00Z');
    const settled = await planFlush(w.deps);

    // Assess
    const [window] = await w.store.listEndedWindows(w.deps.now());
    expect(arriving).toEqual<NotifyPlan>({
      decisions: [],
      effects: [{ kind: 'note-late-count', window: expect.objectContaining({ count: 4 }) }],
    });
    expect(settled.decisions).toEqual([
      {
        channel: 'ops',
        action: 'would-send',
        reason: NOTHING_SENT,
        title: '1 more "Deployment Started" event in prod within 1m, arrived late',
      },
    ]);
    expect(settled.effects.map((e) => e.kind)).toEqual(['send', 'close-window']);
    expect(settled.effects[1]).toEqual({ kind: 'close-window', window });
    expect(window?.closed).toEqual({
      told: 3,
      atCount: 3,
      seen: 4,
      lateExamples: [expect.stringContaining('prod/svc-7')],
    });
  });
});

describe('planTestMessage', () => {
  it('plans one send straight to the channel, reported rather than parked when it fails', () => {
    // Prepare
    const w = world({ channels: { ops: TEAMS } });

    // Act
    const plan = planTestMessage('ops', w.deps);

    // Assess
    expect(plan).toEqual<NotifyPlan>({
      decisions: [
        {
          channel: 'ops',
          action: 'would-send',
          reason: NOTHING_SENT,
          title: 'ecs-autopilot test message for ops',
        },
      ],
      effects: [
        {
          kind: 'send',
          decision: 0,
          channel: 'ops',
          config: configOf(w.deps, 'ops'),
          message: expect.objectContaining({
            eventType: 'Notification Test',
            at: '2026-11-23T10:00:30.000Z',
          }),
          placement: { as: 'message' },
          ifUndelivered: 'report',
        },
      ],
    });
  });

  it('names the channels there are for an unknown one, and plans nothing', () => {
    // Prepare
    const w = world({ channels: { ops: TEAMS, deploys: SLACK_BOT } });

    // Act
    const plan = planTestMessage('opz', w.deps);

    // Assess
    expect(plan).toEqual<NotifyPlan>({
      decisions: [
        { channel: 'opz', action: 'ignore', reason: 'no channel named "opz" (channels: ops, deploys)' },
      ],
      effects: [],
    });
  });
});

describe('notifyEffects', () => {
  const CONFIG = { channels: { ops: TEAMS }, default: ['ops'], aggregate: { window: '1m', after: 2 } };

  it('counts a retried event into its window once, and sends it as the first attempt would have (not held)', async () => {
    // Prepare: the first attempt counted the event, the window filled up, and the attempt died
    const w = world(CONFIG);
    const event = started('api', 8);
    await w.store.admit('ops', GROUP, WINDOW, event.id);
    await w.store.admit('ops', GROUP, WINDOW, 'later-1');
    await w.store.admit('ops', GROUP, WINDOW, 'later-2');

    // Act
    const done = await notifyEvent(event, w.deps);

    // Assess
    expect(done).toEqual([expect.objectContaining({ channel: 'ops', action: 'sent' })]);
    const [window] = await w.store.listEndedWindows(new Date(WINDOW.end));
    expect(window).toMatchObject({ count: 3, examples: [] });
  });

  it("holds the message back when the window's count (the ADD's answer) is past `after`, and sends nothing", async () => {
    // Prepare: the window filled up between planning and applying
    const w = world(CONFIG);
    const plan = await planNotification(started('api', 8), w.deps);
    await w.store.admit('ops', GROUP, WINDOW, 'earlier-1');
    await w.store.admit('ops', GROUP, WINDOW, 'earlier-2');

    // Act
    const done = await applyPlan(plan, notifyEffects(w.deps), { dryRun: false });

    // Assess
    expect(done).toEqual([
      {
        channel: 'ops',
        action: 'held',
        reason: 'similar event 3 in the window (more than 2): summarised after 2026-11-23T10:01:00.000Z',
        title: expect.stringContaining('prod/api'),
      },
    ]);
    expect(w.sender.sent).toEqual([]);
    expect(w.store.writes.slice(2)).toEqual([
      { op: 'admit', channel: 'ops', groupKey: GROUP, windowStart: WINDOW.start, count: 3 },
      {
        op: 'addExample',
        channel: 'ops',
        groupKey: GROUP,
        windowStart: WINDOW.start,
        example: expect.stringContaining('prod/api'),
      },
    ]);
  });

  it('keeps the thread remembered first when another message of the deployment got there first', async () => {
    // Prepare: two plans of the same deployment, both starting its thread
    const w = world({ channels: { deploys: SLACK_BOT }, default: ['deploys'] });
    const first = await planNotification(started('api', 8), w.deps);
    const second = await planNotification(succeeded('api', 8), w.deps);
    await applyPlan(first, notifyEffects(w.deps), { dryRun: false });

    // Act
    const done = await applyPlan(second, notifyEffects(w.deps), { dryRun: false });

    // Assess
    expect(done).toEqual([expect.objectContaining({ channel: 'deploys', action: 'sent', reason: 'sent' })]);
    expect(w.store.writes.filter((write) => write.op === 'saveThread')).toEqual([
      { op: 'saveThread', channel: 'deploys', threadKey: expect.any(String), saved: true },
      { op: 'saveThread', channel: 'deploys', threadKey: expect.any(String), saved: false },
    ]);
    const thread = await w.store.getThread('deploys', messageOf(started('api', 8)).threadKey as string);
    expect(thread?.ts).toBe('1767261600.000001');
  });

  it('remembers no thread for a channel that answered none, or a message that was parked', async () => {
    // Prepare
    const w = world(
      { channels: { ops: TEAMS, broken: SLACK_BOT }, default: ['ops', 'broken'] },
      { failing: ['broken'] },
    );

    // Act
    await notifyEvent(started('api', 8), w.deps);

    // Assess
    expect(w.store.writes.map((write) => write.op)).toEqual(['admit', 'admit']);
    expect(w.undelivered.parked.map((p) => p.channel)).toEqual(['broken']);
  });

  it('closes a window whose summary was parked (it is kept in the dead-letter queue), once', async () => {
    // Prepare
    const w = world(CONFIG, { failing: ['ops'] });
    for (let i = 0; i < 3; i++) await notifyEvent(started(`svc-${i}`, 2, `2026-11-23T10:00:1${i}Z`), w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    const seen = w.store.writes.length;

    // Act
    const done = await flushWindows(w.deps);

    // Assess
    expect(done).toEqual([expect.objectContaining({ channel: 'ops', action: 'parked' })]);
    expect(w.undelivered.parked.map((p) => p.message.aggregate?.count)).toEqual([undefined, undefined, 1]);
    expect(w.store.writes.slice(seen)).toEqual([
      { op: 'closeWindow', channel: 'ops', groupKey: GROUP, windowStart: WINDOW.start, closed: true },
    ]);
  });

  it('leaves the window open when its summary could not even be parked: the next flush sends it again', async () => {
    // Prepare
    const w = world(CONFIG, { failing: ['ops'] });
    for (let i = 0; i < 3; i++) await notifyEvent(started(`svc-${i}`, 2, `2026-11-23T10:00:1${i}Z`), w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    const plan = await planFlush(w.deps);
    const effects = notifyEffects({
      ...w.deps,
      undelivered: {
        park: async () => {
          throw new Error('the dead-letter queue is unreachable');
        },
      },
    });

    // Act
    const applying = applyPlan(plan, effects, { dryRun: false });

    // Assess
    await expect(applying).rejects.toThrow('the dead-letter queue is unreachable');
    expect(w.store.writes.filter((write) => write.op === 'closeWindow')).toEqual([]);
    expect(await w.store.listEndedWindows(w.deps.now())).toHaveLength(1);
  });

  it('delivers to the channels side by side: a slow channel holds up no other', async () => {
    // Prepare: the slow channel answers only once the other one was sent to (applied one after the
    // other, this would never end)
    const w = world({ channels: { slow: TEAMS, fast: TEAMS }, default: ['slow', 'fast'] });
    let fastSent: () => void = () => undefined;
    const fastWasSent = new Promise<void>((resolve) => {
      fastSent = resolve;
    });
    const order: string[] = [];
    const sender: ChatSender = {
      send: async (name) => {
        if (name === 'slow') await fastWasSent;
        else fastSent();
        order.push(name);
        return undefined;
      },
    };

    // Act
    const decisions = await notifyEvent(started('api', 8), { ...w.deps, sender });

    // Assess
    expect(order).toEqual(['fast', 'slow']);
    expect(decisions.map((d) => `${d.channel} ${d.action}`)).toEqual(['slow sent', 'fast sent']);
  });

  it('reports a test message that cannot be delivered, and parks nothing', async () => {
    // Prepare
    const w = world({ channels: { ops: TEAMS } }, { failing: ['ops'] });

    // Act
    const decision = await sendTestMessage('ops', w.deps);

    // Assess
    expect(decision).toEqual({
      channel: 'ops',
      action: 'parked',
      reason: 'not delivered: channel ops: HTTP 503 after 4 attempts',
      title: 'ecs-autopilot test message for ops',
    });
    expect(w.undelivered.parked).toEqual([]);
  });
});

describe('dry run', () => {
  const CONFIG = { channels: { ops: TEAMS }, default: ['ops'], aggregate: { window: '1m', after: 2 } };

  it('applies nothing: the decisions of the plan, marked, and not a write, send or park', async () => {
    // Prepare
    const w = world({ channels: { deploys: SLACK_BOT, ops: TEAMS }, default: ['deploys', 'ops'] });
    const plan = await planNotification(started('api', 8), w.deps);

    // Act
    const done = await applyPlan(plan, notifyEffects(w.deps), { dryRun: true });

    // Assess
    expect(done).toEqual(plan.decisions.map((d) => ({ ...d, dryRun: true })));
    expect(w.store.writes).toEqual([]);
    expect(w.sender.sent).toEqual([]);
    expect(w.undelivered.parked).toEqual([]);
  });

  it('reports the summaries a flush would send, and closes no window', async () => {
    // Prepare
    const w = world(CONFIG);
    for (let i = 0; i < 3; i++) await notifyEvent(started(`svc-${i}`, 2, `2026-11-23T10:00:1${i}Z`), w.deps);
    w.setNow('2026-11-23T10:01:00Z');
    const seen = { writes: w.store.writes.length, sent: w.sender.sent.length };

    // Act
    const done = await flushWindows({ ...w.deps, dryRun: true });

    // Assess
    expect(done).toEqual([
      {
        channel: 'ops',
        action: 'would-send',
        reason: NOTHING_SENT,
        title: '1 more "Deployment Started" event in prod within 1m',
        dryRun: true,
      },
    ]);
    expect(w.store.writes.slice(seen.writes)).toEqual([]);
    expect(w.sender.sent).toHaveLength(seen.sent);
  });

  it('reports a test message it would send, and sends nothing', async () => {
    // Prepare
    const w = world({ channels: { ops: TEAMS } }, { dryRun: true });

    // Act
    const decision = await sendTestMessage('ops', w.deps);

    // Assess
    expect(decision).toEqual({
      channel: 'ops',
      action: 'would-send',
      reason: NOTHING_SENT,
      title: 'ecs-autopilot test message for ops',
      dryRun: true,
    });
    expect(w.sender.sent).toEqual([]);
  });
});
