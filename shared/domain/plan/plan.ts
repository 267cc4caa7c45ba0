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
 * decision are skipped. Nothing is half-applied without a decision that says so. A handler that
 * learned something its decision should carry (the ARN it registered) returns {@link Learned}
 * instead: the decision gets those fields and its effects go on. A handler that found the world
 * changed so that the decision must be taken again (a guard that reads again and plans again under a
 * lease) returns {@link Replanned}: the decision is replaced, and so are its effects not carried out
 * yet, except those closing a scope that is open (a lease taken is always given back).
 *
 * A lease wraps a sequence of effects: the effect that takes it `opens` a scope, the one that gives
 * it back `closes` that scope, and a closing effect is carried out whenever its opening effect was
 * (and did not amend), also when its decision was amended in between (a guard under the lease found
 * the work done already) or an effect threw (then before the error goes on, as `finally` would).
 * Reads that must happen under the lease are effects too (guards), since only they see what the
 * lease protects; they amend the decision when the world moved on.
 *
 * Publishing is not an effect: it is the report of the decisions as carried out, which the
 * capability turns into its events (`report`). Reporting is the one thing a dry run does (with the
 * decisions marked `dryRun`), and a run that fails part-way still reports what it carried out before
 * the failure, so nothing done is left unsaid.
 *
 * @example
 * const plan = await planPush(push, deps);            // reads only
 * const done = await applyPlan(plan, deployEffects(deps), {
 *   dryRun: deps.dryRun,
 *   report: (decisions) => deps.events.publish(decisions.flatMap(eventFor)),
 * });
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
  /** names the scope this effect opens (e.g. `lease <serviceArn>`): the effect that `closes` it is sure to follow */
  opens?: string;
  /**
   * closes the scope of that name: carried out whenever the effect that `opens` it was (and did not
   * amend), even when its decision was amended since or an effect threw (then before the error goes on)
   */
  closes?: string;
}

/** What a use case decided and what that calls for, in order. A plan is data: print it, compare it. */
export interface Plan<D extends Decided, E extends Effect> {
  decisions: D[];
  effects: E[];
}

/** What an effect's handler may say back: the decision becomes this, and its later effects are skipped. */
export type Amendment<D extends Decided> = Partial<D> & Pick<Decided, 'action' | 'reason'>;

/** What an effect's handler may say back without changing course: fields its decision now carries; its effects go on. */
export interface Learned<D extends Decided> {
  learned: Partial<D>;
}

/**
 * What an effect's handler may say back when the decision had to be taken again (a guard read again
 * under a lease and planned again): the decision becomes `decision`, and its effects not carried out
 * yet are replaced by `effects` (carried out next, as effects of the same decision), except those
 * that close a scope open now: they stay, after the new ones, so a scope opened is always closed.
 * `effects` should neither open nor close that scope again.
 */
export interface Replanned<D extends Decided, E extends Effect> {
  replanned: { decision: D; effects: E[] };
}

/**
 * Carries out one kind of effect; returns an amendment when what happened differs from the plan,
 * what it learned that its decision should carry, or the decision taken again with its new effects
 * (`All`: every effect of the capability, not only this handler's kind).
 */
export type EffectHandler<D extends Decided, E extends Effect, All extends Effect = E> = (
  effect: E,
  context: ApplyContext<D>,
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that has nothing to say just returns
) => Promise<Amendment<D> | Learned<D> | Replanned<D, All> | undefined | void>;

/** One handler per effect kind, exhaustive over the capability's effects. */
export type EffectHandlers<D extends Decided, E extends Effect> = {
  [K in E['kind']]: EffectHandler<D, Extract<E, { kind: K }>, E>;
};

/** What an effect handler can see while a plan is applied. */
export interface ApplyContext<D extends Decided> {
  /** the decisions as they stand (earlier amendments applied) */
  readonly decisions: readonly D[];
  /** values earlier effects produced (e.g. the ARN of a registered revision), by the key they chose */
  readonly produced: Map<string, string>;
}

/** Options of {@link applyPlan}. */
export interface ApplyOptions<D extends Decided = Decided> {
  dryRun: boolean;
  /**
   * Tells the world about the decisions (a capability publishes its events here). Called once: in a
   * dry run with every decision marked `dryRun` (reporting is the one thing a dry run does); after a
   * run with the decisions as carried out; and when an effect throws, with the decisions carried out
   * before it (decisions are carried out in the order they are listed: the longest run of finished
   * decisions from the first, a decision being finished once none of its effects is left), after the
   * open scopes were closed and before the error goes on.
   */
  report?: (decisions: D[]) => Promise<void>;
}

/**
 * Applies a plan effect by effect, in order, then reports the decisions (`options.report`).
 *
 * @returns the decisions as carried out: amended where the world answered otherwise, with what the
 *   effects learned, and marked `dryRun: true` (with nothing applied) in dry run
 * @throws whatever a handler throws (a retryable failure): what was applied before stays applied (the
 *   open scopes are closed and what was carried out is reported first), and the use cases converge
 *   when the event is retried
 */
export async function applyPlan<D extends Decided, E extends Effect>(
  plan: Plan<D, E>,
  handlers: EffectHandlers<D, E>,
  options: ApplyOptions<D>,
): Promise<D[]> {
  if (options.dryRun) {
    const marked = plan.decisions.map((d) => ({ ...d, dryRun: true }));
    await options.report?.(marked);
    return marked;
  }
  const decisions = [...plan.decisions];
  // The effects as they stand: a decision planned again replaces its remaining ones.
  const effects = [...plan.effects];
  const amended = new Set<number>();
  const context: ApplyContext<D> = { decisions, produced: new Map() };
  const open: string[] = [];
  const carryOut = async (effect: E, at: number): Promise<void> => {
    const handler = handlers[effect.kind as E['kind']] as EffectHandler<D, E, E>;
    const outcome = await handler(effect, context);
    const index = effect.decision;
    if (outcome && index !== undefined) {
      if ('replanned' in outcome) {
        decisions[index] = outcome.replanned.decision;
        const opened = effect.opens === undefined ? open : [...open, effect.opens];
        replaceRemaining(effects, at, index, outcome.replanned.effects, opened);
      } else {
        decisions[index] = {
          ...(decisions[index] as D),
          ...('learned' in outcome ? outcome.learned : outcome),
        };
        if (!('learned' in outcome)) amended.add(index);
      }
    }
    if (effect.opens !== undefined && !(outcome && isAmendment(outcome))) open.push(effect.opens);
  };
  let next = 0;
  try {
    for (; next < effects.length; next++) {
      const effect = effects[next] as E;
      if (effect.closes !== undefined) {
        if (!open.includes(effect.closes)) continue;
        open.splice(open.lastIndexOf(effect.closes), 1);
      } else if (effect.decision !== undefined && amended.has(effect.decision)) continue;
      await carryOut(effect, next);
    }
  } catch (error) {
    const failed = next;
    try {
      const closers = effects.slice(failed + 1).filter((e) => e.closes !== undefined);
      for (const scope of [...open].reverse()) {
        const closer = closers.find((e) => e.closes === scope);
        if (closer) await carryOut(closer, effects.indexOf(closer));
      }
    } finally {
      await options.report?.(carriedOut(effects, decisions, amended, failed));
    }
    throw error;
  }
  await options.report?.(decisions);
  return decisions;
}

function isAmendment<D extends Decided, E extends Effect>(
  outcome: Amendment<D> | Learned<D> | Replanned<D, E>,
): outcome is Amendment<D> {
  return !('learned' in outcome) && !('replanned' in outcome);
}

/**
 * Replaces the effects of decision `index` after position `at` with `replacement` (made effects of
 * that decision, carried out next), keeping the ones that close a scope open now, and every other
 * decision's, in their order after them.
 */
function replaceRemaining<E extends Effect>(
  effects: E[],
  at: number,
  index: number,
  replacement: readonly E[],
  open: readonly string[],
): void {
  const rest = effects.slice(at + 1);
  const kept = rest.filter(
    (e) => e.decision !== index || (e.closes !== undefined && open.includes(e.closes)),
  );
  effects.splice(at + 1, rest.length, ...replacement.map((e) => ({ ...e, decision: index })), ...kept);
}

/**
 * The decisions finished when effect `failed` threw, from the first up to the first one with an effect
 * left (an amended decision has none left).
 */
function carriedOut<D extends Decided, E extends Effect>(
  effects: readonly E[],
  decisions: D[],
  amended: ReadonlySet<number>,
  failed: number,
): D[] {
  const unfinished = new Set(
    effects
      .slice(failed)
      .flatMap((e) => (e.decision === undefined || amended.has(e.decision) ? [] : [e.decision])),
  );
  const done: D[] = [];
  for (const [index, decision] of decisions.entries()) {
    if (unfinished.has(index)) break;
    done.push(decision);
  }
  return done;
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
