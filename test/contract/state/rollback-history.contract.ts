/** The contract of {@link RollbackHistory}: the last known good revision and the rollback slot. */
import type { RollbackHistory } from '../../../shared/ports';
import { at, describeContract, type MakeSubject, revision, serviceArn } from './contract';

const API = serviceArn('api');
const WORKER = serviceArn('worker');
const HOUR = 3_600_000;
const rollback = (time: string, triggeredBy = `alarm-${time}`) => ({
  at: at(time),
  from: revision(8),
  to: revision(7),
  reason: 'alarm api-5xx',
  triggeredBy,
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

    describe('first known good revision', () => {
      const older = { taskDefinitionArn: revision(7), deploymentId: 'ecs-svc/7', at: at('09:15:00') };
      const newer = { taskDefinitionArn: revision(8), deploymentId: 'ecs-svc/8', at: at('10:20:00') };

      it("is completed by the bake's record of the same deployment, with its digests, though older", async () => {
        // Prepare: the indexer saw ecs-svc/8 steady at 10:20; the bake ended at 10:15
        await rollbacks().setFirstKnownGood(API, newer);
        const images = [{ container: 'app', image: 'team/api:main', digest: `sha256:${'a'.repeat(64)}` }];

        // Act
        const completed = await rollbacks().setLastKnownGood(API, { ...newer, at: at('10:15:00'), images });
        const older7 = await rollbacks().setLastKnownGood(API, { ...older, images });

        // Assess
        expect([completed, older7]).toEqual([true, false]);
        expect(await rollbacks().lastKnownGood(API)).toEqual({ ...newer, at: at('10:15:00'), images });
      });

      it('is set where none is, and never replaces one, however old', async () => {
        // Prepare
        const first = await rollbacks().setFirstKnownGood(WORKER, older);
        await rollbacks().setLastKnownGood(API, older);

        // Act
        const over = await rollbacks().setFirstKnownGood(API, newer);

        // Assess
        expect([first, over]).toEqual([true, false]);
        expect(await rollbacks().lastKnownGood(WORKER)).toEqual(older);
        expect(await rollbacks().lastKnownGood(API)).toEqual(older);
      });
    });

    describe('rollback slot', () => {
      it('claims the first rollback of a service and remembers when and to what', async () => {
        // Act
        const claimed = await rollbacks().claimRollback(API, rollback('10:15:00'), HOUR);

        // Assess
        expect(claimed).toBe(true);
        expect(await rollbacks().lastRollback(API)).toEqual(rollback('10:15:00'));
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
        expect(await rollbacks().lastRollback(API)).toEqual(rollback('10:15:00'));
      });

      it('claims again once the cooldown is over (at its very end, as decideRollback does)', async () => {
        // Prepare
        await rollbacks().claimRollback(API, rollback('10:15:00'), HOUR);

        // Act
        const atTheEnd = await rollbacks().claimRollback(API, rollback('11:15:00'), HOUR);
        const later = await rollbacks().claimRollback(API, rollback('12:30:00'), HOUR);

        // Assess
        expect([atTheEnd, later]).toEqual([true, true]);
        expect(await rollbacks().lastRollback(API)).toEqual(rollback('12:30:00'));
      });

      it('claims again for a retry of the event that claimed it, within the cooldown', async () => {
        // Prepare
        await rollbacks().claimRollback(API, rollback('10:15:00', 'alarm-1'), HOUR);

        // Act
        const retry = await rollbacks().claimRollback(API, rollback('10:17:00', 'alarm-1'), HOUR);
        const another = await rollbacks().claimRollback(API, rollback('10:18:00', 'crash-2'), HOUR);

        // Assess
        expect([retry, another]).toEqual([true, false]);
        expect(await rollbacks().lastRollback(API)).toEqual(rollback('10:17:00', 'alarm-1'));
      });

      it('records the pinned copy a rollback goes to, for the event that claimed it only', async () => {
        // Prepare
        await rollbacks().claimRollback(API, rollback('10:15:00', 'alarm-1'), HOUR);

        // Act
        const other = await rollbacks().pinRollback(API, 'crash-2', revision(10));
        const pinned = await rollbacks().pinRollback(API, 'alarm-1', revision(9));
        const again = await rollbacks().pinRollback(API, 'alarm-1', revision(9));
        const none = await rollbacks().pinRollback(WORKER, 'alarm-1', revision(9));

        // Assess
        expect([other, pinned, again, none]).toEqual([false, true, true, false]);
        expect(await rollbacks().lastRollback(API)).toEqual({
          ...rollback('10:15:00', 'alarm-1'),
          to: revision(9),
          pinnedFrom: revision(7),
        });
        expect(await rollbacks().lastRollback(WORKER)).toBeUndefined();
      });

      it('marks announced the rollback claimed by an event at a time, and no other', async () => {
        // Prepare
        await rollbacks().claimRollback(API, rollback('10:15:00', 'autopilot-cli'), 0);

        // Act
        const other = await rollbacks().markRollbackAnnounced(API, 'alarm-1', at('10:15:00'));
        const earlier = await rollbacks().markRollbackAnnounced(API, 'autopilot-cli', at('10:14:00'));
        const marked = await rollbacks().markRollbackAnnounced(API, 'autopilot-cli', at('10:15:00'));
        const none = await rollbacks().markRollbackAnnounced(WORKER, 'autopilot-cli', at('10:15:00'));

        // Assess
        expect([other, earlier, marked, none]).toEqual([false, false, true, false]);
        expect(await rollbacks().lastRollback(API)).toEqual({
          ...rollback('10:15:00', 'autopilot-cli'),
          announced: true,
        });
        expect(await rollbacks().lastRollback(WORKER)).toBeUndefined();
      });

      it('claims a new rollback unannounced', async () => {
        // Prepare
        await rollbacks().claimRollback(API, rollback('10:15:00', 'autopilot-cli'), 0);
        await rollbacks().markRollbackAnnounced(API, 'autopilot-cli', at('10:15:00'));

        // Act
        await rollbacks().claimRollback(API, rollback('10:20:00', 'autopilot-cli'), 0);

        // Assess
        expect(await rollbacks().lastRollback(API)).toEqual(rollback('10:20:00', 'autopilot-cli'));
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
