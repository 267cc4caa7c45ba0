/**
 * The shape of autopilot's single DynamoDB table, shared by the infrastructure (serverless.yml must
 * declare the same), the local sandbox and the tests that run against dynalite.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * Key schema and billing of the autopilot table: string partition key `pk`, string sort key `sk`,
 * on-demand capacity. The table name is left to the caller (stage, sandbox or test).
 *
 * Time to live is not part of `CreateTable`; enable it separately on {@link AUTOPILOT_TABLE_TTL_ATTRIBUTE}.
 *
 * @example
 * await client.send(new CreateTableCommand({ ...AUTOPILOT_TABLE_DEFINITION, TableName: 'autopilot-dev' }));
 */
export const AUTOPILOT_TABLE_DEFINITION: Readonly<Omit<CreateTableCommandInput, 'TableName'>> = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  BillingMode: 'PAY_PER_REQUEST',
};

/** The attribute (epoch seconds) the table's time to live is enabled on. */
export const AUTOPILOT_TABLE_TTL_ATTRIBUTE = 'expiresAt';
