/** The contract of {@link IndexSweep}: what the reconcile remembers per cluster, and its sweep's lease. */
import type { IndexedFingerprint, IndexSweep } from '../../../shared/ports';
import { CLUSTER, describeContract, type MakeSubject, serviceArn } from './contract';

const OTHER_CLUSTER = CLUSTER.replace('cluster/prod', 'cluster/staging');

const remembered = (name: string, fingerprint = '["a"]'): IndexedFingerprint => ({
  serviceArn: serviceArn(name),
  fingerprint,
  taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7',
  repositories: ['123456789012:eu-west-1:team/api'],
  indexedAt: '2026-01-13T10:00:00.000Z',
});

export function describeIndexSweepContract(name: string, make: MakeSubject<IndexSweep>): void {
  describeContract('IndexSweep', name, make, (sweep) => {
    it('remembers per cluster what each service was indexed from, replaced and forgotten by service', async () => {
      // Prepare
      await sweep().rememberFingerprint(CLUSTER, remembered('api'));
      await sweep().rememberFingerprint(CLUSTER, remembered('web'));
      await sweep().rememberFingerprint(OTHER_CLUSTER, remembered('worker'));

      // Act
      await sweep().rememberFingerprint(CLUSTER, remembered('api', '["b"]'));
      await sweep().forgetFingerprint(CLUSTER, serviceArn('web'));

      // Assess
      expect(await sweep().fingerprintsOf(CLUSTER)).toEqual([remembered('api', '["b"]')]);
      expect(await sweep().fingerprintsOf(OTHER_CLUSTER)).toEqual([remembered('worker')]);
    });

    it('has no sweep before the first, and grants the first claim', async () => {
      // Act
      const claim = await sweep().claimSweep('run-1', '2026-01-13T10:00:00.000Z', '2026-01-13T10:15:00.000Z');

      // Assess
      expect(claim).toEqual({});
      expect(await sweep().currentSweep()).toBeUndefined();
    });

    it('refuses a claim while another run holds the sweep, grants it to the same run and once it ran out', async () => {
      // Prepare
      await sweep().claimSweep('run-1', '2026-01-13T10:00:00.000Z', '2026-01-13T10:15:00.000Z');

      // Act
      const other = await sweep().claimSweep('run-2', '2026-01-13T10:10:00.000Z', '2026-01-13T10:25:00.000Z');
      const again = await sweep().claimSweep('run-1', '2026-01-13T10:10:00.000Z', '2026-01-13T10:25:00.000Z');
      const late = await sweep().claimSweep('run-2', '2026-01-13T10:30:00.000Z', '2026-01-13T10:45:00.000Z');

      // Assess
      expect([other, again, late]).toEqual([undefined, {}, {}]);
    });

    it('saves the sweep only for its holder, and gives it with the next claim after a release', async () => {
      // Prepare
      const started = { sweepId: 'run-1', startedAt: '2026-01-13T10:00:00.000Z' };
      await sweep().claimSweep('run-1', '2026-01-13T10:00:00.000Z', '2026-01-13T10:15:00.000Z');

      // Act
      const saved = await sweep().saveSweep('run-1', {
        ...started,
        cursor: { clusterArn: CLUSTER, nextToken: 't' },
      });
      const foreign = await sweep().saveSweep('run-2', {
        ...started,
        finishedAt: '2026-01-13T10:01:00.000Z',
      });
      const released = await sweep().releaseSweep('run-1');
      const releasedAgain = await sweep().releaseSweep('run-1');
      const claim = await sweep().claimSweep('run-2', '2026-01-13T10:02:00.000Z', '2026-01-13T10:17:00.000Z');

      // Assess
      expect([saved, foreign, released, releasedAgain]).toEqual([true, false, true, false]);
      expect(claim).toEqual({ sweep: { ...started, cursor: { clusterArn: CLUSTER, nextToken: 't' } } });
      expect(await sweep().currentSweep()).toEqual({
        ...started,
        cursor: { clusterArn: CLUSTER, nextToken: 't' },
      });
    });
  });
}
