/**
 * Helpers for the control plane tests: a control plane per test file with fast timings, real SDK
 * clients pointed at it, a retry strategy without backoff sleeps, and small waiting helpers.
 */
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  type ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  type CreateServiceCommandInput,
  type DeploymentRolloutState,
  DescribeServicesCommand,
  ECSClient,
  type ECSClientConfig,
  RegisterTaskDefinitionCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  ACCOUNT,
  type ControlPlane,
  type ControlPlaneOptions,
  REGION,
  REGISTRY,
  startControlPlane,
} from '../../../sandbox/control-plane';
import type { EventBridgeEvent } from '../../../tools/eventbridge/event';

export { ACCOUNT, REGION, REGISTRY };

/** Timings that make a deployment take tens of milliseconds. */
export const FAST = { taskStartMs: 4, taskRunMs: 4, healthyAfterMs: 4, taskStopMs: 2 };

/** The SDK's second-generation retry strategy interface, without importing `@smithy/types`. */
export type RetryStrategyV2 = Extract<
  NonNullable<ECSClientConfig['retryStrategy']>,
  { acquireInitialRetryToken: unknown }
>;

/**
 * A retry strategy like the SDK's standard one (retries throttling, transient and server errors, not
 * client errors) but without backoff sleeps, so retry tests stay fast. Records the error type of every
 * failed attempt, as the SDK classified it.
 */
export function quickRetries(maxAttempts: number, classified: string[] = []): RetryStrategyV2 {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 1 });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous, info) => {
      classified.push(info.errorType);
      const next = previous.getRetryCount() + 1;
      if (info.errorType === 'CLIENT_ERROR' || next >= maxAttempts)
        throw info.error ?? new Error('no more retries');
      return token(next);
    },
    recordSuccess: () => undefined,
  };
}

/** Client options for the control plane: fixed region, fake credentials. */
export function clientConfig(endpoint: string, retryStrategy?: RetryStrategyV2) {
  return {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDSANDBOXTEST', secretAccessKey: 'sandbox' },
    ...(retryStrategy ? { retryStrategy } : { maxAttempts: 1 }),
  };
}

/** A running control plane with clients, for one test file. */
export interface Harness {
  plane: ControlPlane;
  ecs: ECSClient;
  ecr: ECRClient;
  /** Events emitted since the start (the same list as `plane.emitted`). */
  events: EventBridgeEvent[];
}

/**
 * Starts a control plane (fast timings) before each test and stops it after, so tests never share
 * state; with `scope: 'all'`, one control plane for all the tests of the file (or `describe`).
 *
 * @returns a getter valid inside tests and hooks
 */
export function useControlPlane(
  options: Partial<ControlPlaneOptions> = {},
  scope: 'each' | 'all' = 'each',
): () => Harness {
  let harness: Harness | undefined;
  const [before, after] = scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    const events: EventBridgeEvent[] = [];
    const plane = await startControlPlane({ emit: (e) => events.push(e), timing: FAST, ...options });
    harness = {
      plane,
      events,
      ecs: new ECSClient(clientConfig(plane.endpoint)),
      ecr: new ECRClient(clientConfig(plane.endpoint)),
    };
  });
  after(async () => {
    harness?.ecs.destroy();
    harness?.ecr.destroy();
    await harness?.plane.stop();
    harness = undefined;
  });
  return () => {
    if (!harness) throw new Error('the control plane runs only inside tests and hooks');
    return harness;
  };
}

/** A Fargate-ready container definition for `image`. */
export function container(
  name: string,
  image: string,
  extra: Partial<ContainerDefinition> = {},
): ContainerDefinition {
  return { name, image, essential: true, portMappings: [{ containerPort: 8080 }], ...extra };
}

/** Registers a Fargate task definition with one container; returns its ARN. */
export async function registerFargate(ecs: ECSClient, family: string, image: string): Promise<string> {
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [container('app', image)],
    }),
  );
  return out.taskDefinition?.taskDefinitionArn ?? '';
}

/** The cluster `batch` and the awsvpc Fargate family `job` (one busybox container, `main`): a standalone task's set-up. */
export async function prepareBatchJob(ecs: ECSClient): Promise<void> {
  await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'job',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: 'main', image: 'public.ecr.aws/docker/library/busybox:1', essential: true },
      ],
    }),
  );
}

/** The cluster `batch`, the repository `jobs/worker` with `v1` pushed, and the awsvpc Fargate family `worker` (one container, `main`). */
export async function prepareBatchWorker({
  ecs,
  ecr,
  plane,
}: Pick<Harness, 'ecs' | 'ecr' | 'plane'>): Promise<void> {
  await ecs.send(new CreateClusterCommand({ clusterName: 'batch' }));
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'jobs/worker' }));
  plane.pushImage('jobs/worker', 'v1');
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'worker',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'main', image: `${REGISTRY}/jobs/worker:v1`, essential: true }],
    }),
  );
}

/** The network configuration Fargate services and tasks need. */
export const NETWORK = {
  awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d4e5f60718'], securityGroups: ['sg-0123456789abcdef0'] },
};

/** Creates cluster `cluster` and a Fargate service of `desiredCount` tasks of `taskDefinition`. */
export async function createFargateService(
  ecs: ECSClient,
  input: {
    cluster: string;
    service: string;
    taskDefinition: string;
    desiredCount?: number;
  } & Partial<CreateServiceCommandInput>,
): Promise<Service> {
  const { service, ...rest } = input;
  await ecs.send(new CreateClusterCommand({ clusterName: input.cluster }));
  const out = await ecs.send(
    new CreateServiceCommand({
      launchType: 'FARGATE',
      networkConfiguration: NETWORK,
      desiredCount: 2,
      ...rest,
      serviceName: service,
    }),
  );
  return out.service ?? {};
}

/** Describes one service. */
export async function describeService(ecs: ECSClient, cluster: string, service: string): Promise<Service> {
  const out = await ecs.send(
    new DescribeServicesCommand({ cluster, services: [service], include: ['TAGS'] }),
  );
  const found = out.services?.[0];
  if (!found) throw new Error(`service ${cluster}/${service} not found`);
  return found;
}

/** Waits until the PRIMARY deployment of a service has `state`. */
export async function waitForRollout(
  ecs: ECSClient,
  cluster: string,
  service: string,
  state: DeploymentRolloutState,
  timeoutMs = 3000,
): Promise<Service> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const described = await describeService(ecs, cluster, service);
    if (described.deployments?.[0]?.rolloutState === state) return described;
    if (Date.now() > until) {
      throw new Error(
        `rollout of ${service} still ${described.deployments?.[0]?.rolloutState}, not ${state}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** The `detail` of an event as a record. */
export function detailOf(event: EventBridgeEvent): Record<string, unknown> {
  return event.detail;
}

/** A short label of an event for ordering assertions, e.g. `ECS Deployment State Change SERVICE_DEPLOYMENT_COMPLETED`. */
export function label(event: EventBridgeEvent): string {
  const d = event.detail;
  const what =
    typeof d.eventName === 'string'
      ? d.eventName
      : typeof d['action-type'] === 'string'
        ? d['action-type']
        : typeof d.lastStatus === 'string'
          ? `${d.lastStatus}/${String(d.desiredStatus)}`
          : '';
  return `${event['detail-type']} ${what}`.trim();
}

/**
 * The error a promise rejects with (the handler is attached at once, so the rejection is never
 * reported as unhandled while the test awaits other things).
 */
export function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}
