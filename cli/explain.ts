/**
 * `autopilot explain`'s answer for people: the decision a push would meet at a service and every
 * reason for it, a line each (the command itself is `explainCommand` in cli/autopilot.ts; `--json`
 * prints the {@link PushExplanation} as it is).
 */
import type { PushExplanation } from '../shared/domain/deploy/explain-push';

/** The width of the labels, as `autopilot status` prints one service. */
const LABEL = 13;

/**
 * The explanation as lines: the decision and its reason first, then the image, whether the index
 * lists the service, the policy and mode with where they come from, what would change and the
 * effects that would be carried out, in order.
 *
 * @example
 * formatExplanation(explained)
 * // ['prod/api <- team/api:main', 'decision     deploy: follows tag main', 'image        …', …]
 */
export function formatExplanation(e: PushExplanation): string[] {
  const lines: string[] = [];
  const line = (label: string, text: string) => lines.push(`${label.padEnd(LABEL)}${text}`);
  const more = (text: string) => lines.push(`${' '.repeat(LABEL)}${text}`);
  const { image } = e;
  lines.push(`${e.service} <- ${image.tag ? `${image.repository}:${image.tag}` : image.given}`);
  line('decision', decided(e));
  if (e.ifReached) line('if reached', decided(e.ifReached));
  if (image.digest) {
    const where = image.registryId ? ` in ${image.registryId}/${image.region}` : '';
    const tags = image.tags.length > 0 ? `tags ${image.tags.join(', ')}` : 'no tags';
    const pushed = image.pushedAt ? `; pushed ${image.pushedAt}` : '';
    line('image', `${image.repository}@${image.digest}${where} (${tags}${pushed})`);
  }
  if (e.indexed !== undefined) {
    line(
      'index',
      e.indexed
        ? `lists ${e.service} under ${image.repository}: a push reaches it`
        : `does not list ${e.service} under ${image.repository}`,
    );
  }
  if (e.policy) line('policy', `${e.policy.name} (${e.policy.from})`);
  if (e.mode) line('mode', `${e.mode.value} (${e.mode.from})`);
  if (e.fromTaskDefinition) line('from', e.fromTaskDefinition.split('/').pop() ?? e.fromTaskDefinition);
  for (const change of e.changes) line('change', `${change.container}: ${change.from} -> ${change.to}`);
  e.effects.forEach((effect, i) => {
    if (i === 0) line('effects', effect.does);
    else more(effect.does);
  });
  for (const note of e.notes) line('note', note);
  for (const other of e.otherTags ?? []) line('other tag', `${other.tag}: ${decided(other)}`);
  return lines;
}

/** `deploy: <reason>`, `defer until <time>: <reason>`. */
function decided(d: { action: string; reason: string; dueAt?: string }): string {
  return `${d.action}${d.dueAt ? ` until ${d.dueAt}` : ''}: ${d.reason}`;
}
