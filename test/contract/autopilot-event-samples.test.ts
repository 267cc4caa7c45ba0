/**
 * The samples of the events autopilot publishes (`events/autopilot-*.json`) are what subscribers (the
 * notifier, other teams) receive: each one must match the bus envelope and its detail-type's contract,
 * and every detail-type must have one.
 */
import { AutopilotBusEventSchema } from '../../shared/events/autopilot-bus-event';
import {
  type AutopilotDetailType,
  AutopilotEventSchemas,
  TAG_POLICY_ENFORCED,
  TAG_POLICY_REMEDIATED,
  TAG_POLICY_RESTORED,
  TAG_POLICY_SUMMARY,
  TAG_POLICY_VIOLATION,
  TASK_RESTART_ABANDONED,
  TASK_RESTARTED,
} from '../../shared/events/autopilot-events';
import {
  AUTOPILOT_DETAIL_TYPES,
  autopilotSample,
  autopilotSampleFile,
  autopilotSampleFiles,
  readSampleFile,
} from '../support/autopilot-samples';

interface Sample {
  file: string;
  event: Record<string, unknown>;
}

const SAMPLES: Sample[] = autopilotSampleFiles().map((file) => ({
  file,
  event: readSampleFile(file) as Record<string, unknown>,
}));

/** The restart capability's events: a story of their own, on a standalone task of cluster batch. */
const RESTART_TYPES: readonly AutopilotDetailType[] = [TASK_RESTARTED, TASK_RESTART_ABANDONED];

/** The tag policy capability's events: a story of their own, on the service prod/api and a sweep. */
const TAG_TYPES: readonly AutopilotDetailType[] = [
  TAG_POLICY_VIOLATION,
  TAG_POLICY_REMEDIATED,
  TAG_POLICY_ENFORCED,
  TAG_POLICY_RESTORED,
  TAG_POLICY_SUMMARY,
];

const isDetailType = (value: unknown): value is AutopilotDetailType =>
  typeof value === 'string' && Object.hasOwn(AutopilotEventSchemas, value);

describe('autopilot event samples', () => {
  it('holds a sample for every autopilot detail-type, and no other', () => {
    // Prepare
    const expected = Object.keys(AutopilotEventSchemas).sort();

    // Act
    const sampled = [...new Set(SAMPLES.map(({ event }) => String(event['detail-type'])))].sort();

    // Assess
    expect(sampled).toEqual(expected);
    expect([...AUTOPILOT_DETAIL_TYPES].sort()).toEqual(expected);
  });

  it.each(AUTOPILOT_DETAIL_TYPES)('lists the file of %s under its own detail-type', (type) => {
    // Prepare
    const file = `${autopilotSampleFile(type)}.json`;

    // Act
    const event = readSampleFile(file) as Record<string, unknown>;

    // Assess
    expect(event['detail-type']).toBe(type);
  });

  it('gives every sample a distinct id', () => {
    // Prepare
    const ids = SAMPLES.map(({ event }) => event.id);

    // Act
    const distinct = new Set(ids);

    // Assess
    expect(distinct.size).toBe(ids.length);
  });

  it.each(SAMPLES)('parses $file with the bus envelope and the contract of its detail-type', ({ event }) => {
    // Prepare
    const detailType = event['detail-type'];

    // Act
    const envelope = AutopilotBusEventSchema.safeParse(event);
    const detail = isDetailType(detailType)
      ? AutopilotEventSchemas[detailType].safeParse(event.detail)
      : undefined;

    // Assess
    expect(envelope.error).toBeUndefined();
    expect(isDetailType(detailType)).toBe(true);
    expect(detail?.error).toBeUndefined();
  });

  it.each(SAMPLES)('gives $file the envelope EventBridge delivers', ({ event }) => {
    // Prepare
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

    // Act
    const { detail: _, ...envelope } = event;

    // Assess
    expect(envelope).toEqual({
      version: '0',
      id: expect.stringMatching(uuid),
      'detail-type': expect.any(String),
      source: 'autopilot',
      account: '123456789012',
      // EventBridge stamps whole seconds.
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'eu-west-1',
      resources: [],
    });
  });

  it('tells one story, so that the messages of one deployment share its thread', () => {
    // The restart and tag policy events tell their own stories (test/support/autopilot-samples.ts).
    // Prepare
    const started = autopilotSample('Deployment Started').detail;
    const rolledBack = autopilotSample('Deployment Rolled Back').detail;
    const quarantined = autopilotSample('Image Quarantined').detail;
    const rollbackFailed = autopilotSample('Rollback Failed').detail;
    const succeeded = autopilotSample('Deployment Succeeded').detail;

    // Act
    const services = new Set(
      AUTOPILOT_DETAIL_TYPES.filter((type) => !RESTART_TYPES.includes(type) && !TAG_TYPES.includes(type)).map(
        (type) => {
          const detail = autopilotSample(type).detail as { cluster?: string; service?: string };
          return `${detail.cluster}/${detail.service}`;
        },
      ),
    );

    // Assess
    expect(services).toEqual(new Set(['prod/api']));
    expect(rolledBack.fromTaskDefinition).toBe(started.toTaskDefinition);
    expect(quarantined.taskDefinition).toBe(started.toTaskDefinition);
    expect(quarantined.digest).toBe(started.digest);
    expect(started.image.endsWith(`@${started.digest}`)).toBe(true);
    expect(rolledBack.toTaskDefinition).toBe(started.fromTaskDefinition);
    expect(rollbackFailed.taskDefinition).toBe(started.fromTaskDefinition);
    expect(succeeded.taskDefinition).toBe(started.fromTaskDefinition);
  });

  it('tells the story of one service and one sweep in the tag policy samples', () => {
    // Prepare
    const remediated = autopilotSample(TAG_POLICY_REMEDIATED);
    const violation = autopilotSample(TAG_POLICY_VIOLATION);
    const enforced = autopilotSample(TAG_POLICY_ENFORCED);
    const restored = autopilotSample(TAG_POLICY_RESTORED);
    const summary = autopilotSample(TAG_POLICY_SUMMARY);

    // Act
    const resources = new Set([remediated, violation, enforced, restored].map((e) => e.detail.resourceArn));

    // Assess
    expect(resources).toEqual(new Set(['arn:aws:ecs:eu-west-1:123456789012:service/prod/api']));
    // Created without owner: the same call's remediation adds it and marks what is left.
    expect(violation.detail.triggeredBy).toBe(remediated.detail.triggeredBy);
    expect(violation.detail.violations).toEqual(remediated.detail.remaining);
    // Its grace ends, the sweep scales it to zero and sums up; once tagged, it gets its count back.
    expect(enforced.detail.due).toBe(violation.detail.due);
    expect(Date.parse(enforced.time)).toBeGreaterThan(Date.parse(`${violation.detail.due.slice(0, -1)}:00Z`));
    expect(summary.detail.triggeredBy).toBe(enforced.detail.triggeredBy);
    expect(restored.detail).toMatchObject({
      desiredCount: enforced.detail.desiredCount,
      due: enforced.detail.due,
    });
  });
});
