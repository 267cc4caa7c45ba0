/**
 * The fixed vocabulary of tag policies (issue 14): the resource types a rule selects, its modes and
 * inheritance sources, AWS's own limits on tags, and the `autopilot:violation` mark. The policy file
 * validates with these values and the evaluation reads them, so the two cannot drift. Pure, imports
 * nothing.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-using-tags.html#tag-restrictions
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-using-tags.html
 */

/** The resource types a tag policy rule selects. */
export const TAG_RESOURCE_TYPES = [
  'ecs:cluster',
  'ecs:service',
  'ecs:task-definition',
  'ecs:task',
  'ecs:capacity-provider',
  'ecr:repository',
] as const;
export type TagResourceType = (typeof TAG_RESOURCE_TYPES)[number];

/** The types ECS holds (the ECS reader's), the others being ECR's. */
export const ECS_TAG_RESOURCE_TYPES: readonly TagResourceType[] = TAG_RESOURCE_TYPES.filter((t) =>
  t.startsWith('ecs:'),
);

/** The types that live in a cluster (a cluster in its own), which a rule's `clusters` globs select. */
export const CLUSTER_SCOPED_TYPES: readonly TagResourceType[] = ['ecs:cluster', 'ecs:service', 'ecs:task'];

/** What a rule does about a violation: report it, add what it safely can, or act after the grace. */
export const TAG_POLICY_MODES = ['audit', 'remediate', 'enforce'] as const;
export type TagPolicyMode = (typeof TAG_POLICY_MODES)[number];

/** Where an inherited value comes from: the resource's cluster, service, task definition, or family. */
export const INHERIT_SOURCES = ['cluster', 'service', 'task-definition', 'family'] as const;
export type InheritSource = (typeof INHERIT_SOURCES)[number];

/**
 * The sources each type may inherit from: a service and a task from their cluster, a task from its
 * service or task definition, a task definition revision from its family's other revisions.
 */
export const INHERIT_SOURCES_OF: Readonly<Record<TagResourceType, readonly InheritSource[]>> = {
  'ecs:cluster': [],
  'ecs:service': ['cluster'],
  'ecs:task': ['service', 'task-definition', 'cluster'],
  'ecs:task-definition': ['family'],
  'ecs:capacity-provider': [],
  'ecr:repository': [],
};

/** User tags a resource may carry, ECS's and ECR's limit alike; `aws:` tags do not count. */
export const MAX_USER_TAGS = 50;
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
/** AWS reserves keys with this prefix (any case) for itself: users cannot set, change or remove them. */
export const AWS_RESERVED_PREFIX = 'aws:';

// Letters, digits and spaces in any script, and _ . : / = + - @ (AWS's own pattern for tags).
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Characters as AWS counts them (code points, not UTF-16 units). */
const lengthOf = (text: string): number => [...text].length;

/** Whether a key is AWS's own (`aws:` in any case): not counted, not evaluated, never written. */
export function isAwsOwned(key: string): boolean {
  return key.slice(0, AWS_RESERVED_PREFIX.length).toLowerCase() === AWS_RESERVED_PREFIX;
}

/**
 * Why AWS would refuse `key` as a tag key, or undefined when it is a valid key. Keys that are only
 * read (a selection or an exemption naming `aws:cloudformation:stack-name`) may be AWS's own;
 * keys autopilot writes (`writable`) may not.
 *
 * @example tagKeyProblem('cost centre') // undefined
 * @example tagKeyProblem('owner!') // 'key "owner!" has characters AWS refuses: …'
 * @example tagKeyProblem('aws:owner', { writable: true }) // 'key "aws:owner" starts with aws:, which AWS reserves'
 */
export function tagKeyProblem(key: string, options: { writable?: boolean } = {}): string | undefined {
  const length = lengthOf(key);
  if (length < 1 || length > MAX_TAG_KEY_LENGTH) {
    return `key "${key}" has ${length} characters; a tag key has 1 to ${MAX_TAG_KEY_LENGTH}`;
  }
  if (!TAG_CHARACTERS.test(key)) {
    return `key "${key}" has characters AWS refuses: only letters, digits, spaces and _ . : / = + - @`;
  }
  if (options.writable && isAwsOwned(key)) {
    return `key "${key}" starts with ${AWS_RESERVED_PREFIX}, which AWS reserves`;
  }
  return undefined;
}

/**
 * Why AWS would refuse `value` as a tag value, or undefined when it is valid (the empty value is).
 *
 * @example tagValueProblem('') // undefined
 * @example tagValueProblem('a;b') // 'value "a;b" has characters AWS refuses: …'
 */
export function tagValueProblem(value: string): string | undefined {
  const length = lengthOf(value);
  if (length > MAX_TAG_VALUE_LENGTH) {
    return `value "${[...value].slice(0, 20).join('')}…" has ${length} characters; a tag value has at most ${MAX_TAG_VALUE_LENGTH}`;
  }
  if (!TAG_CHARACTERS.test(value)) {
    return `value "${value}" has characters AWS refuses: only letters, digits, spaces and _ . : / = + - @`;
  }
  return undefined;
}

/**
 * The tag that marks a resource violating rules, Cloud Custodian's mark-for-op: its value lists
 * `<rule>@<due>` for each rule, separated by spaces (`owner@2026-12-11T09:00Z env@2026-12-12T10:30Z`),
 * so people see on the resource itself what is wrong and when autopilot acts.
 */
export const VIOLATION_TAG = 'autopilot:violation';

/** Rule names: usable in the mark's value (no spaces, no `@`), and short enough for several marks. */
export const RULE_NAME = /^[A-Za-z0-9_.:/=+-]{1,64}$/;
