/**
 * The tag policy applier: one port call (or two) per {@link TagEffect}. Where the world answers
 * otherwise than planned the decision is amended, as restart-effects.ts does, and its later effects
 * are skipped:
 * - a conditional write that loses (another run recorded the mark, scaled the service to zero or
 *   restored it first), or a task already stopped, a service gone: `ignore`, nothing to tell twice;
 * - a tag write AWS refuses for good (an old-format ARN, a limit reached since the read): `refused`,
 *   with AWS's words; it is reported, never retried. A mark that cannot go on the resource is
 *   recorded in the table instead, so the violation keeps its due date.
 *
 * Scaling to zero remembers the desired count before UpdateService, so a run stopped between the two
 * leaves a count to restore, never a service at zero with its count lost; a failed UpdateService
 * forgets it again before the error goes on (the service was not scaled).
 */
import type { EnforceResult, TagEnforcer, TagMarkStore, TagWriteResult, TagWriter } from '../../ports';
import type { Amendment, EffectHandlers } from '../plan/plan';
import type { ChangingAction, TagDecision, TagEffect } from './tag-plan';
import { VIOLATION_TAG } from './tag-rules';

/** What applying a tag plan writes and calls. */
export interface TagWrites {
  /** ECS's and ECR's tag writers; each effect goes to the one that `writes` its ARN */
  writers: readonly TagWriter[];
  enforcer: TagEnforcer;
  marks: Pick<TagMarkStore, 'markRecord' | 'clearMarkRecord' | 'recordScaledToZero' | 'clearScaledToZero'>;
  now: () => Date;
}

/** The decision an effect serves, as it stands. */
function decisionOf(decisions: readonly TagDecision[], index: number): TagDecision {
  const decision = decisions[index];
  if (!decision) throw new Error(`a tag effect names decision ${index}, which the plan does not have`);
  return decision;
}

/** What a decision that changes something would have been, for an amendment. */
const wouldBe = (decision: TagDecision): ChangingAction =>
  decision.action === 'held' || decision.action === 'ignore' || decision.action === 'refused'
    ? decision.wouldBe
    : decision.action === 'over-cap' ||
        decision.action === 'compliant' ||
        decision.action === 'exempt' ||
        decision.action === 'notify'
      ? 'violation'
      : decision.action;

const ignore = (decision: TagDecision, why: string): Amendment<TagDecision> => ({
  action: 'ignore',
  wouldBe: wouldBe(decision),
  reason: `${why}; would have: ${decision.reason}`,
});

const refused = (decision: TagDecision, refusedBy: string): Amendment<TagDecision> => ({
  action: 'refused',
  wouldBe: wouldBe(decision),
  refusedBy,
  reason: `AWS refused: ${refusedBy}; would have: ${decision.reason}`,
});

/** The writer of an ARN's tags. */
function writerOf(writers: readonly TagWriter[], arn: string): TagWriter {
  const writer = writers.find((w) => w.writes(arn));
  if (!writer) throw new Error(`no tag writer writes ${arn}`);
  return writer;
}

const isDone = (result: TagWriteResult | EnforceResult): result is 'done' => result === 'done';

/** The handlers of every tag effect. */
export function tagEffects(deps: TagWrites): EffectHandlers<TagDecision, TagEffect> {
  return {
    'tag-resource': async (effect, { decisions }) => {
      const result = await writerOf(deps.writers, effect.arn).tagResource(effect.arn, effect.tags);
      if (isDone(result)) return undefined;
      return refused(decisionOf(decisions, effect.decision), result.refused);
    },
    mark: async (effect, { decisions }) => {
      const result = await writerOf(deps.writers, effect.arn).tagResource(effect.arn, {
        [VIOLATION_TAG]: effect.value,
      });
      if (isDone(result)) return undefined;
      // Refused (a limit reached since the read, an ARN ECS will not tag): the record keeps the
      // due date instead, so the grace is not restarted on every run.
      if (await deps.marks.markRecord(effect.arn, effect.rule, effect.due)) return undefined;
      return ignore(decisionOf(decisions, effect.decision), 'another run marked it first');
    },
    'mark-record': async (effect, { decisions }) => {
      if (await deps.marks.markRecord(effect.arn, effect.rule, effect.due)) return undefined;
      return ignore(decisionOf(decisions, effect.decision), 'another run marked it first');
    },
    'clear-mark': async (effect, { decisions }) => {
      const decision = decisionOf(decisions, effect.decision);
      if (effect.where === 'record') {
        const due = decision.action === 'clear-mark' ? decision.due : '';
        if (await deps.marks.clearMarkRecord(effect.arn, effect.rule, due)) return undefined;
        return ignore(decision, 'another run cleared or renewed the mark first');
      }
      const writer = writerOf(deps.writers, effect.arn);
      const result =
        effect.value === undefined
          ? await writer.untagResource(effect.arn, [VIOLATION_TAG])
          : await writer.tagResource(effect.arn, { [VIOLATION_TAG]: effect.value });
      return isDone(result) ? undefined : refused(decision, result.refused);
    },
    'stop-task': async (effect, { decisions }) => {
      const result = await deps.enforcer.stopTask(effect.cluster, effect.arn, effect.reason);
      return isDone(result) ? undefined : ignore(decisionOf(decisions, effect.decision), result.gone);
    },
    'scale-to-zero': async (effect, { decisions }) => {
      const decision = decisionOf(decisions, effect.decision);
      const remembered = await deps.marks.recordScaledToZero(effect.arn, {
        rule: effect.rule,
        desiredCount: effect.desiredCount,
        at: deps.now().toISOString(),
      });
      if (!remembered) return ignore(decision, 'another run scaled it to zero first');
      let result: EnforceResult;
      try {
        result = await deps.enforcer.setDesiredCount(effect.cluster, effect.arn, 0);
      } catch (error) {
        // Not scaled: a count remembered for a service still running would read as scaled already.
        await deps.marks.clearScaledToZero(effect.arn, effect.rule);
        throw error;
      }
      if (isDone(result)) return undefined;
      await deps.marks.clearScaledToZero(effect.arn, effect.rule);
      return ignore(decision, result.gone);
    },
    restore: async (effect, { decisions }) => {
      const decision = decisionOf(decisions, effect.decision);
      const rule = decision.action === 'over-cap' ? '' : decision.rule;
      // The count first, then forgetting it: a run stopped between the two restores again (the
      // same count), never leaves the service at zero with nothing remembered.
      const result = await deps.enforcer.setDesiredCount(effect.cluster, effect.arn, effect.desiredCount);
      const forgotten = await deps.marks.clearScaledToZero(effect.arn, rule);
      if (!isDone(result)) return ignore(decision, result.gone);
      return forgotten ? undefined : ignore(decision, 'another run restored it first');
    },
  };
}
