/**
 * The contract of {@link PendingPushes}: one pending push per service and repository, replaced only by a
 * newer one, and marked once its deferral was announced.
 */
import type { PendingPush, PendingPushes } from '../../../shared/ports';
import { ACCOUNT, API_REPO, at, describeContract, type MakeSubject, REGION, serviceArn } from './contract';

function pending(eventId: string, dueAt: string, name = 'api', repositoryName = 'team/api'): PendingPush {
  return {
    serviceArn: serviceArn(name),
    cluster: 'prod',
    service: name,
    push: {
      eventId,
      accountId: ACCOUNT,
      region: REGION,
      repositoryName,
      digest: `sha256:${eventId.padEnd(64, '0')}`,
      tag: eventId,
      pushedAt: at('09:00:00'),
    },
    dueAt,
    reason: 'outside the deploy window',
  };
}

const API = serviceArn('api');
const first = pending('event-1', at('12:00:00'));
const second = pending('event-2', at('12:00:00'));
const everything = new Date('2100-01-01T00:00:00.000Z');

export function describePendingPushesContract(name: string, make: MakeSubject<PendingPushes>): void {
  describeContract('PendingPushes', name, make, (pushes) => {
    describe('savePending', () => {
      it('saves the first pending push without asking', async () => {
        // Prepare
        const asked: string[] = [];

        // Act
        const saved = await pushes().savePending(first, (existing) => {
          asked.push(existing.push.eventId);
          return false;
        });

        // Assess
        expect(saved).toBe(true);
        expect(asked).toEqual([]);
        expect(await pushes().listDuePending(everything)).toEqual([first]);
      });

      it('replaces the pending push with one that is newer than it', async () => {
        // Prepare
        await pushes().savePending(first, () => false);
        const compared: PendingPush[] = [];

        // Act
        const saved = await pushes().savePending(second, (existing) => {
          compared.push(existing);
          return true;
        });

        // Assess
        expect(saved).toBe(true);
        expect(compared).toEqual([first]);
        expect(await pushes().listDuePending(everything)).toEqual([second]);
      });

      it('keeps the pending push when the new one is not newer', async () => {
        // Prepare
        await pushes().savePending(second, () => false);

        // Act
        const saved = await pushes().savePending(first, () => false);

        // Assess
        expect(saved).toBe(false);
        expect(await pushes().listDuePending(everything)).toEqual([second]);
      });

      it('keeps one pending push per service and repository', async () => {
        // Prepare
        const web = pending('event-3', at('12:00:00'), 'web');
        const worker = pending('event-4', at('12:00:00'), 'api', 'team/worker');

        // Act
        for (const each of [first, web, worker]) await pushes().savePending(each, () => false);

        // Assess
        expect(await pushes().listDuePending(everything)).toEqual(
          expect.arrayContaining([first, web, worker]),
        );
        expect(await pushes().listDuePending(everything)).toHaveLength(3);
      });
    });

    describe('listDuePending', () => {
      it('returns only the due pushes, as saved', async () => {
        // Prepare
        const due = pending('event-1', at('11:00:00'), 'api');
        const dueNow = pending('event-2', at('12:00:00'), 'web');
        const notYet = pending('event-3', '2026-01-13T12:00:00.001Z', 'worker');
        for (const p of [due, dueNow, notYet]) await pushes().savePending(p, () => false);

        // Act
        const listed = await pushes().listDuePending(new Date(at('12:00:00')));

        // Assess
        expect(listed).toEqual(expect.arrayContaining([due, dueNow]));
        expect(listed).toHaveLength(2);
        for (const item of listed) {
          expect(Object.keys(item).sort()).toEqual([
            'cluster',
            'dueAt',
            'push',
            'reason',
            'service',
            'serviceArn',
          ]);
        }
      });

      it('is empty when nothing is pending', async () => {
        // Act
        const listed = await pushes().listDuePending(everything);

        // Assess
        expect(listed).toEqual([]);
      });
    });

    describe('pendingOf', () => {
      it("lists one service's pending pushes, due or not, one per repository, and no other service's", async () => {
        // Prepare
        const api = pending('event-1', at('12:00:00'));
        const apiWorker = pending('event-2', '2100-01-01T00:00:00.000Z', 'api', 'team/worker');
        const canary = pending('event-3', at('12:00:00'), 'api-canary');
        for (const p of [api, apiWorker, canary]) await pushes().savePending(p, () => false);

        // Act
        const [ofApi, ofWeb] = await Promise.all([
          pushes().pendingOf(API),
          pushes().pendingOf(serviceArn('web')),
        ]);

        // Assess
        expect(ofApi).toEqual(expect.arrayContaining([api, apiWorker]));
        expect(ofApi).toHaveLength(2);
        expect(ofWeb).toEqual([]);
      });
    });

    describe('deletePending', () => {
      it('keeps the pending push when the event id does not match (a newer push replaced it)', async () => {
        // Prepare
        await pushes().savePending(second, () => false);

        // Act
        const deleted = await pushes().deletePending(API, API_REPO, 'event-1');

        // Assess
        expect(deleted).toBe(false);
        expect(await pushes().listDuePending(everything)).toEqual([second]);
      });

      it('deletes the pending push when the event id matches', async () => {
        // Prepare
        await pushes().savePending(second, () => false);

        // Act
        const deleted = await pushes().deletePending(API, API_REPO, 'event-2');

        // Assess
        expect(deleted).toBe(true);
        expect(await pushes().listDuePending(everything)).toEqual([]);
      });

      it('deletes nothing when nothing is pending', async () => {
        // Act
        const deleted = await pushes().deletePending(API, API_REPO, 'event-1');

        // Assess
        expect(deleted).toBe(false);
      });
    });

    describe('markPendingAnnounced', () => {
      it('marks the pending push of that event and due time announced, which the push then carries', async () => {
        // Prepare
        await pushes().savePending(first, () => false);
        const compared: PendingPush[] = [];

        // Act
        const marked = await pushes().markPendingAnnounced(API, API_REPO, 'event-1', first.dueAt);
        await pushes().savePending(first, (existing) => {
          compared.push(existing);
          return false;
        });

        // Assess
        expect(marked).toBe(true);
        expect(compared).toEqual([{ ...first, announced: true }]);
        expect(await pushes().listDuePending(everything)).toEqual([{ ...first, announced: true }]);
      });

      it('marks nothing when a newer push replaced it, or it was rescheduled', async () => {
        // Prepare
        await pushes().savePending(second, () => false);

        // Act
        const replaced = await pushes().markPendingAnnounced(API, API_REPO, 'event-1', first.dueAt);
        const rescheduled = await pushes().markPendingAnnounced(API, API_REPO, 'event-2', at('11:00:00'));

        // Assess
        expect([replaced, rescheduled]).toEqual([false, false]);
        expect(await pushes().listDuePending(everything)).toEqual([second]);
      });

      it('marks nothing when nothing is pending', async () => {
        // Act
        const marked = await pushes().markPendingAnnounced(API, API_REPO, 'event-1', first.dueAt);

        // Assess
        expect(marked).toBe(false);
        expect(await pushes().listDuePending(everything)).toEqual([]);
      });

      it('loses the mark when the push is saved again (a new due time is announced anew)', async () => {
        // Prepare
        await pushes().savePending(first, () => false);
        await pushes().markPendingAnnounced(API, API_REPO, 'event-1', first.dueAt);
        const later = { ...first, dueAt: at('13:00:00') };

        // Act
        const saved = await pushes().savePending(later, () => true);

        // Assess
        expect(saved).toBe(true);
        expect(await pushes().listDuePending(everything)).toEqual([later]);
      });
    });
  });
}
