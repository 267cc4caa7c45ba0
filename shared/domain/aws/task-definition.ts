/**
 * Task definitions as ECS describes and registers them: what a described revision carries that a new
 * registration does not accept, and the copy of a revision autopilot registers (deploy on push's
 * new image, rollback's pinned digests).
 */
import type { TaskDefinitionDocument } from '../../ports';

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

/** ECS allows 50 user tags per resource. */
const MAX_TAGS = 50;

/**
 * A copy of `source` to register: its definition as RegisterTaskDefinition accepts it with
 * `containerDefinitions` in place of its own, and its tags with `recorded` added (what autopilot notes
 * about the copy). Reserved `aws:` keys are left out (CloudFormation sets them on the source; register
 * rejects them); when the 50 tags ECS allows leave no room, the recorded ones yield.
 */
export function registrableCopy(
  source: TaskDefinitionDocument,
  containerDefinitions: TaskDefinitionDocument['definition']['containerDefinitions'],
  recorded: ReadonlyMap<string, string>,
): TaskDefinitionDocument {
  const kept = source.tags.filter((t) => !recorded.has(t.key) && !t.key.toLowerCase().startsWith('aws:'));
  const tags =
    kept.length + recorded.size <= MAX_TAGS
      ? [...kept, ...[...recorded].map(([key, value]) => ({ key, value }))]
      : kept;
  return {
    definition: { ...registrable(source.definition), family: source.definition.family, containerDefinitions },
    tags,
  };
}
