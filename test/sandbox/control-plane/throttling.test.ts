/**
 * ECS's request quotas in the local control plane (`sandbox/control-plane/throttling.ts`): a token
 * bucket per operation on the plane's clock, which these tests move by hand, so nothing depends on
 * how fast the machine is.
 */
import { ECSClient, ListClustersCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { FARGATE_RUN_TASK_QUOTA } from '../../../sandbox/control-plane';
import { TokenBucket } from '../../../sandbox/control-plane/throttling';
import { clientConfig, failure, NETWORK, prepareBatchJob, useControlPlane } from './support';

describe('TokenBucket', () => {
  it('lets a burst through, throttles past it, and refills at the sustained rate', () => {
    // Prepare
    const bucket = new TokenBucket({ burst: 3, perSecond: 2 });
    const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

    // Act
    const burst = [0, 0, 0, 0].map(() => bucket.take(at(0)));
    const halfSecondLater = [bucket.take(at(500)), bucket.take(at(500))];
    const muchLater = [0, 0, 0, 0].map(() => bucket.take(at(60_000)));

    // Assess
    expect(burst).toEqual([true, true, true, false]);
    expect(halfSecondLater).toEqual([true, false]);
    expect(muchLater).toEqual([true, true, true, false]);
  });

  it('refuses a quota that could never let a call through', () => {
    // Prepare, Act, Assess
    expect(() => new TokenBucket({ burst: 0, perSecond: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ burst: 5, perSecond: 0 })).toThrow(RangeError);
  });
});

describe('the RunTask quota of the local ECS', () => {
  let now = new Date('2026-03-01T00:00:00Z');
  const harness = useControlPlane({ now: () => now, rateQuotas: { RunTask: FARGATE_RUN_TASK_QUOTA } });

  it("answers ThrottlingException past Fargate's 20 calls a second, starts nothing for it, and takes calls again a second later", async () => {
    // Prepare
    const { plane, ecs } = harness();
    await prepareBatchJob(ecs);
    const run = (client: ECSClient, i: number) =>
      client.send(
        new RunTaskCommand({
          cluster: 'batch',
          taskDefinition: 'job',
          launchType: 'FARGATE',
          networkConfiguration: NETWORK,
          clientToken: `job-${i}`,
        }),
      );
    const tasksBefore = plane.model.tasks.size;

    // Act
    for (let i = 0; i < 20; i++) await run(ecs, i);
    const throttled = await failure(run(ecs, 20));
    now = new Date(now.getTime() + 1000);
    const nextSecond = await run(ecs, 20);

    // Assess
    expect(throttled).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect(plane.calls.filter((c) => c.overQuota).map((c) => [c.operation, c.error])).toEqual([
      ['RunTask', 'ThrottlingException'],
    ]);
    expect(nextSecond.tasks).toHaveLength(1);
    expect(plane.model.tasks.size - tasksBefore).toBe(21);
    expect(
      plane.emitted.filter(
        (e) =>
          e['detail-type'] === 'AWS API Call via CloudTrail' &&
          (e.detail as { eventName?: string }).eventName === 'RunTask',
      ),
    ).toHaveLength(21);
  });

  it('notes when each call arrived and was answered, so calls made together are seen overlapping', async () => {
    // Prepare
    const { plane } = harness();
    plane.setFaults([{ operation: 'ecs:ListClusters', kind: 'latency', rate: 1, latencyMs: 30 }]);
    const client = new ECSClient(clientConfig(plane.endpoint));

    // Act
    await Promise.all([client.send(new ListClustersCommand({})), client.send(new ListClustersCommand({}))]);
    client.destroy();

    // Assess
    const [first, second] = plane.calls.filter((c) => c.operation === 'ListClusters').map((c) => c.span);
    expect(first?.answered).toBeGreaterThan(second?.arrived ?? Number.POSITIVE_INFINITY);
    expect(second?.answered).toBeGreaterThan(first?.arrived ?? Number.POSITIVE_INFINITY);
  });
});
