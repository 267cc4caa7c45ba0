/**
 * Run as its own process (`tsx test/support/trace-probe.ts`) by test/contract/secrets.test.ts: posts
 * to a secret webhook path through the chat sender's HttpPoster inside a Lambda-like traced
 * invocation, and prints every segment document the X-Ray SDK emitted to its daemon address (a UDP
 * socket here), one JSON array on stdout. `PROBE_TRACER=powertools-default` uses a Tracer with
 * Powertools' defaults instead of autopilot's, so the test can show what the probe would catch.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The subsegment the probe opens around the request, as `captureLambdaHandler` does. */
const INVOCATION = '## handler';

async function main(): Promise<void> {
  const daemon = createSocket('udp4');
  const emitted: { name?: string }[] = [];
  let invocationSent: () => void = () => {};
  const invocationArrived = new Promise<void>((resolve) => {
    invocationSent = resolve;
  });
  daemon.on('message', (message) => {
    // "{format header}\n{segment}" per datagram.
    const [, document] = message.toString().split('\n');
    if (!document) return;
    const segment = JSON.parse(document) as { name?: string };
    emitted.push(segment);
    if (segment.name === INVOCATION) invocationSent();
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  process.env.AWS_XRAY_DAEMON_ADDRESS = `127.0.0.1:${daemon.address().port}`;

  const hook = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end('ok'));
  });
  await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const { port } = hook.address() as AddressInfo;

  const { tracer: autopilotTracer } = await import('../../shared/observability');
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  const tracer = process.env.PROBE_TRACER === 'powertools-default' ? new Tracer() : autopilotTracer();
  if (!tracer) throw new Error('no tracer: POWERTOOLS_TRACE_ENABLED is not true');
  const { HttpPoster } = await import('../../shared/adapters/chat/http-poster');

  const invocation = tracer.getSegment()?.addNewSubsegment(INVOCATION);
  if (!invocation) throw new Error('no segment: tracing is not enabled in this environment');
  tracer.setSegment(invocation);
  await new HttpPoster({ allowLoopback: true }).post({
    channel: 'probe',
    url: `http://127.0.0.1:${port}${process.env.PROBE_SECRET_PATH ?? '/services/T0/B0/secret'}`,
    body: { text: 'probe' },
  });
  invocation.close();
  // The SDK sends each subsegment when it closes, in order on one socket: the invocation's comes last.
  await invocationArrived;
  process.stdout.write(JSON.stringify(emitted));
  daemon.close();
  hook.close();
}

main().catch((error: unknown) => {
  process.stderr.write(String(error));
  process.exit(1);
});
