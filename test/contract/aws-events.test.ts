import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import type * as z from 'zod/mini';
import {
  CLOUDWATCH_ALARM_STATE_CHANGE,
  CloudWatchAlarmStateChangeEventSchema,
} from '../../shared/events/cloudwatch-alarm-state-change';
import {
  EcrCloudTrailApiCallEventSchema,
  REPOSITORY_TAG_API_CALLS,
} from '../../shared/events/ecr-cloudtrail-api-call';
import { ECR_IMAGE_ACTION, EcrImageActionEventSchema } from '../../shared/events/ecr-image-action';
import {
  ECR_REPLICATION_ACTION,
  EcrReplicationActionEventSchema,
  replicaAsPush,
} from '../../shared/events/ecr-replication-action';
import {
  AWS_API_CALL_VIA_CLOUDTRAIL,
  type EcsCloudTrailApiCallDetail,
  EcsCloudTrailApiCallEventSchema,
  SERVICE_INDEX_API_CALLS,
  serviceRefFromApiCall,
  taskLaunchFromApiCall,
} from '../../shared/events/ecs-cloudtrail-api-call';
import {
  ECS_DEPLOYMENT_STATE_CHANGE,
  EcsDeploymentStateChangeEventSchema,
} from '../../shared/events/ecs-deployment-state-change';
import {
  ECS_TASK_STATE_CHANGE,
  EcsTaskStateChangeEventSchema,
} from '../../shared/events/ecs-task-state-change';
import { EventBridgeEnvelopeSchema } from '../../shared/events/eventbridge-event';
import { SCHEDULED_EVENT, ScheduledEventSchema } from '../../shared/events/scheduled-event';

const EVENTS_DIR = resolve(__dirname, '..', '..', 'events');

/** Contract for every AWS detail-type the project consumes. A sample of any other AWS detail-type fails. */
const SCHEMA_BY_DETAIL_TYPE: Record<string, z.ZodMiniType> = {
  [ECR_IMAGE_ACTION]: EcrImageActionEventSchema,
  [ECR_REPLICATION_ACTION]: EcrReplicationActionEventSchema,
  [ECS_DEPLOYMENT_STATE_CHANGE]: EcsDeploymentStateChangeEventSchema,
  [AWS_API_CALL_VIA_CLOUDTRAIL]: EcsCloudTrailApiCallEventSchema,
  [SCHEDULED_EVENT]: ScheduledEventSchema,
  [ECS_TASK_STATE_CHANGE]: EcsTaskStateChangeEventSchema,
  [CLOUDWATCH_ALARM_STATE_CHANGE]: CloudWatchAlarmStateChangeEventSchema,
};

/** CloudTrail records come from every AWS service under one detail-type: their contract is per source. */
const CLOUDTRAIL_SCHEMA_BY_SOURCE: Record<string, z.ZodMiniType> = {
  'aws.ecs': EcsCloudTrailApiCallEventSchema,
  'aws.ecr': EcrCloudTrailApiCallEventSchema,
};

/** The contract of a sample: by detail-type, and for CloudTrail records by source too. */
function schemaOf(event: Record<string, unknown>): z.ZodMiniType | undefined {
  return event['detail-type'] === AWS_API_CALL_VIA_CLOUDTRAIL
    ? CLOUDTRAIL_SCHEMA_BY_SOURCE[String(event.source)]
    : SCHEMA_BY_DETAIL_TYPE[String(event['detail-type'])];
}

interface Sample {
  file: string;
  event: Record<string, unknown>;
}

/** Every `events/*.json` sample sent by AWS. Samples of our own (source `autopilot`) are not AWS contracts. */
const AWS_SAMPLES: Sample[] = readdirSync(EVENTS_DIR)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, event: JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8')) }))
  .filter(({ event }) => typeof event.source === 'string' && event.source.startsWith('aws.'));

/** Loads one sample event by file name. */
function loadSample(file: string): Record<string, unknown> {
  const sample = AWS_SAMPLES.find((s) => s.file === file);
  if (!sample) throw new Error(`no AWS sample events/${file}`);
  return structuredClone(sample.event);
}

/** The `detail` of a CloudTrail sample, parsed with its contract. */
function cloudTrailDetail(file: string): EcsCloudTrailApiCallDetail {
  return EcsCloudTrailApiCallEventSchema.parse(loadSample(file)).detail;
}

/** A parsed CloudTrail detail with some fields replaced. */
function withDetail(file: string, patch: Record<string, unknown>): EcsCloudTrailApiCallDetail {
  const event = loadSample(file);
  event.detail = { ...(event.detail as Record<string, unknown>), ...patch };
  return EcsCloudTrailApiCallEventSchema.parse(event).detail;
}

describe('AWS event samples', () => {
  it('holds at least one sample for every contract', () => {
    // Prepare
    const detailTypes = new Set(AWS_SAMPLES.map(({ event }) => event['detail-type']));

    // Act
    const uncovered = Object.keys(SCHEMA_BY_DETAIL_TYPE).filter((type) => !detailTypes.has(type));

    // Assess
    expect(uncovered).toEqual([]);
  });

  it('gives every sample a distinct id', () => {
    // Prepare
    const ids = AWS_SAMPLES.map(({ event }) => event.id);

    // Act
    const distinct = new Set(ids);

    // Assess
    expect(distinct.size).toBe(ids.length);
  });

  it.each(AWS_SAMPLES)('parses $file with the contract of its detail-type', ({ event }) => {
    // Prepare
    const schema = schemaOf(event);

    // Act
    const result = schema?.safeParse(event);

    // Assess
    expect(schema).toBeDefined();
    expect(result?.error).toBeUndefined();
  });
});

describe('EventBridgeEnvelopeSchema', () => {
  /** Envelopes Powertools' schema accepts or rejects: each sample, and samples with one field broken. */
  const ENVELOPES: { name: string; event: Record<string, unknown> }[] = AWS_SAMPLES.flatMap(
    ({ file, event }) => [
      { name: file, event },
      { name: `${file} without time`, event: { ...event, time: undefined } },
      { name: `${file} with a time that is no ISO date`, event: { ...event, time: 'yesterday' } },
      { name: `${file} with an offset time`, event: { ...event, time: '2024-05-01T10:00:00+02:00' } },
      { name: `${file} with resources not a list`, event: { ...event, resources: 'arn' } },
      { name: `${file} with a numeric version`, event: { ...event, version: 0 } },
      { name: `${file} replayed`, event: { ...event, 'replay-name': 'replay-1' } },
      { name: `${file} with a numeric replay-name`, event: { ...event, 'replay-name': 1 } },
      { name: `${file} without detail`, event: { ...event, detail: undefined } },
    ],
  );

  it("has exactly the fields of Powertools' EventBridgeSchema", () => {
    // Prepare
    const powertools = Object.keys(EventBridgeSchema.shape).sort();

    // Act
    const ours = Object.keys(EventBridgeEnvelopeSchema.shape).sort();

    // Assess
    expect(ours).toEqual(powertools);
  });

  it.each(ENVELOPES)(
    "accepts $name exactly when Powertools' schema does, with the same value",
    ({ event }) => {
      // Prepare
      const expected = EventBridgeSchema.safeParse(event);

      // Act
      const result = EventBridgeEnvelopeSchema.safeParse(event);

      // Assess
      expect(result.success).toBe(expected.success);
      expect(result.data).toEqual(expected.data);
    },
  );
});

describe('EcrImageActionEventSchema', () => {
  it('parses a push of a tag', () => {
    // Prepare
    const event = loadSample('ecr-image-push.json');

    // Act
    const parsed = EcrImageActionEventSchema.parse(event);

    // Assess
    expect(parsed.detail).toMatchObject({
      'action-type': 'PUSH',
      result: 'SUCCESS',
      'repository-name': 'team/api',
      'image-tag': 'main',
      'manifest-media-type': 'application/vnd.docker.distribution.manifest.v2+json',
    });
  });

  it('accepts a digest-only push without image-tag', () => {
    // Prepare
    const event = loadSample('ecr-image-push-digest-only.json');

    // Act
    const parsed = EcrImageActionEventSchema.parse(event);

    // Assess
    expect(parsed.detail['image-tag']).toBeUndefined();
    expect(parsed.detail['image-digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('accepts a failed push without image-digest', () => {
    // Prepare
    const event = loadSample('ecr-image-push-failed.json');

    // Act
    const parsed = EcrImageActionEventSchema.parse(event);

    // Assess
    expect(parsed.detail.result).toBe('FAILURE');
    expect(parsed.detail['image-digest']).toBeUndefined();
  });

  it('keeps fields AWS adds to the detail', () => {
    // Prepare
    const event = loadSample('ecr-image-push.json');
    (event.detail as Record<string, unknown>)['registry-id'] = '123456789012';

    // Act
    const parsed = EcrImageActionEventSchema.parse(event);

    // Assess
    expect(parsed.detail['registry-id']).toBe('123456789012');
  });

  it('rejects a detail without repository-name', () => {
    // Prepare
    const event = loadSample('ecr-image-push.json');
    delete (event.detail as Record<string, unknown>)['repository-name'];

    // Act
    const result = EcrImageActionEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['detail', 'repository-name']);
  });

  it('rejects an unknown action-type', () => {
    // Prepare
    const event = loadSample('ecr-image-push.json');
    (event.detail as Record<string, unknown>)['action-type'] = 'REPLICATE';

    // Act
    const result = EcrImageActionEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });

  it('rejects another detail-type', () => {
    // Prepare
    const event = { ...loadSample('ecr-image-push.json'), 'detail-type': 'ECR Image Scan' };

    // Act
    const result = EcrImageActionEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['detail-type']);
  });

  it('rejects a detail that is not an object', () => {
    // Prepare
    const event = { ...loadSample('ecr-image-push.json'), detail: 'PUSH team/api:main' };

    // Act
    const result = EcrImageActionEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['detail']);
  });
});

describe('EcrReplicationActionEventSchema', () => {
  it('parses a replication into this region, the source named in the detail', () => {
    // Prepare
    const event = loadSample('ecr-replication-action.json');

    // Act
    const parsed = EcrReplicationActionEventSchema.parse(event);

    // Assess
    expect(parsed).toMatchObject({ account: '123456789012', region: 'eu-west-1' });
    expect(parsed.detail).toMatchObject({
      'action-type': 'REPLICATE',
      result: 'SUCCESS',
      'repository-name': 'team/payments',
      'image-tag': '1.5.0',
      'source-account': '123456789012',
      'source-region': 'us-east-1',
    });
  });

  it.each(['FAILED', 'IN_PROGRESS'])(
    'parses a replication whose result is %s, to be skipped by name',
    (result) => {
      // Prepare
      const event = loadSample('ecr-replication-action.json');
      (event.detail as Record<string, unknown>).result = result;

      // Act
      const parsed = EcrReplicationActionEventSchema.parse(event);

      // Assess
      expect(parsed.detail.result).toBe(result);
    },
  );

  it('accepts a replication of an untagged image, and one without its source', () => {
    // Prepare
    const event = loadSample('ecr-replication-action.json');
    const detail = event.detail as Record<string, unknown>;
    delete detail['image-tag'];
    delete detail['source-account'];
    delete detail['source-region'];

    // Act
    const parsed = EcrReplicationActionEventSchema.parse(event);

    // Assess
    expect(parsed.detail['image-tag']).toBeUndefined();
    expect(replicaAsPush(parsed).origin).toBe('replicated by ECR');
  });

  it.each([
    ['result', 'success'],
    ['result', 'S'.repeat(33)],
    ['action-type', ''],
    ['source-account', '1111'],
    ['source-region', 'us east 1'],
    ['repository-name', 'Team/Payments'],
  ])('rejects %s %j, naming the field', (field, value) => {
    // Prepare
    const event = loadSample('ecr-replication-action.json');
    (event.detail as Record<string, unknown>)[field] = value;

    // Act
    const result = EcrReplicationActionEventSchema.safeParse(event);

    // Assess
    expect(result.error?.issues.map((i) => i.path)).toEqual([['detail', field]]);
  });

  it('rejects a push: another detail-type', () => {
    // Prepare
    const event = loadSample('ecr-image-push.json');

    // Act
    const result = EcrReplicationActionEventSchema.safeParse(event);

    // Assess
    expect(result.error?.issues[0]?.path).toEqual(['detail-type']);
  });
});

describe('replicaAsPush', () => {
  it('is a push to the registry the event landed in, saying where the image came from', () => {
    // Prepare
    const event = EcrReplicationActionEventSchema.parse(loadSample('ecr-replication-action.json'));

    // Act
    const push = replicaAsPush(event);

    // Assess
    expect(push).toEqual({
      eventId: '550e3c05-8442-47d7-aaed-1592b745c99a',
      accountId: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'team/payments',
      digest: 'sha256:09a46b940108eea6bdc037b8e6762b2bacac1ddbc933ebfe7557a1d9919ddf4e',
      tag: '1.5.0',
      pushedAt: new Date('2025-03-14T10:12:31Z'),
      origin: 'replicated by ECR from us-east-1',
    });
  });

  it('names the source account when the image came from another account', () => {
    // Prepare
    const sample = loadSample('ecr-replication-action.json');
    (sample.detail as Record<string, unknown>)['source-account'] = '111122223333';
    const event = EcrReplicationActionEventSchema.parse(sample);

    // Act
    const push = replicaAsPush(event);

    // Assess
    expect(push).toMatchObject({
      accountId: '123456789012',
      origin: 'replicated by ECR from 111122223333 in us-east-1',
    });
  });
});

describe('EcsDeploymentStateChangeEventSchema', () => {
  it.each([
    ['ecs-deployment-in-progress.json', 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO'],
    ['ecs-deployment-completed.json', 'SERVICE_DEPLOYMENT_COMPLETED', 'INFO'],
    ['ecs-deployment-failed.json', 'SERVICE_DEPLOYMENT_FAILED', 'ERROR'],
  ])('parses %s as %s', (file, eventName, eventType) => {
    // Prepare
    const event = loadSample(file);

    // Act
    const parsed = EcsDeploymentStateChangeEventSchema.parse(event);

    // Assess
    expect(parsed.detail.eventName).toBe(eventName);
    expect(parsed.detail.eventType).toBe(eventType);
    expect(parsed.resources[0]).toBe('arn:aws:ecs:eu-west-1:123456789012:service/prod/api');
  });

  it('rejects an event without the service ARN in resources', () => {
    // Prepare
    const event = { ...loadSample('ecs-deployment-failed.json'), resources: [] };

    // Act
    const result = EcsDeploymentStateChangeEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });

  it('rejects a cluster ARN in place of the service ARN', () => {
    // Prepare
    const event = {
      ...loadSample('ecs-deployment-failed.json'),
      resources: ['arn:aws:ecs:eu-west-1:123456789012:cluster/prod'],
    };

    // Act
    const result = EcsDeploymentStateChangeEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['resources', 0]);
  });

  it('rejects another detail-type', () => {
    // Prepare
    const event = { ...loadSample('ecs-deployment-failed.json'), 'detail-type': 'ECS Service Action' };

    // Act
    const result = EcsDeploymentStateChangeEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });

  it('rejects a detail that is not an object', () => {
    // Prepare
    const event = { ...loadSample('ecs-deployment-failed.json'), detail: null };

    // Act
    const result = EcsDeploymentStateChangeEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });
});

describe('EcrCloudTrailApiCallEventSchema', () => {
  it('covers the ECR calls a tag policy follows, one sample each', () => {
    // Prepare
    const samples = AWS_SAMPLES.filter(
      ({ event }) => event['detail-type'] === AWS_API_CALL_VIA_CLOUDTRAIL && event.source === 'aws.ecr',
    );

    // Act
    const calls = samples.map(({ event }) => EcrCloudTrailApiCallEventSchema.parse(event).detail.eventName);

    // Assess
    expect(calls.sort()).toEqual([...REPOSITORY_TAG_API_CALLS].sort());
  });

  it('refuses an ECS record, and the ECS contract refuses an ECR one', () => {
    // Prepare
    const ecs = loadSample('cloudtrail-ecs-tag-resource.json');
    const ecr = loadSample('cloudtrail-ecr-tag-resource.json');

    // Act
    const ecsAsEcr = EcrCloudTrailApiCallEventSchema.safeParse(ecs);
    const ecrAsEcs = EcsCloudTrailApiCallEventSchema.safeParse(ecr);

    // Assess
    expect(ecsAsEcr.success).toBe(false);
    expect(ecrAsEcs.success).toBe(false);
  });
});

describe('EcsCloudTrailApiCallEventSchema', () => {
  it('accepts null responseElements', () => {
    // Prepare
    const event = loadSample('cloudtrail-ecs-tag-resource.json');

    // Act
    const parsed = EcsCloudTrailApiCallEventSchema.parse(event);

    // Assess
    expect(parsed.detail.responseElements).toBeNull();
  });

  it('accepts null requestParameters and a failed call', () => {
    // Prepare
    const event = loadSample('cloudtrail-ecs-update-service.json');
    Object.assign(event.detail as Record<string, unknown>, {
      requestParameters: null,
      responseElements: null,
      errorCode: 'AccessDenied',
      errorMessage: 'User is not authorized to perform: ecs:UpdateService',
    });

    // Act
    const parsed = EcsCloudTrailApiCallEventSchema.parse(event);

    // Assess
    expect(parsed.detail.errorCode).toBe('AccessDenied');
  });

  it('rejects a record from another event source', () => {
    // Prepare
    const event = loadSample('cloudtrail-ecs-update-service.json');
    (event.detail as Record<string, unknown>).eventSource = 'ecr.amazonaws.com';

    // Act
    const result = EcsCloudTrailApiCallEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });

  it('rejects another detail-type', () => {
    // Prepare
    const event = {
      ...loadSample('cloudtrail-ecs-update-service.json'),
      'detail-type': 'ECS Service Action',
    };

    // Act
    const result = EcsCloudTrailApiCallEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });

  it('rejects a detail that is not an object', () => {
    // Prepare
    const event = { ...loadSample('cloudtrail-ecs-update-service.json'), detail: ['UpdateService'] };

    // Act
    const result = EcsCloudTrailApiCallEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });
});

describe('ScheduledEventSchema', () => {
  it('parses the reconcile schedule with its rule ARN', () => {
    // Prepare
    const event = loadSample('scheduled-reconcile.json');

    // Act
    const parsed = ScheduledEventSchema.parse(event);

    // Assess
    expect(parsed.resources[0]).toBe(
      'arn:aws:events:eu-west-1:123456789012:rule/ecs-autopilot-prod-reconcile',
    );
  });

  it('rejects another detail-type', () => {
    // Prepare
    const event = { ...loadSample('scheduled-reconcile.json'), 'detail-type': 'Object Created' };

    // Act
    const result = ScheduledEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });

  it('rejects a detail that is not an object', () => {
    // Prepare
    const event = { ...loadSample('scheduled-reconcile.json'), detail: 42 };

    // Act
    const result = ScheduledEventSchema.safeParse(event);

    // Assess
    expect(result.success).toBe(false);
  });
});

describe('serviceRefFromApiCall', () => {
  const API = { cluster: 'prod', service: 'api' };

  it.each([
    ['cloudtrail-ecs-create-service.json', API],
    ['cloudtrail-ecs-update-service.json', API],
    ['cloudtrail-ecs-delete-service.json', API],
    ['cloudtrail-ecs-tag-resource.json', API],
    ['cloudtrail-ecs-untag-resource.json', API],
  ])('finds the service of %s', (file, expected) => {
    // Prepare
    const detail = cloudTrailDetail(file);

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toEqual(expected);
  });

  it('covers every CloudTrail sample and every API call of the service index', () => {
    // Prepare
    const samples = AWS_SAMPLES.filter(
      ({ event }) => event['detail-type'] === AWS_API_CALL_VIA_CLOUDTRAIL && event.source === 'aws.ecs',
    );

    // Act
    const calls = samples.map(({ file }) => cloudTrailDetail(file).eventName).sort();

    // Assess: the index's calls, RunTask and StartTask, whose records the restart capability reads,
    // and the other calls a tag policy follows (issue 14)
    expect(calls).toEqual(
      [...SERVICE_INDEX_API_CALLS, 'RunTask', 'StartTask', 'CreateCluster', 'RegisterTaskDefinition'].sort(),
    );
  });

  it('returns undefined for a failed call', () => {
    // Prepare
    const detail = withDetail('cloudtrail-ecs-update-service.json', {
      responseElements: null,
      errorCode: 'ServiceNotFoundException',
      errorMessage: 'Service not found.',
    });

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toBeUndefined();
  });

  it('uses the request when the response is missing, with the default cluster', () => {
    // Prepare
    const detail = withDetail('cloudtrail-ecs-create-service.json', {
      requestParameters: { serviceName: 'worker', taskDefinition: 'worker:3' },
      responseElements: null,
    });

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toEqual({ cluster: 'default', service: 'worker' });
  });

  it('reads the cluster name from a cluster ARN in the request', () => {
    // Prepare
    const detail = withDetail('cloudtrail-ecs-update-service.json', {
      requestParameters: { cluster: 'arn:aws:ecs:eu-west-1:123456789012:cluster/staging', service: 'api' },
      responseElements: null,
    });

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toEqual({ cluster: 'staging', service: 'api' });
  });

  it('reads cluster and service from a service ARN in the request', () => {
    // Prepare
    const detail = withDetail('cloudtrail-ecs-delete-service.json', {
      requestParameters: { service: 'arn:aws:ecs:eu-west-1:123456789012:service/staging/worker' },
      responseElements: null,
    });

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toEqual({ cluster: 'staging', service: 'worker' });
  });

  it('combines a legacy short service ARN with the cluster of the response', () => {
    // Prepare
    const detail = withDetail('cloudtrail-ecs-update-service.json', {
      requestParameters: { cluster: 'prod', service: 'api' },
      responseElements: {
        service: {
          serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/api',
          clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
        },
      },
    });

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toEqual({ cluster: 'prod', service: 'api' });
  });

  it('returns undefined when the request names no service', () => {
    // Prepare
    const detail = withDetail('cloudtrail-ecs-update-service.json', {
      requestParameters: null,
      responseElements: null,
    });

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toBeUndefined();
  });

  it('returns undefined for tags on a resource that is not a service', () => {
    // Prepare
    const detail = withDetail('cloudtrail-ecs-tag-resource.json', {
      requestParameters: {
        resourceArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7',
        tags: [{ key: 'autopilot:deploy', value: 'tag:main' }],
      },
    });

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toBeUndefined();
  });

  it('returns undefined for another ECS API call', () => {
    // Prepare
    const detail = withDetail('cloudtrail-ecs-update-service.json', { eventName: 'RunTask' });

    // Act
    const ref = serviceRefFromApiCall(detail);

    // Assess
    expect(ref).toBeUndefined();
  });
});

describe('taskLaunchFromApiCall', () => {
  it('reads the tasks a RunTask record started and what it was asked', () => {
    // Prepare
    const detail = cloudTrailDetail('cloudtrail-ecs-run-task.json');

    // Act
    const launched = taskLaunchFromApiCall(detail);

    // Assess
    expect(launched).toMatchObject({
      eventName: 'RunTask',
      taskArns: ['arn:aws:ecs:eu-west-1:123456789012:task/batch/0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c'],
      request: { cluster: 'batch', taskDefinition: 'worker:3', launchType: 'FARGATE' },
    });
  });

  it('reads nothing from a failed RunTask, nor from another call', () => {
    // Prepare
    const failed = {
      ...cloudTrailDetail('cloudtrail-ecs-run-task.json'),
      responseElements: null,
      errorCode: 'AccessDeniedException',
    };
    const other = cloudTrailDetail('cloudtrail-ecs-update-service.json');

    // Act
    const launched = [taskLaunchFromApiCall(failed), taskLaunchFromApiCall(other)];

    // Assess
    expect(launched).toEqual([undefined, undefined]);
  });
});
