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

describe('applyPlan: what handlers learn', () => {
  it('adds what an effect learned to its decision and goes on with its effects', async () => {
    // Prepare
    const log: string[] = [];
    const learning: EffectHandlers<Decision, Effect> = {
      ...handlers(log),
      register: async (effect, { produced }) => {
        produced.set(effect.family, `${effect.family}:2`);
        log.push(`register ${effect.family}:2`);
        return { learned: { revision: `${effect.family}:2` } };
      },
      update: async (effect) => {
        log.push(`update ${effect.service}`);
      },
    };

    // Act
    const done = await applyPlan(plan, learning, { dryRun: false });

    // Assess
    expect(log).toEqual(['register api:2', 'update prod/api', 'update staging/api', 'publish 2']);
    expect(done[0]).toEqual({ ...plan.decisions[0], revision: 'api:2' });
    expect(done[1]).toEqual(plan.decisions[1]);
  });
});

describe('applyPlan: scopes (a lease around a sequence of effects)', () => {
  type Leased =
    | { kind: 'lease'; decision: number; service: string; opens: string }
    | { kind: 'guard'; decision: number; service: string }
    | { kind: 'update'; decision: number; service: string }
    | { kind: 'release'; decision: number; service: string; closes: string };

  const leased = (...services: string[]): Plan<Decision, Leased> => ({
    decisions: services.map((service) => ({ action: 'deploy', service, reason: 'follows tag main' })),
    effects: services.flatMap((service, decision) => [
      { kind: 'lease', decision, service, opens: `lease ${service}` } as const,
      { kind: 'guard', decision, service } as const,
      { kind: 'update', decision, service } as const,
      { kind: 'release', decision, service, closes: `lease ${service}` } as const,
    ]),
  });

  /** `held`: leased elsewhere; `done`: the guard finds the work done; `failing`: the update throws. */
  function leasing(
    log: string[],
    world: { held?: string[]; done?: string[]; failing?: string[] } = {},
  ): EffectHandlers<Decision, Leased> {
    return {
      lease: async ({ service }) => {
        if (world.held?.includes(service))
          return { action: 'skip', reason: `${service} is leased elsewhere` };
        log.push(`lease ${service}`);
      },
      guard: async ({ service }) => {
        if (world.done?.includes(service)) return { action: 'skip', reason: 'superseded' };
      },
      update: async ({ service }) => {
        if (world.failing?.includes(service)) throw new Error(`throttled updating ${service}`);
        log.push(`update ${service}`);
      },
      release: async ({ service }) => {
        log.push(`release ${service}`);
      },
    };
  }

  it('closes a scope whose decision was amended under it, skipping the rest', async () => {
    // Prepare
    const log: string[] = [];

    // Act
    const done = await applyPlan(leased('prod/api', 'staging/api'), leasing(log, { done: ['prod/api'] }), {
      dryRun: false,
    });

    // Assess
    expect(log).toEqual([
      'lease prod/api',
      'release prod/api',
      'lease staging/api',
      'update staging/api',
      'release staging/api',
    ]);
    expect(done.map((d) => d.action)).toEqual(['skip', 'deploy']);
  });

  it('does not close a scope that was never opened', async () => {
    // Prepare
    const log: string[] = [];

    // Act
    const done = await applyPlan(leased('prod/api'), leasing(log, { held: ['prod/api'] }), { dryRun: false });

    // Assess
    expect(log).toEqual([]);
    expect(done).toEqual([{ action: 'skip', service: 'prod/api', reason: 'prod/api is leased elsewhere' }]);
  });

  it('closes the open scope when an effect throws, then lets the error go on', async () => {
    // Prepare
    const log: string[] = [];

    // Act
    const run = applyPlan(leased('prod/api', 'staging/api'), leasing(log, { failing: ['prod/api'] }), {
      dryRun: false,
    });

    // Assess
    await expect(run).rejects.toThrow('throttled updating prod/api');
    expect(log).toEqual(['lease prod/api', 'release prod/api']);
  });
});

describe('applyPlan: a decision planned again under its scope', () => {
  type Guarded =
    | { kind: 'lease'; decision: number; service: string; opens: string }
    | { kind: 'plan-again'; decision: number; service: string }
    | { kind: 'register'; decision: number; family: string }
    | { kind: 'update'; decision: number; service: string; family: string }
    | { kind: 'release'; decision: number; service: string; closes: string }
    | { kind: 'forget'; service: string };

  const guarded = (...services: string[]): Plan<Decision, Guarded> => ({
    decisions: services.map((service) => ({ action: 'deploy', service, reason: 'follows tag main' })),
    effects: [
      ...services.flatMap((service, decision) => [
        { kind: 'lease', decision, service, opens: `lease ${service}` } as const,
        { kind: 'plan-again', decision, service } as const,
        { kind: 'register', decision, family: 'api' } as const,
        { kind: 'update', decision, service, family: 'api' } as const,
        { kind: 'release', decision, service, closes: `lease ${service}` } as const,
      ]),
      { kind: 'forget', service: 'dev/api' },
    ],
  });

  /** `changed`: what planning again under the lease finds for a service (a new plan for it). */
  function replanning(
    log: string[],
    changed: Record<string, { decision: Decision; effects: Guarded[] }> = {},
  ): EffectHandlers<Decision, Guarded> {
    return {
      lease: async ({ service }) => {
        log.push(`lease ${service}`);
      },
      'plan-again': async ({ service }) => {
        const again = changed[service];
        if (again) return { replanned: again };
      },
      register: async ({ family }) => {
        log.push(`register ${family}`);
      },
      update: async ({ service, family }) => {
        log.push(`update ${service} ${family}`);
        if (service === 'staging/api' && family === 'throws') throw new Error('throttled');
      },
      release: async ({ service }) => {
        log.push(`release ${service}`);
      },
      forget: async ({ service }) => {
        log.push(`forget ${service}`);
      },
    };
  }

  it('goes on with the plan when planning again changed nothing', async () => {
    // Prepare
    const log: string[] = [];

    // Act
    const done = await applyPlan(guarded('prod/api'), replanning(log), { dryRun: false });

    // Assess
    expect(log).toEqual([
      'lease prod/api',
      'register api',
      'update prod/api api',
      'release prod/api',
      'forget dev/api',
    ]);
    expect(done).toEqual(guarded('prod/api').decisions);
  });

  it('replaces the decision and its remaining effects, keeps the closer and the later decisions', async () => {
    // Prepare
    const log: string[] = [];
    const again = {
      decision: {
        action: 'deploy' as const,
        service: 'prod/api',
        reason: 'follows tag main (planned again)',
      },
      effects: [
        { kind: 'register', decision: 99, family: 'api-v2' } as const,
        { kind: 'update', decision: 99, service: 'prod/api', family: 'api-v2' } as const,
      ],
    };

    // Act
    const done = await applyPlan(guarded('prod/api', 'staging/api'), replanning(log, { 'prod/api': again }), {
      dryRun: false,
    });

    // Assess
    expect(log).toEqual([
      'lease prod/api',
      'register api-v2',
      'update prod/api api-v2',
      'release prod/api',
      'lease staging/api',
      'register api',
      'update staging/api api',
      'release staging/api',
      'forget dev/api',
    ]);
    expect(done.map((d) => d.reason)).toEqual(['follows tag main (planned again)', 'follows tag main']);
  });

  it('turns a decision planned again into one without effects, still closing its scope', async () => {
    // Prepare
    const log: string[] = [];
    const again = {
      decision: { action: 'skip' as const, service: 'prod/api', reason: 'superseded' },
      effects: [],
    };

    // Act
    const done = await applyPlan(guarded('prod/api'), replanning(log, { 'prod/api': again }), {
      dryRun: false,
    });

    // Assess
    expect(log).toEqual(['lease prod/api', 'release prod/api', 'forget dev/api']);
    expect(done).toEqual([again.decision]);
  });

  it('closes the scope and reports what was carried out when a replanned effect throws', async () => {
    // Prepare
    const log: string[] = [];
    const reports: Decision[][] = [];
    const again = {
      decision: { action: 'deploy' as const, service: 'staging/api', reason: 'planned again' },
      effects: [{ kind: 'update', decision: 1, service: 'staging/api', family: 'throws' } as const],
    };

    // Act
    const run = applyPlan(guarded('prod/api', 'staging/api'), replanning(log, { 'staging/api': again }), {
      dryRun: false,
      report: async (decisions) => {
        reports.push(decisions);
      },
    });

    // Assess
    await expect(run).rejects.toThrow('throttled');
    expect(log.slice(-2)).toEqual(['update staging/api throws', 'release staging/api']);
    expect(reports).toEqual([[guarded('prod/api').decisions[0]]]);
  });

  it('plans nothing again in a dry run', async () => {
    // Prepare
    const log: string[] = [];
    const again = {
      decision: { action: 'skip' as const, service: 'prod/api', reason: 'superseded' },
      effects: [],
    };

    // Act
    const done = await applyPlan(guarded('prod/api'), replanning(log, { 'prod/api': again }), {
      dryRun: true,
    });

    // Assess
    expect(log).toEqual([]);
    expect(done).toEqual([{ ...guarded('prod/api').decisions[0], dryRun: true }]);
  });
});

describe('applyPlan: the report', () => {
  it('reports the decisions as carried out after a run', async () => {
    // Prepare
    const reports: Decision[][] = [];

    // Act
    const done = await applyPlan(plan, handlers([], ['staging/api']), {
      dryRun: false,
      report: async (decisions) => {
        reports.push(decisions);
      },
    });

    // Assess
    expect(reports).toEqual([done]);
    expect(reports[0]?.map((d) => d.action)).toEqual(['deploy', 'skip']);
  });

  it('reports in a dry run, the decisions marked, and applies nothing', async () => {
    // Prepare
    const log: string[] = [];
    const reports: Decision[][] = [];

    // Act
    await applyPlan(plan, handlers(log), {
      dryRun: true,
      report: async (decisions) => {
        reports.push(decisions);
      },
    });

    // Assess
    expect(log).toEqual([]);
    expect(reports).toEqual([plan.decisions.map((d) => ({ ...d, dryRun: true }))]);
  });

  it('reports what was carried out before an effect threw: the finished decisions from the first', async () => {
    // Prepare
    const reports: Decision[][] = [];
    const three: Plan<Decision, Effect> = {
      decisions: [
        { action: 'deploy', service: 'prod/api', reason: 'follows tag main' },
        { action: 'deploy', service: 'staging/api', reason: 'follows tag main' },
        { action: 'skip', service: 'dev/api', reason: 'not opted in' },
      ],
      effects: [
        { kind: 'register', decision: 0, family: 'api' },
        { kind: 'update', decision: 0, service: 'prod/api', family: 'api' },
        { kind: 'update', decision: 1, service: 'staging/api', family: 'api' },
      ],
    };
    const failing: EffectHandlers<Decision, Effect> = {
      ...handlers([]),
      update: async (effect, context) => {
        if (effect.service === 'staging/api') throw new Error('throttled');
        return handlers([]).update(effect, context);
      },
    };

    // Act
    const run = applyPlan(three, failing, {
      dryRun: false,
      report: async (decisions) => {
        reports.push(decisions);
      },
    });

    // Assess
    await expect(run).rejects.toThrow('throttled');
    expect(reports).toEqual([
      [{ action: 'deploy', service: 'prod/api', reason: 'follows tag main', revision: 'api:2' }],
    ]);
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
