/**
 * Error taxonomy of ecs-autopilot.
 *
 * The class of an error decides what happens to the event that caused it:
 * - {@link PermanentError} and its subclasses: the input can never succeed. The event is logged with
 *   the reason, parked in the dead-letter queue and not retried.
 * - {@link RetryableError} (and any error we do not recognise): the handler throws, Lambda retries the
 *   asynchronous invocation, and after the last retry the OnFailure destination keeps the event.
 */
export class AutomationError extends Error {
  /**
   * @param message - what went wrong, for people
   * @param options - `cause` keeps the original error
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid configuration (environment or policy file). Thrown at cold start or deploy time. */
export class ConfigError extends AutomationError {}

/** The input can never be processed; retrying would not help. */
export class PermanentError extends AutomationError {}

/** An event of a kind this function does not handle. */
export class UnsupportedEventError extends PermanentError {}

/** A transient failure (throttling, 5xx, a lock held by a concurrent invocation). */
export class RetryableError extends AutomationError {}

/** A run would touch more resources than the configured blast-radius cap allows. */
export class ResourceLimitExceededError extends PermanentError {
  /**
   * @param count - resources the run would touch
   * @param limit - the configured cap
   */
  constructor(
    readonly count: number,
    readonly limit: number,
  ) {
    super(`run would change ${count} resources, more than the limit of ${limit}`);
  }
}

/**
 * Narrows an unknown thrown value to an Error, wrapping anything else.
 *
 * @example
 * try { await act() } catch (e) { assertIsError(e); logger.error(e.message) }
 */
export function assertIsError(value: unknown): asserts value is Error {
  if (!(value instanceof Error)) {
    throw new AutomationError(`non-error thrown: ${String(value)}`, { cause: value });
  }
}

/** Compile-time exhaustiveness check for switches over unions. */
export function assertNever(value: never): never {
  throw new AutomationError(`unexpected value: ${JSON.stringify(value)}`);
}

/** True for errors that should be retried rather than parked. */
export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError || (error instanceof Error && error.name === 'ParseError');
}
