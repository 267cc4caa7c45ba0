/**
 * tag-policies: holds ECS and ECR resources to the policy file's tag policies (issue 14): audit,
 * remediate, enforce after a grace period. Triggered by the CloudTrail records of the ECS and ECR
 * calls that create or retag a resource (each resource the call touched is evaluated by itself,
 * seconds after it; autopilot's own calls are ignored), and by a schedule that sweeps the account page
 * by page, going on from its checkpoint in the next invocation, and publishes one summary a sweep.
 */
import * as z from 'zod/mini';
import { makeTagPolicyDeps } from '../shared/adapters/compose-tags';
import { BaseEnvSchema } from '../shared/config/env';
import { durationPattern, parseDuration } from '../shared/domain/policy/duration';
import type { TagDecision } from '../shared/domain/tags/tag-plan';
import { evaluateOne } from '../shared/domain/tags/tag-policies';
import { sweepTags, type TagSweepSummary } from '../shared/domain/tags/tag-sweep';
import { tagResourceTypeOf, touchedResources } from '../shared/domain/tags/tag-triggers';
import { EcrCloudTrailApiCallEventSchema } from '../shared/events/ecr-cloudtrail-api-call';
import { EcsCloudTrailApiCallEventSchema } from '../shared/events/ecs-cloudtrail-api-call';
import { ScheduledEventSchema } from '../shared/events/scheduled-event';
import { withHandler } from '../shared/middleware/with-handler';

// ECS's and ECR's records share their detail-type: the union tells them apart by `source`.
const TagPolicyEventSchema = z.union([
  EcsCloudTrailApiCallEventSchema,
  EcrCloudTrailApiCallEventSchema,
  ScheduledEventSchema,
]);

/**
 * The environment: how often a sweep starts (the schedule wakes the function more often, so a sweep
 * longer than one invocation goes on from its checkpoint), and the stack whose roles are autopilot's
 * own (`<service>-<stage>`: their calls are not evaluated again).
 */
const TagPolicyEnvSchema = z.extend(BaseEnvSchema, {
  AUTOPILOT_TAG_SWEEP_PERIOD: z._default(z.string().check(z.regex(durationPattern())), '24h'),
  AUTOPILOT_STACK: z._default(z.string().check(z.minLength(1)), 'ecs-autopilot'),
});

/** Time kept back from the deadline for the page under way, the checkpoint and the answer. */
const RESERVE_MS = 15_000;

/** What a CloudTrail call came to: the decisions about the resources it touched, or why there were none. */
interface CallOutcome {
  decisions: TagDecision[];
  ignored?: string;
}

/** The Lambda handler. Decisions converge on the resources' tags, so even a replay is harmless. */
export const handler = withHandler({
  name: 'tag-policies',
  envSchema: TagPolicyEnvSchema,
  eventSchema: TagPolicyEventSchema,
  idempotencyKey: 'id',
}).handler(async (event, { env, lambdaContext }): Promise<CallOutcome | TagSweepSummary> => {
  const deps = makeTagPolicyDeps(env, event.id);
  // Nothing to hold resources to: no resource is read, no summary is told.
  if (deps.rules.length === 0) return { decisions: [], ignored: 'the policy file has no tag policies' };
  if (event.source === 'aws.events') {
    // A summary, not every decision: the idempotency record must not grow with the account.
    const deadline = new Date(deps.now().getTime() + lambdaContext.getRemainingTimeInMillis() - RESERVE_MS);
    const periodMs = parseDuration(env.AUTOPILOT_TAG_SWEEP_PERIOD) ?? 0;
    return sweepTags({ triggeredBy: event.id, deadline, periodMs }, deps);
  }
  const touched = touchedResources(event.detail, env.AUTOPILOT_STACK);
  if ('ignored' in touched) return { decisions: [], ignored: touched.ignored };
  // A kind no rule covers is not read (a storm of RunTask records costs no DescribeTasks); a mark a
  // removed rule left on it is cleared by the sweep.
  const covered = new Set(deps.rules.flatMap((rule) => rule.resources));
  const arns = touched.arns.filter((arn) => {
    const type = tagResourceTypeOf(arn);
    return type !== undefined && covered.has(type);
  });
  if (arns.length === 0) return { decisions: [], ignored: `no tag policy covers ${touched.arns.join(', ')}` };
  const decisions: TagDecision[] = [];
  for (const arn of arns) decisions.push(...(await evaluateOne(arn, deps)).decisions);
  return { decisions };
});
