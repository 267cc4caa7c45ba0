/**
 * A small HTTP server for the AWS JSON protocols (awsJson1_0 and awsJson1_1): every call is
 * `POST /` with `X-Amz-Target: <TargetPrefix>.<Operation>`, a JSON body and the content type
 * `application/x-amz-json-1.0` or `-1.1`; faults are injected per call when `faults` is given
 * (`sandbox/runtime/faults.ts`); errors are HTTP 400 (or the status given) with the body
 * `{"__type": code, "message": …}` and the header `x-amzn-errortype`, which is what the AWS SDK for
 * JavaScript v3 parses. Signatures are not checked: the sandbox has fake credentials.
 *
 * @see https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html
 * @see https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { FaultService } from '../faults';
import { callOf, decideFaults, delay, faultAnswer, type RuntimeFaults } from './faults';
import { type LocalServer, listenLocal, mediaTypeOf, type RequestObserver, readAwsCall } from './local-http';

/** A JSON object as an operation receives it. */
export type JsonObject = Record<string, unknown>;

/** What an operation learns about its call besides the input. */
export interface AwsJsonCall {
  /** the full target, e.g. `AmazonSQS.SendMessage` */
  target: string;
  /** the request id sent back in `x-amzn-requestid` */
  requestId: string;
  headers: IncomingMessage['headers'];
  /**
   * Set when a `partial` fault hit this call (EventBridge PutEvents): the error code of each entry
   * that is to fail (undefined: it goes through), for `count` entries.
   */
  failEntries?: (count: number) => (string | undefined)[];
}

/** An operation: the parsed input in, the output object (or nothing) out; throw {@link AwsServiceError}. */
export type AwsJsonOperation = (input: JsonObject, call: AwsJsonCall) => unknown;

/** An error the client sees as a modelled AWS error. */
export class AwsServiceError extends Error {
  /**
   * @param code - the error shape, e.g. `ValidationException` or `com.amazonaws.sqs#QueueDoesNotExist`
   * @param message - the message
   * @param options - the HTTP status (400 by default; 5xx are retried by the SDK) and, for services
   *   with the awsQueryCompatible trait (SQS), the `x-amzn-query-error` value (`Code;Sender`)
   */
  constructor(
    readonly code: string,
    message: string,
    readonly options: { status?: number; queryError?: string } = {},
  ) {
    super(message);
    this.name = 'AwsServiceError';
  }
}

/** Options of {@link startAwsJsonServer}. */
export interface AwsJsonServerOptions {
  /** operations by full target (`AWSEvents.PutEvents`, `AmazonSQS.ReceiveMessage`…) */
  operations: Record<string, AwsJsonOperation>;
  /** 0 (a free port) by default */
  port?: number;
  /** faults to inject (rules addressed to `events`, `sqs`, `ssm`, `secretsmanager`); none by default */
  faults?: RuntimeFaults;
  /** told of every call to a known operation (its service by target prefix), faulted ones included */
  observe?: RequestObserver;
}

/** A running server. */
export type AwsJsonServer = LocalServer;

const JSON_CONTENT_TYPES = new Set(['application/x-amz-json-1.0', 'application/x-amz-json-1.1']);

/**
 * Starts a server on 127.0.0.1 that dispatches on `X-Amz-Target`. Several services can share one
 * server: their target prefixes differ (`AWSEvents.`, `AmazonSQS.`).
 *
 * @example
 * const server = await startAwsJsonServer({
 *   operations: { 'AWSEvents.PutEvents': (input) => ({ FailedEntryCount: 0, Entries: [] }) },
 * });
 * new EventBridgeClient({ endpoint: server.endpoint });
 */
export async function startAwsJsonServer(options: AwsJsonServerOptions): Promise<AwsJsonServer> {
  const listener: RequestListener = (request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      // handle() answers every request; this only fires if the socket broke while answering.
      if (!response.headersSent) send(response, 500, 'application/x-amz-json-1.1', internalError(error));
    });
  };
  return listenLocal(listener, options.port);
}

async function handle(
  { operations, faults, observe }: AwsJsonServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { body, requestId } = await readAwsCall(request, response);
  const contentType = mediaTypeOf(request);
  const replyType = JSON_CONTENT_TYPES.has(contentType) ? contentType : 'application/x-amz-json-1.1';
  const target = request.headers['x-amz-target'];
  try {
    if (request.method !== 'POST') {
      throw new AwsServiceError('UnknownOperationException', `${request.method} is not supported`, {
        status: 404,
      });
    }
    if (!JSON_CONTENT_TYPES.has(contentType)) {
      throw new AwsServiceError('SerializationException', `unsupported content type "${contentType}"`);
    }
    const operation = typeof target === 'string' ? operations[target] : undefined;
    if (typeof target !== 'string' || !operation) {
      throw new AwsServiceError('UnknownOperationException', `unknown operation ${String(target)}`);
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body);
    } catch {
      throw new AwsServiceError('SerializationException', 'the request body is not valid JSON');
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      throw new AwsServiceError('SerializationException', 'the request body must be a JSON object');
    }
    const call = callOf(target);
    observe?.(call ?? { service: target.split('.')[0] ?? '', operation: target.split('.')[1] ?? '' });
    const fault = call ? decideFaults(faults, call.service, call.operation) : { latencyMs: 0 };
    if (fault.latencyMs > 0) await delay(fault.latencyMs);
    if (call && (fault.error === 'throttle' || fault.error === '5xx')) {
      // Refused before the operation runs: nothing changes.
      throw faultError(call.service, fault.error);
    }
    const failEntries =
      fault.error === 'partial' && faults
        ? (count: number) => faults.injector.failedEntries(count)
        : undefined;
    const output = await operation(input as JsonObject, {
      target,
      requestId,
      headers: request.headers,
      ...(failEntries ? { failEntries } : {}),
    });
    if (fault.error === 'timeout') {
      // Carried out, and no answer ever comes: the client sees its connection reset.
      request.socket.destroy();
      return;
    }
    if (call && fault.error === 'lost') throw faultError(call.service, 'lost');
    send(response, 200, replyType, output ?? {});
  } catch (error) {
    if (error instanceof AwsServiceError) {
      if (error.options.queryError) response.setHeader('x-amzn-query-error', error.options.queryError);
      response.setHeader('x-amzn-errortype', error.code);
      send(response, error.options.status ?? 400, replyType, { __type: error.code, message: error.message });
    } else {
      send(response, 500, replyType, internalError(error));
    }
  }
}

/** The service's own answer to an injected throttle, 5xx or lost answer. */
function faultError(service: FaultService, kind: 'throttle' | '5xx' | 'lost'): AwsServiceError {
  const answer = faultAnswer(service, kind);
  const code = service === 'sqs' ? `com.amazonaws.sqs#${answer.type}` : answer.type;
  return new AwsServiceError(code, answer.message, {
    status: answer.status,
    ...(answer.queryError ? { queryError: answer.queryError } : {}),
  });
}

function internalError(error: unknown): JsonObject {
  return { __type: 'InternalFailure', message: error instanceof Error ? error.message : String(error) };
}

function send(response: ServerResponse, status: number, contentType: string, body: unknown): void {
  if (status >= 500 && !response.hasHeader('x-amzn-errortype')) {
    response.setHeader('x-amzn-errortype', 'InternalFailure');
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
