/**
 * The local account's table as a test reads it: every item autopilot keeps, and a wait for the bake
 * timers to be done. For the end-to-end tests that look at the state autopilot left, not only at
 * what it said.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Sandbox } from '../../sandbox/account';

/** Every item of the sandbox's table, unmarshalled, in scan order. */
export async function tableItems(sandbox: Sandbox): Promise<Record<string, unknown>[]> {
  const client = new DynamoDBClient({
    endpoint: sandbox.runtime.dynamo.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, never> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({ TableName: sandbox.runtime.dynamo.tableName, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return items;
  } finally {
    client.destroy();
  }
}

/**
 * Waits until no bake timer is left (`BAKING` items): every deployment started so far is known good
 * or was let go, and what it was to announce is announced. Ends as soon as that is so.
 *
 * @throws Error when timers are still pending after `timeoutMs`
 */
export async function bakesDone(sandbox: Sandbox, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sandbox.settle();
    if (!(await tableItems(sandbox)).some((item) => item.pk === 'BAKING')) return;
    if (Date.now() > deadline) throw new Error(`bake timers still pending after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
