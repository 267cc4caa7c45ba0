import {
  DescribeRepositoriesCommand,
  ECRClient,
  ServerException as EcrServerException,
  ListImagesCommand,
} from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  DescribeServicesCommand,
  ECSClient,
  ListClustersCommand,
  ServerException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  clientConfig,
  createFargateService,
  failure,
  quickRetries,
  registerFargate,
  useControlPlane,
} from './support';

/** A raw AWS JSON 1.1 call, without signature. */
async function call(endpoint: string, target: string, body: string) {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

describe('the AWS JSON 1.1 protocol', () => {
  const harness = useControlPlane();

  it('answers unsigned calls with epoch-second timestamps', async () => {
    // Prepare
    const { plane } = harness();

    // Act
    const out = await call(
      plane.endpoint,
      'AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition',
      JSON.stringify({ family: 'web', containerDefinitions: [{ name: 'web', image: 'nginx', memory: 64 }] }),
    );

    // Assess
    expect(out.status).toBe(200);
    expect(out.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(out.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const registeredAt = (out.body.taskDefinition as Record<string, unknown>).registeredAt;
    expect(typeof registeredAt).toBe('number');
    expect(Math.abs((registeredAt as number) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('answers errors with the status, x-amzn-errortype and a __type body', async () => {
    // Prepare
    const { plane } = harness();

    // Act
    const missing = await call(
      plane.endpoint,
      'AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition',
      JSON.stringify({ taskDefinition: 'nope:1' }),
    );
    const unknown = await call(plane.endpoint, 'AmazonEC2ContainerServiceV20141113.FlyToTheMoon', '{}');
    const garbage = await call(
      plane.endpoint,
      'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
      '{oops',
    );

    // Assess
    expect(missing).toMatchObject({
      status: 400,
      body: { __type: 'ClientException', message: 'Unable to describe task definition.' },
    });
    expect(missing.headers.get('x-amzn-errortype')).toBe('ClientException');
    expect(unknown).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
    expect(garbage).toMatchObject({ status: 400, body: { __type: 'SerializationException' } });
  });

  it('serves ECS and ECR on one port, told apart by the target prefix', async () => {
    // Prepare
    const { plane } = harness();

    // Act
    const ecs = await call(plane.endpoint, 'AmazonEC2ContainerServiceV20141113.ListClusters', '{}');
    const ecr = await call(plane.endpoint, 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories', '{}');

    // Assess
    expect(ecs.body).toEqual({ clusterArns: [] });
    expect(ecr.body).toEqual({ repositories: [] });
    expect(plane.calls.map((c) => [c.service, c.operation])).toEqual([
      ['ecs', 'ListClusters'],
      ['ecr', 'DescribeRepositories'],
    ]);
  });
});

describe('endpoint configuration', () => {
  const harness = useControlPlane();

  it('reaches unchanged SDK clients through AWS_ENDPOINT_URL_ECS and AWS_ENDPOINT_URL_ECR', async () => {
    // Prepare
    const { plane } = harness();
    const saved = { ecs: process.env.AWS_ENDPOINT_URL_ECS, ecr: process.env.AWS_ENDPOINT_URL_ECR };
    process.env.AWS_ENDPOINT_URL_ECS = plane.endpoint;
    process.env.AWS_ENDPOINT_URL_ECR = plane.endpoint;
    const ecs = new ECSClient({ region: 'eu-west-1', maxAttempts: 1 });
    const ecr = new ECRClient({ region: 'eu-west-1', maxAttempts: 1 });

    try {
      // Act
      const created = await ecs.send(new CreateClusterCommand({ clusterName: 'via-env' }));
      const repositories = await ecr.send(new DescribeRepositoriesCommand({}));

      // Assess
      expect(created.cluster?.clusterName).toBe('via-env');
      expect(repositories.repositories).toEqual([]);
      expect(plane.calls.map((c) => c.operation)).toEqual(['CreateCluster', 'DescribeRepositories']);
    } finally {
      ecs.destroy();
      ecr.destroy();
      for (const [key, value] of [
        ['AWS_ENDPOINT_URL_ECS', saved.ecs],
        ['AWS_ENDPOINT_URL_ECR', saved.ecr],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

describe('fault injection', () => {
  const harness = useControlPlane({ seed: 7 });

  it('throttles every attempt at rate 1: the SDK retries, then throws ThrottlingException; nothing changes', async () => {
    // Prepare
    const { plane, ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 1 });
    const classified: string[] = [];
    const client = new ECSClient(clientConfig(plane.endpoint, quickRetries(3, classified)));
    plane.setFaults([{ operation: 'UpdateService', kind: 'throttle', rate: 1 }]);
    const before = plane.calls.length;
    const eventsBefore = plane.emitted.length;

    // Act
    const error = await failure(
      client.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 5 })),
    );
    client.destroy();

    // Assess
    expect(error).toMatchObject({
      name: 'ThrottlingException',
      message: 'Rate exceeded',
      $metadata: { httpStatusCode: 400 },
    });
    expect(classified).toEqual(['THROTTLING', 'THROTTLING', 'THROTTLING']);
    expect(plane.calls.slice(before).map((c) => [c.operation, c.fault, c.error])).toEqual([
      ['UpdateService', 'throttle', 'ThrottlingException'],
      ['UpdateService', 'throttle', 'ThrottlingException'],
      ['UpdateService', 'throttle', 'ThrottlingException'],
    ]);
    const service = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['api'] }));
    expect(service.services?.[0]?.desiredCount).toBe(1);
    expect(
      plane.emitted.slice(eventsBefore).filter((e) => e['detail-type'] === 'AWS API Call via CloudTrail'),
    ).toEqual([]);
  });

  it('answers 500 ServerException for 5xx faults, as ECS and ECR exception classes', async () => {
    // Prepare
    const { plane, ecs, ecr } = harness();
    plane.setFaults([{ operation: '*', kind: '5xx', rate: 1 }]);

    // Act
    const ecsError = await failure(ecs.send(new ListClustersCommand({})));
    const ecrError = await failure(ecr.send(new ListImagesCommand({ repositoryName: 'x' })));

    // Assess
    expect(ecsError).toBeInstanceOf(ServerException);
    expect(ecsError).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
    expect(ecrError).toBeInstanceOf(EcrServerException);
  });

  it('carries out a call whose answer is lost, then answers 500: the change and its CloudTrail record stay', async () => {
    // Prepare
    const { plane, ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 1 });
    const client = new ECSClient(clientConfig(plane.endpoint, quickRetries(1, [])));
    plane.setFaults([{ operation: 'UpdateService', kind: 'lost', rate: 1 }]);
    const before = plane.calls.length;
    const eventsBefore = plane.emitted.length;

    // Act
    const error = await failure(
      client.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 5 })),
    );
    client.destroy();
    plane.setFaults([]);

    // Assess
    expect(error).toBeInstanceOf(ServerException);
    expect(plane.calls.slice(before).map((c) => [c.operation, c.fault, c.error])).toEqual([
      ['UpdateService', 'lost', 'ServerException'],
    ]);
    const service = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['api'] }));
    expect(service.services?.[0]?.desiredCount).toBe(5);
    expect(
      plane.emitted.slice(eventsBefore).filter((e) => e['detail-type'] === 'AWS API Call via CloudTrail'),
    ).toHaveLength(1);
  });

  it('carries out a call whose connection is lost, answers nothing, and the SDK retries it as transient', async () => {
    // Prepare
    const { plane, ecs } = harness();
    const td = await registerFargate(ecs, 'api', 'nginx:1.27');
    await createFargateService(ecs, { cluster: 'prod', service: 'api', taskDefinition: td, desiredCount: 1 });
    const classified: string[] = [];
    const client = new ECSClient(clientConfig(plane.endpoint, quickRetries(2, classified)));
    plane.setFaults([{ operation: 'UpdateService', kind: 'timeout', rate: 1 }]);
    const before = plane.calls.length;

    // Act
    const error = await failure(
      client.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 4 })),
    );
    client.destroy();
    plane.setFaults([]);

    // Assess
    expect(String(error)).toMatch(/socket hang up/);
    expect(classified).toEqual(['TRANSIENT', 'TRANSIENT']);
    expect(plane.calls.slice(before).map((c) => [c.operation, c.fault])).toEqual([
      ['UpdateService', 'timeout'],
      ['UpdateService', 'timeout'],
    ]);
    const service = await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['api'] }));
    expect(service.services?.[0]?.desiredCount).toBe(4);
  });

  it('lets a call through eventually at rate 0.5 with the SDK retrying', async () => {
    // Prepare
    const { plane } = harness();
    const classified: string[] = [];
    const client = new ECSClient(clientConfig(plane.endpoint, quickRetries(10, classified)));
    plane.setFaults([
      { operation: 'CreateCluster', kind: 'throttle', rate: 0.5 },
      { operation: 'ecs:*', kind: '5xx', rate: 0.5 },
    ]);

    // Act
    const results = [];
    for (const name of ['a', 'b', 'c', 'd'])
      results.push(await client.send(new CreateClusterCommand({ clusterName: name })));
    client.destroy();

    // Assess
    expect(results.map((r) => r.cluster?.clusterName)).toEqual(['a', 'b', 'c', 'd']);
    expect(classified.length).toBeGreaterThan(0);
    expect(new Set(classified)).toEqual(new Set(['THROTTLING', 'TRANSIENT']));
    const faulted = plane.calls.filter((c) => c.fault !== undefined);
    expect(faulted.length).toBe(classified.length);
    expect(plane.emitted.filter((e) => e.detail.eventName === 'CreateCluster')).toHaveLength(4);
  });

  it('retries with the SDK standard strategy too', async () => {
    // Prepare
    const { plane } = harness();
    const client = new ECSClient({ ...clientConfig(plane.endpoint), maxAttempts: 5 });
    // With seed 7 the first draw (0.167) faults and the second (0.348) does not.
    plane.setFaults([{ operation: 'ListClusters', kind: '5xx', rate: 0.2 }]);

    // Act
    const out = await client.send(new ListClustersCommand({}));
    client.destroy();

    // Assess
    expect(out.clusterArns).toEqual([]);
    expect(out.$metadata.attempts).toBe(2);
    expect(plane.calls.map((c) => c.fault)).toEqual(['5xx', undefined]);
  });

  it('delays answers by the latency of matching rules, repeatably for a seed', async () => {
    // Prepare
    const { plane } = harness();
    const client = new ECRClient(clientConfig(plane.endpoint));
    plane.setFaults([{ operation: 'ecr:*', kind: 'latency', rate: 1, latencyMs: 60 }]);

    // Act
    const started = Date.now();
    const error = await failure(client.send(new ListImagesCommand({ repositoryName: 'x' })));
    const elapsed = Date.now() - started;
    client.destroy();

    // Assess
    expect(elapsed).toBeGreaterThanOrEqual(55);
    expect(error).toMatchObject({ name: 'RepositoryNotFoundException' });
    expect(plane.calls.at(-1)).toMatchObject({
      operation: 'ListImages',
      fault: 'latency',
      error: 'RepositoryNotFoundException',
    });
  });

  it('rejects rates outside 0..1', () => {
    // Prepare
    const { plane } = harness();

    // Act
    const set = () => plane.setFaults([{ operation: '*', kind: 'throttle', rate: 2 }]);

    // Assess
    expect(set).toThrow(RangeError);
  });
});
