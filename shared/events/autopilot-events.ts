/**
 * Contracts of the events autopilot publishes on its bus (`source: "autopilot"`). Other teams may
 * subscribe to them; JSON Schemas generated from these zod schemas are published in `schemas/`.
 */
import * as z from 'zod/mini';
import '../zod-messages';
import { INHERIT_SOURCES, TAG_POLICY_MODES, TAG_RESOURCE_TYPES } from '../domain/tags/tag-rules';

/** The `source` of every event autopilot publishes. */
export const AUTOPILOT_SOURCE = 'autopilot' as const;

export const DEPLOYMENT_STARTED = 'Deployment Started' as const;
export const DEPLOYMENT_SCHEDULED = 'Deployment Scheduled' as const;
export const ACTION_FAILED = 'Action Failed' as const;
export const DEPLOYMENT_ROLLED_BACK = 'Deployment Rolled Back' as const;
export const ROLLBACK_FAILED = 'Rollback Failed' as const;
export const IMAGE_QUARANTINED = 'Image Quarantined' as const;
export const DEPLOYMENT_SUCCEEDED = 'Deployment Succeeded' as const;
export const CONFIGURATION_PROBLEM = 'Configuration Problem' as const;
export const TASK_RESTARTED = 'Task Restarted' as const;
export const TASK_RESTART_ABANDONED = 'Task Restart Abandoned' as const;
export const TAG_POLICY_VIOLATION = 'Tag Policy Violation' as const;
export const TAG_POLICY_REMEDIATED = 'Tag Policy Remediated' as const;
export const TAG_POLICY_ENFORCED = 'Tag Policy Enforced' as const;
export const TAG_POLICY_RESTORED = 'Tag Policy Restored' as const;
export const TAG_POLICY_SUMMARY = 'Tag Policy Summary' as const;
export const DEPLOYMENT_REVERTED = 'Deployment Reverted' as const;

/**
 * What stopped a standalone task, as the restart capability classifies it (`domain/restart/classify.ts`),
 * from its `stopCode`, `stoppedReason` and the essential containers' exit codes and reasons.
 */
export const STOP_CLASSES = [
  /** an essential container exited with a code other than 0 */
  'exited-non-zero',
  /** an essential container was killed for its memory (exit 137, OutOfMemoryError) */
  'out-of-memory',
  /** every essential container exited 0: the work is done */
  'exited-zero',
  /** a person or a program called StopTask (UserInitiated) */
  'stopped-by-user',
  /** a service's scheduler stopped it (ServiceSchedulerInitiated) */
  'stopped-by-scheduler',
  /** autopilot stopped it itself */
  'stopped-by-autopilot',
  /** its capacity went away (SpotInterruption, TerminationNotice): the work did not fail */
  'capacity-lost',
  /** it failed to start for a reason that can heal (capacity, throttling, a transient pull or network error) */
  'failed-to-start-transient',
  /** it failed to start for a reason that will not heal (image or tag not found, role or secret missing, invalid configuration) */
  'failed-to-start-permanent',
  /** RunTask answered with failures[] for autopilot's restart */
  'run-task-failed',
  /** a stop code or reason autopilot does not know */
  'unknown',
] as const;

/** One of {@link STOP_CLASSES}. */
export type StopClass = (typeof STOP_CLASSES)[number];

const serviceFields = () => ({
  cluster: z.string().check(z.describe('cluster name')),
  service: z.string().check(z.describe('service name')),
  serviceArn: z.string(),
});

const imageFields = () => ({
  repository: z.string().check(z.describe('ECR repository name')),
  tag: z.string().check(z.describe('the pushed tag')),
  digest: z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/)),
});

/** A service was pointed at a new task-definition revision whose images are pinned by digest. */
const deploymentStarted = () =>
  z.strictObject({
    ...serviceFields(),
    ...imageFields(),
    image: z.string().check(z.describe('the image reference written into the containers')),
    containers: z.array(z.string()).check(z.describe('the containers whose image changed')),
    fromTaskDefinition: z.string(),
    toTaskDefinition: z.string(),
    reason: z.string(),
    managedBy: z
      .optional(z.string())
      .check(
        z.describe(
          'who manages the service (a CloudFormation stack, or the tool managedByTag names): its next apply may revert this',
        ),
      ),
    dryRun: z.boolean(),
    triggeredBy: z.string().check(z.describe('id of the event that caused the deployment')),
  });

/** A push is eligible but waits for its cooldown or deploy window. */
const deploymentScheduled = () =>
  z.strictObject({
    ...serviceFields(),
    ...imageFields(),
    dueAt: z.iso.datetime(),
    reason: z.string(),
    dryRun: z.boolean(),
    triggeredBy: z.string(),
  });

/** What autopilot did about a revert: told people, deployed its revision again once, or paused the service. */
export const REVERT_ACTIONS = ['notified', 'redeployed', 'paused'] as const;

/**
 * Someone else (a person, CloudFormation, Terraform) moved a service off the image autopilot deployed
 * to an older one (CloudTrail UpdateService by another principal).
 */
const deploymentReverted = () =>
  z.strictObject({
    ...serviceFields(),
    ...imageFields(),
    deployedTaskDefinition: z
      .string()
      .check(z.describe('the revision autopilot deployed, running the digest')),
    revertedTo: z.string().check(z.describe('the revision the other principal pointed the service at')),
    revertedImage: z
      .optional(z.string())
      .check(z.describe("that revision's image of the repository, as written")),
    by: z.string().check(z.describe("the principal's ARN, as CloudTrail shows it")),
    managedBy: z
      .optional(z.string())
      .check(
        z.describe('who manages the service: a CloudFormation stack, or the tool its managedByTag names'),
      ),
    action: z.enum(REVERT_ACTIONS),
    pausedUntil: z.optional(z.iso.datetime()).check(z.describe('paused: until when')),
    reason: z.string(),
    dryRun: z.boolean(),
    triggeredBy: z.string().check(z.describe('the CloudTrail event of the UpdateService')),
  });

/** Autopilot decided to act but could not; nothing was half-applied. */
const actionFailed = () =>
  z.strictObject({
    action: z.string().check(z.describe('e.g. deploy')),
    cluster: z.optional(z.string()),
    service: z.optional(z.string()),
    serviceArn: z.optional(z.string()),
    reason: z.string(),
    dryRun: z.boolean(),
    triggeredBy: z.string(),
  });

const signalSchema = () =>
  z.strictObject({
    kind: z.enum(['deployment-failed', 'alarm', 'crash-loop', 'manual']),
    reason: z.string(),
    at: z.iso.datetime(),
  });

/** A service was returned to an earlier revision (by autopilot, by ECS itself, or by a person). */
const deploymentRolledBack = () =>
  z.strictObject({
    ...serviceFields(),
    fromTaskDefinition: z.string(),
    toTaskDefinition: z.string(),
    reason: z.string(),
    by: z.enum(['autopilot', 'ecs', 'person']).check(z.describe('who rolled back')),
    method: z
      .enum(['stop-deployment', 'update-service', 'none'])
      .check(z.describe('how autopilot rolled back (none: ECS did)')),
    signals: z.array(signalSchema()),
    dryRun: z.boolean(),
    triggeredBy: z.string(),
  });

/** The rollback deployment is unhealthy too; autopilot stops there (never rolls back a rollback). */
const rollbackFailed = () =>
  z.strictObject({
    ...serviceFields(),
    taskDefinition: z.string(),
    reason: z.string(),
    signals: z.array(signalSchema()),
    dryRun: z.boolean(),
    triggeredBy: z.string(),
  });

/** An image was quarantined: deploy on push will not deploy this digest again until released. */
const imageQuarantined = () =>
  z.strictObject({
    repository: z.string(),
    digest: z.string().check(z.regex(/^sha256:[0-9a-f]{64}$/)),
    reason: z.string(),
    cluster: z.optional(z.string()),
    service: z.optional(z.string()),
    taskDefinition: z
      .optional(z.string())
      .check(z.describe('the revision that ran the image when it was found unhealthy')),
    dryRun: z.boolean(),
    triggeredBy: z.string(),
  });

/** A deployment completed and baked without an unhealthy signal: its revision is the last known good. */
const deploymentSucceeded = () =>
  z.strictObject({
    ...serviceFields(),
    taskDefinition: z.string(),
    deploymentId: z.string(),
    bakedUntil: z.iso.datetime(),
    dryRun: z.boolean(),
  });

/**
 * A tag on an ECS service that autopilot cannot use (a deploy mode with a typo, an unknown policy, a
 * rollback switch that is not on or off), announced once per service, tag and value; and once more,
 * with `resolved: true`, when the problem is gone.
 */
const configurationProblem = () =>
  z.strictObject({
    ...serviceFields(),
    tagKey: z.string().check(z.describe('the service tag, e.g. autopilot:deploy')),
    tagValue: z.string().check(z.describe('the value that has the problem')),
    problem: z
      .string()
      .check(
        z.describe(
          'what is wrong and what is expected, e.g. autopilot:deploy value "tags:main" is not tag:<name>, …',
        ),
      ),
    effect: z
      .optional(z.string())
      .check(z.describe('what autopilot does with the service until the tag is fixed (not on a resolution)')),
    suggestion: z.optional(z.string()).check(z.describe('the value the tag was probably meant to have')),
    resolved: z.boolean().check(z.describe('true when the tag no longer has the problem announced earlier')),
    dryRun: z.boolean(),
    triggeredBy: z
      .string()
      .check(z.describe('id of the event (tag change, deployment, reconcile) that found it')),
  });

const restartChainFields = () => ({
  cluster: z.string().check(z.describe('cluster name')),
  clusterArn: z.string(),
  group: z.optional(z.string()).check(z.describe('the task group, e.g. family:worker')),
  taskDefinition: z.string().check(z.describe('the task-definition revision the chain runs')),
  chainId: z
    .string()
    .check(
      z.describe('the chain: the id of the first task that failed; every restart of it carries this id'),
    ),
  attempt: z
    .number()
    .check(z.int(), z.gte(0), z.describe('restarts made so far in the chain (this one included)')),
  maxAttempts: z.number().check(z.int(), z.gte(1), z.describe('restarts the chain may make')),
  class: z.enum(STOP_CLASSES).check(z.describe('what stopped the last task')),
});

/** A standalone task that failed was started again with the launch spec it was started with. */
const taskRestarted = () =>
  z.strictObject({
    ...restartChainFields(),
    previousTaskArn: z.string().check(z.describe('the task that stopped')),
    taskArn: z.optional(z.string()).check(z.describe('the new task (absent in a dry run)')),
    stopReason: z.string().check(z.describe('why the previous task stopped, as ECS and its containers said')),
    delaySeconds: z.number().check(z.int(), z.gte(0), z.describe('the backoff waited before this restart')),
    reason: z.string(),
    dryRun: z.boolean(),
    triggeredBy: z.string().check(z.describe('id of the event that stopped the previous task')),
  });

/** Autopilot gave up restarting a chain: attempts used up, a stop that cannot heal, or a launch spec unknown. */
const taskRestartAbandoned = () =>
  z.strictObject({
    ...restartChainFields(),
    lastTaskArn: z.string().check(z.describe('the last task of the chain, the one that stopped')),
    reason: z.string().check(z.describe('why autopilot gave up')),
    lastReasons: z
      .array(z.string())
      .check(z.maxLength(10), z.describe("why the chain's last tasks stopped, the latest first")),
    dryRun: z.boolean(),
    triggeredBy: z.string(),
  });

// ---------------------------------------------------------------------------------------------------
// Tag policies (issue 14). Their strings and lists are bounded: a resource's tags and a rule's
// violations come from whoever may tag a resource, and a detail must stay within what EventBridge
// takes (256 KB) and what a chat message can show.

/** How much of a tag policy event may hold. */
export const TAG_EVENT_LIMITS = {
  /** a resource's user tags (AWS's own limit: 50 per resource) */
  tags: 50,
  /** violations or additions of one rule on one resource */
  violations: 100,
  /** AWS's limit problems listed on a violation */
  limits: 20,
  /** rows of a summary: at most 100 rules by 6 resource types */
  summaryRows: 600,
  arn: 2048,
  name: 255,
  text: 2000,
} as const;

const arnText = () => z.string().check(z.minLength(1), z.maxLength(TAG_EVENT_LIMITS.arn));
const nameText = () => z.string().check(z.minLength(1), z.maxLength(TAG_EVENT_LIMITS.name));
const longText = () => z.string().check(z.maxLength(TAG_EVENT_LIMITS.text));
/** A mark's due date, to the minute as the `autopilot:violation` tag carries it (`2026-12-11T01:45Z`). */
const markDue = () =>
  z
    .string()
    .check(
      z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/),
      z.describe('when the grace ends, to the minute (UTC)'),
    );

/** The resource a tag policy event is about, with its own tags: routes pick its owner's channels by them. */
const tagResourceFields = () => ({
  resourceType: z.enum(TAG_RESOURCE_TYPES),
  resourceArn: arnText(),
  name: nameText().check(
    z.describe(
      "the cluster, service, capacity provider or repository name; a task definition's or a task's family",
    ),
  ),
  cluster: z.optional(nameText()).check(z.describe('the cluster of a service or a task')),
  service: z.optional(nameText()).check(z.describe('the service that started a task')),
  rule: z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(64),
      z.describe('the tag policy rule (policy file tagPolicies[].name)'),
    ),
  tags: z
    .record(z.string().check(z.minLength(1), z.maxLength(128)), z.string().check(z.maxLength(256)))
    .check(
      z.refine((tags) => Object.keys(tags).length <= TAG_EVENT_LIMITS.tags, {
        message: `at most ${TAG_EVENT_LIMITS.tags} tags`,
      }),
      z.describe(
        "the resource's user tags as autopilot leaves them (what it added included; aws: tags left out), for routing",
      ),
    ),
});

/** A required key missing, or a present value the rule does not allow, with what it allows. */
const tagViolation = () =>
  z.discriminatedUnion('problem', [
    z.strictObject({
      key: z.string().check(z.minLength(1), z.maxLength(128)),
      problem: z.literal('missing'),
    }),
    z.strictObject({
      key: z.string().check(z.minLength(1), z.maxLength(128)),
      problem: z.literal('not-allowed'),
      value: z.string().check(z.maxLength(256)),
      allowed: longText().check(
        z.describe('what the rule allows, in words: "one of prod, staging", "matching /cc-[0-9]{4}/"'),
      ),
    }),
  ]);

const tagViolations = () => z.array(tagViolation()).check(z.maxLength(TAG_EVENT_LIMITS.violations));

/**
 * What enforcement does once a violation's mark is due: stop the task, scale the service to zero,
 * only notify (enforce, and no safe action is opted in), or nothing but report (audit, remediate).
 */
export const TAG_ENFORCEMENTS = ['stop-task', 'scale-to-zero', 'notify-only', 'report-only'] as const;

/** A resource does not comply with a rule, and was marked with the date its grace ends. */
const tagPolicyViolation = () =>
  z.strictObject({
    ...tagResourceFields(),
    mode: z.enum(TAG_POLICY_MODES),
    violations: tagViolations().check(z.minLength(1)),
    due: markDue(),
    whenDue: z.enum(TAG_ENFORCEMENTS).check(z.describe('what enforcement does once the mark is due')),
    limits: z
      .array(longText())
      .check(
        z.maxLength(TAG_EVENT_LIMITS.limits),
        z.describe("AWS's limits in the way: too many tags, keys AWS refuses, an ARN that cannot be tagged"),
      ),
    reason: longText(),
    dryRun: z.boolean(),
    triggeredBy: z
      .string()
      .check(
        z.maxLength(TAG_EVENT_LIMITS.name),
        z.describe('id of the event (CloudTrail call, sweep) that found it'),
      ),
  });

/** Autopilot added tags a rule asks for: inherited from a parent, else the rule's default. */
const tagPolicyRemediated = () =>
  z.strictObject({
    ...tagResourceFields(),
    added: z
      .array(
        z.strictObject({
          key: z.string().check(z.minLength(1), z.maxLength(128)),
          value: z.string().check(z.maxLength(256)),
          from: z
            .enum([...INHERIT_SOURCES, 'default'])
            .check(z.describe('the parent it was inherited from, or default')),
        }),
      )
      .check(z.minLength(1), z.maxLength(TAG_EVENT_LIMITS.tags)),
    remaining: tagViolations().check(
      z.describe('what the additions could not fix (a Tag Policy Violation says it too)'),
    ),
    reason: longText(),
    dryRun: z.boolean(),
    triggeredBy: z.string().check(z.maxLength(TAG_EVENT_LIMITS.name)),
  });

/** A violation's grace ended under an enforce rule: the task stopped, the service scaled to zero, or only told. */
const tagPolicyEnforced = () =>
  z.strictObject({
    ...tagResourceFields(),
    action: z.enum(['stopped-task', 'scaled-to-zero', 'notify-only']),
    desiredCount: z
      .optional(z.number().check(z.int(), z.gte(1)))
      .check(
        z.describe(
          'the desired count autopilot keeps, to restore once the service complies (scaled-to-zero)',
        ),
      ),
    violations: tagViolations().check(z.minLength(1)),
    due: markDue(),
    reason: longText().check(z.describe('why: the violations, the grace ended, and why only notify when so')),
    dryRun: z.boolean(),
    triggeredBy: z.string().check(z.maxLength(TAG_EVENT_LIMITS.name)),
  });

/** A resource's mark was cleared, or a service autopilot scaled to zero got its desired count back. */
const tagPolicyRestored = () =>
  z.strictObject({
    ...tagResourceFields(),
    restored: z.enum(['desired-count', 'mark-cleared']),
    desiredCount: z
      .optional(z.number().check(z.int(), z.gte(1)))
      .check(z.describe('the desired count given back (desired-count)')),
    markCleared: z.boolean().check(z.describe('whether a violation mark was cleared')),
    due: z.optional(markDue()).check(z.describe('the due date of the mark cleared')),
    because: z
      .enum(['complies', 'exempt', 'rule-removed', 'rule-no-longer-selects'])
      .check(z.describe('why: it complies, it became exempt, or its rule no longer applies to it')),
    reason: longText(),
    dryRun: z.boolean(),
    triggeredBy: z.string().check(z.maxLength(TAG_EVENT_LIMITS.name)),
  });

const summaryCount = () => z.number().check(z.int(), z.gte(0));

/** One rule and one resource type of a sweep: how many resources ended up where. */
const tagSummaryRow = () =>
  z.strictObject({
    rule: z.string().check(z.minLength(1), z.maxLength(64)),
    resourceType: z.enum(TAG_RESOURCE_TYPES),
    compliant: summaryCount().check(z.describe('comply after this run (remediated ones included)')),
    violating: summaryCount().check(z.describe('still violate after this run (those enforced included)')),
    exempt: summaryCount(),
    skipped: summaryCount().check(
      z.describe('held: the run would have changed more resources than maxChangesPerRun'),
    ),
    remediated: summaryCount().check(z.describe('had tags added')),
    enforced: summaryCount().check(z.describe('stopped or scaled to zero')),
    restored: summaryCount().check(z.describe('had a mark cleared or a desired count given back')),
  });

/** What a sweep found: counts per rule and resource type. */
const tagPolicySummary = () =>
  z.strictObject({
    sweepId: z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(TAG_EVENT_LIMITS.name),
        z.describe('the sweep: every part of it carries this id'),
      ),
    complete: z
      .boolean()
      .check(
        z.describe(
          'false: the account is larger than one invocation, the sweep goes on from where it stopped',
        ),
      ),
    resourcesSeen: summaryCount(),
    rows: z.array(tagSummaryRow()).check(z.maxLength(TAG_EVENT_LIMITS.summaryRows)),
    overCap: z
      .optional(z.strictObject({ changes: summaryCount(), max: summaryCount() }))
      .check(
        z.describe('the run would have changed more resources than maxChangesPerRun, so it changed none'),
      ),
    dryRun: z.boolean(),
    triggeredBy: z
      .string()
      .check(z.maxLength(TAG_EVENT_LIMITS.name), z.describe('id of the schedule event that started the run')),
  });

/**
 * Every autopilot event's schema, keyed by detail-type. Each is built on first use and kept: a
 * function builds only the schemas of the events it publishes or reads, when it does, instead of
 * all of them at every cold start (about 5 ms of a bundle's import; docs/ARCHITECTURE.md, "What a
 * cold start pays for"). The keys are there from the start (`Object.keys` builds nothing).
 */
export const AutopilotEventSchemas = builtOnFirstUse({
  [DEPLOYMENT_STARTED]: deploymentStarted,
  [DEPLOYMENT_SCHEDULED]: deploymentScheduled,
  [DEPLOYMENT_REVERTED]: deploymentReverted,
  [ACTION_FAILED]: actionFailed,
  [DEPLOYMENT_ROLLED_BACK]: deploymentRolledBack,
  [ROLLBACK_FAILED]: rollbackFailed,
  [IMAGE_QUARANTINED]: imageQuarantined,
  [DEPLOYMENT_SUCCEEDED]: deploymentSucceeded,
  [CONFIGURATION_PROBLEM]: configurationProblem,
  [TASK_RESTARTED]: taskRestarted,
  [TASK_RESTART_ABANDONED]: taskRestartAbandoned,
  [TAG_POLICY_VIOLATION]: tagPolicyViolation,
  [TAG_POLICY_REMEDIATED]: tagPolicyRemediated,
  [TAG_POLICY_ENFORCED]: tagPolicyEnforced,
  [TAG_POLICY_RESTORED]: tagPolicyRestored,
  [TAG_POLICY_SUMMARY]: tagPolicySummary,
});

/** An object with the keys of `builders` whose values are built by them on first read, then kept. */
function builtOnFirstUse<T extends Record<string, () => z.ZodMiniType>>(
  builders: T,
): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const built = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const key of Object.keys(builders) as (keyof T)[]) {
    Object.defineProperty(built, key, {
      enumerable: true,
      configurable: true,
      get() {
        const value = builders[key]?.();
        Object.defineProperty(built, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return built;
}

export type AutopilotDetailType = keyof typeof AutopilotEventSchemas;

/** An autopilot event before it is put on the bus. */
export type AutopilotEvent = {
  [K in AutopilotDetailType]: { detailType: K; detail: z.infer<(typeof AutopilotEventSchemas)[K]> };
}[AutopilotDetailType];
