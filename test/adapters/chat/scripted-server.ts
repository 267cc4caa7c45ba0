/**
 * A real HTTP server on 127.0.0.1 that answers each request with the next scripted reply, and
 * remembers what it received; chat adapter tests POST to it instead of Slack, Teams or Discord.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** the raw body, decoded as UTF-8 */
  body: string;
}

/** Answers one request (or never does). */
export type Reply = (res: ServerResponse, received: Received) => void;

/** Answers `status` with a JSON body and extra headers. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
}

/** Answers `status` with a text body and extra headers. */
export function text(status: number, body: string, headers: Record<string, string> = {}): Reply {
  return (res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(body);
  };
}

/** Never answers: the client must time out. */
export const silence: Reply = () => undefined;

/** The scripted server; start it in `beforeAll`, `reset` it in `beforeEach`, `close` it in `afterAll`. */
export class ScriptedServer {
  readonly received: Received[] = [];
  private replies: Reply[] = [];

  private constructor(private readonly server: Server) {}

  /** Listens on a free port of 127.0.0.1. */
  static async start(): Promise<ScriptedServer> {
    const server = createServer();
    const scripted = new ScriptedServer(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const received: Received = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        scripted.received.push(received);
        // A fresh connection per request: a kept-alive socket closed by `reset` would fail the next POST.
        res.setHeader('connection', 'close');
        const reply = scripted.replies.shift() ?? text(500, 'no reply scripted');
        reply(res, received);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return scripted;
  }

  /** `http://127.0.0.1:<port><path>` */
  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The replies to the next requests, in order (a 500 once they run out). */
  script(...replies: Reply[]): void {
    this.replies.push(...replies);
  }

  /** Forgets the script and what was received, and drops hanging connections. */
  reset(): void {
    this.replies = [];
    this.received.length = 0;
    this.server.closeAllConnections();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A clock that only moves when the code under test sleeps; `sleeps` records every wait. */
export function fakeTime(start = Date.UTC(2026, 0, 12, 8, 0, 0)) {
  const clock = {
    t: start,
    sleeps: [] as number[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  return clock;
}
