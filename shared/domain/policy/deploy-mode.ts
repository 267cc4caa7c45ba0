/**
 * Deploy modes: how a service follows its repository (`autopilot:deploy`, or a policy's `deploy`).
 * The text is parsed once, by {@link parseDeployMode}, into a value that answers the questions deploy
 * on push asks (does it follow at all? are pushes ordered by version? is the running version needed?
 * is this tag one to deploy?), the way Argo CD Image Updater's `UpdateStrategy` answers
 * `NeedsMetadata()`: no caller tests the text again. Decisions carry the mode's text
 * (`String(mode)`) for people. Pure.
 */

import { tagProblem } from '../aws/image-reference';
import { semver } from './semver';
import { DEPLOY_TAG } from './service-tags';
import { checkUpgrade, compareDigits, highestVersion, parseVersionTag, type UpgradeLevel } from './version';

/**
 * Every deploy mode as text: `tag:<name>` (an ECR tag), `semver:major|minor|patch`,
 * `numeric[:<prefix>]`, `alphabetic[:<prefix>]`, `match` or `off`. A prefix is the start of an ECR
 * tag (at most 127 characters, so a tag has room for one more after it); ECS tag values allow every
 * character of it. The policy file's schema validates `deploy` with it, and {@link parseDeployMode}
 * reads with it.
 */
export const DEPLOY_MODE =
  /^(tag:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|semver:(major|minor|patch)|(numeric|alphabetic)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,126}))?|match|off)$/;

/** What {@link parseDeployMode} says of a value that is no mode, after the value. */
export const DEPLOY_MODES_EXPECTED =
  'tag:<name>, semver:major|minor|patch, numeric:<prefix>, alphabetic:<prefix>, match or off';

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
   * Whether pushes are ordered by version (`semver:`) or by the order of their tags (`numeric:`,
   * `alphabetic:`) rather than by push time: a lower version pushed later does not supersede a
   * higher one ({@link DeployModeQuestions.compareTags}), and the watermark of the last push does
   * not apply.
   */
  ordersByVersion(): boolean;
  /**
   * The order of two tags for a mode that {@link DeployModeQuestions.ordersByVersion orders by
   * version}: negative when `a` comes before `b`, 0 when they are the same version or build
   * (`main-007` and `main-7`), positive when `a` comes after.
   *
   * @returns undefined when the mode has no order or either tag is not one it follows
   */
  compareTags(a: string, b: string): number | undefined;
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
  compareTags(_a: string, _b: string): number | undefined {
    return undefined;
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
  override compareTags(a: string, b: string): number | undefined {
    const va = parseVersionTag(a);
    const vb = parseVersionTag(b);
    return va && vb ? semver().compare(va, vb) : undefined;
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

/**
 * The modes that follow the newest tag by an order of the tags (Flux's `numerical` and `alphabetical`
 * image policies, Argo CD Image Updater's `alphabetical`): the tags that start with the prefix, the
 * newest by the order of what follows it, not by push time. A pushed tag is deployed when it comes
 * after every tag the running image is known by; a tag pushed later but lower (a rebuild of an old
 * commit, a re-delivered event) never replaces a higher one. The policy's tag filters, checked
 * before, narrow the tags further (`tags: { regex: 'main-\d{4,}' }`).
 */
abstract class OrderedMode extends Mode {
  abstract readonly kind: 'numeric' | 'alphabetic';
  /** @param prefix - the start every followed tag has; empty: every tag (of the mode's kind) */
  constructor(readonly prefix: string) {
    super();
  }
  /** Whether `rest`, the tag after the prefix, is one the mode orders. */
  protected abstract ordersRest(rest: string): boolean;
  /** The order of two tails that {@link OrderedMode.ordersRest} accepts. */
  protected abstract compareRest(a: string, b: string): number;
  /** How the followed tags look, for reasons: `main-<number>`. */
  protected abstract shape(): string;

  override ordersByVersion(): boolean {
    return true;
  }
  override needsRunningTags(): boolean {
    return true;
  }
  /**
   * Whether a tag is one the mode follows: a valid ECR tag (at most 128 characters), the prefix, then
   * what the mode orders.
   *
   * @example new NumericMode('main-').followsTag('main-hotfix-12') // false
   */
  followsTag(tag: string): boolean {
    return (
      tagProblem(tag) === undefined &&
      tag.startsWith(this.prefix) &&
      this.ordersRest(tag.slice(this.prefix.length))
    );
  }
  override compareTags(a: string, b: string): number | undefined {
    if (!this.followsTag(a) || !this.followsTag(b)) return undefined;
    return this.compareRest(a.slice(this.prefix.length), b.slice(this.prefix.length));
  }
  accepts(tag: string, context: TagContext): TagVerdict {
    // Longer than ECR allows, or no tag at all: its event is refused before, and `explain` says so here.
    const problem = tagProblem(tag);
    if (problem) return no(`${problem}: not followed by ${this}`);
    if (!this.followsTag(tag)) return no(`tag ${tag} is not followed by ${this} (${this.shape()})`);
    let newest: string | undefined;
    for (const { container, tags } of context.running) {
      const known = tags.filter((t) => this.followsTag(t));
      if (known.length === 0) {
        return no(`cannot tell the running build of container ${container} (no tag ${this.shape()})`);
      }
      for (const t of known) {
        if (newest === undefined || (this.compareTags(t, newest) ?? 0) > 0) newest = t;
      }
    }
    if (newest === undefined) return yes(`tag ${tag} is followed by ${this}`);
    if ((this.compareTags(tag, newest) ?? 0) <= 0)
      return no(`${tag} is not newer than ${newest}, which runs`);
    return yes(`${tag} is newer than ${newest}, which runs (${this})`);
  }
  toString(): string {
    return this.prefix === '' ? this.kind : `${this.kind}:${this.prefix}`;
  }
}

/**
 * `numeric:<prefix>`: the tags `<prefix><digits>` (`main-1234`), the newest by the number: `main-1234`
 * comes after `main-999`, `main-007` and `main-7` are the same build, and numbers of any length are
 * compared digit by digit ({@link compareDigits}), never as floating point. `main-hotfix-12` is not
 * followed by `numeric:main-` (what follows the prefix is not a number).
 */
export class NumericMode extends OrderedMode {
  readonly kind = 'numeric' as const;
  protected ordersRest(rest: string): boolean {
    return /^[0-9]+$/.test(rest);
  }
  protected compareRest(a: string, b: string): number {
    return compareDigits(a, b);
  }
  protected shape(): string {
    return `${this.prefix}<number>`;
  }
}

/**
 * `alphabetic:<prefix>`: the tags that start with the prefix and go on, the newest by comparing the
 * text character by character (ASCII codes: digits, then capitals, then small letters; never the
 * locale's collation, which differs between machines), as date stamps (`2026-12-04.1`,
 * `20261204T0930`) sort. Without a prefix every tag is followed, `latest` too: give it a prefix or a
 * tag filter. Numbers in the text compare as text, so `2026-12-04.10`
 * comes before `2026-12-04.9`: stamps with a counter pad it (`.09`), or follow it with `numeric:`.
 */
export class AlphabeticMode extends OrderedMode {
  readonly kind = 'alphabetic' as const;
  protected ordersRest(rest: string): boolean {
    return rest.length > 0;
  }
  protected compareRest(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  protected shape(): string {
    return `${this.prefix}<text>`;
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
export type DeployMode = FollowTagMode | SemverMode | NumericMode | AlphabeticMode | MatchMode | OffMode;

/**
 * Parses an `autopilot:deploy` tag value (or a policy's `deploy`); surrounding spaces are ignored.
 *
 * @returns the mode, or a reason why the value is not one
 * @example parseDeployMode('semver:minor') // SemverMode { kind: 'semver', level: 'minor' }
 * @example parseDeployMode('semver:minor').needsRunningTags() // true
 * @example parseDeployMode('numeric:main-') // NumericMode { kind: 'numeric', prefix: 'main-' }
 * @example parseDeployMode('tags:main') // { invalid: 'autopilot:deploy value "tags:main" is not …' }
 */
export function parseDeployMode(value: string): DeployMode | { invalid: string } {
  const match = DEPLOY_MODE.exec(value.trim());
  const [text, , level, ordered, prefix = ''] = match ?? [];
  if (text === 'off') return new OffMode();
  if (text === 'match') return new MatchMode();
  if (level) return new SemverMode(level as UpgradeLevel);
  if (ordered === 'numeric') return new NumericMode(prefix);
  if (ordered === 'alphabetic') return new AlphabeticMode(prefix);
  if (text) return new FollowTagMode(text.slice('tag:'.length));
  return { invalid: `${DEPLOY_TAG} value "${value}" is not ${DEPLOY_MODES_EXPECTED}` };
}
