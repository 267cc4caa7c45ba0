/**
 * A small HTTP server for the AWS query protocol (awsQuery), which Amazon SNS still speaks: every
 * call is `POST /` with a form-encoded body `Action=<Operation>&Version=<date>&<parameters>` (or the
 * same as a GET query string); the answer is XML,
 * `<{Action}Response xmlns="…"><{Action}Result>…</{Action}Result><ResponseMetadata><RequestId>…`,
 * and errors are `<ErrorResponse><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>
 * <RequestId>…</RequestId></ErrorResponse>` with an HTTP 4xx/5xx status, which is what the AWS SDK for
 * JavaScript v3 parses. Signatures are not checked: the sandbox has fake credentials.
 *
 * Lists and maps in the parameters are flattened (`Tags.member.1.Key`, `Attributes.entry.1.key`);
 * {@link queryList} and {@link queryMap} put them back together.
 *
 * Amazon EC2 speaks a variant, the ec2 query protocol (`protocol: 'ec2'`): the same requests, with
 * lists flattened without `.member` (`NetworkInterfaceId.1`); answers without the `Result` wrapper,
 * `<{Action}Response xmlns="…"><requestId>…</requestId>…</{Action}Response>`, lists of `<item>`
 * elements, and errors `<Response><Errors><Error><Code>…</Code><Message>…</Message></Error></Errors>
 * <RequestID>…</RequestID></Response>`.
 *
 * @see https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
 * @see https://smithy.io/2.0/aws/protocols/aws-ec2-query-protocol.html
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type LocalServer, listenLocal, mediaTypeOf, readAwsCall } from './local-http';

/** The flat parameters of a call, e.g. `{ TopicArn: '…', Message: '…' }` (Action and Version removed). */
export type QueryParameters = Record<string, string>;

/**
 * What an operation returns inside `<{Action}Result>`: an object becomes elements in key order,
 * an array becomes `<member>` elements, undefined leaves the element out.
 */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [key: string]: XmlValue };

/** An operation: the parameters in, the result out; throw {@link AwsQueryError}. */
export type AwsQueryOperation = (
  parameters: QueryParameters,
  call: { action: string; requestId: string },
) => { [key: string]: XmlValue } | Promise<{ [key: string]: XmlValue }>;

/** An error the client sees as a modelled AWS error. */
export class AwsQueryError extends Error {
  /**
   * @param code - the error code, e.g. `NotFound`, `InvalidParameter`
   * @param message - the message
   * @param options - the HTTP status (400 by default) and the fault type (`Sender` by default)
   */
  constructor(
    readonly code: string,
    message: string,
    readonly options: { status?: number; type?: 'Sender' | 'Receiver' } = {},
  ) {
    super(message);
    this.name = 'AwsQueryError';
  }
}

/** Options of {@link startAwsQueryServer}. */
export interface AwsQueryServerOptions {
  /** the namespace of the responses, e.g. `http://sns.amazonaws.com/doc/2010-03-31/` */
  xmlns: string;
  /** operations by action name (`Publish`, `CreateTopic`…) */
  operations: Record<string, AwsQueryOperation>;
  /** 0 (a free port) by default */
  port?: number;
  /** `awsQuery` (SNS: the default) or `ec2` (Amazon EC2's variant, see the module documentation) */
  protocol?: 'awsQuery' | 'ec2';
}

/** A running server. */
export type AwsQueryServer = LocalServer;

/**
 * Starts a server on 127.0.0.1 that dispatches on the `Action` parameter.
 *
 * @example
 * const server = await startAwsQueryServer({ xmlns: SNS_XMLNS, operations: snsOperations(topics) });
 * new SNSClient({ endpoint: server.endpoint });
 */
export async function startAwsQueryServer(options: AwsQueryServerOptions): Promise<AwsQueryServer> {
  const listener: RequestListener = (request, response) => {
    handle(options, request, response).catch(() => {
      // handle() answers every request; this only fires if the socket broke while answering.
      if (!response.headersSent)
        reply(
          response,
          500,
          errorXml(options.protocol ?? 'awsQuery', 'InternalFailure', 'internal error', 'Receiver', ''),
        );
    });
  };
  return listenLocal(listener, options.port);
}

async function handle(
  options: AwsQueryServerOptions,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { body, requestId } = await readAwsCall(request, response);
  const parameters: QueryParameters = {};
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  for (const [name, value] of url.searchParams) parameters[name] = value;
  const contentType = mediaTypeOf(request);
  if (request.method === 'POST' && contentType === 'application/x-www-form-urlencoded') {
    for (const [name, value] of new URLSearchParams(body)) parameters[name] = value;
  }
  const { Action: action, Version: _version, ...rest } = parameters;
  try {
    const operation = action === undefined ? undefined : options.operations[action];
    if (action === undefined || !operation) {
      throw new AwsQueryError(
        'InvalidAction',
        `The action ${action ?? '(none)'} is not valid for this web service.`,
      );
    }
    const result = await operation(rest, { action, requestId });
    const xml =
      options.protocol === 'ec2'
        ? `<${action}Response xmlns="${options.xmlns}"><requestId>${requestId}</requestId>` +
          `${toXml(result, 'item')}</${action}Response>`
        : `<${action}Response xmlns="${options.xmlns}">` +
          `<${action}Result>${toXml(result)}</${action}Result>` +
          `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
          `</${action}Response>`;
    reply(response, 200, xml);
  } catch (error) {
    const protocol = options.protocol ?? 'awsQuery';
    if (error instanceof AwsQueryError) {
      reply(
        response,
        error.options.status ?? 400,
        errorXml(protocol, error.code, error.message, error.options.type ?? 'Sender', requestId),
      );
    } else {
      const message = error instanceof Error ? error.message : String(error);
      reply(response, 500, errorXml(protocol, 'InternalFailure', message, 'Receiver', requestId));
    }
  }
}

function errorXml(
  protocol: 'awsQuery' | 'ec2',
  code: string,
  message: string,
  type: string,
  requestId: string,
): string {
  if (protocol === 'ec2') {
    return `<Response><Errors><Error><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
  }
  return `<ErrorResponse><Error><Type>${type}</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

function reply(response: ServerResponse, status: number, xml: string): void {
  response.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) });
  response.end(xml);
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\r', '&#xD;');
}

/** The XML of a result value (see {@link XmlValue}); list elements are `<member>` (`<item>` in EC2). */
export function toXml(value: XmlValue, listElement: 'member' | 'item' = 'member'): string {
  if (value === undefined) return '';
  if (Array.isArray(value))
    return value.map((item) => `<${listElement}>${toXml(item, listElement)}</${listElement}>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([key, v]) => `<${key}>${toXml(v, listElement)}</${key}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/**
 * A flattened list, e.g. `queryList(p, 'Tags.member')` -> `[{ Key, Value }, …]` from
 * `Tags.member.1.Key`, `Tags.member.1.Value`…, in index order; scalars (`Names.member.1`) as strings.
 */
export function queryList(parameters: QueryParameters, prefix: string): (string | Record<string, string>)[] {
  const items = new Map<number, string | Record<string, string>>();
  for (const [name, value] of Object.entries(parameters)) {
    if (!name.startsWith(`${prefix}.`)) continue;
    const [index, ...field] = name.slice(prefix.length + 1).split('.');
    const n = Number(index);
    if (!Number.isInteger(n)) continue;
    if (field.length === 0) {
      items.set(n, value);
    } else {
      const item = items.get(n);
      const record = typeof item === 'object' ? item : {};
      record[field.join('.')] = value;
      items.set(n, record);
    }
  }
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

/**
 * A flattened map, e.g. `queryMap(p, 'Attributes.entry', 'key', 'value')` -> `{ FifoTopic: 'true' }`
 * from `Attributes.entry.1.key` / `Attributes.entry.1.value`. Values with sub-fields
 * (`MessageAttributes.entry.1.Value.DataType`) come back as records of them.
 */
export function queryMap(
  parameters: QueryParameters,
  prefix: string,
  keyName: string,
  valueName: string,
): Record<string, string | Record<string, string>> {
  const map: Record<string, string | Record<string, string>> = {};
  for (const entry of queryList(parameters, prefix)) {
    if (typeof entry !== 'object') continue;
    const key = entry[keyName];
    if (key === undefined) continue;
    if (entry[valueName] !== undefined) {
      map[key] = entry[valueName];
    } else {
      const sub: Record<string, string> = {};
      for (const [field, value] of Object.entries(entry)) {
        if (field.startsWith(`${valueName}.`)) sub[field.slice(valueName.length + 1)] = value;
      }
      map[key] = sub;
    }
  }
  return map;
}
