/**
 * Who manages a service (issue 15): a service defined in CloudFormation, CDK or Terraform gets its old
 * image back at the next apply, so autopilot says who manages it in `autopilot status`, in its
 * deployment messages and when it reports a revert. Pure.
 */

/** The tag CloudFormation puts on every resource of a stack (CDK's stacks too). */
export const CLOUDFORMATION_STACK_TAG = 'aws:cloudformation:stack-name';

/**
 * Who manages a service, from its tags: the CloudFormation stack that created it, else the tool the
 * policy file's `managedByTag` names (`managed-by=terraform`), else undefined (a person, or unknown).
 *
 * @example managedByOf({ 'aws:cloudformation:stack-name': 'api-prod' }, undefined) // 'CloudFormation stack api-prod'
 * @example managedByOf({ 'managed-by': 'terraform' }, 'managed-by') // 'terraform (managed-by)'
 */
export function managedByOf(
  tags: Readonly<Record<string, string>>,
  managedByTag: string | undefined,
): string | undefined {
  const stack = tags[CLOUDFORMATION_STACK_TAG];
  if (stack) return `CloudFormation stack ${stack}`;
  const tool = managedByTag ? tags[managedByTag] : undefined;
  return tool ? `${tool} (${managedByTag})` : undefined;
}
