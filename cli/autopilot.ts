/**
 * The `autopilot` command line.
 *
 * - `autopilot dispatch [--dry-run] <event.json>`: routes an event like serverless.yml does and runs
 *   it through the real handlers, printing each decision as a JSON line.
 * - `autopilot validate-config [file]`: checks a policy file, with line and field of each problem.
 * - `autopilot schemas [--out dir]`: writes the JSON Schemas of the policy file and autopilot's events.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { Command, CommanderError } from 'commander';
import { z } from 'zod';
import { BaseEnvSchema } from '../shared/config/env';
import { PolicyFileError, PolicyFileSchema, parsePolicyFile } from '../shared/config/policy-file';
import { AutopilotEventSchemas } from '../shared/events/autopilot-events';
import { loadRoutes, route } from './routing';

/** Exit status for input that is not a valid event. */
export const EXIT_INVALID_EVENT = 2;

const root = resolve(__dirname, '..');

/** Where the command writes: stdout for results, stderr for diagnostics (replaceable in tests). */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

type HandlerModule = { handler: (event: unknown, context: unknown) => Promise<unknown> };

function fakeContext(functionName: string) {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION ?? 'eu-west-1'}:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'autopilot-cli',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An error and its causes on one line. */
function describeError(error: unknown): string {
  const parts: string[] = [];
  for (
    let e: unknown = error;
    e !== undefined && parts.length < 4;
    e = e instanceof Error ? e.cause : undefined
  ) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  }
  return parts.join(' <- ');
}

/** Options of `autopilot dispatch`. */
export interface DispatchOptions {
  dryRun?: boolean;
  function?: string;
  verbose?: boolean;
}

/**
 * Runs one event file through routing and handlers.
 *
 * @returns the exit status: 0 handled or not for autopilot, 1 failed (retryable), 2 invalid event
 */
export async function dispatch(file: string, options: DispatchOptions, io: Io): Promise<number> {
  let event: unknown;
  try {
    event = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    io.err(
      `invalid event: ${file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    return EXIT_INVALID_EVENT;
  }
  const envelope = EventBridgeSchema.safeParse(event);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    io.err(
      `invalid event: ${file}: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'not an EventBridge event'}`,
    );
    return EXIT_INVALID_EVENT;
  }
  if (options.dryRun) process.env.AUTOPILOT_DRY_RUN = 'true';
  // Decisions go to stdout as JSON lines; Powertools' own output would interleave with them.
  process.env.POWERTOOLS_LOG_LEVEL ??= options.verbose ? 'DEBUG' : 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AUTOPILOT_CONFIG ??= join(root, 'autopilot.yml');
  const targets = options.function ? [options.function] : route(loadRoutes(root), envelope.data);
  if (targets.length === 0) {
    io.out(
      JSON.stringify({
        routed: false,
        reason: `no autopilot rule matches ${envelope.data.source} "${envelope.data['detail-type']}"`,
      }),
    );
    return 0;
  }
  let status = 0;
  for (const functionName of targets) {
    // require, not import(): the handlers load as CommonJS here, the same module format as their bundles.
    const module = require(join(root, 'functions', `${functionName}.ts`)) as HandlerModule;
    try {
      const result = (await module.handler(event, fakeContext(functionName))) as
        | Record<string, unknown>
        | undefined;
      if (result?.status === 'rejected') {
        io.err(`invalid event: ${String(result.reason).split('\n')[0]}`);
        status = Math.max(status, EXIT_INVALID_EVENT);
        continue;
      }
      const decisions = Array.isArray(result?.decisions) ? result.decisions : [];
      if (decisions.length === 0) {
        io.out(
          JSON.stringify({
            function: functionName,
            action: 'none',
            reason: result?.ignored ?? 'no service concerned',
          }),
        );
      }
      for (const decision of decisions) io.out(JSON.stringify({ function: functionName, ...decision }));
    } catch (error) {
      io.err(`${functionName} failed (would be retried): ${describeError(error)}`);
      status = Math.max(status, 1);
    }
  }
  return status;
}

/** Validates a policy file; prints every problem as `file:line:column path: message`. */
export function validateConfig(file: string, io: Io): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    io.err(`${file}: cannot read: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  try {
    const policy = parsePolicyFile(text, file);
    io.out(
      `${file}: valid (${Object.keys(policy.policies).length} policies, ${Object.keys(policy.clusters).length} cluster defaults)`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof PolicyFileError)) throw error;
    for (const line of error.message.split('\n')) io.err(line);
    return 1;
  }
}

/** Writes the JSON Schemas generated from the zod contracts. */
export function writeSchemas(outDir: string, io: Io): number {
  mkdirSync(join(outDir, 'events'), { recursive: true });
  const policy = z.toJSONSchema(PolicyFileSchema, { io: 'input', unrepresentable: 'any' });
  writeFileSync(
    join(outDir, 'autopilot.schema.json'),
    `${JSON.stringify({ title: 'autopilot.yml', ...policy }, null, 2)}\n`,
  );
  for (const [detailType, schema] of Object.entries(AutopilotEventSchemas)) {
    const name = detailType.toLowerCase().replace(/\s+/g, '-');
    const json = z.toJSONSchema(schema, { unrepresentable: 'any' });
    writeFileSync(
      join(outDir, 'events', `${name}.schema.json`),
      `${JSON.stringify({ title: detailType, ...json }, null, 2)}\n`,
    );
  }
  io.out(`schemas written to ${outDir}`);
  return 0;
}

/** The environment the handlers would get, for CLI commands that call the use cases directly. */
function cliEnv(io: Io) {
  process.env.AUTOPILOT_CONFIG ??= join(root, 'autopilot.yml');
  const parsed = BaseEnvSchema.safeParse(process.env);
  if (!parsed.success) {
    io.err(
      `set AUTOPILOT_TABLE and AUTOPILOT_BUS (the stack's outputs): ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
    return undefined;
  }
  return parsed.data;
}

/** `autopilot rollback <cluster>/<service> [--to <revision>]`: a person's rollback. */
export async function rollback(
  ref: string,
  options: { to?: string; dryRun?: boolean },
  io: Io,
): Promise<number> {
  if (options.dryRun) process.env.AUTOPILOT_DRY_RUN = 'true';
  const env = cliEnv(io);
  if (!env) return 1;
  const [cluster, service] = ref.split('/');
  if (!cluster || !service) {
    io.err(`expected <cluster>/<service>, got "${ref}"`);
    return EXIT_INVALID_EVENT;
  }
  const { makeWatchDeps } =
    require('../shared/adapters/compose-watch') as typeof import('../shared/adapters/compose-watch');
  const { rollbackByPerson } =
    require('../shared/domain/watch-deployments') as typeof import('../shared/domain/watch-deployments');
  const deps = makeWatchDeps(env);
  const described = await deps.ecs.describeServices([{ cluster, service }]);
  const arn = described[0]?.arn;
  if (!arn) {
    io.err(`service ${ref} not found`);
    return 1;
  }
  const to =
    options.to && !options.to.startsWith('arn:')
      ? options.to.replace(
          /^([^:]+):(\d+)$/,
          (_m, f, r) => `${arn.split(':service/')[0]}:task-definition/${f}:${r}`,
        )
      : options.to;
  const decision = await rollbackByPerson(arn, to, deps);
  io.out(JSON.stringify(decision));
  return decision.action === 'failed' ? 1 : 0;
}

/** `autopilot quarantine list|release`. */
export async function quarantine(
  command: 'list' | 'release',
  image: string | undefined,
  io: Io,
): Promise<number> {
  const env = cliEnv(io);
  if (!env) return 1;
  const { DynamoHealthStore } =
    require('../shared/adapters/state/dynamo-health-store') as typeof import('../shared/adapters/state/dynamo-health-store');
  const health = new DynamoHealthStore(env.AUTOPILOT_TABLE);
  if (command === 'list') {
    for (const item of await health.listQuarantined()) io.out(JSON.stringify(item));
    return 0;
  }
  const match = /^(.+)@(sha256:[0-9a-f]{64})$/.exec(image ?? '');
  if (!match?.[1] || !match[2]) {
    io.err('expected <repository>@sha256:<digest> (the repository as in ECR, e.g. team/api)');
    return EXIT_INVALID_EVENT;
  }
  const [repository, digest] = [match[1], match[2]];
  const listed = await health.listQuarantined();
  const found = listed.find(
    (q) => q.digest === digest && (q.repository === repository || q.repositoryKey === repository),
  );
  if (!found || !(await health.release(found.repositoryKey, digest))) {
    io.err(`${repository}@${digest} is not quarantined`);
    return 1;
  }
  io.out(JSON.stringify({ released: `${found.repository}@${digest}` }));
  return 0;
}

/** `autopilot notify test <channel>`: a sample message to one channel of the policy file. */
export async function notifyTest(channel: string, options: { dryRun?: boolean }, io: Io): Promise<number> {
  if (options.dryRun) process.env.AUTOPILOT_DRY_RUN = 'true';
  const env = cliEnv(io);
  if (!env) return 1;
  const { makeNotifyDeps } =
    require('../shared/adapters/compose-notify') as typeof import('../shared/adapters/compose-notify');
  const { sendTestMessage } =
    require('../shared/domain/notify/notify') as typeof import('../shared/domain/notify/notify');
  const decision = await sendTestMessage(channel, makeNotifyDeps(env));
  io.out(JSON.stringify(decision));
  return decision.action === 'sent' || decision.action === 'would-send' ? 0 : 1;
}

/** Sends one request to the running sandbox (see sandbox/control-server.ts). */
export async function sandboxRequest(request: Record<string, unknown>, io: Io): Promise<number> {
  let url: string;
  try {
    url = (JSON.parse(readFileSync(join(root, '.sandbox', 'control.json'), 'utf8')) as { url: string }).url;
  } catch {
    io.err('no sandbox is running: start one with `npm start` in another terminal');
    return 1;
  }
  try {
    const response = await fetch(url, { method: 'POST', body: JSON.stringify(request) });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) {
      io.err(`sandbox refused: ${String(body.error ?? response.status)}`);
      return 1;
    }
    io.out(JSON.stringify(body));
    return 0;
  } catch (error) {
    io.err(`cannot reach the sandbox at ${url}: ${describeError(error)}`);
    return 1;
  }
}

function splitRef(text: string, separator: string): [string, string] {
  const at = text.lastIndexOf(separator);
  if (at <= 0 || at === text.length - 1)
    throw new CommanderError(
      2,
      'autopilot.usage',
      `expected a${separator === ':' ? ' <repository>:<tag>' : ' <cluster>/<service>'}, got "${text}"`,
    );
  return [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Entry point.
 *
 * @param argv - process.argv
 * @returns the exit status
 */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let status = 0;
  const program = new Command('autopilot')
    .description('ecs-autopilot command line')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  program
    .command('dispatch')
    .description('route an event file like serverless.yml does and run it through the real handlers')
    .argument('<event.json>', 'an EventBridge event')
    .option('--dry-run', 'decide and report, change nothing')
    .option('--function <name>', 'deliver to this function regardless of the rules')
    .option('--verbose', "print the functions' logs (Powertools JSON) too")
    .action(async (file: string, options: DispatchOptions) => {
      status = await dispatch(file, options, io);
    });
  program
    .command('validate-config')
    .description('validate a policy file')
    .argument('[file]', 'policy file', process.env.AUTOPILOT_CONFIG ?? 'autopilot.yml')
    .action((file: string) => {
      status = validateConfig(file, io);
    });
  program
    .command('schemas')
    .description('write the JSON Schemas of the policy file and of autopilot events')
    .option('--out <dir>', 'output directory', join(root, 'schemas'))
    .action((options: { out: string }) => {
      status = writeSchemas(options.out, io);
    });
  program
    .command('rollback')
    .description('return a service to its last known good revision, or to --to <family:revision>')
    .argument('<cluster/service>')
    .option('--to <revision>', 'a task definition (family:revision or ARN)')
    .option('--dry-run', 'decide and report, change nothing')
    .action(async (ref: string, options: { to?: string; dryRun?: boolean }) => {
      status = await rollback(ref, options, io);
    });
  const quarantineCommand = program.command('quarantine').description('images deploy on push refuses');
  quarantineCommand
    .command('list')
    .description('list quarantined images, one JSON line each')
    .action(async () => {
      status = await quarantine('list', undefined, io);
    });
  quarantineCommand
    .command('release')
    .description('allow a quarantined image to be deployed again')
    .argument('<repository@digest>')
    .action(async (image: string) => {
      status = await quarantine('release', image, io);
    });
  program
    .command('notify')
    .description('chat notifications')
    .command('test')
    .description('send a sample message to a channel of the policy file, to check its wiring')
    .argument('<channel>')
    .option('--dry-run', 'report, send nothing')
    .action(async (channel: string, options: { dryRun?: boolean }) => {
      status = await notifyTest(channel, options, io);
    });
  const sandbox = program.command('sandbox').description('act on the running local account (npm start)');
  sandbox
    .command('push')
    .description('push an image to the local ECR (a new digest each time)')
    .argument('<repository:tag>', 'e.g. team/api:main')
    .option('--crash', 'tasks of this image exit with code 1 shortly after starting')
    .option('--unhealthy', 'tasks of this image fail their health checks')
    .option('--exit <code>', 'tasks of this image exit with this code', (v) => Number.parseInt(v, 10))
    .action(async (ref: string, options: { crash?: boolean; unhealthy?: boolean; exit?: number }) => {
      const [repository, tag] = splitRef(ref, ':');
      const behaviour = options.crash
        ? { kind: 'crash' }
        : options.unhealthy
          ? { kind: 'unhealthy' }
          : options.exit !== undefined
            ? { kind: 'exit', exitCode: options.exit }
            : undefined;
      status = await sandboxRequest({ op: 'push', repository, tag, ...(behaviour ? { behaviour } : {}) }, io);
    });
  sandbox
    .command('tag')
    .description('tag a service, e.g. autopilot:deploy=tag:main')
    .argument('<cluster/service>')
    .argument('<key=value...>')
    .action(async (ref: string, pairs: string[]) => {
      const [cluster, service] = splitRef(ref, '/');
      const tags = Object.fromEntries(pairs.map((p) => splitRef(p, '=')));
      status = await sandboxRequest({ op: 'tag', cluster, service, tags }, io);
    });
  sandbox
    .command('stop-task')
    .description('stop one running task of a cluster or service')
    .argument('<cluster[/service]>')
    .action(async (ref: string) => {
      const [cluster, service] = ref.includes('/') ? splitRef(ref, '/') : [ref, undefined];
      status = await sandboxRequest({ op: 'stop-task', cluster, ...(service ? { service } : {}) }, io);
    });
  sandbox
    .command('faults')
    .description(
      'inject faults into the local ECS/ECR API, e.g. UpdateService:throttle:0.5 ecs:*:5xx:0.1 *:latency:1:300',
    )
    .argument(
      '[rules...]',
      '<operation>:<throttle|5xx|latency>:<rate 0..1>[:<latency ms>]; none turns faults off',
    )
    .action(async (rules: string[]) => {
      const parsed = rules.map((rule) => {
        const match = /^(.+):(throttle|5xx|latency):([0-9.]+)(?::(\d+))?$/.exec(rule);
        if (!match) throw new CommanderError(2, 'autopilot.usage', `not a fault rule: "${rule}"`);
        const [, operation, kind, rate, latencyMs] = match;
        return {
          operation,
          kind,
          rate: Number(rate),
          ...(latencyMs ? { latencyMs: Number(latencyMs) } : {}),
        };
      });
      status = await sandboxRequest({ op: 'faults', rules: parsed }, io);
    });
  sandbox
    .command('alarm')
    .description('set the state of a CloudWatch alarm: sends "CloudWatch Alarm State Change" to the bus')
    .argument('<name>', 'alarm name, e.g. prod-api-5xx')
    .argument('<state>', 'ALARM, OK or INSUFFICIENT_DATA')
    .option('--reason <text>', 'the state reason')
    .action(async (name: string, state: string, options: { reason?: string }) => {
      const value = state.toUpperCase();
      if (!['ALARM', 'OK', 'INSUFFICIENT_DATA'].includes(value))
        throw new CommanderError(
          2,
          'autopilot.usage',
          `expected ALARM, OK or INSUFFICIENT_DATA, got "${state}"`,
        );
      status = await sandboxRequest(
        { op: 'alarm', name, state: value, ...(options.reason ? { reason: options.reason } : {}) },
        io,
      );
    });
  try {
    await program.parseAsync(argv as string[]);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'autopilot.usage') io.err(error.message);
      return error.exitCode === 0 ? 0 : EXIT_INVALID_EVENT;
    }
    throw error;
  }
  return status;
}
