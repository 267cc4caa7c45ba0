import 'aws-sdk-client-mock-jest';
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { EventBridgePublisher } from '../../shared/adapters/aws/event-publisher';
import { PermanentError, RetryableError } from '../../shared/errors';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  DEPLOYMENT_SCHEDULED,
  DEPLOYMENT_STARTED,
} from '../../shared/events/autopilot-events';

const BUS = 'ecs-autopilot';
const ACCOUNT = '123456789012';
const DIGEST = `sha256:${'c'.repeat(64)}`;
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/api`;

function started(triggeredBy: string): AutopilotEvent {
  return {
    detailType: DEPLOYMENT_STARTED,
    detail: {
      cluster: 'prod',
      service: 'api',
      serviceArn: SERVICE_ARN,
      repository: 'payments/api',
      tag: '1.4.2',
      digest: DIGEST,
      image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/payments/api@${DIGEST}`,
      containers: ['app'],
      fromTaskDefinition: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:7`,
      toTaskDefinition: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:8`,
      reason: 'semver minor update 1.3.9 -> 1.4.2',
      dryRun: false,
      triggeredBy,
    },
  };
}

const SCHEDULED: AutopilotEvent = {
  detailType: DEPLOYMENT_SCHEDULED,
  detail: {
    cluster: 'prod',
    service: 'api',
    serviceArn: SERVICE_ARN,
    repository: 'payments/api',
    tag: '1.4.2',
    digest: DIGEST,
    dueAt: '2026-01-12T08:00:00Z',
    reason: 'outside deploy window',
    dryRun: true,
    triggeredBy: 'push-2',
  },
};

const FAILED: AutopilotEvent = {
  detailType: ACTION_FAILED,
  detail: { action: 'deploy', cluster: 'prod', reason: 'AccessDenied', dryRun: false, triggeredBy: 'push-3' },
};

/** Answers PutEvents, failing the entries whose detail matches `fails` with `errorCode`. */
function answer(entries: PutEventsRequestEntry[], fails: (detail: string) => boolean, errorCode: string) {
  const results: PutEventsResultEntry[] = entries.map((entry, i) =>
    fails(entry.Detail ?? '')
      ? { ErrorCode: errorCode, ErrorMessage: `${errorCode} for entry ${i}` }
      : { EventId: `event-${i}` },
  );
  return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
}

/** The triggeredBy of every entry of the nth PutEvents call (1-based). */
function triggersOfCall(n: number): string[] {
  const call = eventBridge.commandCalls(PutEventsCommand)[n - 1];
  return (call?.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '{}').triggeredBy);
}

const eventBridge = mockClient(EventBridgeClient);

/** No real waiting between attempts in these tests. */
const instantly = async () => undefined;

beforeEach(() => {
  eventBridge.reset();
});

describe('EventBridgePublisher.publish', () => {
  it('puts each event with source autopilot, its detail-type and JSON detail on the bus', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{}, {}, {}] });
    const publisher = new EventBridgePublisher(BUS, new EventBridgeClient({}), { pause: instantly });
    const events = [started('push-1'), SCHEDULED, FAILED];

    // Act
    await publisher.publish(events);

    // Assess
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: events.map((event) => ({
        EventBusName: BUS,
        Source: 'autopilot',
        DetailType: event.detailType,
        Detail: expect.any(String),
      })),
    });
    const entries = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries ?? [];
    expect(entries.map((e) => JSON.parse(e.Detail ?? ''))).toEqual(events.map((e) => e.detail));
  });

  it('puts at most ten entries per call', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).callsFake((input) => answer(input.Entries ?? [], () => false, ''));
    const publisher = new EventBridgePublisher(BUS, new EventBridgeClient({}), { pause: instantly });
    const events = Array.from({ length: 23 }, (_, i) => started(`push-${i}`));

    // Act
    await publisher.publish(events);

    // Assess
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect([triggersOfCall(1), triggersOfCall(2), triggersOfCall(3)]).toEqual([
      events.slice(0, 10).map((_, i) => `push-${i}`),
      events.slice(10, 20).map((_, i) => `push-${i + 10}`),
      events.slice(20).map((_, i) => `push-${i + 20}`),
    ]);
  });

  it('makes no call for no events', async () => {
    // Prepare
    const publisher = new EventBridgePublisher(BUS, new EventBridgeClient({}), { pause: instantly });

    // Act
    await publisher.publish([]);

    // Assess
    expect(eventBridge).not.toHaveReceivedAnyCommand();
  });

  it('sends again only the entries that failed', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .callsFakeOnce((input) =>
        answer(input.Entries ?? [], (d) => /push-[bc]/.test(d), 'ThrottlingException'),
      )
      .callsFakeOnce((input) => answer(input.Entries ?? [], (d) => d.includes('push-c'), 'InternalFailure'))
      .callsFake((input) => answer(input.Entries ?? [], () => false, ''));
    const publisher = new EventBridgePublisher(BUS, new EventBridgeClient({}), { pause: instantly });

    // Act
    await publisher.publish([started('push-a'), started('push-b'), started('push-c'), started('push-d')]);

    // Assess
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    expect([triggersOfCall(1), triggersOfCall(2), triggersOfCall(3)]).toEqual([
      ['push-a', 'push-b', 'push-c', 'push-d'],
      ['push-b', 'push-c'],
      ['push-c'],
    ]);
  });

  it('gives up with a retryable error after five attempts', async () => {
    // Prepare
    eventBridge
      .on(PutEventsCommand)
      .callsFake((input) => answer(input.Entries ?? [], (d) => d.includes('push-b'), 'InternalFailure'));
    const publisher = new EventBridgePublisher(BUS, new EventBridgeClient({}), { pause: instantly });

    // Act
    const error = await publisher.publish([started('push-a'), started('push-b')]).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect((error as Error).message).toBe('PutEvents failed for 1 entries: InternalFailure');
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 5);
    expect([2, 3, 4, 5].map(triggersOfCall)).toEqual([['push-b'], ['push-b'], ['push-b'], ['push-b']]);
  });

  it('waits longer before each new attempt at throttled entries, as the SDK backs off', async () => {
    // Prepare: push-b is throttled three times, then goes through
    eventBridge
      .on(PutEventsCommand)
      .callsFakeOnce((input) =>
        answer(input.Entries ?? [], (d) => d.includes('push-b'), 'ThrottlingException'),
      )
      .callsFakeOnce((input) =>
        answer(input.Entries ?? [], (d) => d.includes('push-b'), 'ThrottlingException'),
      )
      .callsFakeOnce((input) =>
        answer(input.Entries ?? [], (d) => d.includes('push-b'), 'ThrottlingException'),
      )
      .callsFake((input) => answer(input.Entries ?? [], () => false, ''));
    const pauses: number[] = [];
    const publisher = new EventBridgePublisher(BUS, new EventBridgeClient({}), {
      pause: async (ms) => {
        pauses.push(ms);
      },
    });

    // Act
    await publisher.publish([started('push-a'), started('push-b')]);

    // Assess
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 4);
    expect(pauses).toHaveLength(3);
    expect(pauses.map((ms, i) => ms >= 50 * 2 ** i && ms <= 100 * 2 ** i)).toEqual([true, true, true]);
  });

  it('rejects a detail that breaks its contract before putting anything', async () => {
    // Prepare
    const bad = started('push-11');
    if (bad.detailType === DEPLOYMENT_STARTED) bad.detail.digest = 'sha256:not-a-digest';
    const events = [...Array.from({ length: 11 }, (_, i) => started(`push-${i}`)), bad];
    const publisher = new EventBridgePublisher(BUS, new EventBridgeClient({}), { pause: instantly });

    // Act
    const error = await publisher.publish(events).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toMatch(/"Deployment Started" violates its contract: .*digest/s);
    expect(eventBridge).not.toHaveReceivedAnyCommand();
  });

  it('rejects a detail with a field its contract does not have', async () => {
    // Prepare
    const event = { detailType: ACTION_FAILED, detail: { ...FAILED.detail, extra: 1 } } as AutopilotEvent;
    const publisher = new EventBridgePublisher(BUS, new EventBridgeClient({}), { pause: instantly });

    // Act
    const result = publisher.publish([event]);

    // Assess
    await expect(result).rejects.toBeInstanceOf(PermanentError);
    expect(eventBridge).not.toHaveReceivedAnyCommand();
  });
});
