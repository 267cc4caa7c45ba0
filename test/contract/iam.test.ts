/**
 * Least privilege, checked: for every function in serverless.yml, the AWS actions its bundle can
 * call (found statically in the sources esbuild bundles for it) are exactly the actions its role
 * grants, and broad resources are used only where AWS offers no resource-level permissions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { readServerlessYml } from '../../tools/serverless-config';

const root = join(__dirname, '..', '..');

/** SDK packages -> IAM service prefix. */
const SERVICE_OF_PACKAGE: Record<string, string> = {
  '@aws-sdk/client-ecs': 'ecs',
  '@aws-sdk/client-ecr': 'ecr',
  '@aws-sdk/client-eventbridge': 'events',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-sns': 'sns',
};

/**
 * lib-dynamodb document commands -> the DynamoDB actions they call. A transaction has no action of
 * its own: each of its items is authorised as the action it is ("Using IAM with DynamoDB
 * transactions", DynamoDB Developer Guide); DynamoTable.transact writes puts and deletes only.
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
  TransactWrite: ['PutItem', 'DeleteItem'],
};

/** Actions AWS checks in addition to the one called. */
const IMPLIED: Record<string, string[]> = {
  // Tags on create need TagResource; the copied revision keeps its task and execution roles.
  'ecs:RegisterTaskDefinition': ['ecs:TagResource', 'iam:PassRole'],
};

/** Libraries whose own AWS calls count too (Powertools idempotency writes its records itself). */
const SCANNED_LIBRARIES = /node_modules\/@aws-lambda-powertools\/[^/]+\/lib\/(esm|cjs)\/.*\.js$/;

/**
 * Actions a bundled library can call only through methods the project never uses. Each names the
 * method calls that would reach it; a test below fails if the project's sources make one.
 */
const UNREACHABLE_LIBRARY_ACTIONS: Record<string, RegExp> = {
  // Powertools SSMProvider: only `get` (GetParameter) is used, never getMultiple, getParametersByName or set.
  'ssm:GetParameters': /\bgetParametersByName\b|\.getMultiple\(/,
  'ssm:GetParametersByPath': /\.getMultiple\(|\bgetParameters\(/,
  'ssm:PutParameter': /\bsetParameter\(|\bssm\w*\.set\(/i,
};

/** Granted to every function for the Lambda runtime itself (logs, traces, OnFailure destination). */
const RUNTIME = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'sqs:SendMessage',
];

/** Actions that AWS does not scope to resources (Service Authorization Reference). */
const UNSCOPABLE = new Set([
  'ecs:DescribeTaskDefinition',
  'ecs:RegisterTaskDefinition',
  'ecs:ListClusters',
  'ecs:ListServices',
  'iam:PassRole',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
]);

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

interface RoleProperties {
  Policies: { PolicyDocument: { Statement: Statement[] } }[];
}

const sls = readServerlessYml(root);
const functionKeys = Object.keys(sls.functions ?? {});

function statementsOf(functionName: string): Statement[] {
  const role = sls.resources?.Resources?.[sls.functions?.[functionName]?.role ?? ''];
  const properties = role?.Properties as RoleProperties | undefined;
  return properties?.Policies.flatMap((p) => p.PolicyDocument.Statement) ?? [];
}

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

/** The inputs esbuild bundles into a function (cached: two tests read them). */
const bundles = new Map<string, Promise<string[]>>();
function bundleInputs(functionName: string): Promise<string[]> {
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
async function calledActions(functionName: string): Promise<Set<string>> {
  const actions = new Set<string>();
  for (const input of await bundleInputs(functionName)) {
    const ours = !input.includes('node_modules') && input.endsWith('.ts');
    if (!ours && !SCANNED_LIBRARIES.test(input)) continue;
    const source = readFileSync(join(root, input), 'utf8');
    const imports = [...source.matchAll(/import\s+\{([^}]*)\}\s+from\s+['"](@aws-sdk\/[a-z-]+)['"]/g)];
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
async function ownSources(functionName: string): Promise<{ file: string; text: string }[]> {
  return (await bundleInputs(functionName))
    .filter((input) => !input.includes('node_modules') && input.endsWith('.ts'))
    .map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
}

describe.each(functionKeys)('IAM role of %s', (functionName) => {
  it('grants exactly the actions the function calls', async () => {
    // Prepare
    const granted = new Set(statementsOf(functionName).flatMap(actionsOf));

    // Act
    const called = await calledActions(functionName);

    // Assess
    const missing = [...called].filter((a) => !granted.has(a));
    const unused = [...granted].filter((a) => !called.has(a) && !RUNTIME.includes(a));
    expect({ missing, unused }).toEqual({ missing: [], unused: [] });
    expect(called.size).toBeGreaterThan(0);
  });

  it('bundles only the SDK clients of the services it calls', async () => {
    // Prepare
    const services = new Set([...(await calledActions(functionName))].map((a) => a.split(':')[0]));

    // Act
    const clients = new Set(
      (await bundleInputs(functionName)).flatMap((i) => /@aws-sdk\/client-([a-z-]+)\//.exec(i)?.[1] ?? []),
    );

    // Assess
    const expected = [...clients].map((c) => SERVICE_OF_PACKAGE[`@aws-sdk/client-${c}`]);
    expect(expected.filter((s) => !services.has(s ?? '')).sort()).toEqual([]);
  });

  it('never calls the library methods whose actions are left ungranted', async () => {
    // Prepare
    const sources = await ownSources(functionName);

    // Act
    const calls = sources.flatMap(({ file, text }) =>
      Object.entries(UNREACHABLE_LIBRARY_ACTIONS).flatMap(([action, call]) =>
        call.test(text) ? [`${file} reaches ${action}`] : [],
      ),
    );

    // Assess
    expect(calls).toEqual([]);
  });

  it('uses Resource "*" only for actions without resource-level permissions', () => {
    // Prepare
    const statements = statementsOf(functionName);

    // Act
    const broad = statements.filter((s) => s.Resource === '*').flatMap(actionsOf);

    // Assess
    expect(broad.filter((a) => !UNSCOPABLE.has(a))).toEqual([]);
  });
});
