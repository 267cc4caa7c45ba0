import 'aws-sdk-client-mock-jest';
import {
  AccessDeniedException,
  ClientException,
  ClusterNotFoundException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ECSServiceException,
  InvalidParameterException,
  RegisterTaskDefinitionCommand,
  type Service,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsGateway } from '../../shared/adapters/aws/ecs-gateway';
import { clusterNameOf } from '../../shared/domain/aws/arn';
import { PermanentError, RetryableError } from '../../shared/errors';
import type { ServiceState, TaskDefinitionDocument } from '../../shared/ports';
import { failedRequestMetadata, throttlingError, unmodeledAwsError } from '../support/aws-errors';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const clusterArn = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`;
const serviceArn = (cluster: string, name: string) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;
const taskDefinitionArn = (family: string, revision: number) =>
  `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;

/** A minimal ACTIVE service as DescribeServices returns it for `cluster` (a name or an ARN). */
function describedService(cluster: string, name: string): Service {
  const clusterName = clusterNameOf(cluster);
  return {
    serviceArn: serviceArn(clusterName, name),
    serviceName: name,
    clusterArn: clusterArn(clusterName),
    status: 'ACTIVE',
    taskDefinition: taskDefinitionArn(name, 1),
  };
}

const ecs = mockClient(ECSClient);

beforeEach(() => {
  ecs.reset();
});

describe('EcsGateway.describeServices', () => {
  it('describes the services of one cluster ten at a time, with their tags', async () => {
    // Prepare
    const names = Array.from({ length: 23 }, (_, i) => `svc-${String(i).padStart(2, '0')}`);
    ecs.on(DescribeServicesCommand).callsFake((input) => ({
      services: (input.services ?? []).map((name: string) => describedService(input.cluster ?? '', name)),
      failures: [],
    }));
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const states = await gateway.describeServices(names.map((service) => ({ cluster: 'prod', service })));

    // Assess
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 3);
    expect(ecs).toHaveReceivedNthCommandWith(1, DescribeServicesCommand, {
      cluster: 'prod',
      services: names.slice(0, 10),
      include: ['TAGS'],
    });
    expect(ecs).toHaveReceivedNthCommandWith(2, DescribeServicesCommand, {
      cluster: 'prod',
      services: names.slice(10, 20),
      include: ['TAGS'],
    });
    expect(ecs).toHaveReceivedNthCommandWith(3, DescribeServicesCommand, {
      cluster: 'prod',
      services: names.slice(20),
      include: ['TAGS'],
    });
    expect(states.map((s) => s.name)).toEqual(names);
  });

  it('groups services per cluster, one call for each cluster', async () => {
    // Prepare
    const prod = clusterArn('prod');
    ecs.on(DescribeServicesCommand).callsFake((input) => ({
      services: (input.services ?? []).map((name: string) => describedService(input.cluster ?? '', name)),
    }));
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const states = await gateway.describeServices([
      { cluster: prod, service: 'api' },
      { cluster: 'staging', service: 'api' },
      { cluster: prod, service: 'worker' },
      { cluster: 'staging', service: 'web' },
    ]);

    // Assess
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 2);
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: prod,
      services: ['api', 'worker'],
      include: ['TAGS'],
    });
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: 'staging',
      services: ['api', 'web'],
      include: ['TAGS'],
    });
    expect(states.map((s) => `${s.clusterName}/${s.name}`)).toEqual([
      'prod/api',
      'prod/worker',
      'staging/api',
      'staging/web',
    ]);
  });

  it('maps a described service to a ServiceState', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn: serviceArn('prod', 'api'),
          serviceName: 'api',
          clusterArn: clusterArn('prod'),
          status: 'ACTIVE',
          taskDefinition: taskDefinitionArn('api', 42),
          deploymentController: { type: 'CODE_DEPLOY' },
          capacityProviderStrategy: [
            { capacityProvider: 'FARGATE', weight: 1, base: 1 },
            { capacityProvider: 'FARGATE_SPOT', weight: 3 },
          ],
          loadBalancers: [
            {
              targetGroupArn: 'arn:aws:elasticloadbalancing:tg/blue',
              containerName: 'app',
              containerPort: 80,
            },
            {
              targetGroupArn: 'arn:aws:elasticloadbalancing:tg/green',
              containerName: 'app',
              containerPort: 80,
            },
          ],
          tags: [
            { key: 'autopilot:deploy', value: 'semver' },
            { key: 'team', value: 'payments' },
          ],
        },
      ],
    });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const states = await gateway.describeServices([{ cluster: 'prod', service: 'api' }]);

    // Assess
    expect(states).toEqual<ServiceState[]>([
      {
        arn: serviceArn('prod', 'api'),
        name: 'api',
        clusterArn: clusterArn('prod'),
        clusterName: 'prod',
        status: 'ACTIVE',
        tags: { 'autopilot:deploy': 'semver', team: 'payments' },
        deploymentController: 'CODE_DEPLOY',
        taskDefinitionArn: taskDefinitionArn('api', 42),
        launchType: undefined,
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        loadBalancerCount: 2,
        deployments: [],
        deploymentConfiguration: {
          circuitBreaker: { enable: false, rollback: false },
          alarmRollback: false,
          strategy: 'ROLLING',
        },
      },
    ]);
  });

  it('defaults the deployment controller to ECS and fills empty collections', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [{ ...describedService('prod', 'worker'), launchType: 'FARGATE' }],
    });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const [state] = await gateway.describeServices([{ cluster: 'prod', service: 'worker' }]);

    // Assess
    expect(state).toMatchObject<Partial<ServiceState>>({
      clusterName: 'prod',
      deploymentController: 'ECS',
      launchType: 'FARGATE',
      tags: {},
      capacityProviders: [],
      loadBalancerCount: 0,
    });
  });

  it('leaves out services that ECS reports as missing', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand).resolves({
      services: [describedService('prod', 'api')],
      failures: [{ arn: serviceArn('prod', 'gone'), reason: 'MISSING' }],
    });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const states = await gateway.describeServices([
      { cluster: 'prod', service: 'api' },
      { cluster: 'prod', service: 'gone' },
    ]);

    // Assess
    expect(states.map((s) => s.name)).toEqual(['api']);
  });

  it('skips a cluster that no longer exists and still describes the others', async () => {
    // Prepare
    ecs
      .on(DescribeServicesCommand, { cluster: 'deleted' })
      .rejects(
        new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: failedRequestMetadata() }),
      )
      .on(DescribeServicesCommand, { cluster: 'prod' })
      .resolves({ services: [describedService('prod', 'api')] });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const states = await gateway.describeServices([
      { cluster: 'deleted', service: 'api' },
      { cluster: 'prod', service: 'api' },
    ]);

    // Assess
    expect(ecs).toHaveReceivedCommandTimes(DescribeServicesCommand, 2);
    expect(states.map((s) => `${s.clusterName}/${s.name}`)).toEqual(['prod/api']);
  });

  it('classifies throttling as retryable and keeps the SDK error as cause', async () => {
    // Prepare
    const throttled = throttlingError(ECSServiceException);
    ecs.on(DescribeServicesCommand).rejects(throttled);
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const result = gateway.describeServices([{ cluster: 'prod', service: 'api' }]);

    // Assess
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({
      message: 'DescribeServices prod failed: ThrottlingException: Rate exceeded',
      cause: throttled,
    });
  });

  it('classifies an invalid parameter as permanent and keeps the SDK error as cause', async () => {
    // Prepare
    const invalid = new InvalidParameterException({
      message: 'Invalid identifier: Unexpected number of separators',
      $metadata: failedRequestMetadata(),
    });
    ecs.on(DescribeServicesCommand).rejects(invalid);
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const result = gateway.describeServices([{ cluster: 'prod', service: 'a:b:c' }]);

    // Assess
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).not.toBeInstanceOf(RetryableError);
    expect((error as Error).cause).toBe(invalid);
    expect((error as Error).message).toContain('InvalidParameterException');
  });

  it('makes no call for no services', async () => {
    // Prepare
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const states = await gateway.describeServices([]);

    // Assess
    expect(states).toEqual([]);
    expect(ecs).not.toHaveReceivedAnyCommand();
  });
});

describe('EcsGateway.describeTaskDefinition', () => {
  const arn = taskDefinitionArn('api', 7);

  it('describes the task definition with its tags', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: arn,
        family: 'api',
        revision: 7,
        status: 'ACTIVE',
        cpu: '256',
        memory: '512',
        networkMode: 'awsvpc',
        containerDefinitions: [
          { name: 'app', image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/api:1.4.2`, essential: true },
        ],
      },
      tags: [{ key: 'team', value: 'payments' }],
    });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const doc = await gateway.describeTaskDefinition(arn);

    // Assess
    expect(ecs).toHaveReceivedCommandWith(DescribeTaskDefinitionCommand, {
      taskDefinition: arn,
      include: ['TAGS'],
    });
    expect(doc).toEqual<TaskDefinitionDocument>({
      definition: {
        taskDefinitionArn: arn,
        family: 'api',
        revision: 7,
        status: 'ACTIVE',
        cpu: '256',
        memory: '512',
        networkMode: 'awsvpc',
        containerDefinitions: [
          { name: 'app', image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/api:1.4.2`, essential: true },
        ],
      },
      tags: [{ key: 'team', value: 'payments' }],
    });
  });

  it('returns no tags when the task definition has none', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { family: 'api', containerDefinitions: [{ name: 'app', image: 'nginx:1.27' }] },
    });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const doc = await gateway.describeTaskDefinition(arn);

    // Assess
    expect(doc?.tags).toEqual([]);
  });

  it('returns undefined for a task definition ECS cannot describe', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).rejects(
      new ClientException({
        message: 'Unable to describe task definition.',
        $metadata: failedRequestMetadata(),
      }),
    );
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const doc = await gateway.describeTaskDefinition(arn);

    // Assess
    expect(doc).toBeUndefined();
  });

  it('returns undefined when the answer holds no task definition', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({});
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const doc = await gateway.describeTaskDefinition(arn);

    // Assess
    expect(doc).toBeUndefined();
  });

  it('classifies other errors', async () => {
    // Prepare
    const denied = new AccessDeniedException({
      message: 'User is not authorized to perform: ecs:DescribeTaskDefinition',
      $metadata: failedRequestMetadata(),
    });
    const serverError = unmodeledAwsError(
      ECSServiceException,
      'InternalFailure',
      'Internal failure',
      'server',
    );
    ecs.on(DescribeTaskDefinitionCommand).rejectsOnce(denied).rejectsOnce(serverError);
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const first = await gateway.describeTaskDefinition(arn).catch((e: unknown) => e);
    const second = await gateway.describeTaskDefinition(arn).catch((e: unknown) => e);

    // Assess
    expect(first).toBeInstanceOf(PermanentError);
    expect((first as Error).cause).toBe(denied);
    expect(second).toBeInstanceOf(RetryableError);
    expect((second as Error).cause).toBe(serverError);
  });
});

describe('EcsGateway.registerTaskDefinition', () => {
  const newArn = taskDefinitionArn('api', 8);

  /** A copied revision with fields of every kind, including one this SDK version does not know. */
  function document(tags: TaskDefinitionDocument['tags']): TaskDefinitionDocument {
    return {
      definition: {
        family: 'api',
        taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/api-task`,
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/api-execution`,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '512',
        memory: '1024',
        runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
        ephemeralStorage: { sizeInGiB: 30 },
        volumes: [{ name: 'scratch' }],
        containerDefinitions: [
          {
            name: 'app',
            image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/api@sha256:${'a'.repeat(64)}`,
            essential: true,
            portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
            environment: [{ name: 'LOG_LEVEL', value: 'info' }],
            secrets: [{ name: 'DB_PASSWORD', valueFrom: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/db` }],
            mountPoints: [{ sourceVolume: 'scratch', containerPath: '/tmp' }],
            logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api' } },
          },
          { name: 'sidecar', image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0' },
        ],
        someFieldAddedLater: { enabled: true },
      },
      tags,
    };
  }

  it('registers every field of the document with its tags and returns the new ARN', async () => {
    // Prepare
    const doc = document([
      { key: 'team', value: 'payments' },
      { key: 'autopilot:source', value: taskDefinitionArn('api', 7) },
    ]);
    ecs.on(RegisterTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: newArn, family: 'api', revision: 8 },
    });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const arn = await gateway.registerTaskDefinition(doc);

    // Assess
    expect(arn).toBe(newArn);
    expect(ecs).toHaveReceivedCommandTimes(RegisterTaskDefinitionCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, {
      ...doc.definition,
      tags: doc.tags,
    });
    const [call] = ecs.commandCalls(RegisterTaskDefinitionCommand);
    expect(call?.args[0].input).toEqual({ ...doc.definition, tags: doc.tags });
  });

  it('omits tags when the document has none', async () => {
    // Prepare
    const doc = document([]);
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: newArn } });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    await gateway.registerTaskDefinition(doc);

    // Assess
    expect(ecs).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, doc.definition);
    const [call] = ecs.commandCalls(RegisterTaskDefinitionCommand);
    expect(call?.args[0].input).not.toHaveProperty('tags');
  });

  it('classifies a rejected definition as permanent', async () => {
    // Prepare
    const rejected = new ClientException({
      message: 'Container.image should not be null or empty.',
      $metadata: failedRequestMetadata(),
    });
    ecs.on(RegisterTaskDefinitionCommand).rejects(rejected);
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const error = await gateway.registerTaskDefinition(document([])).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({
      message:
        'RegisterTaskDefinition api failed: ClientException: Container.image should not be null or empty.',
      cause: rejected,
    });
  });

  it('fails when ECS answers without an ARN', async () => {
    // Prepare
    ecs.on(RegisterTaskDefinitionCommand).resolves({});
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const result = gateway.registerTaskDefinition(document([]));

    // Assess
    await expect(result).rejects.toThrow('RegisterTaskDefinition returned no ARN');
  });
});

describe('EcsGateway.updateService', () => {
  it('points the service at the task-definition revision', async () => {
    // Prepare
    ecs.on(UpdateServiceCommand).resolves({ service: describedService('prod', 'api') });
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    await gateway.updateService({ cluster: clusterArn('prod'), service: 'api' }, taskDefinitionArn('api', 8));

    // Assess
    expect(ecs).toHaveReceivedCommandTimes(UpdateServiceCommand, 1);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      cluster: clusterArn('prod'),
      service: 'api',
      taskDefinition: taskDefinitionArn('api', 8),
    });
    const [call] = ecs.commandCalls(UpdateServiceCommand);
    expect(Object.keys(call?.args[0].input ?? {}).sort()).toEqual(['cluster', 'service', 'taskDefinition']);
  });

  it('returns the id of the PRIMARY deployment ECS started for the revision', async () => {
    // Prepare: UpdateService answers with the service, the new deployment first.
    ecs.on(UpdateServiceCommand).resolves({
      service: {
        ...describedService('prod', 'api'),
        deployments: [
          { id: 'ecs-svc/8', status: 'PRIMARY', taskDefinition: taskDefinitionArn('api', 8) },
          { id: 'ecs-svc/7', status: 'ACTIVE', taskDefinition: taskDefinitionArn('api', 7) },
        ],
      },
    });
    const gateway = new EcsGateway(new ECSClient({}));
    const ref = { cluster: 'prod', service: 'api' };

    // Act
    const started = await gateway.updateService(ref, taskDefinitionArn('api', 8));
    const unknown = await gateway.updateService(ref, taskDefinitionArn('api', 9));

    // Assess
    expect(started).toBe('ecs-svc/8');
    expect(unknown).toBeUndefined();
  });

  it('classifies a missing service as permanent and throttling as retryable', async () => {
    // Prepare
    const missing = new ServiceNotFoundException({
      message: 'Service not found.',
      $metadata: failedRequestMetadata(),
    });
    const throttled = throttlingError(ECSServiceException);
    ecs.on(UpdateServiceCommand).rejectsOnce(missing).rejectsOnce(throttled);
    const gateway = new EcsGateway(new ECSClient({}));
    const ref = { cluster: 'prod', service: 'api' };

    // Act
    const first = await gateway.updateService(ref, taskDefinitionArn('api', 8)).catch((e: unknown) => e);
    const second = await gateway.updateService(ref, taskDefinitionArn('api', 8)).catch((e: unknown) => e);

    // Assess
    expect(first).toBeInstanceOf(PermanentError);
    expect(first).toMatchObject({
      message: 'UpdateService prod/api failed: ServiceNotFoundException: Service not found.',
      cause: missing,
    });
    expect(second).toBeInstanceOf(RetryableError);
    expect((second as Error).cause).toBe(throttled);
  });
});

describe('EcsGateway.findRevision', () => {
  const SINCE = '2026-01-13T10:00:00.000Z';
  const markers = [
    { key: 'autopilot:source-digest', value: `sha256:${'a'.repeat(64)}` },
    { key: 'autopilot:triggered-by', value: 'event-1' },
  ];

  /** Revision `n` of api, registered at `registeredAt`, with `tags`. */
  const described = (n: number, registeredAt: string, tags: { key: string; value: string }[] = []) => ({
    taskDefinition: {
      taskDefinitionArn: taskDefinitionArn('api', n),
      family: 'api',
      revision: n,
      registeredAt: new Date(registeredAt),
      containerDefinitions: [{ name: 'app', image: 'api:main' }],
    },
    tags,
  });

  it('walks the family down from its latest revision to the one carrying the tags', async () => {
    // Prepare
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'api' })
      .resolves(described(10, '2026-01-13T10:00:09.000Z', [{ key: 'team', value: 'x' }]))
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'api:9' })
      .resolves(described(9, '2026-01-13T10:00:05.000Z', [...markers, { key: 'team', value: 'x' }]));
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const found = await gateway.findRevision('api', markers, SINCE);

    // Assess
    expect(found).toBe(taskDefinitionArn('api', 9));
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([
      { taskDefinition: 'api', include: ['TAGS'] },
      { taskDefinition: 'api:9', include: ['TAGS'] },
    ]);
  });

  it('stops at a revision registered well before the intent, finding nothing', async () => {
    // Prepare
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'api' })
      .resolves(described(10, '2026-01-13T10:00:09.000Z'))
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'api:9' })
      .resolves(described(9, '2026-01-13T09:00:00.000Z', markers));
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const found = await gateway.findRevision('api', markers, SINCE);

    // Assess
    expect(found).toBeUndefined();
    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 2);
  });

  it('skips a revision deleted meanwhile and looks at most ten revisions', async () => {
    // Prepare
    ecs
      .on(DescribeTaskDefinitionCommand)
      .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }))
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'api' })
      .resolves(described(30, '2026-01-13T10:00:09.000Z'));
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const found = await gateway.findRevision('api', markers, SINCE);

    // Assess
    expect(found).toBeUndefined();
    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 10);
  });

  it('finds nothing in a family with no active revision', async () => {
    // Prepare
    ecs
      .on(DescribeTaskDefinitionCommand)
      .rejects(new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }));
    const gateway = new EcsGateway(new ECSClient({}));

    // Act
    const found = await gateway.findRevision('api', markers, SINCE);

    // Assess
    expect(found).toBeUndefined();
    expect(ecs).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
  });
});

describe('EcsGateway: RegisterTaskDefinition is not retried by the SDK', () => {
  it('registers through a client of its own that makes one attempt', async () => {
    // Prepare
    const gateway = new EcsGateway();

    // Act
    const attempts = await (
      gateway as unknown as { registerClient: ECSClient }
    ).registerClient.config.maxAttempts();

    // Assess
    expect(attempts).toBe(1);
  });
});
