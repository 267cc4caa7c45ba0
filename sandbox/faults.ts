/**
 * Fault injection for both halves of the local account: the control plane (ECS, ECR) and the
 * runtime (DynamoDB, EventBridge, SQS, Parameter Store, Secrets Manager). One rule language, one
 * {@link FaultInjector} with one seeded random source (`sandbox/account.ts` gives both halves the same
 * one), so a run replays the same faults for a seed as long as the calls come in the same order.
 *
 * Each server asks the injector about each call, naming its service (`ecs`, `ecr`, `dynamodb`,
 * `events`, `sqs`, `ssm`, `secretsmanager`) and operation; a rule addressed to another service does
 * not match, so each half takes the rules addressed to it.
 *
 * What a kind does, wherever it is injected:
 * - `throttle`: the service's own throttling error (its code and status, as the SDK classifies it:
 *   retried with the throttling backoff); nothing is carried out.
 * - `5xx`: 500, the service's internal error; nothing is carried out.
 * - `lost`: carried out, then answered 500: the change was made, its answer lost on the way back.
 * - `timeout`: carried out, then the connection is destroyed without an answer, as a connection lost
 *   or a client timing out would end (the SDK sees `ECONNRESET`, a transient error, and retries).
 * - `latency`: answered `latencyMs` later (with whatever else applies).
 * - `partial` (EventBridge PutEvents only): the call succeeds, but entries fail one by one with
 *   `ThrottlingException` or `InternalFailure` in `FailedEntryCount`, as EventBridge answers under load;
 *   the failed entries are not put on the bus.
 */
import type { Random } from './control-plane/random';

/** What a fault does to a call (see the module documentation). */
export type FaultKind = 'throttle' | '5xx' | 'latency' | 'lost' | 'timeout' | 'partial';

/** The kinds that end a call other than by delaying it. */
export type FaultError = Exclude<FaultKind, 'latency'>;

/** Every kind, for parsers (the control endpoint, the CLI). */
export const FAULT_KINDS: readonly FaultKind[] = ['throttle', '5xx', 'latency', 'lost', 'timeout', 'partial'];

/** The services faults can be addressed to, as rules name them (`dynamodb:PutItem`, `events:*`). */
export const FAULT_SERVICES = ['ecs', 'ecr', 'dynamodb', 'events', 'sqs', 'ssm', 'secretsmanager'] as const;

/** A service faults can be addressed to. */
export type FaultService = (typeof FAULT_SERVICES)[number];

/** A fault to inject into matching calls. */
export interface FaultRule {
  /**
   * An operation name (`UpdateService`, `PutItem`: that operation of any service), one service's
   * operation (`ecr:TagResource`, `dynamodb:TransactWriteItems`, `events:PutEvents`,
   * `sqs:SendMessage`), every call to one service (`ecs:*`, `dynamodb:*`, `events:*`, `sqs:*`), or
   * every call to every service (`*`).
   */
  operation: string;
  /** See {@link FaultKind}. */
  kind: FaultKind;
  /** The share of matching calls affected, 0 to 1. */
  rate: number;
  /** Delay of a `latency` fault (default 200 ms). */
  latencyMs?: number;
  /**
   * At most this many calls are faulted by the rule, then it is spent: `rate: 1, times: 1` faults
   * the first matching call, so a scenario can count on a fault whatever order its calls come in.
   */
  times?: number;
}

/** The faults for one call. */
export interface FaultDecision {
  /** the total delay before the call is handled */
  latencyMs: number;
  /** at most one fault that ends the call otherwise than it would have */
  error?: FaultError;
}

/** One faulted call, as the runtime records it (the control plane records every call). */
export interface FaultRecord {
  service: FaultService;
  operation: string;
  fault: FaultKind;
  at: Date;
}

/** Whether `rule` names `service`'s `operation` (see {@link FaultRule.operation}). */
function matches(rule: FaultRule, service: string, operation: string): boolean {
  return [operation, '*', `${service}:*`, `${service}:${operation}`].includes(rule.operation);
}

/** Why a rule cannot be used, or undefined. */
export function faultRuleProblem(rule: FaultRule): string | undefined {
  if (!(rule.rate >= 0 && rule.rate <= 1)) return `fault rate must be within 0..1: ${rule.rate}`;
  if (rule.times !== undefined && !(Number.isInteger(rule.times) && rule.times >= 1))
    return `fault times must be a whole number from 1: ${rule.times}`;
  if (!FAULT_KINDS.includes(rule.kind)) return `unknown fault kind: ${String(rule.kind)}`;
  const [service, operation, extra] = rule.operation.split(':');
  if (operation !== undefined) {
    if (
      extra !== undefined ||
      operation === '' ||
      !(FAULT_SERVICES as readonly string[]).includes(service ?? '')
    )
      return `not a fault target: "${rule.operation}" (<operation>, <service>:<operation>, <service>:* or *; services: ${FAULT_SERVICES.join(', ')})`;
  }
  if (rule.kind === 'partial' && !['*', 'PutEvents', 'events:*', 'events:PutEvents'].includes(rule.operation))
    return `partial failures are EventBridge's: address them to events:PutEvents, not "${rule.operation}"`;
  return undefined;
}

/** Decides, per call, which faults apply, from a seeded random source. */
export class FaultInjector {
  private rules: FaultRule[] = [];
  /** How many calls each rule (by its index) has faulted. */
  private hits: number[] = [];

  /** @param random - the seeded source of the decisions */
  constructor(private readonly random: Random) {}

  /**
   * Replaces the rules (an empty list turns faults off).
   *
   * @throws RangeError for a rate outside 0..1, an unknown kind or service, or a `partial` rule
   *   addressed to something else than PutEvents
   */
  set(rules: readonly FaultRule[]): void {
    for (const rule of rules) {
      const problem = faultRuleProblem(rule);
      if (problem) throw new RangeError(problem);
    }
    this.rules = rules.map((r) => ({ ...r }));
    this.hits = rules.map(() => 0);
  }

  /** The rules in force (copies). */
  current(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /**
   * The faults for one call: a total delay and at most one error (the first rule that hits).
   * `partial` applies to EventBridge's PutEvents only.
   */
  decide(service: string, operation: string): FaultDecision {
    let latencyMs = 0;
    let error: FaultError | undefined;
    for (const [index, rule] of this.rules.entries()) {
      if (!matches(rule, service, operation)) continue;
      if (rule.kind === 'partial' && !(service === 'events' && operation === 'PutEvents')) continue;
      if (rule.times !== undefined && (this.hits[index] ?? 0) >= rule.times) continue;
      // Draw for every matching rule, so one rule's outcome does not shift another's sequence.
      const hit = this.random() < rule.rate;
      if (!hit) continue;
      this.hits[index] = (this.hits[index] ?? 0) + 1;
      if (rule.kind === 'latency') latencyMs += rule.latencyMs ?? 200;
      else error ??= rule.kind;
    }
    return { latencyMs, error };
  }

  /**
   * Which entries of a partially failed PutEvents fail, and with which code: each entry fails with
   * one chance in two (at least one does), `ThrottlingException` or `InternalFailure` alike.
   *
   * @returns one code per entry, undefined for an entry that goes through
   */
  failedEntries(count: number): (string | undefined)[] {
    const codes = Array.from({ length: count }, (): string | undefined =>
      this.random() < 0.5 ? (this.random() < 0.5 ? 'ThrottlingException' : 'InternalFailure') : undefined,
    );
    if (count > 0 && !codes.some((c) => c !== undefined)) codes[0] = 'ThrottlingException';
    return codes;
  }
}
