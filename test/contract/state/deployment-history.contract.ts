/**
 * The contract of {@link DeploymentHistory}: the deployments autopilot started, ECS deployments as
 * their state changes and autopilot's own UpdateService calls report them, unhealthy marks, crashes.
 */
import type { DeploymentHistory, DeploymentRecord, KnownDeployment } from '../../../shared/ports';
import {
  ACCOUNT,
  at,
  describeContract,
  digest,
  type MakeSubject,
  REGION,
  revision,
  serviceArn,
} from './contract';

const API = serviceArn('api');
const WORKER = serviceArn('worker');
const D8 = 'ecs-svc/8000000000000000008';
const task = (id: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/${id}`;

/** A deployment of prod/api to api:2, started at `startedAt` by the event `eventId`. */
const started = (startedAt: string, eventId: string): DeploymentRecord => ({
  serviceArn: API,
  cluster: 'prod',
  service: 'api',
  fromTaskDefinition: revision(1),
  toTaskDefinition: revision(2),
  repository: 'team/api',
  tag: 'v1.2.3',
  digest: digest('cc'),
  startedAt,
  triggeredBy: eventId,
  state: 'STARTED',
});

function deployment(state: string, overrides: Partial<KnownDeployment> = {}): KnownDeployment {
  return {
    deploymentId: D8,
    taskDefinitionArn: revision(8),
    state,
    startedAt: at('10:00:00'),
    isRollback: false,
    ...overrides,
  };
}

const noted = (isRollback = false) => ({
  deploymentId: D8,
  taskDefinitionArn: revision(8),
  startedAt: at('10:00:00'),
  isRollback,
});

export function describeDeploymentHistoryContract(name: string, make: MakeSubject<DeploymentHistory>): void {
  describeContract('DeploymentHistory', name, make, (history) => {
    describe('deployments autopilot started', () => {
      it('finds the deployment an event started, and nothing for another event or service', async () => {
        // Prepare
        await history().recordDeployment(started(at('10:00:00'), 'event-1'));
        await history().recordDeployment({ ...started(at('11:00:00'), 'event-2'), deploymentId: D8 });

        // Act
        const [first, second, missing, elsewhere] = await Promise.all([
          history().deploymentTriggeredBy(API, 'event-1'),
          history().deploymentTriggeredBy(API, 'event-2'),
          history().deploymentTriggeredBy(API, 'event-3'),
          history().deploymentTriggeredBy(WORKER, 'event-1'),
        ]);

        // Assess
        expect(first).toEqual(started(at('10:00:00'), 'event-1'));
        expect(second).toEqual({ ...started(at('11:00:00'), 'event-2'), deploymentId: D8 });
        expect(missing).toBeUndefined();
        expect(elsewhere).toBeUndefined();
      });

      it('replaces the record of the same start by the same event', async () => {
        // Prepare
        await history().recordDeployment(started(at('10:00:00'), 'event-1'));

        // Act
        await history().recordDeployment({ ...started(at('10:00:00'), 'event-1'), tag: 'v1.2.4' });

        // Assess
        expect(await history().deploymentTriggeredBy(API, 'event-1')).toMatchObject({ tag: 'v1.2.4' });
      });

      it('searches only the 20 latest deployments of the service (retries come within hours)', async () => {
        // Prepare
        await history().recordDeployment(started(at('09:00:00'), 'oldest'));
        for (let i = 0; i < 20; i++) {
          await history().recordDeployment(started(at(`10:${String(i).padStart(2, '0')}:00`), `event-${i}`));
        }

        // Act
        const [oldest, twentiethLatest] = await Promise.all([
          history().deploymentTriggeredBy(API, 'oldest'),
          history().deploymentTriggeredBy(API, 'event-0'),
        ]);

        // Assess
        expect(oldest).toBeUndefined();
        expect(twentiethLatest).toEqual(started(at('10:00:00'), 'event-0'));
      });

      it("lists a service's latest deployments, newest first, as many as asked, and no other service's", async () => {
        // Prepare
        for (const [time, id] of [
          ['10:00:00', 'event-1'],
          ['12:00:00', 'event-3'],
          ['11:00:00', 'event-2'],
        ] as const) {
          await history().recordDeployment(started(at(time), id));
        }
        await history().recordDeployment({ ...started(at('13:00:00'), 'event-4'), serviceArn: WORKER });

        // Act
        const [two, all, none] = await Promise.all([
          history().recentDeployments(API, 2),
          history().recentDeployments(API, 10),
          history().recentDeployments(serviceArn('web'), 10),
        ]);

        // Assess
        expect(two.map((r) => r.triggeredBy)).toEqual(['event-3', 'event-2']);
        expect(all.map((r) => r.triggeredBy)).toEqual(['event-3', 'event-2', 'event-1']);
        expect(all[0]).toEqual(started(at('12:00:00'), 'event-3'));
        expect(none).toEqual([]);
      });
    });

    describe('ECS deployments', () => {
      it('records a deployment and reads it back, and nothing for another deployment or service', async () => {
        // Prepare
        const recorded = deployment('IN_PROGRESS');

        // Act
        const saved = await history().recordDeploymentState(API, recorded, at('10:00:00'));

        // Assess
        expect(saved).toBe(true);
        expect(await history().getDeployment(API, D8)).toEqual(recorded);
        expect(await history().getDeployment(API, 'ecs-svc/unknown')).toBeUndefined();
        expect(await history().getDeployment(WORKER, D8)).toBeUndefined();
      });

      it('moves a deployment forward only: an older state change is refused', async () => {
        // Prepare
        const completed = deployment('COMPLETED', { completedAt: at('10:10:00'), bakeUntil: at('10:20:00') });
        await history().recordDeploymentState(API, completed, at('10:10:00'));

        // Act
        const saved = await history().recordDeploymentState(API, deployment('IN_PROGRESS'), at('10:00:00'));

        // Assess
        expect(saved).toBe(false);
        expect(await history().getDeployment(API, D8)).toEqual(completed);
      });

      it('takes a newer state change, and the same one again', async () => {
        // Prepare
        await history().recordDeploymentState(API, deployment('IN_PROGRESS'), at('10:00:00'));
        const failed = deployment('FAILED');

        // Act
        const newer = await history().recordDeploymentState(API, failed, at('10:06:00'));
        const again = await history().recordDeploymentState(API, failed, at('10:06:00'));

        // Assess
        expect([newer, again]).toEqual([true, true]);
        expect(await history().getDeployment(API, D8)).toEqual(failed);
      });

      it('records field by field: what a state change leaves out stays', async () => {
        // Prepare
        await history().recordDeploymentState(
          API,
          deployment('COMPLETED', { completedAt: at('10:10:00'), bakeUntil: at('10:20:00') }),
          at('10:10:00'),
        );

        // Act
        await history().recordDeploymentState(API, deployment('COMPLETED'), at('10:11:00'));

        // Assess
        expect(await history().getDeployment(API, D8)).toEqual(
          deployment('COMPLETED', { completedAt: at('10:10:00'), bakeUntil: at('10:20:00') }),
        );
      });

      it('marks a deployment unhealthy once, by the event whose signal acts', async () => {
        // Prepare
        await history().recordDeploymentState(API, deployment('IN_PROGRESS'), at('10:00:00'));

        // Act
        const first = await history().markUnhealthy(API, D8, 'alarm-1');
        const second = await history().markUnhealthy(API, D8, 'crash-2');

        // Assess
        expect([first, second]).toEqual([true, false]);
        expect(await history().getDeployment(API, D8)).toEqual(
          deployment('IN_PROGRESS', { unhealthy: true, unhealthyBy: 'alarm-1' }),
        );
      });

      it('marks it again for a retry of the event that marked it, so the retry goes on', async () => {
        // Prepare
        await history().markUnhealthy(API, D8, 'alarm-1');

        // Act
        const retry = await history().markUnhealthy(API, D8, 'alarm-1');

        // Assess
        expect(retry).toBe(true);
        expect(await history().getDeployment(API, D8)).toEqual({ unhealthy: true, unhealthyBy: 'alarm-1' });
      });

      it('records that the marking event was announced, for that event only', async () => {
        // Prepare
        await history().markUnhealthy(API, D8, 'alarm-1');

        // Act
        const other = await history().markAnnounced(API, D8, 'crash-2');
        const own = await history().markAnnounced(API, D8, 'alarm-1');
        const unknown = await history().markAnnounced(API, 'ecs-svc/1', 'alarm-1');

        // Assess
        expect([other, own, unknown]).toEqual([false, true, false]);
        expect(await history().getDeployment(API, D8)).toEqual({
          unhealthy: true,
          unhealthyBy: 'alarm-1',
          unhealthyAnnounced: true,
        });
      });

      it('never takes the unhealthy mark from a state change', async () => {
        // Prepare
        await history().recordDeploymentState(API, deployment('IN_PROGRESS'), at('10:00:00'));
        await history().markUnhealthy(API, D8, 'alarm-1');

        // Act: a state change carrying another mark (read before the mark) writes no mark
        await history().recordDeploymentState(
          API,
          deployment('COMPLETED', { unhealthy: false, unhealthyBy: 'crash-2' }),
          at('10:10:00'),
        );

        // Assess
        expect(await history().markUnhealthy(API, D8, 'crash-2')).toBe(false);
        expect(await history().getDeployment(API, D8)).toMatchObject({
          state: 'COMPLETED',
          unhealthy: true,
          unhealthyBy: 'alarm-1',
        });
      });

      it('keeps an unhealthy mark made after the state change was read, by another invocation', async () => {
        // Prepare: an invocation read the deployment before another one marked it unhealthy
        await history().recordDeploymentState(API, deployment('IN_PROGRESS'), at('10:00:00'));
        const readBefore = await history().getDeployment(API, D8);
        await history().markUnhealthy(API, D8, 'alarm-1');

        // Act
        await history().recordDeploymentState(
          API,
          { ...deployment('COMPLETED'), ...readBefore, state: 'COMPLETED' },
          at('10:10:00'),
        );

        // Assess
        expect(await history().getDeployment(API, D8)).toMatchObject({ state: 'COMPLETED', unhealthy: true });
      });

      it('marks a deployment it knows nothing else about (the mark alone is kept)', async () => {
        // Act
        const marked = await history().markUnhealthy(API, D8, 'alarm-1');

        // Assess
        expect(marked).toBe(true);
        expect(await history().getDeployment(API, D8)).toEqual({ unhealthy: true, unhealthyBy: 'alarm-1' });
        expect(await history().markUnhealthy(API, D8, 'crash-2')).toBe(false);
      });
    });

    describe('ECS deployments autopilot started', () => {
      it('knows a deployment as soon as UpdateService started it', async () => {
        // Act
        await history().noteDeploymentStarted(API, noted());

        // Assess
        expect(await history().getDeployment(API, D8)).toEqual(deployment('IN_PROGRESS'));
      });

      it("never overwrites what the deployment's state changes recorded first, except that it is a rollback", async () => {
        // Prepare: ECS's FAILED event was recorded before UpdateService's answer was written
        await history().recordDeploymentState(
          API,
          deployment('FAILED', { startedAt: at('09:59:59') }),
          at('10:06:00'),
        );

        // Act
        await history().noteDeploymentStarted(API, { ...noted(true), taskDefinitionArn: revision(7) });

        // Assess
        expect(await history().getDeployment(API, D8)).toEqual(
          deployment('FAILED', { startedAt: at('09:59:59'), isRollback: true }),
        );
      });

      it('keeps a rollback a rollback when noted again as a deployment', async () => {
        // Prepare
        await history().noteDeploymentStarted(API, noted(true));

        // Act
        await history().noteDeploymentStarted(API, noted(false));

        // Assess
        expect(await history().getDeployment(API, D8)).toMatchObject({ isRollback: true });
      });

      it('lets the state changes that arrive afterwards move the deployment forward', async () => {
        // Prepare
        await history().noteDeploymentStarted(API, noted());

        // Act
        const inProgress = await history().recordDeploymentState(
          API,
          deployment('IN_PROGRESS'),
          at('10:00:00'),
        );
        const completed = await history().recordDeploymentState(
          API,
          deployment('COMPLETED', { completedAt: at('10:10:00') }),
          at('10:10:00'),
        );

        // Assess
        expect([inProgress, completed]).toEqual([true, true]);
        expect(await history().getDeployment(API, D8)).toEqual(
          deployment('COMPLETED', { completedAt: at('10:10:00') }),
        );
      });

      it('keeps an unhealthy mark made before UpdateService answered', async () => {
        // Prepare
        await history().markUnhealthy(API, D8, 'alarm-1');

        // Act
        await history().noteDeploymentStarted(API, noted());

        // Assess
        expect(await history().getDeployment(API, D8)).toEqual(
          deployment('IN_PROGRESS', { unhealthy: true, unhealthyBy: 'alarm-1' }),
        );
      });
    });

    describe('crashes', () => {
      /** A task of `revision(n)` stopped at `time`, counted over the 10 minutes before it. */
      const crashed = (id: string, time: string, n = 8, serviceArn = API) =>
        history().recordCrash(
          { serviceArn, taskDefinitionArn: revision(n), taskArn: task(id), at: at(time) },
          new Date(new Date(at(time)).getTime() - 600_000).toISOString(),
        );

      it('counts the distinct crashed tasks of a revision within the window, its very start included', async () => {
        // Prepare
        await crashed('old', '09:51:59');
        await crashed('t1', '09:52:00');

        // Act
        const count = await crashed('t2', '10:02:00');

        // Assess
        expect(count).toBe(2);
      });

      it('counts a duplicate event of the same task once', async () => {
        // Prepare
        await crashed('t1', '10:01:00');

        // Act
        const duplicate = await crashed('t1', '10:01:00');
        const next = await crashed('t2', '10:02:00');

        // Assess
        expect([duplicate, next]).toEqual([1, 2]);
      });

      it('counts crashes per revision and per service (api:1 is no prefix of api:10)', async () => {
        // Prepare
        await crashed('t1', '10:01:00', 1);
        await crashed('t2', '10:01:00', 10);
        await crashed('t3', '10:01:00', 8, WORKER);

        // Act
        const count = await crashed('t4', '10:02:00');

        // Assess
        expect(count).toBe(1);
      });

      it('lists the crashed tasks of a revision within the window, as recordCrash counts them', async () => {
        // Prepare
        await crashed('old', '09:51:59');
        await crashed('t1', '09:52:00');
        await crashed('t1', '09:52:00');
        await crashed('t2', '10:01:00', 10);
        await crashed('t3', '10:01:00', 8, WORKER);

        // Act
        const listed = await history().crashedTasks(API, revision(8), at('09:52:00'));

        // Assess
        expect(listed).toEqual([task('t1')]);
        expect(await history().crashedTasks(API, revision(9), at('09:00:00'))).toEqual([]);
      });
    });
  });
}
