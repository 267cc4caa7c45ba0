/**
 * Classifies AWS SDK errors into the project's taxonomy. The SDK has already retried throttling and
 * 5xx by the time an error reaches us; what is left is either permanent (the request can never work)
 * or still transient (retry the whole event later).
 */
import { PermanentError, RetryableError } from '../../errors';

/** The error name AWS returned, if any. */
export function awsErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/**
 * Wraps an AWS error: names in `permanent` become {@link PermanentError}, anything else
 * {@link RetryableError}; the original stays as `cause`.
 *
 * @example throw classifyAwsError(e, 'UpdateService prod/api', ['ServiceNotFoundException'])
 */
export function classifyAwsError(error: unknown, context: string, permanent: readonly string[]): Error {
  const name = awsErrorName(error) ?? 'UnknownError';
  const message = error instanceof Error ? error.message : String(error);
  const text = `${context} failed: ${name}: ${message}`;
  return permanent.includes(name)
    ? new PermanentError(text, { cause: error })
    : new RetryableError(text, { cause: error });
}

/** Errors after which retrying the same request cannot succeed. */
export const PERMANENT_ECS_ERRORS = [
  'ClientException',
  'InvalidParameterException',
  'ClusterNotFoundException',
  'ServiceNotFoundException',
  'ServiceNotActiveException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'AccessDeniedException',
  'UnsupportedFeatureException',
];

/**
 * A tag write's outcome: `done`, or `refused` with AWS's words when AWS answered one of `refused`
 * (a write a retry cannot fix: an old-format ARN, too many tags, a resource gone); any other error
 * classified as {@link classifyAwsError} does (throttling left after the SDK's retries retryable).
 */
export async function tagWriteOutcome(
  what: string,
  send: () => Promise<unknown>,
  refused: readonly string[],
  permanent: readonly string[],
): Promise<'done' | { refused: string }> {
  try {
    await send();
    return 'done';
  } catch (error) {
    const name = awsErrorName(error);
    if (name && refused.includes(name)) return { refused: `${name}: ${(error as Error).message}` };
    throw classifyAwsError(error, what, permanent);
  }
}
