import { type Notifications, NotificationsSchema } from '../../../../shared/config/notifications';
import {
  type BusEvent,
  flushWindows,
  type NotifyDeps,
  notifyEvent,
  windowAt,
} from '../../../../shared/domain/notify/notify';
import {
  InMemoryNotificationStore,
  InMemoryUndeliveredSink,
  RecordingChatSender,
} from '../../../support/in-memory';

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
  const deps: NotifyDeps = {
    notifications: notifications(content),
    sender,
    store,
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
    undelivered,
    tagLookups,
    setNow: (iso: string) => {
      now = new Date(iso);
    },
  };
}

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

  it('forgets a window that held nothing back without a summary', async () => {
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
