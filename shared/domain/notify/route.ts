/**
 * Routing: which channels a notification goes to.
 *
 * 1. The routes are checked in order. A route matches when every filter it gives matches (a route
 *    without filters matches every event); each matching route adds its channels.
 * 2. A matching route with `stop: true` ends the check: the routes after it are not looked at (first
 *    match wins from there, like an Alertmanager route without `continue: true`). Routes continue
 *    by default, which is how every route behaved before `stop` existed.
 * 3. The `default` channels get the notification only when no route matched.
 * 4. The `always` channels get every notification, besides the above. They are not a route: they
 *    never count as a match, so the default channels still get what no route picks.
 *
 * Each channel is told once, in the order it was first picked (routes, default, always).
 */
import type { Notifications, Route } from '../../config/notifications';
import { globMatch } from '../policy/glob';
import type { NotificationMessage } from './message';

/**
 * Whether a value (an event type, a cluster, a service) is the one a route filter names or matches
 * its glob (`policy/glob.ts`: picomatch's syntax, matched in linear time). Case-sensitive. The policy
 * file's validation uses it too, so a glob it accepts is one that routing matches.
 *
 * @example globMatches('Deployment Started', 'Deployment *') // true
 */
export const globMatches = (value: string, glob: string): boolean => glob === value || globMatch(glob, value);

const matchesAny = (value: string | undefined, globs: readonly string[] | undefined) =>
  globs === undefined || (value !== undefined && globs.some((g) => globMatches(value, g)));

function tagsMatch(wanted: Route['tags'], tags: Readonly<Record<string, string>> | undefined): boolean {
  if (!wanted) return true;
  return Object.entries(wanted).every(([key, allowed]) => {
    const value = tags?.[key];
    return value !== undefined && (Array.isArray(allowed) ? allowed.includes(value) : allowed === value);
  });
}

/**
 * Whether a route matches a message.
 *
 * @param tags - the resource's tags (a service's, or those its event carries), when a route filters on tags
 */
export function routeMatches(
  route: Route,
  message: NotificationMessage,
  tags?: Readonly<Record<string, string>>,
): boolean {
  const qualified = message.cluster && message.service ? `${message.cluster}/${message.service}` : undefined;
  return (
    matchesAny(message.eventType, route.events) &&
    (route.severity === undefined || route.severity.includes(message.severity)) &&
    matchesAny(message.cluster, route.clusters) &&
    (route.services === undefined ||
      matchesAny(message.service, route.services) ||
      matchesAny(qualified, route.services)) &&
    tagsMatch(route.tags, tags)
  );
}

/**
 * The channels a message goes to: those of the matching routes up to the first matching one with
 * `stop`, or the default channels when no route matched; then the always channels (see the module
 * comment for the rules).
 *
 * @param notifications - the routes, default and always channels (`always` may be left out)
 * @param tags - the resource's tags (a service's, or those its event carries), when a route filters on tags
 * @returns the channels without repeats; empty when no route matched, there is no default and no
 *   always channel
 * @example
 * routeMessage(message, { routes: [{ clusters: ['prod'], channels: ['ops'] }], default: ['all'], always: ['audit'] })
 * // ['ops', 'audit'] for a prod event, ['all', 'audit'] otherwise
 */
export function routeMessage(
  message: NotificationMessage,
  notifications: Pick<Notifications, 'routes' | 'default'> & Partial<Pick<Notifications, 'always'>>,
  tags?: Readonly<Record<string, string>>,
): string[] {
  const channels = new Set<string>();
  let matched = false;
  for (const route of notifications.routes) {
    if (!routeMatches(route, message, tags)) continue;
    matched = true;
    for (const channel of route.channels) channels.add(channel);
    if (route.stop) break;
  }
  if (!matched) for (const channel of notifications.default) channels.add(channel);
  for (const channel of notifications.always ?? []) channels.add(channel);
  return [...channels];
}

/** Whether any route filters on service tags (so the notifier must look them up). */
export function routesNeedTags(notifications: Pick<Notifications, 'routes'>): boolean {
  return notifications.routes.some((r) => r.tags !== undefined);
}

/** The most tags {@link carriedTags} reads: AWS's own limit per resource, as the events bound them. */
const MAX_CARRIED_TAGS = 50;

/**
 * The resource's own tags when its event carries them (the tag policy events' `tags`), so a tag route
 * reaches the owner of any resource, a repository or a task definition as well as a service, with
 * the tags as autopilot left them (an owner it just added included). Undefined when the event
 * carries none: the notifier then looks a service's tags up.
 *
 * @example carriedTags({ resourceType: 'ecr:repository', tags: { team: 'search' } }) // { team: 'search' }
 * @example carriedTags({ cluster: 'prod', service: 'api' }) // undefined
 */
export function carriedTags(detail: unknown): Record<string, string> | undefined {
  if (typeof detail !== 'object' || detail === null || !('tags' in detail)) return undefined;
  const { tags } = detail;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return undefined;
  const entries = Object.entries(tags);
  // A detail that does not hold to its contract carries no tags to route on.
  if (entries.length > MAX_CARRIED_TAGS || entries.some(([, value]) => typeof value !== 'string')) {
    return undefined;
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
