/**
 * An in-process DynamoDB (dynalite, in memory) for tests of the DynamoDB adapters: no Docker, no AWS.
 *
 * @example
 * const dynamo = useDynalite();
 * it('…', async () => {
 *   const index = new DynamoServiceIndex(dynamo().tableName, dynamo().client);
 * });
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAutopilotTable as createTable, startDynamo } from '../../sandbox/runtime/dynamo';

/** A running dynalite with the autopilot table created. */
export interface Dynalite {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** A client for the endpoint (region eu-west-1, fake static credentials). */
  client: DynamoDBClient;
  /** The autopilot table created at start. */
  tableName: string;
  /** Destroys the client and shuts the server down. */
  stop(): Promise<void>;
}

/** A table name no other test uses, e.g. `autopilot-k3j9x0q2`. */
export function freshTableName(prefix = 'autopilot'): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Creates an autopilot table (see `AUTOPILOT_TABLE_DEFINITION`) and waits until it is ACTIVE.
 *
 * @returns the table name
 */
export function createAutopilotTable(
  client: DynamoDBClient,
  tableName: string = freshTableName(),
): Promise<string> {
  return createTable(client, tableName);
}

/** Starts dynalite on 127.0.0.1 (random port) with the autopilot table, as the sandbox does. */
export async function startDynalite(options: { tableName?: string } = {}): Promise<Dynalite> {
  const dynamo = await startDynamo({ tableName: options.tableName ?? freshTableName() });
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDDYNALITE', secretAccessKey: 'dynalite' },
    maxAttempts: 1,
  });
  const stop = async () => {
    client.destroy();
    await dynamo.stop();
  };
  return { endpoint: dynamo.endpoint, client, tableName: dynamo.tableName, stop };
}

/**
 * Runs dynalite for the current test file: starts it in `beforeAll`, stops it in `afterAll`.
 *
 * @returns a getter for the running instance (only valid inside hooks and tests)
 */
export function useDynalite(options: { tableName?: string } = {}): () => Dynalite {
  let instance: Dynalite | undefined;
  beforeAll(async () => {
    instance = await startDynalite(options);
  });
  afterAll(async () => {
    await instance?.stop();
    instance = undefined;
  });
  return () => {
    if (!instance) throw new Error('dynalite is not running: call the getter inside a test or hook');
    return instance;
  };
}

/**
 * Deletes every item of a table, so that tests sharing one table (and one handler module, which
 * reads its table name once) start from nothing.
 */
export async function clearTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { ScanCommand, BatchWriteItemCommand } = await import('@aws-sdk/client-dynamodb');
  let start: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    const keys = (page.Items ?? []).map((item) => ({ pk: item.pk, sk: item.sk }));
    for (let i = 0; i < keys.length; i += 25) {
      await client.send(
        new BatchWriteItemCommand({
          RequestItems: {
            [tableName]: keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key: Key as never } })),
          },
        }),
      );
    }
    start = page.LastEvaluatedKey;
  } while (start);
}
