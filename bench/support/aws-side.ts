/**
 * The AWS side of bench/handler-cpu.bench.ts, in a process of its own so its CPU is not counted as
 * the handlers': the sandbox's local account (the control plane's ECS and ECR, dynalite with the
 * table, EventBridge, SQS, Parameter Store, Secrets Manager, SNS, the chat sink), seeded with its
 * small account, its own functions reacting on its bus to what the measured handlers publish.
 *
 * Started with `fork` (IPC): sends `{ environments }`, each function's environment as serverless.yml
 * gives it in the sandbox (endpoints, table, bus, queue, policy file), once the account has settled;
 * stops when the parent disconnects.
 */
import { resolve } from 'node:path';
import { ACCOUNT, seedAccount, startSandbox } from '../../sandbox/account';
import { sandboxEnvironment } from '../../sandbox/runtime/functions';
import { readServerlessConfig } from '../../tools/serverless-config';

/** What the AWS side sends once it is ready. */
export interface AwsSideReady {
  /** function key → its environment */
  environments: Record<string, Record<string, string | undefined>>;
}

const ROOT = resolve(__dirname, '..', '..');
const POLICY_FILE = resolve(ROOT, 'sandbox', 'autopilot.yml');
const REGION = 'eu-west-1';

async function main(): Promise<void> {
  const sandbox = await startSandbox({ source: 'typescript', policyFile: POLICY_FILE });
  const stop = async () => {
    await sandbox.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  await seedAccount(sandbox);
  await sandbox.settle(120_000);

  // The environment the sandbox gives its functions, computed as startRuntime does, from its servers.
  const { runtime, plane } = sandbox;
  const config = readServerlessConfig(ROOT, {
    region: REGION,
    params: { dryRun: 'false', logLevel: 'SILENT' },
  });
  const queues = Object.fromEntries(
    Object.entries(config.queues).flatMap(([id, name]) => {
      const queue = runtime.queues.get(name);
      return queue ? [[id, { url: queue.url, arn: queue.arn }]] : [];
    }),
  );
  const resources = {
    tables: Object.fromEntries(config.tables.map((id) => [id, runtime.dynamo.tableName])),
    buses: config.buses,
    queues,
    account: ACCOUNT,
    region: REGION,
  };
  const endpoints = {
    ecs: plane.endpoint,
    ecr: plane.endpoint,
    dynamodb: runtime.dynamo.endpoint,
    eventbridge: runtime.eventsEndpoint,
    sqs: runtime.sqsEndpoint,
    ssm: runtime.ssmEndpoint,
    secretsManager: runtime.secretsManagerEndpoint,
    sns: runtime.snsEndpoint,
  };
  const environments = Object.fromEntries(
    config.functions.map((definition) => [
      definition.name,
      sandboxEnvironment({ root: ROOT, definition, resources, endpoints, policyFile: POLICY_FILE }),
    ]),
  );
  process.send?.({ environments } satisfies AwsSideReady);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `aws side: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
