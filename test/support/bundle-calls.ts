/**
 * The AWS actions a function can call, found statically in what esbuild bundles for it: the SDK
 * commands its sources (and the Powertools libraries it bundles) construct. The IAM contract test
 * (serverless.yml) and the packaging test (the packaged template) both compare a role's grants with
 * this, so a role holds exactly what its bundle calls.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(__dirname, '..', '..');

/** SDK packages -> IAM service prefix. */
export const SERVICE_OF_PACKAGE: Record<string, string> = {
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/client-ec2': 'ec2',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-sns': 'sns',
};

/**
 * lib-dynamodb document commands -> the DynamoDB actions they call. A transaction has no action of
 * its own: each of its items is authorised as the action it is ("Using IAM with DynamoDB
 * transactions", DynamoDB Developer Guide); DynamoTable.transact writes puts, deletes and updates.
 */
const DOCUMENT_COMMANDS: Record<string, string | string[]> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Delete: 'DeleteItem',
  Update: 'UpdateItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactWrite: ['PutItem', 'DeleteItem', 'UpdateItem'],
};

/** Actions AWS checks in addition to the one called. */
const IMPLIED: Record<string, string[]> = {
  // Tags on create need TagResource; the copied revision keeps its task and execution roles.
  'ecs:RegisterTaskDefinition': ['ecs:TagResource', 'iam:PassRole'],
  // The same for a task started with tags and the roles of its task definition.
  'ecs:RunTask': ['ecs:TagResource', 'iam:PassRole'],
};

/** Libraries whose own AWS calls count too (Powertools idempotency writes its records itself). */
const SCANNED_LIBRARIES = /node_modules\/@aws-lambda-powertools\/[^/]+\/lib\/(esm|cjs)\/.*\.js$/;

/**
 * Actions a bundled library can call only through methods the project never uses. Each names the
 * method calls that would reach it; the IAM test fails if the project's sources make one.
 */
export const UNREACHABLE_LIBRARY_ACTIONS: Record<string, RegExp> = {
  // Powertools SSMProvider: only `get` (GetParameter) is used, never getMultiple, getParametersByName or set.
  'ssm:GetParameters': /\bgetParametersByName\b|\.getMultiple\(/,
  'ssm:GetParametersByPath': /\.getMultiple\(|\bgetParameters\(/,
  'ssm:PutParameter': /\bsetParameter\(|\bssm\w*\.set\(/i,
};

/** Granted to every function for the Lambda runtime itself (logs, traces, OnFailure destination). */
export const RUNTIME = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'sqs:SendMessage',
];

/**
 * Granted to a function whose trigger is an SQS queue: Lambda's event source mapping reads and deletes
 * the messages with the function's role (restart-due and the restart delay queue).
 */
export const SQS_EVENT_SOURCE = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

/** The inputs esbuild bundles into a function (cached per process: several tests read them). */
const bundles = new Map<string, Promise<string[]>>();

/** The files esbuild bundles into `functions/<key>.ts`, relative to the repository root. */
export function bundleInputs(functionName: string): Promise<string[]> {
  let inputs = bundles.get(functionName);
  if (!inputs) {
    inputs = bundleOf(functionName);
    bundles.set(functionName, inputs);
  }
  return inputs;
}

async function bundleOf(functionName: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(root, 'functions', `${functionName}.ts`)],
    bundle: true,
    platform: 'node',
    write: false,
    metafile: true,
    logLevel: 'silent',
    mainFields: ['main'],
  });
  return Object.keys(result.metafile.inputs);
}

/** The AWS actions called by the project sources and libraries bundled into a function. */
export async function calledActions(functionName: string): Promise<Set<string>> {
  const actions = new Set<string>();
  for (const input of await bundleInputs(functionName)) {
    const ours = !input.includes('node_modules') && input.endsWith('.ts');
    if (!ours && !SCANNED_LIBRARIES.test(input)) continue;
    const source = readFileSync(join(root, input), 'utf8');
    const imports = [
      ...source.matchAll(/import\s+\{([^}]*)\}\s+from\s+['"](@aws-sdk\/[a-z0-9-]+)['"]/g),
      // A client loaded when first used: `const { …Command } = await import('@aws-sdk/client-…')`.
      ...source.matchAll(/const\s+\{([^}]*)\}\s*=\s*await\s+import\(\s*['"](@aws-sdk\/[a-z0-9-]+)['"]\s*\)/g),
    ];
    for (const [, names = '', pkg = ''] of imports) {
      const service = SERVICE_OF_PACKAGE[pkg];
      if (!service) continue;
      for (const raw of names.split(',')) {
        const name = raw.replace(/^\s*type\s+/, '').trim();
        const used = new RegExp(`\\b(new\\s+${name}\\b|${name}\\()`).test(source);
        if (!used) continue;
        const command = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1];
        if (!command) continue;
        const action = pkg === '@aws-sdk/lib-dynamodb' ? (DOCUMENT_COMMANDS[command] ?? command) : command;
        for (const each of [action].flat()) actions.add(`${service}:${each}`);
      }
    }
  }
  for (const action of [...actions]) for (const implied of IMPLIED[action] ?? []) actions.add(implied);
  for (const action of Object.keys(UNREACHABLE_LIBRARY_ACTIONS)) actions.delete(action);
  return actions;
}

/** The project's own sources bundled into a function. */
export async function ownSources(functionName: string): Promise<{ file: string; text: string }[]> {
  return (await bundleInputs(functionName))
    .filter((input) => !input.includes('node_modules') && input.endsWith('.ts'))
    .map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
}
