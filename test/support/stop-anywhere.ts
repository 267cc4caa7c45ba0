/**
 * A function stopped between any two of its AWS calls, and retried. Every port of a use case's deps is
 * wrapped in a recording proxy (each port method is one AWS call), so a clean run gives the sequence
 * of calls; then, for every call k, the invocation is stopped before it (the call is not made) or
 * after it (the call is made and its answer lost) and run again, as Lambda retries it, on the same
 * world. The end state and what was announced are compared with the clean run's.
 *
 * A stopped invocation is dead: no call after the stop reaches the world, not even the `finally` of
 * the plan core (a lease given back, a report published), as when Lambda times out or the process
 * crashes. What the idempotency layer does meanwhile is the handler's: Powertools registers the Lambda
 * context, so the record of a dead invocation is in progress only until the invocation's deadline,
 * and the retry, which comes after it, runs the handler again.
 */
import type { Clock } from './in-memory';

/** What a stopped invocation throws: nothing after it reaches AWS. */
export class InvocationStopped extends Error {
  override name = 'InvocationStopped';
}

/** Where an invocation is stopped: before call `call` (it is not made) or after it (its answer is lost). */
export interface StopPoint {
  call: number;
  when: 'before' | 'after';
}

/** Records every port call of one invocation and stops the invocation at a {@link StopPoint}. */
export class CallLog {
  /** every call made, in the order made (`<port>.<method>`) */
  readonly calls: string[] = [];
  private stopped = false;

  constructor(private readonly stop?: StopPoint) {}

  /** Whether the invocation was stopped. */
  get dead(): boolean {
    return this.stopped;
  }

  /** A proxy of `port` whose every method call is recorded as one AWS call, and may be stopped. */
  wrap<T extends object>(name: string, port: T): T {
    return new Proxy(port, {
      get: (target, property) => {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function' || typeof property === 'symbol') return value;
        return (...args: unknown[]) =>
          this.call(`${name}.${property}`, () => (value as (...a: unknown[]) => unknown).apply(target, args));
      },
    });
  }

  private async call(label: string, make: () => unknown): Promise<unknown> {
    if (this.stopped) throw new InvocationStopped(`${label}: the invocation was stopped before it`);
    const index = this.calls.length;
    if (this.stop?.call === index && this.stop.when === 'before') {
      this.stopped = true;
      throw new InvocationStopped(`stopped before call ${index} (${label})`);
    }
    // Recorded when made, before its answer: calls made side by side keep the order they were made in.
    this.calls.push(label);
    const answer = await make();
    if (this.stop?.call === index && this.stop.when === 'after') {
      this.stopped = true;
      throw new InvocationStopped(`stopped after call ${index} (${label}): its answer is lost`);
    }
    return answer;
  }
}

/**
 * The deps of a use case with every port wrapped by `log`: each object-valued field but the policy
 * file (data, not a port); functions (the clock) are left as they are.
 */
export function recorded<D extends object>(deps: D, log: CallLog): D {
  const wrapped: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(deps)) {
    wrapped[key] =
      typeof value === 'object' && value !== null && key !== 'policyFile' ? log.wrap(key, value) : value;
  }
  return wrapped as D;
}

/**
 * A use case to stop anywhere: a world prepared for one representative event, the deps of an
 * invocation on it, the invocation (what the handler calls for that event), and what the world
 * announced (events published, chat messages sent).
 */
export interface StopScenario<W extends { clock: Clock }, D extends object> {
  world: () => W | Promise<W>;
  deps: (world: W) => D;
  invoke: (deps: D) => Promise<unknown>;
  /** the announcements so far, each in a form compared by equality (bookkeeping fields left out) */
  announced: (world: W) => unknown[];
  /** the end state, in a form compared by equality (bookkeeping fields named and left out) */
  state: (world: W) => unknown;
}

/**
 * When Lambda retries an asynchronous invocation that failed: a minute after it, then two minutes after
 * that (two retries, then the OnFailure destination keeps the event).
 */
export const RETRY_DELAYS_MS = [60_000, 120_000] as const;

/** The outcome of a clean run. */
export interface CleanRun {
  calls: string[];
  state: unknown;
  announced: unknown[];
}

/** Runs the scenario once, untouched. */
export async function runClean<W extends { clock: Clock }, D extends object>(
  scenario: StopScenario<W, D>,
): Promise<CleanRun> {
  const world = await scenario.world();
  const log = new CallLog();
  await scenario.invoke(recorded(scenario.deps(world), log));
  return { calls: log.calls, state: scenario.state(world), announced: scenario.announced(world) };
}

/** The outcome of a run stopped at a point and retried. */
export interface StoppedRun extends CleanRun {
  point: StopPoint;
  /** whether the stop was reached (the first attempt made the same calls as the clean run up to it) */
  stopped: boolean;
  /** how many retries it took (1 or 2) */
  retries: number;
  /** why the last retry failed, when every retry did: the event went to the OnFailure destination */
  failed?: string;
}

/**
 * Runs the scenario stopped at `point`, then again as Lambda's retries: the same event, later on the
 * world's clock, without the proxy, until one succeeds (two at most).
 */
export async function runStopped<W extends { clock: Clock }, D extends object>(
  scenario: StopScenario<W, D>,
  point: StopPoint,
): Promise<StoppedRun> {
  const world = await scenario.world();
  const log = new CallLog(point);
  // Whether it throws or not, it died at the stop (a stop swallowed by the code is a dead process still).
  await scenario.invoke(recorded(scenario.deps(world), log)).catch(() => undefined);
  let retries = 0;
  let failed: string | undefined;
  for (const delay of RETRY_DELAYS_MS) {
    retries += 1;
    world.clock.set(new Date(world.clock.now().getTime() + delay).toISOString());
    try {
      await scenario.invoke(scenario.deps(world));
      failed = undefined;
      break;
    } catch (error) {
      failed = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  }
  return {
    point,
    stopped: log.dead,
    retries,
    ...(failed === undefined ? {} : { failed }),
    calls: log.calls,
    state: scenario.state(world),
    announced: scenario.announced(world),
  };
}

/** Every stop point of a clean run of `n` calls: before and after each call. */
export function stopPoints(n: number): StopPoint[] {
  return Array.from({ length: n }, (_, call) => [
    { call, when: 'before' as const },
    { call, when: 'after' as const },
  ]).flat();
}

/**
 * Whether a point falls between an announcement and the marks that record it was made: after the
 * PutEvents (or chat send) call `announcement` of the clean run and before its last mark that follows
 * (one of `marks`), or right after the announcement when no mark follows. A stop there loses the
 * knowledge that the announcement went out, so the retry announces again.
 */
export function betweenAnnouncementAndMark(
  point: StopPoint,
  calls: readonly string[],
  announcement: string,
  marks: readonly string[] = [],
): boolean {
  // How many calls were made when the invocation stopped.
  const made = point.when === 'before' ? point.call : point.call + 1;
  return calls.some((label, index) => {
    if (label !== announcement || made <= index) return false;
    let lastMark = index;
    for (let next = index + 1; next < calls.length && marks.includes(calls[next] ?? ''); next++) {
      lastMark = next;
    }
    return made <= lastMark || made === index + 1;
  });
}

/**
 * The state of a world of fakes: every fake's own fields (its Maps and Sets as sorted lists, a Map of
 * records as its records, which name their key), without its logs of calls and writes and without
 * functions, and with the `bookkeeping` fields of any record replaced by a marker.
 */
export function stateOfFakes(fakes: Record<string, object>, bookkeeping: ReadonlySet<string>): unknown {
  const plain = (value: unknown): unknown => {
    if (value instanceof Map) {
      const entries = [...value.entries()].map(([key, v]) => [key, plain(v)] as const);
      const records = entries.every(([, v]) => isRecord(v));
      return sorted(records ? entries.map(([, v]) => v) : entries.map(([k, v]) => [k, v]));
    }
    if (value instanceof Set) return sorted([...value].map(plain));
    if (Array.isArray(value)) return value.map(plain);
    if (isRecord(value)) {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([key, v]) => typeof v !== 'function' && !LOGS.has(key))
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([key, v]) => [key, bookkeeping.has(key) ? BOOKKEEPING : plain(v)]),
      );
    }
    return value;
  };
  return Object.fromEntries(Object.entries(fakes).map(([name, fake]) => [name, plain(fake)]));
}

/** What a bookkeeping field holds in a compared state. */
export const BOOKKEEPING = '(bookkeeping)';

/** The fakes' logs of what they were asked (calls, writes, lookups, counters of reads): not state. */
const LOGS = new Set([
  'writes',
  'calls',
  'lookups',
  'tagLookups',
  'describeTaskDefinitionCount',
  'reads',
  'published',
  'batches',
  'sent',
  'racing',
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);

const sorted = (values: unknown[]): unknown[] =>
  values
    .map((v) => [JSON.stringify(v), v] as const)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, v]) => v);

/**
 * The paths where two plain values differ (at most `limit`), for a failure message that says where
 * a retried run ended elsewhere than the clean one.
 */
export function differences(expected: unknown, actual: unknown, limit = 6): string[] {
  const found: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (found.length >= limit) return;
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (isRecord(a) && isRecord(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)]))
        walk(a[key], b[key], `${path}.${key}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length === b.length) {
        for (const [index, item] of a.entries()) walk(item, b[index], `${path}[${index}]`);
        return;
      }
      // Items more or fewer: name the ones only one side holds.
      const json = (items: unknown[]) => items.map((item) => JSON.stringify(item));
      const [left, right] = [json(a), json(b)];
      for (const item of left.filter((x) => !right.includes(x))) found.push(`${path}: only before: ${item}`);
      for (const item of right.filter((x) => !left.includes(x))) found.push(`${path}: only after: ${item}`);
      return;
    }
    found.push(`${path}: ${JSON.stringify(a)?.slice(0, 300)} -> ${JSON.stringify(b)?.slice(0, 300)}`);
  };
  walk(expected, actual, '');
  return found;
}

/** How often each announcement occurs, by its JSON. */
export function counted(announced: readonly unknown[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const a of announced) counts.set(JSON.stringify(a), (counts.get(JSON.stringify(a)) ?? 0) + 1);
  return counts;
}
