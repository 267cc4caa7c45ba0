/**
 * Reading the policy file, without its schema. The build validates `autopilot.yml` (line and field
 * errors, `policy-yaml.ts`) and writes it sealed (`.build/autopilot.json`): the validated file with the
 * SHA-256 of its content. A Lambda bundle reads only a sealed file and checks its seal instead of
 * validating the file again, so it carries neither the YAML parser nor the policy file's zod schemas
 * (a sixth of deploy-on-push's import CPU went to building them at every cold start). Everywhere
 * else (the CLI, the sandbox, handlers run from source) an unsealed file is validated, loading the
 * schemas (`policy-file.ts`) only then.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { ConfigError } from '../errors';
import type { PolicyFile } from './policy-file';

/**
 * What a policy file may hold. A file is written by people, reviewed and deployed with autopilot;
 * these bounds are far above any real one and keep a broken or hostile file from costing more than
 * milliseconds to read, at deploy time or at a cold start.
 */
export const POLICY_FILE_LIMITS = {
  /** bytes of YAML */
  bytes: 256 * 1024,
  /** aliases (`*name`) expanded while reading, yaml's default: an alias bomb stops here */
  aliases: 100,
  policies: 500,
  clusters: 500,
  windows: 50,
  globs: 50,
  alarms: 100,
  /** problems listed in one error; the rest are counted */
  issues: 50,
} as const;

/** One problem in a policy file, located for people. */
export interface PolicyFileIssue {
  line: number;
  column: number;
  path: string;
  message: string;
}

/** Thrown when a policy file is invalid; `issues` locate every problem. */
export class PolicyFileError extends ConfigError {
  /** The located problems. */
  readonly issues: PolicyFileIssue[];

  /**
   * @param file - the file name, for messages
   * @param issues - the located problems (at most `listed` of them are kept)
   * @param listed - how many problems the message lists
   * @param total - how many problems there are in all (more than listed: the message says so)
   */
  constructor(
    readonly file: string,
    issues: PolicyFileIssue[],
    listed = Number.POSITIVE_INFINITY,
    total = issues.length,
  ) {
    const kept = issues.slice(0, listed);
    const more = total > kept.length ? [`${file}: and ${total - kept.length} more problems`] : [];
    super([...kept.map((i) => `${file}:${i.line}:${i.column} ${i.path}: ${i.message}`), ...more].join('\n'));
    this.issues = kept;
  }
}

/** The error of a file larger than a policy file may be. */
export function policyFileTooLarge(file: string, bytes: number): PolicyFileError {
  return new PolicyFileError(file, [
    {
      line: 1,
      column: 1,
      path: '(file)',
      message: `the file has ${bytes} bytes; a policy file has at most ${POLICY_FILE_LIMITS.bytes}`,
    },
  ]);
}

/** The format of a sealed policy file; a bundle refuses a seal of another format. */
const SEAL_FORMAT = 1;

/** A policy file as the build writes it: the validated file and the digest of its content. */
interface SealedPolicyFile {
  sealed: { by: string; format: number; sha256: string };
  policyFile: PolicyFile;
}

/** The SHA-256 of a policy file's content, as JSON without spaces (what the seal is over). */
function digestOf(policyFile: unknown): string {
  return createHash('sha256').update(JSON.stringify(policyFile)).digest('hex');
}

/**
 * The text of a sealed policy file: `policyFile`, validated by the caller, with the SHA-256 of its
 * content. Only a validated file may be sealed: a bundle trusts what it reads in one.
 *
 * @param policyFile - the file as the schema returned it
 * @returns JSON text to write (`.build/autopilot.json`)
 */
export function sealPolicyFile(policyFile: PolicyFile): string {
  const sealed: SealedPolicyFile = {
    sealed: {
      by: 'ecs-autopilot build (scripts/build.ts)',
      format: SEAL_FORMAT,
      sha256: digestOf(policyFile),
    },
    policyFile,
  };
  // Without spaces: a file near the size limit as YAML stays under it as JSON.
  return `${JSON.stringify(sealed)}\n`;
}

/** Whether a JSON value is a sealed policy file (it may still be a broken one). */
export function isSealedPolicyFile(value: unknown): value is { sealed: unknown } {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && Object.hasOwn(value, 'sealed')
  );
}

/**
 * The policy file inside a seal, once its content is shown to be what was sealed.
 *
 * @throws ConfigError when the seal is of another format or the content changed after sealing
 */
function openSealed(value: { sealed: unknown }, path: string): PolicyFile {
  const { sealed, policyFile } = value as Partial<SealedPolicyFile>;
  if (typeof sealed !== 'object' || sealed === null || sealed.format !== SEAL_FORMAT) {
    throw new ConfigError(
      `policy file ${path} is sealed in a format this version does not read (format ${String(sealed?.format)}, expected ${SEAL_FORMAT}): build it again (npm run build)`,
    );
  }
  if (typeof policyFile !== 'object' || policyFile === null || digestOf(policyFile) !== sealed.sha256) {
    throw new ConfigError(
      `policy file ${path} changed after the build validated and sealed it (its content no longer matches the seal's sha256): edit autopilot.yml and build again (npm run build)`,
    );
  }
  return policyFile;
}

/**
 * The schema module, to validate a file that is not sealed: loaded here, not imported, so that a
 * bundle (where `process.env.AUTOPILOT_BUNDLE` is the constant `"true"`, scripts/build.ts) leaves it
 * out and refuses such a file instead.
 *
 * @throws ConfigError in a bundle
 */
function validator(path: string): typeof import('./policy-file') {
  if (process.env.AUTOPILOT_BUNDLE !== 'true')
    return require('./policy-file') as typeof import('./policy-file');
  throw new ConfigError(
    `policy file ${path} is not the file the build validated and sealed: a bundle reads only .build/autopilot.json as npm run build writes it`,
  );
}

/**
 * Reads the policy file at `path`: a sealed file (`.build/autopilot.json`) is checked against its
 * seal; any other `.json` file is validated by field; any other file is YAML, validated with line and
 * field errors by `policy-yaml.ts`. A bundle reads only a sealed file. An absent path yields the
 * empty policy file (nothing is deployed without an explicit opt-in tag) outside a bundle; in a
 * bundle it is an error, since serverless.yml always names the file.
 *
 * @throws PolicyFileError or ConfigError when the file is missing, invalid or not sealed in a bundle
 */
export function loadPolicyFile(path: string | undefined): PolicyFile {
  if (!path) return validator('(AUTOPILOT_CONFIG is not set)').EMPTY_POLICY_FILE;
  const text = readPolicyFileText(path);
  if (extname(path) === '.json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new ConfigError(`policy file ${path} is not valid JSON`, { cause });
    }
    if (isSealedPolicyFile(value)) return openSealed(value, path);
    return validator(path).checkPolicyFile(value, path);
  }
  if (process.env.AUTOPILOT_BUNDLE !== 'true') {
    // Loaded here, not imported: in a bundle the condition is a constant, and esbuild leaves out a
    // require() in a branch that is never taken (with it the yaml package, 113 KiB minified).
    const { parsePolicyFile } = require('./policy-yaml') as typeof import('./policy-yaml');
    return parsePolicyFile(text, path);
  }
  throw new ConfigError(
    `policy file ${path} is not JSON: a bundle reads the policy file the build validated and sealed as JSON (.build/autopilot.json, npm run build)`,
  );
}

/**
 * The text of the policy file at `path`; a file larger than a policy file may be is refused before
 * it is read.
 *
 * @throws PolicyFileError when it is too large, ConfigError when it cannot be read
 */
export function readPolicyFileText(path: string): string {
  try {
    const { size } = statSync(path);
    if (size > POLICY_FILE_LIMITS.bytes) throw policyFileTooLarge(path, size);
    return readFileSync(path, 'utf8');
  } catch (cause) {
    if (cause instanceof PolicyFileError) throw cause;
    throw new ConfigError(`cannot read policy file ${path}`, { cause });
  }
}

const loaded = new Map<string, PolicyFile>();

/**
 * The policy file named by AUTOPILOT_CONFIG, read once per container (cold start).
 *
 * @throws PolicyFileError or ConfigError when it is missing, invalid or not sealed in a bundle
 */
export function policyFileFor(env: { AUTOPILOT_CONFIG?: string | undefined }): PolicyFile {
  const key = env.AUTOPILOT_CONFIG ?? '';
  let file = loaded.get(key);
  if (!file) {
    file = loadPolicyFile(env.AUTOPILOT_CONFIG);
    loaded.set(key, file);
  }
  return file;
}
