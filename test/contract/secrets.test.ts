/**
 * Secrets never leave autopilot through its own telemetry: chat webhook URLs (whose path is the
 * secret for Slack and Discord) and tokens reach neither X-Ray traces nor logs, and no deployed
 * function may open loopback to chat requests (the sandbox switch). What the notifier parks in the
 * dead-letter queue and returns is checked in test/functions/notify.test.ts, errors in
 * test/adapters/chat/http-poster.test.ts.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { HttpPoster, newPosterState } from '../../shared/adapters/chat/http-poster';
import { logger } from '../../shared/observability';
import { readServerlessYml } from '../../tools/serverless-config';
import { ScriptedServer, text } from '../adapters/chat/scripted-server';
import { failure } from '../support/failure';

const root = join(__dirname, '..', '..');
const SECRET_PATH = '/services/T0001/B0002/s3cr3tW3bh00kT0k3n';

/** Runs test/support/trace-probe.ts in a Lambda-like traced process; the segments it emitted. */
function probeTraces(
  tracer: 'autopilot' | 'powertools-default',
): Promise<{ name?: string; http?: unknown }[]> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: 'ecs-autopilot-test-notify',
    LAMBDA_TASK_ROOT: root,
    POWERTOOLS_TRACE_ENABLED: 'true',
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    PROBE_TRACER: tracer,
    PROBE_SECRET_PATH: SECRET_PATH,
  };
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [tsx, join(root, 'test', 'support', 'trace-probe.ts')],
      { cwd: root, env },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

describe('traces', () => {
  it("hold no chat URL: the tracer does not capture outgoing HTTP, whose path is a webhook's secret", async () => {
    // Prepare
    const secret = 's3cr3tW3bh00kT0k3n';

    // Act
    const [autopilot, powertoolsDefault] = await Promise.all([
      probeTraces('autopilot'),
      probeTraces('powertools-default'),
    ]);

    // Assess
    expect(autopilot.map((s) => s.name)).toEqual(['## handler']);
    expect(JSON.stringify(autopilot)).not.toContain(secret);
    // What the probe catches with Powertools' defaults: the request, its URL path included.
    expect(JSON.stringify(powertoolsDefault)).toContain(secret);
  }, 60_000);
});

describe('logs', () => {
  let server: ScriptedServer;

  beforeAll(async () => {
    server = await ScriptedServer.start();
  });

  afterAll(async () => {
    await server.close();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('hold no chat URL or token, even when the channel echoes them while failing', async () => {
    // Prepare
    const url = server.url(SECRET_PATH);
    const token = 'xoxb-123456-s3cr3tT0k3n';
    const echo = text(503, `unavailable: ${url} ${token}`, { 'retry-after': '0' });
    server.script(echo, echo, echo);
    const logged: unknown[] = [];
    for (const level of ['debug', 'info', 'warn', 'error'] as const)
      jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        logged.push(args);
      });
    const poster = new HttpPoster({ allowLoopback: true, state: newPosterState(), maxAttempts: 3 });

    // Act
    const error = await failure(
      poster.post({
        channel: 'ops',
        url,
        body: {},
        headers: { authorization: `Bearer ${token}` },
        secrets: [token],
      }),
    );

    // Assess
    expect(logged.length).toBeGreaterThan(0);
    const everything = JSON.stringify({ logged, error: error.message, stack: error.stack });
    for (const secret of ['s3cr3tW3bh00kT0k3n', 's3cr3tT0k3n', SECRET_PATH])
      expect(everything).not.toContain(secret);
  });
});

describe('the sandbox switch', () => {
  it('is set by no deployed function: loopback stays closed to chat requests in Lambda', () => {
    // Prepare
    const sls = readServerlessYml(root);

    // Act
    const environments = [
      sls.provider?.environment ?? {},
      ...Object.values(sls.functions ?? {}).map((f) => f.environment ?? {}),
    ];

    // Assess
    expect(environments.filter((env) => 'AUTOPILOT_SANDBOX' in env)).toEqual([]);
  });
});
