/**
 * Decide, then apply. A use case reads what it needs through the ports and returns a {@link Plan}:
 * its decisions, each with its reason, and the effects they call for (register a revision, update a
 * service, quarantine an image, record, publish…) as a discriminated union keyed on `kind`. Deciding
 * never writes. One applier per capability carries a plan out with {@link applyPlan}: an exhaustive
 * map from effect kind to the port call that performs it. In dry run nothing is applied and the
 * decisions are returned marked `dryRun`, so dry run, `explain` and the tests read the same plan.
 *
 * An effect may belong to a decision (`decision`: its index). Where the world answers differently
 * from what was planned (a conditional write that finds a newer push waiting, a lease held by another
 * invocation, a duplicate signal already handled), the effect's handler returns an
 * {@link Amendment}: the decision changes to what really happened, and the remaining effects of that
 * decision are skipped. Nothing is half-applied without a decision that says so.
 *
 * @example
 * const plan = await planPush(push, deps);            // reads only
 * const done = await applyPlan(plan, deployEffects(deps), { dryRun: deps.dryRun });
 */

/** A decision about one subject, with its reason. */
export interface Decided {
  action: string;
  reason: string;
  dryRun?: boolean;
}

/** One effect: what to change, keyed on its kind; `decision` is the index of the decision it serves. */
export interface Effect {
  kind: string;
  decision?: number;
}

/** What a use case decided and what that calls for, in order. A plan is data: print it, compare it. */
export interface Plan<D extends Decided, E extends Effect> {
  decisions: D[];
  effects: E[];
}

/** What an effect's handler may say back: the decision becomes this, and its later effects are skipped. */
export type Amendment<D extends Decided> = Partial<D> & Pick<Decided, 'action' | 'reason'>;

/** Carries out one kind of effect; returns an amendment when what happened differs from the plan. */
export type EffectHandler<D extends Decided, E extends Effect> = (
  effect: E,
  context: ApplyContext<D>,
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that has nothing to amend just returns
) => Promise<Amendment<D> | undefined | void>;

/** One handler per effect kind, exhaustive over the capability's effects. */
export type EffectHandlers<D extends Decided, E extends Effect> = {
  [K in E['kind']]: EffectHandler<D, Extract<E, { kind: K }>>;
};

/** What an effect handler can see while a plan is applied. */
export interface ApplyContext<D extends Decided> {
  /** the decisions as they stand (earlier amendments applied) */
  readonly decisions: readonly D[];
  /** values earlier effects produced (e.g. the ARN of a registered revision), by the key they chose */
  readonly produced: Map<string, string>;
}

/** Options of {@link applyPlan}. */
export interface ApplyOptions {
  dryRun: boolean;
}

/**
 * Applies a plan effect by effect, in order.
 *
 * @returns the decisions as carried out: amended where the world answered otherwise, and marked
 *   `dryRun: true` (with nothing applied) in dry run
 * @throws whatever a handler throws (a retryable failure): what was applied before stays applied, and
 *   the use cases converge when the event is retried
 */
export async function applyPlan<D extends Decided, E extends Effect>(
  plan: Plan<D, E>,
  handlers: EffectHandlers<D, E>,
  options: ApplyOptions,
): Promise<D[]> {
  if (options.dryRun) return plan.decisions.map((d) => ({ ...d, dryRun: true }));
  const decisions = [...plan.decisions];
  const amended = new Set<number>();
  const context: ApplyContext<D> = { decisions, produced: new Map() };
  for (const effect of plan.effects) {
    if (effect.decision !== undefined && amended.has(effect.decision)) continue;
    const handler = handlers[effect.kind as E['kind']] as EffectHandler<D, E>;
    const amendment = await handler(effect, context);
    if (amendment && effect.decision !== undefined) {
      const index = effect.decision;
      decisions[index] = { ...(decisions[index] as D), ...amendment };
      amended.add(index);
    }
  }
  return decisions;
}

/**
 * One line per effect, for people (`autopilot explain`, logs, test failures).
 *
 * @example describePlan(plan) // ['deploy prod/api: follows tag main', '  register-revision …']
 */
export function describePlan<D extends Decided & { service?: string }, E extends Effect>(
  plan: Plan<D, E>,
): string[] {
  const lines: string[] = [];
  plan.decisions.forEach((decision, index) => {
    lines.push(`${decision.action}${decision.service ? ` ${decision.service}` : ''}: ${decision.reason}`);
    for (const effect of plan.effects.filter((e) => e.decision === index)) lines.push(`  ${summary(effect)}`);
  });
  for (const effect of plan.effects.filter((e) => e.decision === undefined)) lines.push(summary(effect));
  return lines;
}

function summary(effect: Effect): string {
  const { kind, decision: _decision, ...rest } = effect;
  const fields = Object.entries(rest)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    .map(([k, v]) => `${k}=${String(v)}`);
  return fields.length > 0 ? `${kind} ${fields.join(' ')}` : kind;
}
