/**
 * Builds tag-policies' ports from the validated environment: the ECS and ECR readers (in sweep order:
 * ECS, then ECR), writers and the enforcer, the marks and the sweep's checkpoint on the table, the
 * events of every run published as its decisions are carried out, and the policy file's rules.
 * Kept apart from the other compositions so the bundle, and its role (`test/contract/iam.test.ts`),
 * holds only the calls tag policies make.
 */
import type { BaseEnv } from '../config/env';
import { policyFileFor } from '../config/policy-file-reader';
import { tagEvents } from '../domain/tags/tag-events';
import type { TagSweepDeps } from '../domain/tags/tag-sweep';
import { EcrTaggedResources, EcrTagWriter } from './aws/ecr-tags';
import { EcsTagEnforcer, EcsTaggedResources, EcsTagWriter } from './aws/ecs-tags';
import { EventBridgePublisher } from './aws/event-publisher';
import { DynamoTagMarks } from './state/dynamo-tag-marks';
import { DynamoTagSweep } from './state/dynamo-tag-sweep';

/**
 * Everything tag policies need, on AWS.
 *
 * @param triggeredBy - id of the event of this invocation: the events it publishes name it
 */
export function makeTagPolicyDeps(env: BaseEnv, triggeredBy: string): TagSweepDeps {
  const { tagPolicies: rules, tagPolicySettings: settings } = policyFileFor(env);
  const events = new EventBridgePublisher(env.AUTOPILOT_BUS);
  return {
    readers: [new EcsTaggedResources(), new EcrTaggedResources()],
    writers: [new EcsTagWriter(), new EcrTagWriter()],
    enforcer: new EcsTagEnforcer(),
    marks: new DynamoTagMarks(env.AUTOPILOT_TABLE),
    sweeps: new DynamoTagSweep(env.AUTOPILOT_TABLE),
    rules,
    settings,
    dryRun: env.AUTOPILOT_DRY_RUN,
    events,
    report: (decisions, evaluations) =>
      events.publish(tagEvents(decisions, { evaluations, rules, triggeredBy })),
    now: () => new Date(),
  };
}
