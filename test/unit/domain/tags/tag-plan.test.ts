import type { TagPolicyRule } from '../../../../shared/config/tag-policies';
import { applyPlan, describePlan, type EffectHandlers } from '../../../../shared/domain/plan/plan';
import { evaluateResource, type TagResourceView } from '../../../../shared/domain/tags/evaluate';
import { markDue } from '../../../../shared/domain/tags/marks';
import {
  planTags,
  type TagDecision,
  type TagEffect,
  type TagPlan,
} from '../../../../shared/domain/tags/tag-plan';
import { aResource, aRule, aService, aTask, DUE_IN_7D, manyTags, NOW } from './tag-fixtures';

const LATER = new Date('2026-12-11T02:00:00Z');

/** The plan for `resources` under `rules` at `now`, with a run cap of `cap`. */
function planFor(resources: TagResourceView[], rules: TagPolicyRule[], now = NOW, cap = 50): TagPlan {
  const evaluations = resources.map((resource) => evaluateResource(resource, rules, now));
  return planTags(evaluations, rules, { maxChangesPerRun: cap }, now);
}

/** What AWS and autopilot's table would hold after the plan's effects on `resource` (a pure simulation). */
function applied(resource: TagResourceView, plan: TagPlan): TagResourceView {
  const tags: Record<string, string> = { ...resource.tags };
  const marks: Record<string, string> = { ...resource.recorded?.marks };
  let { desiredCount } = resource;
  let scaledToZero = resource.recorded?.scaledToZero;
  for (const effect of plan.effects.filter((e) => e.arn === resource.arn)) {
    switch (effect.kind) {
      case 'tag-resource':
        Object.assign(tags, effect.tags);
        break;
      case 'mark':
        tags['autopilot:violation'] = effect.value;
        break;
      case 'mark-record':
        marks[effect.rule] = effect.due;
        break;
      case 'clear-mark':
        if (effect.where === 'record') delete marks[effect.rule];
        else if (effect.value === undefined) delete tags['autopilot:violation'];
        else tags['autopilot:violation'] = effect.value;
        break;
      case 'scale-to-zero':
        scaledToZero = { rule: effect.rule, desiredCount: effect.desiredCount };
        desiredCount = 0;
        break;
      case 'restore':
        scaledToZero = undefined;
        desiredCount = effect.desiredCount;
        break;
      case 'stop-task':
        break;
    }
  }
  return {
    ...resource,
    tags,
    ...(desiredCount === undefined ? {} : { desiredCount }),
    recorded: { marks, ...(scaledToZero ? { scaledToZero } : {}) },
  };
}

const actions = (plan: TagPlan) => plan.decisions.map((d) => d.action);
const kinds = (plan: TagPlan) => plan.effects.map((e) => e.kind);

describe('planTags: audit', () => {
  const rule = aRule({ required: ['owner'], defaults: { owner: 'platform' } });

  it('reports a violation and marks it on the resource with its due date, adding nothing', () => {
    // Prepare
    const service = aService();

    // Act
    const plan = planFor([service], [rule]);

    // Assess
    expect(plan).toEqual<TagPlan>({
      decisions: [
        {
          action: 'violation',
          rule: 'owner',
          arn: service.arn,
          resourceType: 'ecs:service',
          violations: [{ key: 'owner', problem: 'missing' }],
          due: DUE_IN_7D,
          limits: [],
          reason: `owner is missing; marked: audit only reports (due ${DUE_IN_7D} in enforce)`,
        },
      ],
      effects: [
        {
          kind: 'mark',
          decision: 0,
          arn: service.arn,
          resourceType: 'ecs:service',
          rule: 'owner',
          due: DUE_IN_7D,
          value: `owner@${DUE_IN_7D}`,
        },
      ],
    });
  });

  it('keeps the marks of other rules on the tag', () => {
    // Prepare
    const service = aService({ tags: { 'autopilot:violation': 'zeta@2026-12-05T00:00Z' } });
    const zeta = aRule({ name: 'zeta', required: ['team'] });

    // Act
    const plan = planFor([service], [rule, zeta]);

    // Assess
    expect(plan.effects).toEqual([
      expect.objectContaining({ kind: 'mark', value: `owner@${DUE_IN_7D} zeta@2026-12-05T00:00Z` }),
    ]);
  });

  it('reports a violation already marked without marking it again', () => {
    // Prepare
    const service = aService({ tags: { 'autopilot:violation': `owner@${DUE_IN_7D}` } });

    // Act
    const plan = planFor([service], [rule], LATER);

    // Assess
    expect(actions(plan)).toEqual(['violation']);
    expect(plan.effects).toEqual([]);
    expect(plan.decisions[0]?.reason).toBe(
      `owner is missing; marked since, due ${DUE_IN_7D}; audit only reports`,
    );
  });

  it.each<[string, TagResourceView]>([
    [
      'an old-format ARN, which cannot be tagged',
      aService({ arn: 'arn:aws:ecs:eu-west-1:123456789012:service/api' }),
    ],
    ['a resource with 50 tags already', aService({ tags: manyTags(50) })],
  ])('keeps the mark in a record for %s', (_name, service) => {
    // Prepare
    const rules = [rule];

    // Act
    const plan = planFor([service], rules);

    // Assess
    expect(plan.effects).toEqual([
      { kind: 'mark-record', decision: 0, arn: service.arn, rule: 'owner', due: DUE_IN_7D },
    ]);
  });

  it('says in the reason that an old-format ARN cannot be tagged', () => {
    // Prepare
    const service = aService({ arn: 'arn:aws:ecs:eu-west-1:123456789012:service/api' });

    // Act
    const plan = planFor([service], [rule]);

    // Assess
    expect(plan.decisions[0]?.reason).toContain('the resource cannot be tagged (old-format ARN)');
  });
});

describe('markDue', () => {
  it.each([
    ['7d', 7 * 86_400_000, '2026-12-11T01:45Z'],
    ['12h', 12 * 3_600_000, '2026-12-04T13:45Z'],
    ['90d', 90 * 86_400_000, '2027-03-04T01:45Z'],
    ['0 from a whole minute', 0, '2026-12-04T01:44Z'],
  ])('marks a grace of %s due at %s, to the minute rounded up', (_grace, ms, due) => {
    // Prepare
    const now = ms === 0 ? new Date('2026-12-04T01:44:00Z') : NOW;

    // Act
    const at = markDue(now, ms);

    // Assess
    expect(at).toBe(due);
  });
});

describe('planTags: remediate', () => {
  const rule = aRule({
    mode: 'remediate',
    required: ['owner', 'env'],
    allowed: { env: { values: ['prod', 'staging'] } },
    inherit: { from: { 'ecs:service': ['cluster'] } },
  });

  it("adds a service's missing owner from its cluster, and marks nothing when that fixes everything", () => {
    // Prepare
    const service = aService({ tags: { env: 'prod' }, parentTags: { cluster: { owner: 'payments' } } });

    // Act
    const plan = planFor([service], [rule]);

    // Assess
    expect(plan).toEqual<TagPlan>({
      decisions: [
        {
          action: 'remediate',
          rule: 'owner',
          arn: service.arn,
          resourceType: 'ecs:service',
          added: [{ key: 'owner', value: 'payments', from: 'cluster' }],
          fixes: [{ key: 'owner', problem: 'missing' }],
          reason: 'adds owner=payments (from its cluster)',
        },
        {
          action: 'compliant',
          rule: 'owner',
          arn: service.arn,
          resourceType: 'ecs:service',
          reason: 'carries the tags rule owner asks for',
        },
      ],
      effects: [
        {
          kind: 'tag-resource',
          decision: 0,
          arn: service.arn,
          resourceType: 'ecs:service',
          tags: { owner: 'payments' },
        },
      ],
    });
  });

  it('adds what it can and marks what is left (a value it may not overwrite)', () => {
    // Prepare
    const service = aService({ tags: { env: 'dev' }, parentTags: { cluster: { owner: 'payments' } } });

    // Act
    const plan = planFor([service], [rule]);

    // Assess
    expect(actions(plan)).toEqual(['remediate', 'violation']);
    expect(kinds(plan)).toEqual(['tag-resource', 'mark']);
    expect(plan.decisions[1]?.reason).toBe(
      `env is "dev", expected one of prod, staging; marked: remediate only reports (due ${DUE_IN_7D} in enforce)`,
    );
  });

  it('clears the mark once its remediation fixes the violation', () => {
    // Prepare
    const service = aService({
      tags: { env: 'prod', 'autopilot:violation': `owner@${DUE_IN_7D}` },
      parentTags: { cluster: { owner: 'payments' } },
    });

    // Act
    const plan = planFor([service], [rule]);

    // Assess
    expect(actions(plan)).toEqual(['remediate', 'clear-mark']);
    expect(plan.effects[1]).toEqual({
      kind: 'clear-mark',
      decision: 1,
      arn: service.arn,
      resourceType: 'ecs:service',
      rule: 'owner',
      where: 'tag',
    });
  });

  it('leaves a key an earlier rule adds to that rule, and adds past no rule the room under 50 tags', () => {
    // Prepare
    const first = aRule({ name: 'first', mode: 'remediate', required: ['owner'], defaults: { owner: 'a' } });
    const second = aRule({
      name: 'second',
      mode: 'remediate',
      required: ['owner', 'env'],
      defaults: { owner: 'b', env: 'prod' },
    });
    const service = aService({ tags: manyTags(48) });

    // Act
    const plan = planFor([service], [first, second]);

    // Assess
    expect(
      plan.effects.filter((e) => e.kind === 'tag-resource').map((e) => e.kind === 'tag-resource' && e.tags),
    ).toEqual([{ owner: 'a' }, { env: 'prod' }]);
    expect(actions(plan)).toEqual(['remediate', 'compliant', 'remediate', 'compliant']);
  });

  it('marks in a record what has no room, saying so', () => {
    // Prepare
    const service = aService({ tags: { ...manyTags(49), env: 'prod' } });
    const owner = aRule({
      mode: 'remediate',
      required: ['owner', 'team'],
      defaults: { owner: 'a', team: 'b' },
    });

    // Act
    const plan = planFor([service], [owner]);

    // Assess
    expect(kinds(plan)).toEqual(['mark-record']);
    expect(plan.decisions[0]).toMatchObject({
      action: 'violation',
      limits: [{ problem: 'no-room', wanted: 2, room: 0, dropped: ['owner', 'team'] }],
    });
  });
});

describe('planTags: enforce', () => {
  const enforce = (actionsOptedIn: Record<string, boolean>, fields: Record<string, unknown> = {}) =>
    aRule({
      resources: ['ecs:service', 'ecs:task', 'ecr:repository', 'ecs:task-definition'],
      mode: 'enforce',
      required: ['owner'],
      actions: actionsOptedIn,
      ...fields,
    });
  const marked = { 'autopilot:violation': `owner@${DUE_IN_7D}` };

  it('marks first, naming when it will act', () => {
    // Prepare
    const task = aTask();

    // Act
    const plan = planFor([task], [enforce({ stopTask: true })]);

    // Assess
    expect(actions(plan)).toEqual(['violation']);
    expect(kinds(plan)).toEqual(['mark']);
    expect(plan.decisions[0]?.reason).toBe(`owner is missing; marked: enforce acts after ${DUE_IN_7D}`);
  });

  it('waits while the grace lasts', () => {
    // Prepare
    const task = aTask({ tags: marked });

    // Act
    const plan = planFor([task], [enforce({ stopTask: true })], new Date('2026-12-11T01:44:59Z'));

    // Assess
    expect(actions(plan)).toEqual(['violation']);
    expect(plan.effects).toEqual([]);
  });

  it.each<[string, TagResourceView, Record<string, boolean>, string, string[]]>([
    [
      'stops a standalone task, opted in',
      aTask({ tags: marked }),
      { stopTask: true },
      `its grace ended ${DUE_IN_7D}: stopped (rule owner)`,
      ['stop-task'],
    ],
    [
      'only notifies about a task not opted in',
      aTask({ tags: marked }),
      {},
      'notified only, the rule does not opt in to stopTask',
      [],
    ],
    [
      "only notifies about a service's task (its service would start another)",
      aTask({ tags: marked, service: 'api' }),
      { stopTask: true },
      'notified only, a task of service api (stopping it would only have the service start another)',
      [],
    ],
    [
      'scales a service to zero, opted in',
      aService({ tags: marked }),
      { scaleServiceToZero: true },
      'scaled to zero from 3, restored once it complies',
      ['scale-to-zero'],
    ],
    [
      'only notifies about a service not opted in',
      aService({ tags: marked }),
      { stopTask: true },
      'the rule does not opt in to scaleServiceToZero',
      [],
    ],
    [
      'only notifies about a service autopilot scaled to zero already',
      aService({
        tags: marked,
        desiredCount: 0,
        recorded: { scaledToZero: { rule: 'owner', desiredCount: 3 } },
      }),
      { scaleServiceToZero: true },
      'autopilot scaled it to zero already (rule owner, from 3)',
      [],
    ],
    [
      'only notifies about a repository: there is no safe action',
      aResource('ecr:repository', 'team/web', { tags: marked }),
      { stopTask: true, scaleServiceToZero: true },
      'there is no safe action for ecr:repository',
      [],
    ],
  ])('after the due date, %s', (_name, resource, optedIn, said, effects) => {
    // Prepare
    const rule = enforce(optedIn);

    // Act
    const plan = planFor([resource], [rule], LATER);

    // Assess
    expect(kinds(plan)).toEqual(effects);
    expect(actions(plan)).toEqual([effects.length > 0 ? 'enforce' : 'notify']);
    expect(plan.decisions[0]?.reason).toContain(said);
  });

  it('remembers the desired count it scales a service to zero from', () => {
    // Prepare
    const service = aService({ tags: marked, desiredCount: 4 });

    // Act
    const plan = planFor([service], [enforce({ scaleServiceToZero: true })], LATER);

    // Assess
    expect(plan.effects).toEqual([
      {
        kind: 'scale-to-zero',
        decision: 0,
        arn: service.arn,
        cluster: 'prod',
        rule: 'owner',
        desiredCount: 4,
      },
    ]);
  });

  it('restores the desired count of a service it scaled to zero once it complies, and clears the mark', () => {
    // Prepare
    const service = aService({
      tags: { ...marked, owner: 'payments' },
      desiredCount: 0,
      recorded: { scaledToZero: { rule: 'owner', desiredCount: 3 } },
    });

    // Act
    const plan = planFor([service], [enforce({ scaleServiceToZero: true })], LATER);

    // Assess
    expect(actions(plan)).toEqual(['restore', 'clear-mark']);
    expect(plan.effects).toEqual([
      { kind: 'restore', decision: 0, arn: service.arn, cluster: 'prod', desiredCount: 3 },
      expect.objectContaining({ kind: 'clear-mark', decision: 1, where: 'tag' }),
    ]);
  });

  it('remediates before it enforces: a task whose owner its task definition has is tagged, not stopped', () => {
    // Prepare
    const task = aTask({ tags: marked, parentTags: { taskDefinition: { owner: 'etl' } } });
    const rule = enforce({ stopTask: true }, { inherit: { from: { 'ecs:task': ['task-definition'] } } });

    // Act
    const plan = planFor([task], [rule], LATER);

    // Assess
    expect(actions(plan)).toEqual(['remediate', 'clear-mark']);
    expect(kinds(plan)).toEqual(['tag-resource', 'clear-mark']);
  });
});

describe('planTags: marks cleared', () => {
  const rule = aRule({ required: ['owner'] });

  it.each<[string, TagResourceView, Partial<TagEffect>]>([
    [
      'the only mark on the tag: the tag is removed',
      aService({ tags: { owner: 'x', 'autopilot:violation': `owner@${DUE_IN_7D}` } }),
      { where: 'tag' },
    ],
    [
      "one mark of two: the other rule's stays",
      aService({ tags: { owner: 'x', 'autopilot:violation': `env@2026-12-06T00:00Z owner@${DUE_IN_7D}` } }),
      { where: 'tag', value: 'env@2026-12-06T00:00Z' },
    ],
    [
      'a mark in the record',
      aService({ tags: { owner: 'x' }, recorded: { marks: { owner: DUE_IN_7D } } }),
      { where: 'record' },
    ],
    [
      'the mark of a resource now exempt',
      aService({ tags: { 'autopilot:exempt': 'yes', 'autopilot:violation': `owner@${DUE_IN_7D}` } }),
      { where: 'tag' },
    ],
  ])('clears %s', (_name, service, effect) => {
    // Prepare
    const rules = [
      aRule({ required: ['owner'], exempt: { tags: { 'autopilot:exempt': '*' } } }),
      aRule({ name: 'env', required: ['env'] }),
    ];

    // Act
    const plan = planFor([service], rules);

    // Assess
    expect(actions(plan)).toEqual(['clear-mark', 'violation']);
    expect(plan.effects.filter((e) => e.decision === 0)).toEqual([
      {
        kind: 'clear-mark',
        decision: 0,
        arn: service.arn,
        resourceType: 'ecs:service',
        rule: 'owner',
        ...effect,
      },
    ]);
  });

  it.each<[string, TagPolicyRule[], string]>([
    ['a rule removed from the policy file', [], 'rule owner is no longer in the policy file'],
    [
      'a rule that no longer selects it',
      [aRule({ required: ['owner'], names: ['web'] })],
      'rule owner no longer selects it',
    ],
  ])('clears the mark and restores the scale to zero of %s', (_name, rules, said) => {
    // Prepare
    const service = aService({
      desiredCount: 0,
      tags: { 'autopilot:violation': `owner@${DUE_IN_7D}` },
      recorded: { marks: { other: DUE_IN_7D }, scaledToZero: { rule: 'owner', desiredCount: 2 } },
    });

    // Act
    const plan = planFor([service], rules, LATER);

    // Assess
    expect(actions(plan)).toEqual(['restore', 'clear-mark', 'clear-mark']);
    expect(plan.decisions[0]?.reason).toBe(
      `${said}: its desired count 2, which autopilot scaled to zero, is restored`,
    );
    expect(plan.effects).toEqual([
      { kind: 'restore', decision: 0, arn: service.arn, cluster: 'prod', desiredCount: 2 },
      {
        kind: 'clear-mark',
        decision: 1,
        arn: service.arn,
        resourceType: 'ecs:service',
        rule: 'owner',
        where: 'tag',
      },
      {
        kind: 'clear-mark',
        decision: 2,
        arn: service.arn,
        resourceType: 'ecs:service',
        rule: 'other',
        where: 'record',
      },
    ]);
  });

  it('plans nothing for a compliant resource without a mark', () => {
    // Prepare
    const service = aService({ tags: { owner: 'x' } });

    // Act
    const plan = planFor([service], [rule]);

    // Assess
    expect(actions(plan)).toEqual(['compliant']);
    expect(plan.effects).toEqual([]);
  });
});

describe('planTags: the run cap', () => {
  const rule = aRule({ mode: 'remediate', required: ['owner'], defaults: { owner: 'platform' } });
  const services = ['a', 'b', 'c'].map((name) => aResource('ecs:service', name, { cluster: 'prod' }));

  it('changes as many resources as the cap allows', () => {
    // Prepare
    const cap = 3;

    // Act
    const plan = planFor(services, [rule], NOW, cap);

    // Assess
    expect(kinds(plan)).toEqual(['tag-resource', 'tag-resource', 'tag-resource']);
  });

  it('changes nothing over the cap, and says so in its decisions', () => {
    // Prepare
    const cap = 2;

    // Act
    const plan = planFor([...services, aService({ tags: { owner: 'x' } })], [rule], NOW, cap);

    // Assess
    expect(plan.effects).toEqual([]);
    expect(plan.decisions[0]).toEqual<TagDecision>({
      action: 'over-cap',
      changes: 3,
      max: 2,
      reason: 'the run would change 3 resources, more than maxChangesPerRun 2: it changes none',
    });
    expect(actions(plan)).toEqual([
      'over-cap',
      'held',
      'compliant',
      'held',
      'compliant',
      'held',
      'compliant',
      'compliant',
    ]);
    expect(plan.decisions[1]).toMatchObject({ action: 'held', wouldBe: 'remediate', rule: 'owner' });
    expect(plan.decisions[1]?.reason).toMatch(
      /^held \(the run would change 3 resources.*\); would have: adds owner=platform/,
    );
  });

  it('does not count marks kept in records as changes', () => {
    // Prepare
    const old = ['x', 'y', 'z'].map((name) =>
      aService({ arn: `arn:aws:ecs:eu-west-1:123456789012:service/${name}` }),
    );

    // Act
    const plan = planFor(old, [aRule({ required: ['owner'] })], NOW, 1);

    // Assess
    expect(kinds(plan)).toEqual(['mark-record', 'mark-record', 'mark-record']);
  });
});

describe('planTags: converges', () => {
  it.each<[string, TagPolicyRule, TagResourceView, Date]>([
    ['an audit mark', aRule({ required: ['owner'] }), aService(), NOW],
    [
      'a remediation and a mark',
      aRule({
        mode: 'remediate',
        required: ['owner', 'env'],
        allowed: { env: { values: ['prod'] } },
        defaults: { owner: 'a' },
      }),
      aService({ tags: { env: 'dev' } }),
      NOW,
    ],
    [
      'a scale to zero',
      aRule({ mode: 'enforce', required: ['owner'], actions: { scaleServiceToZero: true } }),
      aService({ tags: { 'autopilot:violation': `owner@${DUE_IN_7D}` } }),
      LATER,
    ],
    ['a mark in a record', aRule({ required: ['owner'] }), aService({ tags: manyTags(50) }), NOW],
  ])(
    'plans no effect once %s is applied (autopilot reading its own change back)',
    (_name, rule, resource, now) => {
      // Prepare
      const first = planFor([resource], [rule], now);
      const after = applied(resource, first);

      // Act
      const again = planFor([after], [rule], now);

      // Assess
      expect(first.effects.length).toBeGreaterThan(0);
      expect(again.effects).toEqual([]);
    },
  );

  it('restores, then plans nothing more, once a service scaled to zero complies', () => {
    // Prepare
    const rule = aRule({ mode: 'enforce', required: ['owner'], actions: { scaleServiceToZero: true } });
    const scaled = applied(
      aService({ tags: { 'autopilot:violation': `owner@${DUE_IN_7D}` } }),
      planFor([aService({ tags: { 'autopilot:violation': `owner@${DUE_IN_7D}` } })], [rule], LATER),
    );
    const fixed = { ...scaled, tags: { ...scaled.tags, owner: 'payments' } };

    // Act
    const restored = applied(fixed, planFor([fixed], [rule], LATER));
    const again = planFor([restored], [rule], LATER);

    // Assess
    expect(restored.desiredCount).toBe(3);
    expect(restored.tags['autopilot:violation']).toBeUndefined();
    expect(actions(again)).toEqual(['compliant']);
    expect(again.effects).toEqual([]);
  });
});

describe('planTags: dry run', () => {
  it('is the plan not applied: decisions reported marked dryRun, no effect carried out', async () => {
    // Prepare
    const rule = aRule({ mode: 'remediate', required: ['owner'], defaults: { owner: 'a' } });
    const plan = planFor([aService()], [rule]);
    const carriedOut: string[] = [];
    const record = async (effect: TagEffect) => {
      carriedOut.push(effect.kind);
    };
    const handlers: EffectHandlers<TagDecision, TagEffect> = {
      'tag-resource': record,
      mark: record,
      'mark-record': record,
      'clear-mark': record,
      'stop-task': record,
      'scale-to-zero': record,
      restore: record,
    };
    const reported: TagDecision[][] = [];

    // Act
    await applyPlan(plan, handlers, { dryRun: true, report: async (d) => void reported.push(d) });

    // Assess
    expect(carriedOut).toEqual([]);
    expect(reported).toEqual([plan.decisions.map((d) => ({ ...d, dryRun: true }))]);
    expect(describePlan(plan)).toEqual([
      'remediate: adds owner=a (the default)',
      `  tag-resource arn=${aService().arn} resourceType=ecs:service`,
      'compliant: carries the tags rule owner asks for',
    ]);
  });
});
