import {
  ClientException,
  ClusterContainsServicesException,
  CreateClusterCommand,
  DeleteClusterCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  InvalidParameterException,
  ListClustersCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import {
  ACCOUNT,
  createFargateService,
  failure,
  REGION,
  REGISTRY,
  registerFargate,
  useControlPlane,
} from './support';

describe('clusters', () => {
  const harness = useControlPlane();

  it('pages ListClusters, reports MISSING clusters and refuses to delete a cluster with services', async () => {
    // Prepare
    const { ecs } = harness();
    for (const name of ['a', 'b', 'c']) await ecs.send(new CreateClusterCommand({ clusterName: name }));
    const td = await registerFargate(ecs, 'web', 'nginx:1.27');
    await createFargateService(ecs, { cluster: 'a', service: 'web', taskDefinition: td, desiredCount: 0 });

    // Act
    const first = await ecs.send(new ListClustersCommand({ maxResults: 2 }));
    const second = await ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: first.nextToken }));
    const badToken = await failure(ecs.send(new ListClustersCommand({ nextToken: 'not-a-token' })));
    const described = await ecs.send(
      new DescribeClustersCommand({ clusters: ['a', 'ghost'], include: ['TAGS'] }),
    );
    const busy = await failure(ecs.send(new DeleteClusterCommand({ cluster: 'a' })));
    const deleted = await ecs.send(new DeleteClusterCommand({ cluster: 'b' }));
    const after = await ecs.send(new ListClustersCommand({}));

    // Assess
    expect(first.clusterArns).toHaveLength(2);
    expect(second.clusterArns).toHaveLength(1);
    expect(second.nextToken).toBeUndefined();
    expect(badToken).toMatchObject({ name: 'InvalidParameterException' });
    expect(described.clusters?.[0]).toMatchObject({
      clusterName: 'a',
      status: 'ACTIVE',
      activeServicesCount: 1,
      tags: [],
    });
    expect(described.failures).toEqual([
      { arn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/ghost', reason: 'MISSING' },
    ]);
    expect(busy).toBeInstanceOf(ClusterContainsServicesException);
    expect(deleted.cluster?.status).toBe('INACTIVE');
    expect(after.clusterArns?.map((arn) => arn.split('/')[1])).toEqual(['a', 'c']);
  });
});

/** A task definition using most of what RegisterTaskDefinition accepts. */
const RICH: RegisterTaskDefinitionCommandInput = {
  family: 'api',
  taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/api-task`,
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`,
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '512',
  memory: '1024',
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  ephemeralStorage: { sizeInGiB: 40 },
  proxyConfiguration: {
    type: 'APPMESH',
    containerName: 'envoy',
    properties: [{ name: 'AppPorts', value: '8080' }],
  },
  volumes: [
    {
      name: 'data',
      efsVolumeConfiguration: { fileSystemId: 'fs-0123456789abcdef0', transitEncryption: 'ENABLED' },
    },
    { name: 'scratch' },
  ],
  containerDefinitions: [
    {
      name: 'app',
      image: `${REGISTRY}/team/api:main`,
      essential: true,
      portMappings: [{ containerPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
      environment: [{ name: 'MODE', value: 'prod' }],
      secrets: [
        { name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-AbCdEf` },
        { name: 'API_KEY', valueFrom: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/api/key` },
      ],
      mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: false }],
      healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'], interval: 10 },
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/ecs/api', 'awslogs-region': REGION, 'awslogs-stream-prefix': 'api' },
      },
      dependsOn: [{ containerName: 'envoy', condition: 'HEALTHY' }],
      ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 65536 }],
      linuxParameters: { initProcessEnabled: true },
      dockerLabels: { team: 'platform' },
    },
    {
      name: 'envoy',
      image: 'public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod',
      essential: true,
      user: '1337',
      healthCheck: { command: ['CMD-SHELL', 'curl -s http://localhost:9901/ready'], retries: 3 },
    },
  ],
  tags: [{ key: 'team', value: 'platform' }],
};

describe('RegisterTaskDefinition and DescribeTaskDefinition', () => {
  const harness = useControlPlane();

  it('keeps every registered field and adds what ECS derives', async () => {
    // Prepare
    const { ecs } = harness();

    // Act
    const registered = await ecs.send(new RegisterTaskDefinitionCommand(RICH));
    const described = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'api', include: ['TAGS'] }),
    );

    // Assess
    const { tags, containerDefinitions, ...fields } = RICH;
    const definition = described.taskDefinition;
    expect(definition).toMatchObject(fields);
    expect(definition?.containerDefinitions).toMatchObject(containerDefinitions ?? []);
    expect(definition).toMatchObject({
      taskDefinitionArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:1`,
      revision: 1,
      status: 'ACTIVE',
      compatibilities: ['EC2', 'FARGATE'],
      registeredBy: `arn:aws:iam::${ACCOUNT}:user/sandbox`,
    });
    expect(definition?.registeredAt).toBeInstanceOf(Date);
    expect(definition?.requiresAttributes?.map((a) => a.name)).toEqual(
      expect.arrayContaining([
        'ecs.capability.task-eni',
        'ecs.capability.secrets.asm.environment-variables',
        'ecs.capability.secrets.ssm.environment-variables',
        'ecs.capability.container-health-check',
        'com.amazonaws.ecs.capability.logging-driver.awslogs',
      ]),
    );
    expect(described.tags).toEqual(tags);
    expect(registered.tags).toEqual(tags);
    expect(registered.taskDefinition).toEqual(definition);
  });

  it('fills in container defaults as ECS does', async () => {
    // Prepare
    const { ecs } = harness();

    // Act
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'worker',
        containerDefinitions: [
          { name: 'worker', image: 'busybox', memory: 128, portMappings: [{ containerPort: 80 }] },
        ],
      }),
    );

    // Assess
    expect(out.taskDefinition?.containerDefinitions?.[0]).toEqual({
      name: 'worker',
      image: 'busybox',
      memory: 128,
      cpu: 0,
      essential: true,
      environment: [],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
      portMappings: [{ containerPort: 80, protocol: 'tcp' }],
    });
    expect(out.taskDefinition?.compatibilities).toEqual(['EXTERNAL', 'EC2']);
  });

  it('increments revisions per family and resolves family, family:revision and ARN', async () => {
    // Prepare
    const { ecs } = harness();
    for (const image of ['busybox:1', 'busybox:2', 'busybox:3']) {
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'job',
          containerDefinitions: [{ name: 'job', image, memory: 64 }],
        }),
      );
    }

    // Act
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'job' }));
    const second = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'job:2' }));
    const byArn = await ecs.send(
      new DescribeTaskDefinitionCommand({
        taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/job:1`,
      }),
    );

    // Assess
    expect(latest.taskDefinition?.revision).toBe(3);
    expect(second.taskDefinition?.containerDefinitions?.[0]?.image).toBe('busybox:2');
    expect(byArn.taskDefinition?.revision).toBe(1);
    expect(latest.tags).toBeUndefined();
  });

  it.each([
    ['no family', { containerDefinitions: [{ name: 'a', image: 'busybox', memory: 64 }] }],
    ['no containers', { family: 'f', containerDefinitions: [] }],
    ['a container without image', { family: 'f', containerDefinitions: [{ name: 'a', memory: 64 }] }],
    ['a container without name', { family: 'f', containerDefinitions: [{ image: 'busybox', memory: 64 }] }],
    [
      'Fargate without task cpu',
      {
        family: 'f',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        memory: '512',
        containerDefinitions: [{ name: 'a', image: 'busybox' }],
      },
    ],
  ] as [string, RegisterTaskDefinitionCommandInput][])(
    'rejects %s with ClientException',
    async (_case, input) => {
      // Prepare
      const { ecs, plane } = harness();

      // Act
      const attempt = ecs.send(new RegisterTaskDefinitionCommand(input));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ClientException);
      expect(plane.model.taskDefinitions.size).toBe(0);
    },
  );

  it('rejects tags with the reserved aws: prefix with InvalidParameterException', async () => {
    // Prepare
    const { ecs } = harness();

    // Act
    const attempt = ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'f',
        containerDefinitions: [{ name: 'a', image: 'busybox', memory: 64 }],
        tags: [{ key: 'aws:cloudformation:stack-name', value: 'x' }],
      }),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidParameterException);
  });

  it('answers ClientException "Unable to describe task definition." for an unknown one', async () => {
    // Prepare
    const { ecs } = harness();

    // Act
    const attempt = ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'missing:1' }));

    // Assess
    await expect(attempt).rejects.toThrow(
      new ClientException({ message: 'Unable to describe task definition.', $metadata: {} }),
    );
  });
});

describe('ListTaskDefinitions and DeregisterTaskDefinition', () => {
  const harness = useControlPlane();

  it('lists ACTIVE revisions, pages, and moves deregistered ones to INACTIVE', async () => {
    // Prepare
    const { ecs } = harness();
    for (const family of ['a', 'b', 'b']) {
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          containerDefinitions: [{ name: 'c', image: 'busybox', memory: 64 }],
        }),
      );
    }

    // Act
    const deregistered = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'b:1' }));
    const first = await ecs.send(new ListTaskDefinitionsCommand({ maxResults: 1 }));
    const rest = await ecs.send(
      new ListTaskDefinitionsCommand({ maxResults: 1, nextToken: first.nextToken }),
    );
    const inactive = await ecs.send(new ListTaskDefinitionsCommand({ status: 'INACTIVE' }));
    const latestB = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'b' }));

    // Assess
    const arn = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${name}`;
    expect(deregistered.taskDefinition).toMatchObject({
      status: 'INACTIVE',
      deregisteredAt: expect.any(Date),
    });
    expect(first.taskDefinitionArns).toEqual([arn('a:1')]);
    expect(rest.taskDefinitionArns).toEqual([arn('b:2')]);
    expect(rest.nextToken).toBeUndefined();
    expect(inactive.taskDefinitionArns).toEqual([arn('b:1')]);
    expect(latestB.taskDefinition?.revision).toBe(2);
  });
});
