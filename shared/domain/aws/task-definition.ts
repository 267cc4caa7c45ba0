/**
 * Task definitions as ECS describes and registers them: what a described revision carries that a new
 * registration does not accept.
 */

/**
 * Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not accept: they describe a
 * registered revision, not its content.
 */
export const REGISTERED_REVISION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

/**
 * A described definition as RegisterTaskDefinition accepts it: a deep copy without the fields of the
 * registered revision ({@link REGISTERED_REVISION_FIELDS}); every other field is kept, also those AWS
 * adds later.
 *
 * @example registrable({ family: 'api', revision: 7, status: 'ACTIVE', cpu: '512' }) // { family: 'api', cpu: '512' }
 */
export function registrable<T extends Record<string, unknown>>(definition: T): T {
  const copy: Record<string, unknown> = structuredClone(definition);
  for (const field of REGISTERED_REVISION_FIELDS) delete copy[field];
  return copy as T;
}
