/**
 * The base of the stores on the autopilot table: the document client (undefined values dropped),
 * the table name and a clock for TTLs and expiries.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbClient } from './dynamo-client';

/** A store on the single autopilot table. */
export abstract class DynamoTableStore {
  protected readonly doc: DynamoDBDocumentClient;

  /**
   * @param tableName - the autopilot table
   * @param client - the DynamoDB client; the shared traced one by default
   * @param now - clock, for TTLs and expiries
   */
  constructor(
    protected readonly tableName: string,
    client: DynamoDBClient = dynamoDbClient(),
    protected readonly now: () => Date = () => new Date(),
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }
}
