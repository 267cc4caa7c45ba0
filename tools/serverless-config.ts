/**
 * The one reader of serverless.yml, for the code that does not run in Lambda: the routes of the CLI
 * and the local bus (`tools/eventbridge/routing.ts`), the sandbox runtime ({@link readServerlessConfig}),
 * the build (`scripts/build.ts`: {@link functionKeys}) and the contract tests (IAM roles, packaging).
 * Each reads the file through {@link readServerlessYml}, so they all see the same document, parsed
 * the same way: CloudFormation intrinsics (`!Ref`, `!GetAtt`…) are kept as `{ Ref: … }` /
 * `{ 'Fn::GetAtt': … }`, and Serverless Framework variables (`${param:…}`, `${sls:stage}`…) are kept
 * as written until {@link readServerlessConfig} resolves them for a stage.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CLOUDFORMATION_TAGS } from './cloudformation-tags';
import type { EventPattern } from './eventbridge/pattern';

/** An event of a function (`functions.<key>.events[]`): the kinds the project uses. */
export interface ServerlessFunctionEvent {
  eventBridge?: { pattern?: EventPattern };
  /** `{ name, rate, enabled }` or a bare `rate(…)` */
  schedule?: unknown;
  /** `{ arn, batchSize, maximumConcurrency, functionResponseType, … }`: an SQS event source mapping */
  sqs?: unknown;
}

/** A function of serverless.yml, as written. */
export interface ServerlessFunction {
  /** logical id of its IAM role in `resources.Resources` */
  role?: string;
  timeout?: number;
  memorySize?: number;
  maximumRetryAttempts?: number;
  environment?: Record<string, unknown>;
  destinations?: { onFailure?: { type?: string; arn?: unknown } | string };
  events?: ServerlessFunctionEvent[];
}

/** A CloudFormation resource of `resources.Resources`. */
export interface CloudFormationResource {
  Type?: string;
  Properties?: Record<string, unknown>;
}

/** serverless.yml as written, variables unresolved (the parts the project reads). */
export interface ServerlessYml {
  service?: string;
  params?: Record<string, Record<string, unknown>>;
  provider?: {
    timeout?: number;
    memorySize?: number;
    environment?: Record<string, unknown>;
  };
  functions?: Record<string, ServerlessFunction>;
  resources?: { Resources?: Record<string, CloudFormationResource> };
}

/**
 * Reads and parses serverless.yml of `root`.
 *
 * @param root - the repository root
 * @example
 * readServerlessYml(root).functions?.['deploy-on-push']?.role; // 'DeployOnPushRole'
 */
export function readServerlessYml(root: string): ServerlessYml {
  const text = readFileSync(join(root, 'serverless.yml'), 'utf8');
  return parse(text, { customTags: CLOUDFORMATION_TAGS }) as ServerlessYml;
}

/**
 * The function keys of serverless.yml, in file order; each has its handler in `functions/<key>.ts`.
 *
 * @param root - the repository root
 */
export function functionKeys(root: string): string[] {
  return Object.keys(readServerlessYml(root).functions ?? {});
}

/** The stage the sandbox deploys as: names become `ecs-autopilot-sandbox-…`. */
export const SANDBOX_STAGE = 'sandbox';

/** A schedule rule of a function (`events: - schedule: { name, rate }`). */
export interface ScheduleDefinition {
  /** the function key in serverless.yml */
  functionName: string;
  /** the rule name with the stage resolved, e.g. `ecs-autopilot-sandbox-deploy-due` */
  ruleName: string;
  /** `rate(…)` or `cron(…)` with parameters resolved */
  expression: string;
  /** `enabled: false` rules exist but do not fire */
  enabled: boolean;
}

/** One function of serverless.yml, as the sandbox runs it. */
export interface FunctionDefinition {
  /** the function key, e.g. `deploy-on-push` */
  name: string;
  /** provider environment merged with the function's, variables resolved, intrinsics kept */
  environment: Record<string, unknown>;
  /** Lambda timeout (serverless default 6 s) */
  timeoutSeconds: number;
  /** Lambda memory size (serverless default 1024 MB) */
  memorySize: number;
  /** async invocation retries after the first attempt (Lambda default 2) */
  maximumRetryAttempts: number;
  /** logical id of the SQS queue of `destinations.onFailure`, when it is one of the stack's queues */
  onFailureQueue?: string;
  schedules: ScheduleDefinition[];
  /** the SQS event source mappings of the function (`events: - sqs: …`) */
  queueTriggers: QueueTriggerDefinition[];
}

/**
 * An SQS event source mapping of a function (`events: - sqs: { arn: !GetAtt Queue.Arn, … }`), with
 * Lambda's defaults for what serverless.yml leaves out.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export interface QueueTriggerDefinition {
  /** the function key */
  functionName: string;
  /** logical id of the queue (one of the stack's `AWS::SQS::Queue` resources) */
  queue: string;
  /** messages per invocation (Lambda: 10 by default, at most 10,000) */
  batchSize: number;
  /** how long Lambda gathers a batch, in seconds (0 by default) */
  maximumBatchingWindowSeconds: number;
  /** invocations at once for this mapping (Lambda: 2 to 1,000; unset, as many as Lambda scales to) */
  maximumConcurrency?: number;
  /** `functionResponseType: ReportBatchItemFailures`: the function names the messages that failed */
  reportBatchItemFailures: boolean;
  /** `enabled: false` mappings exist but do not poll */
  enabled: boolean;
}

/** An `AWS::SQS::Queue`'s properties the sandbox honours, defaults filled in as SQS has them. */
export interface QueueDefinition {
  /** the queue name */
  name: string;
  /** seconds a message is hidden after each receive (SQS: 30 by default) */
  visibilityTimeoutSeconds: number;
  /** seconds every message waits before its first delivery (SQS: 0 by default) */
  delaySeconds: number;
  /** `RedrivePolicy`: the dead-letter queue's logical id and the receives after which a message moves there */
  redrive?: { deadLetterQueue: string; maxReceiveCount: number };
}

/** The parts of serverless.yml the sandbox runtime uses, resolved for its stage. */
export interface ServerlessConfig {
  /** `service:` */
  service: string;
  stage: string;
  /** resolved parameters: `params.default`, then `params.<stage>`, then the caller's overrides */
  params: Record<string, string>;
  functions: FunctionDefinition[];
  /** `AWS::SQS::Queue` resources: logical id -> queue name */
  queues: Record<string, string>;
  /** `AWS::SQS::Queue` resources: logical id -> what the sandbox honours of their properties */
  queueDefinitions: Record<string, QueueDefinition>;
  /** `AWS::Events::EventBus` resources: logical id -> bus name */
  buses: Record<string, string>;
  /** logical ids of `AWS::DynamoDB::Table` resources */
  tables: string[];
}

/** Options of {@link readServerlessConfig}. */
export interface ReadServerlessConfigOptions {
  /** defaults to {@link SANDBOX_STAGE} */
  stage?: string;
  /** the region `${opt:region}` resolves to */
  region?: string;
  /** parameter overrides, as `--param="name=value"` would give */
  params?: Record<string, string>;
}

/**
 * Reads serverless.yml of `root` for `stage` (default `sandbox`), as the sandbox runtime runs it: the
 * stack's parameters, each function's environment, timeout, retry count and OnFailure destination,
 * its schedule rules, and the queues, buses and tables it declares, with variables resolved.
 *
 * @example
 * const config = readServerlessConfig('/work/main', { params: { dryRun: 'true' } });
 * config.functions.find((f) => f.name === 'deploy-due')?.schedules[0]?.ruleName; // 'ecs-autopilot-sandbox-deploy-due'
 */
export function readServerlessConfig(
  root: string,
  options: ReadServerlessConfigOptions = {},
): ServerlessConfig {
  const stage = options.stage ?? SANDBOX_STAGE;
  const raw = readServerlessYml(root);
  const service = raw.service ?? 'service';
  const params: Record<string, string> = {};
  for (const source of [raw.params?.default, raw.params?.[stage]]) {
    for (const [key, value] of Object.entries(source ?? {})) params[key] = String(value);
  }
  Object.assign(params, options.params);
  const resolve = (value: unknown): unknown =>
    resolveVariables(value, { service, stage, region: options.region ?? 'eu-west-1', params });

  const provider = raw.provider ?? {};
  const functions = Object.entries(raw.functions ?? {}).map(([name, fn]): FunctionDefinition => {
    const onFailure = fn.destinations?.onFailure;
    const onFailureArn = typeof onFailure === 'object' ? onFailure.arn : undefined;
    return {
      name,
      environment: resolve({ ...provider.environment, ...fn.environment }) as Record<string, unknown>,
      timeoutSeconds: fn.timeout ?? provider.timeout ?? 6,
      memorySize: fn.memorySize ?? provider.memorySize ?? 1024,
      maximumRetryAttempts: fn.maximumRetryAttempts ?? 2,
      onFailureQueue: logicalIdOfArn(onFailureArn),
      schedules: (fn.events ?? []).flatMap((event): ScheduleDefinition[] => {
        // Only named rules: tools/eventbridge/routing.ts routes schedule events by rule name.
        const schedule = resolve(event.schedule);
        if (typeof schedule !== 'object' || schedule === null) return [];
        const {
          name: ruleName,
          rate,
          enabled,
        } = schedule as { name?: unknown; rate?: unknown; enabled?: unknown };
        const expression = Array.isArray(rate) ? rate[0] : rate;
        if (typeof ruleName !== 'string' || typeof expression !== 'string') return [];
        return [{ functionName: name, ruleName, expression, enabled: enabled !== false }];
      }),
      queueTriggers: (fn.events ?? []).flatMap((event): QueueTriggerDefinition[] => {
        const sqs = resolve(event.sqs);
        if (typeof sqs !== 'object' || sqs === null) return [];
        const mapping = sqs as Record<string, unknown>;
        const queue = logicalIdOfArn(mapping.arn);
        if (queue === undefined) return [];
        const scaling =
          mapping.maximumConcurrency ??
          (mapping.scalingConfig as Record<string, unknown> | undefined)?.maximumConcurrency;
        return [
          {
            functionName: name,
            queue,
            batchSize: typeof mapping.batchSize === 'number' ? mapping.batchSize : 10,
            maximumBatchingWindowSeconds:
              typeof mapping.maximumBatchingWindow === 'number' ? mapping.maximumBatchingWindow : 0,
            ...(typeof scaling === 'number' ? { maximumConcurrency: scaling } : {}),
            reportBatchItemFailures: mapping.functionResponseType === 'ReportBatchItemFailures',
            enabled: mapping.enabled !== false,
          },
        ];
      }),
    };
  });

  const queues: Record<string, string> = {};
  const queueDefinitions: Record<string, QueueDefinition> = {};
  const buses: Record<string, string> = {};
  const tables: string[] = [];
  for (const [logicalId, resource] of Object.entries(raw.resources?.Resources ?? {})) {
    const properties = (resolve(resource.Properties) ?? {}) as Record<string, unknown>;
    if (resource.Type === 'AWS::SQS::Queue') {
      queues[logicalId] = typeof properties.QueueName === 'string' ? properties.QueueName : logicalId;
      const redrive = properties.RedrivePolicy as Record<string, unknown> | undefined;
      const deadLetterQueue = logicalIdOfArn(redrive?.deadLetterTargetArn);
      queueDefinitions[logicalId] = {
        name: queues[logicalId],
        visibilityTimeoutSeconds: Number(properties.VisibilityTimeout ?? 30),
        delaySeconds: Number(properties.DelaySeconds ?? 0),
        ...(deadLetterQueue === undefined
          ? {}
          : { redrive: { deadLetterQueue, maxReceiveCount: Number(redrive?.maxReceiveCount ?? 10) } }),
      };
    } else if (resource.Type === 'AWS::Events::EventBus') {
      buses[logicalId] = typeof properties.Name === 'string' ? properties.Name : logicalId;
    } else if (resource.Type === 'AWS::DynamoDB::Table') {
      tables.push(logicalId);
    }
  }
  return { service, stage, params, functions, queues, queueDefinitions, buses, tables };
}

/** `!GetAtt Queue.Arn` (or the long form) -> `Queue`. */
function logicalIdOfArn(arn: unknown): string | undefined {
  if (typeof arn !== 'object' || arn === null) return undefined;
  const getAtt = (arn as Record<string, unknown>)['Fn::GetAtt'];
  const target = Array.isArray(getAtt) ? getAtt.join('.') : getAtt;
  if (typeof target !== 'string' || !target.endsWith('.Arn')) return undefined;
  return target.slice(0, -'.Arn'.length);
}

interface VariableContext {
  service: string;
  stage: string;
  region: string;
  params: Record<string, string>;
}

/** Resolves the Serverless Framework variables the project uses, recursively; others are kept. */
function resolveVariables(value: unknown, context: VariableContext): unknown {
  if (typeof value === 'string') return resolveString(value, context);
  if (Array.isArray(value)) return value.map((item) => resolveVariables(item, context));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveVariables(v, context)]));
  }
  return value;
}

function resolveString(text: string, context: VariableContext): string {
  return text.replace(/\$\{([^{}]+)\}/g, (whole, body: string) => {
    const [reference = '', fallback] = body.split(/,\s*/, 2);
    const [kind, name = ''] = reference.trim().split(':', 2);
    const fallbackValue = fallback?.trim().replace(/^['"]|['"]$/g, '');
    switch (kind) {
      case 'param':
        return context.params[name] ?? fallbackValue ?? whole;
      case 'sls':
        return name === 'stage' ? context.stage : whole;
      case 'opt':
        if (name === 'stage') return context.stage;
        if (name === 'region') return context.region;
        return fallbackValue ?? whole;
      case 'self':
        if (name === 'service') return context.service;
        if (name === 'provider.stage') return context.stage;
        if (name === 'provider.region') return context.region;
        return whole;
      default:
        return whole;
    }
  });
}
