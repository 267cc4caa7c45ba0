/**
 * The contract of {@link ServiceHistory}: entries per service, newest first, the same event recorded
 * once however often it is recorded.
 */
import type { HistoryEntry, ServiceHistory } from '../../../shared/ports';
import { at, describeContract, type MakeSubject } from './contract';

const entry = (time: string, eventId: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry => ({
  cluster: 'prod',
  service: 'api',
  at: at(time),
  eventId,
  detailType: 'Deployment Started',
  title: 'prod/api deploying api:8 (team/api:main)',
  reason: 'follows tag main',
  triggeredBy: `push-${eventId}`,
  told: ['platform-slack: sent'],
  dryRun: false,
  ...overrides,
});

export function describeServiceHistoryContract(name: string, make: MakeSubject<ServiceHistory>): void {
  describeContract('ServiceHistory', name, make, (history) => {
    it("lists a service's entries newest first, as many as asked, and no other service's", async () => {
      // Prepare
      for (const [time, id] of [
        ['10:00:00', 'e-1'],
        ['12:00:00', 'e-3'],
        ['11:00:00', 'e-2'],
      ] as const) {
        await history().record(entry(time, id));
      }
      await history().record(entry('13:00:00', 'e-4', { service: 'api-canary' }));
      await history().record(entry('13:00:00', 'e-5', { cluster: 'staging' }));

      // Act
      const [two, all, none] = await Promise.all([
        history().recent('prod', 'api', 2),
        history().recent('prod', 'api', 50),
        history().recent('prod', 'web', 50),
      ]);

      // Assess
      expect(two.map((e) => e.eventId)).toEqual(['e-3', 'e-2']);
      expect(all).toEqual([entry('12:00:00', 'e-3'), entry('11:00:00', 'e-2'), entry('10:00:00', 'e-1')]);
      expect(none).toEqual([]);
    });

    it('keeps one entry for an event recorded twice (a retry), as recorded last', async () => {
      // Prepare
      await history().record(entry('10:00:00', 'e-1', { told: ['platform-slack: held'] }));

      // Act
      await history().record(entry('10:00:00', 'e-1', { told: ['platform-slack: sent'] }));

      // Assess
      expect(await history().recent('prod', 'api', 10)).toEqual([entry('10:00:00', 'e-1')]);
    });
  });
}
