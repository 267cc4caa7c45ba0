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
