/**
 * The event contracts check, at the edge, every field the code later trusts (digests, tags,
 * repository names, ARNs, ids, accounts, regions), and refuse absurd nesting before anything
 * recursive walks it. A field that fails is named in the issue, which becomes the rejection's reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as z from 'zod/mini';
import { parkedBody } from '../../shared/adapters/aws/dead-letter-queue';
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
import { boundedJson, MAX_DETAIL_DEPTH, nestingExceeds } from '../../shared/events/json-bounds';
import { ScheduledEventSchema } from '../../shared/events/scheduled-event';

type Json = Record<string, unknown>;

function sample(name: string): Json {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', `${name}.json`), 'utf8')) as Json;
}

/** `sample` with `detail[field]` replaced. */
function withDetail(name: string, patch: Json): Json {
  const event = sample(name);
  event.detail = { ...(event.detail as Json), ...patch };
  return event;
}

/** The issues of parsing `event` with `schema`, as `path: message` lines (none when it parses). */
function issuesOf(schema: z.ZodMiniType, event: unknown): string[] {
  const result = schema.safeParse(event);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

/** `[[[…]]]`, `depth` arrays deep, built from text as a hostile sender would send it. */
function deepArray(depth: number): unknown {
  return JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
}

describe('the ECR push contract', () => {
  it.each([
    ['image-digest', 'sha256:abc', 'sha256 digest must have 64 hex characters, got 3'],
    ['image-digest', 'abc', 'must look like "sha256:<64 hex characters>"'],
    ['image-digest', `md5:${'a'.repeat(32)}`, 'digest algorithm "md5" is not supported'],
    ['image-digest', `sha256:${'A'.repeat(64)}`, 'lowercase hex'],
    ['image-tag', '-main', 'tag "-main" is invalid'],
    ['image-tag', 'a'.repeat(129), 'expected 1 to 128 characters, got 129'],
    ['image-tag', 'main branch', 'tag "main branch" is invalid'],
    ['repository-name', 'Team/API', 'must be lowercase'],
    ['repository-name', 'team//api', 'empty path component'],
    ['repository-name', 'a'.repeat(257), 'expected 1 to 256 characters, got 257'],
  ])('rejects %s %j, naming the field', (field, value, message) => {
    // Prepare
    const event = withDetail('ecr-image-push', { [field]: value });

    // Act
    const issues = issuesOf(EcrImageActionEventSchema, event);

    // Assess
    expect(issues).toEqual([expect.stringContaining(`detail.${field}: `)]);
    expect(issues[0]).toContain(message);
  });

  it('accepts the samples: what ECR sends is valid', () => {
    // Prepare
    const samples = [
      'ecr-image-push',
      'ecr-image-push-semver',
      'ecr-image-push-digest-only',
      'ecr-image-delete',
    ];

    // Act
    const issues = samples.flatMap((name) => issuesOf(EcrImageActionEventSchema, sample(name)));

    // Assess
    expect(issues).toEqual([]);
  });
});

describe('the ECR replication contract', () => {
  it.each([
    ['image-digest', 'sha256:abc', 'sha256 digest must have 64 hex characters, got 3'],
    ['image-tag', '-main', 'tag "-main" is invalid'],
    ['repository-name', 'team//payments', 'empty path component'],
    ['source-account', '12345', 'expected a 12-digit AWS account id'],
    ['source-region', 'us east 1', 'expected an AWS region'],
    ['result', 'x'.repeat(10_000), 'expected an upper-case word'],
  ])('rejects %s %j, naming the field', (field, value, message) => {
    // Prepare
    const event = withDetail('ecr-replication-action', { [field]: value });

    // Act
    const issues = issuesOf(EcrReplicationActionEventSchema, event);

    // Assess
    expect(issues).toEqual([expect.stringContaining(`detail.${field}: `)]);
    expect(issues[0]).toContain(message);
  });
});

describe('the envelope of every AWS event', () => {
  const contracts: Array<[string, z.ZodMiniType, string]> = [
    ['ECR Image Action', EcrImageActionEventSchema, 'ecr-image-push'],
    ['ECR Replication Action', EcrReplicationActionEventSchema, 'ecr-replication-action'],
    ['ECS Deployment State Change', EcsDeploymentStateChangeEventSchema, 'ecs-deployment-failed'],
    ['ECS Task State Change', EcsTaskStateChangeEventSchema, 'ecs-task-stopped-crash'],
    ['CloudWatch Alarm State Change', CloudWatchAlarmStateChangeEventSchema, 'cloudwatch-alarm-state-change'],
    ['AWS API Call via CloudTrail', EcsCloudTrailApiCallEventSchema, 'cloudtrail-ecs-update-service'],
    ['Scheduled Event', ScheduledEventSchema, 'scheduled-reconcile'],
    ['an autopilot event', AutopilotBusEventSchema, 'autopilot-deployment-started'],
  ];

  it.each(contracts)(
    '%s: an empty id, a malformed account or region is rejected by name',
    (_, schema, name) => {
      // Prepare
      const event = { ...sample(name), id: '', account: '12345', region: 'eu west 1' };

      // Act
      const issues = issuesOf(schema, event);

      // Assess
      expect(issues).toEqual([
        expect.stringMatching(/^id: /),
        expect.stringMatching(/^account: expected a 12-digit AWS account id/),
        expect.stringMatching(/^region: expected an AWS region/),
      ]);
    },
  );

  it.each(contracts)(
    '%s: a detail nested 10,000 deep is rejected by name, without recursion',
    (_, schema, name) => {
      // Prepare
      const event = sample(name);
      (event.detail as Json).hostile = deepArray(10_000);

      // Act
      const issues = issuesOf(schema, event);

      // Assess
      expect(issues).toEqual([`detail: nested deeper than ${MAX_DETAIL_DEPTH} levels`]);
    },
  );

  it.each(contracts)('%s: a detail nested as deep as allowed still parses', (_, schema, name) => {
    // Prepare
    const event = sample(name);
    (event.detail as Json).nested = deepArray(MAX_DETAIL_DEPTH - 1);

    // Act
    const issues = issuesOf(schema, event);

    // Assess
    expect(issues).toEqual([]);
  });
});

describe('the ARNs and names the ECS and CloudWatch contracts trust', () => {
  it.each([
    ['clusterArn', 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api', 'expected an ECS cluster ARN'],
    ['taskArn', 'arn:', 'expected an ECS task ARN'],
    [
      'taskDefinitionArn',
      'arn:aws:ecs:eu-west-1:123456789012:task-definition/api',
      'expected an ECS task-definition ARN',
    ],
  ])('a task state change with %s %j is rejected', (field, value, message) => {
    // Prepare
    const event = withDetail('ecs-task-stopped-crash', { [field]: value });

    // Act
    const issues = issuesOf(EcsTaskStateChangeEventSchema, event);

    // Assess
    expect(issues).toEqual([expect.stringContaining(`detail.${field}: ${message}`)]);
  });

  it('rejects an alarm name longer than CloudWatch allows and a deployment id longer than ECS makes', () => {
    // Prepare
    const alarm = withDetail('cloudwatch-alarm-state-change', { alarmName: 'a'.repeat(256) });
    const deployment = withDetail('ecs-deployment-failed', { deploymentId: 'd'.repeat(257) });

    // Act
    const issues = [
      ...issuesOf(CloudWatchAlarmStateChangeEventSchema, alarm),
      ...issuesOf(EcsDeploymentStateChangeEventSchema, deployment),
    ];

    // Assess
    expect(issues).toEqual([
      expect.stringMatching(/^detail\.alarmName: Too big/),
      expect.stringMatching(/^detail\.deploymentId: Too big/),
    ]);
  });

  it('indexes no service a CloudTrail record names with characters ECS does not allow', () => {
    // Prepare
    const event = withDetail('cloudtrail-ecs-update-service', {
      requestParameters: { cluster: 'prod', service: `api${'x'.repeat(300)}` },
      responseElements: null,
    });
    const spaced = withDetail('cloudtrail-ecs-update-service', {
      requestParameters: { cluster: 'prod cluster', service: 'api' },
      responseElements: null,
    });

    // Act
    const refs = [event, spaced].map((e) =>
      serviceRefFromApiCall(EcsCloudTrailApiCallEventSchema.parse(e).detail),
    );

    // Assess
    expect(refs).toEqual([undefined, undefined]);
  });
});

describe('json bounds', () => {
  it('measures nesting without recursion, also 100,000 deep', () => {
    // Prepare
    const deep = deepArray(100_000);

    // Act
    const verdicts = [
      nestingExceeds(deep, 1000),
      nestingExceeds({ a: [1, { b: 2 }] }, 3),
      nestingExceeds(1, 0),
    ];

    // Assess
    expect(verdicts).toEqual([true, false, false]);
  });

  it('writes JSON with what nests too deep replaced by a marker', () => {
    // Prepare
    const value = { a: [[1]], b: 'x' };

    // Act
    const json = boundedJson(value, 2);

    // Assess
    expect(JSON.parse(json)).toEqual({ a: ['[nested deeper than 2 levels]'], b: 'x' });
  });

  it('parks a hostile event in a message SQS takes: nesting cut, size bounded, reason kept', () => {
    // Prepare
    const deep = { ...sample('ecr-image-push'), detail: { x: deepArray(10_000) } };
    const huge = { ...sample('ecr-image-push'), detail: { x: '€'.repeat(300_000) } };

    // Act
    const bodies = [
      parkedBody('deploy-on-push', 'detail: nested', deep),
      parkedBody('deploy-on-push', 'r'.repeat(10_000), huge),
    ];

    // Assess
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(256 * 1024);
    expect(JSON.parse(bodies[0] ?? '')).toMatchObject({
      rejectedBy: 'deploy-on-push',
      reason: 'detail: nested',
    });
    expect(JSON.parse(bodies[1] ?? '')).toMatchObject({
      truncated: true,
      reason: expect.stringMatching(/^r{4000}…$/),
    });
  });
});
