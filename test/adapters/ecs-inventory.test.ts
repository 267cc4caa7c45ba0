import 'aws-sdk-client-mock-jest';
import {
  AccessDeniedException,
  ECSClient,
  ECSServiceException,
  ListClustersCommand,
  ListServicesCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { EcsInventory } from '../../shared/adapters/aws/ecs-inventory';
import { PermanentError, RetryableError } from '../../shared/errors';
import { failedRequestMetadata, throttlingError } from '../support/aws-errors';

const ACCOUNT = '123456789012';
const clusterArn = (name: string) => `arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/${name}`;
const serviceArn = (cluster: string, name: string) =>
  `arn:aws:ecs:eu-west-1:${ACCOUNT}:service/${cluster}/${name}`;

const ecs = mockClient(ECSClient);

beforeEach(() => {
  ecs.reset();
});

describe('EcsInventory.listClusters', () => {
  it('follows nextToken through every page', async () => {
    // Prepare
    const tokensSent: (string | undefined)[] = [];
    const pages: Record<string, { clusterArns: string[]; nextToken?: string }> = {
      first: { clusterArns: [clusterArn('a'), clusterArn('b')], nextToken: 'token-2' },
      'token-2': { clusterArns: [clusterArn('c')], nextToken: 'token-3' },
      'token-3': { clusterArns: [] },
    };
    // The paginator reuses one input object across pages, so tokens are recorded as each call is made.
    ecs.on(ListClustersCommand).callsFake((input) => {
      tokensSent.push(input.nextToken);
      const page = pages[input.nextToken ?? 'first'];
      if (!page) throw new Error(`unexpected token ${input.nextToken}`);
      return page;
    });
    const inventory = new EcsInventory(new ECSClient({}));

    // Act
    const arns = await inventory.listClusters();

    // Assess
    expect(arns).toEqual([clusterArn('a'), clusterArn('b'), clusterArn('c')]);
    expect(ecs).toHaveReceivedCommandTimes(ListClustersCommand, 3);
    expect(tokensSent).toEqual([undefined, 'token-2', 'token-3']);
  });

  it('classifies a denied call as permanent', async () => {
    // Prepare
    const denied = new AccessDeniedException({
      message: 'User is not authorized to perform: ecs:ListClusters',
      $metadata: failedRequestMetadata(),
    });
    ecs.on(ListClustersCommand).rejects(denied);
    const inventory = new EcsInventory(new ECSClient({}));

    // Act
    const error = await inventory.listClusters().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({
      message:
        'ListClusters failed: AccessDeniedException: User is not authorized to perform: ecs:ListClusters',
      cause: denied,
    });
  });
});

describe('EcsInventory.listServices', () => {
  it('follows nextToken through every page of the cluster', async () => {
    // Prepare
    const prod = clusterArn('prod');
    const sent: { cluster?: string; nextToken?: string }[] = [];
    ecs.on(ListServicesCommand).callsFake((input) => {
      sent.push({ cluster: input.cluster, nextToken: input.nextToken });
      return input.nextToken === undefined
        ? { serviceArns: [serviceArn('prod', 'api'), serviceArn('prod', 'web')], nextToken: 'token-2' }
        : { serviceArns: [serviceArn('prod', 'worker')] };
    });
    const inventory = new EcsInventory(new ECSClient({}));

    // Act
    const arns = await inventory.listServices(prod);

    // Assess
    expect(arns).toEqual([
      serviceArn('prod', 'api'),
      serviceArn('prod', 'web'),
      serviceArn('prod', 'worker'),
    ]);
    expect(ecs).toHaveReceivedCommandTimes(ListServicesCommand, 2);
    expect(ecs).toHaveReceivedCommandWith(ListServicesCommand, { cluster: prod });
    expect(sent).toEqual([
      { cluster: prod, nextToken: undefined },
      { cluster: prod, nextToken: 'token-2' },
    ]);
  });

  it('classifies throttling on a later page as retryable', async () => {
    // Prepare
    const throttled = throttlingError(ECSServiceException);
    ecs
      .on(ListServicesCommand)
      .resolvesOnce({ serviceArns: [serviceArn('prod', 'api')], nextToken: 'token-2' })
      .rejectsOnce(throttled);
    const inventory = new EcsInventory(new ECSClient({}));

    // Act
    const error = await inventory.listServices(clusterArn('prod')).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({
      message: `ListServices ${clusterArn('prod')} failed: ThrottlingException: Rate exceeded`,
      cause: throttled,
    });
    expect(ecs).toHaveReceivedCommandTimes(ListServicesCommand, 2);
  });
});

describe('EcsInventory.listServicePage', () => {
  it('asks for 100 services a page from the token, and gives the next token', async () => {
    // Prepare
    const prod = clusterArn('prod');
    ecs.on(ListServicesCommand).resolves({ serviceArns: [serviceArn('prod', 'api')], nextToken: 'token-3' });
    const inventory = new EcsInventory(new ECSClient({}));

    // Act
    const page = await inventory.listServicePage(prod, 'token-2');

    // Assess
    expect(page).toEqual({ serviceArns: [serviceArn('prod', 'api')], nextToken: 'token-3' });
    expect(ecs).toHaveReceivedCommandWith(ListServicesCommand, {
      cluster: prod,
      maxResults: 100,
      nextToken: 'token-2',
    });
  });

  it('walks a cluster again from its first page when ECS no longer takes the checkpoint token', async () => {
    // Prepare
    const prod = clusterArn('prod');
    const refused = new ECSServiceException({
      name: 'InvalidParameterException',
      $fault: 'client',
      $metadata: {},
      message: 'Invalid nextToken',
    });
    ecs
      .on(ListServicesCommand, { cluster: prod, maxResults: 100, nextToken: 'stale' })
      .rejects(refused)
      .on(ListServicesCommand, { cluster: prod, maxResults: 100 })
      .resolves({ serviceArns: [serviceArn('prod', 'api')] });
    const inventory = new EcsInventory(new ECSClient({}));

    // Act
    const page = await inventory.listServicePage(prod, 'stale');

    // Assess
    expect(page).toEqual({ serviceArns: [serviceArn('prod', 'api')] });
  });

  it('has no services in a cluster deleted since it was listed', async () => {
    // Prepare
    const gone = new ECSServiceException({
      name: 'ClusterNotFoundException',
      $fault: 'client',
      $metadata: {},
      message: 'Cluster not found.',
    });
    ecs.on(ListServicesCommand).rejects(gone);
    const inventory = new EcsInventory(new ECSClient({}));

    // Act
    const page = await inventory.listServicePage(clusterArn('ghost'));

    // Assess
    expect(page).toEqual({ serviceArns: [] });
  });
});
