import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import { managedByOf } from '../../../../shared/domain/deploy/managed-by';
import {
  onServiceUpdated,
  type RevertDeps,
  type ServiceUpdateCall,
} from '../../../../shared/domain/deploy/revert';
import { AutopilotEventSchemas } from '../../../../shared/events/autopilot-events';
import type { DeploymentRecord } from '../../../../shared/ports';
import {
  aDigest,
  anInMemoryWorld,
  aService,
  aTaskDefinitionDoc,
  pinnedImage,
  REGISTRY,
  REPOSITORY,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const OURS = aDigest('autopilot deployed this');
const OLD = aDigest('the stack still names this');
const NEWER = aDigest('pushed by hand later');
const API_7 = taskDefinitionArnOf('api', 7);
const API_8 = taskDefinitionArnOf('api', 8);
const API_9 = taskDefinitionArnOf('api', 9);
const CFN = 'arn:aws:sts::123456789012:assumed-role/cfn-exec-role/AWSCloudFormation';

function policyFile(content: Record<string, unknown> = {}): PolicyFile {
  return PolicyFileSchema.parse({ version: 1, ...content });
}

/**
 * prod/api, created by the CloudFormation stack api-prod with team/api:v1 (api:7, OLD); autopilot
 * deployed main (api:8, OURS); someone may point it at api:7 again, or at api:9 (NEWER, by hand).
 */
function aWorld(options: { policy?: Record<string, unknown>; dryRun?: boolean } = {}) {
  const world = anInMemoryWorld('2026-01-13T12:00:00.000Z');
  const service = aService({
    taskDefinitionArn: API_7,
    tags: { 'autopilot:deploy': 'tag:main', 'aws:cloudformation:stack-name': 'api-prod' },
  });
  world.ecs.addService(service, aTaskDefinitionDoc({ revision: 7, image: `${REGISTRY}/${REPOSITORY}:v1` }));
  world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 8, image: pinnedImage(OURS) }));
  world.ecs.addTaskDefinition(aTaskDefinitionDoc({ revision: 9, image: pinnedImage(NEWER) }));
  world.ecr.pushImage({
    repositoryName: REPOSITORY,
    tag: 'v1',
    digest: OLD,
    pushedAt: new Date('2026-01-10T00:00:00Z'),
  });
  world.ecr.pushImage({
    repositoryName: REPOSITORY,
    tag: 'main',
    digest: OURS,
    pushedAt: new Date('2026-01-13T10:00:00Z'),
  });
  world.ecr.pushImage({
    repositoryName: REPOSITORY,
    tag: 'hotfix',
    digest: NEWER,
    pushedAt: new Date('2026-01-13T11:00:00Z'),
  });
  const deployed: DeploymentRecord = {
    serviceArn: service.arn,
    cluster: 'prod',
    service: 'api',
    fromTaskDefinition: API_7,
    toTaskDefinition: API_8,
    repository: REPOSITORY,
    tag: 'main',
    digest: OURS,
    startedAt: '2026-01-13T10:01:00.000Z',
    triggeredBy: 'push-main',
    state: 'STARTED',
  };
  const deps: RevertDeps = {
    ecs: world.ecs,
    ecr: world.ecr,
    history: world.history,
    reverts: world.reverts,
    pauses: world.pauses,
    lease: world.lease,
    events: world.events,
    policyFile: policyFile(options.policy),
    dryRun: options.dryRun ?? false,
    now: world.clock.now,
  };
  return { ...world, service, deployed, deps };
}

const update = (
  eventId: string,
  at: string,
  taskDefinition: string | undefined = API_7,
): ServiceUpdateCall => ({
  eventId,
  at,
  by: CFN,
  ownCall: false,
  cluster: 'prod',
  service: 'api',
  ...(taskDefinition ? { taskDefinition } : {}),
});

/** A call that changed something else than the revision (a count, a forced deployment). */
const withoutRevision = ({ taskDefinition: _, ...call }: ServiceUpdateCall): ServiceUpdateCall => call;

const updates = (world: ReturnType<typeof aWorld>) =>
  world.ecs.calls.flatMap((c) => (c.op === 'updateService' ? [c.taskDefinitionArn] : []));

describe('onServiceUpdated', () => {
  it('tells a revert to an older image, who did it and who manages the service, and leaves it there by default', async () => {
    // Prepare
    const world = aWorld();
    await world.history.recordDeployment(world.deployed);

    // Act
    const decision = await onServiceUpdated(update('ct-1', '2026-01-13T11:30:00.000Z'), world.deps);

    // Assess
    expect(decision).toMatchObject({ action: 'notified', revertedTo: API_7, deployedTaskDefinition: API_8 });
    expect(decision.reason).toBe(
      `api:7 runs ${REGISTRY}/${REPOSITORY}:v1 (pushed 2026-01-10T00:00:00.000Z), older than team/api:main ${OURS.slice(0, 19)}, which autopilot deployed in api:8: left there (onRevert: notify)`,
    );
    expect(updates(world)).toEqual([]);
    const [event] = world.events.published;
    expect(event?.detailType).toBe('Deployment Reverted');
    expect(AutopilotEventSchemas['Deployment Reverted'].parse(event?.detail)).toMatchObject({
      by: CFN,
      managedBy: 'CloudFormation stack api-prod',
      action: 'notified',
      revertedImage: `${REGISTRY}/${REPOSITORY}:v1`,
      digest: OURS,
      triggeredBy: 'ct-1',
    });
  });

  it('deploys its revision again once (onRevert: redeploy), then pauses the service at the second revert within the window', async () => {
    // Prepare
    const world = aWorld({ policy: { defaults: { onRevert: 'redeploy', revertWindow: '1h' } } });
    await world.history.recordDeployment(world.deployed);

    // Act
    const first = await onServiceUpdated(update('ct-1', '2026-01-13T11:30:00.000Z'), world.deps);
    const again = await onServiceUpdated(update('ct-1', '2026-01-13T11:30:00.000Z'), world.deps);
    const second = await onServiceUpdated(update('ct-2', '2026-01-13T11:50:00.000Z'), world.deps);

    // Assess
    expect(first).toMatchObject({
      action: 'redeployed',
      reason: expect.stringMatching(/deployed api:8 again \(onRevert: redeploy, once within 1h\)$/),
    });
    expect(again.action).toBe('redeployed');
    expect(second).toMatchObject({
      action: 'paused',
      reason: expect.stringContaining('reverted 2 times within 1h'),
    });
    expect(updates(world)).toEqual([API_8, API_8]);
    expect(await world.pauses.activePauses(world.clock.now())).toEqual([
      expect.objectContaining({
        scope: 'service:prod/api',
        by: 'autopilot',
        until: '2026-01-13T13:00:00.000Z',
      }),
    ]);
    expect(world.events.published.map((e) => (e.detail as { action: string }).action)).toEqual([
      'redeployed',
      'redeployed',
      'paused',
    ]);
  });

  it('redeploys again after a revert outside the window', async () => {
    // Prepare
    const world = aWorld({ policy: { defaults: { onRevert: 'redeploy', revertWindow: '10m' } } });
    await world.history.recordDeployment(world.deployed);

    // Act
    await onServiceUpdated(update('ct-1', '2026-01-13T11:00:00.000Z'), world.deps);
    const later = await onServiceUpdated(update('ct-2', '2026-01-13T11:30:00.000Z'), world.deps);

    // Assess
    expect(later.action).toBe('redeployed');
  });

  it.each([
    [
      'its own call',
      { ...update('ct-1', '2026-01-13T11:30:00.000Z'), ownCall: true },
      "autopilot's own call",
    ],
    ['no revision named', withoutRevision(update('ct-1', '2026-01-13T11:30:00.000Z')), 'named no revision'],
    [
      'the revision it deployed',
      update('ct-1', '2026-01-13T11:30:00.000Z', API_8),
      'the revision autopilot deployed',
    ],
    [
      'a newer image pushed by hand',
      update('ct-1', '2026-01-13T11:30:00.000Z', API_9),
      'a newer image, not a revert',
    ],
  ])('ignores %s', async (_case, call, reason) => {
    // Prepare
    const world = aWorld({ policy: { defaults: { onRevert: 'redeploy' } } });
    await world.history.recordDeployment(world.deployed);

    // Act
    const decision = await onServiceUpdated(call, world.deps);

    // Assess
    expect(decision).toMatchObject({ action: 'ignore', reason: expect.stringContaining(reason) });
    expect(world.events.published).toEqual([]);
    expect(updates(world)).toEqual([]);
  });

  it('ignores a service autopilot never deployed', async () => {
    // Act
    const decision = await onServiceUpdated(update('ct-1', '2026-01-13T11:30:00.000Z'), aWorld().deps);

    // Assess
    expect(decision).toMatchObject({ action: 'ignore', reason: 'autopilot has not deployed it' });
  });

  it('changes nothing in a dry run, and tells what it would have done', async () => {
    // Prepare
    const world = aWorld({ policy: { defaults: { onRevert: 'redeploy' } }, dryRun: true });
    await world.history.recordDeployment(world.deployed);

    // Act
    const decision = await onServiceUpdated(update('ct-1', '2026-01-13T11:30:00.000Z'), world.deps);

    // Assess
    expect(decision).toMatchObject({ action: 'redeployed', dryRun: true });
    expect(updates(world)).toEqual([]);
    expect(world.events.published).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ dryRun: true }) }),
    ]);
  });
});

describe('managedByOf', () => {
  it.each([
    [{ 'aws:cloudformation:stack-name': 'api-prod' }, 'managed-by', 'CloudFormation stack api-prod'],
    [{ 'managed-by': 'terraform' }, 'managed-by', 'terraform (managed-by)'],
    [{ 'managed-by': 'terraform' }, undefined, undefined],
    [{}, 'managed-by', undefined],
  ])('%j with managedByTag %s is %s', (tags, tag, expected) => {
    // Act
    const who = managedByOf(tags, tag);

    // Assess
    expect(who).toBe(expected);
  });
});
