/**
 * One endpoint on 127.0.0.1 in front of whichever benchmark account is current. The functions cache
 * their SDK clients per process, with the endpoints of their first call (`sandbox/runtime/README.md`),
 * so accounts of different sizes, started one after the other or alive side by side to be measured
 * A B A B, are reached through this router: every `AWS_ENDPOINT_URL_<SERVICE>` names it, and it
 * forwards each request by its `X-Amz-Target` prefix to the current account's server. It adds the
 * same hop to every call of every account, so ratios between accounts are fair.
 *
 * It also holds every request for a fixed service latency before forwarding it (0 ms until set), as
 * an AWS call takes tens of milliseconds that a server on 127.0.0.1 does not: the wait is a timer,
 * not CPU, so calls in flight together wait together, as they do against AWS.
 */
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { type LocalServer, listenLocal } from '../../sandbox/runtime/local-http';

/** Where the current account's services listen. */
export interface RouteTargets {
  /** the control plane (ECS and ECR) */
  controlPlane: string;
  /** dynalite's front */
  dynamodb: string;
  /** the AWS JSON server answering PutEvents (and every target not named here) */
  events: string;
}

/** A running router. */
export interface Router extends LocalServer {
  /** Sends the requests that follow to these servers. */
  use(targets: RouteTargets): void;
  /** Holds each request that follows `ms` before forwarding it (0: at once). */
  setLatency(ms: number): void;
}

const CONTROL_PLANE_PREFIXES = new Set([
  'AmazonEC2ContainerServiceV20141113',
  'AmazonEC2ContainerRegistry_V20150921',
]);

/** Starts the router; until `use` is called it answers 503. */
export async function startRouter(): Promise<Router> {
  let targets: RouteTargets | undefined;
  let latencyMs = 0;
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) => {
    // The account current when the request arrived; its body stays unread (buffered) while it waits.
    const current = targets;
    if (latencyMs > 0) setTimeout(() => forwardTo(current, incoming, outgoing), latencyMs);
    else forwardTo(current, incoming, outgoing);
  };
  const forwardTo = (
    route: RouteTargets | undefined,
    incoming: IncomingMessage,
    outgoing: ServerResponse,
  ) => {
    if (!route) {
      outgoing.writeHead(503).end();
      return;
    }
    const prefix = String(incoming.headers['x-amz-target'] ?? '').split('.')[0] ?? '';
    const base = CONTROL_PLANE_PREFIXES.has(prefix)
      ? route.controlPlane
      : prefix === 'DynamoDB_20120810'
        ? route.dynamodb
        : route.events;
    const out = httpRequest(
      `${base}${incoming.url ?? '/'}`,
      { method: incoming.method, headers: incoming.headers, agent },
      (reply) => {
        outgoing.writeHead(reply.statusCode ?? 500, reply.headers);
        reply.pipe(outgoing);
      },
    );
    // A server that destroys the connection (an injected timeout) is passed on as such.
    out.on('error', () => outgoing.destroy());
    incoming.pipe(out);
  };
  const server = await listenLocal(forward);
  return {
    ...server,
    use(next) {
      targets = next;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async close() {
      agent.destroy();
      await server.close();
    },
  };
}
