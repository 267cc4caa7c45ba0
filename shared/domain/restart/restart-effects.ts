/**
 * The restart applier: one port call per effect. A conditional write that loses (another invocation
 * decided on the chain first) amends the decision to `ignore`, and its later effects are skipped;
 * RunTask's answer replaces the decision with what it calls for (`afterRunTask`).
 */
import type { EventPublisher, RestartChains, RestartScheduler, TaskStarter } from '../../ports';
import type { EffectHandlers } from '../plan/plan';
import { afterRunTask, type RestartDecision, type RestartEffect } from './restart-plan';

/** What applying a restart plan writes and calls. */
export interface RestartWrites {
  chains: Pick<RestartChains, 'saveChain' | 'saveSpec'>;
  scheduler: RestartScheduler;
  /** restart-due's only: restart-tasks never starts a task */
  starter?: TaskStarter;
  events: EventPublisher;
  now: () => Date;
}

/** The handlers of every restart effect. */
export function restartEffects(deps: RestartWrites): EffectHandlers<RestartDecision, RestartEffect> {
  return {
    'save-spec': async (effect) => {
      await deps.chains.saveSpec(effect.clusterArn, effect.taskArn, effect.spec, effect.source);
    },
    'save-chain': async (effect, { decisions }) => {
      if (await deps.chains.saveChain(effect.chain)) return undefined;
      const decision = decisions[effect.decision];
      return {
        action: 'ignore',
        reason: `another invocation decided on chain ${effect.chain.chainId} first`,
        taskArn: effect.chain.currentTaskArn,
        ...(decision && 'class' in decision && decision.class ? { class: decision.class } : {}),
      };
    },
    'schedule-restart': async (effect) => {
      await deps.scheduler.schedule(effect.message, effect.delaySeconds);
    },
    'run-task': async (effect, { decisions }) => {
      if (!deps.starter) throw new Error('run-task needs a TaskStarter (restart-due only)');
      const decision = decisions[effect.decision];
      if (decision?.action !== 'restart') return undefined;
      const result = await deps.starter.runTask(effect.chain.spec, {
        clientToken: effect.clientToken,
        tags: effect.tags,
      });
      return { replanned: afterRunTask(effect.chain, result, decision, deps.now()) };
    },
  };
}
