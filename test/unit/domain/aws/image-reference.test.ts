import fc from 'fast-check';
import {
  effectiveTag,
  formatImageReference,
  type ImageReference,
  isImageOfRepository,
  parseEcrRegistry,
  parseImageReference,
  pinToDigest,
} from '../../../../shared/domain/aws/image-reference';

const ACCOUNT = '123456789012';
const ECR = `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const SHA256 = `sha256:${'0123456789abcdef'.repeat(4)}`;
const OTHER_SHA256 = `sha256:${'fedcba9876543210'.repeat(4)}`;
const SHA512 = `sha512:${'0123456789abcdef'.repeat(8)}`;

/** Parses a reference the test relies on being valid; failing loudly keeps the assertion messages useful. */
function mustParse(raw: string): ImageReference {
  const result = parseImageReference(raw);
  if (!result.ok) {
    throw new Error(`expected "${raw}" to parse, got: ${result.reason}`);
  }
  return result.value;
}

describe('parseImageReference', () => {
  it.each<[string, Omit<ImageReference, 'raw'>]>([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    ['nginx:1.27', { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' }],
    ['bitnami/redis', { registry: 'docker.io', repository: 'bitnami/redis' }],
    [
      'bitnami/redis:7.2.4-debian-12-r0',
      { registry: 'docker.io', repository: 'bitnami/redis', tag: '7.2.4-debian-12-r0' },
    ],
    ['docker.io/nginx', { registry: 'docker.io', repository: 'library/nginx' }],
    [
      'index.docker.io/library/nginx:latest',
      { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
    ],
    ['registry-1.docker.io/bitnami/redis', { registry: 'docker.io', repository: 'bitnami/redis' }],
    ['myhost:5000/team/app:1.0', { registry: 'myhost:5000', repository: 'team/app', tag: '1.0' }],
    ['myhost:5000/team/app', { registry: 'myhost:5000', repository: 'team/app' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/app:dev', { registry: 'localhost:5000', repository: 'app', tag: 'dev' }],
    ['[::1]:5000/app:dev', { registry: '[::1]:5000', repository: 'app', tag: 'dev' }],
    [
      'MyRegistry.Example.COM/team/app:v1',
      { registry: 'myregistry.example.com', repository: 'team/app', tag: 'v1' },
    ],
    ['ghcr.io/org/group/sub/app', { registry: 'ghcr.io', repository: 'org/group/sub/app' }],
    [`${ECR}/team/api:main`, { registry: ECR, repository: 'team/api', tag: 'main' }],
    [
      'public.ecr.aws/nginx/nginx:1.27',
      { registry: 'public.ecr.aws', repository: 'nginx/nginx', tag: '1.27' },
    ],
    [
      'app:Release_2024.01-RC1',
      { registry: 'docker.io', repository: 'library/app', tag: 'Release_2024.01-RC1' },
    ],
    ['app:_internal', { registry: 'docker.io', repository: 'library/app', tag: '_internal' }],
    ['team/my__app.v2---x_y', { registry: 'docker.io', repository: 'team/my__app.v2---x_y' }],
    [`${ECR}/team/api:1.2@${SHA256}`, { registry: ECR, repository: 'team/api', tag: '1.2', digest: SHA256 }],
    [`${ECR}/team/api@${SHA256}`, { registry: ECR, repository: 'team/api', digest: SHA256 }],
    [`nginx@${SHA512}`, { registry: 'docker.io', repository: 'library/nginx', digest: SHA512 }],
  ])('parses %s', (raw, expected) => {
    // Prepare
    const input = raw;

    // Act
    const result = parseImageReference(input);

    // Assess
    expect(result).toStrictEqual({ ok: true, value: { ...expected, raw } });
  });

  it('accepts a tag of the maximum 128 characters', () => {
    // Prepare
    const tag = `v${'1'.repeat(127)}`;

    // Act
    const result = parseImageReference(`app:${tag}`);

    // Assess
    expect(result.ok && result.value.tag).toBe(tag);
  });

  it.each<[string, string]>([
    ['', 'image reference is empty'],
    ['   ', 'image reference is blank'],
    ['nginx :1.27', 'image reference must not contain whitespace'],
    [' nginx', 'image reference must not contain whitespace'],
    ['repo:', 'tag is empty'],
    [`@${SHA256}`, 'image reference has no repository name'],
    [':1.0', 'image reference has no repository name'],
    ['repo@', 'digest is empty'],
    ['Team/App', 'repository "Team/App" must be lowercase'],
    ['NGINX:1.27', 'repository "NGINX" must be lowercase'],
    ['ghcr.io/Org/app', 'repository "Org/app" must be lowercase'],
    ['team//app', 'repository "team//app" has an empty path component'],
    ['localhost:5000/', 'repository name is empty'],
    ['my_host.example.com/app', 'registry "my_host.example.com" is not a valid host[:port]'],
    ['localhost:/app', 'registry "localhost:" is not a valid host[:port]'],
    ['myhost:99999/app', 'registry port 99999 must be between 1 and 65535'],
    [
      'repo:-bad',
      'tag "-bad" is invalid (use letters, digits, "_", "." and "-", not starting with "." or "-")',
    ],
    [`repo:${'a'.repeat(129)}`, 'tag is 129 characters long, the maximum is 128'],
    [`repo@sha256:${'a'.repeat(63)}`, 'sha256 digest must have 64 hex characters, got 63'],
    [`repo@sha256:${'a'.repeat(65)}`, 'sha256 digest must have 64 hex characters, got 65'],
    [`repo@sha256:${'A'.repeat(64)}`, 'sha256 digest must use lowercase hex'],
    [`repo@sha256:${'g'.repeat(64)}`, 'sha256 digest must contain only hex characters'],
    [`repo@md5:${'a'.repeat(32)}`, 'digest algorithm "md5" is not supported (use sha256, sha384 or sha512)'],
    ['repo@latest', 'digest "latest" must look like "sha256:<64 hex characters>"'],
    [`repo@${SHA256}@${SHA256}`, 'sha256 digest must contain only hex characters'],
    ['a'.repeat(256), 'image name is 274 characters long, the maximum is 255'],
  ])('rejects %j', (raw, reason) => {
    // Prepare
    const input = raw;

    // Act
    const result = parseImageReference(input);

    // Assess
    expect(result).toStrictEqual({ ok: false, reason });
  });

  it.each<[string, string]>([
    ['a leading separator', 'team/-app'],
    ['a trailing separator', 'team/app_'],
    ['three underscores', 'team/a___b'],
    ['a dot pair', 'team/a..b'],
    ['a character outside the alphabet', 'team/a+b'],
  ])('rejects a path component with %s', (_case, raw) => {
    // Prepare
    const input = raw;

    // Act
    const result = parseImageReference(input);

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^repository "team\/.+" has an invalid path component/);
  });

  it('measures the name limit on the normalised name, so a short Docker Hub form can be too long', () => {
    // Prepare: 240 characters as written, 258 once 'docker.io/library/' is added.
    const raw = 'a'.repeat(240);

    // Act
    const result = parseImageReference(raw);

    // Assess
    expect(result).toStrictEqual({
      ok: false,
      reason: 'image name is 258 characters long, the maximum is 255',
    });
  });

  it('returns a reason instead of throwing for a non-string input', () => {
    // Prepare: untyped callers (parsed JSON, events) can pass anything.
    const input = undefined as unknown as string;

    // Act
    const result = parseImageReference(input);

    // Assess
    expect(result).toStrictEqual({ ok: false, reason: 'image reference must be a string' });
  });

  it('never throws, whatever the string', () => {
    // Prepare
    const anyString = fc.string({ unit: 'binary', maxLength: 300 });

    // Act
    const property = fc.property(anyString, (raw) => {
      const result = parseImageReference(raw);
      return result.ok ? result.value.raw === raw : result.reason.length > 0;
    });

    // Assess
    fc.assert(property);
  });
});

describe('effectiveTag', () => {
  it.each<[string, string | undefined]>([
    ['nginx', 'latest'],
    ['nginx:1.27', '1.27'],
    [`nginx@${SHA256}`, undefined],
    [`nginx:1.27@${SHA256}`, '1.27'],
    ['myhost:5000/team/app', 'latest'],
  ])('of %s is %s', (raw, expected) => {
    // Prepare
    const ref = mustParse(raw);

    // Act
    const tag = effectiveTag(ref);

    // Assess
    expect(tag).toBe(expected);
  });
});

describe('parseEcrRegistry', () => {
  it.each<[string, ReturnType<typeof parseEcrRegistry>]>([
    [ECR, { accountId: ACCOUNT, region: 'eu-west-1', fips: false, partitionSuffix: 'amazonaws.com' }],
    [
      `${ACCOUNT}.dkr.ecr-fips.us-east-1.amazonaws.com`,
      { accountId: ACCOUNT, region: 'us-east-1', fips: true, partitionSuffix: 'amazonaws.com' },
    ],
    [
      `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`,
      { accountId: ACCOUNT, region: 'cn-north-1', fips: false, partitionSuffix: 'amazonaws.com.cn' },
    ],
    [
      `${ACCOUNT}.dkr.ecr.us-gov-west-1.amazonaws.com`,
      { accountId: ACCOUNT, region: 'us-gov-west-1', fips: false, partitionSuffix: 'amazonaws.com' },
    ],
    [
      `${ACCOUNT}.dkr-ecr.eu-west-1.on.aws`,
      { accountId: ACCOUNT, region: 'eu-west-1', fips: false, partitionSuffix: 'amazonaws.com' },
    ],
    [
      `${ACCOUNT}.dkr-ecr-fips.us-east-2.on.aws`,
      { accountId: ACCOUNT, region: 'us-east-2', fips: true, partitionSuffix: 'amazonaws.com' },
    ],
    [
      `${ACCOUNT}.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn`,
      { accountId: ACCOUNT, region: 'cn-northwest-1', fips: false, partitionSuffix: 'amazonaws.com.cn' },
    ],
    [
      `${ACCOUNT}.DKR.ECR.EU-WEST-1.AMAZONAWS.COM`,
      { accountId: ACCOUNT, region: 'eu-west-1', fips: false, partitionSuffix: 'amazonaws.com' },
    ],
  ])('parses %s', (registry, expected) => {
    // Prepare
    const input = registry;

    // Act
    const ecr = parseEcrRegistry(input);

    // Assess
    expect(ecr).toStrictEqual(expected);
  });

  it.each<[string, string]>([
    ['ECR Public', 'public.ecr.aws'],
    ['Docker Hub', 'docker.io'],
    ['another registry', 'ghcr.io'],
    ['an 11-digit account', '12345678901.dkr.ecr.eu-west-1.amazonaws.com'],
    ['a port', `${ECR}:443`],
    ['a look-alike domain', `${ECR}.evil.example.com`],
    ['a missing account', 'dkr.ecr.eu-west-1.amazonaws.com'],
    ['a China region outside the China domain', `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com`],
    ['a non-China region in the China domain', `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com.cn`],
    ['a China region on the global dual-stack domain', `${ACCOUNT}.dkr-ecr.cn-north-1.on.aws`],
    ['the API endpoint', 'api.ecr.eu-west-1.amazonaws.com'],
  ])('returns undefined for %s', (_case, registry) => {
    // Prepare
    const input = registry;

    // Act
    const ecr = parseEcrRegistry(input);

    // Assess
    expect(ecr).toBeUndefined();
  });
});

describe('isImageOfRepository', () => {
  const repo = { accountId: ACCOUNT, region: 'eu-west-1', repositoryName: 'team/api' };

  it.each<[string, boolean, string, typeof repo]>([
    ['the repository itself', true, `${ECR}/team/api:main`, repo],
    ['a digest-only image', true, `${ECR}/team/api@${SHA256}`, repo],
    ['an uppercase registry host', true, `${ACCOUNT}.DKR.ECR.EU-WEST-1.AMAZONAWS.COM/team/api:main`, repo],
    ['the dual-stack host', true, `${ACCOUNT}.dkr-ecr.eu-west-1.on.aws/team/api:main`, repo],
    [
      'the FIPS host',
      true,
      `${ACCOUNT}.dkr.ecr-fips.us-east-1.amazonaws.com/team/api:1`,
      { ...repo, region: 'us-east-1' },
    ],
    [
      'a China registry',
      true,
      `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/team/api:1`,
      { ...repo, region: 'cn-north-1' },
    ],
    ['another account', false, `210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/api:main`, repo],
    ['another region', false, `${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com/team/api:main`, repo],
    ['a repository sharing a prefix', false, `${ECR}/team/api-worker:main`, repo],
    ['a parent repository', false, `${ECR}/team:main`, repo],
    [
      'ECR Public with the same name',
      false,
      'public.ecr.aws/nginx/nginx:1.27',
      { ...repo, repositoryName: 'nginx/nginx' },
    ],
    ['Docker Hub with the same name', false, 'nginx:1.27', { ...repo, repositoryName: 'library/nginx' }],
    ['a private registry mirroring the path', false, 'myhost:5000/team/api:main', repo],
  ])('for %s is %s', (_case, expected, raw, repository) => {
    // Prepare
    const ref = mustParse(raw);

    // Act
    const matches = isImageOfRepository(ref, repository);

    // Assess
    expect(matches).toBe(expected);
  });
});

describe('pinToDigest', () => {
  it.each<[string, string, string]>([
    [`${ECR}/team/api:main`, SHA256, `${ECR}/team/api@${SHA256}`],
    [`${ECR}/team/api:main@${SHA256}`, OTHER_SHA256, `${ECR}/team/api@${OTHER_SHA256}`],
    ['nginx:1.27', SHA256, `docker.io/library/nginx@${SHA256}`],
    ['MyHost:5000/app', SHA512, `myhost:5000/app@${SHA512}`],
  ])('pins %s to %s', (raw, digest, expected) => {
    // Prepare
    const ref = mustParse(raw);

    // Act
    const pinned = pinToDigest(ref, digest);

    // Assess
    expect(pinned).toBe(expected);
    expect(parseImageReference(pinned)).toMatchObject({ ok: true, value: { digest } });
  });

  it('throws a RangeError for an invalid digest rather than producing an unpullable image', () => {
    // Prepare
    const ref = mustParse(`${ECR}/team/api:main`);

    // Act
    const pin = () => pinToDigest(ref, 'sha256:abc');

    // Assess
    expect(pin).toThrow(RangeError);
    expect(pin).toThrow(`cannot pin ${ECR}/team/api: sha256 digest must have 64 hex characters, got 3`);
  });
});

describe('formatImageReference', () => {
  it.each<[string, string]>([
    ['nginx', 'docker.io/library/nginx'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['index.docker.io/bitnami/redis', 'docker.io/bitnami/redis'],
    ['MyHost:5000/team/app:1.0', 'myhost:5000/team/app:1.0'],
    [`${ECR}/team/api:1.2@${SHA256}`, `${ECR}/team/api:1.2@${SHA256}`],
    [`public.ecr.aws/nginx/nginx@${SHA256}`, `public.ecr.aws/nginx/nginx@${SHA256}`],
  ])('formats %s as %s', (raw, expected) => {
    // Prepare
    const ref = mustParse(raw);

    // Act
    const formatted = formatImageReference(ref);

    // Assess
    expect(formatted).toBe(expected);
  });

  it('round-trips: the formatted form of a valid reference parses to the same value', () => {
    // Prepare
    const component = fc.stringMatching(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/, { maxLength: 20 });
    // Without a registry the first component must not look like a host ('.'), or it would become one.
    const hubComponent = fc.stringMatching(/^[a-z0-9]+(?:(?:_|__|-+)[a-z0-9]+)*$/, { maxLength: 20 });
    const label = fc.stringMatching(/^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?$/);
    const generatedHost = fc
      .tuple(fc.array(label, { minLength: 2, maxLength: 3 }), fc.option(fc.integer({ min: 1, max: 65_535 })))
      .map(([labels, port]) => (port === null ? labels.join('.') : `${labels.join('.')}:${port}`));
    const registry = fc.oneof(
      fc.constantFrom(
        'docker.io',
        'index.docker.io',
        'registry-1.docker.io',
        'localhost',
        'localhost:5000',
        '[::1]:5000',
        'public.ecr.aws',
        ECR,
        `${ACCOUNT}.dkr.ecr-fips.us-east-1.amazonaws.com`,
      ),
      generatedHost,
    );
    const name = fc.oneof(
      fc
        .tuple(hubComponent, fc.array(component, { maxLength: 3 }))
        .map(([first, rest]) => [first, ...rest].join('/')),
      fc
        .tuple(registry, fc.array(component, { minLength: 1, maxLength: 4 }))
        .map(([host, path]) => `${host}/${path.join('/')}`),
    );
    const tag = fc.option(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/), { nil: undefined });
    const digest = fc.option(
      fc.stringMatching(/^[0-9a-f]{64}$/).map((hex) => `sha256:${hex}`),
      { nil: undefined },
    );
    // Keep the written name well under the limit even after 'docker.io/library/' is prepended.
    const reference = fc
      .record({ name: name.filter((n) => n.length <= 200), tag, digest })
      .map(
        ({ name: n, tag: t, digest: d }) =>
          `${n}${t === undefined ? '' : `:${t}`}${d === undefined ? '' : `@${d}`}`,
      );

    // Act
    const property = fc.property(reference, (raw) => {
      const first = mustParse(raw);
      const formatted = formatImageReference(first);
      const second = parseImageReference(formatted);
      expect(second).toStrictEqual({ ok: true, value: { ...first, raw: formatted } });
    });

    // Assess
    fc.assert(property);
  });
});
