/**
 * Deploy on push with the ordered modes (`numeric:<prefix>`, `alphabetic:<prefix>`), on in-memory
 * ports: the running build is read from the ECR tags of the running digest, a higher build deploys, a
 * lower one pushed or delivered later never replaces it, whether it arrives after the deployment,
 * while it holds the lease, or while a deferred push waits.
 */
import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import {
  type DeployDeps,
  deployDuePushes,
  deployPushedImage,
} from '../../../../shared/domain/deploy/deploy-pushed-image';
import type { PushedImage } from '../../../../shared/domain/deploy/plan-deployment';
import type { ServiceState } from '../../../../shared/ports';
import {
  aDigest,
  anInMemoryWorld,
  aPush,
  aService,
  aTaskDefinitionDoc,
  pinnedImage,
  REPOSITORY_KEY,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const NOW = '2026-01-13T10:05:00.000Z';
const API_8 = taskDefinitionArnOf('api', 8);

type World = ReturnType<typeof anInMemoryWorld> & { deps: DeployDeps };

function aWorld(policy: Record<string, unknown> = {}): World {
  const world = anInMemoryWorld(NOW);
  const policyFile: PolicyFile = PolicyFileSchema.parse({ version: 1, ...policy });
  return { ...world, deps: { ...world, policyFile, dryRun: false, now: world.clock.now } };
}

/** A service running the build ECR knows by `runningTags`, indexed under team/api. */
function running(world: World, service: ServiceState, ...runningTags: string[]): void {
  const digest = aDigest(runningTags.join(' '));
  world.ecs.addService(service, aTaskDefinitionDoc({ image: pinnedImage(digest) }));
  world.ecr.tag(digest, ...runningTags);
  world.index.seedRepositories(
    { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name },
    [REPOSITORY_KEY],
  );
}

/** A push of team/api:`tag` made in ECR at `pushedAt`; its event is delivered by the test. */
function pushed(world: World, tag: string, pushedAt = '2026-01-13T10:00:00.000Z'): PushedImage {
  const push = aPush({ eventId: `push-${tag}`, tag, digest: aDigest(tag), pushedAt: new Date(pushedAt) });
  world.ecr.pushImage(push);
  return push;
}

/** The image the service runs now. */
const image = (world: World, service: ServiceState) => {
  const arn = world.ecs.service(service.arn)?.taskDefinitionArn ?? '';
  return world.ecs.taskDefinition(arn)?.definition.containerDefinitions[0]?.image;
};

const registrations = (world: World) => world.ecs.calls.filter((c) => c.op === 'registerTaskDefinition');

describe('deploy on push, numeric:main-', () => {
  const api = aService({ tags: { 'autopilot:deploy': 'numeric:main-' } });

  it('deploys main-1235 over main-1234', async () => {
    // Prepare
    const world = aWorld();
    running(world, api, 'main-1234');
    const push = pushed(world, 'main-1235');

    // Act
    const decisions = await deployPushedImage(push, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'deploy',
        mode: 'numeric:main-',
        reason: 'main-1235 is newer than main-1234, which runs (numeric:main-)',
        toTaskDefinition: API_8,
      }),
    ]);
    expect(image(world, api)).toBe(pinnedImage(push.digest));
  });

  it('skips main-1233 pushed after main-1235 was deployed', async () => {
    // Prepare
    const world = aWorld();
    running(world, api, 'main-1234');
    const higher = pushed(world, 'main-1235', '2026-01-13T10:00:00.000Z');
    await deployPushedImage(higher, world.deps);
    const lower = pushed(world, 'main-1233', '2026-01-13T10:01:00.000Z');

    // Act
    const decisions = await deployPushedImage(lower, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: 'main-1233 is not newer than main-1235, which runs',
      }),
    ]);
    expect(image(world, api)).toBe(pinnedImage(higher.digest));
    expect(registrations(world)).toHaveLength(1);
  });

  it('ends on the higher build when two pushes are delivered out of order', async () => {
    // Prepare
    const world = aWorld();
    running(world, api, 'main-1234');
    const first = pushed(world, 'main-1235', '2026-01-13T10:00:00.000Z');
    const second = pushed(world, 'main-1236', '2026-01-13T10:01:00.000Z');

    // Act
    const decided = [
      ...(await deployPushedImage(second, world.deps)),
      ...(await deployPushedImage(first, world.deps)),
    ];

    // Assess
    expect(decided.map((d) => [d.tag, d.action])).toEqual([
      ['main-1236', 'deploy'],
      ['main-1235', 'skip'],
    ]);
    expect(image(world, api)).toBe(pinnedImage(second.digest));
  });

  it('plans main-1235 again under the lease when main-1236 deployed while it waited, and skips it', async () => {
    // Prepare
    const world = aWorld();
    running(world, api, 'main-1234');
    const lower = pushed(world, 'main-1235', '2026-01-13T10:00:00.000Z');
    const higher = pushed(world, 'main-1236', '2026-01-13T10:01:00.000Z');
    world.lease.onNextAcquire(api.arn, async () => {
      await deployPushedImage(higher, world.deps);
    });

    // Act
    const decisions = await deployPushedImage(lower, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: 'main-1235 is not newer than main-1236, which runs',
      }),
    ]);
    expect(image(world, api)).toBe(pinnedImage(higher.digest));
    expect(registrations(world)).toHaveLength(1);
  });

  it('goes by the number, not the push time, when main-999 is pushed after main-1234', async () => {
    // Prepare
    const world = aWorld();
    running(world, api, 'main-998');
    const higher = pushed(world, 'main-1234', '2026-01-13T10:00:00.000Z');
    await deployPushedImage(higher, world.deps);
    const lower = pushed(world, 'main-999', '2026-01-13T10:01:00.000Z');

    // Act
    const decisions = await deployPushedImage(lower, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'main-999 is not newer than main-1234, which runs' }),
    ]);
  });

  it('does not follow main-hotfix-12', async () => {
    // Prepare
    const world = aWorld();
    running(world, api, 'main-1234');
    const push = pushed(world, 'main-hotfix-12');

    // Act
    const decisions = await deployPushedImage(push, world.deps);

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'skip',
        reason: 'tag main-hotfix-12 is not followed by numeric:main- (main-<number>)',
      }),
    ]);
    expect(world.ecs.calls).toEqual([]);
  });

  describe('deferred pushes (minImageAge)', () => {
    const slow = { defaults: { minImageAge: '1h' } };

    it('keeps main-1236 waiting when main-1235 is pushed after it', async () => {
      // Prepare
      const world = aWorld(slow);
      running(world, api, 'main-1234');
      await deployPushedImage(pushed(world, 'main-1236', '2026-01-13T10:00:00.000Z'), world.deps);

      // Act
      const decisions = await deployPushedImage(
        pushed(world, 'main-1235', '2026-01-13T10:01:00.000Z'),
        world.deps,
      );

      // Assess
      expect(decisions).toEqual([
        expect.objectContaining({
          action: 'skip',
          reason: 'a newer push is already waiting to be deployed to this service',
        }),
      ]);
      expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)?.push.tag).toBe('main-1236');
    });

    it('replaces main-1235 waiting with main-1236 pushed before it but delivered after, and deploys it when due', async () => {
      // Prepare
      const world = aWorld(slow);
      running(world, api, 'main-1234');
      const higher = pushed(world, 'main-1236', '2026-01-13T10:00:00.000Z');
      await deployPushedImage(pushed(world, 'main-1235', '2026-01-13T10:01:00.000Z'), world.deps);
      await deployPushedImage(higher, world.deps);
      world.clock.set('2026-01-13T11:00:00.000Z');

      // Act
      const due = await deployDuePushes(world.deps);

      // Assess
      expect(due).toEqual([expect.objectContaining({ action: 'deploy', tag: 'main-1236' })]);
      expect(image(world, api)).toBe(pinnedImage(higher.digest));
      expect(world.pending.pendingFor(api.arn, REPOSITORY_KEY)).toBeUndefined();
    });
  });

  it("narrows the followed tags by the policy's tag filters", async () => {
    // Prepare
    const world = aWorld({
      policies: { builds: { deploy: 'numeric:main-', tags: { regex: 'main-\\d{4,}' } } },
    });
    const service = aService({ tags: { 'autopilot:policy': 'builds' } });
    running(world, service, 'main-1234');
    const short = pushed(world, 'main-99999');
    const tooShort = pushed(world, 'main-12');

    // Act
    const decisions = [
      ...(await deployPushedImage(tooShort, world.deps)),
      ...(await deployPushedImage(short, world.deps)),
    ];

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({ action: 'skip', reason: 'tag main-12 does not match regex main-\\d{4,}' }),
      expect.objectContaining({ action: 'deploy', policy: 'builds', mode: 'numeric:main-' }),
    ]);
  });
});

describe('deploy on push, alphabetic', () => {
  it('deploys the later date stamp and skips an earlier one pushed after it', async () => {
    // Prepare
    const world = aWorld();
    const api = aService({ tags: { 'autopilot:deploy': 'alphabetic' } });
    running(world, api, '2026-12-03.2');
    const later = pushed(world, '2026-12-04.1', '2026-01-13T10:00:00.000Z');
    const earlier = pushed(world, '2026-12-03.9', '2026-01-13T10:01:00.000Z');

    // Act
    const decisions = [
      ...(await deployPushedImage(later, world.deps)),
      ...(await deployPushedImage(earlier, world.deps)),
    ];

    // Assess
    expect(decisions).toEqual([
      expect.objectContaining({
        action: 'deploy',
        reason: '2026-12-04.1 is newer than 2026-12-03.2, which runs (alphabetic)',
      }),
      expect.objectContaining({
        action: 'skip',
        reason: '2026-12-03.9 is not newer than 2026-12-04.1, which runs',
      }),
    ]);
    expect(image(world, api)).toBe(pinnedImage(later.digest));
  });
});
