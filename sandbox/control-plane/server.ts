/**
 * The HTTP front of the control plane: the AWS JSON 1.1 protocol on 127.0.0.1, for ECS and ECR on
 * one port (dispatch on the `X-Amz-Target` prefix). Signatures are not checked. Every call is
 * recorded; injected faults (throttling, 5xx, latency; `sandbox/faults.ts`) are applied before a
 * handler runs, so a faulted call changes nothing, except a lost answer (`lost`: the call is carried
 * out, then answered 500, as a response lost on its way back would be) and a lost connection
 * (`timeout`: carried out, then the connection is destroyed without an answer); mutating calls that
 * reach a handler are delivered as CloudTrail events.
 *
 * Wire format: POST `/`, `Content-Type: application/x-amz-json-1.1`, JSON in and out, timestamps as
 * epoch seconds. Errors: the HTTP status, `x-amzn-errortype: <code>`, body
 * `{"__type": "<code>", "message": "..."}` (what the SDK's awsJson1_1 deserializer reads).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import type { FaultInjector, FaultKind } from '../faults';
import { type LocalServer, listenLocal, readBody } from '../runtime/local-http';
import type { CallContext, OperationTable } from './api-support';
import { AwsApiError } from './errors';
import { type CallerIdentity, type EventFactory, isDate } from './events';
import type { IdGenerator } from './random';
import type { TokenBucket } from './throttling';

// The rule language and the injector are shared with the runtime (sandbox/faults.ts).
export { FaultInjector, type FaultRule } from '../faults';

/** Target prefixes of the two services. */
export const TARGET_PREFIXES = {
  ecs: 'AmazonEC2ContainerServiceV20141113',
  ecr: 'AmazonEC2ContainerRegistry_V20150921',
} as const;

/** The service an API call was made to. */
export type ServiceName = keyof typeof TARGET_PREFIXES;

/** One API call as received. */
export interface CallRecord {
  service: ServiceName;
  operation: string;
  input: unknown;
  at: Date;
  /** The fault injected into it, if any (`latency` when only delayed). */
  fault?: FaultKind;
  /** The error code answered, if any (an injected fault or a handler error). */
  error?: string;
  /** Answered `ThrottlingException` because the operation's rate quota was spent (not a fault rule). */
  overQuota?: true;
  /**
   * When the call arrived and when it was answered, as ticks of one counter of the server's arrivals
   * and answers: two calls were in flight together when their spans overlap. Told by ticks, not
   * times, so what overlapped does not depend on the clock's resolution. Set on every call the server
   * records.
   */
  span?: { arrived: number; answered?: number };
}

/** What the server needs. */
export interface ServerDeps {
  operations: Record<ServiceName, OperationTable>;
  events: EventFactory;
  emit: (event: EventBridgeEvent) => void;
  faults: FaultInjector;
  calls: CallRecord[];
  ids: IdGenerator;
  now: () => Date;
  /** The identity of a caller by access key id (from the SigV4 `Authorization` header). */
  identify: (accessKeyId: string | undefined) => CallerIdentity;
  /** The token buckets of the operations with a rate quota, by `<service>:<operation>` (`ecs:RunTask`). */
  quotas?: ReadonlyMap<string, TokenBucket>;
}

/** A listening server. */
export type RunningServer = LocalServer;

/** Serialises an answer: `Date`s as epoch seconds (with milliseconds as the fraction). */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, member: unknown) {
    const raw = this[key];
    return isDate(raw) ? raw.getTime() / 1000 : member;
  });
}

function send(response: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  response.end(body);
}

function sendError(response: ServerResponse, requestId: string, error: AwsApiError): void {
  send(response, error.statusCode, JSON.stringify({ __type: error.code, message: error.message }), {
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': error.code,
  });
}

function accessKeyOf(request: IncomingMessage): string | undefined {
  const authorization = request.headers.authorization ?? '';
  return /Credential=([^/,\s]+)\//.exec(authorization)?.[1];
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The counter of arrivals and answers the calls' spans are ticks of (one for the process: only the
 * order of the ticks means anything).
 */
let ticks = 0;

/** The call each request was recorded as, so its answer can be noted whichever way it ends. */
const callOf = new WeakMap<IncomingMessage, CallRecord>();

/** Handles one HTTP request, noting when the call it recorded was answered. */
async function handle(deps: ServerDeps, request: IncomingMessage, response: ServerResponse): Promise<void> {
  try {
    await handleCall(deps, request, response);
  } finally {
    const call = callOf.get(request);
    if (call?.span) call.span.answered = ++ticks;
  }
}

async function handleCall(
  deps: ServerDeps,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const requestId = deps.ids.uuid();
  const body = await readBody(request);
  if (request.method !== 'POST') {
    sendError(response, requestId, new AwsApiError('UnknownOperationException', 'Only POST / is supported.'));
    return;
  }
  const target = String(request.headers['x-amz-target'] ?? '');
  const [prefix, operation = ''] = target.split('.');
  const service = (Object.keys(TARGET_PREFIXES) as ServiceName[]).find((s) => TARGET_PREFIXES[s] === prefix);
  const entry = service ? deps.operations[service][operation] : undefined;
  if (!service || !entry) {
    sendError(
      response,
      requestId,
      new AwsApiError('UnknownOperationException', `Unknown operation ${target}`),
    );
    return;
  }
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body);
  } catch {
    sendError(
      response,
      requestId,
      new AwsApiError('SerializationException', 'Request body is not valid JSON.'),
    );
    return;
  }
  const at = deps.now();
  const faults = deps.faults.decide(service, operation);
  const call: CallRecord = { service, operation, input, at, span: { arrived: ++ticks } };
  if (faults.error) call.fault = faults.error;
  else if (faults.latencyMs > 0) call.fault = 'latency';
  deps.calls.push(call);
  callOf.set(request, call);
  if (faults.latencyMs > 0) await delay(faults.latencyMs);
  if (faults.error === 'throttle') {
    call.error = 'ThrottlingException';
    sendError(response, requestId, new AwsApiError('ThrottlingException', 'Rate exceeded'));
    return;
  }
  if (faults.error === '5xx') {
    call.error = 'ServerException';
    sendError(
      response,
      requestId,
      new AwsApiError('ServerException', 'Service Unavailable. Please try again later.', 500),
    );
    return;
  }
  if (deps.quotas?.get(`${service}:${operation}`)?.take(deps.now()) === false) {
    // ECS's own throttling: the operation's token bucket is empty (./throttling.ts).
    call.error = 'ThrottlingException';
    call.overQuota = true;
    sendError(response, requestId, new AwsApiError('ThrottlingException', 'Rate exceeded'));
    return;
  }
  const context: CallContext = { caller: deps.identify(accessKeyOf(request)), requestId };
  let output: unknown;
  let failure: AwsApiError | undefined;
  try {
    output = entry.handler(input, context);
  } catch (error) {
    failure =
      error instanceof AwsApiError
        ? error
        : new AwsApiError(
            'ServerException',
            `Internal error: ${error instanceof Error ? error.message : String(error)}`,
            500,
          );
    call.error = failure.code;
  }
  if (entry.mutating) {
    deps.emit(
      deps.events.cloudTrail({
        service,
        eventName: operation,
        requestParameters: input,
        responseElements: output,
        caller: context.caller,
        userAgent: request.headers['user-agent'],
        requestId,
        error: failure ? { code: failure.code, message: failure.message } : undefined,
        at,
      }),
    );
  }
  if (faults.error === 'timeout') {
    // Carried out, and no answer ever comes: the client sees its connection reset.
    call.error = 'ECONNRESET';
    request.socket.destroy();
    return;
  }
  if (failure) sendError(response, requestId, failure);
  else if (faults.error === 'lost') {
    call.error = 'ServerException';
    sendError(
      response,
      requestId,
      new AwsApiError('ServerException', 'Service Unavailable. Please try again later.', 500),
    );
  } else send(response, 200, toWireJson(output ?? {}), { 'x-amzn-requestid': requestId });
}

/** Starts listening on 127.0.0.1 (`port` 0 picks a free port). */
export async function startServer(deps: ServerDeps, port = 0): Promise<RunningServer> {
  return listenLocal((request, response) => {
    handle(deps, request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        sendError(
          response,
          deps.ids.uuid(),
          new AwsApiError('ServerException', error instanceof Error ? error.message : String(error), 500),
        );
      }
    });
  }, port);
}
