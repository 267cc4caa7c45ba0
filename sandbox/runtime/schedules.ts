/**
 * The schedule rules of serverless.yml (`events: - schedule: { name, rate }`) as timers that put
 * EventBridge's "Scheduled Event" on the local bus, where the rule ARN in `resources` routes it to
 * its function (by rule name, as `tools/eventbridge/routing.ts` does). Time can be sped up, or a rule
 * given its own period, so the sandbox can run `deploy-due` every second; `trigger` fires a rule now.
 *
 * A tick is skipped while the rule's previous event is still being delivered (EventBridge would
 * invoke again; the sandbox runs one invocation at a time and would only queue them up).
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 */
import type { ScheduleDefinition } from '../../tools/serverless-config';
import type { EventInput, LocalBus, PutResult } from './bus';
import { eventTime } from './bus';

const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * The period of a `rate(…)` expression in milliseconds. As in EventBridge, the unit is singular for
 * 1 and plural otherwise.
 *
 * @example parseRate('rate(6 hours)') // 21600000
 * @throws Error for anything else (including `cron(…)`, see {@link ScheduleRule.periodMs})
 */
export function parseRate(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  const value = Number(match?.[1]);
  const unit = match?.[2] ?? '';
  if (!match || value < 1 || (value === 1) !== !unit.endsWith('s')) {
    throw new Error(
      `not a rate expression: "${expression}" (expected e.g. rate(1 minute) or rate(5 minutes))`,
    );
  }
  return value * (UNIT_MS[unit.replace(/s$/, '')] ?? 0);
}

/** A schedule rule with its ARN and the period the sandbox runs it at. */
export interface ScheduleRule extends ScheduleDefinition {
  /** `arn:aws:events:<region>:<account>:rule/<ruleName>` */
  arn: string;
  /** milliseconds between events; undefined: no timer (disabled, or a cron expression), trigger only */
  periodMs?: number;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** the rules, from `readServerlessConfig(...).functions[].schedules` */
  schedules: readonly ScheduleDefinition[];
  bus: Pick<LocalBus, 'put'>;
  account: string;
  region: string;
  /** how much faster than real time the rates run: 60 turns a minute into a second; 1 by default */
  speed?: number;
  /** a period in milliseconds per function key or rule name, regardless of speed; 0 turns the timer off */
  overridesMs?: Record<string, number>;
}

/** Runs the schedule rules. Timers start with {@link Scheduler.start} and do not keep the process alive. */
export class Scheduler {
  /** the rules, with their ARNs and periods */
  readonly rules: readonly ScheduleRule[];
  private readonly timers: NodeJS.Timeout[] = [];
  /** undelivered events per rule name */
  private readonly inFlight = new Map<string, number>();
  /** functions whose timers are held (`hold`): they do not fire until released */
  private readonly held = new Map<string, number>();

  constructor(private readonly options: SchedulerOptions) {
    const speed = options.speed ?? 1;
    if (!(speed > 0)) throw new Error(`schedule speed must be positive, got ${speed}`);
    this.rules = options.schedules.map((schedule) => {
      const override =
        options.overridesMs?.[schedule.ruleName] ?? options.overridesMs?.[schedule.functionName];
      let periodMs: number | undefined;
      if (override !== undefined) periodMs = override > 0 ? override : undefined;
      else if (schedule.enabled && schedule.expression.startsWith('rate(')) {
        periodMs = parseRate(schedule.expression) / speed;
      }
      return {
        ...schedule,
        arn: `arn:aws:events:${options.region}:${options.account}:rule/${schedule.ruleName}`,
        periodMs,
      };
    });
  }

  /** Starts a timer per rule that has a period. */
  start(): void {
    this.stop();
    for (const rule of this.rules) {
      if (rule.periodMs === undefined) continue;
      const timer = setInterval(() => this.tick(rule), Math.max(1, rule.periodMs));
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Stops the timers. */
  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /**
   * Fires now the rule named `name`, or every schedule rule of the function `name`.
   *
   * @returns what the bus did with each event
   * @throws Error when no rule has that name or belongs to that function
   */
  trigger(name: string): PutResult[] {
    const byRule = this.rules.filter((rule) => rule.ruleName === name);
    const rules = byRule.length > 0 ? byRule : this.rules.filter((rule) => rule.functionName === name);
    if (rules.length === 0) {
      const known = this.rules.map((r) => `${r.functionName} (${r.ruleName})`).join(', ');
      throw new Error(`no schedule rule or function with a schedule named ${name}; known: ${known}`);
    }
    return rules.map((rule) => this.fire(rule));
  }

  /** The "Scheduled Event" a rule sends. */
  scheduledEvent(rule: ScheduleRule, time: Date = new Date()): EventInput {
    return {
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.options.account,
      time: eventTime(time),
      region: this.options.region,
      resources: [rule.arn],
      detail: {},
    };
  }

  /**
   * Holds the timers of the function `name` (as a late invocation would be late) until the returned
   * function releases them; holds nest. `trigger` still fires.
   */
  hold(name: string): () => void {
    this.held.set(name, (this.held.get(name) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held.set(name, (this.held.get(name) ?? 1) - 1);
    };
  }

  private tick(rule: ScheduleRule): void {
    if ((this.held.get(rule.functionName) ?? 0) > 0) return;
    if ((this.inFlight.get(rule.ruleName) ?? 0) > 0) return;
    this.fire(rule);
  }

  private fire(rule: ScheduleRule): PutResult {
    const result = this.options.bus.put(this.scheduledEvent(rule), { origin: 'schedule' });
    const count = (delta: number) =>
      this.inFlight.set(rule.ruleName, (this.inFlight.get(rule.ruleName) ?? 0) + delta);
    count(1);
    void result.delivered.finally(() => count(-1));
    return result;
  }
}
