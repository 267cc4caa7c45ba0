/** The contract of {@link Quarantine}: written by rollback, read by deploy on push, released by people. */
import type { Quarantine, QuarantinedImage } from '../../../shared/ports';
import {
  ACCOUNT,
  API_REPO,
  at,
  describeContract,
  digest,
  type MakeSubject,
  REGION,
  WORKER_REPO,
} from './contract';

const DIGEST = digest('ab');

function image(overrides: Partial<QuarantinedImage> = {}): QuarantinedImage {
  return {
    repositoryKey: API_REPO,
    repository: 'team/api',
    digest: DIGEST,
    reason: 'deployed to prod/api and unhealthy: alarm api-5xx in ALARM',
    at: at('10:15:00'),
    service: 'prod/api',
    ...overrides,
  };
}

export function describeQuarantineContract(name: string, make: MakeSubject<Quarantine>): void {
  describeContract('Quarantine', name, make, (quarantine) => {
    it('quarantines a digest once, keeping the first reason', async () => {
      // Act
      const first = await quarantine().quarantineImage(image());
      const second = await quarantine().quarantineImage(image({ reason: 'again', at: at('11:00:00') }));

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(await quarantine().listQuarantined()).toEqual([image()]);
    });

    it('quarantines it again (and says so) for a retry of the event that quarantined it', async () => {
      // Prepare
      await quarantine().quarantineImage(image({ triggeredBy: 'alarm-1' }));

      // Act
      const retry = await quarantine().quarantineImage(image({ triggeredBy: 'alarm-1' }));
      const other = await quarantine().quarantineImage(image({ triggeredBy: 'crash-2', reason: 'again' }));

      // Assess
      expect([retry, other]).toEqual([true, false]);
      expect(await quarantine().listQuarantined()).toEqual([image({ triggeredBy: 'alarm-1' })]);
    });

    it('says which digests of which repository are quarantined', async () => {
      // Prepare
      await quarantine().quarantineImage(image());

      // Act
      const [quarantined, otherDigest, otherRepository] = await Promise.all([
        quarantine().isQuarantined(API_REPO, DIGEST),
        quarantine().isQuarantined(API_REPO, digest('cd')),
        quarantine().isQuarantined(WORKER_REPO, DIGEST),
      ]);

      // Assess
      expect([quarantined, otherDigest, otherRepository]).toEqual([true, false, false]);
    });

    it('lists every quarantined digest, with or without the service it ran on', async () => {
      // Prepare
      const { service: _, ...withoutService } = image({ digest: digest('cd') });
      const worker = image({ repositoryKey: `${ACCOUNT}:${REGION}:team/worker`, repository: 'team/worker' });

      // Act
      for (const each of [image(), withoutService, worker]) await quarantine().quarantineImage(each);

      // Assess
      expect(await quarantine().listQuarantined()).toEqual(
        expect.arrayContaining([image(), withoutService, worker]),
      );
      expect(await quarantine().listQuarantined()).toHaveLength(3);
    });

    it('releases a digest, which may then be deployed and quarantined again', async () => {
      // Prepare
      await quarantine().quarantineImage(image());

      // Act
      const released = await quarantine().release(API_REPO, DIGEST);

      // Assess
      expect(released).toBe(true);
      expect(await quarantine().listQuarantined()).toEqual([]);
      expect(await quarantine().isQuarantined(API_REPO, DIGEST)).toBe(false);
      expect(await quarantine().quarantineImage(image())).toBe(true);
    });

    it('says so when releasing a digest that is not quarantined', async () => {
      // Prepare
      await quarantine().quarantineImage(image());

      // Act
      const unknown = await quarantine().release(API_REPO, digest('ef'));
      const otherRepository = await quarantine().release(WORKER_REPO, DIGEST);

      // Assess
      expect([unknown, otherRepository]).toEqual([false, false]);
      expect(await quarantine().listQuarantined()).toEqual([image()]);
    });
  });
}
