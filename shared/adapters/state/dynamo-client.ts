/**
 * The process-wide DynamoDB client, shared by the state adapters and Powertools idempotency.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { cachedClient, clientConfig } from '../aws/clients';

/** The traced, cached DynamoDB client. */
export function dynamoDbClient(): DynamoDBClient {
  return cachedClient('dynamodb', () => new DynamoDBClient(clientConfig()));
}
