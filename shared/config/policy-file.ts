/**
 * The operator's policy file (`autopilot.yml`): named deploy policies, per-cluster defaults and
 * global limits. Validated by a strict zod schema (unknown keys are errors, so typos do not silently
 * disable a rule); errors name the YAML line and the field. The JSON Schema for editors is generated
 * from the same schema (`npm run schemas`).
 */
import { readFileSync } from 'node:fs';
import semver from 'semver';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { isValidTimeZone, parseClockTime } from '../domain/deploy/deploy-window';
import { DEPLOY_MODE } from '../domain/policy/deploy-mode';
import { parseDuration } from '../domain/policy/duration';
import { ConfigError } from '../errors';
import { NotificationsSchema } from './notifications';

const DurationSchema = z
  .string()
  .refine((v) => parseDuration(v) !== undefined, { message: 'expected a duration like 30s, 15m, 2h or 7d' });

const ClockSchema = z
  .string()
  .refine((v) => parseClockTime(v) !== undefined, { message: 'expected a 24h time HH:MM' });

/** A deploy window in local time of an IANA zone. */
export const DeployWindowSchema = z.strictObject({
  days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).min(1),
  start: ClockSchema,
  end: ClockSchema,
  timezone: z
    .string()
    .refine(isValidTimeZone, { message: 'expected an IANA time zone such as Europe/Berlin or UTC' }),
});

const GlobListSchema = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** Which pushed tags a policy accepts. All given filters must pass. */
export const TagFilterSchema = z.strictObject({
  glob: GlobListSchema.optional().describe('picomatch glob(s); any may match, e.g. release-*'),
  regex: z
    .string()
    .refine(
      (v) => {
        try {
          new RegExp(v);
          return true;
        } catch {
          return false;
        }
      },
      { message: 'not a valid regular expression' },
    )
    .optional()
    .describe('JavaScript regular expression the whole tag must match'),
  semver: z
    .string()
    .refine((v) => semver.validRange(v) !== null, { message: 'not a valid semver range' })
    .optional()
    .describe('semver range the version tag must satisfy, e.g. ">=1.2.0 <2"'),
});

/** How unhealthy deployments are handled. */
export const RollbackPolicySchema = z.strictObject({
  enabled: z
    .boolean()
    .optional()
    .describe('roll back unhealthy deployments (default true for opted-in services)'),
  bakeTime: DurationSchema.optional().describe(
    'after COMPLETED, how long without an unhealthy signal before a revision is known good (default 10m)',
  ),
  cooldown: DurationSchema.optional().describe(
    'at most one automatic rollback per service in this window (default 1h)',
  ),
  crashLoop: z
    .strictObject({ tasks: z.number().int().min(1), window: DurationSchema })
    .optional()
    .describe(
      'this many crashed tasks of the new revision within the window is unhealthy (default 3 in 10m)',
    ),
  alarms: z
    .array(z.string().min(1))
    .optional()
    .describe('CloudWatch alarms that mean unhealthy, besides the autopilot:alarms tag'),
});

const PolicyFields = {
  description: z.string().optional(),
  deploy: z
    .string()
    .regex(DEPLOY_MODE, { message: 'expected tag:<name>, semver:major|minor|patch, match or off' })
    .optional()
    .describe('mode used when the service has no autopilot:deploy tag'),
  tags: TagFilterSchema.optional(),
  allowPrerelease: z.boolean().optional().describe('semver pre-releases (1.5.0-rc.1) are deployable'),
  minImageAge: DurationSchema.optional().describe('supply-chain cooldown: wait this long after a push'),
  windows: z.array(DeployWindowSchema).optional().describe('deploy only inside one of these windows'),
  rollback: RollbackPolicySchema.optional(),
};

/** A named deploy policy. */
export const PolicySchema = z.strictObject(PolicyFields);

/** The whole policy file. */
export const PolicyFileSchema = z
  .strictObject({
    version: z.literal(1),
    maxServicesPerPush: z
      .number()
      .int()
      .positive()
      .default(25)
      .describe('blast-radius cap: a push that would update more services is refused'),
    defaults: PolicySchema.default({}).describe('applies to every opted-in service'),
    policies: z.record(z.string().regex(/^[A-Za-z0-9_.:/=+@-]{1,128}$/), PolicySchema).default({}),
    clusters: z
      .record(z.string().min(1), z.strictObject({ policy: z.string() }))
      .default({})
      .describe('cluster name (or glob) -> default policy for services without autopilot:policy'),
    notifications: NotificationsSchema.default(NotificationsSchema.parse({})).describe(
      'chat channels, routes and aggregation of autopilot events',
    ),
  })
  .superRefine((file, ctx) => {
    for (const [cluster, { policy }] of Object.entries(file.clusters)) {
      // Own keys only: `in` would accept inherited names such as "constructor" or "toString".
      if (!Object.hasOwn(file.policies, policy)) {
        ctx.addIssue({
          code: 'custom',
          path: ['clusters', cluster, 'policy'],
          message: `unknown policy "${policy}"`,
        });
      }
    }
  });

export type PolicyFile = z.infer<typeof PolicyFileSchema>;
export type Policy = z.infer<typeof PolicySchema>;
export type TagFilter = z.infer<typeof TagFilterSchema>;
export type RollbackPolicy = z.infer<typeof RollbackPolicySchema>;

/** One problem in a policy file, located for people. */
export interface PolicyFileIssue {
  line: number;
  column: number;
  path: string;
  message: string;
}

/** Thrown when a policy file is invalid; `issues` locate every problem. */
export class PolicyFileError extends ConfigError {
  /**
   * @param file - the file name, for messages
   * @param issues - the located problems
   */
  constructor(
    readonly file: string,
    readonly issues: PolicyFileIssue[],
  ) {
    super(issues.map((i) => `${file}:${i.line}:${i.column} ${i.path}: ${i.message}`).join('\n'));
  }
}

/** The policy file used when none is configured: nothing is deployed without an explicit opt-in tag. */
export const EMPTY_POLICY_FILE: PolicyFile = PolicyFileSchema.parse({ version: 1 });

function nodeAt(root: Node | null, path: readonly PropertyKey[]): Node | null {
  let node: Node | null = root;
  let last: Node | null = root;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      // Point at the key when the value is missing, so "policy: " shows its own line.
      node = pair ? ((pair.value as Node | null) ?? (pair.key as Node)) : null;
    } else if (isSeq(node) && typeof key === 'number') {
      node = (node.items[key] as Node | undefined) ?? null;
    } else {
      node = null;
    }
    if (node === null) break;
    last = node;
  }
  return node ?? last;
}

/**
 * Parses and validates a policy file's text.
 *
 * @param text - YAML text
 * @param file - name used in error messages
 * @throws PolicyFileError with line, column and field of every problem
 * @example
 * const policy = parsePolicyFile(readFileSync('autopilot.yml', 'utf8'), 'autopilot.yml');
 */
export function parsePolicyFile(text: string, file = 'autopilot.yml'): PolicyFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const locate = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    throw new PolicyFileError(
      file,
      doc.errors.map((e) => ({
        ...locate(e.pos[0]),
        path: '(yaml)',
        message: e.message.split('\n')[0] ?? '',
      })),
    );
  }
  const result = PolicyFileSchema.safeParse(doc.toJS() ?? {});
  if (!result.success) {
    throw new PolicyFileError(
      file,
      result.error.issues.map((issue) => {
        // An invalid record key (a policy name) is located at the key itself, not inside its value.
        const invalidKey = issue.code === 'invalid_key';
        const node = nodeAt(doc.contents, invalidKey ? issue.path.slice(0, -1) : issue.path);
        const badKey = invalidKey ? String(issue.path.at(-1)) : undefined;
        const unknownKey = issue.code === 'unrecognized_keys' ? issue.keys[0] : badKey;
        const keyNode =
          unknownKey !== undefined && isMap(node)
            ? node.items.find((p) => isScalar(p.key) && String(p.key.value) === unknownKey)?.key
            : undefined;
        const located = (keyNode as Node | undefined) ?? node;
        return {
          ...locate(located?.range?.[0]),
          path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
          message: issue.message,
        };
      }),
    );
  }
  return result.data;
}

/**
 * Reads and validates the policy file at `path`; an absent path yields {@link EMPTY_POLICY_FILE}.
 *
 * @throws PolicyFileError or ConfigError when the file is missing or invalid
 */
export function loadPolicyFile(path: string | undefined): PolicyFile {
  if (!path) return EMPTY_POLICY_FILE;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read policy file ${path}`, { cause });
  }
  return parsePolicyFile(text, path);
}

const loaded = new Map<string, PolicyFile>();

/**
 * The policy file named by AUTOPILOT_CONFIG, read and validated once per container (cold start).
 *
 * @throws PolicyFileError or ConfigError when it is missing or invalid
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
