/**
 * The tag policy use cases on the in-memory fakes (no mocks): `evaluateOne` for the resource a
 * CloudTrail call touched, `sweepPage` for the scheduled sweep (batched reads, a cursor that resumes),
 * and the applier's answers when the world moved on (a conditional write lost, AWS refusing a tag,
 * UpdateService failing after the desired count was remembered).
 */
import type { TagPolicyRule } from '../../../../shared/config/tag-policies';
import { applyPlan } from '../../../../shared/domain/plan/plan';
import { classifyStop } from '../../../../shared/domain/restart/classify';
import { evaluateResource } from '../../../../shared/domain/tags/evaluate';
import { tagEffects } from '../../../../shared/domain/tags/tag-effects';
import { planTags } from '../../../../shared/domain/tags/tag-plan';
import {
  evaluateOne,
  sweepPage,
  type TagPolicyDeps,
  type TagSweepCursor,
} from '../../../../shared/domain/tags/tag-policies';
import { VIOLATION_TAG } from '../../../../shared/domain/tags/tag-rules';
import {
  aTagWorld,
  InMemoryEcrTaggedResources,
  InMemoryEcsTaggedResources,
} from '../../../support/in-memory-tags';
import { aRule, DUE_IN_7D, NOW } from './tag-fixtures';

const LATER = new Date('2026-12-20T00:00:00Z');

/** The world's ports as the use cases take them, with `rules` and a clock. */
function depsOf(
  world: ReturnType<typeof aTagWorld>,
  rules: TagPolicyRule[],
  options: { now?: Date; dryRun?: boolean; maxChangesPerRun?: number } = {},
): TagPolicyDeps {
  return {
    readers: world.readers,
    writers: world.writers,
    enforcer: world.enforcer,
    marks: world.marks,
    rules,
    settings: { maxChangesPerRun: options.maxChangesPerRun ?? 50 },
    dryRun: options.dryRun ?? false,
    now: () => options.now ?? NOW,
  };
}

const ownerFromCluster = aRule({
  mode: 'remediate',
  resources: ['ecs:service', 'ecs:task'],
  required: ['owner'],
  inherit: { from: { 'ecs:service': ['cluster'], 'ecs:task': ['service', 'cluster'] } },
});
const enforceOwner = aRule({
  name: 'owner-enforced',
  mode: 'enforce',
  resources: ['ecs:service', 'ecs:task'],
  required: ['owner'],
  actions: { scaleServiceToZero: true, stopTask: true },
});

describe('evaluateOne', () => {
  it('repairs a service created without its owner from its cluster, seconds after the call', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod', { owner: 'payments' });
    const api = world.account.addService('prod', 'api');

    // Act
    const run = await evaluateOne(api, depsOf(world, [ownerFromCluster]));

    // Assess
    expect(run.decisions).toMatchObject([
      { action: 'remediate', added: [{ key: 'owner', value: 'payments' }] },
      { action: 'compliant' },
    ]);
    expect(world.account.tagsOf(api)).toEqual({ owner: 'payments' });
  });

  it('changes nothing in dry run and says what it would have done', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod', { owner: 'payments' });
    const api = world.account.addService('prod', 'api');

    // Act
    const run = await evaluateOne(api, depsOf(world, [ownerFromCluster], { dryRun: true }));

    // Assess
    expect(run.decisions).toMatchObject([
      { action: 'remediate', dryRun: true },
      { action: 'compliant', dryRun: true },
    ]);
    expect(world.account.tagsOf(api)).toEqual({});
    expect(world.ecsWriter.written).toEqual([]);
  });

  it('reads an ECR repository through its own reader and writes its tags with ECR', async () => {
    // Prepare
    const world = aTagWorld();
    const repo = world.account.addRepository('team/api');
    const rule = aRule({
      mode: 'remediate',
      resources: ['ecr:repository'],
      required: ['owner'],
      defaults: { owner: 'platform' },
    });

    // Act
    await evaluateOne(repo, depsOf(world, [rule]));

    // Assess
    expect(world.account.tagsOf(repo)).toEqual({ owner: 'platform' });
    expect(world.ecrWriter.written).toHaveLength(1);
    expect(world.ecsWriter.written).toEqual([]);
  });

  it('decides nothing about a resource that is gone', async () => {
    // Prepare
    const world = aTagWorld();

    // Act
    const run = await evaluateOne(
      'arn:aws:ecs:eu-west-1:123456789012:service/prod/gone',
      depsOf(world, [ownerFromCluster]),
    );

    // Assess
    expect(run).toEqual({ decisions: [], evaluations: [], counts: { resources: 0, decisions: {} } });
  });

  it('scales an offending service to zero after its grace and restores its desired count once it complies', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod');
    const api = world.account.addService('prod', 'api', { desiredCount: 3 });
    await evaluateOne(api, depsOf(world, [enforceOwner]));

    // Act
    const enforced = await evaluateOne(api, depsOf(world, [enforceOwner], { now: LATER }));
    const atZero = world.account.get(api)?.desiredCount;
    world.account.must(api).tags.owner = 'payments';
    const restored = await evaluateOne(api, depsOf(world, [enforceOwner], { now: LATER }));

    // Assess
    expect(enforced.decisions).toMatchObject([{ action: 'enforce', act: 'scale-to-zero' }]);
    expect(atZero).toBe(0);
    expect(restored.decisions.map((d) => d.action)).toEqual(['restore', 'clear-mark']);
    expect(world.account.get(api)?.desiredCount).toBe(3);
    expect(world.account.tagsOf(api)).toEqual({ owner: 'payments' });
    expect(await world.marks.recordsOf([api])).toEqual(new Map());
  });

  it("stops an offending standalone task with a reason restart classifies as autopilot's own", async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('batch');
    const task = world.account.addTask('batch', world.account.addTaskDefinition('worker'), { id: 'a1' });
    await evaluateOne(task, depsOf(world, [enforceOwner]));

    // Act
    const run = await evaluateOne(task, depsOf(world, [enforceOwner], { now: LATER }));

    // Assess
    expect(run.decisions).toMatchObject([{ action: 'enforce', act: 'stop-task' }]);
    const [stop] = world.enforcer.stops;
    expect(stop?.reason).toBe('autopilot: tag policy owner-enforced');
    expect(
      classifyStop({ stopCode: 'UserInitiated', stoppedReason: stop?.reason, containers: [] }).class,
    ).toBe('stopped-by-autopilot');
  });

  it('keeps the mark of a resource that cannot be tagged (an old-format ARN) in the table', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod');
    const legacy = world.account.addService('prod', 'legacy', { oldFormat: true });

    // Act
    const run = await evaluateOne(legacy, depsOf(world, [enforceOwner]));

    // Assess
    expect(run.decisions).toMatchObject([{ action: 'violation', due: DUE_IN_7D }]);
    expect(world.ecsWriter.written).toEqual([]);
    expect((await world.marks.recordsOf([legacy])).get(legacy)?.marks).toEqual({
      'owner-enforced': DUE_IN_7D,
    });
  });
});

describe('the tag applier', () => {
  /** The plan for `arn` as a run reading it now would make it. */
  async function planFor(
    world: ReturnType<typeof aTagWorld>,
    arn: string,
    rules: TagPolicyRule[],
    now: Date,
  ) {
    const view = await new InMemoryEcsTaggedResources(world.account).readResource(arn);
    if (!view) throw new Error(`${arn} is not in the account`);
    const records = await world.marks.recordsOf([arn]);
    const record = records.get(arn);
    const viewed = {
      ...view,
      ...(record?.scaledToZero
        ? { recorded: { scaledToZero: record.scaledToZero, marks: record.marks } }
        : {}),
    };
    return planTags([evaluateResource(viewed, rules, now)], rules, { maxChangesPerRun: 50 }, now);
  }

  it('scales a service to zero once when two runs race for it: the desired count remembered is the one read first', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod');
    const api = world.account.addService('prod', 'api', {
      desiredCount: 3,
      tags: { [VIOLATION_TAG]: 'owner-enforced@2026-12-11T01:45Z' },
    });
    const first = await planFor(world, api, [enforceOwner], LATER);
    const second = await planFor(world, api, [enforceOwner], LATER);
    const deps = { ...depsOf(world, [enforceOwner]), now: () => LATER };

    // Act
    const won = await applyPlan(first, tagEffects(deps), { dryRun: false });
    const lost = await applyPlan(second, tagEffects(deps), { dryRun: false });

    // Assess
    expect(won).toMatchObject([{ action: 'enforce' }]);
    expect(lost).toMatchObject([{ action: 'ignore', wouldBe: 'enforce' }]);
    expect(lost[0]?.reason).toMatch(/^another run scaled it to zero first/);
    expect(world.enforcer.updates).toEqual([{ serviceArn: api, desiredCount: 0 }]);
    expect((await world.marks.recordsOf([api])).get(api)?.scaledToZero).toMatchObject({ desiredCount: 3 });
  });

  it('forgets the desired count again when UpdateService fails, so the next run scales the service', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod');
    const api = world.account.addService('prod', 'api', {
      desiredCount: 3,
      tags: { [VIOLATION_TAG]: 'owner-enforced@2026-12-11T01:45Z' },
    });
    const plan = await planFor(world, api, [enforceOwner], LATER);
    world.enforcer.failNextUpdate = new Error('ThrottlingException: Rate exceeded');

    // Act
    const failed = applyPlan(plan, tagEffects({ ...depsOf(world, [enforceOwner]), now: () => LATER }), {
      dryRun: false,
    });

    // Assess
    await expect(failed).rejects.toThrow('Rate exceeded');
    expect(await world.marks.recordsOf([api])).toEqual(new Map());
    expect(world.account.get(api)?.desiredCount).toBe(3);
  });

  it('reports a tag write AWS refuses (a limit reached since the read) instead of retrying it', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod', { owner: 'payments' });
    const api = world.account.addService('prod', 'api');
    const plan = await planFor(world, api, [ownerFromCluster], NOW);
    Object.assign(
      world.account.must(api).tags,
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])),
    );

    // Act
    const decisions = await applyPlan(plan, tagEffects(depsOf(world, [ownerFromCluster])), { dryRun: false });

    // Assess
    expect(decisions[0]).toMatchObject({ action: 'refused', wouldBe: 'remediate' });
    expect(decisions[0]?.reason).toMatch(
      /^AWS refused: .* would have 51 tags; at most 50; would have: adds owner=payments/,
    );
    expect(world.ecsWriter.written).toHaveLength(1);
  });

  it('ignores a mark record another run made first, keeping its due date', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod');
    const legacy = world.account.addService('prod', 'legacy', { oldFormat: true });
    const plan = await planFor(world, legacy, [enforceOwner], NOW);
    await world.marks.markRecord(legacy, 'owner-enforced', '2026-12-10T00:00Z');

    // Act
    const decisions = await applyPlan(plan, tagEffects(depsOf(world, [enforceOwner])), { dryRun: false });

    // Assess
    expect(decisions).toMatchObject([{ action: 'ignore', wouldBe: 'violation' }]);
    expect((await world.marks.recordsOf([legacy])).get(legacy)?.marks).toEqual({
      'owner-enforced': '2026-12-10T00:00Z',
    });
  });

  it('ignores a stop of a task that stopped since it was read', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('batch');
    const task = world.account.addTask('batch', world.account.addTaskDefinition('worker'), {
      id: 'a1',
      tags: { [VIOLATION_TAG]: 'owner-enforced@2026-12-11T01:45Z' },
    });
    const plan = await planFor(world, task, [enforceOwner], LATER);
    world.account.must(task).stopped = 'Essential container in task exited';

    // Act
    const decisions = await applyPlan(plan, tagEffects(depsOf(world, [enforceOwner])), { dryRun: false });

    // Assess
    expect(decisions).toMatchObject([{ action: 'ignore', wouldBe: 'enforce' }]);
    expect(world.enforcer.stops).toEqual([]);
  });
});

describe('sweepPage', () => {
  /**
   * 10,000 resources: 20 clusters of 250 services (50 of them running 3 tasks each, 3,000 tasks in
   * all, of 100 families with 3 revisions each: 300 revisions), 10 capacity providers, 1,670
   * repositories.
   */
  function aLargeAccount() {
    const world = aTagWorld();
    const families = Array.from({ length: 100 }, (_, f) => {
      const family = `family-${String(f).padStart(3, '0')}`;
      return [1, 2, 3].map(() => world.account.addTaskDefinition(family, { owner: 'etl' }));
    });
    for (let c = 0; c < 20; c++) {
      const cluster = `cluster-${String(c).padStart(2, '0')}`;
      world.account.addCluster(cluster, { owner: `team-${c}` });
      for (let s = 0; s < 250; s++) {
        const service = `svc-${String(s).padStart(3, '0')}`;
        world.account.addService(cluster, service, { tags: s % 2 === 0 ? { owner: 'web' } : {} });
        for (const revision of s % 5 === 0 ? (families[(c * 50 + s / 5) % 100] ?? []) : []) {
          world.account.addTask(cluster, revision, {
            id: `${cluster}-${service}-${revision.slice(-1)}`,
            service,
          });
        }
      }
    }
    for (let p = 0; p < 10; p++) world.account.addCapacityProvider(`provider-${p}`);
    for (let r = 0; r < 1670; r++) world.account.addRepository(`repo-${String(r).padStart(4, '0')}`);
    return world;
  }

  const auditOwner = aRule({
    name: 'owner',
    mode: 'audit',
    resources: [
      'ecs:cluster',
      'ecs:service',
      'ecs:task',
      'ecs:task-definition',
      'ecs:capacity-provider',
      'ecr:repository',
    ],
    required: ['owner'],
  });

  /** Runs pages until the sweep is complete, or `pages` of them; the cursor where it stopped. */
  async function sweep(
    deps: TagPolicyDeps,
    from: TagSweepCursor | undefined,
    pages = Number.POSITIVE_INFINITY,
  ) {
    const arns: string[] = [];
    let cursor = from;
    let started = false;
    for (let n = 0; n < pages && (cursor || !started); n++) {
      started = true;
      const run = await sweepPage(cursor, deps);
      arns.push(...run.decisions.flatMap((d) => ('arn' in d ? [d.arn] : [])));
      cursor = run.next;
    }
    return { arns, cursor };
  }

  it('reads 10,000 resources with far fewer describe calls than resources, one mark read per page', async () => {
    // Prepare
    const world = aLargeAccount();
    const deps = depsOf(world, [auditOwner], { dryRun: true });

    // Act
    const { arns } = await sweep(deps, undefined);

    // Assess
    const resources = world.account.resources.size;
    expect(resources).toBe(10_000);
    expect(new Set(arns).size).toBe(resources);
    // Batched: DescribeClusters 100, DescribeServices 10, DescribeTasks 100 a call; one
    // DescribeTaskDefinition per revision and one ListTagsForResource per repository (no batch API).
    expect(world.account.calls.get('ecs:DescribeServices')).toBe(500);
    expect(world.account.calls.get('ecs:DescribeTasks')).toBe(40);
    expect(world.account.calls.get('ecs:DescribeTaskDefinition')).toBe(300);
    expect(world.account.calls.get('ecr:ListTagsForResource')).toBe(1670);
    const ecsDescribes = world.account.callsOf('ecs:Describe');
    expect(ecsDescribes).toBeLessThan((resources - 1670) / 5);
    expect(world.marks.batchReads).toBeLessThan(200);
  });

  it('resumes where it stopped: a sweep cut after 30 pages and finished by a new invocation reads each resource once', async () => {
    // Prepare
    const world = aLargeAccount();
    const deps = depsOf(world, [auditOwner], { dryRun: true });
    const first = await sweep(deps, undefined, 30);

    // Act
    const fresh = {
      ...depsOf(world, [auditOwner], { dryRun: true }),
      readers: [new InMemoryEcsTaggedResources(world.account), new InMemoryEcrTaggedResources(world.account)],
    };
    const rest = await sweep(fresh, JSON.parse(JSON.stringify(first.cursor)));

    // Assess
    const all = [...first.arns, ...rest.arns];
    expect(first.cursor).toBeDefined();
    expect(all).toHaveLength(10_000);
    expect(new Set(all).size).toBe(10_000);
  });

  it('marks what violates page by page, and a page over the run cap changes nothing and says so', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addCluster('prod', { owner: 'payments' });
    for (let s = 0; s < 3; s++) world.account.addService('prod', `svc-${s}`);
    const rule = aRule({ name: 'owner', resources: ['ecs:service'], required: ['owner'] });
    const capped = depsOf(world, [rule], { maxChangesPerRun: 2 });

    // Act
    const clusters = await sweepPage(undefined, capped);
    const services = await sweepPage(clusters.next, capped);

    // Assess
    expect(clusters.next).toEqual({ reader: 0, token: expect.any(String) });
    expect(services.counts).toEqual({ resources: 3, decisions: { 'over-cap': 1, held: 3 } });
    expect(world.ecsWriter.written).toEqual([]);
  });

  it('moves from the ECS reader to the ECR reader and ends after the last page', async () => {
    // Prepare
    const world = aTagWorld();
    world.account.addRepository('team/api');
    const deps = depsOf(world, [auditOwner], { dryRun: true });

    // Act
    const { arns, cursor } = await sweep(deps, { reader: 1 });

    // Assess
    expect(arns).toEqual(['arn:aws:ecr:eu-west-1:123456789012:repository/team/api']);
    expect(cursor).toBeUndefined();
  });
});
