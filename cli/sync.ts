/**
 * `autopilot sync`'s answer for people: per repository of the service, the image chosen and why,
 * then what deploying it did (or, with `--dry-run`, `autopilot explain`'s answer for it). The command
 * itself is `syncCommand` in cli/autopilot.ts; `--json` prints the {@link SyncResult} as it is.
 */
import type { RepositorySync, SyncResult } from '../shared/domain/deploy/sync-service';
import { formatExplanation } from './explain';

/** The width of the labels, as `autopilot explain` and `status` print them. */
const LABEL = 13;

/**
 * The result as lines: for each repository a header, the image chosen with why, and the decision
 * with its reason and what it changed; a dry run shows the plan instead.
 *
 * @example
 * formatSync(result)
 * // ['prod/payments <- team/payments:1.6.0', 'chosen       team/payments:1.6.0 (sha256:…): the highest of 2 tags semver:minor accepts', …]
 */
export function formatSync(result: SyncResult): string[] {
  if (result.repositories.length === 0) return [`${result.service}: ${result.outcome}: ${result.reason}`];
  return result.repositories.flatMap((r) => repositoryLines(result.service, r));
}

function repositoryLines(service: string, r: RepositorySync): string[] {
  const lines: string[] = [];
  const line = (label: string, text: string) => lines.push(`${label.padEnd(LABEL)}${text}`);
  lines.push(`${service} <- ${r.chosen ? `${r.repository}:${r.chosen.tag}` : r.repository}`);
  if (r.chosen) {
    const pushed = r.chosen.pushedAt ? `, pushed ${r.chosen.pushedAt}` : '';
    line('chosen', `${r.repository}:${r.chosen.tag} (${r.chosen.digest}${pushed}): ${r.chosen.why}`);
  }
  if (r.imagesRead !== undefined)
    line('read', `${r.imagesRead} tagged image${r.imagesRead === 1 ? '' : 's'}`);
  if (r.plan) {
    // The plan as `autopilot explain` prints it, without its header (the one above says the same).
    lines.push(...formatExplanation(r.plan).slice(1));
    return lines;
  }
  line(
    'outcome',
    `${r.outcome}${r.dueAt ? ` until ${r.dueAt}` : ''}${r.dryRun ? ' (dry run: nothing changed)' : ''}`,
  );
  line('reason', r.reason);
  const d = r.decision;
  if (d?.fromTaskDefinition && (d.action === 'deploy' || d.action === 'defer')) {
    const to = d.toTaskDefinition ? revisionOf(d.toTaskDefinition) : '(a new revision)';
    line('revision', `${revisionOf(d.fromTaskDefinition)} -> ${to}`);
    line('change', `${(d.containers ?? []).join(', ')} -> ${d.image}`);
  }
  if (r.eventId) line('event', r.eventId);
  return lines;
}

/** `api:7` of a task definition ARN. */
function revisionOf(arn: string): string {
  return arn.split('/').pop() ?? arn;
}

/** The one line said on stderr: what sync did to the service. */
export function summarizeSync(result: SyncResult): string {
  const images = result.repositories
    .filter((r) => r.chosen && (r.outcome === 'deployed' || r.outcome === 'deferred'))
    .map((r) => `${r.repository}:${r.chosen?.tag}`)
    .join(', ');
  const would = result.dryRun ? 'would be ' : '';
  switch (result.outcome) {
    case 'deployed':
      return `${result.service}: ${images} ${would}deployed`;
    case 'deferred':
      return `${result.service}: ${images} ${would}deferred (a pending push, deployed when due)`;
    case 'unchanged':
      return `${result.service}: nothing to do: ${result.reason}`;
    case 'refused':
      return `${result.service}: not synced: ${result.reason}`;
    case 'failed':
      return `${result.service}: failed: ${result.reason}`;
  }
}
