/**
 * The sandbox's Amazon EventBridge: events in (AWS events from the local control plane, in process;
 * autopilot's own events through PutEvents), matched against the rules of serverless.yml with
 * EventBridge semantics (`tools/eventbridge/routing.ts`, the same routing as `autopilot dispatch`),
 * and delivered to the functions the way Lambda runs asynchronous invocations:
 *
 * - delivery is asynchronous: `put` returns before any function runs;
 * - a function that throws is retried `maximumRetryAttempts` times (2, as in serverless.yml) after
 *   short delays (100 ms, 200 ms by default instead of Lambda's 1 and 2 minutes);
 * - after the last attempt the event goes to the function's OnFailure destination (the local
 *   dead-letter queue) as Lambda's invocation record: `requestContext.condition: "RetriesExhausted"`,
 *   `requestPayload` (the event), `responsePayload` (`errorType`, `errorMessage`, `trace`).
 *
 * Invocations run one at a time by default (`concurrency: 1`): the functions share this process and
 * its environment. Every event and every delivery outcome is reported to subscribers, so timelines
 * and tests can follow the whole chain, and {@link LocalBus.idle} tells when the chain has settled.
 *
 * At-least-once delivery (`deliveries: 3`): EventBridge and Lambda may deliver one event more than
 * once, and not in the order it was put. Then every event goes to each target `deliveries` times (the
 * same id, as EventBridge's duplicates have), the copies shuffled among the other deliveries: each
 * copy waits for a seeded number (0 to `deliverySpread`) of other deliveries to start, or for the bus
 * to have nothing else to do, and then joins the queue at a seeded place. The order depends on the
 * seed and the order of events, never on time.
 *
 * Loops: each event carries the number of invocations that led to it (its depth). An event put while
 * a function runs (in process, or through PutEvents while exactly one invocation runs) is one deeper
 * than the event that function got. Deliveries deeper than `maxChainDepth` (16, like Lambda's
 * recursive loop detection) are not invoked: they are reported as `dropped` and sent to the
 * function's failure destination.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 * @see https://docs.aws.amazon.com/lambda/latest/dg/invocation-recursion.html
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { nestingExceeds } from '../../shared/events/json-bounds';
import { type EventBridgeEvent, MAX_EVENT_NESTING } from '../../tools/eventbridge/event';
import { type Route, route } from '../../tools/eventbridge/routing';
import { mulberry32 } from '../control-plane/random';

/** What {@link LocalBus.put} accepts: an envelope whose id, time, account, region… may be missing. */
export type EventInput = Partial<EventBridgeEvent> & { source: string; 'detail-type': string };

/** Where an event came from, for timelines. */
export type EventOrigin = 'aws' | 'put-events' | 'schedule' | (string & {});

/** Options of one {@link LocalBus.put}. */
export interface PutOptions {
  /** the bus the event is on: `default` (AWS events) unless given */
  eventBusName?: string;
  /** `aws` unless given */
  origin?: EventOrigin;
}

/** The outcome of one delivery attempt. */
export type DeliveryOutcome = 'ok' | 'retry' | 'failed' | 'rejected' | 'dropped';

/** An event was put on the bus. */
export interface EventRecord {
  kind: 'event';
  event: EventBridgeEvent;
  eventBusName: string;
  origin: EventOrigin;
  /** the functions whose rules matched */
  targets: string[];
  /** invocations that led to this event (0: from outside the functions) */
  depth: number;
}

/** A serialisable error. */
export interface ErrorInfo {
  name: string;
  message: string;
  stack?: string;
}

/**
 * One delivery attempt of an event to a function: `ok` (returned), `rejected` (returned the
 * middleware's `{ status: 'rejected' }`: a permanent error, parked by the function itself), `retry`
 * (threw, will be retried), `failed` (threw on the last attempt: sent to the failure destination),
 * `dropped` (not invoked: a recursive loop, or the sandbox stopped).
 */
export interface DeliveryRecord {
  kind: 'delivery';
  function: string;
  eventId: string;
  /** 1 for the first attempt */
  attempt: number;
  outcome: DeliveryOutcome;
  /** what the handler returned (`ok`, `rejected`) */
  result?: unknown;
  /** what the handler threw (`retry`, `failed`) or why it was not invoked (`dropped`) */
  error?: ErrorInfo;
  /** the Lambda request id of the attempt */
  requestId: string;
  durationMs: number;
}

/** Everything subscribers see. */
export type BusRecord = EventRecord | DeliveryRecord;

/** A subscriber; it must not throw (errors are swallowed so the bus keeps going). */
export type BusListener = (record: BusRecord) => void;

/** Runs one function on one event; a rejection is a function error. */
export type Invoker = (
  functionName: string,
  event: EventBridgeEvent,
  invocation: { attempt: number; requestId: string },
) => Promise<unknown>;

/** Where events go after the last failed attempt (an SQS queue in the stack). */
export interface FailureDestination {
  send(messageBody: string): unknown;
}

/** What {@link LocalBus.put} tells the caller. */
export interface PutResult {
  /** the event as delivered, with id, time, account… filled in */
  event: EventBridgeEvent;
  /** the functions it goes to */
  targets: string[];
  /** the final record of each target's delivery (never rejects) */
  delivered: Promise<DeliveryRecord[]>;
}

/** Options of {@link LocalBus}. */
export interface LocalBusOptions {
  /** the rules, from `loadRoutes(root)` */
  routes: readonly Route[];
  /** runs a function (see `FunctionRunner.invoke`) */
  invoke: Invoker;
  /** filled into events that lack it; `123456789012` by default */
  account?: string;
  /** filled into events that lack it; `eu-west-1` by default */
  region?: string;
  /** delay before retry n (the last one repeats); `[100, 200]` by default */
  retryDelaysMs?: readonly number[];
  /** retries after the first attempt, per function; 2 by default */
  maximumRetryAttempts?: (functionName: string) => number;
  /** a function's OnFailure destination, if it has one */
  failureDestination?: (functionName: string) => FailureDestination | undefined;
  /** `arn:aws:lambda:<region>:<account>:function:<name>` of a function key */
  functionArn?: (functionName: string) => string;
  /** invocations running at once; 1 by default */
  concurrency?: number;
  /** deepest chain of invocations delivered; 16 by default */
  maxChainDepth?: number;
  /** how many times each event is delivered to each target (at-least-once delivery); 1 by default */
  deliveries?: number;
  /** seeds the order of the copies when `deliveries` > 1; 1 by default */
  deliverySeed?: number;
  /** at most how many other deliveries start before a copy joins the queue; 3 by default */
  deliverySpread?: number;
}

interface Job {
  functionName: string;
  event: EventBridgeEvent;
  depth: number;
  attempt: number;
  finish: (record: DeliveryRecord) => void;
}

/** A copy of an at-least-once delivery, held back until `after` other deliveries have started. */
interface HeldJob {
  job: Job;
  after: number;
}

/** The time format of EventBridge envelopes: ISO 8601 in UTC, whole seconds. */
export function eventTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A local EventBridge bus with the rules of serverless.yml. See the module documentation. */
export class LocalBus {
  private readonly listeners = new Set<BusListener>();
  private readonly ready: Job[] = [];
  private readonly running = new Set<Job>();
  private readonly waiting = new Map<NodeJS.Timeout, Job>();
  private readonly held: HeldJob[] = [];
  private readonly random: () => number;
  private readonly context = new AsyncLocalStorage<Job>();
  private idleWaiters: (() => void)[] = [];
  private pending = 0;
  private closed = false;
  private readonly account: string;
  private readonly region: string;

  constructor(private readonly options: LocalBusOptions) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'eu-west-1';
    // The same seed gives the same order of copies.
    this.random = mulberry32(options.deliverySeed ?? 1);
  }

  /**
   * Puts an event on the bus: fills in what is missing (`version`, `id`, `time`, `account`,
   * `region`, `resources`, `detail`), tells subscribers, and schedules a delivery to each function
   * whose rule matches. Returns at once.
   *
   * @throws TypeError for an event without source or detail-type, or whose detail nests deeper than
   *   EventBridge processes ({@link MAX_EVENT_NESTING} levels with the envelope)
   *
   * @example
   * const { targets, delivered } = bus.put({ source: 'aws.ecr', 'detail-type': 'ECR Image Action', detail });
   * await delivered; // every target's final outcome
   */
  put(input: EventInput, options: PutOptions = {}): PutResult {
    if (typeof input.source !== 'string' || input.source === '') throw new TypeError('event without source');
    if (typeof input['detail-type'] !== 'string' || input['detail-type'] === '') {
      throw new TypeError('event without detail-type');
    }
    // EventBridge processes no deeper JSON; deliveries copy the event (structuredClone), which could not.
    if (nestingExceeds(input.detail, MAX_EVENT_NESTING - 1)) {
      throw new TypeError(
        `event detail nested deeper than EventBridge processes (${MAX_EVENT_NESTING} levels)`,
      );
    }
    const event: EventBridgeEvent = {
      version: input.version ?? '0',
      id: input.id ?? randomUUID(),
      'detail-type': input['detail-type'],
      source: input.source,
      account: input.account ?? this.account,
      time: input.time ?? eventTime(),
      region: input.region ?? this.region,
      resources: input.resources ?? [],
      detail: input.detail ?? {},
    };
    const parent = this.context.getStore() ?? (this.running.size === 1 ? [...this.running][0] : undefined);
    const depth = parent ? parent.depth + 1 : 0;
    const targets = this.closed ? [] : route(this.options.routes, event);
    this.emit({
      kind: 'event',
      event,
      eventBusName: options.eventBusName ?? 'default',
      origin: options.origin ?? 'aws',
      targets,
      depth,
    });
    const copies = Math.max(1, Math.floor(this.options.deliveries ?? 1));
    const delivered = Promise.all(
      targets.flatMap((functionName) =>
        Array.from(
          { length: copies },
          () =>
            new Promise<DeliveryRecord>((resolve) => {
              this.pending++;
              const job: Job = {
                functionName,
                event,
                depth,
                attempt: 1,
                finish: (record) => {
                  resolve(record);
                  this.pending--;
                  if (this.pending === 0) this.wakeIdle();
                },
              };
              if (copies === 1) this.enqueue(job);
              else this.hold(job);
            }),
        ),
      ),
    );
    return { event, targets, delivered };
  }

  /**
   * Follows everything: each event put and each delivery attempt's outcome, in order.
   *
   * @returns a function that unsubscribes
   */
  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Tells subscribers of an invocation made elsewhere (an SQS event source mapping's batch), so they
   * follow every function's decisions in one stream.
   */
  tell(record: DeliveryRecord): void {
    this.emit(record);
  }

  /** Whether a delivery is running, queued or waiting for a retry. */
  get busy(): boolean {
    return this.pending > 0;
  }

  /**
   * Resolves when no delivery is running, queued or waiting for a retry (including deliveries of
   * events that the deliveries put). Must not be awaited inside a function: it would wait for itself.
   */
  async idle(): Promise<void> {
    for (;;) {
      if (this.pending > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      // Let work started in the same turn (a put right after the last delivery) register first.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.pending === 0) return;
    }
  }

  /**
   * Stops delivering: queued deliveries and pending retries are reported as `dropped`, running ones
   * are awaited. Events put afterwards are still reported to subscribers but go nowhere.
   */
  async close(): Promise<void> {
    this.closed = true;
    const abandoned = [
      ...this.ready.splice(0),
      ...this.waiting.values(),
      ...this.held.splice(0).map((h) => h.job),
    ];
    for (const timer of this.waiting.keys()) clearTimeout(timer);
    this.waiting.clear();
    for (const job of abandoned) {
      this.report(job, {
        outcome: 'dropped',
        error: { name: 'SandboxStopped', message: 'the sandbox stopped' },
      });
    }
    await this.idle();
  }

  private enqueue(job: Job): void {
    this.ready.push(job);
    // Asynchronous like Lambda's event queue: the caller of put() goes on first. Scheduled outside
    // the current invocation's context, so that context cannot leak into unrelated work.
    this.context.exit(() => setImmediate(() => this.pump()));
  }

  /** Holds a copy of an at-least-once delivery back for a seeded number of other deliveries. */
  private hold(job: Job): void {
    const spread = Math.max(0, Math.floor(this.options.deliverySpread ?? 3));
    this.held.push({ job, after: Math.floor(this.random() * (spread + 1)) });
    this.context.exit(() => setImmediate(() => this.pump()));
  }

  /** Moves the held copies that waited long enough (or the next one, when nothing else is left) to a seeded place in the queue. */
  private release(started: boolean): void {
    if (this.held.length === 0) return;
    if (started) for (const h of this.held) h.after--;
    const idle = this.ready.length === 0 && this.running.size === 0;
    const due = this.held.filter((h) => h.after <= 0);
    const next = due.length > 0 ? due : idle ? [this.held.reduce((a, b) => (b.after < a.after ? b : a))] : [];
    for (const h of next) {
      this.held.splice(this.held.indexOf(h), 1);
      this.ready.splice(Math.floor(this.random() * (this.ready.length + 1)), 0, h.job);
    }
  }

  private pump(): void {
    const concurrency = Math.max(1, this.options.concurrency ?? 1);
    if (!this.closed) this.release(false);
    while (this.running.size < concurrency && this.ready.length > 0 && !this.closed) {
      const job = this.ready.shift() as Job;
      this.running.add(job);
      this.release(true);
      this.run(job).finally(() => {
        this.running.delete(job);
        this.pump();
      });
    }
  }

  private async run(job: Job): Promise<void> {
    const requestId = randomUUID();
    const started = Date.now();
    const maxDepth = this.options.maxChainDepth ?? 16;
    if (job.depth > maxDepth) {
      const error = {
        name: 'RecursiveInvocationLoop',
        message: `${job.depth} invocations led to this event (more than ${maxDepth}): a recursive loop`,
      };
      this.sendToFailureDestination(job, requestId, error, 'RecursiveInvocationLoop');
      this.report(job, { outcome: 'dropped', error, requestId });
      return;
    }
    try {
      // Each target gets its own copy, as each Lambda invocation gets its own payload.
      const result = await this.context.run(job, () =>
        this.options.invoke(job.functionName, structuredClone(job.event), {
          attempt: job.attempt,
          requestId,
        }),
      );
      const rejected = isRejectedResponse(result);
      this.report(job, { outcome: rejected ? 'rejected' : 'ok', result, requestId, started });
    } catch (thrown) {
      const error = errorInfo(thrown);
      const retries = this.options.maximumRetryAttempts?.(job.functionName) ?? 2;
      if (job.attempt <= retries && !this.closed) {
        this.emit(this.recordOf(job, { outcome: 'retry', error, requestId, started }));
        const delays = this.options.retryDelaysMs ?? [100, 200];
        const delay = delays[Math.min(job.attempt - 1, delays.length - 1)] ?? 0;
        const next: Job = { ...job, attempt: job.attempt + 1 };
        const timer = this.context.exit(() =>
          setTimeout(() => {
            this.waiting.delete(timer);
            this.enqueue(next);
          }, delay),
        );
        this.waiting.set(timer, next);
        return;
      }
      this.sendToFailureDestination(job, requestId, error, 'RetriesExhausted');
      this.report(job, { outcome: 'failed', error, requestId, started });
    }
  }

  /** Emits the final record of a delivery and settles it. */
  private report(job: Job, fields: Partial<DeliveryRecord> & { outcome: DeliveryOutcome; started?: number }) {
    const record = this.recordOf(job, fields);
    this.emit(record);
    job.finish(record);
  }

  private recordOf(
    job: Job,
    { started, ...fields }: Partial<DeliveryRecord> & { outcome: DeliveryOutcome; started?: number },
  ): DeliveryRecord {
    return {
      kind: 'delivery',
      function: job.functionName,
      eventId: job.event.id,
      attempt: job.attempt,
      requestId: randomUUID(),
      durationMs: started === undefined ? 0 : Date.now() - started,
      ...fields,
    };
  }

  /** Lambda's asynchronous invocation record, as an OnFailure destination receives it. */
  private sendToFailureDestination(job: Job, requestId: string, error: ErrorInfo, condition: string): void {
    const destination = this.options.failureDestination?.(job.functionName);
    if (!destination) return;
    const functionArn =
      this.options.functionArn?.(job.functionName) ??
      `arn:aws:lambda:${this.region}:${this.account}:function:${job.functionName}`;
    destination.send(
      JSON.stringify({
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId,
          functionArn: `${functionArn}:$LATEST`,
          condition,
          approximateInvokeCount: job.attempt,
        },
        requestPayload: job.event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: {
          errorType: error.name,
          errorMessage: error.message,
          trace: error.stack?.split('\n') ?? [],
        },
      }),
    );
  }

  private emit(record: BusRecord): void {
    for (const listener of this.listeners) {
      try {
        listener(record);
      } catch {
        // A subscriber's bug must not stop the deliveries.
      }
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** The middleware's answer to a permanently invalid event (`shared/middleware/with-handler.ts`). */
function isRejectedResponse(result: unknown): boolean {
  return (
    typeof result === 'object' && result !== null && (result as { status?: unknown }).status === 'rejected'
  );
}

function errorInfo(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error) return { name: thrown.name, message: thrown.message, stack: thrown.stack };
  return { name: 'Error', message: String(thrown) };
}
