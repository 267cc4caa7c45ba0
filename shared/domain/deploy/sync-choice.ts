/**
 * `autopilot sync`, the choice: of a repository's tagged images, the newest one a service's deploy
 * mode and policy accept, which sync then deploys as if it had just been pushed. Each tag is judged
 * as deploy on push judges a pushed tag (the policy's tag filters, then the mode's own `accepts`
 * against what runs), and the accepted ones are ordered by the mode's own order (`compareTags`:
 * versions, build numbers, text) where it has one, else by push time. Pure.
 */
import type { Policy } from '../../config/policy-file';
import type { ImageDescription } from '../../ports';
import type { DeployMode, TagContext } from '../policy/deploy-mode';
import { rejectedByFilters } from '../policy/tag-filter';

/** What {@link chooseSyncImage} chooses from. */
export interface SyncChoiceInput {
  /** the repository as ECR names it, for reasons (`team/api`) */
  repository: string;
  /** the service's deploy mode (one that follows: `off` is refused before) */
  mode: DeployMode;
  /** the service's effective policy: its tag filters, pre-releases */
  policy: Pick<Policy, 'tags' | 'allowPrerelease'>;
  /**
   * The containers that run the repository, each with every tag its running image is known by (its
   * own tag and the tags ECR holds for its digest), as deploy on push reads them for the modes that
   * {@link DeployMode.needsRunningTags need them}.
   */
  running: TagContext['running'];
  /** the repository's tagged images: all of them, or, for `tag:<name>`, the one the tag points at */
  images: readonly ImageDescription[];
}

/** An image of the repository and the one of its tags sync would push. */
export interface SyncCandidate {
  tag: string;
  digest: string;
  /** when ECR says it was pushed (ISO 8601) */
  pushedAt?: string;
}

/**
 * What sync deploys from a repository: an image (`chosen`: which and why), nothing because the
 * service runs the newest one the mode accepts already (`current`), or nothing because no image is
 * one the mode and policy accept (`none`: why).
 */
export type SyncChoice =
  | ({ kind: 'chosen'; why: string } & SyncCandidate)
  | { kind: 'current'; why: string }
  | { kind: 'none'; why: string };

/**
 * The newest image of a repository a service accepts: `tag:<name>` what the tag points at;
 * `semver:`, `numeric:` and `alphabetic:` the highest tag the mode accepts over what runs (by the
 * mode's order; of one version under two tags, the later push); `match` the last pushed image with a
 * tag the policy's filters pass.
 *
 * @example
 * chooseSyncImage({ repository: 'team/payments', mode: parseDeployMode('semver:minor'), policy: {},
 *   running: [{ container: 'app', tags: ['1.4.0'] }], images: [1.5.0, 1.6.0, 2.0.0 …] })
 * // { kind: 'chosen', tag: '1.6.0', digest: 'sha256:…', why: 'the highest of 2 tags semver:minor accepts' }
 */
export function chooseSyncImage(input: SyncChoiceInput): SyncChoice {
  const { mode, policy, repository, images } = input;
  const context: TagContext = {
    allowPrerelease: policy.allowPrerelease === true,
    running: mode.needsRunningTags() ? input.running : [],
  };
  const accepted: SyncCandidate[] = [];
  const refused: { tag: string; reason: string }[] = [];
  for (const image of images) {
    for (const tag of image.tags) {
      const verdict = judged(input, tag, context);
      if (verdict.ok) {
        accepted.push({ tag, digest: image.digest, ...(image.pushedAt ? { pushedAt: image.pushedAt } : {}) });
      } else refused.push({ tag, reason: verdict.reason });
    }
  }
  const newest = accepted.reduce<SyncCandidate | undefined>(
    (best, c) => (best === undefined || comesAfter(mode, c, best) ? c : best),
    undefined,
  );
  if (newest) {
    const tags = new Set(accepted.map((c) => c.tag)).size;
    const why =
      mode.kind === 'tag'
        ? `the image ${repository}:${mode.tag} points at now`
        : mode.ordersByVersion()
          ? `the highest of ${count(tags, 'tag')} ${mode} accepts`
          : `the last pushed of ${count(tags, 'tag')} the policy's filters pass`;
    return { kind: 'chosen', ...newest, why };
  }
  if (images.length === 0) {
    return {
      kind: 'none',
      why:
        mode.kind === 'tag'
          ? `${repository}:${mode.tag} does not exist in ECR`
          : `${repository} has no tagged image in ECR`,
    };
  }
  const runs = runningFollowed(input, context);
  if (runs !== undefined) {
    const above = refused
      .filter((r) => (mode.compareTags(r.tag, runs) ?? 0) > 0)
      .sort((a, b) => (mode.compareTags(b.tag, a.tag) ?? 0) || a.tag.localeCompare(b.tag))[0];
    return {
      kind: 'current',
      why: `it runs ${repository}:${runs}, and ${mode} accepts no newer tag${above ? ` (${above.reason})` : ''}`,
    };
  }
  // One reason said by every tag (the running version cannot be told) says it all; else an example.
  const reasons = new Set(refused.map((r) => r.reason));
  const [first] = refused;
  const example = reasons.size === 1 ? first?.reason : first && `${first.tag}: ${first.reason}`;
  return {
    kind: 'none',
    why: `${mode} accepts no tag of ${repository} (${count(refused.length, 'tag')} read${example ? `; ${example}` : ''})`,
  };
}

/** A tag judged as deploy on push judges a pushed one: the policy's filters first, then the mode. */
function judged(input: SyncChoiceInput, tag: string, context: TagContext): { ok: boolean; reason: string } {
  const filtered = rejectedByFilters(input.policy, tag);
  return filtered ? { ok: false, reason: filtered } : input.mode.accepts(tag, context);
}

/**
 * For a mode ordered by its tags, the highest tag the service runs that the mode follows (judged
 * without what runs), when the service runs one: then nothing accepted means nothing newer.
 */
function runningFollowed(input: SyncChoiceInput, context: TagContext): string | undefined {
  const { mode } = input;
  if (!mode.ordersByVersion()) return undefined;
  const followed = input.running
    .flatMap((r) => r.tags)
    .filter((tag) => judged(input, tag, { ...context, running: [] }).ok);
  return followed.reduce<string | undefined>(
    (best, tag) => (best === undefined || (mode.compareTags(tag, best) ?? 0) > 0 ? tag : best),
    undefined,
  );
}

/**
 * Whether `a` is newer than `b`: by the mode's order of tags where it has one, then the later push,
 * then the tag that sorts last (the same answer whatever order ECR lists them in).
 */
function comesAfter(mode: DeployMode, a: SyncCandidate, b: SyncCandidate): boolean {
  const order = mode.ordersByVersion() ? (mode.compareTags(a.tag, b.tag) ?? 0) : 0;
  if (order !== 0) return order > 0;
  const [pa, pb] = [a.pushedAt ?? '', b.pushedAt ?? ''];
  if (pa !== pb) return pa > pb;
  return a.tag > b.tag;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
