/**
 * Indexing, applied: the handler of each {@link IndexEffect}, one port call each. The problems'
 * conditional writes decide what is announced: a problem another event announced already is known
 * (not announced again), one forgotten meanwhile is news, and a resolution another run claimed first
 * is not announced twice.
 */
import type { ConfigurationProblems, RollbackHistory, ServiceIndex } from '../../ports';
import type { EffectHandlers } from '../plan/plan';
import { type IndexEffect, type IndexStep, NOT_ANNOUNCED } from './plan-index';

/** What the applier writes through. */
export interface IndexWrites {
  index: Pick<ServiceIndex, 'indexRepositories' | 'unindexRepositories' | 'indexAlarms'>;
  problems: Pick<ConfigurationProblems, 'rememberProblem' | 'resolveProblem' | 'forgetProblem'>;
  rollbacks: Pick<RollbackHistory, 'setFirstKnownGood'>;
}

/**
 * The indexing effects carried out through the ports.
 *
 * @example applyPlan(await planIndexing(input, deps), indexEffects(deps), { dryRun, report })
 */
export function indexEffects(deps: IndexWrites): EffectHandlers<IndexStep, IndexEffect> {
  return {
    'remember-problem': async ({ problem, decision }, { decisions }) => {
      const news = await deps.problems.rememberProblem(problem);
      const planned = decisions[decision]?.action;
      if (news && planned !== 'announced') return { action: 'announced', reason: NOT_ANNOUNCED };
      if (!news && planned !== 'known')
        return { action: 'known', reason: 'announced before by another event' };
    },
    // A claim, not yet the forgetting: the problem is forgotten once its resolution is announced.
    'resolve-problem': async ({ serviceArn, tagKey, triggeredBy }) => {
      if (await deps.problems.resolveProblem(serviceArn, tagKey, triggeredBy)) return;
      return { action: 'resolved-elsewhere', reason: 'another run resolved it first' };
    },
    'forget-problem': async ({ serviceArn, tagKey }) => {
      await deps.problems.forgetProblem(serviceArn, tagKey);
    },
    'index-alarms': async ({ service, alarmNames }) => {
      await deps.index.indexAlarms(service, alarmNames);
    },
    'set-last-known-good': async ({ serviceArn, good }) => {
      // Only where none is: a bake may have made it known good, with its digests, since the read.
      await deps.rollbacks.setFirstKnownGood(serviceArn, good);
    },
    'index-repositories': async ({ service, repositoryKeys }) => {
      await deps.index.indexRepositories(service, repositoryKeys);
    },
    'unindex-repositories': async ({ serviceArn }) => {
      await deps.index.unindexRepositories(serviceArn);
    },
  };
}
