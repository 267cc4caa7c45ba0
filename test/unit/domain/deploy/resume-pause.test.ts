import { pausedBecause } from '../../../../shared/domain/deploy/pause';
import { resumePause } from '../../../../shared/domain/deploy/resume-pause';
import type { Pause, PendingPush } from '../../../../shared/ports';
import { InMemoryPauses, InMemoryPendingPushes } from '../../../support/in-memory-state';

const NOW = new Date('2026-12-04T10:00:00.000Z');
const PAUSE: Pause = {
  scope: 'cluster:staging',
  until: '2026-12-04T12:00:00.000Z',
  by: 'alice',
  reason: 'incident 42',
  at: '2026-12-04T09:00:00.000Z',
  notifyOnly: false,
};

function pending(service: string, dueAt: string, reason: string, eventId = `push-${service}`): PendingPush {
  return {
    serviceArn: `arn:aws:ecs:eu-west-1:123456789012:service/staging/${service}`,
    cluster: 'staging',
    service,
    push: {
      eventId,
      accountId: '123456789012',
      region: 'eu-west-1',
      repositoryName: 'team/api',
      digest: `sha256:${'b'.repeat(64)}`,
      tag: 'main',
      pushedAt: '2026-12-04T09:30:00.000Z',
    },
    dueAt,
    reason,
    announced: true,
  };
}

describe('resumePause', () => {
  it('ends the pause and makes the pushes it held due now, leaving those that wait for something else', async () => {
    // Prepare
    const pauses = new InMemoryPauses();
    const pendingPushes = new InMemoryPendingPushes();
    await pauses.pause(PAUSE);
    const held = pending('api', PAUSE.until, `${pausedBecause(PAUSE)}: follows tag main`);
    const window = pending('reports', '2026-12-04T11:00:00.000Z', 'follows tag main; outside deploy window');
    const laterWindow = pending(
      'web',
      '2026-12-05T08:00:00.000Z',
      `${pausedBecause(PAUSE)}: outside deploy window`,
    );
    for (const p of [held, window, laterWindow]) pendingPushes.seedPending(p);

    // Act
    const resumed = await resumePause(PAUSE.scope, { pauses, pending: pendingPushes }, NOW);

    // Assess
    expect(resumed.ended).toEqual(PAUSE);
    expect(resumed.released.map((p) => p.service)).toEqual(['api']);
    expect(pendingPushes.pendingFor(held.serviceArn, '123456789012:eu-west-1:team/api')).toEqual({
      ...held,
      dueAt: NOW.toISOString(),
      announced: undefined,
    });
    expect(await pendingPushes.listDuePending(NOW)).toEqual([expect.objectContaining({ service: 'api' })]);
    expect(await pauses.activePauses(NOW)).toEqual([]);
  });

  it('ends nothing and releases nothing when the scope is not paused, or its pause has ended', async () => {
    // Prepare
    const pauses = new InMemoryPauses();
    const pendingPushes = new InMemoryPendingPushes();
    await pauses.pause({ ...PAUSE, until: '2026-12-04T09:59:59.000Z' });
    pendingPushes.seedPending(pending('api', '2026-12-04T09:59:59.000Z', `${pausedBecause(PAUSE)}: x`));

    // Act
    const [ended, none] = [
      await resumePause(PAUSE.scope, { pauses, pending: pendingPushes }, NOW),
      await resumePause('cluster:prod', { pauses, pending: pendingPushes }, NOW),
    ];

    // Assess
    expect(ended).toEqual({ released: [] });
    expect(none).toEqual({ released: [] });
  });
});
