/**
 * An account for the benchmarks, on the sandbox's own parts (started in the benchmark's AWS process,
 * `aws-process-main.ts`, never in the functions' process): the control plane's ECS and
 * ECR (`sandbox/control-plane`), dynalite with the autopilot table (`sandbox/runtime/dynamo.ts`) and
 * an AWS JSON server answering PutEvents, so what the functions publish is captured and counted
 * without a bus. Requests are counted by service and operation at the servers: the control plane's
 * call log, the request observers of dynalite's front and of the AWS JSON server.
 *
 * The account holds `services` services in `services / 100` clusters (`bench-<c>`, services
 * `svc-<i>`, each with its own task-definition family), every one opted in (`autopilot:deploy =
 * tag:main`, as in `sandbox/account.ts`) and running an image of the account's ECR by tag:
 * - `bench/pushed`: 1 % of the services, one in each cluster (`svc-<c>50`), spread as an image
 *   every team uses would be: the push whose calls are counted;
 * - `bench/ten` (`svc-1` … `svc-10`) and `bench/one` (`svc-11`): pushes hitting 10 services and 1;
 * - `bench/app-<c>`: the other services of cluster `c`.
 * Desired count 0: no task is simulated, so 20,000 services are cheap. Seeding goes through the ECS
 * and ECR APIs (several calls at a time), which the counts do not include.
 */

import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { type ControlPlane, REGION, REGISTRY, startControlPlane } from '../../sandbox/control-plane';
import { startAwsJsonServer } from '../../sandbox/runtime/aws-json-server';
import { startDynamo } from '../../sandbox/runtime/dynamo';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import { CallCounter, type CallCounts } from './calls';
import type { RouteTargets } from './router';

export { ACCOUNT, REGION, REGISTRY } from '../../sandbox/control-plane';

/** Services per cluster. */
export const SERVICES_PER_CLUSTER = 100;

/** The repositories pushes are measured on, with the services following each. */
export const REPOSITORIES = {
  /** 1 % of the services, one per cluster */
  pushed: 'bench/pushed',
  /** ten services */
  ten: 'bench/ten',
  /** one service */
  one: 'bench/one',
} as const;

/** Options of {@link startBenchAccount}. */
export interface BenchAccountOptions {
  /** how many services; a multiple of 100, at least 100 */
  services: number;
  /** the autopilot table's name (the functions' `AUTOPILOT_TABLE`) */
  tableName: string;
  /** requests in flight while seeding; 8 by default */
  concurrency?: number;
}

/** A running benchmark account. */
export interface BenchAccount {
  services: number;
  clusters: number;
  /** how many services follow each of {@link REPOSITORIES} */
  followers: Record<keyof typeof REPOSITORIES, number>;
  /** its servers, for the router */
  targets: RouteTargets;
  plane: ControlPlane;
  /** The requests received since the last take (seeding is taken, and dropped, at the start). */
  takeCalls(): CallCounts;
  /** The entries put on the bus since the last take, by detail type. */
  takePublished(): Record<string, number>;
  /** Pushes a new image to `repository:main` and returns its "ECR Image Action" event. */
  push(repository: string): EventBridgeEvent;
  stop(): Promise<void>;
}

/** The repository service `i` of cluster `c` runs. */
export function repositoryOf(i: number): string {
  if (i >= 1 && i <= 10) return REPOSITORIES.ten;
  if (i === 11) return REPOSITORIES.one;
  if (i % SERVICES_PER_CLUSTER === 50) return REPOSITORIES.pushed;
  return `bench/app-${Math.floor(i / SERVICES_PER_CLUSTER)}`;
}

/** Runs `work` on every item, `concurrency` at a time. */
async function eachLimited<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<unknown>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/**
 * Starts and seeds an account.
 *
 * @example
 * const account = await startBenchAccount({ services: 1_000, tableName: functions.tableName });
 * router.use(account.targets);
 */
export async function startBenchAccount(options: BenchAccountOptions): Promise<BenchAccount> {
  const size = options.services;
  if (size < SERVICES_PER_CLUSTER || size % SERVICES_PER_CLUSTER !== 0) {
    throw new RangeError(`services must be a multiple of ${SERVICES_PER_CLUSTER}: ${size}`);
  }
  const clusters = size / SERVICES_PER_CLUSTER;
  const counter = new CallCounter();
  const published = new Map<string, number>();
  let lastPush: EventBridgeEvent | undefined;
  const plane = await startControlPlane({
    emit: (event) => {
      if (event['detail-type'] === 'ECR Image Action') lastPush = event;
    },
  });
  const dynamo = await startDynamo({
    tableName: options.tableName,
    region: REGION,
    observe: ({ service, operation }) => counter.record(service, operation),
  });
  const events = await startAwsJsonServer({
    operations: {
      'AWSEvents.PutEvents': (input) => {
        const entries = (input.Entries ?? []) as { DetailType?: string }[];
        for (const entry of entries) {
          const type = entry.DetailType ?? '';
          published.set(type, (published.get(type) ?? 0) + 1);
        }
        return { FailedEntryCount: 0, Entries: entries.map((_, n) => ({ EventId: `bench-${n}` })) };
      },
    },
    observe: ({ service, operation }) => counter.record(service, operation),
  });
  const stop = async () => {
    await plane.stop();
    await dynamo.stop();
    await events.close();
  };
  try {
    await seed(plane, size, options.concurrency ?? 8);
  } catch (error) {
    await stop();
    throw error;
  }
  const takeCalls = (): CallCounts => {
    for (const call of plane.calls) counter.record(call.service, call.operation);
    // The logs would grow with every run; what is counted is kept in the counter.
    plane.calls.length = 0;
    plane.emitted.length = 0;
    return counter.take();
  };
  takeCalls();
  const followers = { pushed: clusters, ten: 10, one: 1 };
  return {
    services: size,
    clusters,
    followers,
    targets: { controlPlane: plane.endpoint, dynamodb: dynamo.endpoint, events: events.endpoint },
    plane,
    takeCalls,
    takePublished() {
      const taken = Object.fromEntries(published);
      published.clear();
      return taken;
    },
    push(repository) {
      lastPush = undefined;
      plane.pushImage(repository, 'main');
      if (!lastPush) throw new Error(`no ECR Image Action for ${repository}`);
      return lastPush;
    },
    stop,
  };
}

async function seed(plane: ControlPlane, size: number, concurrency: number): Promise<void> {
  const config = {
    endpoint: plane.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
  };
  const ecs = new ECSClient(config);
  const ecr = new ECRClient(config);
  try {
    const clusters = size / SERVICES_PER_CLUSTER;
    const repositories = [
      ...Object.values(REPOSITORIES),
      ...Array.from({ length: clusters }, (_, c) => `bench/app-${c}`),
    ];
    await eachLimited(repositories, concurrency, async (repositoryName) => {
      await ecr.send(new CreateRepositoryCommand({ repositoryName }));
      plane.pushImage(repositoryName, 'main');
    });
    await eachLimited(
      Array.from({ length: clusters }, (_, c) => c),
      concurrency,
      (c) => ecs.send(new CreateClusterCommand({ clusterName: `bench-${c}` })),
    );
    await eachLimited(
      Array.from({ length: size }, (_, i) => i),
      concurrency,
      async (i) => {
        const registered = await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: `svc-${i}`,
            containerDefinitions: [
              { name: 'app', image: `${REGISTRY}/${repositoryOf(i)}:main`, essential: true, memory: 256 },
            ],
          }),
        );
        await ecs.send(
          new CreateServiceCommand({
            cluster: `bench-${Math.floor(i / SERVICES_PER_CLUSTER)}`,
            serviceName: `svc-${i}`,
            taskDefinition: registered.taskDefinition?.taskDefinitionArn,
            desiredCount: 0,
            launchType: 'EC2',
            tags: [{ key: 'autopilot:deploy', value: 'tag:main' }],
          }),
        );
      },
    );
  } finally {
    ecs.destroy();
    ecr.destroy();
  }
}
