/**
 * Builds errors shaped like the ones the AWS SDK v3 throws, for adapter tests.
 *
 * Errors a client's model declares have their own class (`new ServiceNotFoundException({ message,
 * $metadata })` from '@aws-sdk/client-ecs'); use those directly. Errors the model does not declare
 * (ThrottlingException on ECS or ECR, for instance) reach callers as the service's base exception
 * (ECSServiceException, ECRServiceException…) with the wire name as `name`: build those with
 * {@link unmodeledAwsError}.
 */

/** `$metadata` of a failed request, as the SDK reports it after its own retries. */
export interface FailedRequestMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts?: number;
  totalRetryDelay?: number;
}

/** The constructor options shared by every SDK service exception. */
interface ServiceExceptionOptions {
  name: string;
  $fault: 'client' | 'server';
  message?: string;
  $metadata: FailedRequestMetadata;
}

/** Metadata of a request that failed with `httpStatusCode` after `attempts` attempts. */
export function failedRequestMetadata(httpStatusCode = 400, attempts = 1): FailedRequestMetadata {
  return { httpStatusCode, requestId: '8f0e4a7c-1b2d-4c3e-9f5a-6b7c8d9e0f1a', attempts, totalRetryDelay: 0 };
}

/**
 * An error the service returned but the client's model does not declare, as the SDK throws it.
 *
 * @example unmodeledAwsError(ECSServiceException, 'ThrottlingException', 'Rate exceeded')
 */
export function unmodeledAwsError<T extends Error>(
  ServiceException: new (options: ServiceExceptionOptions) => T,
  name: string,
  message: string,
  fault: 'client' | 'server' = 'client',
): T {
  return new ServiceException({
    name,
    $fault: fault,
    message,
    $metadata: failedRequestMetadata(fault === 'client' ? 400 : 500, 5),
  });
}

/** ThrottlingException as an ECS/ECR/EventBridge client throws it once its own retries are spent. */
export function throttlingError<T extends Error>(
  ServiceException: new (options: ServiceExceptionOptions) => T,
): T {
  return unmodeledAwsError(ServiceException, 'ThrottlingException', 'Rate exceeded');
}

/** A plain Error carrying an AWS error name, as a hand-rolled or older client might throw it. */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
