/**
 * deploy-on-push fed the samples in events/: ECS, ECR, EventBridge and SQS faked with
 * aws-sdk-client-mock, the table (state and idempotency) in dynalite on 127.0.0.1.
 */

import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { lambdaContext, sampleEvent, useFunctionUnderTest } from '../support/handler';

const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const bus = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const CLUSTER_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/prod`;
const SERVICE_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/prod/api`;
const TD_ARN = `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:7`;
const OLD_DIGEST = `sha256:${'a'.repeat(64)}`;

function givenService(tags: Record<string, string>, image = `${REGISTRY}/team/api@${OLD_DIGEST}`) {
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        serviceArn: SERVICE_ARN,
        serviceName: 'api',
        clusterArn: CLUSTER_ARN,
        status: 'ACTIVE',
        taskDefinition: TD_ARN,
        launchType: 'FARGATE',
        loadBalancers: [
          {
            targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/1',
            containerName: 'app',
            containerPort: 8080,
          },
        ],
        tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      },
    ],
    failures: [],
  });
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: TD_ARN,
      family: 'api',
      revision: 7,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/api-execution`,
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      registeredAt: new Date('2026-11-01T10:00:00Z'),
      registeredBy: `arn:aws:iam::${ACCOUNT}:role/deployer`,
      containerDefinitions: [
        {
          name: 'app',
          image,
          essential: true,
          secrets: [{ name: 'DB', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/db' }],
        },
        {
          name: 'log-router',
          image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
          essential: false,
        },
      ],
    },
    tags: [{ key: 'team', value: 'payments' }],
  });
  ecs.on(RegisterTaskDefinitionCommand).resolves({
    taskDefinition: { taskDefinitionArn: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:8` },
  });
  ecs.on(UpdateServiceCommand).resolves({});
}

const fn = useFunctionUnderTest('deploy-on-push');

beforeEach(async () => {
  ecs.reset();
  ecr.reset();
  bus.reset();
  sqs.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
  process.env.AUTOPILOT_DRY_RUN = 'false';
  await fn.state.index.indexRepositories(
    { serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' },
    [`${ACCOUNT}:eu-west-1:team/api`],
  );
});

/**
 * A sample push (or replication) with a fresh event id (idempotency is keyed on it), its image in ECR:
 * DescribeImages by its tag answers its digest (deploy on push asks what the tag points at now).
 */
function push(name = 'ecr-image-push') {
  const event = sampleEvent<{ id: string; detail: Record<string, unknown> }>(name);
  event.id = crypto.randomUUID();
  const tag = event.detail['image-tag'];
  if (typeof tag === 'string') {
    ecr
      .on(DescribeImagesCommand, { imageIds: [{ imageTag: tag }] })
      .resolves({ imageDetails: [{ imageDigest: String(event.detail['image-digest']), imageTags: [tag] }] });
  }
  return event;
}

describe('deploy-on-push handler', () => {
  it('registers a revision pinned by digest and updates a service that follows the pushed tag', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:main' });
    const event = push();

    // Act
    const result = await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    const digest = event.detail['image-digest'];
    expect(result.decisions).toEqual([
      expect.objectContaining({
        action: 'deploy',
        service: 'api',
        reason: 'follows tag main',
        containers: ['app'],
      }),
    ]);
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered?.containerDefinitions?.[0]?.image).toBe(`${REGISTRY}/team/api@${digest}`);
    expect(registered?.containerDefinitions?.[1]?.image).toBe(
      'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
    );
    expect(registered).not.toHaveProperty('taskDefinitionArn');
    expect(registered).not.toHaveProperty('registeredAt');
    expect(registered?.tags).toEqual(
      expect.arrayContaining([
        { key: 'team', value: 'payments' },
        { key: 'autopilot:source-image', value: 'team/api:main' },
      ]),
    );
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: 'prod',
      service: 'api',
      taskDefinition: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:8`,
    });
    const published = bus.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(published).toMatchObject({
      Source: 'autopilot',
      DetailType: 'Deployment Started',
      EventBusName: 'ecs-autopilot-test',
    });
    const history = await DynamoDBDocumentClient.from(fn.dynamo.client).send(
      new QueryCommand({
        TableName: fn.dynamo.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
        ExpressionAttributeValues: { ':pk': `SVC#${SERVICE_ARN}`, ':d': 'DEPLOY#' },
      }),
    );
    expect(history.Items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ digest, tag: 'main', triggeredBy: event.id, state: 'STARTED' }),
      ]),
    );
  });

  it('changes nothing the second time the same event is delivered', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:main' });
    const event = push();
    await fn.handler(event, lambdaContext('deploy-on-push'));

    // Act
    const second = await fn.handler(structuredClone(event), lambdaContext('deploy-on-push'));

    // Assess
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(second.decisions[0].action).toBe('deploy');
    expect(second.replayed).toBe(true);
  });

  it('deploys for real an event that was dispatched in dry run before', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:main' });
    const event = push();
    process.env.AUTOPILOT_DRY_RUN = 'true';
    const dry = await fn.handler(event, lambdaContext('deploy-on-push'));
    process.env.AUTOPILOT_DRY_RUN = 'false';

    // Act
    const real = await fn.handler(structuredClone(event), lambdaContext('deploy-on-push'));

    // Assess
    expect(dry.decisions[0]).toMatchObject({ action: 'deploy', dryRun: true });
    expect(real.replayed).toBeUndefined();
    expect(real.decisions[0]).toMatchObject({ action: 'deploy' });
    expect(real.decisions[0].dryRun).toBeUndefined();
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });

  it('keeps its idempotency records apart from those of other functions, wherever it runs', async () => {
    // Prepare: no AWS_LAMBDA_FUNCTION_NAME, as in `autopilot dispatch`
    givenService({ 'autopilot:deploy': 'tag:main' });
    const event = push();
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;

    // Act
    await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    const records = await DynamoDBDocumentClient.from(fn.dynamo.client).send(
      new QueryCommand({
        TableName: fn.dynamo.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'IDEMPOTENCY#deploy-on-push' },
      }),
    );
    expect(records.Items).toHaveLength(1);
    expect(records.Items?.[0]?.sk).toMatch(/^IDEMPOTENCY#deploy-on-push#/);
  });

  it('does not act on digest-only pushes (per-platform manifests)', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:main' });

    // Act
    const result = await fn.handler(push('ecr-image-push-digest-only'), lambdaContext('deploy-on-push'));

    // Assess
    expect(result).toEqual({ decisions: [], ignored: expect.stringContaining('without an image tag') });
    expect(ecs.calls()).toHaveLength(0);
  });

  it('tells a revert by someone else to an older image than it deployed (CloudTrail UpdateService)', async () => {
    // Prepare: autopilot deployed api:8 (NEW); jane.doe points prod/api at api:7 (OLD) again
    const NEW = `sha256:${'b'.repeat(64)}`;
    givenService({ 'autopilot:deploy': 'tag:main' });
    await fn.state.history.recordDeployment({
      serviceArn: SERVICE_ARN,
      cluster: 'prod',
      service: 'api',
      fromTaskDefinition: TD_ARN,
      toTaskDefinition: `arn:aws:ecs:eu-west-1:${ACCOUNT}:task-definition/api:8`,
      repository: 'team/api',
      tag: 'main',
      digest: NEW,
      startedAt: '2025-03-14T09:00:00.000Z',
      triggeredBy: 'push-1',
      state: 'STARTED',
    });
    ecr.on(DescribeImagesCommand, { imageIds: [{ imageDigest: OLD_DIGEST }] }).resolves({
      imageDetails: [
        { imageDigest: OLD_DIGEST, imageTags: ['v1'], imagePushedAt: new Date('2025-03-01T00:00:00Z') },
      ],
    });
    ecr.on(DescribeImagesCommand, { imageIds: [{ imageDigest: NEW }] }).resolves({
      imageDetails: [
        { imageDigest: NEW, imageTags: ['main'], imagePushedAt: new Date('2025-03-14T08:59:00Z') },
      ],
    });
    const event = sampleEvent<{ id: string }>('cloudtrail-ecs-update-service');
    event.id = crypto.randomUUID();

    // Act
    const result = await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    expect(result.decisions).toEqual([
      expect.objectContaining({ action: 'notified', service: 'api', revertedTo: TD_ARN }),
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    const published = bus.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(published.map((e) => e.DetailType)).toEqual(['Deployment Reverted']);
    expect(JSON.parse(String(published[0]?.Detail))).toMatchObject({
      by: 'arn:aws:sts::123456789012:assumed-role/platform-operator/jane.doe',
      action: 'notified',
      digest: NEW,
    });
  });

  it('reports why a pushed tag is not deployed', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:release' });

    // Act
    const result = await fn.handler(push(), lambdaContext('deploy-on-push'));

    // Assess
    expect(result.decisions[0]).toMatchObject({
      action: 'skip',
      reason: 'pushed tag main is not the followed tag release',
    });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(bus.calls()).toHaveLength(0);
  });

  it('moves a semver service to a newer minor version, reading the running version from ECR', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'semver:minor' });
    ecr
      .on(DescribeImagesCommand, { imageIds: [{ imageDigest: OLD_DIGEST }] })
      .resolves({ imageDetails: [{ imageTags: ['1.4.2', 'stable'] }] });

    // Act
    const result = await fn.handler(push('ecr-image-push-semver'), lambdaContext('deploy-on-push'));

    // Assess
    expect(result.decisions[0]).toMatchObject({ action: 'deploy', tag: '1.5.0' });
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'team/api',
      imageIds: [{ imageDigest: OLD_DIGEST }],
    });
  });

  it('decides but changes nothing in dry run', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:main' });
    process.env.AUTOPILOT_DRY_RUN = 'true';

    // Act
    const result = await fn.handler(push(), lambdaContext('deploy-on-push'));

    // Assess
    expect(result.decisions[0]).toMatchObject({ action: 'deploy', dryRun: true });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('rejects a malformed event without acting and parks it in the dead-letter queue', async () => {
    // Prepare
    const event = push();
    delete event.detail['repository-name'];
    process.env.AUTOPILOT_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-test-dlq';
    sqs.on(SendMessageCommand).resolves({});

    // Act
    const result = await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    delete process.env.AUTOPILOT_DLQ_URL;
    expect(result).toMatchObject({ status: 'rejected', reason: expect.stringContaining('repository-name') });
    expect(ecs.calls()).toHaveLength(0);
    const body = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(body).toMatchObject({ rejectedBy: 'deploy-on-push', event: { id: event.id } });
  });

  it('throws on throttling that outlasts the SDK retries, so the event is retried, and the retry deploys', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:main' });
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: {},
    });
    ecs.on(UpdateServiceCommand).rejectsOnce(throttled).resolves({});
    const event = push();

    // Act
    const first = fn.handler(event, lambdaContext('deploy-on-push'));
    await expect(first).rejects.toThrow(/ThrottlingException/);
    const retry = await fn.handler(structuredClone(event), lambdaContext('deploy-on-push'));

    // Assess: the revision registered by the first attempt is reused
    expect(retry.decisions[0]).toMatchObject({ action: 'deploy' });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(2);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
  });

  it('skips a push whose tag ECR says has moved on to a newer digest', async () => {
    // Prepare
    givenService({ 'autopilot:deploy': 'tag:main' });
    const event = push();
    const newer = `sha256:${'e'.repeat(64)}`;
    ecr
      .on(DescribeImagesCommand, { imageIds: [{ imageTag: 'main' }] })
      .resolves({ imageDetails: [{ imageDigest: newer, imageTags: ['main'] }] });

    // Act
    const result = await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    expect(result.decisions[0]).toMatchObject({
      action: 'skip',
      reason: `superseded: team/api:main now points at ${newer}, pushed after this one`,
    });
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      registryId: ACCOUNT,
      repositoryName: 'team/api',
      imageIds: [{ imageTag: 'main' }],
    });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(bus.calls()).toHaveLength(0);
  });
});

describe('deploy-on-push handler, fed an image ECR replicated into this region', () => {
  const PAYMENTS_KEY = `${ACCOUNT}:eu-west-1:team/payments`;

  /** prod/api runs team/payments 1.4.2 from this region's registry, on semver:minor. */
  async function givenPaymentsFollower() {
    givenService({ 'autopilot:deploy': 'semver:minor' }, `${REGISTRY}/team/payments@${OLD_DIGEST}`);
    ecr
      .on(DescribeImagesCommand, { imageIds: [{ imageDigest: OLD_DIGEST }] })
      .resolves({ imageDetails: [{ imageDigest: OLD_DIGEST, imageTags: ['1.4.2'] }] });
    await fn.state.index.indexRepositories(
      { serviceArn: SERVICE_ARN, clusterArn: CLUSTER_ARN, serviceName: 'api' },
      [PAYMENTS_KEY],
    );
  }

  it("deploys the replica from this region's registry, saying where it was replicated from", async () => {
    // Prepare
    await givenPaymentsFollower();
    const event = push('ecr-replication-action');

    // Act
    const result = await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    const digest = event.detail['image-digest'];
    expect(result.decisions).toEqual([
      expect.objectContaining({
        action: 'deploy',
        repository: 'team/payments',
        tag: '1.5.0',
        digest,
        reason: expect.stringMatching(/; replicated by ECR from us-east-1$/),
      }),
    ]);
    const registered = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered?.containerDefinitions?.[0]?.image).toBe(`${REGISTRY}/team/payments@${digest}`);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      registryId: ACCOUNT,
      repositoryName: 'team/payments',
      imageIds: [{ imageTag: '1.5.0' }],
    });
    const published = bus.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(published.map((e) => e.DetailType)).toEqual(['Deployment Started']);
  });

  it('changes nothing the second time the same replication is delivered', async () => {
    // Prepare
    await givenPaymentsFollower();
    const event = push('ecr-replication-action');
    await fn.handler(event, lambdaContext('deploy-on-push'));

    // Act
    const second = await fn.handler(structuredClone(event), lambdaContext('deploy-on-push'));

    // Assess
    expect(second.replayed).toBe(true);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('skips a failed replication with the reason, without parking it', async () => {
    // Prepare
    await givenPaymentsFollower();
    const event = push('ecr-replication-action');
    event.detail.result = 'FAILED';
    process.env.AUTOPILOT_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-test-dlq';

    // Act
    const result = await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    delete process.env.AUTOPILOT_DLQ_URL;
    expect(result).toEqual({ decisions: [], ignored: 'not a successful replication (REPLICATE FAILED)' });
    expect(ecs.calls()).toHaveLength(0);
    expect(sqs.calls()).toHaveLength(0);
  });

  it('skips a replication of an untagged image (a per-platform manifest)', async () => {
    // Prepare
    await givenPaymentsFollower();
    const event = push('ecr-replication-action');
    delete event.detail['image-tag'];

    // Act
    const result = await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    expect(result).toEqual({
      decisions: [],
      ignored: expect.stringContaining('replication without an image tag'),
    });
    expect(ecs.calls()).toHaveLength(0);
  });

  it('rejects a malformed replication without acting and parks it in the dead-letter queue', async () => {
    // Prepare
    const event = push('ecr-replication-action');
    event.detail['source-region'] = 'us east 1';
    process.env.AUTOPILOT_DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ecs-autopilot-test-dlq';
    sqs.on(SendMessageCommand).resolves({});

    // Act
    const result = await fn.handler(event, lambdaContext('deploy-on-push'));

    // Assess
    delete process.env.AUTOPILOT_DLQ_URL;
    expect(result).toMatchObject({ status: 'rejected', reason: expect.stringContaining('source-region') });
    expect(ecs.calls()).toHaveLength(0);
    const body = JSON.parse(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody ?? '{}');
    expect(body).toMatchObject({ rejectedBy: 'deploy-on-push', event: { id: event.id } });
  });
});
