/**
 * The contract of {@link SkippedPushes}: the last push skipped for each service, the next replacing
 * it, many services at once.
 */
import type { SkippedPush, SkippedPushes } from '../../../shared/ports';
import { at, describeContract, digest, type MakeSubject, serviceArn } from './contract';

/** prod/<name>'s push of team/api:<tag> skipped at `time` by the event `eventId`. */
const skip = (name: string, tag: string, time: string, eventId = `event-${tag}`): SkippedPush => ({
  serviceArn: serviceArn(name),
  repository: 'team/api',
  tag,
  digest: digest('ab'),
  reason: `tag ${tag} does not match tag:release`,
  triggeredBy: eventId,
  at: at(time),
});

export function describeSkippedPushesContract(name: string, make: MakeSubject<SkippedPushes>): void {
  describeContract('SkippedPushes', name, make, (skips) => {
    it('keeps the skip of each service, and has none for a service never skipped', async () => {
      // Prepare
      const api = skip('api', 'main', '10:00:00');
      const worker = skip('worker', 'feature', '10:00:00');

      // Act
      await skips().recordSkips([api, worker]);

      // Assess
      expect(await skips().lastSkip(serviceArn('api'))).toEqual(api);
      expect(await skips().lastSkip(serviceArn('worker'))).toEqual(worker);
      expect(await skips().lastSkip(serviceArn('web'))).toBeUndefined();
    });

    it("replaces a service's skip with the next, leaving the other services' as they were", async () => {
      // Prepare
      const worker = skip('worker', 'main', '10:00:00');
      await skips().recordSkips([skip('api', 'main', '10:00:00'), worker]);
      const next = skip('api', 'feature', '10:05:00');

      // Act
      await skips().recordSkips([next]);

      // Assess
      expect(await skips().lastSkip(serviceArn('api'))).toEqual(next);
      expect(await skips().lastSkip(serviceArn('worker'))).toEqual(worker);
    });

    it('keeps the skips of more services than one call of the table takes', async () => {
      // Prepare
      const many = Array.from({ length: 60 }, (_, i) => skip(`api-${i}`, 'main', '10:00:00'));

      // Act
      await skips().recordSkips(many);

      // Assess
      // One read at a time: sixty at once reset connections to dynalite on a busy machine.
      const kept: unknown[] = [];
      for (const s of many) kept.push(await skips().lastSkip(s.serviceArn));
      expect(kept).toEqual(many);
    });

    it('keeps the later of two skips of one service given together', async () => {
      // Prepare
      const later = skip('api', 'feature', '10:00:00');

      // Act
      await skips().recordSkips([skip('api', 'main', '10:00:00'), later]);

      // Assess
      expect(await skips().lastSkip(serviceArn('api'))).toEqual(later);
    });

    it('does nothing given no skips', async () => {
      // Act
      await skips().recordSkips([]);

      // Assess
      expect(await skips().lastSkip(serviceArn('api'))).toBeUndefined();
    });
  });
}
