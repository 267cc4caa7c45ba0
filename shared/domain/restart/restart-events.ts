/**
 * The restart capability's events, from its decisions as carried out: `Task Restarted` when a task
 * was started again (restart-due; in a dry run, the restart restart-tasks would have queued), `Task
 * Restart Abandoned` when a chain is given up.
 */
import { type AutopilotEvent, TASK_RESTART_ABANDONED, TASK_RESTARTED } from '../../events/autopilot-events';
import type { RestartDecision } from './restart-plan';

/** The events of decisions as carried out. */
export function restartEvents(decisions: readonly RestartDecision[]): AutopilotEvent[] {
  return decisions.flatMap((d): AutopilotEvent[] => {
    const dryRun = d.dryRun === true;
    const chain = (x: Exclude<RestartDecision, { action: 'ignore' | 'capture' }>) => ({
      cluster: x.cluster,
      clusterArn: x.clusterArn,
      ...(x.group ? { group: x.group } : {}),
      taskDefinition: x.taskDefinition,
      chainId: x.chainId,
      attempt: x.attempt,
      maxAttempts: x.maxAttempts,
      class: x.class,
    });
    switch (d.action) {
      case 'started':
        return [
          {
            detailType: TASK_RESTARTED,
            detail: {
              ...chain(d),
              previousTaskArn: d.previousTaskArn,
              taskArn: d.taskArn,
              stopReason: d.stopReason,
              delaySeconds: d.delaySeconds,
              reason: d.reason,
              dryRun,
              triggeredBy: d.triggeredBy,
            },
          },
        ];
      // A restart is announced when it starts a task; in a dry run nothing is queued, so the
      // restart that would have been is announced when decided.
      case 'restart':
        return dryRun
          ? [
              {
                detailType: TASK_RESTARTED,
                detail: {
                  ...chain(d),
                  previousTaskArn: d.previousTaskArn,
                  stopReason: d.stopReason,
                  delaySeconds: d.delaySeconds,
                  reason: d.reason,
                  dryRun,
                  triggeredBy: d.triggeredBy,
                },
              },
            ]
          : [];
      case 'abandon':
        return [
          {
            detailType: TASK_RESTART_ABANDONED,
            detail: {
              ...chain(d),
              lastTaskArn: d.lastTaskArn,
              reason: d.reason,
              lastReasons: d.lastReasons.slice(0, 10),
              dryRun,
              triggeredBy: d.triggeredBy,
            },
          },
        ];
      default:
        return [];
    }
  });
}
