/**
 * Routing of events to functions exactly as deployed: the EventBridge patterns and schedule rules of
 * serverless.yml, matched with EventBridge semantics. `autopilot dispatch` and the sandbox's local
 * bus route with it.
 */
import { readServerlessYml } from '../serverless-config';
import { compilePattern, type EventPattern } from './pattern';

/** A function and the rules that invoke it. */
export interface Route {
  functionName: string;
  patterns: EventPattern[];
  /** schedule rule names, with `${sls:stage}` kept as a wildcard */
  schedules: RegExp[];
}

/** Reads the routes from serverless.yml (CloudFormation intrinsics such as !Ref are ignored). */
export function loadRoutes(root: string): Route[] {
  const sls = readServerlessYml(root);
  return Object.entries(sls.functions ?? {}).map(([functionName, fn]) => ({
    functionName,
    patterns: (fn.events ?? []).flatMap((e) => (e.eventBridge?.pattern ? [e.eventBridge.pattern] : [])),
    schedules: (fn.events ?? []).flatMap((e) => {
      const name =
        typeof e.schedule === 'object' && e.schedule !== null
          ? (e.schedule as { name?: unknown }).name
          : undefined;
      if (typeof name !== 'string' || !name) return [];
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\$\\\{sls:stage\\\}/g, '[^/]+');
      return [new RegExp(`rule/${escaped}$`)];
    }),
  }));
}

/** The functions an event is delivered to. */
export function route(routes: readonly Route[], event: { source?: unknown; resources?: unknown }): string[] {
  return routes
    .filter((r) => {
      if (r.patterns.some((p) => compilePattern(p)(event))) return true;
      if (event.source !== 'aws.events' || !Array.isArray(event.resources)) return false;
      return event.resources.some((arn) => typeof arn === 'string' && r.schedules.some((s) => s.test(arn)));
    })
    .map((r) => r.functionName);
}
