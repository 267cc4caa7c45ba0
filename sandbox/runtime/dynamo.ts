/**
 * The sandbox's DynamoDB: dynalite (a DynamoDB implementation on LevelDB, in memory unless a path is
 * given) on 127.0.0.1, with the autopilot table created from the same definition the tests use.
 *
 * dynalite does not implement UpdateTimeToLive: items with `expiresAt` in the past stay until the
 * sandbox stops, which is harmless for the project (expiry is housekeeping, never logic). Nor does it
 * implement TransactWriteItems: `dynamo-transactions.ts` adds it in front of dynalite.
 */
import type { Server } from 'node:http';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AUTOPILOT_TABLE_DEFINITION } from '../../shared/adapters/state/table-definition';
import { serveWithTransactions } from './dynamo-transactions';
import type { RuntimeFaults } from './faults';
import type { RequestObserver } from './local-http';

/** dynalite's factory: `createTableMs` is how long a new table stays CREATING (500 ms by default). */
type DynaliteFactory = (options?: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}) => Server;

// dynalite is an untyped CommonJS module: typed here by hand rather than with an ambient declaration.
const dynalite = require('dynalite') as DynaliteFactory;

/** Options of {@link startDynamo}. */
export interface DynamoOptions {
  /** the autopilot table's name; `ecs-autopilot-sandbox-table` by default */
  tableName?: string;
  /** the region of the client that creates the table */
  region?: string;
  /** a directory for LevelDB, to keep the state across restarts; in memory by default */
  path?: string;
  /** faults to inject into every operation (rules addressed to `dynamodb`); none by default */
  faults?: RuntimeFaults;
  /** told of every request, by operation (`sandbox/runtime/dynamo-transactions.ts`); none by default */
  observe?: RequestObserver;
}

/** A running dynalite with the autopilot table. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_DYNAMODB` */
  endpoint: string;
  /** the autopilot table (`AUTOPILOT_TABLE`) */
  tableName: string;
  /** Shuts the server down. */
  stop(): Promise<void>;
}

/** The table name of the sandbox stack unless the caller chooses one. */
export const SANDBOX_TABLE_NAME = 'ecs-autopilot-sandbox-table';

/**
 * Starts dynalite on 127.0.0.1 (a free port, with TransactWriteItems added) and creates the autopilot table
 * ({@link AUTOPILOT_TABLE_DEFINITION}); resolves once the table is ACTIVE. With a `path` whose table
 * already exists, the table is kept.
 *
 * @example
 * const dynamo = await startDynamo();
 * process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
 * // …
 * await dynamo.stop();
 */
export async function startDynamo(options: DynamoOptions = {}): Promise<LocalDynamo> {
  const tableName = options.tableName ?? SANDBOX_TABLE_NAME;
  const server = await serveWithTransactions(
    dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: options.path }),
    { faults: options.faults, observe: options.observe },
  );
  const client = new DynamoDBClient({
    endpoint: server.endpoint,
    region: options.region ?? 'eu-west-1',
    credentials: { accessKeyId: 'AKIDSANDBOX', secretAccessKey: 'sandbox' },
    maxAttempts: 1,
  });
  try {
    await createAutopilotTable(client, tableName);
    return { endpoint: server.endpoint, tableName, stop: () => server.close() };
  } catch (error) {
    await server.close();
    throw error;
  } finally {
    client.destroy();
  }
}

/**
 * Creates the autopilot table ({@link AUTOPILOT_TABLE_DEFINITION}) named `tableName`, unless it exists
 * already, and waits until it is ACTIVE.
 *
 * @returns `tableName`
 */
export async function createAutopilotTable(client: DynamoDBClient, tableName: string): Promise<string> {
  try {
    await client.send(new CreateTableCommand({ ...AUTOPILOT_TABLE_DEFINITION, TableName: tableName }));
  } catch (error) {
    // A persistent path from an earlier run already holds the table.
    if ((error as Error).name !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return tableName;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}
