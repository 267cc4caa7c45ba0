/**
 * Container image references (`[registry/]repository[:tag][@digest]`) and private Amazon ECR registry hosts.
 *
 * The grammar is Docker's distribution reference grammar, so image strings are read the way the Docker CLI and
 * the ECS agent read them (differences are listed on {@link parseImageReference}). Parsing never throws: image strings come from task definitions, events
 * and user configuration, and a bad one must become a readable reason, not a crashed Lambda.
 *
 * @packageDocumentation
 */

/** A parsed, normalised container image reference. */
export interface ImageReference {
  /** registry host (lowercased), with port if any; 'docker.io' for Docker Hub images without registry */
  registry: string;
  /** repository path without registry, e.g. 'team/api'; for Docker Hub official images 'library/nginx' */
  repository: string;
  /** tag if present; undefined when the reference has only a digest or nothing (see effectiveTag) */
  tag?: string;
  /** 'sha256:<64 hex>' if present */
  digest?: string;
  /** the original string */
  raw: string;
}

/**
 * Outcome of {@link parseImageReference}: the parsed reference, or a short human sentence explaining why the
 * string is not a valid image reference.
 */
export type ParseResult = { ok: true; value: ImageReference } | { ok: false; reason: string };

/** Private ECR registry host, decomposed. */
export interface EcrRegistry {
  /** 12-digit AWS account id that owns the registry */
  accountId: string;
  /** AWS region, e.g. 'eu-west-1' */
  region: string;
  /** true for the FIPS endpoint (`dkr.ecr-fips.` or `dkr-ecr-fips.`) */
  fips: boolean;
  /**
   * DNS suffix of the partition: 'amazonaws.com' or 'amazonaws.com.cn'. Dual-stack hosts report the suffix
   * of their partition too, so callers can compare partitions without caring which endpoint was used.
   */
  partitionSuffix: string;
}

const DOCKER_HUB = 'docker.io';

// `index.docker.io` is the legacy v1 name and `registry-1.docker.io` the actual v2 endpoint; all three are the
// same registry, and normalising them is what lets `nginx` and `index.docker.io/library/nginx` compare equal.
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set([
  DOCKER_HUB,
  'index.docker.io',
  'registry-1.docker.io',
]);

// Docker Hub puts single-component ("official") images under this namespace.
const OFFICIAL_NAMESPACE = 'library/';

// Docker's NameTotalLengthMax; like Docker we measure the normalised name, so `nginx` counts as
// `docker.io/library/nginx` and formatting a parsed reference can never push it over the limit.
const NAME_MAX_LENGTH = 255;

// alpha-numeric [separator alpha-numeric]*, separator = `.` | `_` | `__` | one or more `-`.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const TAG_MAX_LENGTH = 128;

// Matched against the lowercased registry: DNS name (labels must not start or end with '-') or a bracketed
// IPv6 address, then an optional numeric port whose range is checked separately for a clearer reason.
const REGISTRY =
  /^(?:\[[0-9a-f:]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::([0-9]+))?$/;
const MAX_PORT = 65_535;

// Hex length per digest algorithm. These are the algorithms go-digest (used by Docker and containerd)
// supports; anything else would be rejected by the registry, so we reject it up front.
const DIGEST_HEX_LENGTH: ReadonlyMap<string, number> = new Map([
  ['sha256', 64],
  ['sha384', 96],
  ['sha512', 128],
]);

// `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`
const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z]+(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/;
// Dual-stack (IPv6) endpoints: `<account>.dkr-ecr[-fips].<region>.on.aws`, China:
// `<account>.dkr-ecr.<region>.on.amazonwebservices.com.cn`.
const ECR_DUALSTACK_HOST =
  /^(\d{12})\.dkr-ecr(-fips)?\.([a-z]+(?:-[a-z]+)+-\d+)\.on\.(aws|amazonwebservices\.com\.cn)$/;

const COMMERCIAL_SUFFIX = 'amazonaws.com';
const CHINA_SUFFIX = 'amazonaws.com.cn';

function fail(reason: string): ParseResult {
  return { ok: false, reason };
}

/**
 * Returns why `digest` is invalid, or undefined when it is a supported `algorithm:hex` digest (what
 * {@link pinToDigest} accepts). The ECR push contract validates `image-digest` with it.
 *
 * @example digestProblem('sha256:abc') // 'sha256 digest must have 64 hex characters, got 3'
 */
export function digestProblem(digest: string): string | undefined {
  if (digest === '') {
    return 'digest is empty';
  }
  const colon = digest.indexOf(':');
  if (colon === -1) {
    return `digest "${digest}" must look like "sha256:<64 hex characters>"`;
  }
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const expectedLength = DIGEST_HEX_LENGTH.get(algorithm);
  if (expectedLength === undefined) {
    return `digest algorithm "${algorithm}" is not supported (use sha256, sha384 or sha512)`;
  }
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    return `${algorithm} digest must contain only hex characters`;
  }
  if (hex.length !== expectedLength) {
    return `${algorithm} digest must have ${expectedLength} hex characters, got ${hex.length}`;
  }
  // Registries compare digests byte-for-byte, so an uppercase digest would never match the one ECR reports.
  if (hex !== hex.toLowerCase()) {
    return `${algorithm} digest must use lowercase hex`;
  }
  return undefined;
}

/** Returns why `registry` (already lowercased) is not a valid `host[:port]`, or undefined. */
function registryProblem(registry: string, original: string): string | undefined {
  const match = REGISTRY.exec(registry);
  if (match === null) {
    return `registry "${original}" is not a valid host[:port]`;
  }
  const port = match[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > MAX_PORT)) {
    return `registry port ${port} must be between 1 and ${MAX_PORT}`;
  }
  return undefined;
}

/**
 * Returns why `path` is not a valid repository path (`team/api`), or undefined. The ECR push contract
 * validates `repository-name` with it.
 *
 * @example repositoryProblem('Team/App') // 'repository "Team/App" must be lowercase'
 */
export function repositoryProblem(path: string): string | undefined {
  if (path === '') {
    return 'repository name is empty';
  }
  const components = path.split('/');
  if (components.every((component) => PATH_COMPONENT.test(component))) {
    return undefined;
  }
  // Uppercase is by far the most common mistake (`Team/App`), so name it specifically when it is the only one.
  if (
    path !== path.toLowerCase() &&
    components.every((component) => PATH_COMPONENT.test(component.toLowerCase()))
  ) {
    return `repository "${path}" must be lowercase`;
  }
  if (components.includes('')) {
    return `repository "${path}" has an empty path component`;
  }
  const invalid = components.find((component) => !PATH_COMPONENT.test(component));
  return `repository "${path}" has an invalid path component "${invalid}" (use lowercase letters and digits separated by ".", "_", "__" or "-")`;
}

/**
 * Returns why `tag` is not a valid image tag (letters, digits, `_`, `.`, `-`, up to 128), or
 * undefined. The ECR push contract validates `image-tag` with it.
 *
 * @example tagProblem('-x') // 'tag "-x" is invalid (use letters, digits, "_", "." and "-", not starting with "." or "-")'
 */
export function tagProblem(tag: string): string | undefined {
  if (tag === '') {
    return 'tag is empty';
  }
  if (tag.length > TAG_MAX_LENGTH) {
    return `tag is ${tag.length} characters long, the maximum is ${TAG_MAX_LENGTH}`;
  }
  if (!TAG.test(tag)) {
    return `tag "${tag}" is invalid (use letters, digits, "_", "." and "-", not starting with "." or "-")`;
  }
  return undefined;
}

/**
 * Splits a name into registry and repository path. The first component is a registry only if it looks like a
 * host (contains '.' or ':', or is `localhost`); otherwise `team/app` would be ambiguous, and Docker resolves
 * that ambiguity in favour of Docker Hub.
 */
function splitRegistry(name: string): { registry: string | undefined; path: string } {
  const slash = name.indexOf('/');
  if (slash === -1) {
    return { registry: undefined, path: name };
  }
  const first = name.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') {
    return { registry: first, path: name.slice(slash + 1) };
  }
  return { registry: undefined, path: name };
}

/**
 * Parses a container image reference following the Docker distribution grammar
 * `[registry/]repository[:tag][@digest]`. Never throws.
 *
 * Normalisation: the registry is lowercased, Docker Hub aliases become `docker.io`, and single-component
 * Docker Hub names get the `library/` namespace. The tag keeps its case (tags are case-sensitive).
 *
 * Deliberate differences from Docker: `registry-1.docker.io` is also treated as Docker Hub, and an uppercase first
 * component (`Team/App`) is reported as an uppercase repository rather than guessed to be a registry host.
 *
 * @param raw - the image string, e.g. from a task definition's `image` field
 * @returns `{ ok: true, value }`, or `{ ok: false, reason }` with a short sentence naming the problem
 *
 * @example
 * ```ts
 * parseImageReference('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:main');
 * // { ok: true, value: { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
 * //                      repository: 'team/api', tag: 'main', raw: '…' } }
 * parseImageReference('nginx');
 * // { ok: true, value: { registry: 'docker.io', repository: 'library/nginx', raw: 'nginx' } }
 * parseImageReference('Team/App');
 * // { ok: false, reason: 'repository "Team/App" must be lowercase' }
 * ```
 */
export function parseImageReference(raw: string): ParseResult {
  // Guard for untyped callers (parsed JSON, events): the contract is "never throws".
  if (typeof raw !== 'string') {
    return fail('image reference must be a string');
  }
  if (raw === '') {
    return fail('image reference is empty');
  }
  if (/\s/.test(raw)) {
    // Rejected rather than trimmed: Docker rejects it too, and silently fixing it would hide a config bug.
    return fail(
      raw.trim() === '' ? 'image reference is blank' : 'image reference must not contain whitespace',
    );
  }

  // The digest starts at the first '@' ('@' is not valid anywhere else, so a second one fails digest checks).
  const at = raw.indexOf('@');
  const nameAndTag = at === -1 ? raw : raw.slice(0, at);
  const digest = at === -1 ? undefined : raw.slice(at + 1);

  // A ':' is a tag separator only after the last '/'; before it, it is the registry port (`host:5000/app`).
  const colon = nameAndTag.lastIndexOf(':');
  const hasTag = colon > nameAndTag.lastIndexOf('/');
  const name = hasTag ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = hasTag ? nameAndTag.slice(colon + 1) : undefined;

  if (name === '') {
    return fail('image reference has no repository name');
  }

  const split = splitRegistry(name);
  let registry = DOCKER_HUB;
  if (split.registry !== undefined) {
    // Host names are case-insensitive; lowercasing makes registries comparable with ===.
    const lowered = split.registry.toLowerCase();
    const problem = registryProblem(lowered, split.registry);
    if (problem !== undefined) {
      return fail(problem);
    }
    registry = DOCKER_HUB_ALIASES.has(lowered) ? DOCKER_HUB : lowered;
  }

  const pathProblem = repositoryProblem(split.path);
  if (pathProblem !== undefined) {
    return fail(pathProblem);
  }
  const repository =
    registry === DOCKER_HUB && !split.path.includes('/') ? `${OFFICIAL_NAMESPACE}${split.path}` : split.path;

  if (tag !== undefined) {
    const problem = tagProblem(tag);
    if (problem !== undefined) {
      return fail(problem);
    }
  }
  if (digest !== undefined) {
    const problem = digestProblem(digest);
    if (problem !== undefined) {
      return fail(problem);
    }
  }

  const nameLength = registry.length + 1 + repository.length;
  if (nameLength > NAME_MAX_LENGTH) {
    return fail(`image name is ${nameLength} characters long, the maximum is ${NAME_MAX_LENGTH}`);
  }

  // Optional fields are omitted rather than set to undefined, so values compare and serialise cleanly.
  return {
    ok: true,
    value: {
      registry,
      repository,
      ...(tag !== undefined && { tag }),
      ...(digest !== undefined && { digest }),
      raw,
    },
  };
}

/**
 * The tag a registry resolves the reference with. Without tag and digest, Docker and ECS pull `latest`;
 * with only a digest no tag is involved at all, so the result is undefined.
 *
 * @example
 * ```ts
 * effectiveTag(ref('nginx'));            // 'latest'
 * effectiveTag(ref('nginx:1.27'));       // '1.27'
 * effectiveTag(ref('nginx@sha256:…'));   // undefined
 * ```
 */
export function effectiveTag(ref: ImageReference): string | undefined {
  if (ref.tag !== undefined) {
    return ref.tag;
  }
  return ref.digest === undefined ? 'latest' : undefined;
}

/**
 * Decomposes a private Amazon ECR registry host. Accepts the standard, FIPS, China and dual-stack
 * (`<account>.dkr-ecr[-fips].<region>.on.aws`, China `….on.amazonwebservices.com.cn`) hosts, case-insensitively.
 *
 * Returns undefined for anything else: ECR Public (`public.ecr.aws`), Docker Hub, other registries, hosts with a
 * port, partitions other than commercial/GovCloud and China, and hosts whose region does not belong to their
 * partition (e.g. `eu-west-1` under `.amazonaws.com.cn`), since such a host cannot be a real ECR endpoint.
 *
 * @example
 * ```ts
 * parseEcrRegistry('123456789012.dkr.ecr.eu-west-1.amazonaws.com');
 * // { accountId: '123456789012', region: 'eu-west-1', fips: false, partitionSuffix: 'amazonaws.com' }
 * parseEcrRegistry('public.ecr.aws'); // undefined
 * ```
 */
export function parseEcrRegistry(registry: string): EcrRegistry | undefined {
  const host = registry.toLowerCase();

  const standard = ECR_HOST.exec(host);
  if (standard !== null) {
    const [, accountId = '', fips, region = '', china] = standard;
    return ecrRegistry(accountId, region, fips !== undefined, china !== undefined);
  }

  const dualstack = ECR_DUALSTACK_HOST.exec(host);
  if (dualstack !== null) {
    const [, accountId = '', fips, region = '', domain] = dualstack;
    return ecrRegistry(accountId, region, fips !== undefined, domain !== 'aws');
  }

  return undefined;
}

function ecrRegistry(
  accountId: string,
  region: string,
  fips: boolean,
  china: boolean,
): EcrRegistry | undefined {
  // China regions are only served under the China domain and vice versa; a mismatch is not an ECR endpoint.
  if (region.startsWith('cn-') !== china) {
    return undefined;
  }
  return { accountId, region, fips, partitionSuffix: china ? CHINA_SUFFIX : COMMERCIAL_SUFFIX };
}

/**
 * Whether `ref` is an image of the private ECR repository `repositoryName` in `accountId`/`region`.
 *
 * Compares account, region and the exact repository name (ECR names are lowercase, and a prefix such as
 * `team/api` must not match `team/api-worker`). Standard, FIPS and dual-stack hosts of the same registry all
 * match. Images from ECR Public or Docker Hub never match, even if the repository name is the same.
 *
 * @example
 * ```ts
 * isImageOfRepository(ref('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/team/api:1'),
 *   { accountId: '123456789012', region: 'us-east-1', repositoryName: 'team/api' }); // true
 * isImageOfRepository(ref('public.ecr.aws/nginx/nginx'),
 *   { accountId: '123456789012', region: 'us-east-1', repositoryName: 'nginx/nginx' }); // false
 * ```
 */
export function isImageOfRepository(
  ref: ImageReference,
  repo: { accountId: string; region: string; repositoryName: string },
): boolean {
  const ecr = parseEcrRegistry(ref.registry);
  return (
    ecr !== undefined &&
    ecr.accountId === repo.accountId &&
    ecr.region === repo.region &&
    ref.repository === repo.repositoryName
  );
}

/**
 * The image pinned to `digest`: `<registry>/<repository>@<digest>`. The tag is dropped on purpose: with a
 * digest present the tag is ignored by the registry, and keeping it would suggest the tag still matters.
 *
 * @throws RangeError when `digest` is not a supported `algorithm:hex` digest; writing an unpullable image into a
 * task definition is worse than failing loudly at the call site.
 *
 * @example
 * ```ts
 * pinToDigest(ref('123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:main'), 'sha256:9f86…');
 * // '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api@sha256:9f86…'
 * ```
 */
export function pinToDigest(ref: ImageReference, digest: string): string {
  const problem = digestProblem(digest);
  if (problem !== undefined) {
    throw new RangeError(`cannot pin ${ref.registry}/${ref.repository}: ${problem}`);
  }
  return `${ref.registry}/${ref.repository}@${digest}`;
}

/**
 * Formats a reference in canonical form `registry/repository[:tag][@digest]`. Docker Hub images come out fully
 * qualified (`docker.io/library/nginx`), which Docker and ECS pull identically to the short form. Parsing the
 * result yields the same registry, repository, tag and digest.
 *
 * @example
 * ```ts
 * formatImageReference(ref('nginx:1.27'));           // 'docker.io/library/nginx:1.27'
 * formatImageReference(ref('MyHost:5000/app@sha256:…')); // 'myhost:5000/app@sha256:…'
 * ```
 */
export function formatImageReference(ref: ImageReference): string {
  const tag = ref.tag === undefined ? '' : `:${ref.tag}`;
  const digest = ref.digest === undefined ? '' : `@${ref.digest}`;
  return `${ref.registry}/${ref.repository}${tag}${digest}`;
}

/**
 * The short form of an image digest: the algorithm and the first 12 hex characters.
 *
 * @example
 * shortDigest('sha256:4f4f…') // 'sha256:4f4f4f4f4f4f'
 */
export function shortDigest(digest: string): string {
  const match = /^(sha256:)([0-9a-f]{12})[0-9a-f]*$/.exec(digest);
  return match ? `${match[1]}${match[2]}` : digest;
}
