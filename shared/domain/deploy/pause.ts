/**
 * Pauses of deploy on push (issue 15, `autopilot pause`): which pause holds a service, and what it
 * makes of a decision. A paused service is planned as usual, then its deploy (or deferral) waits for
 * the pause's end: a deferral due then, which `autopilot resume` makes due at once. A notify-only
 * pause changes nothing, ever: the decision is carried out as a dry run, so people are told what would
 * have been deployed (Watchtower's monitor-only). Pure.
 */
import type { Pause } from '../../ports';
import type { DeploymentDecision } from './plan-deployment';

/** The scope of a freeze of every service. */
export const PAUSE_ALL = 'all';

/** The longest pause: a held push is a pending push, which the table keeps 30 days. */
export const MAX_PAUSE_DAYS = 30;

/**
 * The scope of a pause of a cluster or of one service (by name), or of every service.
 *
 * @example pauseScope('prod', 'api') // 'service:prod/api'
 * @example pauseScope('prod') // 'cluster:prod'
 */
export function pauseScope(cluster?: string, service?: string): string {
  if (cluster === undefined) return PAUSE_ALL;
  return service === undefined ? `cluster:${cluster}` : `service:${cluster}/${service}`;
}

/** `prod/api`, `cluster prod`, `every service`: a scope for people. */
export function describeScope(scope: string): string {
  if (scope === PAUSE_ALL) return 'every service';
  if (scope.startsWith('cluster:')) return `cluster ${scope.slice('cluster:'.length)}`;
  return scope.slice('service:'.length);
}

/**
 * The pause that holds a service: its own, else its cluster's, else a freeze of every service (the
 * most specific one says why and until when; a service resumed alone under a cluster pause stays
 * paused by the cluster's).
 */
export function pauseOf(
  pauses: readonly Pause[],
  service: { clusterName: string; name: string },
): Pause | undefined {
  for (const scope of [
    pauseScope(service.clusterName, service.name),
    pauseScope(service.clusterName),
    PAUSE_ALL,
  ]) {
    const found = pauses.find((p) => p.scope === scope);
    if (found) return found;
  }
  return undefined;
}

/** Why a pause holds a service, in words. */
export function pausedBecause(pause: Pause): string {
  const what = pause.notifyOnly ? 'notify-only' : 'paused';
  return `${what} until ${pause.until} by ${pause.by}${pause.reason ? ` (${pause.reason})` : ''}`;
}

/**
 * What a pause makes of a decision: a deploy or a deferral waits for the pause's end (a deferral due
 * then, or later when it was due later), or, notify-only, is carried out as a dry run; anything else
 * is as it was.
 *
 * @example
 * heldBy(deploy, { until: '2026-12-05T09:00:00.000Z', by: 'alice', notifyOnly: false, … })
 * // { action: 'defer', dueAt: '2026-12-05T09:00:00.000Z', reason: 'paused until … by alice: follows tag main', … }
 */
export function heldBy(decision: DeploymentDecision, pause: Pause | undefined): DeploymentDecision {
  if (!pause || (decision.action !== 'deploy' && decision.action !== 'defer')) return decision;
  const reason = `${pausedBecause(pause)}: ${decision.reason}`;
  if (pause.notifyOnly) return { ...decision, dryRun: true, reason };
  const {
    toTaskDefinition: _to,
    announcedAs: _as,
    ...rest
  } = decision as Extract<DeploymentDecision, { action: 'deploy' }>;
  const dueAt = decision.action === 'defer' && decision.dueAt > pause.until ? decision.dueAt : pause.until;
  return { ...rest, action: 'defer', dueAt, reason };
}
