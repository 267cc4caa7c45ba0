/**
 * One lazily created AWS client per service, wrapped by the tracer. Clients honour the SDK's own
 * configuration: AWS_REGION, credentials, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (so the same
 * code talks to a real account or to the local sandbox), and AWS_MAX_ATTEMPTS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { tracer } from '../../observability';

/**
 * Throttling and 5xx are retried with exponential backoff and jitter by the SDK's standard retry
 * strategy; five attempts ride out a short burst without holding the invocation for long.
 */
const DEFAULT_MAX_ATTEMPTS = 5;

function clientConfig() {
  const attempts = Number(process.env.AWS_MAX_ATTEMPTS);
  return { maxAttempts: Number.isInteger(attempts) && attempts > 0 ? attempts : DEFAULT_MAX_ATTEMPTS };
}

function lazy<T extends object>(create: () => T): () => T {
  let client: T | undefined;
  return () => {
    client ??= tracer.captureAWSv3Client(create());
    return client;
  };
}

/** The shared ECS client. */
export const ecsClient = lazy(() => new ECSClient(clientConfig()));
/** The shared ECR client. */
export const ecrClient = lazy(() => new ECRClient(clientConfig()));
/** The shared EventBridge client. */
export const eventBridgeClient = lazy(() => new EventBridgeClient(clientConfig()));
/** The shared DynamoDB client. */
export const dynamoDbClient = lazy(() => new DynamoDBClient(clientConfig()));
/** The shared SQS client (dead-letter queue). */
export const sqsClient = lazy(() => new SQSClient(clientConfig()));
