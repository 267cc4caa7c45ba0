/**
 * The runtime half of the sandbox's local AWS account: what serverless.yml deploys, running on
 * 127.0.0.1 in this process.
 *
 * - the autopilot table in dynalite;
 * - the EventBridge API (PutEvents), the SQS API (the dead-letter queue), Parameter Store and Secrets
 *   Manager (the chat channels' webhooks and tokens) on one AWS JSON server, and SNS (topics for AWS
 *   Chatbot) on an AWS query server;
 * - the {@link LocalBus} with the rules of serverless.yml, delivering to the functions like Lambda's
 *   asynchronous invocation (retries, then the OnFailure queue);
 * - the functions themselves ({@link FunctionRunner}), with serverless.yml's environment pointed at
 *   these local services and at the ECS/ECR endpoints of the control plane given by the caller;
 * - the schedule rules as timers ({@link Scheduler});
 * - faults injected into DynamoDB, EventBridge, SQS, Parameter Store and Secrets Manager calls
 *   (`setFaults`, the rule language of `sandbox/faults.ts`; `faulted` lists the calls they hit).
 *
 * The functions' environment is set on `process.env` (see `functions.ts`): run one runtime per
 * process (per jest test file); `stop()` puts the previous environment back.
 *
 * @example
 * const runtime = await startRuntime({ root, endpoints: { ecs: controlPlane.endpoint, ecr: controlPlane.endpoint } });
 * runtime.bus.put(ecrPushEvent);
 * await runtime.idle();
 * await runtime.stop();
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import { loadRoutes } from '../../tools/eventbridge/routing';
import { readServerlessConfig } from '../../tools/serverless-config';
import { mulberry32 } from '../control-plane/random';
import { FaultInjector, type FaultRecord, type FaultRule } from '../faults';
import { type AwsJsonOperation, startAwsJsonServer } from './aws-json-server';
import { startAwsQueryServer } from './aws-query-server';
import { type Invoker, LocalBus } from './bus';
import { startDynamo } from './dynamo';
import { eventsOperations } from './events-api';
import type { RuntimeFaults } from './faults';
import {
  applyEnvironment,
  FunctionRunner,
  type FunctionSource,
  type StackResources,
  sandboxEnvironment,
} from './functions';
import { QueueTriggers } from './queue-triggers';
import { Scheduler } from './schedules';
import { LocalSecrets, secretsManagerOperations } from './secrets-manager';
import { LocalTopics, SNS_XMLNS, snsOperations } from './sns';
import { type LocalQueue, LocalQueues, sqsOperations } from './sqs';
import { LocalParameters, ssmOperations } from './ssm';

export type {
  BusRecord,
  DeliveryOutcome,
  DeliveryRecord,
  EventInput,
  EventRecord,
  Invoker,
} from './bus';
export { LocalBus } from './bus';
export { startDynamo } from './dynamo';
export { FunctionRunner } from './functions';
export { QueueTriggers, type SqsEvent, type SqsRecord } from './queue-triggers';
export { Scheduler } from './schedules';
export type { LocalSecrets, SecretValue, SecretVersion, StoredSecret } from './secrets-manager';
export type { LocalTopic, LocalTopics, PublishedMessage, PublishListener, SnsMessageAttribute } from './sns';
export type { LocalQueue, LocalQueues, QueueMessage } from './sqs';
export type { LocalParameters, ParameterType, ParameterVersion, PutParameterOptions } from './ssm';

/** Options of {@link startRuntime}. */
export interface RuntimeOptions {
  /** the repository root (serverless.yml, functions/, .build/, autopilot.yml) */
  root: string;
  /** the local control plane's ECS, ECR and EC2 endpoints (`http://127.0.0.1:<port>`) */
  endpoints: { ecs: string; ecr: string; ec2?: string };
  /** the policy file (AUTOPILOT_CONFIG); the repository's autopilot.yml by default */
  policyFile?: string;
  /** AUTOPILOT_DRY_RUN (serverless.yml's `dryRun` parameter); false by default */
  dryRun?: boolean;
  /** `bundle` (default: `.build/<key>/index.js`, run `npm run build` first) or `typescript` (jest, tsx) */
  source?: FunctionSource;
  /** POWERTOOLS_LOG_LEVEL (serverless.yml's `logLevel` parameter); `SILENT` by default */
  logLevel?: string;
  /** delays before the retries of a failed invocation; `[100, 200]` ms by default */
  retryDelaysMs?: number[];
  /** serverless.yml parameters (`${param:…}`) set for the sandbox, over `params.default` */
  params?: Record<string, string>;
  /** a period in ms per function key or schedule rule name, e.g. `{ 'deploy-due': 1000 }`; 0: no timer */
  scheduleOverridesMs?: Record<string, number>;
  /** how much faster than real time the other schedules run; 1 by default */
  scheduleSpeed?: number;
  /** whether schedule timers run at all (trigger() always works); true by default */
  schedules?: boolean;
  /** whether the SQS event source mappings poll their queues; true by default */
  queueTriggers?: boolean;
  /**
   * how soon a message an SQS-triggered function did not finish comes back, in seconds after the
   * invocation (fractions allowed); by default the queue's visibility timeout (serverless.yml) after
   * the receive, as in AWS
   */
  queueRetryAfterSeconds?: number;
  /**
   * how much faster than real time SQS message delays pass (DelaySeconds: a restart's backoff); 1 by
   * default, 60 turns a minute into a second
   */
  queueDelaySpeed?: number;
  /** the account id of ARNs, URLs and events; `123456789012` by default */
  account?: string;
  /** `eu-west-1` by default */
  region?: string;
  /** more variables for the functions (undefined removes one), e.g. `{ POWERTOOLS_DEV: 'true' }` */
  environment?: Record<string, string | undefined>;
  /** runs the functions instead of the {@link FunctionRunner} (tests of the plumbing; SQS batches too) */
  invoke?: Invoker;
  /** a directory to keep the table in across runs; in memory by default */
  dynamoPath?: string;
  /**
   * the fault injector the servers consult (DynamoDB, EventBridge, SQS, Parameter Store, Secrets
   * Manager: rules addressed to `dynamodb`, `events`, `sqs`, `ssm`, `secretsmanager`, or `*`), when
   * it is shared with the control plane (`sandbox/account.ts`); by default one of its own, seeded
   * from `faultSeed`, with no rules
   */
  faults?: FaultInjector;
  /** seeds the runtime's own fault injector; 1 by default */
  faultSeed?: number;
  /**
   * at-least-once delivery: each event goes to each target this many times, the copies shuffled among
   * the other deliveries by `deliverySeed` (see {@link LocalBus}); 1 by default
   */
  deliveries?: number;
  /** seeds the order of the copies; 1 by default */
  deliverySeed?: number;
}

/** A running local account. */
export interface Runtime {
  /** the EventBridge bus: put AWS events, subscribe to everything */
  bus: LocalBus;
  /** the dead-letter queue (AUTOPILOT_DLQ_URL and the functions' OnFailure destination) */
  dlq: LocalQueue;
  /** every queue of the stack */
  queues: LocalQueues;
  dynamo: { endpoint: string; tableName: string };
  /** AWS_ENDPOINT_URL_EVENTBRIDGE */
  eventsEndpoint: string;
  /** AWS_ENDPOINT_URL_SQS (the same server) */
  sqsEndpoint: string;
  /** Parameter Store (AWS_ENDPOINT_URL_SSM): the channels' webhook URLs and tokens */
  parameters: LocalParameters;
  /** Secrets Manager (AWS_ENDPOINT_URL_SECRETS_MANAGER) */
  secrets: LocalSecrets;
  /** SNS topics (AWS_ENDPOINT_URL_SNS); subscribe to see what is published */
  topics: LocalTopics;
  /** AWS_ENDPOINT_URL_SSM (the AWS JSON server of EventBridge and SQS) */
  ssmEndpoint: string;
  /** AWS_ENDPOINT_URL_SECRETS_MANAGER (the same server) */
  secretsManagerEndpoint: string;
  /** AWS_ENDPOINT_URL_SNS (an AWS query server of its own) */
  snsEndpoint: string;
  /** autopilot's bus (AUTOPILOT_BUS), `ecs-autopilot-sandbox` */
  busName: string;
  runner: FunctionRunner;
  scheduler: Scheduler;
  /** the SQS event source mappings (restart-due on the restart delay queue) */
  queueTriggers: QueueTriggers;
  /** Fires a function's schedule rule (or a rule by name) now; resolves when its delivery settled. */
  trigger(name: string): Promise<void>;
  /**
   * Holds the schedule timers of a function until the returned function is called (a scenario that
   * must not depend on the machine's speed holds a timer the real one would not have reached yet).
   */
  holdSchedule(name: string): () => void;
  /**
   * Resolves when no delivery is running, queued or waiting for a retry, and no queue holds a
   * message an event source mapping could receive now (delayed messages are not waited for).
   */
  idle(): Promise<void>;
  /**
   * What an operator tool (`autopilot` from another terminal) needs to reach this account: the
   * table, bus and queue names, the policy file, the region, dummy credentials and every endpoint.
   */
  operatorEnvironment(): Record<string, string>;
  /**
   * Replaces the fault rules (an empty list turns faults off; see `sandbox/faults.ts`); with an
   * injector shared with the control plane, its rules too.
   *
   * @throws RangeError for a rule that cannot be used
   */
  setFaults(rules: readonly FaultRule[]): void;
  /** Every call of the runtime's servers that a fault was injected into, in order. */
  faulted: FaultRecord[];
  /** Changes the policy file or dry run for the invocations that follow. */
  configure(options: { policyFile?: string; dryRun?: boolean }): void;
  /** Stops everything and restores the environment. */
  stop(): Promise<void>;
}

/**
 * Starts the runtime of the local account. See the module documentation.
 *
 * @throws Error when bundles are missing (`source: 'bundle'` without a build), the policy file does
 *   not exist, or serverless.yml uses something the sandbox cannot provide
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const root = resolve(options.root);
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'eu-west-1';
  const policyFile = resolve(root, options.policyFile ?? 'autopilot.yml');
  if (!existsSync(policyFile)) throw new Error(`policy file ${policyFile} does not exist`);
  const config = readServerlessConfig(root, {
    region,
    params: {
      ...options.params,
      dryRun: String(options.dryRun ?? false),
      logLevel: options.logLevel ?? 'SILENT',
    },
  });
  if (config.tables.length > 1)
    throw new Error('the sandbox provides one DynamoDB table; serverless.yml has more');
  const busName = Object.values(config.buses)[0] ?? `${config.service}-${config.stage}`;
  const physicalName = (key: string) => `${config.service}-${config.stage}-${key}`;

  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
  };
  const injector = options.faults ?? new FaultInjector(mulberry32(options.faultSeed ?? 1));
  const faulted: FaultRecord[] = [];
  const faults: RuntimeFaults = { injector, record: (record) => faulted.push(record) };
  try {
    const dynamo = await startDynamo({
      tableName: `${config.service}-${config.stage}-table`,
      region,
      path: options.dynamoPath,
      faults,
    });
    stops.push(() => dynamo.stop());

    // Filled in below: the queue URLs need the server's port, the bus needs the queues.
    const operations: Record<string, AwsJsonOperation> = {};
    const server = await startAwsJsonServer({ operations, faults });
    stops.push(() => server.close());
    const queues = new LocalQueues(server.endpoint, account, region);
    stops.push(() => queues.close());
    const parameters = new LocalParameters(account, region);
    const secrets = new LocalSecrets(account, region);
    const topics = new LocalTopics(account, region);
    const snsServer = await startAwsQueryServer({ xmlns: SNS_XMLNS, operations: snsOperations(topics) });
    stops.push(() => snsServer.close());
    const queueByLogicalId = new Map(
      Object.entries(config.queues).map(([id, name]) => [id, queues.create(name)]),
    );
    // Their properties, once every queue exists (a redrive policy names another queue of the stack).
    for (const [id, definition] of Object.entries(config.queueDefinitions)) {
      const deadLetterQueue = definition.redrive && queueByLogicalId.get(definition.redrive.deadLetterQueue);
      queueByLogicalId.get(id)?.configure({
        visibilityTimeoutSeconds: definition.visibilityTimeoutSeconds,
        delaySeconds: definition.delaySeconds,
        delaySpeed: options.queueDelaySpeed,
        ...(definition.redrive && deadLetterQueue
          ? { redrive: { deadLetterQueue, maxReceiveCount: definition.redrive.maxReceiveCount } }
          : {}),
      });
    }

    const resources: StackResources = {
      tables: Object.fromEntries(config.tables.map((id) => [id, dynamo.tableName])),
      buses: config.buses,
      queues: Object.fromEntries(
        [...queueByLogicalId].map(([id, queue]) => [id, { url: queue.url, arn: queue.arn }]),
      ),
      account,
      region,
    };
    const endpoints = {
      ecs: options.endpoints.ecs,
      ecr: options.endpoints.ecr,
      ...(options.endpoints.ec2 ? { ec2: options.endpoints.ec2 } : {}),
      dynamodb: dynamo.endpoint,
      eventbridge: server.endpoint,
      sqs: server.endpoint,
      ssm: server.endpoint,
      secretsManager: server.endpoint,
      sns: snsServer.endpoint,
    };
    const environmentOf = new Map(
      config.functions.map((definition) => [
        definition.name,
        sandboxEnvironment({
          root,
          definition,
          resources,
          endpoints,
          policyFile,
          overrides: options.environment,
        }),
      ]),
    );
    // Before any function module loads: some of it is read at load time.
    const restoreEnvironment = applyEnvironment(Object.assign({}, ...environmentOf.values()));
    stops.push(restoreEnvironment);

    const runner = new FunctionRunner({
      root,
      functions: config.functions,
      environment: (definition) => environmentOf.get(definition.name) ?? {},
      source: options.source ?? 'bundle',
      physicalName,
      account,
      region,
    });
    if (!options.invoke && runner.source === 'bundle') {
      const missing = runner.missingModules();
      if (missing.length > 0) {
        throw new Error(`no bundle for ${missing.join(', ')}: build the functions first (npm run build)`);
      }
    }

    const definitionOf = new Map(config.functions.map((f) => [f.name, f]));
    const bus = new LocalBus({
      routes: loadRoutes(root),
      invoke: options.invoke ?? ((name, event, { requestId }) => runner.invoke(name, event, { requestId })),
      account,
      region,
      retryDelaysMs: options.retryDelaysMs ?? [100, 200],
      maximumRetryAttempts: (name) => definitionOf.get(name)?.maximumRetryAttempts ?? 2,
      failureDestination: (name) => {
        const id = definitionOf.get(name)?.onFailureQueue;
        return id === undefined ? undefined : queueByLogicalId.get(id);
      },
      functionArn: (name) => `arn:aws:lambda:${region}:${account}:function:${physicalName(name)}`,
      deliveries: options.deliveries,
      deliverySeed: options.deliverySeed,
    });
    stops.push(() => bus.close());
    Object.assign(
      operations,
      eventsOperations(bus, { busNames: Object.values(config.buses), account, region }),
      sqsOperations(queues),
      ssmOperations(parameters),
      secretsManagerOperations(secrets),
    );

    const scheduler = new Scheduler({
      schedules: config.functions.flatMap((f) => f.schedules),
      bus,
      account,
      region,
      speed: options.scheduleSpeed,
      overridesMs: options.scheduleOverridesMs,
    });
    if (options.schedules !== false) scheduler.start();
    stops.push(() => scheduler.stop());

    const queueTriggers = new QueueTriggers({
      triggers: config.functions.flatMap((f) => f.queueTriggers),
      queueOf: (id) => queueByLogicalId.get(id),
      invoke: (name, event, { requestId }) =>
        options.invoke
          ? options.invoke(name, event as unknown as EventBridgeEvent, { attempt: 1, requestId })
          : runner.invoke(name, event, { requestId }),
      tell: (record) => bus.tell(record),
      account,
      region,
      retryAfterSeconds: options.queueRetryAfterSeconds,
    });
    if (options.queueTriggers !== false) queueTriggers.start();
    // Before the bus closes: a batch being processed may still put events.
    stops.push(() => queueTriggers.stop());

    const dlq = deadLetterQueue(config.functions, queueByLogicalId);
    let currentPolicyFile = policyFile;
    const operatorEnvironment = () => {
      const common = environmentOf.get(config.functions[0]?.name ?? '') ?? {};
      const picked = Object.entries(common).filter(
        (entry): entry is [string, string] => entry[1] !== undefined && OPERATOR_VARIABLES.test(entry[0]),
      );
      return { ...Object.fromEntries(picked), AUTOPILOT_CONFIG: currentPolicyFile };
    };
    let stopped: Promise<void> | undefined;
    return {
      bus,
      dlq,
      queues,
      dynamo: { endpoint: dynamo.endpoint, tableName: dynamo.tableName },
      eventsEndpoint: server.endpoint,
      sqsEndpoint: server.endpoint,
      parameters,
      secrets,
      topics,
      ssmEndpoint: server.endpoint,
      secretsManagerEndpoint: server.endpoint,
      snsEndpoint: snsServer.endpoint,
      busName,
      runner,
      scheduler,
      queueTriggers,
      holdSchedule: (name) => scheduler.hold(name),
      trigger: async (name) => {
        await Promise.all(scheduler.trigger(name).map((result) => result.delivered));
      },
      idle: async () => {
        // Each may give the other work: a delivery sends a message, a batch puts events.
        for (;;) {
          await bus.idle();
          await queueTriggers.idle();
          await new Promise((resolve) => setImmediate(resolve));
          if (!bus.busy && !queueTriggers.busy) {
            await bus.idle();
            if (!queueTriggers.busy) return;
          }
        }
      },
      setFaults: (rules) => injector.set(rules),
      faulted,
      operatorEnvironment,
      configure: (changes) => {
        if (changes.policyFile !== undefined) currentPolicyFile = resolve(root, changes.policyFile);
        runner.setEnvironment({
          ...(changes.policyFile === undefined
            ? {}
            : { AUTOPILOT_CONFIG: resolve(root, changes.policyFile) }),
          ...(changes.dryRun === undefined ? {} : { AUTOPILOT_DRY_RUN: String(changes.dryRun) }),
        });
      },
      stop: () => {
        stopped ??= stop();
        return stopped;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The variables of a function's environment that an operator tool needs too (not dry run: the tool's own flag). */
const OPERATOR_VARIABLES =
  /^(AUTOPILOT_(TABLE|BUS|DLQ_URL|CONFIG|SANDBOX)|AWS_(REGION|DEFAULT_REGION|ACCESS_KEY_ID|SECRET_ACCESS_KEY)|AWS_ENDPOINT_URL(_.+)?|POWERTOOLS_(METRICS_DISABLED|TRACE_ENABLED|SERVICE_NAME))$/;

/** The queue of AUTOPILOT_DLQ_URL (`!Ref DeadLetterQueue`), else the first OnFailure queue. */
function deadLetterQueue(
  functions: ReturnType<typeof readServerlessConfig>['functions'],
  queues: Map<string, LocalQueue>,
): LocalQueue {
  const ids = functions.flatMap((f) => {
    const ref = (f.environment.AUTOPILOT_DLQ_URL as { Ref?: unknown } | undefined)?.Ref;
    return [typeof ref === 'string' ? ref : undefined, f.onFailureQueue];
  });
  for (const id of ids) {
    const queue = id === undefined ? undefined : queues.get(id);
    if (queue) return queue;
  }
  throw new Error('serverless.yml declares no dead-letter queue');
}
