/**
 * The project's functions, invoked directly by the benchmarks (no bus): each `functions/<key>.ts`
 * through its exported `handler` (under tsx), or the built bundle `.build/<key>/index.js`, with the
 * environment serverless.yml gives it in the sandbox (`sandbox/runtime/functions.ts`:
 * `sandboxEnvironment`), every AWS endpoint pointed at the benchmark's router and dummy credentials.
 *
 * The context's `getRemainingTimeInMillis` counts down from serverless.yml's timeout as in Lambda, so
 * a function that stops at its deadline stops here too, and the middleware's own timeout (middy's,
 * which rejects when the remaining time runs out) ends the invocation with a `TimeoutError`, as Lambda
 * would end it. Unlike Lambda, the work it abandoned goes on in the background: stop the account
 * (its servers) before measuring anything else on it. Without such a timeout an invocation is awaited
 * to its end, and one past its timeout is reported as having overran.
 */
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import { applyEnvironment, type LambdaHandler, sandboxEnvironment } from '../../sandbox/runtime/functions';
import { type FunctionDefinition, readServerlessConfig } from '../../tools/serverless-config';
import { ACCOUNT, REGION } from './account';

/** Where the functions' code comes from: the TypeScript sources (default) or the built bundles. */
export type BenchSource = 'typescript' | 'bundle';

/** Options of {@link loadFunctions}. */
export interface BenchFunctionsOptions {
  /** the repository root */
  root: string;
  /** the router every AWS endpoint names */
  endpoint: string;
  /** the policy file the functions read (AUTOPILOT_CONFIG): JSON, which the bundles read too */
  policyFile: string;
  /** variables set over serverless.yml's (undefined removes one) */
  overrides?: Record<string, string | undefined>;
  source?: BenchSource;
}

/** How one invocation went. */
export interface Invocation {
  /** what the handler returned (undefined when it threw) */
  result: unknown;
  /** what it threw */
  error?: Error;
  /** wall time of the whole invocation */
  ms: number;
  /** it ran past serverless.yml's timeout (Lambda would have stopped it) */
  overran: boolean;
}

/** The functions, ready to invoke. */
export interface BenchFunctions {
  /** the autopilot table the functions use (the account creates it under this name) */
  tableName: string;
  /** the bus the functions publish on */
  busName: string;
  /**
   * Invokes `key` with `event`, one invocation at a time (the environment is process-wide), with
   * serverless.yml's timeout or `timeoutMs` (what the context's remaining time counts down from).
   */
  invoke(key: string, event: unknown, options?: { timeoutMs?: number }): Promise<Invocation>;
  /**
   * Loads the handlers of `keys` now, so the first measured invocation does not pay for loading its
   * module (a cold start is `bench/bundles.bench.ts`'s subject, not this harness's).
   */
  preload(...keys: string[]): void;
  /** Puts the environment back as it was. */
  restore(): void;
}

/**
 * Loads the functions' definitions and sets their environment; the handlers are loaded on first use.
 *
 * @example
 * const functions = loadFunctions({ root, endpoint: router.endpoint, policyFile });
 * const { result } = await functions.invoke('index-services', scheduledEvent());
 */
export function loadFunctions(options: BenchFunctionsOptions): BenchFunctions {
  const root = resolve(options.root);
  const config = readServerlessConfig(root, {
    region: REGION,
    params: { dryRun: 'false', logLevel: 'SILENT' },
  });
  const tableName = `${config.service}-${config.stage}-table`;
  const busName = Object.values(config.buses)[0] ?? `${config.service}-${config.stage}`;
  const endpoint = options.endpoint;
  const environmentOf = new Map<string, Record<string, string | undefined>>(
    config.functions.map((definition) => [
      definition.name,
      sandboxEnvironment({
        root,
        definition,
        resources: {
          tables: Object.fromEntries(config.tables.map((id) => [id, tableName])),
          buses: config.buses,
          // No queue is served: a message parked there fails on the router, and shows in the counts.
          queues: Object.fromEntries(
            Object.entries(config.queues).map(([id, name]) => [
              id,
              { url: `${endpoint}/${ACCOUNT}/${name}`, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}` },
            ]),
          ),
          account: ACCOUNT,
          region: REGION,
        },
        endpoints: {
          ecs: endpoint,
          ecr: endpoint,
          dynamodb: endpoint,
          eventbridge: endpoint,
          sqs: endpoint,
          ssm: endpoint,
          secretsManager: endpoint,
          sns: endpoint,
        },
        policyFile: options.policyFile,
        overrides: options.overrides,
      }),
    ]),
  );
  const definitions = new Map(config.functions.map((definition) => [definition.name, definition]));
  // Before any function module loads: some of it is read at load time.
  const restore = applyEnvironment(Object.assign({}, ...environmentOf.values()));
  const handlers = new Map<string, LambdaHandler>();
  const handlerOf = (key: string): LambdaHandler => {
    let handler = handlers.get(key);
    if (!handler) {
      const path =
        options.source === 'bundle'
          ? join(root, '.build', key, 'index.js')
          : join(root, 'functions', `${key}.ts`);
      const loaded = require(path) as { handler?: unknown };
      if (typeof loaded.handler !== 'function') throw new Error(`${path} exports no handler function`);
      handler = loaded.handler as LambdaHandler;
      handlers.set(key, handler);
    }
    return handler;
  };
  let queue: Promise<unknown> = Promise.resolve();
  const invokeNow = async (key: string, event: unknown, timeoutOverride?: number): Promise<Invocation> => {
    const definition = definitions.get(key) as FunctionDefinition | undefined;
    if (!definition) throw new Error(`no function ${key} in serverless.yml`);
    const physicalName = `${config.service}-${config.stage}-${key}`;
    applyEnvironment({
      ...environmentOf.get(key),
      AWS_LAMBDA_FUNCTION_NAME: physicalName,
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${physicalName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `bench/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    });
    const handler = handlerOf(key);
    const started = performance.now();
    const timeoutMs = timeoutOverride ?? definition.timeoutSeconds * 1000;
    const context = lambdaContext(physicalName, definition, () => timeoutMs - (performance.now() - started));
    try {
      const result = await handler(event, context);
      const ms = performance.now() - started;
      return { result, ms, overran: ms > timeoutMs };
    } catch (error) {
      const ms = performance.now() - started;
      return { result: undefined, error: error as Error, ms, overran: ms > timeoutMs };
    }
  };
  return {
    tableName,
    busName,
    invoke(key, event, invokeOptions = {}) {
      const run = queue.then(() => invokeNow(key, event, invokeOptions.timeoutMs));
      queue = run.catch(() => undefined);
      return run;
    },
    preload(...keys) {
      for (const key of keys) handlerOf(key);
    },
    restore,
  };
}

function lambdaContext(
  physicalName: string,
  definition: FunctionDefinition,
  remaining: () => number,
): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: physicalName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${physicalName}`,
    memoryLimitInMB: String(definition.memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${physicalName}`,
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, Math.floor(remaining())),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A scheduled event of the reconcile rule, with a new id (idempotency is keyed on it). */
export function scheduledReconcile(at = new Date()): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/ecs-autopilot-sandbox-reconcile`],
    detail: {},
  };
}
