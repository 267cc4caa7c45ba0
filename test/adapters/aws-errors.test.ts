import { ECSServiceException, ServiceNotFoundException } from '@aws-sdk/client-ecs';
import { awsErrorName, classifyAwsError } from '../../shared/adapters/aws/aws-errors';
import { PermanentError, RetryableError } from '../../shared/errors';
import { failedRequestMetadata, namedError, throttlingError } from '../support/aws-errors';

const PERMANENT = ['ServiceNotFoundException', 'InvalidParameterException'];

describe('classifyAwsError', () => {
  it('makes a listed error permanent, with context, name and message, and keeps the cause', () => {
    // Prepare
    const original = new ServiceNotFoundException({
      message: 'Service not found.',
      $metadata: failedRequestMetadata(),
    });

    // Act
    const error = classifyAwsError(original, 'UpdateService prod/api', PERMANENT);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.name).toBe('PermanentError');
    expect(error.message).toBe('UpdateService prod/api failed: ServiceNotFoundException: Service not found.');
    expect(error.cause).toBe(original);
  });

  it('makes an unlisted SDK error retryable', () => {
    // Prepare
    const original = throttlingError(ECSServiceException);

    // Act
    const error = classifyAwsError(original, 'DescribeServices prod', PERMANENT);

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).not.toBeInstanceOf(PermanentError);
    expect(error.message).toBe('DescribeServices prod failed: ThrottlingException: Rate exceeded');
    expect(error.cause).toBe(original);
  });

  it('matches on the name of a plain Error', () => {
    // Prepare
    const original = namedError('InvalidParameterException', 'Invalid revision number');

    // Act
    const error = classifyAwsError(original, 'DescribeTaskDefinition api:x', PERMANENT);

    // Assess
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe(
      'DescribeTaskDefinition api:x failed: InvalidParameterException: Invalid revision number',
    );
  });

  it('treats a thrown non-error as an unknown, retryable failure', () => {
    // Prepare
    const original = 'socket hang up';

    // Act
    const error = classifyAwsError(original, 'ListClusters', PERMANENT);

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toBe('ListClusters failed: UnknownError: socket hang up');
    expect(error.cause).toBe(original);
  });

  it('makes everything retryable when no name is listed', () => {
    // Prepare
    const original = new ServiceNotFoundException({ message: 'Service not found.', $metadata: {} });

    // Act
    const error = classifyAwsError(original, 'UpdateService prod/api', []);

    // Assess
    expect(error).toBeInstanceOf(RetryableError);
  });
});

describe('awsErrorName', () => {
  it('reads the name of errors and nothing else', () => {
    // Prepare
    const values: unknown[] = [
      throttlingError(ECSServiceException),
      namedError('ClientException', 'x'),
      'x',
      {},
    ];

    // Act
    const names = values.map(awsErrorName);

    // Assess
    expect(names).toEqual(['ThrottlingException', 'ClientException', undefined, undefined]);
  });
});
