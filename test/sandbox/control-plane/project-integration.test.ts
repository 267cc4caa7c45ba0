import { resolve } from 'node:path';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { BatchDeleteImageCommand, CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  DeleteServiceCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { cloudTrailDate } from '../../../sandbox/control-plane/events';
import { EcsDeploymentControl } from '../../../shared/adapters/aws/ecs-deployment-control';
import { EcsGateway } from '../../../shared/adapters/aws/ecs-gateway';
import { EcsInventory } from '../../../shared/adapters/aws/ecs-inventory';
import { copyWithImage, sourceMarkers } from '../../../shared/domain/deploy/task-definition';
import { PermanentError, RetryableError } from '../../../shared/errors';
import { CloudWatchAlarmStateChangeEventSchema } from '../../../shared/events/cloudwatch-alarm-state-change';
import { EcrImageActionEventSchema } from '../../../shared/events/ecr-image-action';
import {
  EcsCloudTrailApiCallEventSchema,
  serviceRefFromApiCall,
} from '../../../shared/events/ecs-cloudtrail-api-call';
import { EcsDeploymentStateChangeEventSchema } from '../../../shared/events/ecs-deployment-state-change';
import type { EventBridgeEvent } from '../../../tools/eventbridge/event';
import { loadRoutes, route } from '../../../tools/eventbridge/routing';
import {
  ACCOUNT,
  clientConfig,
  createFargateService,
  describeService,
  failure,
  type Harness,
  NETWORK,
  quickRetries,
  REGION,
  REGISTRY,
  registerFargate,
  useControlPlane,
  waitForRollout,
} from './support';

describe('the project adapters against the control plane', () => {
  const harness = useControlPlane();

  it('deploy a pushed digest: describe, copy, register, update, and the deployment completes', async () => {
    // Prepare
    const { ecs, ecr, plane } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    plane.pushImage('team/api', 'main');
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
        runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
        volumes: [{ name: 'tmp' }],
        containerDefinitions: [
          {
            name: 'app',
            image: `${REGISTRY}/team/api:main`,
            secrets: [{ name: 'TOKEN', valueFrom: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/token` }],
            mountPoints: [{ sourceVolume: 'tmp', containerPath: '/tmp' }],
          },
          {
            name: 'sidecar',
            image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1',
            essential: false,
          },
        ],
        tags: [{ key: 'team', value: 'core' }],
      }),
    );
    const source = registered.taskDefinition?.taskDefinitionArn ?? '';
    await createFargateService(ecs, {
      cluster: 'prod',
      service: 'api',
      taskDefinition: source,
      desiredCount: 2,
      tags: [{ key: 'autopilot:deploy', value: 'tag:main' }],
    });
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const { digest } = plane.pushImage('team/api', 'main');
    const gateway = new EcsGateway(ecs);

    // Act
    const [state] = await gateway.describeServices([{ cluster: 'prod', service: 'api' }]);
    const doc = await gateway.describeTaskDefinition(state?.taskDefinitionArn ?? '');
    if (!doc) throw new Error('task definition not found');
    const copy = copyWithImage(doc, {
      containers: ['app'],
      image: `${REGISTRY}/team/api@${digest}`,
      sourceImage: 'team/api:main',
      digest,
      triggeredBy: 'event-1',
      from: state?.taskDefinitionArn ?? '',
    });
    const arn = await gateway.registerTaskDefinition(copy);
    await gateway.updateService({ cluster: 'prod', service: 'api' }, arn);
    const done = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const next = await gateway.describeTaskDefinition(arn);

    // Assess
    expect(state).toMatchObject({
      name: 'api',
      clusterName: 'prod',
      status: 'ACTIVE',
      tags: { 'autopilot:deploy': 'tag:main' },
      deploymentController: 'ECS',
      launchType: 'FARGATE',
      loadBalancerCount: 0,
    });
    expect(arn).toBe(`arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:2`);
    expect(done.taskDefinition).toBe(arn);
    const { containerDefinitions: before, ...restBefore } = doc.definition;
    const { containerDefinitions: after, ...restAfter } = next?.definition ?? { containerDefinitions: [] };
    const readOnly = ['taskDefinitionArn', 'revision', 'registeredAt'];
    for (const field of readOnly) {
      delete (restBefore as Record<string, unknown>)[field];
      delete (restAfter as Record<string, unknown>)[field];
    }
    expect(restAfter).toEqual(restBefore);
    expect(after).toEqual([{ ...before[0], image: `${REGISTRY}/team/api@${digest}` }, before[1]]);
    expect(next?.tags.map((t) => t.key)).toEqual([
      'team',
      'autopilot:source-image',
      'autopilot:source-digest',
      'autopilot:triggered-by',
      'autopilot:source-revision',
    ]);
    const service = await describeService(ecs, 'prod', 'api');
    expect(service.runningCount).toBe(2);
  });

  it('stop an unhealthy deployment with ECS rollback through EcsDeploymentControl', async () => {
    // Prepare
    const { ecs, ecr, plane } = harness();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
    const good = plane.pushImage('team/api', 'main');
    const td1 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td1 });
    await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const bad = plane.pushImage('team/api', 'main', { kind: 'unhealthy' });
    const td2 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api@${bad.digest}`);
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }));
    const control = new EcsDeploymentControl(ecs);

    // Act
    const stopped = await control.stopDeploymentWithRollback({ cluster: 'prod', service: 'api' }, td2);
    const service = await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
    const again = await control.stopDeploymentWithRollback({ cluster: 'prod', service: 'api' }, td2);

    // Assess
    expect(stopped).toBe(true);
    expect(again).toBe(false);
    expect(service).toMatchObject({ taskDefinition: td1, runningCount: 2 });
    const running = [...plane.model.tasks.values()].filter((t) => t.task.lastStatus === 'RUNNING');
    expect(running.map((t) => t.task.containers?.[0]?.imageDigest)).toEqual([good.digest, good.digest]);
  });

  it('a RegisterTaskDefinition whose answer is lost is not retried blindly: the revision is found by its tags', async () => {
    // Prepare
    const { ecs, plane } = harness();
    const td = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
    const source = await new EcsGateway(ecs).describeTaskDefinition(td);
    if (!source) throw new Error('task definition not found');
    const digest = `sha256:${'c'.repeat(64)}`;
    const copy = copyWithImage(source, {
      containers: ['app'],
      image: `${REGISTRY}/team/api@${digest}`,
      sourceImage: 'team/api:main',
      digest,
      triggeredBy: 'event-1',
      from: td,
    });
    const oneAttempt = new ECSClient(clientConfig(plane.endpoint, quickRetries(1)));
    const gateway = new EcsGateway(ecs, oneAttempt);
    const since = new Date(Date.now() - 1000).toISOString();
    plane.setFaults([{ operation: 'RegisterTaskDefinition', kind: 'lost', rate: 1 }]);

    // Act
    const lost = await failure(gateway.registerTaskDefinition(copy));
    plane.setFaults([]);
    const found = await gateway.findRevision('api', sourceMarkers(digest, 'event-1', td), since);
    const other = await gateway.findRevision('api', sourceMarkers(digest, 'event-2', td), since);
    oneAttempt.destroy();

    // Assess
    expect(lost).toBeInstanceOf(RetryableError);
    const revisions = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'api' }));
    expect(revisions.taskDefinitionArns).toEqual([
      td,
      `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:2`,
    ]);
    expect(found).toBe(`arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:2`);
    expect(other).toBeUndefined();
  });

  it('classify answers: a missing revision is undefined, a missing service is permanent', async () => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    const gateway = new EcsGateway(ecs);

    // Act
    const missing = await gateway.describeTaskDefinition(
      `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:9`,
    );
    const update = await failure(gateway.updateService({ cluster: 'prod', service: 'ghost' }, 'api:1'));
    const gone = await gateway.describeServices([{ cluster: 'nope', service: 'api' }]);

    // Assess
    expect(missing).toBeUndefined();
    expect(update).toBeInstanceOf(PermanentError);
    expect(update).toMatchObject({ message: expect.stringContaining('ServiceNotFoundException') });
    expect(gone).toEqual([]);
  });

  it('walk every cluster and service through the paginators', async () => {
    // Prepare
    const { ecs } = harness();
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'web', image: 'nginx:1.27' }],
      }),
    );
    for (const [cluster, count] of [
      ['a', 11],
      ['b', 1],
      ['c', 0],
    ] as const) {
      await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
      for (let i = 0; i < count; i++) {
        await createFargateService(ecs, {
          cluster,
          service: `s${i}`,
          taskDefinition: 'web',
          desiredCount: 0,
          networkConfiguration: NETWORK,
        });
      }
    }
    const inventory = new EcsInventory(ecs);

    // Act
    const clusters = await inventory.listClusters();
    const services = await Promise.all(clusters.map((arn) => inventory.listServices(arn)));
    const deleted = await inventory.listServices(`arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/ghost`);

    // Assess
    expect(clusters).toEqual(['a', 'b', 'c'].map((c) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${c}`));
    expect(services.map((s) => s.length)).toEqual([11, 1, 0]);
    expect(deleted).toEqual([]);
  });
});

const ROUTES = loadRoutes(resolve(__dirname, '..', '..', '..'));

/** Plays push -> deploy -> bad push -> rollback -> retag -> delete, with a standalone task on the side. */
async function playScenario(h: Harness): Promise<{ serviceArn: string }> {
  const { ecs, ecr, plane } = h;
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/api' }));
  plane.pushImage('team/api', 'main');
  const td1 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api:main`);
  const service = await createFargateService(ecs, {
    cluster: 'prod',
    service: 'api',
    taskDefinition: td1,
    desiredCount: 2,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
  });
  await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
  const serviceArn = service.serviceArn ?? '';
  await ecs.send(
    new TagResourceCommand({
      resourceArn: serviceArn,
      tags: [{ key: 'autopilot:deploy', value: 'tag:main' }],
    }),
  );
  const bad = plane.pushImage('team/api', 'main', { kind: 'crash' });
  const td2 = await registerFargate(ecs, 'api', `${REGISTRY}/team/api@${bad.digest}`);
  await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: td2 }));
  await plane.waitForEvent((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_FAILED');
  await waitForRollout(ecs, 'prod', 'api', 'COMPLETED');
  await ecs.send(
    new RunTaskCommand({
      cluster: 'prod',
      taskDefinition: td1,
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
    }),
  );
  await ecs.send(new UntagResourceCommand({ resourceArn: serviceArn, tagKeys: ['autopilot:deploy'] }));
  await ecr.send(
    new BatchDeleteImageCommand({ repositoryName: 'team/api', imageIds: [{ imageDigest: bad.digest }] }),
  );
  await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 0 }));
  await ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'api' }));
  await plane.waitForEvent((e) => e.detail.lastStatus === 'STOPPED' && e.detail.group === 'service:api');
  return { serviceArn };
}

function ofType(
  events: readonly EventBridgeEvent[],
  detailType: string,
  source?: string,
): EventBridgeEvent[] {
  return events.filter(
    (e) => e['detail-type'] === detailType && (source === undefined || e.source === source),
  );
}

describe('events emitted by the control plane', () => {
  const harness = useControlPlane({}, 'all');
  let serviceArn = '';
  beforeAll(async () => {
    ({ serviceArn } = await playScenario(harness()));
  });

  it('all parse as EventBridge events, and the ones autopilot consumes with its contracts', () => {
    // Prepare
    const events = harness().events;

    // Act
    const parsed = events.map((event) => EventBridgeSchema.safeParse(event).error);

    // Assess
    expect(parsed.filter((error) => error !== undefined)).toEqual([]);
    const pushes = ofType(events, 'ECR Image Action');
    const deployments = ofType(events, 'ECS Deployment State Change');
    const apiCalls = ofType(events, 'AWS API Call via CloudTrail', 'aws.ecs');
    expect(pushes.map((e) => e.detail['action-type'])).toEqual(['PUSH', 'PUSH', 'DELETE']);
    expect(deployments.map((e) => e.detail.eventName)).toEqual([
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_COMPLETED',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_FAILED',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_COMPLETED',
    ]);
    for (const event of pushes) expect(EcrImageActionEventSchema.safeParse(event).error).toBeUndefined();
    for (const event of deployments) {
      const parsed = EcsDeploymentStateChangeEventSchema.parse(event);
      expect(parsed.resources[0]).toBe(serviceArn);
    }
    const refs = apiCalls.map((event) => {
      const parsed = EcsCloudTrailApiCallEventSchema.parse(event);
      return [parsed.detail.eventName, serviceRefFromApiCall(parsed.detail)];
    });
    expect(refs).toEqual([
      ['RegisterTaskDefinition', undefined],
      ['CreateCluster', undefined],
      ['CreateService', { cluster: 'prod', service: 'api' }],
      ['TagResource', { cluster: 'prod', service: 'api' }],
      ['RegisterTaskDefinition', undefined],
      ['UpdateService', { cluster: 'prod', service: 'api' }],
      ['RunTask', undefined],
      ['UntagResource', { cluster: 'prod', service: 'api' }],
      ['UpdateService', { cluster: 'prod', service: 'api' }],
      ['DeleteService', { cluster: 'prod', service: 'api' }],
    ]);
  });

  it('reach the functions serverless.yml routes them to', () => {
    // Prepare
    const h = harness();

    // Act
    const routed = h.events.map((e) => [
      e['detail-type'],
      e.detail.eventName ?? e.detail['action-type'],
      route(ROUTES, e),
    ]);

    // Assess
    expect(routed).toContainEqual(['ECR Image Action', 'PUSH', ['deploy-on-push']]);
    expect(routed).toContainEqual(['ECR Image Action', 'DELETE', []]);
    expect(routed).toContainEqual([
      'AWS API Call via CloudTrail',
      'UpdateService',
      ['index-services', 'tag-policies'],
    ]);
    expect(routed).toContainEqual([
      'AWS API Call via CloudTrail',
      'RegisterTaskDefinition',
      ['tag-policies'],
    ]);
    expect(routed).toContainEqual([
      'ECS Deployment State Change',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      ['index-services', 'watch-deployments'],
    ]);
  });

  it('include alarm state changes that parse with the contract and reach watch-deployments in ALARM', () => {
    // Prepare
    const { plane } = harness();

    // Act
    const raised = plane.setAlarmState('prod-api-5xx', 'ALARM');
    const cleared = plane.setAlarmState('prod-api-5xx', 'OK');

    // Assess
    const parsed = CloudWatchAlarmStateChangeEventSchema.parse(raised);
    expect(parsed.detail).toMatchObject({
      alarmName: 'prod-api-5xx',
      state: { value: 'ALARM' },
      previousState: { value: 'INSUFFICIENT_DATA' },
    });
    expect(CloudWatchAlarmStateChangeEventSchema.parse(cleared).detail.previousState?.value).toBe('ALARM');
    expect(route(ROUTES, raised)).toEqual(['watch-deployments']);
    expect(route(ROUTES, cleared)).toEqual([]);
  });

  it('keep the shapes of the AWS documentation for task state changes and CloudTrail records', () => {
    // Prepare
    const h = harness();

    // Act
    const stopped = ofType(h.events, 'ECS Task State Change').find(
      (e) => e.detail.stopCode === 'EssentialContainerExited',
    );

    // Assess
    expect(stopped).toMatchObject({
      version: '0',
      source: 'aws.ecs',
      account: '123456789012',
      region: 'eu-west-1',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      detail: {
        clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
        taskArn: expect.stringMatching(/^arn:aws:ecs:eu-west-1:123456789012:task\/prod\/[0-9a-f]{32}$/),
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:2',
        group: 'service:api',
        launchType: 'FARGATE',
        lastStatus: 'RUNNING',
        desiredStatus: 'STOPPED',
        stoppedReason: 'Essential container in task exited',
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        version: expect.any(Number),
        containers: [
          expect.objectContaining({ name: 'app', exitCode: 1, image: expect.stringContaining('@sha256:') }),
        ],
      },
    });
    expect(stopped?.resources).toEqual([stopped?.detail.taskArn]);
    const create = ofType(h.events, 'AWS API Call via CloudTrail').find(
      (e) => e.detail.eventName === 'CreateService',
    );
    expect(create?.detail).toMatchObject({
      eventSource: 'ecs.amazonaws.com',
      awsRegion: 'eu-west-1',
      recipientAccountId: '123456789012',
      eventType: 'AwsApiCall',
      readOnly: false,
      userIdentity: {
        type: 'IAMUser',
        arn: 'arn:aws:iam::123456789012:user/sandbox',
        accessKeyId: 'AKIDSANDBOXTEST',
      },
      requestParameters: { cluster: 'prod', serviceName: 'api', desiredCount: 2 },
      responseElements: {
        service: {
          serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api',
          createdAt: expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d (AM|PM)$/),
        },
      },
    });
    const tag = ofType(h.events, 'AWS API Call via CloudTrail').find(
      (e) => e.detail.eventName === 'TagResource',
    );
    expect(tag?.detail.responseElements).toBeNull();
    const ecrCall = ofType(h.events, 'AWS API Call via CloudTrail', 'aws.ecr')[0];
    expect(ecrCall?.detail).toMatchObject({
      eventSource: 'ecr.amazonaws.com',
      eventName: 'CreateRepository',
    });
    const steady = ofType(h.events, 'ECS Service Action')[0];
    expect(steady?.detail).toEqual({
      eventType: 'INFO',
      eventName: 'SERVICE_STEADY_STATE',
      clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
      createdAt: expect.any(String),
    });
  });
});

describe('CloudTrail records of failed calls', () => {
  const harness = useControlPlane();

  it('carry the error code', async () => {
    // Prepare
    const { ecs, events } = harness();

    // Act
    await ecs
      .send(new UpdateServiceCommand({ cluster: 'default', service: 'api', desiredCount: 1 }))
      .catch(() => undefined);

    // Assess
    const parsed = EcsCloudTrailApiCallEventSchema.parse(events.at(-1));
    expect(parsed.detail).toMatchObject({
      eventName: 'UpdateService',
      errorCode: 'ClusterNotFoundException',
      errorMessage: 'Cluster not found.',
      responseElements: null,
    });
    expect(serviceRefFromApiCall(parsed.detail)).toBeUndefined();
  });
});

describe('cloudTrailDate', () => {
  it.each([
    ['2025-03-14T09:22:30Z', 'Mar 14, 2025, 9:22:30 AM'],
    ['2025-03-14T21:05:09Z', 'Mar 14, 2025, 9:05:09 PM'],
    ['2025-01-01T00:00:00Z', 'Jan 1, 2025, 12:00:00 AM'],
    ['2025-12-31T12:59:59Z', 'Dec 31, 2025, 12:59:59 PM'],
  ])('formats %s as %s', (iso, expected) => {
    // Act
    const formatted = cloudTrailDate(new Date(iso));

    // Assess
    expect(formatted).toBe(expected);
  });
});
