/**
 * Decide, then apply: the generic applier and the printed form of a plan. No mocks: the effect
 * handlers of these tests write into an array.
 */
import { applyPlan, describePlan, type EffectHandlers, type Plan } from '../../../../shared/domain/plan/plan';

interface Decision {
  action: 'deploy' | 'skip';
  service: string;
  reason: string;
  revision?: string;
  dryRun?: boolean;
}

type Effect =
  | { kind: 'register'; decision: number; family: string }
  | { kind: 'update'; decision: number; service: string; family: string }
  | { kind: 'publish'; count: number };

/** Handlers that log what they do; `busy` services are held by someone else. */
function handlers(log: string[], busy: readonly string[] = []): EffectHandlers<Decision, Effect> {
  return {
    register: async (effect, { produced }) => {
      const arn = `${effect.family}:${produced.size + 2}`;
      produced.set(effect.family, arn);
      log.push(`register ${arn}`);
    },
    update: async (effect, { produced }) => {
      if (busy.includes(effect.service)) {
        return { action: 'skip', reason: `${effect.service} is being deployed by another invocation` };
      }
      const revision = produced.get(effect.family);
      log.push(`update ${effect.service} -> ${revision}`);
      return { action: 'deploy', reason: 'follows tag main', revision };
    },
    publish: async (effect) => {
      log.push(`publish ${effect.count}`);
    },
  };
}

const plan: Plan<Decision, Effect> = {
  decisions: [
    { action: 'deploy', service: 'prod/api', reason: 'follows tag main' },
    { action: 'deploy', service: 'staging/api', reason: 'follows tag main' },
  ],
  effects: [
    { kind: 'register', decision: 0, family: 'api' },
    { kind: 'update', decision: 0, service: 'prod/api', family: 'api' },
    { kind: 'update', decision: 1, service: 'staging/api', family: 'api' },
    { kind: 'publish', count: 2 },
  ],
};

describe('applyPlan', () => {
  it('carries out the effects in order, later ones using what earlier ones produced', async () => {
    // Prepare
    const log: string[] = [];

    // Act
    const done = await applyPlan(plan, handlers(log), { dryRun: false });

    // Assess
    expect(log).toEqual([
      'register api:2',
      'update prod/api -> api:2',
      'update staging/api -> api:2',
      'publish 2',
    ]);
    expect(done.map((d) => d.revision)).toEqual(['api:2', 'api:2']);
  });

  it('applies nothing in dry run and marks every decision', async () => {
    // Prepare
    const log: string[] = [];

    // Act
    const done = await applyPlan(plan, handlers(log), { dryRun: true });

    // Assess
    expect(log).toEqual([]);
    expect(done).toEqual(plan.decisions.map((d) => ({ ...d, dryRun: true })));
  });

  it('amends a decision the world answered otherwise, and skips its later effects only', async () => {
    // Prepare
    const log: string[] = [];
    const amended: Plan<Decision, Effect> = {
      ...plan,
      effects: [
        { kind: 'register', decision: 0, family: 'api' },
        { kind: 'update', decision: 1, service: 'staging/api', family: 'api' },
        { kind: 'register', decision: 1, family: 'other' },
        { kind: 'update', decision: 0, service: 'prod/api', family: 'api' },
      ],
    };

    // Act
    const done = await applyPlan(amended, handlers(log, ['staging/api']), { dryRun: false });

    // Assess
    expect(done[1]).toEqual({
      action: 'skip',
      service: 'staging/api',
      reason: 'staging/api is being deployed by another invocation',
    });
    expect(log).toEqual(['register api:2', 'update prod/api -> api:2']);
  });

  it('leaves the plan it was given as it was (a plan is data)', async () => {
    // Prepare
    const before = structuredClone(plan);

    // Act
    await applyPlan(plan, handlers([], ['prod/api']), { dryRun: false });

    // Assess
    expect(plan).toEqual(before);
  });
});

describe('describePlan', () => {
  it('prints each decision with its reason and the effects it calls for', () => {
    // Prepare: the plan above

    // Act
    const lines = describePlan(plan);

    // Assess
    expect(lines).toEqual([
      'deploy prod/api: follows tag main',
      '  register family=api',
      '  update service=prod/api family=api',
      'deploy staging/api: follows tag main',
      '  update service=staging/api family=api',
      'publish count=2',
    ]);
  });
});
