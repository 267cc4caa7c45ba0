/**
 * The scheduled tag policy sweep across invocations (`sweepTags`) and what a CloudTrail record asks
 * to evaluate (`touchedResources`), on the in-memory fakes (no mocks). The deadline is a clock the
 * test moves: each page read advances it, so where a run stops never depends on the machine.
 */
import type { TagPolicyRule } from '../../../../shared/config/tag-policies';
import { sweepTags, type TagSweepDeps } from '../../../../shared/domain/tags/tag-sweep';
import {
  isAutopilotCall,
  tagResourceTypeOf,
  touchedResources,
} from '../../../../shared/domain/tags/tag-triggers';
import { TAG_POLICY_SUMMARY } from '../../../../shared/events/autopilot-events';
import { InMemoryEventPublisher } from '../../../support/in-memory';
import { aTagWorld, InMemoryTagSweep } from '../../../support/in-memory-tags';
import { aRule, NOW } from './tag-fixtures';

const HOUR = 3_600_000;
const ownerFromCluster = aRule({
  name: 'owner',
  mode: 'remediate',
  resources: ['ecs:service'],
  required: ['owner'],
  inherit: { from: { 'ecs:service': ['cluster'] } },
});

/** A clock the test moves: every page the sweep reads takes a minute of it. */
function aClock(start = NOW) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

/** An account of `services` services in prod (owner payments), each without an owner. */
function anAccount(services: number) {
  const world = aTagWorld();
  world.account.addCluster('prod', { owner: 'payments' });
  for (let s = 0; s < services; s++) world.account.addService('prod', `svc-${s}`);
  world.account.addRepository('team/api', { owner: 'platform' });
  return world;
}

function depsOf(
  world: ReturnType<typeof aTagWorld>,
  clock: ReturnType<typeof aClock>,
  options: {
    rules?: TagPolicyRule[];
    dryRun?: boolean;
    sweeps?: InMemoryTagSweep;
    events?: InMemoryEventPublisher;
  } = {},
): TagSweepDeps & { sweeps: InMemoryTagSweep; events: InMemoryEventPublisher } {
  // Each page read costs a minute of the clock.
  const readers = world.readers.map((reader) => ({
    types: reader.types,
    reads: (arn: string) => reader.reads(arn),
    readResource: (arn: string) => reader.readResource(arn),
    readPage: async (token?: string) => {
      clock.advance(60_000);
      return reader.readPage(token);
    },
  }));
  return {
    readers,
    writers: world.writers,
    enforcer: world.enforcer,
    marks: world.marks,
    rules: options.rules ?? [ownerFromCluster],
    settings: { maxChangesPerRun: 1000 },
    dryRun: options.dryRun ?? false,
    now: clock.now,
    sweeps: options.sweeps ?? new InMemoryTagSweep(),
    events: options.events ?? new InMemoryEventPublisher(),
  };
}

const summaries = (events: InMemoryEventPublisher) =>
  events.published.filter((e) => e.detailType === TAG_POLICY_SUMMARY);

describe('sweepTags', () => {
  it('sweeps a small account in one run and tells one summary of it', async () => {
    // Prepare
    const world = anAccount(3);
    const clock = aClock();
    const deps = depsOf(world, clock);

    // Act
    const run = await sweepTags({ triggeredBy: 'ev-1', periodMs: 24 * HOUR }, deps);

    // Assess
    expect(run).toMatchObject({ status: 'finished', sweepId: 'ev-1', counts: { resources: 5 } });
    expect(summaries(deps.events)).toEqual([
      {
        detailType: TAG_POLICY_SUMMARY,
        detail: expect.objectContaining({
          sweepId: 'ev-1',
          complete: true,
          resourcesSeen: 5,
          rows: [
            expect.objectContaining({
              rule: 'owner',
              resourceType: 'ecs:service',
              compliant: 3,
              remediated: 3,
            }),
          ],
        }),
      },
    ]);
    expect(world.ecsWriter.written.map((w) => w.tags)).toEqual([
      { owner: 'payments' },
      { owner: 'payments' },
      { owner: 'payments' },
    ]);
  });

  it('stops at its deadline and goes on from its checkpoint in the next run, counting the whole sweep once', async () => {
    // Prepare
    const world = anAccount(250);
    const clock = aClock();
    const sweeps = new InMemoryTagSweep();
    const events = new InMemoryEventPublisher();
    const deps = depsOf(world, clock, { sweeps, events });

    // Act: two minutes of deadline are two pages
    const first = await sweepTags(
      { triggeredBy: 'ev-1', periodMs: 24 * HOUR, deadline: new Date(clock.now().getTime() + 2 * 60_000) },
      deps,
    );
    const told = summaries(events).length;
    clock.advance(15 * 60_000);
    const second = await sweepTags({ triggeredBy: 'ev-2', periodMs: 24 * HOUR }, deps);

    // Assess
    expect(first).toMatchObject({ status: 'continues', sweepId: 'ev-1', pages: 2 });
    expect(told).toBe(0);
    expect(second).toMatchObject({ status: 'finished', sweepId: 'ev-1' });
    expect(first.counts.resources + second.counts.resources).toBe(252);
    expect(summaries(events)).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({
          sweepId: 'ev-1',
          resourcesSeen: 252,
          rows: [
            expect.objectContaining({
              rule: 'owner',
              resourceType: 'ecs:service',
              compliant: 250,
              remediated: 250,
            }),
          ],
        }),
      }),
    ]);
  });

  it('starts no new sweep before the period has passed since the last one started, and one after', async () => {
    // Prepare
    const world = anAccount(1);
    const clock = aClock();
    const deps = depsOf(world, clock);
    await sweepTags({ triggeredBy: 'ev-1', periodMs: 24 * HOUR }, deps);

    // Act
    clock.advance(HOUR);
    const early = await sweepTags({ triggeredBy: 'ev-2', periodMs: 24 * HOUR }, deps);
    clock.advance(24 * HOUR);
    const due = await sweepTags({ triggeredBy: 'ev-3', periodMs: 24 * HOUR }, deps);

    // Assess
    expect(early).toMatchObject({ status: 'not-due', sweepId: 'ev-1', pages: 0 });
    expect(due).toMatchObject({ status: 'finished', sweepId: 'ev-3' });
    expect(summaries(deps.events).map((e) => e.detail)).toEqual([
      expect.objectContaining({ sweepId: 'ev-1' }),
      expect.objectContaining({ sweepId: 'ev-3' }),
    ]);
  });

  it('answers busy while another run holds the sweep, and reads nothing', async () => {
    // Prepare
    const world = anAccount(1);
    const clock = aClock();
    const deps = depsOf(world, clock);
    await deps.sweeps.claimSweep(
      'ev-other',
      clock.now().toISOString(),
      new Date(NOW.getTime() + HOUR).toISOString(),
    );

    // Act
    const run = await sweepTags({ triggeredBy: 'ev-1', periodMs: 24 * HOUR }, deps);

    // Assess
    expect(run).toMatchObject({ status: 'busy', pages: 0 });
    expect(summaries(deps.events)).toEqual([]);
  });

  it('changes nothing in a dry run, tells its summary marked dryRun, and a real run does not continue its checkpoint', async () => {
    // Prepare
    const world = anAccount(2);
    const clock = aClock();
    const sweeps = new InMemoryTagSweep();
    const dry = depsOf(world, clock, { dryRun: true, sweeps });

    // Act
    const dryRun = await sweepTags({ triggeredBy: 'ev-1', periodMs: 24 * HOUR }, dry);
    const real = await sweepTags(
      { triggeredBy: 'ev-2', periodMs: 24 * HOUR },
      depsOf(world, clock, { sweeps }),
    );

    // Assess
    expect(dryRun).toMatchObject({ status: 'finished', dryRun: true });
    expect(summaries(dry.events)).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ dryRun: true, sweepId: 'ev-1' }) }),
    ]);
    expect(real).toMatchObject({ status: 'finished', sweepId: 'ev-2' });
    expect(world.ecsWriter.written).toHaveLength(2);
  });
});

describe('touchedResources', () => {
  const person = {
    type: 'AssumedRole',
    arn: 'arn:aws:sts::123456789012:assumed-role/platform-operator/jane.doe',
  };

  it.each([
    ['CreateCluster', { cluster: { clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch' } }],
    ['CreateService', { service: { serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api' } }],
    ['UpdateService', { service: { serviceArn: 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api' } }],
    [
      'RegisterTaskDefinition',
      {
        taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/report:1' },
      },
    ],
    [
      'CreateRepository',
      { repository: { repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/jobs/report' } },
    ],
  ])('reads the resource %s made from its response', (eventName, responseElements) => {
    // Act
    const touched = touchedResources(
      { eventName, responseElements, userIdentity: person },
      'ecs-autopilot-prod',
    );

    // Assess
    expect(touched).toEqual({ arns: [Object.values(Object.values(responseElements)[0] ?? {})[0]] });
  });

  it('reads every task RunTask started, and the resource a tag call names', () => {
    // Prepare
    const task = (id: string) => `arn:aws:ecs:eu-west-1:123456789012:task/batch/${id}`;

    // Act
    const run = touchedResources(
      {
        eventName: 'RunTask',
        responseElements: {
          tasks: [{ taskArn: task('a') }, { taskArn: task('b') }, { taskArn: 'not-an-arn' }],
        },
        userIdentity: person,
      },
      'ecs-autopilot-prod',
    );
    const untag = touchedResources(
      { eventName: 'UntagResource', requestParameters: { resourceArn: task('a') }, userIdentity: person },
      'ecs-autopilot-prod',
    );

    // Assess
    expect([run, untag]).toEqual([{ arns: [task('a'), task('b')] }, { arns: [task('a')] }]);
  });

  it('ignores a failed call, and a call that names nothing a tag policy reads', () => {
    // Act
    const failed = touchedResources(
      { eventName: 'CreateService', errorCode: 'AccessDenied', userIdentity: person },
      'ecs-autopilot-prod',
    );
    const nothing = touchedResources(
      { eventName: 'TagResource', userIdentity: person },
      'ecs-autopilot-prod',
    );

    // Assess
    expect(failed).toEqual({ ignored: 'CreateService failed (AccessDenied)' });
    expect(nothing).toEqual({ ignored: 'TagResource named no resource a tag policy reads' });
  });

  it.each([
    ['arn:aws:ecs:eu-west-1:123456789012:cluster/prod', 'ecs:cluster'],
    ['arn:aws:ecs:eu-west-1:123456789012:service/prod/api', 'ecs:service'],
    ['arn:aws:ecs:eu-west-1:123456789012:service/legacy', 'ecs:service'],
    ['arn:aws:ecs:eu-west-1:123456789012:task/batch/0f6b', 'ecs:task'],
    ['arn:aws:ecs:eu-west-1:123456789012:task-definition/report:1', 'ecs:task-definition'],
    ['arn:aws:ecs:eu-west-1:123456789012:capacity-provider/spot', 'ecs:capacity-provider'],
    ['arn:aws:ecr:eu-west-1:123456789012:repository/jobs/report', 'ecr:repository'],
    ['arn:aws:ecs:eu-west-1:123456789012:container-instance/batch/0123', undefined],
    ['arn:aws:iam::123456789012:role/ecs-tasks', undefined],
  ])('knows the resource type %s names', (arn, type) => {
    // Act
    const found = tagResourceTypeOf(arn);

    // Assess
    expect(found).toBe(type);
  });

  it.each([
    [
      'a role CloudFormation named after the stack',
      'assumed-role/ecs-autopilot-prod-TagPoliciesRole-1X2Y/x',
      true,
    ],
    ['the Framework default role', 'assumed-role/ecs-autopilot-prod-eu-west-1-lambdaRole/x', true],
    ['a session named after a function', 'assumed-role/shared-role/ecs-autopilot-prod-tag-policies', true],
    ["the sandbox's role", 'assumed-role/ecs-autopilot-prod/ecs-autopilot', true],
    ["another stage's role", 'assumed-role/ecs-autopilot-prod2-TagPoliciesRole-1X2Y/x', false],
    ['a person', 'assumed-role/platform-operator/jane.doe', false],
  ])('tells autopilot its own calls by name: %s', (_, role, own) => {
    // Act
    const mine = isAutopilotCall(
      { type: 'AssumedRole', arn: `arn:aws:sts::123456789012:${role}` },
      'ecs-autopilot-prod',
    );

    // Assess
    expect(mine).toBe(own);
  });
});
