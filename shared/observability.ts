/**
 * The Powertools logger, tracer and metrics shared by every handler. Configured by Powertools' usual
 * environment variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_LOG_LEVEL, POWERTOOLS_METRICS_NAMESPACE…).
 */
import { search } from '@aws-lambda-powertools/jmespath';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/** Structured JSON logger; the correlation id is the EventBridge event id. */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-autopilot',
  correlationIdSearchFn: (expression, data) => search(expression, data as Parameters<typeof search>[1]),
});

/**
 * Whether the X-Ray SDK traces the handler and each AWS call: only when POWERTOOLS_TRACE_ENABLED is
 * `true` (Powertools traces by default; autopilot does not). Loading the tracer loads the X-Ray SDK,
 * which costs every cold start its import; Lambda's active tracing (serverless.yml
 * `tracing.lambda`) records each invocation without it.
 */
export function tracingEnabled(): boolean {
  return process.env.POWERTOOLS_TRACE_ENABLED === 'true';
}

let tracerOfProcess: Tracer | undefined;

/**
 * The X-Ray tracer when {@link tracingEnabled} (undefined otherwise), created on first use; AWS
 * clients are wrapped with it in `adapters/aws/clients.ts`. Outgoing HTTP is not captured
 * (Powertools would patch http/https and fetch and record each request's URL path): the only HTTP
 * autopilot sends besides the AWS clients goes to chat webhooks, whose path is the secret for Slack
 * and Discord (test/contract/secrets.test.ts reads the segments emitted).
 */
export function tracer(): Tracer | undefined {
  if (!tracingEnabled()) return undefined;
  if (!tracerOfProcess) {
    // Required here, not imported: the build makes `./tracing` a file of its own beside the bundles
    // (scripts/build.ts, TRACING_BUNDLE), read only when tracing is on.
    const { Tracer } = require('./tracing') as typeof import('./tracing');
    tracerOfProcess = new Tracer({
      serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-autopilot',
      captureHTTPsRequests: false,
    });
  }
  return tracerOfProcess;
}

/** CloudWatch embedded metrics. */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'EcsAutopilot',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecs-autopilot',
});

/**
 * Counts decisions by action as CloudWatch metrics (`Decision.deploy`, `Decision.skip`…), plus one
 * `EventsHandled`, so every invocation reports something.
 */
export function countDecisions(decisions: readonly { action: string }[]): void {
  metrics.addMetric('EventsHandled', 'Count', 1);
  const counts = new Map<string, number>();
  for (const { action } of decisions) counts.set(action, (counts.get(action) ?? 0) + 1);
  for (const [action, count] of counts) metrics.addMetric(`Decision.${action}`, 'Count', count);
}
