/**
 * The policy file's `tagPolicies:` rules and `tagPolicySettings:` (issue 14): which tags ECS and ECR
 * resources must carry, what values they may have, what autopilot adds, and what it does about the
 * rest. Refused with line and field (through `policy-yaml.ts`), so a rule can never be half-read:
 * unknown keys, patterns RE2 refuses, keys and values AWS would refuse, defaults the rule itself would
 * not allow, inheritance a type cannot have, a grace longer than 90 days. The vocabulary (types,
 * modes, sources, AWS's limits) is `shared/domain/tags/tag-rules.ts`; the evaluation reads the same.
 */
import * as z from 'zod/mini';
import '../zod-messages';
import { parseDuration } from '../domain/policy/duration';
import { MAX_REGEX_LENGTH } from '../domain/policy/glob';
import { type AllowedValues, compileAllowedRegex, isAllowed } from '../domain/tags/allowed';
import {
  CLUSTER_SCOPED_TYPES,
  INHERIT_SOURCES,
  INHERIT_SOURCES_OF,
  RULE_NAME,
  TAG_POLICY_MODES,
  TAG_RESOURCE_TYPES,
  type TagResourceType,
  tagKeyProblem,
  tagValueProblem,
  VIOLATION_TAG,
} from '../domain/tags/tag-rules';
import { GlobSchema } from './notifications';

/** Bounds of the tag policy section, far above any real one. */
export const TAG_POLICY_LIMITS = {
  rules: 100,
  /** keys a rule requires, allows, defaults, selects or exempts on, each */
  keys: 50,
  /** allowed values of one key */
  values: 100,
  globs: 50,
  /** the longest grace period: a mark's due date is on the resource for people to read */
  graceDays: 90,
  maxChangesPerRun: 1000,
} as const;

const MAX_GRACE_MS = TAG_POLICY_LIMITS.graceDays * 86_400_000;

/** A map whose keys are checked by `key`, each refused key located at itself with its own message. */
const keyedBy = <V extends z.ZodMiniType>(key: z.ZodMiniType<string>, value: V) =>
  z
    .record(key, value, {
      error: (issue) => (issue.code === 'invalid_key' ? issue.issues?.[0]?.message : undefined),
    })
    .check(
      z.refine((map) => Object.keys(map).length <= TAG_POLICY_LIMITS.keys, {
        message: `at most ${TAG_POLICY_LIMITS.keys} keys`,
      }),
    );

const problem = (check: (text: string) => string | undefined) =>
  z.string().check(
    z.superRefine((text, ctx) => {
      const found = check(text);
      if (found !== undefined) ctx.addIssue({ code: 'custom', message: found });
    }),
  );

/** A key autopilot may write (required, allowed, defaulted, inherited): no `aws:` prefix. */
const WritableKeySchema = problem((key) => {
  if (key === VIOLATION_TAG) return `key "${key}" is autopilot's own mark`;
  return tagKeyProblem(key, { writable: true });
});
/** A key autopilot only reads (selection and exemption by tag): `aws:` keys may be read. */
const ReadKeySchema = problem((key) => tagKeyProblem(key));
const TagValueSchema = problem(tagValueProblem);

const GlobListSchema = z.array(GlobSchema).check(z.minLength(1), z.maxLength(TAG_POLICY_LIMITS.globs));

const GraceSchema = z.string().check(
  z.superRefine((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms > MAX_GRACE_MS) {
      ctx.addIssue({
        code: 'custom',
        message: `expected a duration like 12h or 7d, at most ${TAG_POLICY_LIMITS.graceDays}d`,
      });
    }
  }),
);

/** What a rule allows for one key: a list or an RE2 expression, either ignoring case if asked. */
export const AllowedValuesSchema = z
  .strictObject({
    values: z
      .optional(z.array(TagValueSchema).check(z.minLength(1), z.maxLength(TAG_POLICY_LIMITS.values)))
      .check(z.describe('the values allowed')),
    regex: z
      .optional(
        z.string().check(
          z.maxLength(MAX_REGEX_LENGTH, {
            abort: true,
            message: `invalid regular expression: at most ${MAX_REGEX_LENGTH} characters`,
          }),
        ),
      )
      .check(
        z.describe(
          'regular expression the whole value must match, RE2 syntax (no lookaround, no backreferences), up to 256 characters',
        ),
      ),
    caseInsensitive: z
      .optional(z.boolean())
      .check(z.describe('compare values, or match the regex, ignoring case')),
  })
  .check(
    z.superRefine((allowed, ctx) => {
      if ((allowed.values === undefined) === (allowed.regex === undefined)) {
        ctx.addIssue({ code: 'custom', message: 'give either values or regex' });
      }
      if (allowed.regex !== undefined) {
        const compiled = compileAllowedRegex(allowed.regex, allowed.caseInsensitive === true);
        if (!compiled.ok) {
          ctx.addIssue({
            code: 'custom',
            path: ['regex'],
            message: `invalid regular expression: ${compiled.reason}`,
          });
        }
      }
    }),
  );

/** One rule of `tagPolicies:`. */
export const TagPolicyRuleSchema = z
  .strictObject({
    name: z.string().check(
      z.regex(RULE_NAME, {
        message:
          'expected 1 to 64 letters, digits or _ . : / = + - (the name is written in the violation mark)',
      }),
      z.describe('unique; written in the autopilot:violation mark'),
    ),
    description: z.optional(z.string().check(z.maxLength(1000))),
    resources: z
      .array(z.enum(TAG_RESOURCE_TYPES))
      .check(z.minLength(1), z.describe('the resource types the rule applies to')),
    clusters: z
      .optional(GlobListSchema)
      .check(
        z.describe('only resources in these clusters (globs); for ecs:cluster, ecs:service and ecs:task'),
      ),
    names: z
      .optional(GlobListSchema)
      .check(
        z.describe(
          'only resources with these names (globs): cluster, service, capacity provider or repository name, task definition family (also for tasks)',
        ),
      ),
    tags: z
      .optional(keyedBy(ReadKeySchema, GlobSchema))
      .check(z.describe('only resources carrying each of these tags with a value matching its glob')),
    required: z
      ._default(z.array(WritableKeySchema).check(z.maxLength(TAG_POLICY_LIMITS.keys)), [])
      .check(z.describe('tag keys every selected resource must carry')),
    allowed: z
      .optional(keyedBy(WritableKeySchema, AllowedValuesSchema))
      .check(z.describe('per key, the values allowed where the key is present')),
    defaults: z
      .optional(keyedBy(WritableKeySchema, TagValueSchema))
      .check(z.describe('per key, the value remediation adds when the key is missing')),
    inherit: z
      .optional(
        z.strictObject({
          keys: z
            .optional(z.array(WritableKeySchema).check(z.minLength(1), z.maxLength(TAG_POLICY_LIMITS.keys)))
            .check(z.describe('the keys inherited (default: the required keys)')),
          from: z
            .partialRecord(z.enum(TAG_RESOURCE_TYPES), z.array(z.enum(INHERIT_SOURCES)).check(z.minLength(1)))
            .check(
              z.describe(
                'per resource type, where a missing value comes from, first found first: ecs:service [cluster]; ecs:task [service, task-definition, cluster]; ecs:task-definition [family]',
              ),
            ),
        }),
      )
      .check(z.describe('values remediation takes from related resources, before defaults')),
    exempt: z.optional(
      z.strictObject({
        tags: z
          .optional(keyedBy(ReadKeySchema, GlobSchema))
          .check(z.describe('a resource carrying any of these tags (value matching the glob) is exempt')),
        arns: z
          .optional(GlobListSchema)
          .check(z.describe('ARN globs of exempt resources (* stops at /, ** does not)')),
      }),
    ),
    mode: z
      ._default(z.enum(TAG_POLICY_MODES), 'audit')
      .check(
        z.describe(
          'audit: report and mark; remediate: also add defaults and inherited values; enforce: act after the grace',
        ),
      ),
    grace: z
      ._default(GraceSchema, '7d')
      .check(z.describe('how long after a violation is marked enforce acts (at most 90d)')),
    actions: z
      ._default(
        z.strictObject({
          stopTask: z.optional(z.boolean()).check(z.describe('stop an offending standalone task')),
          scaleServiceToZero: z
            .optional(z.boolean())
            .check(
              z.describe(
                'scale an offending service to zero, remembering its desired count (restored once it complies)',
              ),
            ),
        }),
        {},
      )
      .check(z.describe('what enforce may do, opted in per kind; anything else is only notified')),
  })
  .check(
    z.superRefine((rule, ctx) => {
      if (rule.clusters !== undefined) {
        const outside = rule.resources.filter((type) => !CLUSTER_SCOPED_TYPES.includes(type));
        if (outside.length > 0) {
          ctx.addIssue({
            code: 'custom',
            path: ['clusters'],
            message: `clusters selects only ${CLUSTER_SCOPED_TYPES.join(', ')}; the rule also names ${outside.join(', ')}`,
          });
        }
      }
      for (const [key, value] of Object.entries(rule.defaults ?? {})) {
        const allowed: AllowedValues | undefined = rule.allowed?.[key];
        if (allowed && !isAllowed(allowed, value)) {
          ctx.addIssue({
            code: 'custom',
            path: ['defaults', key],
            message: `default "${value}" is not among the values allowed for ${key}`,
          });
        }
      }
      for (const [type, sources] of Object.entries(rule.inherit?.from ?? {})) {
        const possible = INHERIT_SOURCES_OF[type as TagResourceType];
        if (!rule.resources.includes(type as TagResourceType)) {
          ctx.addIssue({
            code: 'custom',
            path: ['inherit', 'from', type],
            message: `the rule does not select ${type}`,
          });
        }
        sources.forEach((source, index) => {
          if (!possible.includes(source)) {
            ctx.addIssue({
              code: 'custom',
              path: ['inherit', 'from', type, index],
              message: `${type} cannot inherit from ${source}; ${
                possible.length > 0 ? `it can from ${possible.join(', ')}` : 'it inherits from nothing'
              }`,
            });
          }
        });
      }
    }),
  );

/** The whole `tagPolicies:` list: rule names are unique (marks and events name them). */
export const TagPoliciesSchema = z
  ._default(z.array(TagPolicyRuleSchema).check(z.maxLength(TAG_POLICY_LIMITS.rules)), [])
  .check(
    z.superRefine((rules, ctx) => {
      const seen = new Set<string>();
      rules.forEach((rule, index) => {
        if (seen.has(rule.name)) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'name'],
            message: `rule name "${rule.name}" is used twice`,
          });
        }
        seen.add(rule.name);
      });
    }),
    z.describe('tag policies: the tags ECS and ECR resources must carry, and what autopilot does about it'),
  );

/** `tagPolicySettings:`, for every rule. */
export const TagPolicySettingsSchema = z._default(
  z.strictObject({
    maxChangesPerRun: z
      ._default(z.number().check(z.int(), z.gte(1), z.lte(TAG_POLICY_LIMITS.maxChangesPerRun)), 50)
      .check(z.describe('blast-radius cap: a run that would change more resources changes none and says so')),
  }),
  { maxChangesPerRun: 50 },
);

export type TagPolicyRule = z.infer<typeof TagPolicyRuleSchema>;
export type TagPolicySettings = z.infer<typeof TagPolicySettingsSchema>;
