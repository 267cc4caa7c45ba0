/**
 * Routing of events to functions exactly as deployed: the EventBridge patterns and schedule rules of
 * serverless.yml, matched with EventBridge semantics.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compilePattern, type EventPattern } from '../tools/eventbridge/pattern';
import { CLOUDFORMATION_TAGS } from './cloudformation-tags';

/** A function and the rules that invoke it. */
export interface Route {
  functionName: string;
  patterns: EventPattern[];
  /** schedule rule names, with `${sls:stage}` kept as a wildcard */
  schedules: RegExp[];
}

interface SlsEvent {
  eventBridge?: { pattern?: EventPattern };
  schedule?: { name?: string } | string;
}

/** Reads the routes from serverless.yml (CloudFormation intrinsics such as !Ref are ignored). */
export function loadRoutes(root: string): Route[] {
  const text = readFileSync(join(root, 'serverless.yml'), 'utf8');
  const sls = parse(text, { customTags: CLOUDFORMATION_TAGS }) as {
    functions?: Record<string, { events?: SlsEvent[] }>;
  };
  return Object.entries(sls.functions ?? {}).map(([functionName, fn]) => ({
    functionName,
    patterns: (fn.events ?? []).flatMap((e) => (e.eventBridge?.pattern ? [e.eventBridge.pattern] : [])),
    schedules: (fn.events ?? []).flatMap((e) => {
      const name = typeof e.schedule === 'object' ? e.schedule.name : undefined;
      if (!name) return [];
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
