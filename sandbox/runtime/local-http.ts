/**
 * What the sandbox's HTTP servers (and its dynalite) share: listening on 127.0.0.1 and reading a request body.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Told of every call a local AWS server receives, by service and operation (from `X-Amz-Target`),
 * before it is carried out or faulted: what the benchmarks under `bench/` count requests with.
 */
export type RequestObserver = (call: { service: string; operation: string }) => void;

/** A server listening on 127.0.0.1. */
export interface LocalServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Stops accepting calls and closes open connections. */
  close(): Promise<void>;
}

/** What {@link serveLocal} needs of a server: Node's `http.Server`, or one like it (dynalite's). */
export interface ListenableServer {
  listen(port: number, host: string, callback: () => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  address(): AddressInfo | string | null;
  closeAllConnections?(): void;
  close(callback: (error?: Error | null) => void): void;
}

/**
 * Starts an HTTP server on 127.0.0.1.
 *
 * @param port - 0 (a free port) by default
 */
export async function listenLocal(listener: RequestListener, port = 0): Promise<LocalServer> {
  return serveLocal(createServer(listener), port);
}

/**
 * Makes `server` listen on 127.0.0.1.
 *
 * @param port - 0 (a free port) by default
 * @throws Error when the server listens on something else than a TCP port
 */
export async function serveLocal(server: ListenableServer, port = 0): Promise<LocalServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on TCP');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The SDK and fetch keep sockets alive; they would hold close() until they time out.
        server.closeAllConnections?.();
      }),
  };
}

/** The whole body of a request, as UTF-8 text. */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * The start of every call to a local AWS API: the whole body, and a new request id, already sent back
 * in `x-amzn-requestid` (the SDK reports it with the call's result or error).
 */
export async function readAwsCall(
  request: IncomingMessage,
  response: ServerResponse,
): Promise<{ body: string; requestId: string }> {
  const body = await readBody(request);
  const requestId = randomUUID();
  response.setHeader('x-amzn-requestid', requestId);
  return { body, requestId };
}

/** The media type of a request, without parameters: `application/x-amz-json-1.1; charset=utf-8` -> `application/x-amz-json-1.1`. */
export function mediaTypeOf(request: IncomingMessage): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
}
