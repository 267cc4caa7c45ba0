/**
 * The operator's policy file (`autopilot.yml`): named deploy policies, per-cluster defaults and
 * global limits. Validated by a strict zod schema (unknown keys are errors, so typos do not silently
 * disable a rule). People write YAML, read with line and field errors by `policy-yaml.ts` (the CLI,
 * the build, the sandbox, handlers run from source); the build writes the validated file as sealed
 * JSON (`.build/autopilot.json`), which is what the Lambda bundles read (`policy-file-reader.ts`), so
 * they carry neither the YAML parser nor these schemas.
 * The JSON Schema for editors is generated from the same schema (`npm run schemas`).
 */
import semver from 'semver';
import * as z from 'zod/mini';
import '../zod-messages';
import { isValidTimeZone, parseClockTime } from '../domain/deploy/deploy-window';
import { DEPLOY_MODE, DEPLOY_MODES_EXPECTED } from '../domain/policy/deploy-mode';
import { MAX_DURATION_MS, parseDuration } from '../domain/policy/duration';
import { compileGlob, compileTagRegex, MAX_GLOB_LENGTH, MAX_REGEX_LENGTH } from '../domain/policy/glob';
import { RESTART_MODES } from '../domain/policy/restart-policy';
import { GlobSchema, NotificationsSchema } from './notifications';
import { POLICY_FILE_LIMITS, PolicyFileError } from './policy-file-reader';
import { TagPoliciesSchema, TagPolicySettingsSchema } from './tag-policies';

export {
  loadPolicyFile,
  POLICY_FILE_LIMITS,
  PolicyFileError,
  type PolicyFileIssue,
  policyFileFor,
  policyFileTooLarge,
  readPolicyFileText,
  sealPolicyFile,
} from './policy-file-reader';

const MAX_DAYS = MAX_DURATION_MS / 86_400_000;

const DurationSchema = z.string().check(
  z.refine((v) => parseDuration(v) !== undefined, {
    message: `expected a duration like 30s, 15m, 2h or 7d, at most ${MAX_DAYS}d`,
  }),
);

const ClockSchema = z
  .string()
  .check(z.refine((v) => parseClockTime(v) !== undefined, { message: 'expected a 24h time HH:MM' }));

/** A deploy window in local time of an IANA zone. */
export const DeployWindowSchema = z.strictObject({
  days: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).check(z.minLength(1)),
  start: ClockSchema,
  end: ClockSchema,
  timezone: z.string().check(
    z.superRefine((zone, ctx) => {
      if (zone.length > 64 || !isValidTimeZone(zone)) {
        const bound = zone.length > 64 ? ' (at most 64 characters)' : '';
        ctx.addIssue({
          code: 'custom',
          message: `expected an IANA time zone such as Europe/Berlin or UTC${bound}`,
        });
      }
    }),
  ),
});

const GlobListSchema = z.union([GlobSchema, z.array(GlobSchema).check(z.minLength(1))]).check(
  z.superRefine((globs, ctx) => {
    if (Array.isArray(globs) && globs.length > POLICY_FILE_LIMITS.globs) {
      ctx.addIssue({
        code: 'custom',
        message: `at most ${POLICY_FILE_LIMITS.globs} globs, got ${globs.length}`,
      });
    }
  }),
);

/** Which pushed tags a policy accepts. All given filters must pass. */
export const TagFilterSchema = z.strictObject({
  glob: z
    .optional(GlobListSchema)
    .check(
      z.describe(
        `glob(s), picomatch syntax without extglobs, up to ${MAX_GLOB_LENGTH} characters; any may match, e.g. release-*`,
      ),
    ),
  regex: z
    .optional(
      z.string().check(
        z.maxLength(MAX_REGEX_LENGTH, {
          abort: true,
          message: `invalid regular expression: at most ${MAX_REGEX_LENGTH} characters`,
        }),
        z.superRefine((source, ctx) => {
          const compiled = compileTagRegex(source);
          if (!compiled.ok)
            ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${compiled.reason}` });
        }),
      ),
    )
    .check(
      z.describe(
        'regular expression the whole tag must match, RE2 syntax (no lookaround, no backreferences: matched in linear time), up to 256 characters',
      ),
    ),
  semver: z
    .optional(
      z
        .string()
        .check(z.refine((v) => semver.validRange(v) !== null, { message: 'not a valid semver range' })),
    )
    .check(z.describe('semver range the version tag must satisfy, e.g. ">=1.2.0 <2"')),
});

/** How unhealthy deployments are handled. */
export const RollbackPolicySchema = z.strictObject({
  enabled: z
    .optional(z.boolean())
    .check(z.describe('roll back unhealthy deployments (default true for opted-in services)')),
  bakeTime: z
    .optional(DurationSchema)
    .check(
      z.describe(
        'after COMPLETED, how long without an unhealthy signal before a revision is known good (default 10m)',
      ),
    ),
  cooldown: z
    .optional(DurationSchema)
    .check(z.describe('at most one automatic rollback per service in this window (default 1h)')),
  crashLoop: z
    .optional(
      z.strictObject({ tasks: z.number().check(z.int(), z.gte(1), z.lte(1000)), window: DurationSchema }),
    )
    .check(
      z.describe(
        'this many crashed tasks of the new revision within the window is unhealthy (default 3 in 10m)',
      ),
    ),
  alarms: z
    .optional(
      z
        .array(z.string().check(z.minLength(1), z.maxLength(255)))
        .check(z.maxLength(POLICY_FILE_LIMITS.alarms)),
    )
    .check(z.describe('CloudWatch alarms that mean unhealthy, besides the autopilot:alarms tag')),
});

const PolicyFields = {
  description: z.optional(z.string().check(z.maxLength(1000))),
  deploy: z
    .optional(z.string().check(z.regex(DEPLOY_MODE, { message: `expected ${DEPLOY_MODES_EXPECTED}` })))
    .check(
      z.describe(
        'mode used when the service has no autopilot:deploy tag: tag:<name>, semver:major|minor|patch, numeric[:<prefix>] (main-1234 after main-999), alphabetic[:<prefix>] (date stamps), match or off',
      ),
    ),
  tags: z.optional(TagFilterSchema),
  allowPrerelease: z
    .optional(z.boolean())
    .check(z.describe('semver pre-releases (1.5.0-rc.1) are deployable')),
  minImageAge: z
    .optional(DurationSchema)
    .check(z.describe('supply-chain cooldown: wait this long after a push')),
  windows: z
    .optional(z.array(DeployWindowSchema).check(z.maxLength(POLICY_FILE_LIMITS.windows)))
    .check(z.describe('deploy only inside one of these windows')),
  rollback: z.optional(RollbackPolicySchema),
  onRevert: z
    .optional(z.enum(['notify', 'redeploy']))
    .check(
      z.describe(
        'when someone else (CloudFormation, Terraform, a person) moves the service back to an older image: notify (default), or redeploy the image autopilot deployed once (a second revert within revertWindow pauses the service)',
      ),
    ),
  revertWindow: z
    .optional(DurationSchema)
    .check(
      z.describe('a second revert within this long pauses the service instead of redeploying (default 1h)'),
    ),
};

/**
 * A rule of `restart:`: which standalone tasks it opts in (every glob given must match; at least
 * one), how (the mode), and its backoff and limit. The first matching rule applies; a task's own
 * `autopilot:restart` tag says the mode before any rule.
 */
export const RestartRuleSchema = z.strictObject({
  match: z
    .strictObject({
      cluster: z.optional(GlobListSchema).check(z.describe('cluster name')),
      group: z.optional(GlobListSchema).check(z.describe('task group, e.g. family:worker')),
      family: z.optional(GlobListSchema).check(z.describe('task definition family')),
      startedBy: z.optional(GlobListSchema).check(z.describe('what RunTask was given as startedBy')),
    })
    .check(
      z.refine((m) => Object.values(m).some((v) => v !== undefined), {
        message: 'name at least one of cluster, group, family, startedBy',
      }),
    ),
  mode: z._default(z.enum(RESTART_MODES), 'on-failure'),
  backoff: z
    ._default(
      z.strictObject({
        initial: z._default(DurationSchema, '10s'),
        max: z._default(DurationSchema, '5m'),
        resetAfter: z._default(DurationSchema, '10m'),
      }),
      { initial: '10s', max: '5m', resetAfter: '10m' },
    )
    .check(
      z.describe(
        "like CrashLoopBackOff: initial doubling to max (at most 15m, SQS's longest delay), reset after a run of resetAfter",
      ),
    ),
  maxAttempts: z
    ._default(z.number().check(z.int(), z.gte(1), z.lte(100)), 5)
    .check(z.describe('restarts per chain before giving up')),
  launchSpecWait: z
    ._default(
      DurationSchema.check(
        z.refine((v) => (parseDuration(v) ?? Number.POSITIVE_INFINITY) <= 3_600_000, {
          message: 'at most 1h',
        }),
      ),
      '15m',
    )
    .check(
      z.describe(
        "how long a task that stopped before its RunTask record arrived waits for it (CloudTrail's delivery); 0s gives up at once",
      ),
    ),
});

/** A named deploy policy. */
export const PolicySchema = z.strictObject(PolicyFields);

/** The whole policy file. */
export const PolicyFileSchema = z
  .strictObject({
    version: z.literal(1),
    maxServicesPerPush: z
      ._default(z.number().check(z.int(), z.positive(), z.lte(10_000)), 25)
      .check(z.describe('blast-radius cap: a push that would update more services is refused')),
    defaults: z._default(PolicySchema, {}).check(z.describe('applies to every opted-in service')),
    policies: z._default(
      z.record(z.string().check(z.regex(/^[A-Za-z0-9_.:/=+@-]{1,128}$/)), PolicySchema),
      {},
    ),
    clusters: z
      ._default(z.record(z.string().check(z.minLength(1)), z.strictObject({ policy: z.string() })), {})
      .check(z.describe('cluster name (or glob) -> default policy for services without autopilot:policy')),
    notifications: z
      ._default(NotificationsSchema, NotificationsSchema.parse({}))
      .check(z.describe('chat channels, routes and aggregation of autopilot events')),
    restart: z
      ._default(z.array(RestartRuleSchema).check(z.maxLength(100)), [])
      .check(
        z.describe('standalone tasks restarted when they fail (besides those tagged autopilot:restart)'),
      ),
    tagPolicies: TagPoliciesSchema,
    tagPolicySettings: TagPolicySettingsSchema.check(z.describe('settings of every tag policy rule')),
    managedByTag: z
      .optional(z.string().check(z.regex(/^[A-Za-z0-9 _.:/=+@-]{1,128}$/)))
      .check(
        z.describe(
          'a service tag whose value names the tool that manages the service (e.g. managed-by=terraform); CloudFormation stacks are recognised by their own tag',
        ),
      ),
  })
  .check(
    z.superRefine((file, ctx) => {
      const counted = [
        ['policies', Object.keys(file.policies).length, POLICY_FILE_LIMITS.policies],
        ['clusters', Object.keys(file.clusters).length, POLICY_FILE_LIMITS.clusters],
      ] as const;
      for (const [field, count, max] of counted) {
        if (count > max)
          ctx.addIssue({ code: 'custom', path: [field], message: `at most ${max} entries, got ${count}` });
      }
      for (const cluster of Object.keys(file.clusters)) {
        const compiled = compileGlob(cluster);
        if (!compiled.ok) {
          ctx.addIssue({
            code: 'custom',
            path: ['clusters', cluster],
            message: `invalid glob: ${compiled.reason}`,
          });
        }
      }
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
    }),
  );

export type PolicyFile = z.infer<typeof PolicyFileSchema>;
export type Policy = z.infer<typeof PolicySchema>;
export type TagFilter = z.infer<typeof TagFilterSchema>;
export type RollbackPolicy = z.infer<typeof RollbackPolicySchema>;

/** The policy file used when none is configured: nothing is deployed without an explicit opt-in tag. */
export const EMPTY_POLICY_FILE: PolicyFile = PolicyFileSchema.parse({ version: 1 });

/**
 * Validates a policy file already read into a value (the JSON the build wrote). Its problems are
 * located by field only: JSON written by the build has been validated with lines already.
 *
 * @param value - the parsed file
 * @param file - name used in error messages
 * @throws PolicyFileError naming the field of every problem (line and column 1)
 */
export function checkPolicyFile(value: unknown, file: string): PolicyFile {
  const result = PolicyFileSchema.safeParse(value);
  if (result.success) return result.data;
  throw new PolicyFileError(
    file,
    result.error.issues.slice(0, POLICY_FILE_LIMITS.issues).map((issue) => ({
      line: 1,
      column: 1,
      path: issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)',
      message: issue.message,
    })),
    POLICY_FILE_LIMITS.issues,
    result.error.issues.length,
  );
}
