/**
 * `autopilot explain`, the domain: the image argument, the verdict on a plan (pure), and the use case
 * on in-memory ports. Explaining only reads: every use-case test checks that nothing was written.
 */
import { type PolicyFile, PolicyFileSchema } from '../../../../shared/config/policy-file';
import {
  describeDeployEffect,
  EXPLAIN_EVENT_ID,
  type ExplainReads,
  explainPush,
  type ImageArgument,
  judgePush,
  parseImageArgument,
} from '../../../../shared/domain/deploy/explain-push';
import type { DeploymentDecision } from '../../../../shared/domain/deploy/plan-deployment';
import { type DeployEffect, type DeployPlan, planPushFor } from '../../../../shared/domain/deploy/plan-push';
import { type DeployMode, parseDeployMode } from '../../../../shared/domain/policy/deploy-mode';
import type { PendingPush, ServiceState } from '../../../../shared/ports';
import {
  ACCOUNT,
  aDigest,
  anInMemoryWorld,
  aPush,
  aService,
  aTaskDefinitionDoc,
  pinnedImage,
  REGION,
  REPOSITORY,
  REPOSITORY_KEY,
  serviceArnOf,
  taskDefinitionArnOf,
} from '../../../support/in-memory';

const PUSHED_AT = '2026-01-13T10:00:00.000Z';
const NEW = aDigest('pushed build');
const OLD = aDigest('running build');
const API = serviceArnOf('prod', 'api');
const API_7 = taskDefinitionArnOf('api', 7);

function image(text: string): ImageArgument {
  const parsed = parseImageArgument(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value;
}

describe('parseImageArgument', () => {
  it.each<[string, Omit<ImageArgument, 'raw'>]>([
    ['team/api:main', { repositoryName: 'team/api', tag: 'main' }],
    [`team/api@${NEW}`, { repositoryName: 'team/api', digest: NEW }],
    [`team/api:main@${NEW}`, { repositoryName: 'team/api', tag: 'main', digest: NEW }],
    ['api:1.2.3', { repositoryName: 'api', tag: '1.2.3' }],
    [
      '210987654321.dkr.ecr.us-east-1.amazonaws.com/team/api:main',
      {
        registry: { accountId: '210987654321', region: 'us-east-1' },
        repositoryName: 'team/api',
        tag: 'main',
      },
    ],
  ])('reads %s', (text, expected) => {
    // Prepare
    const given = text;

    // Act
    const parsed = parseImageArgument(given);

    // Assess
    expect(parsed).toEqual({ ok: true, value: { ...expected, raw: text } });
  });

  it.each<[string, RegExp]>([
    ['team/api', /give a tag or a digest: team\/api:<tag> or team\/api@sha256:<digest>/],
    ['docker.io/library/nginx:1', /docker\.io is not a private ECR registry/],
    ['localhost:5000/team/api:main', /localhost:5000 is not a private ECR registry/],
    ['Team/API:main', /must be lowercase/],
    ['team/api:-x', /tag "-x" is invalid/],
    ['team/api@sha256:abc', /64 hex characters/],
    ['', /repository name is empty/],
  ])('refuses %s', (text, reason) => {
    // Prepare
    const given = text;

    // Act
    const parsed = parseImageArgument(given);

    // Assess
    expect(parsed).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });
});

const decided = {
  cluster: 'prod',
  service: 'api',
  serviceArn: API,
  repository: REPOSITORY,
  tag: 'main',
  digest: NEW,
  reason: 'follows tag main',
  mode: 'tag:main',
  fromTaskDefinition: API_7,
  containers: ['app'],
  image: pinnedImage(NEW),
};
const deploy: DeploymentDecision = { ...decided, action: 'deploy' };

const lease = (kind: 'acquire-lease' | 'release-lease'): DeployEffect =>
  kind === 'acquire-lease'
    ? { kind, decision: 0, serviceArn: API, owner: EXPLAIN_EVENT_ID, ttlSeconds: 120, opens: `lease ${API}` }
    : { kind, decision: 0, serviceArn: API, owner: EXPLAIN_EVENT_ID, closes: `lease ${API}` };

/** A plan deploying NEW to prod/api under the lease, checking the watermark (the match mode). */
const deployPlan: DeployPlan = {
  decisions: [{ ...deploy, mode: 'match', reason: 'tag main passes the policy filters' }],
  effects: [
    lease('acquire-lease'),
    {
      kind: 'check-watermark',
      decision: 0,
      serviceArn: API,
      repositoryKey: REPOSITORY_KEY,
      pushedAt: PUSHED_AT,
    },
    {
      kind: 'update-service',
      decision: 0,
      serviceArn: API,
      cluster: 'prod',
      service: 'api',
      from: API_7,
      digest: NEW,
      triggeredBy: EXPLAIN_EVENT_ID,
    },
    lease('release-lease'),
  ],
};

const pendingOf = (tag: string, pushedAt: string, dueAt: string): PendingPush => ({
  serviceArn: API,
  cluster: 'prod',
  service: 'api',
  push: { ...aPush({ tag, digest: aDigest(tag), eventId: `push of ${tag}` }), pushedAt },
  dueAt,
  reason: `pushed ${tag}; outside deploy window`,
});

/** A plan deferring a push of `tag` to prod/api until 18:00. */
function deferPlan(tag: string): DeployPlan {
  const dueAt = '2026-01-13T18:00:00.000Z';
  const decision: DeploymentDecision = {
    ...decided,
    tag,
    action: 'defer',
    dueAt,
    reason: 'outside deploy window',
  };
  const { dueAt: _due, ...pending } = pendingOf(tag, PUSHED_AT, dueAt);
  return {
    decisions: [decision],
    effects: [
      {
        kind: 'save-pending',
        decision: 0,
        pending: { ...pending, dueAt, push: { ...pending.push, digest: NEW, eventId: EXPLAIN_EVENT_ID } },
        mode: 'semver:minor',
      },
    ],
  };
}

function semverMinor(): DeployMode {
  const mode = parseDeployMode('semver:minor');
  if ('invalid' in mode) throw new Error(mode.invalid);
  return mode;
}

const judged = {
  push: aPush({ eventId: EXPLAIN_EVENT_ID, digest: NEW, pushedAt: new Date(PUSHED_AT) }),
  service: 'prod/api',
  indexed: true,
  images: { app: pinnedImage(OLD), 'log-router': 'fluent-bit' },
};

describe('judgePush', () => {
  it('deploys as planned, naming the containers that change and every effect', () => {
    // Prepare
    const input = { ...judged, plan: deployPlan };

    // Act
    const verdict = judgePush(input);

    // Assess
    expect(verdict).toEqual({
      action: 'deploy',
      reason: 'tag main passes the policy filters',
      changes: [{ container: 'app', from: pinnedImage(OLD), to: pinnedImage(NEW) }],
      fromTaskDefinition: API_7,
      effects: deployPlan.effects,
      notes: [],
    });
  });

  it('is a skip when the index does not list the service, saying what the push would do if it reached it', () => {
    // Prepare
    const input = { ...judged, plan: deployPlan, indexed: false };

    // Act
    const verdict = judgePush(input);

    // Assess
    expect(verdict).toMatchObject({
      action: 'skip',
      reason: 'the index does not list prod/api under team/api: a push would not reach it',
      ifReached: { action: 'deploy', reason: 'tag main passes the policy filters' },
      changes: [{ container: 'app' }],
      effects: [],
    });
  });

  it('is skipped under the lease when a newer push was deployed meanwhile (match: the watermark)', () => {
    // Prepare
    const watermark = { pushedAt: '2026-01-13T10:30:00.000Z', digest: OLD, tag: 'feature' };
    const input = { ...judged, plan: deployPlan, watermark };

    // Act
    const verdict = judgePush(input);

    // Assess
    expect(verdict).toEqual({
      action: 'skip',
      reason: `superseded by the newer push of feature (${OLD}) at 2026-01-13T10:30:00.000Z`,
      changes: [],
      effects: [deployPlan.effects[0], deployPlan.effects[1], deployPlan.effects[3]],
      notes: [],
    });
  });

  it('keeps a deferral that replaces an older waiting push, and says so', () => {
    // Prepare
    const waiting = pendingOf('1.4.3', '2026-01-13T09:00:00.000Z', '2026-01-13T18:00:00.000Z');
    const input = {
      ...judged,
      push: { ...judged.push, tag: '1.5.0' },
      plan: deferPlan('1.5.0'),
      waiting,
      mode: semverMinor(),
    };

    // Act
    const verdict = judgePush(input);

    // Assess
    expect(verdict).toMatchObject({
      action: 'defer',
      dueAt: '2026-01-13T18:00:00.000Z',
      notes: [
        `replaces the push of team/api:1.4.3 (${aDigest('1.4.3')}) waiting until 2026-01-13T18:00:00.000Z`,
      ],
    });
  });

  it('skips a deferral when a newer version waits already (semver orders pushes by version)', () => {
    // Prepare
    const waiting = pendingOf('1.6.0', '2026-01-13T09:00:00.000Z', '2026-01-13T18:00:00.000Z');
    const input = {
      ...judged,
      push: { ...judged.push, tag: '1.5.0' },
      plan: deferPlan('1.5.0'),
      waiting,
      mode: semverMinor(),
    };

    // Act
    const verdict = judgePush(input);

    // Assess
    expect(verdict).toMatchObject({
      action: 'skip',
      reason: `a newer push is already waiting to be deployed to this service: team/api:1.6.0 (${aDigest('1.6.0')}), due at 2026-01-13T18:00:00.000Z`,
      changes: [],
    });
    expect(verdict.effects.map((e) => e.kind)).toEqual(['save-pending']);
  });

  it('notes a push waiting for the service that a deploy leaves alone', () => {
    // Prepare
    const waiting = pendingOf('feature', '2026-01-13T09:00:00.000Z', '2026-01-13T18:00:00.000Z');
    const input = { ...judged, plan: deployPlan, waiting };

    // Act
    const verdict = judgePush(input);

    // Assess
    expect(verdict.action).toBe('deploy');
    expect(verdict.notes).toEqual([
      `a push of team/api:feature (${aDigest('feature')}) waits for this service until 2026-01-13T18:00:00.000Z: pushed feature; outside deploy window`,
    ]);
  });

  it('changes nothing for a service paused notify-only: its decision is told as a dry run', () => {
    // Prepare
    const reason = 'notify-only until 2026-01-14T10:00:00.000Z by alice: follows tag main';
    const plan = { decisions: [{ ...deploy, dryRun: true, reason }], effects: [] };

    // Act
    const verdict = judgePush({ ...judged, plan });

    // Assess
    expect(verdict).toEqual({
      action: 'skip',
      reason,
      changes: [],
      effects: [],
      notes: ['announced as a dry run (deploy), nothing changed'],
    });
  });
});

describe('describeDeployEffect', () => {
  it('says what each effect of a deploy does, in words', () => {
    // Prepare
    const effects = deployPlan.effects;

    // Act
    const words = effects.map((e) => describeDeployEffect(e, deploy));

    // Assess
    expect(words).toEqual([
      'take the lease of prod/api for 120s (one deployment of a service at a time)',
      'skip if a newer push of team/api was deployed to it meanwhile',
      'point prod/api at the new revision (UpdateService)',
      'give the lease back',
    ]);
  });
});

type World = ReturnType<typeof anInMemoryWorld> & { deps: ExplainReads };

/** A world whose ECR holds team/api:main at NEW, pushed at PUSHED_AT; the clock an hour later. */
function aWorld(policy: Record<string, unknown> = {}): World {
  const world = anInMemoryWorld('2026-01-13T11:00:00.000Z');
  world.ecr.pushImage({
    repositoryName: REPOSITORY,
    tag: 'main',
    digest: NEW,
    pushedAt: new Date(PUSHED_AT),
  });
  const policyFile: PolicyFile = PolicyFileSchema.parse({ version: 1, ...policy });
  return { ...world, deps: { ...world, policyFile, now: world.clock.now } };
}

/** prod/api running OLD in `app`, listed by the index under team/api unless `indexed` is false. */
function follow(world: World, service: ServiceState = aService(), indexed = true) {
  world.ecs.addService(service, aTaskDefinitionDoc({ image: pinnedImage(OLD) }));
  world.ecr.tag(OLD, 'old');
  if (indexed) {
    world.index.seedRepositories(
      { serviceArn: service.arn, clusterArn: service.clusterArn, serviceName: service.name },
      [REPOSITORY_KEY],
    );
  }
}

const prodApi = { cluster: 'prod', service: 'api' };

/** Nothing written anywhere: no state, no ECS mutation, no event. */
function expectNothingWritten(world: World): void {
  expect(world.writes).toEqual([]);
  expect(world.ecs.calls).toEqual([]);
  expect(world.events.published).toEqual([]);
}

describe('planPushFor', () => {
  it('plans a service the index does not list, as a real run would plan it', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService(), false);
    const push = aPush({ digest: NEW, pushedAt: new Date(PUSHED_AT) });

    // Act
    const plan = await planPushFor(push, prodApi, { ...world.deps, dryRun: true });

    // Assess
    expect(plan.decisions).toEqual([
      expect.objectContaining({ action: 'deploy', service: 'api', reason: 'follows tag main' }),
    ]);
    expectNothingWritten(world);
  });
});

describe('explainPush', () => {
  it('explains a deploy: the image the tag points at, the policy and mode with their origins, every effect', async () => {
    // Prepare
    const world = aWorld();
    follow(world);

    // Act
    const explained = await explainPush({ service: prodApi, image: image('team/api:main') }, world.deps);

    // Assess
    expect(explained).toEqual({
      service: 'prod/api',
      serviceArn: API,
      image: {
        given: 'team/api:main',
        repository: REPOSITORY,
        registryId: ACCOUNT,
        region: REGION,
        tag: 'main',
        digest: NEW,
        tags: ['main'],
        pushedAt: PUSHED_AT,
      },
      action: 'deploy',
      reason: 'follows tag main',
      wouldDeploy: true,
      policy: { name: 'defaults', from: 'policy file defaults' },
      mode: { value: 'tag:main', from: 'service tag' },
      indexed: true,
      changes: [{ container: 'app', from: pinnedImage(OLD), to: pinnedImage(NEW) }],
      fromTaskDefinition: API_7,
      effects: [
        { kind: 'acquire-lease', does: expect.stringContaining('take the lease of prod/api') },
        { kind: 'plan-again', does: expect.stringContaining('plan again') },
        {
          kind: 'register-revision',
          does: `register a revision copied from api:7, app -> ${pinnedImage(NEW)}`,
        },
        { kind: 'update-service', does: 'point prod/api at the new revision (UpdateService)' },
        { kind: 'record-deployment', does: expect.any(String) },
        { kind: 'note-deployment-started', does: expect.any(String) },
        { kind: 'set-watermark', does: expect.any(String) },
        { kind: 'release-lease', does: 'give the lease back' },
      ],
      notes: [],
    });
    expectNothingWritten(world);
  });

  it('defers within the cooldown, counted from when ECR says the image was pushed', async () => {
    // Prepare
    const world = aWorld({ policies: { cooldown: { minImageAge: '2h' } } });
    follow(world, aService({ tags: { 'autopilot:deploy': 'tag:main', 'autopilot:policy': 'cooldown' } }));

    // Act
    const explained = await explainPush({ service: prodApi, image: image('team/api:main') }, world.deps);

    // Assess
    expect(explained).toMatchObject({
      action: 'defer',
      dueAt: '2026-01-13T12:00:00.000Z',
      wouldDeploy: true,
      policy: { name: 'cooldown', from: 'service tag' },
    });
    expect(explained.effects.map((e) => e.kind)).toEqual(['save-pending']);
    expectNothingWritten(world);
  });

  it('defers a push to a paused service until the pause ends, saying who paused it', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    const pause = {
      scope: 'cluster:prod',
      until: '2026-01-14T09:00:00.000Z',
      by: 'alice',
      reason: 'release freeze',
      at: PUSHED_AT,
      notifyOnly: false,
    };
    await world.pauses.pause(pause);
    world.writes.length = 0;

    // Act
    const explained = await explainPush({ service: prodApi, image: image('team/api:main') }, world.deps);

    // Assess
    expect(explained).toMatchObject({
      action: 'defer',
      dueAt: '2026-01-14T09:00:00.000Z',
      reason: 'paused until 2026-01-14T09:00:00.000Z by alice (release freeze): follows tag main',
      wouldDeploy: true,
    });
    expectNothingWritten(world);
  });

  it('says a tag that does not exist in ECR does', async () => {
    // Prepare
    const world = aWorld();
    follow(world);

    // Act
    const explained = await explainPush({ service: prodApi, image: image('team/api:nope') }, world.deps);

    // Assess
    expect(explained).toMatchObject({
      action: 'skip',
      reason: 'team/api:nope does not exist in ECR',
      wouldDeploy: false,
      effects: [],
    });
  });

  it('says a tag the service does not follow is not followed', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'feature-x', digest: aDigest('feature') });

    // Act
    const explained = await explainPush({ service: prodApi, image: image('team/api:feature-x') }, world.deps);

    // Assess
    expect(explained).toMatchObject({
      action: 'skip',
      reason: 'pushed tag feature-x is not the followed tag main',
      wouldDeploy: false,
      changes: [],
      effects: [],
    });
    expectNothingWritten(world);
  });

  it('says a quarantined digest is quarantined, reading its tags from ECR', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    world.quarantine.seedQuarantined({
      repositoryKey: REPOSITORY_KEY,
      repository: REPOSITORY,
      digest: NEW,
      reason: 'crash loop on prod/api',
      at: PUSHED_AT,
    });

    // Act
    const explained = await explainPush({ service: prodApi, image: image(`team/api@${NEW}`) }, world.deps);

    // Assess
    expect(explained).toMatchObject({
      action: 'skip',
      reason: `digest ${NEW} is quarantined`,
      image: { tag: 'main', tags: ['main'], digest: NEW },
    });
    expectNothingWritten(world);
  });

  it('answers for the tag of a digest that would deploy, and says what the others would do', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    world.ecr.pushImage({ repositoryName: REPOSITORY, tag: '1.2.3', digest: NEW });

    // Act
    const explained = await explainPush({ service: prodApi, image: image(`team/api@${NEW}`) }, world.deps);

    // Assess
    expect(explained).toMatchObject({
      action: 'deploy',
      image: { tag: 'main', tags: ['main', '1.2.3'] },
      otherTags: [{ tag: '1.2.3', action: 'skip', reason: 'pushed tag 1.2.3 is not the followed tag main' }],
    });
  });

  it('says a digest without a tag is not deployed', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    const untagged = aDigest('untagged');
    world.ecr.tag(untagged);

    // Act
    const explained = await explainPush(
      { service: prodApi, image: image(`team/api@${untagged}`) },
      world.deps,
    );

    // Assess
    expect(explained).toMatchObject({
      action: 'skip',
      reason: `team/api@${untagged} carries no tag in ECR: a push without a tag is not deployed`,
    });
  });

  it('is a skip for a service the index does not list, with what the push would do if it reached it', async () => {
    // Prepare
    const world = aWorld();
    follow(world, aService(), false);

    // Act
    const explained = await explainPush({ service: prodApi, image: image('team/api:main') }, world.deps);

    // Assess
    expect(explained).toMatchObject({
      action: 'skip',
      reason: 'the index does not list prod/api under team/api: a push would not reach it',
      ifReached: { action: 'deploy', reason: 'follows tag main' },
      indexed: false,
      wouldDeploy: false,
      effects: [],
    });
    expectNothingWritten(world);
  });

  it('plans a push as it would be handled now: superseded when its tag has moved on', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    const earlier = aDigest('earlier main');
    world.ecr.tag(earlier, 'build-1');

    // Act
    const explained = await explainPush(
      { service: prodApi, image: image(`team/api:main@${earlier}`) },
      world.deps,
    );

    // Assess
    expect(explained).toMatchObject({
      action: 'skip',
      reason: `superseded: team/api:main now points at ${NEW}, pushed after this one`,
      image: { tag: 'main', digest: earlier, tags: ['build-1'] },
    });
  });

  it('reads the repository in the registry the image names', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    const central = '210987654321.dkr.ecr.eu-west-1.amazonaws.com';

    // Act
    const explained = await explainPush(
      { service: prodApi, image: image(`${central}/team/api:main`) },
      world.deps,
    );

    // Assess
    expect(world.ecr.imageLookups).toEqual([
      { registryId: '210987654321', repositoryName: REPOSITORY, tag: 'main' },
    ]);
    expect(explained).toMatchObject({ image: { registryId: '210987654321', region: REGION } });
  });

  it('says a push in a registry of another region does not reach the service, reading nothing there', async () => {
    // Prepare
    const world = aWorld();
    follow(world);

    // Act
    const explained = await explainPush(
      { service: prodApi, image: image(`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/team/api:main`) },
      world.deps,
    );

    // Assess
    expect(explained).toMatchObject({
      action: 'skip',
      reason:
        'team/api is in us-east-1 and prod/api in eu-west-1: a push there does not reach autopilot here',
      image: { region: 'us-east-1' },
    });
    expect(world.ecr.imageLookups).toEqual([]);
  });

  it('says a service that does not exist does not', async () => {
    // Prepare
    const world = aWorld();

    // Act
    const explained = await explainPush({ service: prodApi, image: image('team/api:main') }, world.deps);

    // Assess
    expect(explained).toMatchObject({
      service: 'prod/api',
      action: 'skip',
      reason: 'service prod/api not found',
    });
    expect(world.ecr.imageLookups).toEqual([]);
  });

  it('ages an image ECR gives no push time for from now, and says so', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'main', digest: aDigest('no time') });

    // Act
    const explained = await explainPush({ service: prodApi, image: image('team/api:main') }, world.deps);

    // Assess
    expect(explained).toMatchObject({ action: 'deploy', image: { pushedAt: '2026-01-13T11:00:00.000Z' } });
    expect(explained.notes).toEqual(['ECR gives no push time: the image is aged from now']);
  });

  it('reads each service and revision once, however many tags the digest carries', async () => {
    // Prepare
    const world = aWorld();
    follow(world);
    world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'a', digest: NEW });
    world.ecr.pushImage({ repositoryName: REPOSITORY, tag: 'b', digest: NEW });

    // Act
    await explainPush({ service: prodApi, image: image(`team/api@${NEW}`) }, world.deps);

    // Assess
    expect(world.ecs.reads.DescribeServices).toBe(1);
    expect(world.ecs.describeTaskDefinitionCount).toBe(1);
  });
});
