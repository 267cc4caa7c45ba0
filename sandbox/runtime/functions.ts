/**
 * Runs the project's Lambda functions in this process, as Lambda would: the built bundle
 * `.build/<key>/index.js` (from `npm run build`), or the TypeScript source
 * `functions/<key>.ts` under a TypeScript loader (jest, tsx), called as `handler(event, context)` with
 * a Lambda context and the environment the function has in serverless.yml.
 *
 * The environment: the bundles (and the SDK and Powertools inside them) read `process.env`, some of
 * it once when the module loads (Powertools' log level) or when a client is first used (endpoints,
 * region). So the sandbox sets the variables on `process.env` itself, before a function's module is
 * loaded and again before every invocation; the sandbox is its own process, and nothing else in it
 * depends on these variables. Consequences:
 *
 * - invocations run one at a time (the variables Lambda sets per function, such as
 *   `AWS_LAMBDA_FUNCTION_NAME`, which Powertools idempotency uses as its key prefix, are per
 *   invocation);
 * - run one sandbox per process (per jest test file): the functions' cached SDK clients keep the
 *   endpoints of their first call.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, isAbsolute, join, resolve } from 'node:path';
import type { Context } from 'aws-lambda';
import {
  isSealedPolicyFile,
  loadPolicyFile,
  readPolicyFileText,
  sealPolicyFile,
} from '../../shared/config/policy-file-reader';
import type { FunctionDefinition } from '../../tools/serverless-config';

/** A Lambda handler as the project exports it. */
export type LambdaHandler = (event: unknown, context: Context) => unknown;

/** Where the functions' code comes from. */
export type FunctionSource = 'bundle' | 'typescript';

/** The stack's resources that `!Ref` / `!GetAtt` in the environment refer to, by logical id. */
export interface StackResources {
  /** table logical id -> table name */
  tables: Record<string, string>;
  /** bus logical id -> bus name */
  buses: Record<string, string>;
  /** queue logical id -> URL and ARN */
  queues: Record<string, { url: string; arn: string }>;
  account: string;
  region: string;
}

/** Local endpoints of the services the functions call. */
export interface ServiceEndpoints {
  ecs: string;
  ecr: string;
  /** EC2 (DescribeNetworkInterfaces), the control plane's; none: the closed default endpoint */
  ec2?: string;
  dynamodb: string;
  eventbridge: string;
  sqs: string;
  ssm: string;
  secretsManager: string;
  sns: string;
}

/** Options of {@link sandboxEnvironment}. */
export interface SandboxEnvironmentOptions {
  /** the repository root (a relative `AUTOPILOT_CONFIG` is resolved against it) */
  root: string;
  /** the function, from `readServerlessConfig` */
  definition: FunctionDefinition;
  resources: StackResources;
  endpoints: ServiceEndpoints;
  /** the policy file to use instead of serverless.yml's (the repository's autopilot.yml) */
  policyFile?: string;
  /** last word: added or (undefined) removed */
  overrides?: Record<string, string | undefined>;
}

/**
 * The environment of a function in the sandbox: serverless.yml's (provider and function, with
 * `!Ref`/`!GetAtt` resolved to the local table, bus and queue), what Lambda adds (region, credentials,
 * `AWS_LAMBDA_*`), the service endpoints (`AWS_ENDPOINT_URL_<SERVICE ID>`, the SDK's names; any other
 * service fails on a closed loopback port rather than reaching AWS), the SDK's retry budget of Lambda
 * (`AWS_MAX_ATTEMPTS` only when serverless.yml sets it), and sandbox switches: metrics
 * and tracing off, chat to loopback allowed (`AUTOPILOT_SANDBOX`). `NODE_OPTIONS` cannot apply in process and is left out.
 *
 * @throws Error when serverless.yml uses an intrinsic the sandbox cannot resolve
 */
export function sandboxEnvironment(options: SandboxEnvironmentOptions): Record<string, string | undefined> {
  const { definition, resources, endpoints } = options;
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(definition.environment)) {
    if (name === 'NODE_OPTIONS') continue;
    env[name] = resolveValue(name, value, resources);
  }
  const config = options.policyFile ?? env.AUTOPILOT_CONFIG;
  if (config !== undefined) {
    env.AUTOPILOT_CONFIG = isAbsolute(config) ? config : resolve(options.root, config);
  }
  return {
    ...env,
    AWS_REGION: resources.region,
    AWS_DEFAULT_REGION: resources.region,
    AWS_ACCESS_KEY_ID: 'AKIDSANDBOX',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_ECS: endpoints.ecs,
    AWS_ENDPOINT_URL_ECR: endpoints.ecr,
    AWS_ENDPOINT_URL_EC2: endpoints.ec2,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SSM: endpoints.ssm,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // The SDK's retry budget is Lambda's (serverless.yml's, else the clients' default), not the one of
    // whoever started the sandbox (the tests make two attempts): faults are ridden out as in AWS.
    AWS_MAX_ATTEMPTS: env.AWS_MAX_ATTEMPTS,
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    // Chat requests may reach the sandbox's sink on loopback (refused everywhere else).
    AUTOPILOT_SANDBOX: 'true',
    // Set per invocation by FunctionRunner; listed so that restoring the environment removes them.
    AWS_LAMBDA_FUNCTION_NAME: undefined,
    AWS_LAMBDA_LOG_GROUP_NAME: undefined,
    AWS_LAMBDA_LOG_STREAM_NAME: undefined,
    ...options.overrides,
  };
}

function resolveValue(name: string, value: unknown, resources: StackResources): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    if (typeof value === 'string' && value.includes('${')) {
      throw new Error(`serverless.yml: ${name} has an unresolved variable: ${value}`);
    }
    return String(value);
  }
  if (typeof value === 'object' && value !== null) {
    const ref = (value as { Ref?: unknown }).Ref;
    if (typeof ref === 'string') {
      const found = resources.tables[ref] ?? resources.buses[ref] ?? resources.queues[ref]?.url;
      if (found !== undefined) return found;
    }
    const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
    const target = Array.isArray(getAtt) ? getAtt.join('.') : getAtt;
    if (typeof target === 'string' && target.endsWith('.Arn')) {
      const id = target.slice(0, -'.Arn'.length);
      const { account, region } = resources;
      const arn =
        resources.queues[id]?.arn ??
        (resources.tables[id]
          ? `arn:aws:dynamodb:${region}:${account}:table/${resources.tables[id]}`
          : undefined) ??
        (resources.buses[id]
          ? `arn:aws:events:${region}:${account}:event-bus/${resources.buses[id]}`
          : undefined);
      if (arn !== undefined) return arn;
    }
  }
  throw new Error(`serverless.yml: the sandbox cannot resolve ${name}: ${JSON.stringify(value)}`);
}

/**
 * Sets variables on `process.env` (undefined removes one).
 *
 * @returns a function that puts back what was there before
 */
export function applyEnvironment(vars: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  setVariables(vars);
  return () => setVariables(previous);
}

function setVariables(vars: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** Options of {@link FunctionRunner}. */
export interface FunctionRunnerOptions {
  /** the repository root */
  root: string;
  /** the functions, from `readServerlessConfig` */
  functions: readonly FunctionDefinition[];
  /** each function's environment (see {@link sandboxEnvironment}) */
  environment: (definition: FunctionDefinition) => Record<string, string | undefined>;
  /** `bundle` (default) or `typescript` (needs jest or tsx) */
  source?: FunctionSource;
  /** the deployed name of a function key; `ecs-autopilot-sandbox-<key>` by default */
  physicalName?: (functionName: string) => string;
  account?: string;
  region?: string;
  /** overrides serverless.yml's timeout for every function */
  timeoutMs?: number;
  /** loads a module; `require` by default */
  load?: (path: string) => unknown;
}

/** What {@link FunctionRunner.invoke} may be told about the invocation. */
export interface InvocationOptions {
  /** the Lambda request id; a new one by default */
  requestId?: string;
}

/**
 * Runs the functions of serverless.yml in this process, one invocation at a time. See the module
 * documentation. A handler that outlives its timeout is reported as timed out but cannot be killed:
 * it finishes in the background while the next invocation runs.
 */
export class FunctionRunner {
  private readonly handlers = new Map<string, LambdaHandler>();
  private readonly definitions: Map<string, FunctionDefinition>;
  private overrides: Record<string, string | undefined> = {};
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FunctionRunnerOptions) {
    this.definitions = new Map(options.functions.map((f) => [f.name, f]));
  }

  /** Where the code comes from. */
  get source(): FunctionSource {
    return this.options.source ?? 'bundle';
  }

  /** The function keys of serverless.yml. */
  get functionNames(): string[] {
    return [...this.definitions.keys()];
  }

  /** The deployed name of a function key, e.g. `ecs-autopilot-sandbox-deploy-on-push`. */
  physicalName(functionName: string): string {
    return this.options.physicalName?.(functionName) ?? `ecs-autopilot-sandbox-${functionName}`;
  }

  /** The file the function's handler is loaded from. */
  modulePath(functionName: string): string {
    return this.options.source === 'typescript'
      ? join(this.options.root, 'functions', `${functionName}.ts`)
      : join(this.options.root, '.build', functionName, 'index.js');
  }

  /** The functions whose module file does not exist (bundles not built yet). */
  missingModules(): string[] {
    return this.functionNames.filter((name) => !existsSync(this.modulePath(name)));
  }

  /**
   * Changes variables for the invocations that follow (e.g. `AUTOPILOT_CONFIG` for another policy
   * file, `AUTOPILOT_DRY_RUN`); undefined removes one.
   */
  setEnvironment(vars: Record<string, string | undefined>): void {
    this.overrides = { ...this.overrides, ...vars };
  }

  /**
   * Invokes a function with a Lambda context, after the ones already running (one at a time).
   * Rejects with what the handler threw, or with a timeout error after the function's timeout.
   *
   * @example
   * const result = await runner.invoke('deploy-on-push', event);
   */
  invoke(functionName: string, event: unknown, options: InvocationOptions = {}): Promise<unknown> {
    const run = this.queue.then(() => this.invokeNow(functionName, event, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async invokeNow(
    functionName: string,
    event: unknown,
    options: InvocationOptions,
  ): Promise<unknown> {
    const definition = this.definitions.get(functionName);
    if (!definition) throw new Error(`no function ${functionName} in serverless.yml`);
    const physicalName = this.physicalName(functionName);
    const requestId = options.requestId ?? randomUUID();
    const logStreamName = `${eventDay()}/[$LATEST]${randomUUID().replaceAll('-', '')}`;
    const environment = { ...this.options.environment(definition), ...this.overrides };
    setVariables({
      ...environment,
      ...(this.options.source !== 'typescript' && environment.AUTOPILOT_CONFIG !== undefined
        ? { AUTOPILOT_CONFIG: bundlePolicyFile(environment.AUTOPILOT_CONFIG) }
        : {}),
      AWS_LAMBDA_FUNCTION_NAME: physicalName,
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${physicalName}`,
      AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    });
    const handler = this.handlerOf(functionName);
    const timeoutMs = this.options.timeoutMs ?? definition.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const region = this.options.region ?? 'eu-west-1';
    const account = this.options.account ?? '123456789012';
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: physicalName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${physicalName}`,
      memoryLimitInMB: String(definition.memorySize),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${physicalName}`,
      logStreamName,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
        error.name = 'Sandbox.Timedout';
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private handlerOf(functionName: string): LambdaHandler {
    let handler = this.handlers.get(functionName);
    if (!handler) {
      const path = this.modulePath(functionName);
      if (this.options.source !== 'typescript') {
        if (!existsSync(path)) throw new Error(`${path} does not exist: build the functions (npm run build)`);
        // What AUTOPILOT_DEBUG does in Lambda: stack traces point at the sources. Always on here, the
        // sandbox being where people debug.
        process.setSourceMapsEnabled(true);
      }
      const loaded = (this.options.load ?? require)(path) as { handler?: unknown };
      if (typeof loaded.handler !== 'function') throw new Error(`${path} exports no handler function`);
      handler = loaded.handler as LambdaHandler;
      this.handlers.set(functionName, handler);
    }
    return handler;
  }
}

/** `YYYY/MM/DD`, as in Lambda log stream names. */
function eventDay(): string {
  return new Date().toISOString().slice(0, 10).replaceAll('-', '/');
}

/**
 * The policy file as a bundle reads it: sealed, as the build writes `.build/autopilot.json`. A
 * sealed file is given as it is; any other (YAML, or JSON someone wrote) is validated (line and field
 * errors, as the build does) and written sealed to a temporary file named by its content. A policy
 * file with errors fails the invocation with its PolicyFileError, as a ConfigError at a cold start
 * fails it in Lambda.
 *
 * @param path - AUTOPILOT_CONFIG as the sandbox sets it
 * @returns the path to give the bundle
 */
export function bundlePolicyFile(path: string): string {
  const text = readPolicyFileText(path);
  if (extname(path) === '.json' && isSealedText(text)) return path;
  const hash = createHash('sha256').update(path).update('\0').update(text).digest('hex').slice(0, 16);
  const compiled = join(tmpdir(), 'ecs-autopilot-sandbox-policy', `${hash}.json`);
  if (!existsSync(compiled)) {
    const sealed = sealPolicyFile(loadPolicyFile(path));
    mkdirSync(join(tmpdir(), 'ecs-autopilot-sandbox-policy'), { recursive: true });
    // Written whole under a temporary name, then renamed: another sandbox may read it meanwhile.
    const partial = `${compiled}.${process.pid}.${randomUUID()}`;
    writeFileSync(partial, sealed);
    renameSync(partial, compiled);
  }
  return compiled;
}

/** Whether JSON text is a sealed policy file (text that is no JSON is not). */
function isSealedText(text: string): boolean {
  try {
    return isSealedPolicyFile(JSON.parse(text));
  } catch {
    return false;
  }
}
