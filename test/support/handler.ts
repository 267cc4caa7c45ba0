/**
 * Helpers for handler tests: the real-shaped samples in events/ and a Lambda context.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';

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
