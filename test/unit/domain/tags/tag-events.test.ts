import type { TagPolicyRule } from '../../../../shared/config/tag-policies';
import type { DetailOf } from '../../../../shared/domain/notify/describe-event';
import { evaluateResource, type TagResourceView } from '../../../../shared/domain/tags/evaluate';
import { tagEvents, tagSummaryEvent } from '../../../../shared/domain/tags/tag-events';
import { planTags, type TagDecision } from '../../../../shared/domain/tags/tag-plan';
import {
  ACTION_FAILED,
  type AutopilotEvent,
  AutopilotEventSchemas,
  TAG_POLICY_ENFORCED,
  TAG_POLICY_REMEDIATED,
  TAG_POLICY_RESTORED,
  TAG_POLICY_SUMMARY,
  TAG_POLICY_VIOLATION,
} from '../../../../shared/events/autopilot-events';
import { aResource, aRule, aService, aTask, DUE_IN_7D, manyTags, NOW } from './tag-fixtures';

const LATER = new Date('2026-12-11T02:00:00Z');
const TRIGGER = 'cloudtrail-event-1';

/** What a run of `rules` over `resources` at `now` plans, and the events of its decisions. */
function run(
  resources: TagResourceView[],
  rules: TagPolicyRule[],
  options: { now?: Date; cap?: number; dryRun?: boolean } = {},
) {
  const now = options.now ?? NOW;
  const evaluations = resources.map((resource) => evaluateResource(resource, rules, now));
  const plan = planTags(evaluations, rules, { maxChangesPerRun: options.cap ?? 50 }, now);
  // What applyPlan reports in a dry run: the decisions marked.
  const decisions: TagDecision[] = options.dryRun
    ? plan.decisions.map((d) => ({ ...d, dryRun: true }))
    : plan.decisions;
  const events = tagEvents(decisions, { evaluations, rules, triggeredBy: TRIGGER });
  return { plan, decisions, evaluations, events };
}

/** Each event's problems against its detail-type's contract (none expected). */
const contractErrors = (events: readonly AutopilotEvent[]) =>
  events.flatMap((e) => AutopilotEventSchemas[e.detailType].safeParse(e.detail).error?.issues ?? []);

/** The detail of the first event of `type`. */
function detailOf<K extends AutopilotEvent['detailType']>(
  events: readonly AutopilotEvent[],
  type: K,
): DetailOf<K> | undefined {
  return events.find((e) => e.detailType === type)?.detail as DetailOf<K> | undefined;
}

const SERVICE_ARN = aService().arn;
const marked = { 'autopilot:violation': `owner@${DUE_IN_7D}` };

describe('tagEvents', () => {
  it.each<[string, TagResourceView[], TagPolicyRule[], Date, Array<[string, Record<string, unknown>]>]>([
    [
      'remediate: the tags added, where from, and nothing left',
      [aService({ parentTags: { cluster: { owner: 'payments' } } })],
      [aRule({ required: ['owner'], mode: 'remediate', inherit: { from: { 'ecs:service': ['cluster'] } } })],
      NOW,
      [
        [
          TAG_POLICY_REMEDIATED,
          {
            added: [{ key: 'owner', value: 'payments', from: 'cluster' }],
            remaining: [],
            tags: { owner: 'payments' },
          },
        ],
      ],
    ],
    [
      'remediate: what is left is a violation, marked once, both routed on the tags as left',
      [aService({ parentTags: { cluster: { owner: 'payments' } } })],
      [
        aRule({
          required: ['owner', 'cost-centre'],
          mode: 'remediate',
          inherit: { from: { 'ecs:service': ['cluster'] } },
        }),
      ],
      NOW,
      [
        [
          TAG_POLICY_REMEDIATED,
          {
            added: [{ key: 'owner', value: 'payments', from: 'cluster' }],
            remaining: [{ key: 'cost-centre', problem: 'missing' }],
            tags: { owner: 'payments' },
          },
        ],
        [
          TAG_POLICY_VIOLATION,
          {
            mode: 'remediate',
            violations: [{ key: 'cost-centre', problem: 'missing' }],
            due: DUE_IN_7D,
            whenDue: 'report-only',
            tags: { owner: 'payments' },
          },
        ],
      ],
    ],
    [
      'audit: a value not allowed, with what is allowed, only reported',
      [aService({ tags: { env: 'dev' } })],
      [aRule({ required: [], allowed: { env: { values: ['prod', 'staging'] } } })],
      NOW,
      [
        [
          TAG_POLICY_VIOLATION,
          {
            mode: 'audit',
            violations: [
              { key: 'env', problem: 'not-allowed', value: 'dev', allowed: 'one of prod, staging' },
            ],
            whenDue: 'report-only',
            tags: { env: 'dev' },
          },
        ],
      ],
    ],
    [
      'enforce: a service opted in is told it will be scaled to zero when due',
      [aService()],
      [aRule({ required: ['owner'], mode: 'enforce', actions: { scaleServiceToZero: true } })],
      NOW,
      [[TAG_POLICY_VIOLATION, { mode: 'enforce', whenDue: 'scale-to-zero' }]],
    ],
    [
      'enforce: a standalone task opted in is told it will be stopped when due',
      [aTask()],
      [aRule({ resources: ['ecs:task'], required: ['owner'], mode: 'enforce', actions: { stopTask: true } })],
      NOW,
      [[TAG_POLICY_VIOLATION, { whenDue: 'stop-task', name: 'worker', cluster: 'batch' }]],
    ],
    [
      "enforce: a service's task is only notified when due",
      [aTask({ service: 'api' })],
      [aRule({ resources: ['ecs:task'], required: ['owner'], mode: 'enforce', actions: { stopTask: true } })],
      NOW,
      [[TAG_POLICY_VIOLATION, { whenDue: 'notify-only', service: 'api' }]],
    ],
    [
      'a violation marked already is not announced again',
      [aService({ tags: marked })],
      [aRule({ required: ['owner'] })],
      NOW,
      [],
    ],
    [
      'enforce, due: the service scaled to zero, its desired count kept',
      [aService({ tags: marked })],
      [aRule({ required: ['owner'], mode: 'enforce', actions: { scaleServiceToZero: true } })],
      LATER,
      [
        [
          TAG_POLICY_ENFORCED,
          {
            action: 'scaled-to-zero',
            desiredCount: 3,
            due: DUE_IN_7D,
            violations: [{ key: 'owner', problem: 'missing' }],
          },
        ],
      ],
    ],
    [
      'enforce, due: the standalone task stopped',
      [aTask({ tags: marked })],
      [aRule({ resources: ['ecs:task'], required: ['owner'], mode: 'enforce', actions: { stopTask: true } })],
      LATER,
      [[TAG_POLICY_ENFORCED, { action: 'stopped-task', due: DUE_IN_7D }]],
    ],
    [
      'enforce, due: a repository, with no safe action, only told',
      [aResource('ecr:repository', 'team/api', { tags: marked })],
      [aRule({ resources: ['ecr:repository'], required: ['owner'], mode: 'enforce' })],
      LATER,
      [[TAG_POLICY_ENFORCED, { action: 'notify-only', resourceType: 'ecr:repository', name: 'team/api' }]],
    ],
    [
      'a service scaled to zero already is not told again each sweep',
      [
        aService({
          tags: marked,
          desiredCount: 0,
          recorded: { scaledToZero: { rule: 'owner', desiredCount: 3 } },
        }),
      ],
      [aRule({ required: ['owner'], mode: 'enforce', actions: { scaleServiceToZero: true } })],
      LATER,
      [],
    ],
    [
      'complies again: its desired count back and its mark cleared, in one event',
      [
        aService({
          tags: { ...marked, owner: 'payments' },
          desiredCount: 0,
          recorded: { scaledToZero: { rule: 'owner', desiredCount: 3 } },
        }),
      ],
      [aRule({ required: ['owner'], mode: 'enforce', actions: { scaleServiceToZero: true } })],
      LATER,
      [
        [
          TAG_POLICY_RESTORED,
          {
            restored: 'desired-count',
            desiredCount: 3,
            markCleared: true,
            due: DUE_IN_7D,
            because: 'complies',
            tags: { owner: 'payments' },
          },
        ],
      ],
    ],
    [
      'exempt now: its mark cleared',
      [aService({ tags: { ...marked, 'autopilot:exempt': 'yes' } })],
      [aRule({ required: ['owner'], exempt: { tags: { 'autopilot:exempt': '*' } } })],
      NOW,
      [
        [
          TAG_POLICY_RESTORED,
          { restored: 'mark-cleared', markCleared: true, due: DUE_IN_7D, because: 'exempt' },
        ],
      ],
    ],
    [
      'a rule removed from the policy file: its mark cleared',
      [aService({ tags: marked })],
      [],
      NOW,
      [[TAG_POLICY_RESTORED, { restored: 'mark-cleared', because: 'rule-removed' }]],
    ],
    [
      'a rule that no longer selects the resource: its mark cleared',
      [aService({ tags: marked })],
      [aRule({ required: ['owner'], clusters: ['staging'] })],
      NOW,
      [[TAG_POLICY_RESTORED, { restored: 'mark-cleared', because: 'rule-no-longer-selects' }]],
    ],
    [
      'compliant: nothing to tell',
      [aService({ tags: { owner: 'payments' } })],
      [aRule({ required: ['owner'] })],
      NOW,
      [],
    ],
  ])('%s', (_, resources, rules, now, expected) => {
    // Prepare
    const input = { now };

    // Act
    const { events } = run(resources, rules, input);

    // Assess
    expect(events.map((e) => [e.detailType, e.detail])).toEqual(
      expected.map(([type, fields]) => [type, expect.objectContaining(fields)]),
    );
    expect(contractErrors(events)).toEqual([]);
  });

  it('names the resource, the rule, the decision reason and the event that started the run', () => {
    // Prepare
    const service = aService();

    // Act
    const { events, decisions } = run([service], [aRule({ required: ['owner'] })]);

    // Assess
    expect(events).toEqual([
      {
        detailType: TAG_POLICY_VIOLATION,
        detail: {
          resourceType: 'ecs:service',
          resourceArn: SERVICE_ARN,
          name: 'api',
          cluster: 'prod',
          rule: 'owner',
          tags: {},
          mode: 'audit',
          violations: [{ key: 'owner', problem: 'missing' }],
          due: DUE_IN_7D,
          whenDue: 'report-only',
          limits: [],
          reason: decisions[0]?.reason,
          dryRun: false,
          triggeredBy: TRIGGER,
        },
      },
    ]);
  });

  it('tells a tag write AWS refused for good as a failed action, and nothing of a decision another run took first', () => {
    // Prepare
    const about = { rule: 'owner', arn: SERVICE_ARN, resourceType: 'ecs:service' as const };
    const decisions: TagDecision[] = [
      {
        ...about,
        action: 'refused',
        wouldBe: 'remediate',
        refusedBy: 'Long arn format must be used for tagging operations',
        reason:
          'AWS refused: Long arn format must be used for tagging operations; would have: adds owner=payments',
      },
      { ...about, action: 'ignore', wouldBe: 'violation', reason: 'another run marked it first' },
    ];
    const evaluations = [evaluateResource(aService(), [aRule({ required: ['owner'] })], NOW)];

    // Act
    const events = tagEvents(decisions, { evaluations, rules: [], triggeredBy: TRIGGER });

    // Assess
    expect(events).toEqual([
      {
        detailType: ACTION_FAILED,
        detail: {
          action: 'tag policy remediate',
          cluster: 'prod',
          service: 'api',
          serviceArn: SERVICE_ARN,
          reason: decisions[0]?.reason,
          dryRun: false,
          triggeredBy: TRIGGER,
        },
      },
    ]);
    expect(contractErrors(events)).toEqual([]);
  });

  it('marks every event of a dry run', () => {
    // Prepare
    const service = aService({ parentTags: { cluster: { owner: 'payments' } } });
    const rule = aRule({
      required: ['owner', 'env'],
      mode: 'remediate',
      inherit: { from: { 'ecs:service': ['cluster'] } },
    });

    // Act
    const { events } = run([service], [rule], { dryRun: true });

    // Assess
    expect(events.map((e) => [e.detailType, e.detail.dryRun])).toEqual([
      [TAG_POLICY_REMEDIATED, true],
      [TAG_POLICY_VIOLATION, true],
    ]);
  });

  it('tells nothing of a run the cap held: its summary says so', () => {
    // Prepare
    const services = ['a', 'b', 'c'].map((name) => aResource('ecs:service', name, { cluster: 'prod' }));
    const rule = aRule({ required: ['owner'] });

    // Act
    const { events, decisions, evaluations } = run(services, [rule], { cap: 2 });
    const summary = tagSummaryEvent(decisions, {
      evaluations,
      triggeredBy: 'sweep-1',
      sweepId: 'sweep-1',
      complete: true,
    });

    // Assess
    expect(events).toEqual([]);
    expect(summary.detail).toMatchObject({
      overCap: { changes: 3, max: 2 },
      rows: [
        expect.objectContaining({ rule: 'owner', resourceType: 'ecs:service', skipped: 3, violating: 0 }),
      ],
    });
  });

  it("keeps the routing tags within AWS's limits: user tags only, no mark, at most 50", () => {
    // Prepare
    const tags = { ...manyTags(49), 'aws:cloudformation:stack-name': 'api', ...marked };
    const service = aService({ tags });

    // Act
    const { events } = run([service], [aRule({ required: ['owner'], mode: 'enforce' })], { now: LATER });
    const over = run([aService({ tags: manyTags(60) })], [aRule({ required: ['owner'] })]).events;

    // Assess
    expect(events[0]?.detail).toMatchObject({ tags: manyTags(49) });
    expect(Object.keys(detailOf(over, TAG_POLICY_VIOLATION)?.tags ?? {})).toHaveLength(50);
    expect(contractErrors([...events, ...over])).toEqual([]);
  });

  it('cuts what would not fit its contract: long reasons and allowed values, many violations', () => {
    // Prepare
    const values = Array.from({ length: 100 }, (_, i) => `${'v'.repeat(250)}${i}`);
    const allowed = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`k${i}`, { values: values.slice(0, 20) }]),
    );
    const service = aService({ tags: manyTags(50) });
    const rule = aRule({ required: [], allowed });

    // Act
    const { events } = run([service], [rule]);

    // Assess
    expect(events).toHaveLength(1);
    expect(contractErrors(events)).toEqual([]);
    expect(detailOf(events, TAG_POLICY_VIOLATION)?.reason.endsWith('…')).toBe(true);
  });
});

describe('tagSummaryEvent', () => {
  it('counts each resource once per rule: compliant, violating, exempt; and what was remediated, enforced, restored', () => {
    // Prepare
    const owner = aRule({
      resources: ['ecs:service', 'ecs:task'],
      required: ['owner'],
      mode: 'enforce',
      actions: { scaleServiceToZero: true, stopTask: true },
      defaults: {},
      exempt: { tags: { legacy: '*' } },
    });
    const env = aRule({
      name: 'env',
      resources: ['ecs:service'],
      required: ['env'],
      mode: 'remediate',
      defaults: { env: 'prod' },
    });
    const resources = [
      aResource('ecs:service', 'ok', { cluster: 'prod', tags: { owner: 'a', env: 'prod' } }),
      aResource('ecs:service', 'old', { cluster: 'prod', tags: { legacy: 'yes', env: 'prod' } }),
      aResource('ecs:service', 'due', { cluster: 'prod', desiredCount: 2, tags: marked }),
      aResource('ecs:service', 'back', {
        cluster: 'prod',
        desiredCount: 0,
        tags: { ...marked, owner: 'b', env: 'prod' },
        recorded: { scaledToZero: { rule: 'owner', desiredCount: 2 } },
      }),
      aTask({ tags: { owner: 'c' } }),
    ];

    // Act
    const { decisions, evaluations } = run(resources, [owner, env], { now: LATER });
    const summary = tagSummaryEvent(decisions, {
      evaluations,
      triggeredBy: 'schedule-1',
      sweepId: 'schedule-1',
      complete: false,
      resourcesSeen: 7,
    });

    // Assess
    expect(summary).toEqual({
      detailType: TAG_POLICY_SUMMARY,
      detail: {
        sweepId: 'schedule-1',
        complete: false,
        resourcesSeen: 7,
        rows: [
          {
            rule: 'env',
            resourceType: 'ecs:service',
            compliant: 4,
            violating: 0,
            exempt: 0,
            skipped: 0,
            remediated: 1,
            enforced: 0,
            restored: 0,
          },
          {
            rule: 'owner',
            resourceType: 'ecs:service',
            compliant: 2,
            violating: 1,
            exempt: 1,
            skipped: 0,
            remediated: 0,
            enforced: 1,
            restored: 1,
          },
          {
            rule: 'owner',
            resourceType: 'ecs:task',
            compliant: 1,
            violating: 0,
            exempt: 0,
            skipped: 0,
            remediated: 0,
            enforced: 0,
            restored: 0,
          },
        ],
        dryRun: false,
        triggeredBy: 'schedule-1',
      },
    });
    expect(contractErrors([summary])).toEqual([]);
  });

  it('is a dry run when its decisions are', () => {
    // Prepare
    const { decisions, evaluations } = run([aService()], [aRule({ required: ['owner'] })], { dryRun: true });

    // Act
    const summary = tagSummaryEvent(decisions, {
      evaluations,
      triggeredBy: 't',
      sweepId: 't',
      complete: true,
    });

    // Assess
    expect(summary.detail).toMatchObject({ dryRun: true, resourcesSeen: 1 });
  });
});
