/** The contract of {@link RollbackHistory}: the last known good revision and the rollback slot. */
import type { RollbackHistory } from '../../../shared/ports';
import { at, describeContract, type MakeSubject, revision, serviceArn } from './contract';

const API = serviceArn('api');
const WORKER = serviceArn('worker');
const HOUR = 3_600_000;
const rollback = (time: string) => ({
  at: at(time),
  from: revision(8),
  to: revision(7),
  reason: 'alarm api-5xx',
});

export function describeRollbackHistoryContract(name: string, make: MakeSubject<RollbackHistory>): void {
  describeContract('RollbackHistory', name, make, (rollbacks) => {
    describe('last known good', () => {
      const older = { taskDefinitionArn: revision(7), deploymentId: 'ecs-svc/7', at: at('09:15:00') };
      const newer = { taskDefinitionArn: revision(8), deploymentId: 'ecs-svc/8', at: at('10:20:00') };

      it('is undefined until set', async () => {
        // Act
        const good = await rollbacks().lastKnownGood(API);

        // Assess
        expect(good).toBeUndefined();
      });

      it('moves forward, per service', async () => {
        // Prepare
        await rollbacks().setLastKnownGood(API, older);

        // Act
        const saved = await rollbacks().setLastKnownGood(API, newer);

        // Assess
        expect(saved).toBe(true);
        expect(await rollbacks().lastKnownGood(API)).toEqual(newer);
        expect(await rollbacks().lastKnownGood(WORKER)).toBeUndefined();
      });

      it('never goes backwards, and is set again at the same time', async () => {
        // Prepare
        await rollbacks().setLastKnownGood(API, newer);

        // Act
        const backwards = await rollbacks().setLastKnownGood(API, older);
        const sameTime = await rollbacks().setLastKnownGood(API, { ...newer, deploymentId: 'ecs-svc/8b' });

        // Assess
        expect([backwards, sameTime]).toEqual([false, true]);
        expect(await rollbacks().lastKnownGood(API)).toEqual({ ...newer, deploymentId: 'ecs-svc/8b' });
      });
    });

    describe('rollback slot', () => {
      it('claims the first rollback of a service and remembers when and to what', async () => {
        // Act
        const claimed = await rollbacks().claimRollback(API, rollback('10:15:00'), HOUR);

        // Assess
        expect(claimed).toBe(true);
        expect(await rollbacks().lastRollback(API)).toEqual({ at: at('10:15:00'), to: revision(7) });
        expect(await rollbacks().lastRollback(WORKER)).toBeUndefined();
      });

      it('refuses a second rollback within the cooldown and keeps the first', async () => {
        // Prepare
        await rollbacks().claimRollback(API, rollback('10:15:00'), HOUR);

        // Act
        const second = await rollbacks().claimRollback(
          API,
          { ...rollback('11:14:59'), to: revision(8) },
          HOUR,
        );

        // Assess
        expect(second).toBe(false);
        expect(await rollbacks().lastRollback(API)).toEqual({ at: at('10:15:00'), to: revision(7) });
      });

      it('claims again once the cooldown is over (at its very end, as decideRollback does)', async () => {
        // Prepare
        await rollbacks().claimRollback(API, rollback('10:15:00'), HOUR);

        // Act
        const atTheEnd = await rollbacks().claimRollback(API, rollback('11:15:00'), HOUR);
        const later = await rollbacks().claimRollback(API, rollback('12:30:00'), HOUR);

        // Assess
        expect([atTheEnd, later]).toEqual([true, true]);
        expect(await rollbacks().lastRollback(API)).toEqual({ at: at('12:30:00'), to: revision(7) });
      });

      it('always claims without a cooldown (a person rolling back)', async () => {
        // Prepare
        await rollbacks().claimRollback(API, rollback('10:15:00'), HOUR);

        // Act
        const claimed = await rollbacks().claimRollback(API, rollback('10:16:00'), 0);

        // Assess
        expect(claimed).toBe(true);
      });
    });
  });
}
