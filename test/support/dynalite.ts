/**
 * An in-process DynamoDB (dynalite, in memory) for tests of the DynamoDB adapters: no Docker, no AWS.
 *
 * @example
 * const dynamo = useDynalite();
 * it('…', async () => {
 *   const index = new DynamoServiceIndex(dynamo().tableName, dynamo().client);
 * });
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AUTOPILOT_TABLE_DEFINITION } from '../../shared/adapters/state/table-definition';

/** The part of dynalite's server this helper uses (the package ships no types). */
interface DynaliteServer {
  listen(port: number, host: string, callback: () => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  address(): AddressInfo | string | null;
  closeAllConnections?(): void;
  close(callback: (error?: Error | null) => void): void;
}

/** dynalite's factory: `createTableMs` is how long a new table stays CREATING (500 ms by default). */
type DynaliteFactory = (options?: { createTableMs?: number; deleteTableMs?: number }) => DynaliteServer;

// dynalite is an untyped CommonJS module: typed here by hand rather than with an ambient declaration.
const dynalite = require('dynalite') as DynaliteFactory;

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
 * Creates an autopilot table (see {@link AUTOPILOT_TABLE_DEFINITION}) and waits until it is ACTIVE.
 *
 * @returns the table name
 */
export async function createAutopilotTable(
  client: DynamoDBClient,
  tableName: string = freshTableName(),
): Promise<string> {
  await client.send(new CreateTableCommand({ ...AUTOPILOT_TABLE_DEFINITION, TableName: tableName }));
  for (let attempt = 0; attempt < 100; attempt++) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return tableName;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** Starts dynalite on 127.0.0.1 (random port) and creates the autopilot table. */
export async function startDynalite(options: { tableName?: string } = {}): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite is not listening on TCP');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDDYNALITE', secretAccessKey: 'dynalite' },
    maxAttempts: 1,
  });
  const stop = async () => {
    client.destroy();
    // Keep-alive sockets would hold the server's close until they time out.
    server.closeAllConnections?.();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  };
  try {
    const tableName = await createAutopilotTable(client, options.tableName);
    return { endpoint, client, tableName, stop };
  } catch (error) {
    await stop();
    throw error;
  }
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
