/**
 * Where the operator commands act: a deployed stage, the running sandbox (`npm start`), or the
 * names given in the environment. The command line finds it without being told when it can:
 *
 * 1. `--stage <stage> [--region <region>]`: the stack `ecs-autopilot-<stage>`, whose table and bus are
 *    named after the stage (see serverless.yml), with the usual AWS credentials;
 * 2. `--sandbox`: the running local account, from the address file it writes while it runs;
 * 3. `AUTOPILOT_TABLE` and `AUTOPILOT_BUS` in the environment (the stack's outputs), with whatever
 *    endpoints and credentials the SDK is configured for;
 * 4. otherwise the running sandbox, if there is one.
 *
 * Anything else is a configuration error (exit 2) that says what to set.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { ConfigError } from '../shared/errors';

/** Options every operator command takes. */
export interface TargetOptions {
  stage?: string;
  region?: string;
  sandbox?: boolean;
}

/** Where a command acts, and the environment (names, endpoints, credentials) that reaches it. */
export interface Target {
  kind: 'stage' | 'sandbox' | 'environment';
  /** one line for people: what the command acts on */
  description: string;
  /** variables to set (undefined removes one) before any AWS client is created */
  environment: Record<string, string | undefined>;
}

/** The address file of the running sandbox, as `sandbox/control-server.ts` writes it. */
export const SandboxControlSchema = z.object({
  url: z.string(),
  pid: z.number().int(),
  /** the environment an operator tool needs to reach the sandbox's table, bus, ECS, ECR... */
  environment: z.record(z.string(), z.string()),
});
export type SandboxControl = z.infer<typeof SandboxControlSchema>;

/**
 * Where the running sandbox writes its address: `.sandbox/control.json` in the repository, or
 * `AUTOPILOT_SANDBOX_CONTROL`.
 */
export function sandboxControlFile(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.AUTOPILOT_SANDBOX_CONTROL ?? join(root, '.sandbox', 'control.json');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running sandbox, if any.
 *
 * @returns undefined when no sandbox runs; a ConfigError when its address file is unreadable
 */
export function runningSandbox(file: string): SandboxControl | undefined {
  if (!existsSync(file)) return undefined;
  let control: SandboxControl;
  try {
    control = SandboxControlSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    throw new ConfigError(
      `${file} is not a sandbox address file (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): restart the sandbox with \`npm start\``,
      { cause: error },
    );
  }
  return alive(control.pid) ? control : undefined;
}

const STAGE = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Resolves where a command acts. See the module documentation for the order.
 *
 * @param service - serverless.yml's `service` (`ecs-autopilot`)
 * @throws ConfigError saying what to give or set
 */
export function resolveTarget(
  options: TargetOptions,
  context: { root: string; service: string; env?: NodeJS.ProcessEnv },
): Target {
  const env = context.env ?? process.env;
  const controlFile = sandboxControlFile(context.root, env);
  if (options.stage !== undefined && options.sandbox) {
    throw new ConfigError('give either --stage or --sandbox, not both');
  }
  if (options.stage !== undefined) {
    if (!STAGE.test(options.stage)) {
      throw new ConfigError(`--stage "${options.stage}": letters, digits and hyphens only`);
    }
    const region = options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new ConfigError(`--stage ${options.stage}: give --region too (or set AWS_REGION)`);
    const name = `${context.service}-${options.stage}`;
    return {
      kind: 'stage',
      description: `stage ${options.stage} in ${region} (table ${name}, bus ${name})`,
      environment: { AUTOPILOT_TABLE: name, AUTOPILOT_BUS: name, AWS_REGION: region },
    };
  }
  if (options.region !== undefined && !options.sandbox) {
    // Without a stage, --region only says where the names from the environment live.
    if (!env.AUTOPILOT_TABLE) throw new ConfigError('--region needs --stage <stage>');
  }
  if (options.sandbox) {
    const control = runningSandbox(controlFile);
    if (!control)
      throw new ConfigError('no sandbox is running: start one with `npm start` in another terminal');
    return sandboxTarget(control);
  }
  const table = env.AUTOPILOT_TABLE;
  const bus = env.AUTOPILOT_BUS;
  if (table && bus) {
    return {
      kind: 'environment',
      description: `table ${table}, bus ${bus} (from AUTOPILOT_TABLE and AUTOPILOT_BUS)`,
      environment: options.region ? { AWS_REGION: options.region } : {},
    };
  }
  if (table || bus) {
    throw new ConfigError(
      `set ${table ? 'AUTOPILOT_BUS' : 'AUTOPILOT_TABLE'} too (the stack's outputs), or give --stage <stage> --region <region>`,
    );
  }
  const control = runningSandbox(controlFile);
  if (control) return sandboxTarget(control);
  throw new ConfigError(
    "where should this act? give --stage <stage> --region <region> for a deployed stack, start the sandbox with `npm start` (found by itself), or set AUTOPILOT_TABLE and AUTOPILOT_BUS (the stack's outputs)",
  );
}

function sandboxTarget(control: SandboxControl): Target {
  return {
    kind: 'sandbox',
    description: `the running sandbox (pid ${control.pid}, table ${control.environment.AUTOPILOT_TABLE ?? '?'})`,
    // The sandbox's names, endpoints and dummy credentials replace whatever AWS settings the shell has.
    environment: {
      AWS_PROFILE: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      ...control.environment,
    },
  };
}

/** Sets a target's environment on `process.env`. */
export function applyTarget(target: Target, env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(target.environment)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
}
