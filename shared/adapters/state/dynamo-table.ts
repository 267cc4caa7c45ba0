/**
 * The base of the stores on the autopilot table: the document client (undefined values dropped),
 * the table name and a clock for TTLs and expiries.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDbClient } from './dynamo-client';

/** Seconds in a day, for TTLs. */
export const DAY = 86_400;

/** A time as the epoch seconds DynamoDB TTL (`expiresAt`) reads. */
export const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

/** Whether a write failed on its condition (a race lost or a duplicate), not for another reason. */
export const isConflict = (error: unknown) => error instanceof ConditionalCheckFailedException;

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
