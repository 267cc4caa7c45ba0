/**
 * The contract of a lease released with the writes closing its deployment ({@link LeaseClosing}): the
 * record, the ECS deployment noted, the watermark and the deploy intent are written with the release,
 * each with the outcome it has alone, whether or not the lease is still held.
 */
import type {
  DeployIntent,
  DeploymentHistory,
  DeploymentRecord,
  LeaseClosing,
  ServiceLease,
} from '../../../shared/ports';
import { API_REPO, describeContract, digest, type MakeSubject, revision, serviceArn } from './contract';

const API = serviceArn('api');
const WEB = serviceArn('web');
const D8 = 'ecs-svc/8000000000000000008';
const STARTED_AT = '2026-01-13T10:00:00.000Z';
const older = { pushedAt: '2026-01-12T09:00:00.000Z', digest: digest('11'), tag: 'v1' };
const newer = { pushedAt: '2026-01-12T09:05:00.000Z', digest: digest('22'), tag: 'v2' };

const record: DeploymentRecord = {
  serviceArn: API,
  cluster: 'prod',
  service: 'api',
  fromTaskDefinition: revision(1),
  toTaskDefinition: revision(2),
  repository: 'team/api',
  tag: 'v2',
  digest: newer.digest,
  startedAt: STARTED_AT,
  triggeredBy: 'event-1',
  state: 'STARTED',
  deploymentId: D8,
};

const closing = (watermark = newer): LeaseClosing => ({
  record,
  started: {
    serviceArn: API,
    deployment: {
      deploymentId: D8,
      taskDefinitionArn: revision(2),
      startedAt: STARTED_AT,
      isRollback: false,
    },
  },
  watermark: { repositoryKey: API_REPO, watermark },
});

const registering: DeployIntent = {
  serviceArn: API,
  digest: newer.digest,
  fromTaskDefinition: revision(1),
  triggeredBy: 'event-1',
  state: 'registering',
  at: '2026-01-13T09:59:00.000Z',
  reason: 'follows tag v2',
};
const updating: DeployIntent = {
  ...registering,
  state: 'updating',
  toTaskDefinition: revision(2),
  startedAt: STARTED_AT,
};

/** The lease and the history, on one store. */
export interface LeaseAndHistory {
  lease: ServiceLease;
  history: DeploymentHistory;
}

export function describeLeaseClosingContract(name: string, make: MakeSubject<LeaseAndHistory>): void {
  describeContract('ServiceLease closing a deployment', name, make, (store, clock) => {
    async function closed() {
      return {
        record: await store().history.deploymentTriggeredBy(API, 'event-1'),
        noted: await store().history.getDeployment(API, D8),
        watermark: await store().lease.getWatermark(API, API_REPO),
      };
    }

    it('writes the record, the ECS deployment and the watermark with the release', async () => {
      // Prepare
      await store().lease.acquireLease(API, 'event-1', 60);

      // Act
      const released = await store().lease.releaseLease(API, 'event-1', closing());

      // Assess
      expect(released).toBe(true);
      expect(await closed()).toEqual({
        record,
        noted: expect.objectContaining({
          deploymentId: D8,
          taskDefinitionArn: revision(2),
          state: 'IN_PROGRESS',
        }),
        watermark: newer,
      });
      expect(await store().lease.acquireLease(API, 'event-2', 60)).toBe(true);
    });

    it('writes them all the same when the lease expired and another took it, and leaves that lease', async () => {
      // Prepare
      await store().lease.acquireLease(API, 'event-1', 60);
      clock().advance(61);
      await store().lease.acquireLease(API, 'event-2', 60);

      // Act
      const released = await store().lease.releaseLease(API, 'event-1', closing());

      // Assess
      expect(released).toBe(false);
      expect((await closed()).watermark).toEqual(newer);
      expect((await closed()).record).toEqual(record);
      expect(await store().lease.acquireLease(API, 'event-3', 60)).toBe(false);
    });

    /** Releases event-1's lease, moving the deploy intent event-1 left registering to updating. */
    const releaseMovingIntent = () =>
      store().lease.releaseLease(API, 'event-1', {
        ...closing(),
        intent: { intent: updating, expected: { triggeredBy: 'event-1', state: 'registering' } },
      });

    it('moves the deploy intent to updating with the release, over the one read', async () => {
      // Prepare
      await store().history.saveDeployIntent(registering, undefined);
      await store().lease.acquireLease(API, 'event-1', 60);

      // Act
      const released = await releaseMovingIntent();

      // Assess
      expect(released).toBe(true);
      expect(await store().history.deployIntents(API, newer.digest)).toEqual([updating]);
      expect((await closed()).record).toEqual(record);
    });

    it('leaves an intent another invocation moved on, and still writes the rest and releases', async () => {
      // Prepare
      await store().history.saveDeployIntent({ ...registering, triggeredBy: 'event-2' }, undefined);
      await store().lease.acquireLease(API, 'event-1', 60);

      // Act
      const released = await releaseMovingIntent();

      // Assess
      expect(released).toBe(true);
      expect(await store().history.deployIntents(API, newer.digest)).toEqual([
        { ...registering, triggeredBy: 'event-2' },
      ]);
      expect(await closed()).toEqual({
        record,
        noted: expect.objectContaining({ deploymentId: D8 }),
        watermark: newer,
      });
    });

    it('releases several leases together, each with the writes closing its deployment', async () => {
      // Prepare
      await store().history.saveDeployIntent(registering, undefined);
      await store().lease.acquireLease(API, 'event-1', 60);
      await store().lease.acquireLease(WEB, 'event-1', 60);

      // Act
      const outcomes = await store().lease.releaseLeases([
        {
          serviceArn: API,
          owner: 'event-1',
          closing: {
            ...closing(),
            intent: { intent: updating, expected: { triggeredBy: 'event-1', state: 'registering' } },
          },
        },
        { serviceArn: WEB, owner: 'event-1' },
      ]);

      // Assess
      expect(outcomes).toEqual([{ released: true }, { released: true }]);
      expect(await closed()).toEqual({
        record,
        noted: expect.objectContaining({ deploymentId: D8 }),
        watermark: newer,
      });
      expect(await store().history.deployIntents(API, newer.digest)).toEqual([updating]);
      expect(await store().lease.acquireLease(API, 'event-2', 60)).toBe(true);
      expect(await store().lease.acquireLease(WEB, 'event-2', 60)).toBe(true);
    });

    it('gives each of several leases the outcome it has alone when another took one over', async () => {
      // Prepare
      await store().lease.acquireLease(API, 'event-1', 60);
      await store().lease.acquireLease(WEB, 'event-1', 60);
      clock().advance(61);
      await store().lease.acquireLease(WEB, 'event-2', 60);

      // Act
      const outcomes = await store().lease.releaseLeases([
        { serviceArn: API, owner: 'event-1', closing: closing() },
        { serviceArn: WEB, owner: 'event-1' },
      ]);

      // Assess
      expect(outcomes).toEqual([{ released: true }, { released: false }]);
      expect((await closed()).record).toEqual(record);
      expect(await store().lease.acquireLease(API, 'event-3', 60)).toBe(true);
      expect(await store().lease.acquireLease(WEB, 'event-3', 60)).toBe(false);
    });

    it('keeps a newer watermark and still writes the rest and releases', async () => {
      // Prepare
      await store().lease.setWatermark(API, API_REPO, newer);
      await store().lease.acquireLease(API, 'event-1', 60);

      // Act
      const released = await store().lease.releaseLease(API, 'event-1', closing(older));

      // Assess
      expect(released).toBe(true);
      expect(await closed()).toEqual({
        record,
        noted: expect.objectContaining({ deploymentId: D8 }),
        watermark: newer,
      });
    });
  });
}
