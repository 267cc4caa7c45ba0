/**
 * Deploy modes: how a service follows its repository (`autopilot:deploy`, or a policy's `deploy`).
 * The text is parsed once, by {@link parseDeployMode}, into a value that answers the questions deploy
 * on push asks (does it follow at all? are pushes ordered by version? is the running version needed?
 * is this tag one to deploy?), the way Argo CD Image Updater's `UpdateStrategy` answers
 * `NeedsMetadata()`: no caller tests the text again. Decisions carry the mode's text
 * (`String(mode)`) for people. Pure.
 */
import { DEPLOY_TAG } from './service-tags';
import { checkUpgrade, highestVersion, parseVersionTag, type UpgradeLevel } from './version';

/**
 * Every deploy mode as text: `tag:<name>` (an ECR tag), `semver:major|minor|patch`, `match` or `off`.
 * The policy file's schema validates `deploy` with it, and {@link parseDeployMode} reads with it.
 */
export const DEPLOY_MODE = /^(tag:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|semver:(major|minor|patch)|match|off)$/;

/** A pushed tag judged by a mode: deploy it or not, and why. */
export interface TagVerdict {
  ok: boolean;
  reason: string;
}

/** What a pushed tag is judged against besides the tag itself. */
export interface TagContext {
  /** the policy allows semver pre-releases (`1.5.0-rc.1`) */
  allowPrerelease: boolean;
  /**
   * The containers that run the repository, each with every tag its running image is known by (the
   * image's own tag and the tags ECR holds for its digest). Only modes that
   * {@link DeployModeQuestions.needsRunningTags need the running tags} read it.
   */
  running: readonly { container: string; tags: readonly string[] }[];
}

/** The questions every deploy mode answers. */
interface DeployModeQuestions {
  /** Whether the service follows its repository at all (`off` does not). */
  follows(): boolean;
  /**
   * Whether pushes are ordered by version rather than by push time: a lower version pushed later
   * does not supersede a higher one, and the watermark of the last push does not apply.
   */
  ordersByVersion(): boolean;
  /**
   * Whether one tag is followed, so that the newest push is what that tag points at in ECR now
   * (which deploy on push reads under the lease): the watermark of the last push adds nothing.
   */
  ordersByTag(): boolean;
  /** Whether judging a tag needs the running version: the tags ECR holds for the running digests. */
  needsRunningTags(): boolean;
  /** Whether a pushed tag is one to deploy (the policy's tag filters are checked before). */
  accepts(tag: string, context: TagContext): TagVerdict;
  /** The mode as written: `tag:main`, `semver:minor`, `match`, `off`. */
  toString(): string;
}

const yes = (reason: string): TagVerdict => ({ ok: true, reason });
const no = (reason: string): TagVerdict => ({ ok: false, reason });

/** Defaults shared by the modes; each mode overrides what makes it different. */
abstract class Mode implements DeployModeQuestions {
  abstract accepts(tag: string, context: TagContext): TagVerdict;
  abstract toString(): string;
  follows(): boolean {
    return true;
  }
  ordersByVersion(): boolean {
    return false;
  }
  ordersByTag(): boolean {
    return false;
  }
  needsRunningTags(): boolean {
    return false;
  }
  /** Logs and JSON show the mode as written. */
  toJSON(): string {
    return this.toString();
  }
}

/** `tag:<name>`: follow one moving tag, such as `main`. */
export class FollowTagMode extends Mode {
  readonly kind = 'tag' as const;
  /** @param tag - the followed ECR tag */
  constructor(readonly tag: string) {
    super();
  }
  override ordersByTag(): boolean {
    return true;
  }
  accepts(tag: string): TagVerdict {
    return tag === this.tag
      ? yes(`follows tag ${this.tag}`)
      : no(`pushed tag ${tag} is not the followed tag ${this.tag}`);
  }
  toString(): string {
    return `tag:${this.tag}`;
  }
}

/** `semver:<level>`: move to newer versions, at most a `level` upgrade from the running version. */
export class SemverMode extends Mode {
  readonly kind = 'semver' as const;
  /** @param level - the largest allowed upgrade */
  constructor(readonly level: UpgradeLevel) {
    super();
  }
  override ordersByVersion(): boolean {
    return true;
  }
  override needsRunningTags(): boolean {
    return true;
  }
  accepts(tag: string, context: TagContext): TagVerdict {
    const candidate = parseVersionTag(tag);
    if (!candidate) return no(`tag ${tag} is not a semantic version`);
    if (candidate.prerelease.length > 0 && !context.allowPrerelease) {
      return no(`tag ${tag} is a pre-release and the policy does not allow pre-releases`);
    }
    for (const { container, tags } of context.running) {
      const current = highestVersion(tags);
      if (!current) return no(`cannot tell the running version of container ${container} (no version tag)`);
      const upgrade = checkUpgrade(this.level, current, candidate);
      if (!upgrade.allowed) return no(upgrade.reason);
    }
    return yes(`${candidate.version} is an allowed upgrade (semver:${this.level})`);
  }
  toString(): string {
    return `semver:${this.level}`;
  }
}

/** `match`: any tag the policy's tag filters accept. */
export class MatchMode extends Mode {
  readonly kind = 'match' as const;
  accepts(tag: string): TagVerdict {
    return yes(`tag ${tag} passes the policy filters`);
  }
  toString(): string {
    return 'match';
  }
}

/** `off`: the service does not follow its repository. */
export class OffMode extends Mode {
  readonly kind = 'off' as const;
  override follows(): boolean {
    return false;
  }
  accepts(): TagVerdict {
    return no(`${DEPLOY_TAG} is off`);
  }
  toString(): string {
    return 'off';
  }
}

/** How a service follows its repository; `kind` tells the modes apart where a caller needs the level or tag. */
export type DeployMode = FollowTagMode | SemverMode | MatchMode | OffMode;

/**
 * Parses an `autopilot:deploy` tag value (or a policy's `deploy`); surrounding spaces are ignored.
 *
 * @returns the mode, or a reason why the value is not one
 * @example parseDeployMode('semver:minor') // SemverMode { kind: 'semver', level: 'minor' }
 * @example parseDeployMode('semver:minor').needsRunningTags() // true
 * @example parseDeployMode('tags:main') // { invalid: 'autopilot:deploy value "tags:main" is not …' }
 */
export function parseDeployMode(value: string): DeployMode | { invalid: string } {
  const match = DEPLOY_MODE.exec(value.trim());
  const [text, , level] = match ?? [];
  if (text === 'off') return new OffMode();
  if (text === 'match') return new MatchMode();
  if (level) return new SemverMode(level as UpgradeLevel);
  if (text) return new FollowTagMode(text.slice('tag:'.length));
  return {
    invalid: `${DEPLOY_TAG} value "${value}" is not tag:<name>, semver:major|minor|patch, match or off`,
  };
}
