/**
 * index-services fed the samples in events/: ECS and EventBridge faked with aws-sdk-client-mock, the
 * table in dynalite on 127.0.0.1.
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { AutopilotEventSchemas, CONFIGURATION_PROBLEM } from '../../shared/events/autopilot-events';
import { lambdaContext, sampleEvent, useFunctionUnderTest } from '../support/handler';

const ecs = mockClient(ECSClient);
const bus = mockClient(EventBridgeClient);
const ACCOUNT = '123456789012';
const CLUSTER_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`;
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/api`;
const TD_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:7`;
const REPO_KEY = `${ACCOUNT}:eu-west-1:team/api`;

function givenService(tags: Record<string, string>, status = 'ACTIVE') {
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: SERVICE_ARN,
        serviceName: 'api',
        clusterArn: CLUSTER_ARN,
        status,
        taskDefinition: TD_ARN,
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      },
    ],
  });
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      family: 'api',
      taskDefinitionArn: TD_ARN,
      containerDefinitions: [
        { name: 'app', image: `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/team/api:main` },
        { name: 'proxy', image: 'envoyproxy/envoy:v1.31-latest' },
      ],
    },
  });
}

const fn = useFunctionUnderTest('index-services');

beforeEach(async () => {
  ecs.reset();
  bus.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

/** The TagResource sample, tagging prod/api `autopilot:deploy=<value>`, as a distinct event. */
function tagged(value: string, id: string) {
  const event = sampleEvent<{
    id: string;
    detail: { requestParameters: { tags: { key: string; value: string }[] } };
  }>('cloudtrail-ecs-tag-resource');
  event.id = id;
  event.detail.requestParameters.tags = [{ key: 'autopilot:deploy', value }];
  return event;
}

/** The details of the autopilot events PutEvents was given, in order. */
function published(): { detailType?: string; bus?: string; detail: unknown }[] {
  return bus.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => ({
      detailType: entry.DetailType,
      bus: entry.EventBusName,
      detail: JSON.parse(entry.Detail ?? '{}') as unknown,
    })),
  );
}

describe('index-services handler', () => {
  it.each([
    'cloudtrail-ecs-create-service',
    'cloudtrail-ecs-update-service',
    'cloudtrail-ecs-tag-resource',
    'ecs-deployment-in-progress',
  ])('indexes an opted-in service under its private ECR repositories on %s', async (sample) => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:main' });

    // Act
    const result = await fn.handler(sampleEvent(sample), lambdaContext('index-services'));

    // Assess
    expect(result.decisions).toEqual([
      expect.objectContaining({ action: 'indexed', repositories: [REPO_KEY] }),
    ]);
    expect(await fn.state.index.servicesForRepository(REPO_KEY)).toEqual([
      { serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' },
    ]);
    expect(bus).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('announces a misconfigured tag once, and once more when it is fixed', async () => {
    // Prepare
    const broken = tagged('tags:main', '6f0d1a57-5a1f-4c39-a3b4-1d5f0f6e2c01');
    const seenAgain = tagged('tags:main', '6f0d1a57-5a1f-4c39-a3b4-1d5f0f6e2c02');
    const fixed = tagged('tag:main', '6f0d1a57-5a1f-4c39-a3b4-1d5f0f6e2c03');

    // Act
    givenService({ 'autopilot:deploy': 'tags:main' });
    const first = await fn.handler(broken, lambdaContext('index-services'));
    await fn.handler(seenAgain, lambdaContext('index-services'));
    givenService({ 'autopilot:deploy': 'tag:main' });
    await fn.handler(fixed, lambdaContext('index-services'));

    // Assess
    expect(first.decisions).toEqual([
      expect.objectContaining({
        action: 'removed',
        problems: [expect.objectContaining({ tagKey: 'autopilot:deploy', action: 'announced' })],
      }),
    ]);
    const events = published();
    expect(events.map((e) => [e.detailType, e.bus])).toEqual([
      ['Configuration Problem', 'ecs-autopilot-test'],
      ['Configuration Problem', 'ecs-autopilot-test'],
    ]);
    expect(AutopilotEventSchemas[CONFIGURATION_PROBLEM].parse(events[0]?.detail)).toMatchObject({
      cluster: 'prod',
      service: 'api',
      serviceArn: SERVICE_ARN,
      tagKey: 'autopilot:deploy',
      tagValue: 'tags:main',
      suggestion: 'tag:main',
      resolved: false,
      dryRun: false,
      triggeredBy: broken.id,
    });
    expect(events[1]?.detail).toMatchObject({ tagValue: 'tags:main', resolved: true, triggeredBy: fixed.id });
    expect(await fn.state.problems.announcedProblems(SERVICE_ARN)).toEqual([]);
    expect(await fn.state.index.servicesForRepository(REPO_KEY)).toHaveLength(1);
  });

  it('removes a service whose opt-in tag was removed', async () => {
    // Prepare
    await fn.state.index.indexRepositories(
      { serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' },
      [REPO_KEY],
    );
    givenService({});

    // Act
    const result = await fn.handler(
      sampleEvent('cloudtrail-ecs-untag-resource'),
      lambdaContext('index-services'),
    );

    // Assess
    expect(result.decisions[0]).toMatchObject({ action: 'removed', reason: 'no autopilot:deploy tag' });
    expect(await fn.state.index.servicesForRepository(REPO_KEY)).toEqual([]);
  });

  it('removes a deleted service', async () => {
    // Prepare
    await fn.state.index.indexRepositories(
      { serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' },
      [REPO_KEY],
    );
    givenService({ 'autopilot:deploy': 'tag:main' }, 'DRAINING');

    // Act
    await fn.handler(sampleEvent('cloudtrail-ecs-delete-service'), lambdaContext('index-services'));

    // Assess
    expect(await fn.state.index.servicesForRepository(REPO_KEY)).toEqual([]);
  });

  it('reconciles every cluster and service on the schedule', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'semver:minor' });
    ecs.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER_ARN] });
    ecs.on(ListServicesCommand).resolves({ serviceArns: [SERVICE_ARN] });

    // Act
    const result = await fn.handler(sampleEvent('scheduled-reconcile'), lambdaContext('index-services'));

    // Assess
    expect(result).toMatchObject({ status: 'finished', counts: { indexed: 1 } });
    expect(result.decisions).toHaveLength(1);
    expect(ecs).toHaveReceivedCommandWith(ListServicesCommand, { cluster: CLUSTER_ARN, maxResults: 100 });
    expect(await fn.state.index.servicesForRepository(REPO_KEY)).toHaveLength(1);
  });

  it('answers the schedule with a summary of bounded size, however many services it indexed', async () => {
    // Prepare
    const arns = Array.from({ length: 40 }, (_, i) => `${SERVICE_ARN}-${i}`);
    const services = arns.map((serviceArn, i) => ({
      serviceArn,
      serviceName: `api-${i}`,
      clusterArn: CLUSTER_ARN,
      status: 'ACTIVE',
      taskDefinition: TD_ARN,
      tags: [{ key: 'autopilot:deploy', value: 'tag:main' }],
    }));
    givenService({});
    ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: services.filter((s) => input.services.includes(s.serviceArn)),
    }));
    ecs.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER_ARN] });
    ecs.on(ListServicesCommand).resolves({ serviceArns: arns });
    const event = structuredClone(sampleEvent<{ id: string }>('scheduled-reconcile'));
    event.id = '6a4f1c7e-0b7e-4d55-9d1e-7f3c2b9a0d11';

    // Act
    const result = await fn.handler(event, lambdaContext('index-services'));

    // Assess
    expect(result.counts).toEqual({ unchanged: 0, indexed: 40, removed: 0, problems: 0 });
    expect(result.decisions).toHaveLength(5);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(4);
  });

  it('stops before listing when the Lambda has no time left, and says where the sweep goes on', async () => {
    // Prepare
    ecs.on(ListClustersCommand).resolves({ clusterArns: [CLUSTER_ARN] });
    const context = { ...lambdaContext('index-services'), getRemainingTimeInMillis: () => 1_000 };
    const event = structuredClone(sampleEvent<{ id: string }>('scheduled-reconcile'));
    event.id = '0f8e2a4b-5c6d-4e7f-8a9b-0c1d2e3f4a5b';

    // Act
    const result = await fn.handler(event, context);

    // Assess
    expect(result).toMatchObject({ status: 'continues', cursor: { clusterArn: CLUSTER_ARN } });
    expect(ecs.commandCalls(ListServicesCommand)).toHaveLength(0);
  });

  it('ignores a CloudTrail record of a failed call', async () => {
    // Prepare
    const event = sampleEvent<{ detail: Record<string, unknown> }>('cloudtrail-ecs-update-service');
    event.detail.errorCode = 'AccessDenied';

    // Act
    const result = await fn.handler(event, lambdaContext('index-services'));

    // Assess
    expect(result.decisions).toEqual([]);
    expect(ecs.calls()).toHaveLength(0);
  });
});
