/**
 * Routing of events to functions exactly as deployed: the EventBridge patterns and schedule rules of
 * serverless.yml, matched with EventBridge semantics. `autopilot dispatch` and the sandbox's local
 * bus route with it.
 */
import { readServerlessYml } from '../serverless-config';
import { type CompiledPattern, compilePattern, type EventPattern } from './pattern';

/** A function and the rules that invoke it, as written. */
export interface RouteDefinition {
  functionName: string;
  patterns: EventPattern[];
  /** schedule rule names, with `${sls:stage}` kept as a wildcard */
  schedules: RegExp[];
}

/** A function and the rules that invoke it, its patterns compiled (once, not per event). */
export interface Route extends RouteDefinition {
  /** `patterns`, compiled */
  matchers: CompiledPattern[];
}

/**
 * Compiles the patterns of a route, so routing an event only runs the matchers.
 *
 * @throws PatternError for a pattern EventBridge would reject
 * @example
 * compileRoute({ functionName: 'notify', patterns: [{ source: ['autopilot'] }], schedules: [] });
 */
export function compileRoute(definition: RouteDefinition): Route {
  return { ...definition, matchers: definition.patterns.map(compilePattern) };
}

/**
 * Reads the routes from serverless.yml (CloudFormation intrinsics such as !Ref are ignored) and
 * compiles their patterns.
 *
 * @throws PatternError for a pattern EventBridge would reject
 */
export function loadRoutes(root: string): Route[] {
  const sls = readServerlessYml(root);
  return Object.entries(sls.functions ?? {}).map(([functionName, fn]) =>
    compileRoute({
      functionName,
      patterns: (fn.events ?? []).flatMap((e) => (e.eventBridge?.pattern ? [e.eventBridge.pattern] : [])),
      schedules: (fn.events ?? []).flatMap((e) => {
        const name =
          typeof e.schedule === 'object' && e.schedule !== null
            ? (e.schedule as { name?: unknown }).name
            : undefined;
        if (typeof name !== 'string' || !name) return [];
        const escaped = name
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\\\$\\\{sls:stage\\\}/g, '[^/]+');
        return [new RegExp(`rule/${escaped}$`)];
      }),
    }),
  );
}

/** The functions an event is delivered to. */
export function route(routes: readonly Route[], event: { source?: unknown; resources?: unknown }): string[] {
  return routes
    .filter((r) => {
      if (r.matchers.some((matches) => matches(event))) return true;
      if (event.source !== 'aws.events' || !Array.isArray(event.resources)) return false;
      return event.resources.some((arn) => typeof arn === 'string' && r.schedules.some((s) => s.test(arn)));
    })
    .map((r) => r.functionName);
}
