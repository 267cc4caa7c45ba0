/**
 * The `autopilot` command line.
 *
 * - `autopilot dispatch [--dry-run] <event.json>`: routes an event like serverless.yml does and runs
 *   it through the real handlers, printing each decision as a JSON line.
 * - `autopilot rollback`, `quarantine list|release`, `notify test`: operators' commands.
 * - `autopilot validate-config [file]`: checks a policy file, with line and field of each problem.
 * - `autopilot schemas [--out dir]`: writes the JSON Schemas of the policy file and autopilot's events.
 * - `autopilot sandbox …`: acts on the running local account (`npm start`).
 *
 * The commands that read or change state find where to act by themselves (cli/target.ts): a
 * deployed stage (`--stage`, `--region`), the running sandbox, or the names in the environment.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { Command, CommanderError } from 'commander';
import * as z from 'zod';
import { BaseEnvSchema } from '../shared/config/env';
import { PolicyFileError, PolicyFileSchema, readPolicyFileText } from '../shared/config/policy-file';
import { parsePolicyFile } from '../shared/config/policy-yaml';
import { parseServiceArn, parseTaskDefinition, taskDefinitionArn } from '../shared/domain/aws/arn';
import { ConfigError } from '../shared/errors';
import { AutopilotEventSchemas } from '../shared/events/autopilot-events';
import { nestingExceeds } from '../shared/events/json-bounds';
import { MAX_EVENT_NESTING } from '../tools/eventbridge/event';
import { loadRoutes, route } from '../tools/eventbridge/routing';
import { readServerlessYml } from '../tools/serverless-config';
import {
  applyTarget,
  resolveTarget,
  runningSandbox,
  sandboxControlFile,
  type Target,
  type TargetOptions,
} from './target';

/** Exit status: done, or nothing to do. */
export const EXIT_OK = 0;
/** Exit status: a handler or an action failed (in AWS the event would be retried). */
export const EXIT_FAILED = 1;
/** Exit status: usage, invalid input (not a valid event, a bad reference) or configuration. */
export const EXIT_USAGE = 2;
/** Exit status for input that is not a valid event. */
export const EXIT_INVALID_EVENT = EXIT_USAGE;

const root = resolve(__dirname, '..');

/** serverless.yml's `service` and package.json's `version`. */
function project(): { service: string; version: string } {
  const sls = readServerlessYml(root);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: string };
  return { service: sls.service ?? 'ecs-autopilot', version: pkg.version ?? '0.0.0' };
}

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

const isConfigError = (error: unknown): error is Error =>
  error instanceof ConfigError ||
  (error instanceof Error && (error.name === 'ConfigError' || error.name === 'PolicyFileError'));

/** The first error of a chain of causes with this name. */
function causeNamed(error: unknown, name: string): Error | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e.name === name) return e;
  }
  return undefined;
}

/** What is wrong with the set-up, when an error says so (no credentials), else undefined. */
function setupProblem(error: unknown): string | undefined {
  if (isConfigError(error)) return error.message;
  const credentials = causeNamed(error, 'CredentialsProviderError');
  if (credentials) {
    return `no AWS credentials (${credentials.message}): sign in (e.g. aws sso login) or set AWS_PROFILE`;
  }
  return undefined;
}

/**
 * Finds where a command acts (see cli/target.ts) and sets its environment, before any AWS client
 * exists. Says on stderr what it found when it was not given explicitly in the environment.
 *
 * @returns the target, or undefined after printing what to set (exit {@link EXIT_USAGE})
 */
function target(options: TargetOptions, io: Io): Target | undefined {
  let found: Target;
  try {
    found = resolveTarget(options, { root, service: project().service });
  } catch (error) {
    if (!isConfigError(error)) throw error;
    io.err(`configuration: ${error.message}`);
    return undefined;
  }
  applyTarget(found);
  process.env.AUTOPILOT_CONFIG ??= join(root, 'autopilot.yml');
  if (found.kind !== 'environment') io.err(`acting on ${found.description}`);
  return found;
}

/**
 * Finds where the command acts ({@link target}) and returns the environment the handlers would get
 * there, for commands that call the use cases directly. `--dry-run` goes into this copy, not into
 * `process.env`: later commands of the same process are not dry runs.
 *
 * @returns the environment, or undefined after printing what is wrong (exit {@link EXIT_USAGE})
 */
function cliEnv(options: TargetOptions & { dryRun?: boolean }, io: Io) {
  if (!target(options, io)) return undefined;
  const dryRun = options.dryRun ?? false;
  const parsed = BaseEnvSchema.safeParse(
    dryRun ? { ...process.env, AUTOPILOT_DRY_RUN: 'true' } : process.env,
  );
  if (!parsed.success) {
    io.err(
      `configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
    return undefined;
  }
  return parsed.data;
}

/** Options of `autopilot dispatch`. */
export interface DispatchOptions extends TargetOptions {
  dryRun?: boolean;
  function?: string;
  verbose?: boolean;
}

/**
 * Sets an environment variable until the returned function puts back what was there before.
 *
 * @example
 * const restore = setEnvUntilRestored('AUTOPILOT_DRY_RUN', 'true');
 * try { await handler(event, context); } finally { restore(); }
 */
function setEnvUntilRestored(name: string, value: string): () => void {
  const before = process.env[name];
  process.env[name] = value;
  return () => {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  };
}

/** Reads a JSON file, with or without a UTF-8 byte-order mark (Windows editors write one). */
function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
}

/**
 * Runs one event file through routing and handlers. Each function keeps its own idempotency
 * records (as in Lambda), and a dry run never shares them with a real run.
 *
 * @returns the exit status: 0 handled or not for autopilot, 1 failed (retryable), 2 invalid event or configuration
 */
export async function dispatch(file: string, options: DispatchOptions, io: Io): Promise<number> {
  let event: unknown;
  try {
    event = readJson(file);
  } catch (error) {
    io.err(
      `invalid event: ${file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
    return EXIT_INVALID_EVENT;
  }
  // EventBridge processes no deeper JSON; nothing recursive may walk such an event.
  if (nestingExceeds(event, MAX_EVENT_NESTING)) {
    io.err(`invalid event: ${file}: nested deeper than EventBridge processes (${MAX_EVENT_NESTING} levels)`);
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
  const routes = loadRoutes(root);
  const known = routes.map((r) => r.functionName);
  if (options.function !== undefined && !known.includes(options.function)) {
    io.err(`unknown function "${options.function}": the functions are ${known.join(', ')}`);
    return EXIT_USAGE;
  }
  const where = target(options, io);
  if (!where) return EXIT_USAGE;
  // Decisions go to stdout as JSON lines; Powertools' own output would interleave with them.
  process.env.POWERTOOLS_LOG_LEVEL ??= options.verbose ? 'DEBUG' : 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const targets = options.function ? [options.function] : route(routes, envelope.data);
  if (targets.length === 0) {
    io.out(
      JSON.stringify({
        routed: false,
        reason: `no autopilot rule matches ${envelope.data.source} "${envelope.data['detail-type']}"`,
      }),
    );
    return EXIT_OK;
  }
  const { service } = project();
  // The real handlers read AUTOPILOT_DRY_RUN from their environment, as in Lambda (validated on every
  // invocation), so --dry-run is set there for these invocations only and restored afterwards: it
  // does not leak into later commands of the same process.
  const restoreDryRun = options.dryRun ? setEnvUntilRestored('AUTOPILOT_DRY_RUN', 'true') : () => {};
  try {
    // As Lambda names them; Powertools' logs and metrics read it.
    const stage = where.kind === 'sandbox' ? 'sandbox' : 'cli';
    return await invokeHandlers(targets, event, (name) => `${service}-${stage}-${name}`, options, io);
  } finally {
    restoreDryRun();
  }
}

/**
 * Runs the event through the handlers of `targets` in turn, printing their decisions.
 *
 * @returns the exit status, the worst of the handlers'
 */
async function invokeHandlers(
  targets: readonly string[],
  event: unknown,
  physicalNameOf: (functionName: string) => string,
  options: DispatchOptions,
  io: Io,
): Promise<number> {
  let status = EXIT_OK;
  for (const functionName of targets) {
    const physicalName = physicalNameOf(functionName);
    process.env.AWS_LAMBDA_FUNCTION_NAME = physicalName;
    // require, not import(): the handlers load as CommonJS here, the same module format as their bundles.
    const module = require(join(root, 'functions', `${functionName}.ts`)) as HandlerModule;
    try {
      const result = (await module.handler(event, fakeContext(physicalName))) as
        | Record<string, unknown>
        | undefined;
      if (result?.status === 'rejected') {
        io.err(`invalid event: ${String(result.reason).split('\n')[0]}`);
        status = Math.max(status, EXIT_INVALID_EVENT);
        continue;
      }
      const replayed = result?.replayed === true ? { replayed: true } : {};
      if (result?.replayed === true) {
        io.err(
          `${functionName}: this event was handled before${options.dryRun ? ' in a dry run' : ''}; its recorded decisions follow, nothing was done again`,
        );
      }
      const decisions = Array.isArray(result?.decisions) ? result.decisions : [];
      if (decisions.length === 0) {
        io.out(
          JSON.stringify({
            function: functionName,
            action: 'none',
            reason: result?.ignored ?? 'no service concerned',
            ...replayed,
          }),
        );
      }
      for (const decision of decisions)
        io.out(JSON.stringify({ function: functionName, ...decision, ...replayed }));
    } catch (error) {
      const problem = setupProblem(error);
      if (problem) {
        io.err(`${functionName}: configuration: ${problem}`);
        status = Math.max(status, EXIT_USAGE);
        continue;
      }
      io.err(`${functionName} failed (would be retried): ${describeError(error)}`);
      status = Math.max(status, EXIT_FAILED);
    } finally {
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
  }
  return status;
}

/** Validates a policy file; prints every problem as `file:line:column path: message`. */
export function validateConfig(file: string, io: Io): number {
  let text: string;
  try {
    text = readPolicyFileText(file);
  } catch (error) {
    if (error instanceof PolicyFileError) {
      for (const line of error.message.split('\n')) io.err(line);
      return EXIT_FAILED;
    }
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    io.err(`${file}: cannot read: ${cause instanceof Error ? cause.message : String(cause)}`);
    return EXIT_FAILED;
  }
  try {
    const policy = parsePolicyFile(text, file);
    io.out(
      `${file}: valid (${Object.keys(policy.policies).length} policies, ${Object.keys(policy.clusters).length} cluster defaults)`,
    );
    return EXIT_OK;
  } catch (error) {
    if (!(error instanceof PolicyFileError)) throw error;
    for (const line of error.message.split('\n')) io.err(line);
    return EXIT_FAILED;
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
  return EXIT_OK;
}

/** Options of `autopilot rollback`. */
export interface RollbackOptions extends TargetOptions {
  to?: string;
  dryRun?: boolean;
}

/** The cluster and service a `<cluster>/<service>` argument names, or undefined after saying what is wrong. */
function serviceNamed(ref: string, io: Io): { cluster: string; service: string } | undefined {
  const [cluster, service, ...rest] = ref.split('/');
  if (!cluster || !service || rest.length > 0) {
    io.err(`expected <cluster>/<service>, got "${ref}"`);
    return undefined;
  }
  return { cluster, service };
}

/** `autopilot rollback <cluster>/<service> [--to <revision>]`: a person's rollback. */
export async function rollback(ref: string, options: RollbackOptions, io: Io): Promise<number> {
  const named = serviceNamed(ref, io);
  if (!named) return EXIT_USAGE;
  const { cluster, service } = named;
  if (options.to !== undefined && !options.to.startsWith('arn:') && !/^[^:]+:\d+$/.test(options.to)) {
    io.err(`--to: expected <family>:<revision> or a task definition ARN, got "${options.to}"`);
    return EXIT_USAGE;
  }
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { makeWatchDeps } =
    require('../shared/adapters/compose-watch') as typeof import('../shared/adapters/compose-watch');
  const { rollbackByPerson } =
    require('../shared/domain/rollback/watch-deployments') as typeof import('../shared/domain/rollback/watch-deployments');
  const deps = makeWatchDeps(env);
  const described = await deps.ecs.describeServices([{ cluster, service }]);
  const arn = described[0]?.arn;
  if (!arn) {
    io.err(`service ${ref} not found`);
    return EXIT_FAILED;
  }
  // `family:revision` names a revision in the service's own account and region.
  const revision = options.to?.startsWith('arn:') ? undefined : parseTaskDefinition(options.to ?? '');
  const scope = parseServiceArn(arn);
  const to = revision && scope ? taskDefinitionArn(scope, revision) : options.to;
  const decision = await rollbackByPerson(arn, to, deps);
  io.out(JSON.stringify(decision));
  return decision.action === 'failed' ? EXIT_FAILED : EXIT_OK;
}

/** `autopilot quarantine list|release`. */
export async function quarantine(
  command: 'list' | 'release',
  image: string | undefined,
  options: TargetOptions,
  io: Io,
): Promise<number> {
  const match = /^(.+)@(sha256:[0-9a-f]{64})$/.exec(image ?? '');
  if (command === 'release' && (!match?.[1] || !match[2])) {
    io.err('expected <repository>@sha256:<digest> (the repository as in ECR, e.g. team/api)');
    return EXIT_USAGE;
  }
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { DynamoQuarantine } =
    require('../shared/adapters/state/dynamo-quarantine') as typeof import('../shared/adapters/state/dynamo-quarantine');
  const { releaseQuarantined } =
    require('../shared/domain/rollback/release-quarantined') as typeof import('../shared/domain/rollback/release-quarantined');
  const quarantined = new DynamoQuarantine(env.AUTOPILOT_TABLE);
  if (command === 'list') {
    const listed = await quarantined.listQuarantined();
    for (const item of listed) io.out(JSON.stringify(item));
    if (listed.length === 0) io.err('no image is quarantined');
    return EXIT_OK;
  }
  const [repository, digest] = [match?.[1] ?? '', match?.[2] ?? ''];
  const released = await releaseQuarantined(quarantined, repository, digest);
  if (!released) {
    io.err(`${repository}@${digest} is not quarantined`);
    return EXIT_FAILED;
  }
  io.out(JSON.stringify({ released: `${released.repository}@${digest}` }));
  return EXIT_OK;
}

/** One live restart chain as `autopilot restarts` shows it. */
export interface RestartChainRow {
  cluster: string;
  chainId: string;
  task: string;
  state: string;
  attempts: string;
  nextAttemptAt?: string;
  /** awaiting-spec: until when the stopped task's launch spec is waited for */
  specUntil?: string;
  lastReason?: string;
}

/**
 * `autopilot restarts [cluster] [--json]`: the live restart chains (not abandoned), of one cluster
 * (its name or ARN) or of all: the task running or last stopped, attempts made of the limit, when the
 * next attempt is due, and the last reason.
 */
export async function restarts(
  cluster: string | undefined,
  options: TargetOptions & { json?: boolean },
  io: Io,
): Promise<number> {
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { DynamoRestartChains } =
    require('../shared/adapters/state/dynamo-restart-chains') as typeof import('../shared/adapters/state/dynamo-restart-chains');
  const { clusterNameOf } = require('../shared/domain/aws/arn') as typeof import('../shared/domain/aws/arn');
  const chains = await new DynamoRestartChains(env.AUTOPILOT_TABLE).liveChains();
  const rows: RestartChainRow[] = chains
    .filter(
      (c) => cluster === undefined || c.clusterArn === cluster || clusterNameOf(c.clusterArn) === cluster,
    )
    .map((c) => ({
      cluster: clusterNameOf(c.clusterArn),
      chainId: c.chainId,
      task: c.currentTaskArn,
      state: c.state,
      attempts: `${c.attempt} of ${c.maxAttempts}`,
      ...(c.state === 'waiting' && c.nextAttemptAt ? { nextAttemptAt: c.nextAttemptAt } : {}),
      ...(c.state === 'awaiting-spec' && c.specWait ? { specUntil: c.specWait.until } : {}),
      ...(c.lastReasons[0] ? { lastReason: c.lastReasons[0] } : {}),
    }));
  if (rows.length === 0) io.err(cluster ? `no live restart chain in ${cluster}` : 'no live restart chain');
  if (options.json) {
    for (const row of rows) io.out(JSON.stringify(row));
    return EXIT_OK;
  }
  const table = rows.map((row) => [
    row.cluster,
    row.task.split('/').pop() ?? row.task,
    row.state,
    row.attempts,
    row.nextAttemptAt ?? (row.specUntil ? `spec until ${row.specUntil}` : '-'),
    row.lastReason ?? '-',
  ]);
  if (table.length > 0)
    printTable(io, ['CLUSTER', 'TASK', 'STATE', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST REASON'], table);
  return EXIT_OK;
}

/** One resource under one tag policy rule, as `autopilot audit` shows it. */
export interface AuditRow {
  type: string;
  arn: string;
  name: string;
  rule: string;
  mode: string;
  status: 'compliant' | 'violating' | 'exempt';
  /** what does not comply, in words */
  problems?: string;
  /** what remediation would add */
  wouldAdd?: string;
  /** the violation's mark (a tag on the resource): when enforcement is due */
  due?: string;
}

/**
 * `autopilot audit [--json] [--type <type>...]`: every resource the policy file's tag policies select,
 * read as the sweep reads them (describe calls in batches), evaluated as the tag-policies function
 * evaluates them, nothing written. A table for people (or a JSON line per resource and rule).
 *
 * @returns {@link EXIT_FAILED} when a resource does not comply (a pipeline gate), else {@link EXIT_OK}
 */
export async function audit(
  options: TargetOptions & { json?: boolean; type?: string[] },
  io: Io,
): Promise<number> {
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { policyFileFor } =
    require('../shared/config/policy-file') as typeof import('../shared/config/policy-file');
  const { TAG_RESOURCE_TYPES } =
    require('../shared/domain/tags/tag-rules') as typeof import('../shared/domain/tags/tag-rules');
  const { evaluateResource } =
    require('../shared/domain/tags/evaluate') as typeof import('../shared/domain/tags/evaluate');
  const { describeViolations } =
    require('../shared/domain/tags/tag-plan') as typeof import('../shared/domain/tags/tag-plan');
  const { EcsTaggedResources } =
    require('../shared/adapters/aws/ecs-tags') as typeof import('../shared/adapters/aws/ecs-tags');
  const { EcrTaggedResources } =
    require('../shared/adapters/aws/ecr-tags') as typeof import('../shared/adapters/aws/ecr-tags');
  const types = options.type ?? [];
  const unknown = types.filter((t) => !(TAG_RESOURCE_TYPES as readonly string[]).includes(t));
  if (unknown.length > 0) {
    io.err(`unknown resource type ${unknown.join(', ')} (types: ${TAG_RESOURCE_TYPES.join(', ')})`);
    return EXIT_USAGE;
  }
  let rules: ReturnType<typeof policyFileFor>['tagPolicies'];
  try {
    rules = policyFileFor(env).tagPolicies;
  } catch (error) {
    if (!isConfigError(error)) throw error;
    io.err(`configuration: ${error.message}`);
    return EXIT_USAGE;
  }
  if (rules.length === 0) {
    io.err('the policy file has no tagPolicies: nothing to audit');
    return EXIT_OK;
  }
  const now = new Date();
  const rows: AuditRow[] = [];
  for (const reader of [new EcsTaggedResources(), new EcrTaggedResources()]) {
    if (types.length > 0 && !reader.types.some((t) => types.includes(t))) continue;
    let token: Parameters<typeof reader.readPage>[0];
    do {
      const page = await reader.readPage(token);
      for (const resource of page.resources) {
        if (types.length > 0 && !types.includes(resource.type)) continue;
        for (const result of evaluateResource(resource, rules, now).results) {
          rows.push({
            type: resource.type,
            arn: resource.arn,
            name: resource.name,
            rule: result.rule,
            mode: result.mode,
            status: result.status,
            ...(result.violations.length > 0 ? { problems: describeViolations(result.violations) } : {}),
            ...(result.additions.length > 0
              ? { wouldAdd: result.additions.map((a) => `${a.key}=${a.value} (${a.from})`).join(', ') }
              : {}),
            ...(result.mark ? { due: result.mark.due } : {}),
          });
        }
      }
      token = page.next;
    } while (token !== undefined);
  }
  const violating = rows.filter((r) => r.status === 'violating').length;
  const exempt = rows.filter((r) => r.status === 'exempt').length;
  if (options.json) {
    for (const row of rows) io.out(JSON.stringify(row));
  } else if (rows.length > 0) {
    printTable(
      io,
      ['TYPE', 'RESOURCE', 'RULE', 'MODE', 'STATUS', 'DUE', 'PROBLEMS'],
      rows.map((r) => [r.type, r.name, r.rule, r.mode, r.status, r.due ?? '-', r.problems ?? '-']),
    );
  }
  const resources = new Set(rows.map((r) => r.arn)).size;
  io.err(`${resources} resources under tag policies: ${violating} violating, ${exempt} exempt`);
  return violating > 0 ? EXIT_FAILED : EXIT_OK;
}

/**
 * `autopilot explain <cluster/service> <repo:tag|repo@digest> [--json]`: what a push of that image
 * would do to that service now, with every reason, nothing written (see `explainPush`): the decision,
 * the containers it would change, the policy and mode with where they come from, the effects. The
 * repository is ECR's name (`team/api`), in the service's account and region unless a registry host
 * is given.
 *
 * @returns {@link EXIT_OK} when the push would deploy or be deferred, {@link EXIT_FAILED} when not (a
 *   script asks "would it deploy?"), {@link EXIT_USAGE} for a bad argument or nowhere to act
 */
export async function explainCommand(
  ref: string,
  imageText: string,
  options: TargetOptions & { json?: boolean },
  io: Io,
): Promise<number> {
  const named = serviceNamed(ref, io);
  if (!named) return EXIT_USAGE;
  const { cluster, service } = named;
  const { explainPush, parseImageArgument } =
    require('../shared/domain/deploy/explain-push') as typeof import('../shared/domain/deploy/explain-push');
  const image = parseImageArgument(imageText);
  if (!image.ok) {
    io.err(`expected <repository>:<tag> or <repository>@sha256:<digest>: ${image.reason}`);
    return EXIT_USAGE;
  }
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { makeDeployDeps } =
    require('../shared/adapters/compose-deploy') as typeof import('../shared/adapters/compose-deploy');
  const { formatExplanation } = require('./explain') as typeof import('./explain');
  // The deploy function's own adapters; explainPush takes their read views only.
  const explained = await explainPush(
    { service: { cluster, service }, image: image.value },
    makeDeployDeps(env),
  );
  if (options.json) io.out(JSON.stringify(explained));
  else for (const line of formatExplanation(explained)) io.out(line);
  const pushed = `a push of ${explained.image.tag ? `${explained.image.repository}:${explained.image.tag}` : imageText}`;
  io.err(
    explained.wouldDeploy
      ? `${pushed} would ${explained.action} ${explained.service}`
      : `${pushed} would not change ${explained.service}`,
  );
  return explained.wouldDeploy ? EXIT_OK : EXIT_FAILED;
}

/** Options of `autopilot sync`. */
export interface SyncOptions extends TargetOptions {
  dryRun?: boolean;
  json?: boolean;
  by?: string;
}

/**
 * `autopilot sync <cluster/service> [--dry-run] [--json] [--by <name>]`: deploys to that service
 * now the newest image of each repository it runs that its policy accepts, as a push of that image
 * would (see `syncService`): deferred by a pause, a deploy window or the minimum age, refused for a
 * quarantined digest, nothing to do when it runs that image already. `--dry-run` writes nothing and
 * prints `autopilot explain`'s plan for the image chosen.
 *
 * @returns {@link EXIT_OK} deployed, deferred or nothing to do, {@link EXIT_FAILED} refused or failed,
 *   {@link EXIT_USAGE} for a bad argument or nowhere to act
 */
export async function syncCommand(ref: string, options: SyncOptions, io: Io): Promise<number> {
  const named = serviceNamed(ref, io);
  if (!named) return EXIT_USAGE;
  const { cluster, service } = named;
  if (options.by !== undefined && (options.by.length === 0 || options.by.length > 100)) {
    io.err('--by: 1 to 100 characters');
    return EXIT_USAGE;
  }
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { makeDeployDeps } =
    require('../shared/adapters/compose-deploy') as typeof import('../shared/adapters/compose-deploy');
  const { EcrImageCatalog } =
    require('../shared/adapters/aws/ecr-image-catalog') as typeof import('../shared/adapters/aws/ecr-image-catalog');
  const { syncService, syncSucceeded } =
    require('../shared/domain/deploy/sync-service') as typeof import('../shared/domain/deploy/sync-service');
  const { formatSync, summarizeSync } = require('./sync') as typeof import('./sync');
  const { randomUUID } = require('node:crypto') as typeof import('node:crypto');
  const { userInfo } = require('node:os') as typeof import('node:os');
  // Deploy on push's own adapters: the push sync makes up goes its way, leases and events included.
  const result = await syncService(
    {
      service: { cluster, service },
      by: options.by ?? safeUserName(userInfo),
      dryRun: options.dryRun === true,
      newEventId: () => `sync-${randomUUID()}`,
    },
    { ...makeDeployDeps(env), catalog: new EcrImageCatalog() },
  );
  if (options.json) io.out(JSON.stringify(result));
  else for (const line of formatSync(result)) io.out(line);
  io.err(summarizeSync(result));
  return syncSucceeded(result.outcome) ? EXIT_OK : EXIT_FAILED;
}

/**
 * `autopilot status [cluster[/service]] [--json]`: the services autopilot knows (they opt in or out,
 * rollback watches them, the index lists them, autopilot acted on them), of one cluster or service
 * or of the account, each as {@link serviceStatus} says: a table for people, every field with
 * `--json` (one line a service). A service named alone is shown whether autopilot knows it or not,
 * with every field. Reads only.
 */
export async function statusCommand(
  ref: string | undefined,
  options: TargetOptions & { json?: boolean },
  io: Io,
): Promise<number> {
  const [cluster, service, ...rest] = (ref ?? '').split('/');
  if (ref !== undefined && (!cluster || rest.length > 0 || service === '')) {
    io.err(`expected <cluster> or <cluster>/<service>, got "${ref}"`);
    return EXIT_USAGE;
  }
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { policyFileFor } =
    require('../shared/config/policy-file') as typeof import('../shared/config/policy-file');
  const { isKnown, serviceStatus } =
    require('../shared/domain/status/service-status') as typeof import('../shared/domain/status/service-status');
  const { EcsReader } =
    require('../shared/adapters/aws/ecs-reader') as typeof import('../shared/adapters/aws/ecs-reader');
  const { EcsInventory } =
    require('../shared/adapters/aws/ecs-inventory') as typeof import('../shared/adapters/aws/ecs-inventory');
  const { EcsServiceRevisions } =
    require('../shared/adapters/aws/ecs-service-revisions') as typeof import('../shared/adapters/aws/ecs-service-revisions');
  const state = {
    ...(require('../shared/adapters/state/dynamo-index-sweep') as typeof import('../shared/adapters/state/dynamo-index-sweep')),
    ...(require('../shared/adapters/state/dynamo-service-index') as typeof import('../shared/adapters/state/dynamo-service-index')),
    ...(require('../shared/adapters/state/dynamo-rollback-history') as typeof import('../shared/adapters/state/dynamo-rollback-history')),
    ...(require('../shared/adapters/state/dynamo-pending-pushes') as typeof import('../shared/adapters/state/dynamo-pending-pushes')),
    ...(require('../shared/adapters/state/dynamo-quarantine') as typeof import('../shared/adapters/state/dynamo-quarantine')),
    ...(require('../shared/adapters/state/dynamo-deployment-history') as typeof import('../shared/adapters/state/dynamo-deployment-history')),
    ...(require('../shared/adapters/state/dynamo-skipped-pushes') as typeof import('../shared/adapters/state/dynamo-skipped-pushes')),
  };
  let policyFile: ReturnType<typeof policyFileFor>;
  try {
    policyFile = policyFileFor(env);
  } catch (error) {
    if (!isConfigError(error)) throw error;
    io.err(`configuration: ${error.message}`);
    return EXIT_USAGE;
  }
  const table = env.AUTOPILOT_TABLE;
  const ecs = new EcsReader();
  const inventory = new EcsInventory();
  const revisions = new EcsServiceRevisions();
  const sweep = new state.DynamoIndexSweep(table);
  const index = new state.DynamoServiceIndex(table);
  const rollbacks = new state.DynamoRollbackHistory(table);
  const pendingPushes = new state.DynamoPendingPushes(table);
  const history = new state.DynamoDeploymentHistory(table);
  const skips = new state.DynamoSkippedPushes(table);
  const quarantined = await new state.DynamoQuarantine(table).listQuarantined();
  const { DynamoPauses } =
    require('../shared/adapters/state/dynamo-pauses') as typeof import('../shared/adapters/state/dynamo-pauses');
  const pauses = await new DynamoPauses(table).activePauses(new Date());

  // The services to look at: the one named, or every service of the cluster(s).
  const clusters = cluster ? [cluster] : await inventory.listClusters();
  const refs: ServiceRefArg[] = [];
  for (const c of clusters) {
    if (service) refs.push({ cluster: c, service });
    else for (const arn of await inventory.listServices(c)) refs.push({ cluster: c, service: arn });
  }
  const services = await ecs.describeServices(refs);
  if (service && services.length === 0) {
    io.err(`service ${ref} not found`);
    return EXIT_FAILED;
  }
  const listed = new Map<string, Promise<Set<string>>>();
  const listedUnder = (key: string) => {
    let found = listed.get(key);
    if (!found) {
      found = index.servicesForRepository(key).then((s) => new Set(s.map((x) => x.serviceArn)));
      listed.set(key, found);
    }
    return found;
  };
  const fingerprints = new Map<string, Promise<Map<string, IndexedFingerprintArg>>>();
  const fingerprintOf = (clusterArn: string, serviceArn: string) => {
    let found = fingerprints.get(clusterArn);
    if (!found) {
      found = sweep.fingerprintsOf(clusterArn).then((all) => new Map(all.map((f) => [f.serviceArn, f])));
      fingerprints.set(clusterArn, found);
    }
    return found.then((all) => all.get(serviceArn));
  };
  const { repositoriesOf } =
    require('../shared/domain/index/plan-index') as typeof import('../shared/domain/index/plan-index');
  const now = new Date();
  const statuses = [];
  for (const svc of services) {
    const [taskDefinition, running, indexed, lastKnownGood, lastRollback, pending, deployments, lastSkip] =
      await Promise.all([
        ecs.describeTaskDefinition(svc.taskDefinitionArn),
        revisions
          .describeServiceRevisions(svc.currentServiceRevisions ?? [])
          .then((r) => r.flatMap((revision) => revision.images)),
        fingerprintOf(svc.clusterArn, svc.arn),
        rollbacks.lastKnownGood(svc.arn),
        rollbacks.lastRollback(svc.arn),
        pendingPushes.pendingOf(svc.arn),
        history.recentDeployments(svc.arn, 1),
        skips.lastSkip(svc.arn),
      ]);
    const keys = taskDefinition
      ? repositoriesOf(taskDefinition.definition.containerDefinitions)
      : (indexed?.repositories ?? []);
    const under: string[] = [];
    for (const key of keys) if ((await listedUnder(key)).has(svc.arn)) under.push(key);
    const one = serviceStatus({
      service: svc,
      policyFile,
      ...(taskDefinition ? { taskDefinition } : {}),
      running,
      ...(indexed ? { indexed } : {}),
      listedUnder: under,
      ...(lastKnownGood ? { lastKnownGood } : {}),
      ...(lastRollback ? { lastRollback } : {}),
      pending,
      quarantined,
      deployments,
      ...(lastSkip ? { lastSkip } : {}),
      pauses,
      now,
    });
    if (service || isKnown(one)) statuses.push(one);
  }
  statuses.sort((a, b) => a.service.localeCompare(b.service));
  if (options.json) {
    for (const one of statuses) io.out(JSON.stringify(one));
  } else if (service && statuses[0]) {
    printStatus(io, statuses[0]);
  } else if (statuses.length > 0) {
    printTable(
      io,
      ['SERVICE', 'MODE', 'POLICY', 'FOLLOWS', 'REVISION', 'KNOWN GOOD', 'NOTES'],
      statuses.map((s) => [
        s.service,
        s.mode ? `${s.mode} (${s.modeFrom})` : '-',
        s.policy,
        s.repositories.map((r) => `${r.repository}${r.indexed ? '' : ' (not indexed)'}`).join(' ') || '-',
        s.revision,
        s.lastKnownGood?.revision ?? '-',
        statusNotes(s).join('; ') || '-',
      ]),
    );
  }
  io.err(
    `${statuses.length} ${statuses.length === 1 ? 'service' : 'services'} autopilot knows${cluster ? ` in ${cluster}` : ''}`,
  );
  return EXIT_OK;
}

type ServiceRefArg = { cluster: string; service: string };
/** `autopilot sandbox push`'s options: what the image's tasks do, and whether ECR replicated it here. */
type SandboxPushOptions = { crash?: boolean; unhealthy?: boolean; exit?: number; replicatedFrom?: string };
type IndexedFingerprintArg = import('../shared/ports').IndexedFingerprint;
type ServiceStatusArg = import('../shared/domain/status/service-status').ServiceStatus;

/** What stands out about a service, in a few words each: why it is not followed, what waits, what is wrong. */
function statusNotes(s: ServiceStatusArg): string[] {
  return [
    ...(s.follows === true ? [] : [`not followed: ${s.follows}`]),
    ...(s.paused
      ? [`${s.paused.notifyOnly ? 'notify-only' : 'paused'} until ${s.paused.until} by ${s.paused.by}`]
      : []),
    ...s.pending.map((p) => `${p.repository}:${p.tag} due ${p.dueAt}`),
    ...(s.rollback.cooldownUntil ? [`rollback cooldown until ${s.rollback.cooldownUntil}`] : []),
    ...(s.quarantined.length > 0 ? [`${s.quarantined.length} quarantined`] : []),
    // The push only: its reason is in the one-service view.
    ...(s.lastDecision?.action === 'skip'
      ? [`last push skipped: ${s.lastDecision.image.split('@')[0]}`]
      : []),
    ...s.problems.map((p) => `${p.tag}: ${p.problem}`),
  ];
}

/** One service, every field, a line each. */
function printStatus(io: Io, s: ServiceStatusArg): void {
  const line = (label: string, text: string) => io.out(`${label.padEnd(13)}${text}`);
  io.out(s.service);
  line('mode', s.mode ? `${s.mode} (${s.modeFrom})` : 'none: it does not opt in');
  line('follows', s.follows === true ? 'yes: deploy on push follows it' : `no: ${s.follows}`);
  line('policy', `${s.policy} (${s.policyFrom})`);
  if (s.managedBy) line('managed by', `${s.managedBy}: its next apply may revert what autopilot deploys`);
  if (s.paused) {
    const p = s.paused;
    line(
      p.notifyOnly ? 'notify-only' : 'paused',
      `until ${p.until} by ${p.by}${p.reason ? ` (${p.reason})` : ''}${p.scope.startsWith('service:') ? '' : `, as ${p.scope === 'all' ? 'every service' : p.scope.replace(':', ' ')}`}`,
    );
  }
  for (const r of s.repositories) {
    line(
      'repository',
      `${r.repository} ${r.indexed ? '(indexed: a push reaches it)' : '(not indexed: a push does not reach it)'}`,
    );
  }
  line('revision', s.revision);
  for (const image of s.running)
    line('running', `${image.container} ${image.image}${image.digest ? ` ${image.digest}` : ''}`);
  line(
    'known good',
    s.lastKnownGood ? `${s.lastKnownGood.revision} since ${s.lastKnownGood.at}` : 'none yet',
  );
  line(
    'rollback',
    `${s.rollback.enabled ? 'on' : 'off'}${s.rollback.alarms.length > 0 ? `, alarms ${s.rollback.alarms.join(' ')}` : ''}${s.rollback.cooldownUntil ? `, in cooldown until ${s.rollback.cooldownUntil}` : ''}`,
  );
  if (s.rollback.lastRollback) {
    const r = s.rollback.lastRollback;
    line('rolled back', `${r.at}: ${r.from.split('/').pop()} -> ${r.to.split('/').pop()} (${r.reason})`);
  }
  for (const p of s.pending)
    line('pending', `${p.repository}:${p.tag} ${p.digest} due ${p.dueAt} (${p.reason})`);
  for (const q of s.quarantined)
    line('quarantined', `${q.repository}@${q.digest} since ${q.at} (${q.reason})`);
  // The last decision about a push, and the last deployment when a skip came after it.
  const decided = s.lastDecision;
  if (decided?.action === 'deploy') {
    line(
      'decided',
      `${decided.at}: deployed ${decided.from} -> ${decided.to} (${decided.image}, push ${decided.triggeredBy})`,
    );
  } else if (decided?.action === 'skip') {
    line(
      'decided',
      `${decided.at}: skipped ${decided.image} (push ${decided.triggeredBy}): ${decided.reason}`,
    );
    const d = s.lastDeployment;
    if (d) line('last deploy', `${d.at}: ${d.from} -> ${d.to} (${d.image})`);
  }
  for (const p of s.problems) line('tag problem', `${p.tag}: ${p.problem}; ${p.effect}`);
}

/**
 * `autopilot history <cluster/service> [--json] [--limit n]`: what autopilot said about a service,
 * newest first (deployments, deferrals, rollbacks, quarantines, configuration problems, tag policy
 * events), each with its reason, the event that caused it and what each channel did with it. The
 * notifier keeps them 90 days.
 */
export async function historyCommand(
  ref: string,
  options: TargetOptions & { json?: boolean; limit?: string },
  io: Io,
): Promise<number> {
  const named = serviceNamed(ref, io);
  if (!named) return EXIT_USAGE;
  const { cluster, service } = named;
  const limit = Number(options.limit ?? '50');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    io.err(`--limit: expected a whole number from 1 to 1000, got "${options.limit}"`);
    return EXIT_USAGE;
  }
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { DynamoServiceHistory } =
    require('../shared/adapters/state/dynamo-service-history') as typeof import('../shared/adapters/state/dynamo-service-history');
  const entries = await new DynamoServiceHistory(env.AUTOPILOT_TABLE).recent(cluster, service, limit);
  if (options.json) for (const e of entries) io.out(JSON.stringify(e));
  else if (entries.length > 0) {
    printTable(
      io,
      ['TIME', 'EVENT', 'WHAT', 'TOLD', 'CAUSED BY', 'REASON'],
      entries.map((e) => [
        e.at,
        `${e.detailType}${e.dryRun ? ' (dry run)' : ''}`,
        e.title,
        e.told.join(', ') || '-',
        e.triggeredBy ?? '-',
        e.reason ?? '-',
      ]),
    );
  }
  if (entries.length === 0) io.err(`nothing recorded about ${cluster}/${service} (kept 90 days)`);
  return EXIT_OK;
}

/** Options of `autopilot pause`. */
export interface PauseOptions extends TargetOptions {
  all?: boolean;
  until?: string;
  reason?: string;
  by?: string;
  notifyOnly?: boolean;
}

/** The scope a `cluster[/service]` argument (or `--all`) names, or what is wrong with it. */
function scopeOf(ref: string | undefined, all: boolean | undefined): { scope: string } | { error: string } {
  const { pauseScope } =
    require('../shared/domain/deploy/pause') as typeof import('../shared/domain/deploy/pause');
  if (all)
    return ref === undefined
      ? { scope: pauseScope() }
      : { error: 'give <cluster[/service]> or --all, not both' };
  const [cluster, service, ...rest] = (ref ?? '').split('/');
  if (!cluster || service === '' || rest.length > 0) {
    return { error: `expected <cluster>, <cluster>/<service> or --all, got "${ref ?? ''}"` };
  }
  return { scope: pauseScope(cluster, service) };
}

/**
 * When a pause given `--until` ends: a time (ISO 8601, with its zone) or a duration from now (`2h`,
 * `3d`); 24 hours by default; in the future and at most 30 days away, refused otherwise (never read as
 * "for ever").
 */
function pauseEnd(text: string | undefined, now: Date): { until: string } | { error: string } {
  const { MAX_PAUSE_DAYS } =
    require('../shared/domain/deploy/pause') as typeof import('../shared/domain/deploy/pause');
  const { parseDuration } =
    require('../shared/domain/policy/duration') as typeof import('../shared/domain/policy/duration');
  const given = text ?? '24h';
  const ms = parseDuration(given);
  const at =
    ms !== undefined
      ? now.getTime() + ms
      : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(given)
        ? Date.parse(given)
        : Number.NaN;
  if (Number.isNaN(at)) {
    return {
      error: `--until: expected a time such as 2026-12-05T09:00Z or a duration such as 2h or 3d, got "${given}"`,
    };
  }
  if (at <= now.getTime()) return { error: `--until: ${given} is not in the future` };
  if (at - now.getTime() > MAX_PAUSE_DAYS * 86_400_000) {
    return {
      error: `--until: ${given} is more than ${MAX_PAUSE_DAYS} days away (a pause always ends; pause again to extend it)`,
    };
  }
  return { until: new Date(at).toISOString() };
}

/** The store of pauses and of pending pushes in the target's table. */
function pauseStores(table: string) {
  const { DynamoPauses } =
    require('../shared/adapters/state/dynamo-pauses') as typeof import('../shared/adapters/state/dynamo-pauses');
  const { DynamoPendingPushes } =
    require('../shared/adapters/state/dynamo-pending-pushes') as typeof import('../shared/adapters/state/dynamo-pending-pushes');
  return { pauses: new DynamoPauses(table), pending: new DynamoPendingPushes(table) };
}

/**
 * `autopilot pause <cluster[/service]> | --all [--until …] [--reason …] [--notify-only]`: deploy on
 * push keeps planning the services in scope but changes none; a push one would deploy waits for the
 * pause's end (or `autopilot resume`); `--notify-only` never changes them and tells what would have been
 * deployed. Replaces a pause of the same scope.
 */
export async function pauseCommand(ref: string | undefined, options: PauseOptions, io: Io): Promise<number> {
  const scoped = scopeOf(ref, options.all);
  const now = new Date();
  const end = pauseEnd(options.until, now);
  for (const problem of [
    'error' in scoped ? scoped.error : undefined,
    'error' in end ? end.error : undefined,
  ]) {
    if (problem) {
      io.err(problem);
      return EXIT_USAGE;
    }
  }
  if (options.reason !== undefined && (options.reason.length === 0 || options.reason.length > 500)) {
    io.err('--reason: 1 to 500 characters');
    return EXIT_USAGE;
  }
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { describeScope } =
    require('../shared/domain/deploy/pause') as typeof import('../shared/domain/deploy/pause');
  const { userInfo } = require('node:os') as typeof import('node:os');
  const pause = {
    scope: (scoped as { scope: string }).scope,
    until: (end as { until: string }).until,
    by: options.by ?? safeUserName(userInfo),
    ...(options.reason ? { reason: options.reason } : {}),
    at: now.toISOString(),
    notifyOnly: options.notifyOnly === true,
  };
  await pauseStores(env.AUTOPILOT_TABLE).pauses.pause(pause);
  io.out(JSON.stringify(pause));
  io.err(
    `${describeScope(pause.scope)}: ${pause.notifyOnly ? 'notify-only' : 'paused'} until ${pause.until}${pause.notifyOnly ? ' (what would be deployed is told, nothing is changed)' : ' (a push waits for then, or for autopilot resume)'}`,
  );
  return EXIT_OK;
}

/** The operator's login name, for `by` (a name given with `--by` wins). */
function safeUserName(userInfo: typeof import('node:os').userInfo): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * `autopilot resume <cluster[/service]> | --all`: ends the pause of that scope now; the pushes it held
 * become due at once (deploy-due deploys them within its next minute, unless another pause still
 * covers the service). A service under a cluster's pause stays paused by it.
 */
export async function resumeCommand(
  ref: string | undefined,
  options: TargetOptions & { all?: boolean },
  io: Io,
): Promise<number> {
  const scoped = scopeOf(ref, options.all);
  if ('error' in scoped) {
    io.err(scoped.error);
    return EXIT_USAGE;
  }
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { describeScope } =
    require('../shared/domain/deploy/pause') as typeof import('../shared/domain/deploy/pause');
  const { resumePause } =
    require('../shared/domain/deploy/resume-pause') as typeof import('../shared/domain/deploy/resume-pause');
  const { ended, released: held } = await resumePause(
    scoped.scope,
    pauseStores(env.AUTOPILOT_TABLE),
    new Date(),
  );
  if (!ended) {
    io.err(`${describeScope(scoped.scope)} is not paused`);
    return EXIT_FAILED;
  }
  io.out(
    JSON.stringify({
      resumed: ended.scope,
      paused: ended,
      released: held.map((p) => `${p.cluster}/${p.service} ${p.push.repositoryName}:${p.push.tag}`),
    }),
  );
  io.err(
    `${describeScope(ended.scope)} resumed${held.length > 0 ? `: ${held.length} held ${held.length === 1 ? 'push is' : 'pushes are'} due now` : ''}`,
  );
  return EXIT_OK;
}

/** `autopilot pauses [--json]`: the pauses in force. */
export async function pausesCommand(options: TargetOptions & { json?: boolean }, io: Io): Promise<number> {
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { describeScope } =
    require('../shared/domain/deploy/pause') as typeof import('../shared/domain/deploy/pause');
  const active = await pauseStores(env.AUTOPILOT_TABLE).pauses.activePauses(new Date());
  active.sort((a, b) => a.scope.localeCompare(b.scope));
  if (options.json) for (const p of active) io.out(JSON.stringify(p));
  else if (active.length > 0) {
    printTable(
      io,
      ['SCOPE', 'KIND', 'UNTIL', 'BY', 'REASON'],
      active.map((p) => [
        describeScope(p.scope),
        p.notifyOnly ? 'notify-only' : 'paused',
        p.until,
        p.by,
        p.reason ?? '-',
      ]),
    );
  }
  if (active.length === 0) io.err('nothing is paused');
  return EXIT_OK;
}

/** Prints `rows` under `header`, each column as wide as its widest cell (the last one as it is). */
function printTable(io: Io, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((cells) => (cells[i] ?? '').length)));
  for (const cells of [header, ...rows])
    io.out(cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
}

/** `autopilot notify test <channel>`: a sample message to one channel of the policy file. */
export async function notifyTest(
  channel: string,
  options: TargetOptions & { dryRun?: boolean },
  io: Io,
): Promise<number> {
  const env = cliEnv(options, io);
  if (!env) return EXIT_USAGE;
  const { makeNotifyDeps } =
    require('../shared/adapters/compose-notify') as typeof import('../shared/adapters/compose-notify');
  const { sendTestMessage } =
    require('../shared/domain/notify/notify') as typeof import('../shared/domain/notify/notify');
  let decision: Awaited<ReturnType<typeof sendTestMessage>>;
  try {
    decision = await sendTestMessage(channel, makeNotifyDeps(env));
  } catch (error) {
    if (!isConfigError(error)) throw error;
    io.err(`configuration: ${error.message}`);
    return EXIT_USAGE;
  }
  io.out(JSON.stringify(decision));
  return decision.action === 'sent' || decision.action === 'would-send' ? EXIT_OK : EXIT_FAILED;
}

/** Sends one request to the running sandbox (see sandbox/control-server.ts). */
export async function sandboxRequest(request: Record<string, unknown>, io: Io): Promise<number> {
  let url: string;
  try {
    const control = runningSandbox(sandboxControlFile(root));
    if (!control) {
      io.err('no sandbox is running: start one with `npm start` in another terminal');
      return EXIT_FAILED;
    }
    url = control.url;
  } catch (error) {
    io.err(error instanceof Error ? error.message : String(error));
    return EXIT_FAILED;
  }
  try {
    const response = await fetch(url, { method: 'POST', body: JSON.stringify(request) });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) {
      io.err(`sandbox refused: ${String(body.error ?? response.status)}`);
      return response.status === 400 ? EXIT_USAGE : EXIT_FAILED;
    }
    io.out(JSON.stringify(body));
    return EXIT_OK;
  } catch (error) {
    io.err(`cannot reach the sandbox at ${url}: ${describeError(error)}`);
    return EXIT_FAILED;
  }
}

/** Commander's way to repeat an option: each value appended. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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

const HELP_AFTER = `
Where dispatch, status, explain, sync, pause, resume, pauses, history, rollback, quarantine,
restarts, audit and notify test act (the first that applies):
  --stage <stage> [--region <region>]  the deployed stack ecs-autopilot-<stage>, with your AWS credentials
  --sandbox                            the running local account (npm start)
  AUTOPILOT_TABLE and AUTOPILOT_BUS    the stack's outputs, with the SDK's own credentials and endpoints
  (nothing given)                      the running local account, if one is running

Environment:
  AUTOPILOT_TABLE, AUTOPILOT_BUS       the stack's table and bus
  AUTOPILOT_CONFIG                     the policy file (default: autopilot.yml of this repository)
  AUTOPILOT_DRY_RUN=true               as --dry-run
  AUTOPILOT_DLQ_URL                    where dispatch parks events it rejects (optional)
  AWS_REGION, AWS_PROFILE, ...         the AWS SDK's usual settings
  AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>  other endpoints (an emulator)
  AUTOPILOT_SANDBOX_CONTROL            the running sandbox's address file (default: .sandbox/control.json)

Exit status:
  0  done, or nothing to do
  1  failed: a handler or an action failed (in AWS the event would be retried)
  2  usage, invalid input (an event that does not parse) or configuration (what to set is printed)
`;

/**
 * Entry point.
 *
 * @param argv - process.argv
 * @returns the exit status
 */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  let status = EXIT_OK;
  const program = new Command('autopilot')
    .description(
      'ecs-autopilot command line: run events through the real handlers, act as an operator, drive the local account',
    )
    .version(project().version, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .addHelpText('after', HELP_AFTER);
  /** The options that say where a command acts (cli/target.ts). */
  const targeted = (command: Command) =>
    command
      .option('--stage <stage>', 'act on the deployed stack ecs-autopilot-<stage> (your AWS credentials)')
      .option('--region <region>', 'its region (default: AWS_REGION)')
      .option('--sandbox', 'act on the running local account (npm start)');
  targeted(
    program
      .command('dispatch')
      .description('route an event file like serverless.yml does and run it through the real handlers')
      .argument('<event.json>', 'an EventBridge event')
      .option('--dry-run', 'decide and report, change nothing')
      .option('--function <name>', 'deliver to this function regardless of the rules')
      .option('--verbose', "print the functions' logs (Powertools JSON) too"),
  ).action(async (file: string, options: DispatchOptions) => {
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
  targeted(
    program
      .command('rollback')
      .description('return a service to its last known good revision, or to --to <family:revision>')
      .argument('<cluster/service>')
      .option('--to <revision>', 'a task definition (family:revision or ARN)')
      .option('--dry-run', 'decide and report, change nothing'),
  ).action(async (ref: string, options: RollbackOptions) => {
    status = await rollback(ref, options, io);
  });
  const quarantineCommand = program.command('quarantine').description('images deploy on push refuses');
  targeted(
    quarantineCommand.command('list').description('list quarantined images, one JSON line each'),
  ).action(async (options: TargetOptions) => {
    status = await quarantine('list', undefined, options, io);
  });
  targeted(
    quarantineCommand
      .command('release')
      .description('allow a quarantined image to be deployed again')
      .argument('<repository@digest>'),
  ).action(async (image: string, options: TargetOptions) => {
    status = await quarantine('release', image, options, io);
  });
  targeted(
    program
      .command('restarts')
      .description(
        'live restart chains of standalone tasks: task, state, attempts, next attempt, last reason',
      )
      .argument('[cluster]', 'a cluster name or ARN (all clusters when omitted)')
      .option('--json', 'one JSON line per chain'),
  ).action(async (cluster: string | undefined, options: TargetOptions & { json?: boolean }) => {
    status = await restarts(cluster, options, io);
  });
  targeted(
    program
      .command('audit')
      .description(
        'evaluate the tag policies on every ECS and ECR resource they select, change nothing; exits 1 when one does not comply',
      )
      .option('--json', 'one JSON line per resource and rule')
      .option(
        '--type <type...>',
        'only these resource types (ecs:cluster, ecs:service, ecr:repository, ...)',
      ),
  ).action(async (options: TargetOptions & { json?: boolean; type?: string[] }) => {
    status = await audit(options, io);
  });
  targeted(
    program
      .command('explain')
      .description(
        'what a push of an image would do to a service now, with every reason, nothing written; exits 1 when it would not deploy',
      )
      .argument('<cluster/service>')
      .argument(
        '<image>',
        'repository:tag (the image it points at now), repository@sha256:digest, or repository:tag@digest (that push)',
      )
      .option('--json', 'one JSON object'),
  ).action(async (ref: string, image: string, options: TargetOptions & { json?: boolean }) => {
    status = await explainCommand(ref, image, options, io);
  });
  targeted(
    program
      .command('sync')
      .description(
        "deploy now the newest image the service's policy accepts, as a push of it would; exits 1 when refused",
      )
      .argument('<cluster/service>')
      .option('--dry-run', "the plan for the image chosen (explain's), nothing written")
      .option('--json', 'one JSON object')
      .option('--by <name>', 'who syncs, said in the decision (default: your login name)'),
  ).action(async (ref: string, options: SyncOptions) => {
    status = await syncCommand(ref, options, io);
  });
  targeted(
    program
      .command('notify')
      .description('chat notifications')
      .command('test')
      .description('send a sample message to a channel of the policy file, to check its wiring')
      .argument('<channel>')
      .option('--dry-run', 'report, send nothing'),
  ).action(async (channel: string, options: TargetOptions & { dryRun?: boolean }) => {
    status = await notifyTest(channel, options, io);
  });
  targeted(
    program
      .command('status')
      .description(
        'the services autopilot knows: mode and policy and where they come from, repositories, revisions, what waits',
      )
      .argument('[cluster[/service]]')
      .option('--json', 'one JSON line per service, every field'),
  ).action(async (ref: string | undefined, options: TargetOptions & { json?: boolean }) => {
    status = await statusCommand(ref, options, io);
  });
  targeted(
    program
      .command('history')
      .description(
        'what autopilot said about a service, newest first: each event with its reason, its cause and the channels told',
      )
      .argument('<cluster/service>')
      .option('--json', 'one JSON line per event')
      .option('--limit <n>', 'at most this many (default 50)'),
  ).action(async (ref: string, options: TargetOptions & { json?: boolean; limit?: string }) => {
    status = await historyCommand(ref, options, io);
  });
  targeted(
    program
      .command('pause')
      .description(
        'pause deploy on push for a service, a cluster or every service (--all): planned, not changed; a push waits for the end',
      )
      .argument('[cluster[/service]]')
      .option('--all', 'every service (a freeze)')
      .option(
        '--until <time|duration>',
        'when it ends: 2026-12-05T09:00Z, or 2h, 3d from now (default 24h, at most 30d)',
      )
      .option('--reason <text>', 'why, told with every push it holds')
      .option('--by <name>', 'who pauses (default: your login name)')
      .option('--notify-only', 'change nothing, ever, and tell what would have been deployed'),
  ).action(async (ref: string | undefined, options: PauseOptions) => {
    status = await pauseCommand(ref, options, io);
  });
  targeted(
    program
      .command('resume')
      .description('end a pause now: the pushes it held are due at once')
      .argument('[cluster[/service]]')
      .option('--all', 'the freeze of every service'),
  ).action(async (ref: string | undefined, options: TargetOptions & { all?: boolean }) => {
    status = await resumeCommand(ref, options, io);
  });
  targeted(
    program
      .command('pauses')
      .description('the pauses in force: scope, kind, until, by, reason')
      .option('--json', 'one JSON line per pause'),
  ).action(async (options: TargetOptions & { json?: boolean }) => {
    status = await pausesCommand(options, io);
  });
  const sandbox = program.command('sandbox').description('act on the running local account (npm start)');
  sandbox
    .command('push')
    .description('push an image to the local ECR (a new digest each time)')
    .argument('<repository:tag>', 'e.g. team/api:main')
    .option('--crash', 'tasks of this image exit with code 1 shortly after starting')
    .option('--unhealthy', 'tasks of this image fail their health checks')
    .option('--exit <code>', 'tasks of this image exit with this code', (v) => Number.parseInt(v, 10))
    .option(
      '--replicated-from <region>',
      'the image was pushed in that region and ECR replicated it here (ECR Replication Action, no push)',
    )
    .action(async (ref: string, options: SandboxPushOptions) => {
      const [repository, tag] = splitRef(ref, ':');
      const behaviour = options.crash
        ? { kind: 'crash' }
        : options.unhealthy
          ? { kind: 'unhealthy' }
          : options.exit !== undefined
            ? { kind: 'exit', exitCode: options.exit }
            : undefined;
      const from = options.replicatedFrom ? { replicatedFrom: options.replicatedFrom } : {};
      status = await sandboxRequest(
        { op: 'push', repository, tag, ...(behaviour ? { behaviour } : {}), ...from },
        io,
      );
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
    .command('sweep-tags')
    .description(
      "sweep the account's tag policies now, as the schedule does every tagSweepRate in AWS: marks due acted on, one Tag Policy Summary",
    )
    .action(async () => {
      status = await sandboxRequest({ op: 'sweep-tags' }, io);
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
    .command('run-task')
    .description(
      'run a standalone task (RunTask, as a person would) and decide what it does: exit n, OOM, a Spot interruption, failing to start',
    )
    .argument('<cluster>')
    .argument('<family[:revision]>')
    .option('--exit <code>', 'its essential container exits with this code', (v) => Number.parseInt(v, 10))
    .option('--oom', 'it is OOM-killed: exit code 137, OutOfMemoryError')
    .option(
      '--fail-to-start <why>',
      'it never starts: image (CannotPullContainerError), resource-initialization (a secret cannot be read), capacity',
    )
    .option(
      '--spot',
      'its capacity is taken back while it runs (SpotInterruption on Fargate, TerminationNotice on EC2)',
    )
    .option(
      '--tag <key=value>',
      'a tag of the task, e.g. autopilot:restart=on-failure (repeatable)',
      collect,
      [],
    )
    .option('--count <n>', 'how many tasks (1 to 10)', (v) => Number.parseInt(v, 10))
    .option('--group <group>', 'the task group (default family:<family>)')
    .option('--started-by <who>', 'startedBy')
    .action(
      async (
        cluster: string,
        taskDefinition: string,
        options: {
          exit?: number;
          oom?: boolean;
          failToStart?: string;
          spot?: boolean;
          tag: string[];
          count?: number;
          group?: string;
          startedBy?: string;
        },
      ) => {
        const fates = [
          options.exit === undefined ? undefined : { kind: 'exit', exitCode: options.exit },
          options.oom ? { kind: 'oom' } : undefined,
          options.failToStart === undefined
            ? undefined
            : { kind: 'fail-to-start', cause: options.failToStart },
          options.spot ? { kind: 'spot' } : undefined,
        ].filter((fate) => fate !== undefined);
        if (fates.length > 1)
          throw new CommanderError(
            2,
            'autopilot.usage',
            'give at most one of --exit, --oom, --fail-to-start, --spot',
          );
        if (
          options.exit !== undefined &&
          !(Number.isInteger(options.exit) && options.exit >= 0 && options.exit <= 255)
        )
          throw new CommanderError(2, 'autopilot.usage', '--exit takes an exit code from 0 to 255');
        const causes = ['image', 'resource-initialization', 'capacity'];
        if (options.failToStart !== undefined && !causes.includes(options.failToStart))
          throw new CommanderError(
            2,
            'autopilot.usage',
            `--fail-to-start takes ${causes.join(', ')}; got "${options.failToStart}"`,
          );
        const tags = Object.fromEntries(options.tag.map((p) => splitRef(p, '=')));
        status = await sandboxRequest(
          {
            op: 'run-task',
            cluster,
            taskDefinition,
            ...(fates[0] ? { fate: fates[0] } : {}),
            ...(options.tag.length > 0 ? { tags } : {}),
            ...(options.count === undefined ? {} : { count: options.count }),
            ...(options.group ? { group: options.group } : {}),
            ...(options.startedBy ? { startedBy: options.startedBy } : {}),
          },
          io,
        );
      },
    );
  sandbox
    .command('faults')
    .description(
      'inject faults into the local account (ECS, ECR, DynamoDB, EventBridge, SQS, SSM, Secrets Manager), e.g. UpdateService:throttle:0.5 dynamodb:*:lost:0.1 events:PutEvents:partial:0.2 *:5xx:0.1 *:latency:1:300; none turns them off',
    )
    .argument(
      '[rules...]',
      '[<service>:]<operation|*>:<throttle|5xx|lost|timeout|partial|latency>:<rate 0..1>[:<latency ms>]; services ecs, ecr, dynamodb, events, sqs, ssm, secretsmanager; none turns faults off',
    )
    .action(async (rules: string[]) => {
      // `none` (or nothing) turns every fault off.
      const given = rules.length === 1 && rules[0]?.toLowerCase() === 'none' ? [] : rules;
      const parsed = given.map((rule) => {
        const match = /^(.+):(throttle|5xx|latency|lost|timeout|partial):([0-9.]+)(?::(\d+))?$/.exec(rule);
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
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const problem = setupProblem(error);
    if (problem) {
      io.err(`configuration: ${problem}`);
      return EXIT_USAGE;
    }
    // An AWS call that failed after the SDK's retries, an unreachable endpoint: one line, no stack.
    io.err(`failed: ${describeError(error)}`);
    return EXIT_FAILED;
  }
  return status;
}
