/**
 * Helpers for handler tests: the real-shaped samples in events/ and a Lambda context.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { DynamoConfigurationProblems } from '../../shared/adapters/state/dynamo-configuration-problems';
import { DynamoDeploymentHistory } from '../../shared/adapters/state/dynamo-deployment-history';
import { DynamoPendingPushes } from '../../shared/adapters/state/dynamo-pending-pushes';
import { DynamoServiceIndex } from '../../shared/adapters/state/dynamo-service-index';
import { clearTable, type Dynalite, startDynalite } from './dynalite';

/** A deep copy of a sample event from events/, so tests can change it freely. */
export function sampleEvent<T = Record<string, unknown>>(name: string): T {
  return structuredClone(
    JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', `${name}.json`), 'utf8')) as T,
  );
}

/** A Lambda context for one invocation of `functionName`. */
export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/23/[$LATEST]test',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } satisfies Context;
}

/** A Lambda handler as tests call it. */
// biome-ignore lint/suspicious/noExplicitAny: tests assert on the results field by field
export type TestHandler = (event: unknown, context: Context) => Promise<any>;

/** Loads a function's handler module (after the test set its environment). */
export async function loadHandler(functionName: string): Promise<TestHandler> {
  const module = (await import(join(__dirname, '..', '..', 'functions', `${functionName}.ts`))) as {
    handler: (event: unknown, context: Context) => Promise<unknown>;
  };
  return (event, context) => module.handler(event, context);
}

/** A function under test with its own table in dynalite, cleared before each test. */
export interface FunctionUnderTest {
  handler: TestHandler;
  dynamo: Dynalite;
  /** the state ports the tests seed and inspect, on the function's table */
  state: {
    index: DynamoServiceIndex;
    problems: DynamoConfigurationProblems;
    pending: DynamoPendingPushes;
    history: DynamoDeploymentHistory;
  };
}

/**
 * Jest hooks for a handler test: dynalite on 127.0.0.1 with the autopilot table, the environment the
 * function has in AWS (table, bus), the handler module loaded once, and an empty table per test.
 */
export function useFunctionUnderTest(functionName: string): FunctionUnderTest {
  const world = {} as FunctionUnderTest;
  beforeAll(async () => {
    world.dynamo = await startDynalite();
    const { tableName, client } = world.dynamo;
    world.state = {
      index: new DynamoServiceIndex(tableName, client),
      problems: new DynamoConfigurationProblems(tableName, client),
      pending: new DynamoPendingPushes(tableName, client),
      history: new DynamoDeploymentHistory(tableName, client),
    };
    process.env.AWS_ENDPOINT_URL_DYNAMODB = world.dynamo.endpoint;
    process.env.AUTOPILOT_TABLE = world.dynamo.tableName;
    process.env.AUTOPILOT_BUS = 'ecs-autopilot-test';
    world.handler = await loadHandler(functionName);
  });
  afterAll(async () => {
    await world.dynamo.stop();
  });
  beforeEach(async () => {
    await clearTable(world.dynamo.client, world.dynamo.tableName);
  });
  return world;
}
