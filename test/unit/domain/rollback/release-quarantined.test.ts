import { releaseQuarantined } from '../../../../shared/domain/rollback/release-quarantined';
import type { QuarantinedImage } from '../../../../shared/ports';
import { aDigest, InMemoryQuarantine, REPOSITORY, REPOSITORY_KEY } from '../../../support/in-memory';

const DIGEST = aDigest('api build 42');

function image(overrides: Partial<QuarantinedImage> = {}): QuarantinedImage {
  return {
    repositoryKey: REPOSITORY_KEY,
    repository: REPOSITORY,
    digest: DIGEST,
    reason: 'deployed to prod/api and unhealthy: alarm api-5xx in ALARM',
    at: '2026-01-13T10:15:00.000Z',
    service: 'prod/api',
    ...overrides,
  };
}

describe('releaseQuarantined', () => {
  it.each([
    ['its name in ECR', REPOSITORY],
    ['its index key', REPOSITORY_KEY],
  ])('releases an image named by %s, returning what it released', async (_how, repository) => {
    // Prepare
    const quarantine = new InMemoryQuarantine().seedQuarantined(image());

    // Act
    const released = await releaseQuarantined(quarantine, repository, DIGEST);

    // Assess
    expect(released).toEqual(image());
    expect(quarantine.writes).toEqual([
      { op: 'release', repositoryKey: REPOSITORY_KEY, digest: DIGEST, released: true },
    ]);
    expect(await quarantine.isQuarantined(REPOSITORY_KEY, DIGEST)).toBe(false);
  });

  it('releases nothing for an image that is not quarantined, nor twice', async () => {
    // Prepare
    const quarantine = new InMemoryQuarantine().seedQuarantined(image());

    // Act
    const otherDigest = await releaseQuarantined(quarantine, REPOSITORY, aDigest('another build'));
    const otherRepository = await releaseQuarantined(quarantine, 'team/worker', DIGEST);
    const released = await releaseQuarantined(quarantine, REPOSITORY, DIGEST);
    const again = await releaseQuarantined(quarantine, REPOSITORY, DIGEST);

    // Assess
    expect(otherDigest).toBeUndefined();
    expect(otherRepository).toBeUndefined();
    expect(released).toEqual(image());
    expect(again).toBeUndefined();
  });

  it('does not take a repository of the same name in another account or region for it', async () => {
    // Prepare
    const quarantine = new InMemoryQuarantine().seedQuarantined(image());

    // Act
    const released = await releaseQuarantined(quarantine, `210987654321:us-east-1:${REPOSITORY}`, DIGEST);

    // Assess
    expect(released).toBeUndefined();
    expect(await quarantine.isQuarantined(REPOSITORY_KEY, DIGEST)).toBe(true);
  });
});
