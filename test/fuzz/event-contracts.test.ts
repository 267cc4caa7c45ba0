/**
 * Property-based fuzzing of every event contract a function parses: thousands of broken events
 * (the samples of events/ with values replaced by hostile ones, removed or added, and arbitrary
 * JSON). A contract never throws: it accepts or rejects with issues (the handlers' permanent
 * rejection). What it accepts, the code can trust: the checks below are what the handlers and use
 * cases do with the fields without checking again.
 */
import fc from 'fast-check';
import type * as z from 'zod/mini';
import {
  parseClusterArn,
  parseServiceArn,
  parseTaskArn,
  parseTaskDefinition,
} from '../../shared/domain/aws/arn';
import { digestProblem, repositoryProblem, tagProblem } from '../../shared/domain/aws/image-reference';
import { AutopilotBusEventSchema } from '../../shared/events/autopilot-bus-event';
import { CloudWatchAlarmStateChangeEventSchema } from '../../shared/events/cloudwatch-alarm-state-change';
import { EcrImageActionEventSchema } from '../../shared/events/ecr-image-action';
import { EcrReplicationActionEventSchema } from '../../shared/events/ecr-replication-action';
import {
  EcsCloudTrailApiCallEventSchema,
  serviceRefFromApiCall,
} from '../../shared/events/ecs-cloudtrail-api-call';
import { EcsDeploymentStateChangeEventSchema } from '../../shared/events/ecs-deployment-state-change';
import { EcsTaskStateChangeEventSchema } from '../../shared/events/ecs-task-state-change';
import { ScheduledEventSchema } from '../../shared/events/scheduled-event';
import { brokenEvent, fuzzRun, samplesOf } from './arbitraries';

type Envelope = {
  id: string;
  account: string;
  region: string;
  time: string;
  detail: Record<string, unknown>;
};

/** What every accepted envelope guarantees. */
function trustEnvelope(event: Envelope): void {
  expect(event.id.length).toBeGreaterThan(0);
  expect(event.account).toMatch(/^\d{12}$/);
  expect(Number.isFinite(new Date(event.time).getTime())).toBe(true);
}

/** What an accepted ECR event about an image guarantees: the fields written into task definitions. */
function trustEcrImage(event: Envelope): void {
  trustEnvelope(event);
  const d = event.detail as Record<string, string | undefined>;
  expect(repositoryProblem(d['repository-name'] ?? '')).toBeUndefined();
  if (d['image-digest'] !== undefined) expect(digestProblem(d['image-digest'])).toBeUndefined();
  if (d['image-tag'] !== undefined) expect(tagProblem(d['image-tag'])).toBeUndefined();
}

/** Each contract with the samples it is fuzzed from and what its accepted events guarantee. */
const CONTRACTS: Array<[string, z.ZodMiniType, string[], (event: never) => void]> = [
  ['ECR Image Action', EcrImageActionEventSchema, ['ecr-image-'], trustEcrImage],
  [
    'ECR Replication Action',
    EcrReplicationActionEventSchema,
    ['ecr-replication-'],
    (event: Envelope) => {
      trustEcrImage(event);
      const d = event.detail as Record<string, string | undefined>;
      if (d['source-account'] !== undefined) expect(d['source-account']).toMatch(/^\d{12}$/);
      expect(String(d.result).length).toBeLessThanOrEqual(32);
    },
  ],
  [
    'ECS Deployment State Change',
    EcsDeploymentStateChangeEventSchema,
    ['ecs-deployment-'],
    (event: Envelope & { resources: string[] }) => {
      trustEnvelope(event);
      expect(parseServiceArn(event.resources[0] ?? '')).toBeDefined();
      expect(Number.isFinite(new Date(String(event.detail.updatedAt)).getTime())).toBe(true);
    },
  ],
  [
    'ECS Task State Change',
    EcsTaskStateChangeEventSchema,
    ['ecs-task-'],
    (event: Envelope) => {
      trustEnvelope(event);
      expect(parseClusterArn(String(event.detail.clusterArn))).toBeDefined();
      expect(parseTaskArn(String(event.detail.taskArn))).toBeDefined();
      expect(parseTaskDefinition(String(event.detail.taskDefinitionArn))).toBeDefined();
    },
  ],
  [
    'CloudWatch Alarm State Change',
    CloudWatchAlarmStateChangeEventSchema,
    ['cloudwatch-'],
    (event: Envelope) => {
      trustEnvelope(event);
      expect(String(event.detail.alarmName).length).toBeLessThanOrEqual(255);
    },
  ],
  [
    'AWS API Call via CloudTrail',
    EcsCloudTrailApiCallEventSchema,
    ['cloudtrail-'],
    (event: Envelope) => {
      trustEnvelope(event);
      const ref = serviceRefFromApiCall(event.detail as never);
      if (ref) {
        expect(ref.cluster).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
        expect(ref.service).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
      }
    },
  ],
  ['Scheduled Event', ScheduledEventSchema, ['scheduled-'], trustEnvelope],
  ['an autopilot event on the bus', AutopilotBusEventSchema, ['autopilot-'], trustEnvelope],
];

describe.each(CONTRACTS)('the %s contract, fuzzed', (_name, schema, prefixes, trust) => {
  const samples = samplesOf(...prefixes);

  it('never throws on a broken sample, and what it accepts can be trusted', () => {
    fc.assert(
      fc.property(brokenEvent(samples), (event) => {
        // Act
        const result = schema.safeParse(event);

        // Assess
        if (result.success) trust(result.data as never);
        else expect(result.error.issues.length).toBeGreaterThan(0);
      }),
      fuzzRun(1500),
    );
  });

  it('never throws on arbitrary JSON, and rejects it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        // Act
        const result = schema.safeParse(value);

        // Assess
        expect(result.success).toBe(false);
      }),
      fuzzRun(500),
    );
  });
});
