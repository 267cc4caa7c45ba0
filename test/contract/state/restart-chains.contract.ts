/**
 * The contract of {@link RestartChains}: a launch spec per task (the RunTask record's replaces a
 * RUNNING event's, never the reverse), and one chain per cluster and chain id, written only over the
 * version it was read at, so attempt n is claimed once whoever races for it.
 */
import type { LaunchSpec, RestartChain, RestartChains } from '../../../shared/ports';
import { ACCOUNT, at, describeContract, type MakeSubject, REGION } from './contract';

const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/batch`;
const OTHER_CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/nightly`;
const TASK = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/batch/0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c`;
const FROM_RUN_TASK: LaunchSpec = {
  cluster: CLUSTER,
  taskDefinition: 'worker:3',
  launchType: 'FARGATE',
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b'], securityGroups: ['sg-0c2d'] } },
  tags: [{ key: 'autopilot:restart', value: 'on-failure' }],
};
const FROM_RUNNING: LaunchSpec = { cluster: CLUSTER, taskDefinition: 'worker:3', launchType: 'EC2' };

function chain(version: number, overrides: Partial<RestartChain> = {}): RestartChain {
  return {
    clusterArn: CLUSTER,
    chainId: '0f6b3c2e9a7d4e1b8c5a2d3f4e5b6a7c',
    spec: FROM_RUN_TASK,
    state: 'waiting',
    attempt: 1,
    maxAttempts: 5,
    currentTaskArn: TASK,
    handledStops: [TASK],
    lastReasons: ['Essential container in task exited: worker exited with code 1'],
    lastClass: 'exited-non-zero',
    nextAttemptAt: at('10:05:10'),
    mode: 'on-failure',
    backoff: { initialSeconds: 10, maxSeconds: 300, resetAfterSeconds: 600 },
    updatedAt: at('10:05:00'),
    version,
    ...overrides,
  };
}

export function describeRestartChainsContract(name: string, make: MakeSubject<RestartChains>): void {
  describeContract('RestartChains', name, make, (chains) => {
    describe('launch specs', () => {
      it("keeps the RunTask record's spec over a RUNNING event's, whichever came first", async () => {
        // Prepare
        await chains().saveSpec(CLUSTER, TASK, FROM_RUNNING, 'running');

        // Act
        const replaced = await chains().saveSpec(CLUSTER, TASK, FROM_RUN_TASK, 'run-task');
        const kept = await chains().saveSpec(CLUSTER, TASK, FROM_RUNNING, 'running');

        // Assess
        expect([replaced, kept]).toEqual([true, false]);
        expect(await chains().getSpec(CLUSTER, TASK)).toEqual({ spec: FROM_RUN_TASK, source: 'run-task' });
      });

      it('keeps the first RunTask record of a task (a duplicate event changes nothing)', async () => {
        // Prepare
        await chains().saveSpec(CLUSTER, TASK, FROM_RUN_TASK, 'run-task');

        // Act
        const again = await chains().saveSpec(
          CLUSTER,
          TASK,
          { ...FROM_RUN_TASK, taskDefinition: 'worker:4' },
          'run-task',
        );

        // Assess
        expect(again).toBe(false);
        expect((await chains().getSpec(CLUSTER, TASK))?.spec.taskDefinition).toBe('worker:3');
      });
    });

    describe('saveChain', () => {
      it('creates a chain once', async () => {
        // Prepare
        const created = await chains().saveChain(chain(1));

        // Act
        const again = await chains().saveChain(chain(1, { attempt: 2 }));

        // Assess
        expect([created, again]).toEqual([true, false]);
        expect(await chains().getChain(CLUSTER, chain(1).chainId)).toEqual(chain(1));
      });

      it('writes over the version read only: of two writers of version 2, one wins', async () => {
        // Prepare
        await chains().saveChain(chain(1));

        // Act
        const [a, b] = await Promise.all([
          chains().saveChain(chain(2, { state: 'starting' })),
          chains().saveChain(chain(2, { state: 'starting', updatedAt: at('10:05:01') })),
        ]);

        // Assess
        expect([a, b].sort()).toEqual([false, true]);
        expect((await chains().getChain(CLUSTER, chain(1).chainId))?.version).toBe(2);
      });

      it('refuses a write that skips a version', async () => {
        // Prepare
        await chains().saveChain(chain(1));

        // Act
        const saved = await chains().saveChain(chain(3));

        // Assess
        expect(saved).toBe(false);
      });
    });

    describe('liveChains', () => {
      it('lists the chains not abandoned, of one cluster or of all', async () => {
        // Prepare
        await chains().saveChain(chain(1));
        await chains().saveChain(chain(1, { chainId: 'gone', state: 'abandoned' }));
        await chains().saveChain(chain(1, { clusterArn: OTHER_CLUSTER, chainId: 'other' }));

        // Act
        const ofBatch = await chains().liveChains(CLUSTER);
        const all = await chains().liveChains();

        // Assess
        expect(ofBatch.map((c) => c.chainId)).toEqual([chain(1).chainId]);
        expect(all.map((c) => c.chainId).sort()).toEqual([chain(1).chainId, 'other'].sort());
      });
    });
  });
}
