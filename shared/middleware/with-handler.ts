/**
 * The one middy stack every handler uses, in a fixed order:
 *
 * 0. an event nested deeper than any event may be is refused before anything reads it;
 * 1. Powertools logger with the EventBridge event id as correlation id, tracer (when tracing is on), metrics;
 * 2. error classification (sees every failure of what follows): permanent input errors are logged
 *    with their reason, parked in the dead-letter queue and not retried; anything else is rethrown so
 *    Lambda retries and the OnFailure destination keeps the event;
 * 3. environment validation (a ConfigError: a broken deployment, retried and then kept);
 * 4. the Powertools parser with the function's zod event schema;
 * 5. idempotency on a JMESPath of the event (duplicate deliveries return the first result);
 * 6. the handler, which returns its decisions ({@link Outcome}): each is logged and counted here.
 *
 * @example
 * export const handler = withHandler({ name: 'deploy-on-push', envSchema, eventSchema, idempotencyKey: 'id' })
 *   .handler(async (event, { env }) => deployPushedImage(toPush(event), makeDeps(env)));
 */
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import { correlationPaths } from '@aws-lambda-powertools/logger/correlationId';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj, type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { DeadLetterQueue } from '../adapters/aws/dead-letter-queue';
import { dynamoDbClient } from '../adapters/state/dynamo-client';
import { idempotencyPartition } from '../adapters/state/keys';
import type { BaseEnv } from '../config/env';
import { ConfigError, isPermanent, PermanentError } from '../errors';
import { MAX_DETAIL_DEPTH, nestingExceeds } from '../events/json-bounds';
import { countDecisions, logger, metrics, tracer } from '../observability';
import { OwnWriteAwarePersistenceLayer } from './idempotency-persistence';

/** What a handler receives besides its event. */
export interface HandlerContext<Env> {
  env: Env;
  lambdaContext: Context;
}

/** Options of {@link withHandler}. */
export interface HandlerOptions<Env extends z.core.$ZodType<BaseEnv>, Event extends z.core.$ZodType> {
  /** the serverless.yml function key */
  name: string;
  envSchema: Env;
  eventSchema: Event;
  /** JMESPath over the event that identifies a delivery; omit for functions that are safe to re-run */
  idempotencyKey?: string;
}

/** The response of an event that was rejected as permanently invalid. */
export interface RejectedResponse {
  status: 'rejected';
  reason: string;
}

type Request = { event: unknown; context: Context & { env?: unknown }; error?: unknown; response?: unknown };

function validateEnv<Env extends z.core.$ZodType>(schema: Env): MiddlewareObj {
  return {
    // Parsed on every invocation: it costs microseconds, and a long-lived process (the CLI, the
    // sandbox, tests) sees the environment it runs with now rather than at its first event.
    before: (request) => {
      const result = z.safeParse(schema, process.env);
      if (!result.success) {
        const fields = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        throw new ConfigError(`invalid environment: ${fields}`);
      }
      (request.context as Request['context']).env = result.data;
    },
  };
}

type Issue = { message: string; path?: readonly (PropertyKey | { key: PropertyKey })[] };

/** A rejected event's reason names at most this many of its problems. */
const MAX_ISSUES_NAMED = 10;

/** A one-line reason for a rejected event; parse failures name the fields that failed. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // The parser's cause is a list of Standard Schema issues (or a ZodError holding them).
  const cause = error.cause as Issue[] | { issues?: Issue[] } | undefined;
  const issues = Array.isArray(cause) ? cause : cause?.issues;
  if (error.name === 'ParseError' && Array.isArray(issues)) {
    // A hostile event can fail thousands of checks; the first few name what is wrong.
    const fields = issues.slice(0, MAX_ISSUES_NAMED).map((i) => {
      const path = (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
      return `${path || '(event)'}: ${i.message}`;
    });
    const more = issues.length > MAX_ISSUES_NAMED ? `; and ${issues.length - MAX_ISSUES_NAMED} more` : '';
    return `event does not match the expected schema: ${fields.join('; ')}${more}`;
  }
  return error.message;
}

/** The deepest nesting of a whole event: its detail's bound, one level below the envelope. */
const MAX_EVENT_DEPTH = MAX_DETAIL_DEPTH + 1;

/**
 * Refuses an event nested deeper than an event may be before anything reads it: the logger copies
 * the correlation id (`id`, whatever it holds) recursively, and the parser's issues name values. The
 * error classification still logs, counts and parks it (every onError runs).
 */
function boundedEvent(): MiddlewareObj {
  return {
    before: (request) => {
      if (nestingExceeds(request.event, MAX_EVENT_DEPTH)) {
        throw new PermanentError(
          `event does not match the expected schema: nested deeper than ${MAX_EVENT_DEPTH} levels`,
        );
      }
    },
  };
}

function classifyErrors(name: string): MiddlewareObj {
  return {
    // Counted before idempotency may answer a duplicate early: every invocation reports a metric.
    before: () => {
      metrics.addMetric('EventsReceived', 'Count', 1);
    },
    onError: async (request) => {
      const { error } = request as Request;
      if (!isPermanent(error)) {
        logger.error('failed; the event will be retried', { error: error as Error });
        metrics.addMetric('FailedInvocations', 'Count', 1);
        return;
      }
      const reason = reasonOf(error);
      logger.error('rejected: the event cannot be processed and was not acted on', { reason });
      metrics.addMetric('RejectedEvents', 'Count', 1);
      const queueUrl = process.env.AUTOPILOT_DLQ_URL;
      if (queueUrl) await new DeadLetterQueue(queueUrl).park(name, reason, request.event);
      request.response = { status: 'rejected', reason } satisfies RejectedResponse;
    },
  };
}

/** What a duplicate delivery returns: the first run's result, marked as a replay. */
export const REPLAYED = 'replayed' as const;

function idempotent(name: string, key: string): MiddlewareObj {
  // One Powertools middleware per mode; it keeps its configuration (table, partition) for the process.
  const inner = new Map<string, MiddlewareObj>();
  const get = (request: Request) => {
    const env = request.context.env as BaseEnv;
    const partition = idempotencyPartition(name, env.AUTOPILOT_DRY_RUN === true);
    let found = inner.get(partition);
    if (!found) {
      found = makeHandlerIdempotent({
        persistenceStore: new OwnWriteAwarePersistenceLayer({
          tableName: env.AUTOPILOT_TABLE,
          keyAttr: 'pk',
          sortKeyAttr: 'sk',
          staticPkValue: partition,
          expiryAttr: 'expiresAt',
          awsSdkV3Client: dynamoDbClient(),
        }),
        keyPrefix: partition,
        config: new IdempotencyConfig({
          eventKeyJmesPath: key,
          throwOnNoIdempotencyKey: true,
          expiresAfterSeconds: 86_400,
        }),
      });
      inner.set(partition, found);
    }
    (request as Request & { idempotency?: MiddlewareObj }).idempotency = found;
    return found;
  };
  return {
    before: async (request) => {
      const replayed = await get(request as unknown as Request).before?.(request);
      // A completed record answers early: the handler did not run again. Say so.
      if (replayed !== undefined) {
        return typeof replayed === 'object' && replayed !== null && !Array.isArray(replayed)
          ? { ...replayed, [REPLAYED]: true }
          : { result: replayed, [REPLAYED]: true };
      }
      return undefined;
    },
    after: (request) => get(request as unknown as Request).after?.(request),
    // Without a middleware for this invocation nothing was recorded yet (e.g. the environment was invalid).
    onError: (request) =>
      (request as unknown as Request & { idempotency?: MiddlewareObj }).idempotency?.onError?.(request),
  };
}

/**
 * What every handler returns: each decision with its reason (the answer to "why did or didn't this
 * happen"), or why the event was not acted on at all.
 */
export interface Outcome {
  decisions: readonly { action: string }[];
  ignored?: string;
}

/** Logs every decision (or why nothing was decided) and counts decisions by action as metrics. */
function report(outcome: Outcome): void {
  if (outcome.ignored !== undefined) logger.info('not acted on', { reason: outcome.ignored });
  for (const decision of outcome.decisions) logger.info('decision', { decision });
  countDecisions(outcome.decisions);
}

/**
 * Builds a handler on the shared middleware stack.
 *
 * @param options - function name, env and event schemas, idempotency key
 * @returns an object whose `handler` wraps the business function
 */
export function withHandler<Env extends z.core.$ZodType<BaseEnv>, Event extends z.core.$ZodType>(
  options: HandlerOptions<Env, Event>,
) {
  return {
    handler<Result extends Outcome>(
      fn: (event: z.infer<Event>, context: HandlerContext<z.infer<Env>>) => Promise<Result>,
    ): MiddyfiedHandler<unknown, Result | RejectedResponse, Error, Context> {
      // After and onError hooks run in reverse: classifying an error happens while the correlation id
      // is still set and before the metrics are flushed, so a rejection is logged and counted in full.
      // The tracer's handler subsegment only when tracing is on (`tracingEnabled`).
      const active = tracer();
      const stack = middy<unknown, Result | RejectedResponse, Error, Context>()
        .use(boundedEvent())
        .use(
          injectLambdaContext(logger, { correlationIdPath: correlationPaths.EVENT_BRIDGE, resetKeys: true }),
        )
        .use(active ? captureLambdaHandler(active) : [])
        .use(logMetrics(metrics, { throwOnEmptyMetrics: false }))
        .use(classifyErrors(options.name))
        .use(validateEnv(options.envSchema))
        .use(parser({ schema: options.eventSchema }) as MiddlewareObj);
      if (options.idempotencyKey) stack.use(idempotent(options.name, options.idempotencyKey));
      return stack.handler(async (event, context) => {
        const result = await fn(event as z.infer<Event>, {
          env: (context as Request['context']).env as z.infer<Env>,
          lambdaContext: context,
        });
        report(result);
        // The response is JSON on the wire and in the idempotency store: drop undefined fields now.
        return JSON.parse(JSON.stringify(result ?? null)) as Result;
      });
    },
  };
}
