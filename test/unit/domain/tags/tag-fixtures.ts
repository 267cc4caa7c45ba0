/**
 * Rules and resources for the tag policy tables: rules are read by the policy file's own schema (so
 * its defaults apply, as in a deployed file), resources are plain views.
 */
import { type TagPolicyRule, TagPolicyRuleSchema } from '../../../../shared/config/tag-policies';
import type { TagResourceView } from '../../../../shared/domain/tags/evaluate';

export const NOW = new Date('2026-12-04T01:44:31Z');
/** A mark made at NOW with the default grace of 7 days. */
export const DUE_IN_7D = '2026-12-11T01:45Z';

const SCOPE = 'arn:aws:ecs:eu-west-1:123456789012';

/** A rule as the policy file reads it, with its defaults. */
export function aRule(fields: Record<string, unknown>): TagPolicyRule {
  return TagPolicyRuleSchema.parse({ name: 'owner', resources: ['ecs:service'], ...fields });
}

/** A long-format service `prod/api` with no tags and a desired count of 3. */
export function aService(fields: Partial<TagResourceView> = {}): TagResourceView {
  return {
    type: 'ecs:service',
    arn: `${SCOPE}:service/prod/api`,
    name: 'api',
    cluster: 'prod',
    desiredCount: 3,
    tags: {},
    parentTags: {},
    ...fields,
  };
}

/** A standalone task of family `worker` in cluster `batch`. */
export function aTask(fields: Partial<TagResourceView> = {}): TagResourceView {
  return {
    type: 'ecs:task',
    arn: `${SCOPE}:task/batch/0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e`,
    name: 'worker',
    cluster: 'batch',
    tags: {},
    parentTags: {},
    ...fields,
  };
}

/** Another resource of `type` named `name`. */
export function aResource(
  type: TagResourceView['type'],
  name: string,
  fields: Partial<TagResourceView> = {},
) {
  const arns: Record<TagResourceView['type'], string> = {
    'ecs:cluster': `${SCOPE}:cluster/${name}`,
    'ecs:service': `${SCOPE}:service/prod/${name}`,
    'ecs:task': `${SCOPE}:task/prod/${name}`,
    'ecs:task-definition': `${SCOPE}:task-definition/${name}:3`,
    'ecs:capacity-provider': `${SCOPE}:capacity-provider/${name}`,
    'ecr:repository': `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`,
  };
  return { type, arn: arns[type], name, tags: {}, parentTags: {}, ...fields } satisfies TagResourceView;
}

/** `count` user tags `k0=v` … */
export const manyTags = (count: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, 'v']));
