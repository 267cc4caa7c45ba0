/**
 * One lazily created AWS client per service and process, wrapped by the tracer when tracing is on
 * (`tracingEnabled`). Clients honour the
 * SDK's own configuration: AWS_REGION, credentials, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>
 * (so the same code talks to a real account or to the local sandbox), and AWS_MAX_ATTEMPTS.
 *
 * Each adapter imports its own client class and passes a factory here, so a function's bundle holds
 * only the SDK clients of the adapters it uses.
 */
import { tracer } from '../../observability';

/**
 * Throttling and 5xx are retried with exponential backoff and jitter by the SDK's standard retry
 * strategy; five attempts ride out a short burst without holding the invocation for long.
 */
const DEFAULT_MAX_ATTEMPTS = 5;

/** Client options shared by every service: the retry budget. */
export function clientConfig(): { maxAttempts: number } {
  const attempts = Number(process.env.AWS_MAX_ATTEMPTS);
  return { maxAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : DEFAULT_MAX_ATTEMPTS };
}

const clients = new Map<string, object>();

/**
 * The process-wide client for `service`, created by `create` on first use and traced.
 *
 * @example const ecs = cachedClient('ecs', () => new ECSClient(clientConfig()));
 */
export function cachedClient<T extends object>(service: string, create: () => T): T {
  let client = clients.get(service) as T | undefined;
  if (!client) {
    const created = create();
    client = tracer()?.captureAWSv3Client(created) ?? created;
    clients.set(service, client);
  }
  return client;
}
