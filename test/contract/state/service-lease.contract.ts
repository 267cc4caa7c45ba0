/** The contract of {@link ServiceLease}: one owner at a time until the lease expires; watermarks move forward. */
import type { ServiceLease } from '../../../shared/ports';
import { API_REPO, describeContract, digest, type MakeSubject, serviceArn, WORKER_REPO } from './contract';

const API = serviceArn('api');
const WEB = serviceArn('web');
const older = { pushedAt: '2026-01-12T09:00:00.000Z', digest: digest('11'), tag: 'v1' };
const newer = { pushedAt: '2026-01-12T09:05:00.000Z', digest: digest('22'), tag: 'v2' };

export function describeServiceLeaseContract(name: string, make: MakeSubject<ServiceLease>): void {
  describeContract('ServiceLease', name, make, (lease, clock) => {
    describe('lease', () => {
      it('grants a free lease', async () => {
        // Act
        const acquired = await lease().acquireLease(API, 'event-1', 60);

        // Assess
        expect(acquired).toBe(true);
      });

      it('refuses a second owner while the lease is held', async () => {
        // Prepare
        await lease().acquireLease(API, 'event-1', 60);
        clock().advance(59);

        // Act
        const acquired = await lease().acquireLease(API, 'event-2', 60);

        // Assess
        expect(acquired).toBe(false);
      });

      it('lets the same owner acquire it again (a redelivered event), which extends it', async () => {
        // Prepare
        await lease().acquireLease(API, 'event-1', 60);
        clock().advance(30);

        // Act
        const again = await lease().acquireLease(API, 'event-1', 60);
        clock().advance(59);

        // Assess
        expect(again).toBe(true);
        expect(await lease().acquireLease(API, 'event-2', 60)).toBe(false);
      });

      it('lets another owner take it once it has expired', async () => {
        // Prepare
        await lease().acquireLease(API, 'event-1', 60);
        clock().advance(61);

        // Act
        const acquired = await lease().acquireLease(API, 'event-2', 60);

        // Assess
        expect(acquired).toBe(true);
        expect(await lease().acquireLease(API, 'event-1', 60)).toBe(false);
      });

      it('keeps the leases of different services apart', async () => {
        // Prepare
        await lease().acquireLease(API, 'event-1', 60);

        // Act
        const acquired = await lease().acquireLease(WEB, 'event-2', 60);

        // Assess
        expect(acquired).toBe(true);
      });

      it('is not released by another owner', async () => {
        // Prepare
        await lease().acquireLease(API, 'event-1', 60);

        // Act
        const released = await lease().releaseLease(API, 'event-2');

        // Assess
        expect(released).toBe(false);
        expect(await lease().acquireLease(API, 'event-3', 60)).toBe(false);
      });

      it('is free once released by its owner', async () => {
        // Prepare
        await lease().acquireLease(API, 'event-1', 60);

        // Act
        const released = await lease().releaseLease(API, 'event-1');

        // Assess
        expect(released).toBe(true);
        expect(await lease().acquireLease(API, 'event-2', 60)).toBe(true);
      });

      it('takes a lease no one took before as taken, and one it took last as again, held or released since', async () => {
        // Act
        const first = await lease().takeLease(API, 'event-1', 60);
        const whileHeld = await lease().takeLease(API, 'event-1', 60);
        await lease().releaseLease(API, 'event-1');
        const afterRelease = await lease().takeLease(API, 'event-1', 60);

        // Assess
        expect([first, whileHeld, afterRelease]).toEqual(['taken', 'again', 'again']);
      });

      it('takes a lease another took last as taken once free, and as held while it holds it', async () => {
        // Prepare
        await lease().takeLease(API, 'event-1', 60);

        // Act
        const whileHeld = await lease().takeLease(API, 'event-2', 60);
        clock().advance(61);
        const expired = await lease().takeLease(API, 'event-2', 60);
        await lease().releaseLease(API, 'event-2');
        const backToFirst = await lease().takeLease(API, 'event-1', 60);

        // Assess
        expect([whileHeld, expired, backToFirst]).toEqual(['held', 'taken', 'taken']);
      });

      it('takes several leases together as taken, each as it would be taken alone', async () => {
        // Prepare
        const worker = serviceArn('worker');
        await lease().takeLease(WEB, 'event-2', 60);
        await lease().releaseLease(WEB, 'event-2');

        // Act
        const outcomes = await lease().takeLeases([API, WEB, worker], 'event-1', 60);

        // Assess
        expect(outcomes).toEqual(['taken', 'taken', 'taken']);
        expect(await lease().acquireLease(WEB, 'event-2', 60)).toBe(false);
        expect(await lease().takeLease(worker, 'event-1', 60)).toBe('again');
      });

      it('tells again and held among several leases taken, the others taken all the same', async () => {
        // Prepare
        const worker = serviceArn('worker');
        await lease().takeLease(API, 'event-1', 60);
        await lease().releaseLease(API, 'event-1');
        await lease().takeLease(WEB, 'event-2', 60);

        // Act
        const outcomes = await lease().takeLeases([API, WEB, worker], 'event-1', 60);

        // Assess
        expect(outcomes).toEqual(['again', 'held', 'taken']);
        expect(await lease().acquireLease(worker, 'event-3', 60)).toBe(false);
      });

      it('releases nothing when the lease is not held', async () => {
        // Act
        const released = await lease().releaseLease(API, 'event-1');

        // Assess
        expect(released).toBe(false);
      });
    });

    describe('watermark', () => {
      it('has no watermark before the first deployment', async () => {
        // Act
        const watermark = await lease().getWatermark(API, API_REPO);

        // Assess
        expect(watermark).toBeUndefined();
      });

      it('moves forward, and is set again to the same push', async () => {
        // Prepare
        await lease().setWatermark(API, API_REPO, older);

        // Act
        const moved = await lease().setWatermark(API, API_REPO, newer);
        const same = await lease().setWatermark(API, API_REPO, newer);

        // Assess
        expect([moved, same]).toEqual([true, true]);
        expect(await lease().getWatermark(API, API_REPO)).toEqual(newer);
      });

      it('never moves backwards', async () => {
        // Prepare
        await lease().setWatermark(API, API_REPO, newer);

        // Act
        const moved = await lease().setWatermark(API, API_REPO, older);

        // Assess
        expect(moved).toBe(false);
        expect(await lease().getWatermark(API, API_REPO)).toEqual(newer);
      });

      it('keeps one watermark per service and repository', async () => {
        // Prepare
        await lease().setWatermark(API, API_REPO, newer);

        // Act
        await lease().setWatermark(API, WORKER_REPO, older);
        await lease().setWatermark(WEB, API_REPO, older);

        // Assess
        expect(await lease().getWatermark(API, API_REPO)).toEqual(newer);
        expect(await lease().getWatermark(API, WORKER_REPO)).toEqual(older);
        expect(await lease().getWatermark(WEB, API_REPO)).toEqual(older);
      });
    });
  });
}
