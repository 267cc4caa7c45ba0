/**
 * Rolling back to a revision that names its images by tag would run what the tags point at now: ECS
 * resolves tags again for every new deployment, and the tag may point at the very image being rolled
 * back from. The rollback goes to a copy of the revision pinned to the digests it ran when it was
 * known good instead. Pure.
 */
import type { RunningImage, TaskDefinitionDocument } from '../../ports';
import { shortTaskDefinition } from '../aws/arn';
import { parseImageReference, pinToDigest } from '../aws/image-reference';
import { registrableCopy } from '../aws/task-definition';

/** Tag keys autopilot writes on a pinned copy (`autopilot:triggered-by` as on what deploy on push registers). */
export const PINNED_TAG_KEYS = {
  from: 'autopilot:pinned-from',
  trigger: 'autopilot:triggered-by',
} as const;

/**
 * The tags a pinned copy is found again by (`autopilot:pinned-from` and `autopilot:triggered-by`), as
 * its document carries them; undefined when it carries them not (the source's own tags left no room).
 *
 * @example pinnedMarkers(copy.document) // [{ key: 'autopilot:pinned-from', value: 'api:7' }, { key: 'autopilot:triggered-by', value: 'alarm-1' }]
 */
export function pinnedMarkers(doc: TaskDefinitionDocument): { key: string; value: string }[] | undefined {
  const keys: string[] = [PINNED_TAG_KEYS.from, PINNED_TAG_KEYS.trigger];
  const markers = doc.tags.filter((t) => keys.includes(t.key));
  return markers.length === keys.length ? markers : undefined;
}

/** A pinned copy of a revision, and which containers it pins. */
export interface PinnedCopy {
  document: TaskDefinitionDocument;
  /** `<container>: <image as written> -> <digest>` for each container pinned */
  pinned: string[];
}

/**
 * The copy of `source` whose containers that name a tag run the digests they ran (`ran`: the service
 * revision's containerImages when the revision became known good). Containers already naming a digest,
 * and those ECS did not resolve, are left as they are.
 *
 * @returns undefined when nothing is to pin
 * @example
 * pinnedCopy(api7, [{ container: 'app', image: '…/team/api:main', digest: 'sha256:good' }], { triggeredBy: 'alarm-1' })
 * // { document: { … app: '…/team/api@sha256:good' … }, pinned: ['app: …/team/api:main -> sha256:good'] }
 */
export function pinnedCopy(
  source: TaskDefinitionDocument,
  ran: readonly RunningImage[],
  change: { triggeredBy: string },
): PinnedCopy | undefined {
  const pinned: string[] = [];
  const containerDefinitions = source.definition.containerDefinitions.map((container) => {
    const ref = parseImageReference(container.image);
    const digest = ran.find((r) => r.container === container.name && r.image === container.image)?.digest;
    if (!ref.ok || ref.value.digest !== undefined || digest === undefined) return structuredClone(container);
    pinned.push(`${container.name}: ${container.image} -> ${digest}`);
    return { ...structuredClone(container), image: pinToDigest(ref.value, digest) };
  });
  if (pinned.length === 0) return undefined;
  const recorded = new Map<string, string>([
    [PINNED_TAG_KEYS.from, shortTaskDefinition(String(source.definition.taskDefinitionArn ?? ''))],
    [PINNED_TAG_KEYS.trigger, change.triggeredBy.slice(0, 256)],
  ]);
  return { document: registrableCopy(source, containerDefinitions, recorded), pinned };
}
