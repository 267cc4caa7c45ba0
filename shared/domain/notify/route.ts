/**
 * Routing: which channels a notification goes to. Every route whose filters all match adds its
 * channels (in route order, without repeats); when none matches, the default channels get it.
 */
import picomatch from 'picomatch';
import type { Notifications, Route } from '../../config/notifications';
import type { NotificationMessage } from './message';

const matchesAny = (value: string | undefined, globs: readonly string[] | undefined) =>
  globs === undefined ||
  (value !== undefined && globs.some((g) => g === value || picomatch.isMatch(value, g)));

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
 * @param tags - the service's tags, when a route filters on tags
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
 * The channels a message goes to.
 *
 * @example
 * routeMessage(message, { routes: [{ clusters: ['prod'], channels: ['ops'] }], default: ['all'], ... })
 * // ['ops'] for a prod event, ['all'] otherwise
 */
export function routeMessage(
  message: NotificationMessage,
  notifications: Pick<Notifications, 'routes' | 'default'>,
  tags?: Readonly<Record<string, string>>,
): string[] {
  const channels = new Set<string>();
  for (const route of notifications.routes) {
    if (routeMatches(route, message, tags)) for (const channel of route.channels) channels.add(channel);
  }
  return channels.size > 0 ? [...channels] : [...notifications.default];
}

/** Whether any route filters on service tags (so the notifier must look them up). */
export function routesNeedTags(notifications: Pick<Notifications, 'routes'>): boolean {
  return notifications.routes.some((r) => r.tags !== undefined);
}
