/**
 * Copying a task definition into a new revision. The copy keeps every field it does not know about,
 * so volumes, secrets, proxy configuration, runtime platform and fields AWS adds later survive.
 */
import type { TaskDefinitionDocument } from '../../ports';
import { registrableCopy } from '../aws/task-definition';

/** Tag keys autopilot writes on the revisions it registers, so people can see where they came from. */
export const SOURCE_TAG_KEYS = {
  image: 'autopilot:source-image',
  digest: 'autopilot:source-digest',
  trigger: 'autopilot:triggered-by',
  source: 'autopilot:source-revision',
} as const;

/**
 * The tags by which a revision registered for a push is found again (a registration whose answer
 * was lost): the pushed digest, the event and the revision it was copied from, as
 * {@link copyWithImage} records them. The source tells apart the copies one push registers in one
 * family for services running different revisions of it (prod on api:7, staging on api:8): registered
 * at the same time, with both answers lost, each is found as its own, never both as the newest.
 */
export function sourceMarkers(
  digest: string,
  triggeredBy: string,
  from: string,
): { key: string; value: string }[] {
  return [
    { key: SOURCE_TAG_KEYS.digest, value: tagValue(digest) },
    { key: SOURCE_TAG_KEYS.trigger, value: tagValue(triggeredBy) },
    { key: SOURCE_TAG_KEYS.source, value: tagValue(from) },
  ];
}

/** ECS tag values: at most 256 characters from a restricted set. */
function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}

/**
 * Builds the document for a new revision: the running one with read-only fields removed, the images
 * of `containers` replaced by `image`, and source tags recorded.
 *
 * @param source - the running revision, as described with its tags
 * @param change - which containers get which image, and what to record about it
 * @example
 * copyWithImage(doc, { containers: ['app'], image: 'acct.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:…',
 *   sourceImage: 'api:main', digest: 'sha256:…', triggeredBy: 'event-id',
 *   from: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7' })
 */
export function copyWithImage(
  source: TaskDefinitionDocument,
  change: {
    containers: readonly string[];
    image: string;
    sourceImage: string;
    digest: string;
    triggeredBy: string;
    /** the ARN of `source`, as the service names it */
    from: string;
  },
): TaskDefinitionDocument {
  const containerDefinitions = source.definition.containerDefinitions.map((container) =>
    change.containers.includes(container.name)
      ? { ...structuredClone(container), image: change.image }
      : structuredClone(container),
  );
  const recorded = new Map<string, string>([
    [SOURCE_TAG_KEYS.image, tagValue(change.sourceImage)],
    [SOURCE_TAG_KEYS.digest, tagValue(change.digest)],
    [SOURCE_TAG_KEYS.trigger, tagValue(change.triggeredBy)],
    [SOURCE_TAG_KEYS.source, tagValue(change.from)],
  ]);
  // The source record also lives in the table, so its tags yield when the 50 ECS allows are taken.
  return registrableCopy(source, containerDefinitions, recorded);
}
