/**
 * `serverless package` (and so `npm run package` and `serverless deploy`) builds before it zips: on a
 * fresh clone, with no .build/, every function's zip holds its bundle, and a policy file with errors
 * fails the package with its line and field. Runs the real framework (osls) in a copy of the project,
 * offline and with dummy credentials, so the shared .build/ and .serverless/ are never touched.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { functionKeys, readServerlessYml } from '../../tools/serverless-config';
import { calledActions, RUNTIME, SQS_EVENT_SOURCE } from '../support/bundle-calls';
import {
  type CfnResource,
  listOf,
  referenceProblems,
  resolveTemplate,
  roleStatements,
  SAMPLE,
  statementsOf,
} from '../support/iam-policy';

const root = join(__dirname, '..', '..');

/** What `serverless package` needs from the project; no .build/ and no .serverless/. */
const PROJECT_FILES = [
  'serverless.yml',
  'autopilot.yml',
  'package.json',
  'tsconfig.json',
  'bin',
  'cli',
  'functions',
  'shared',
  'scripts',
  'tools',
];

const tempDirs: string[] = [];

function freshClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-package-'));
  tempDirs.push(dir);
  for (const file of PROJECT_FILES) cpSync(join(root, file), join(dir, file), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

interface Run {
  code: number;
  output: string;
}

function serverlessPackage(dir: string): Promise<Run> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'ci',
    AWS_SECRET_ACCESS_KEY: 'ci',
    AWS_REGION: 'eu-west-1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  const cli = join(dir, 'node_modules', 'osls', 'bin', 'serverless.js');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, 'package'],
      { cwd: dir, env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, output: `${stdout}\n${stderr}` });
      },
    );
  });
}

/** Names of the entries of a zip file, from its central directory. */
function zipEntries(file: string): string[] {
  const zip = readFileSync(file);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error(`${file}: not a zip file`);
  const count = zip.readUInt16LE(eocd + 10);
  let offset = zip.readUInt32LE(eocd + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    names.push(zip.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

function zipsIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.zip')) : [];
}

const keys = functionKeys(root);
/** Whether a function's trigger is an SQS queue, which its event source mapping reads with its role. */
const readsQueue = (key: string) =>
  (readServerlessYml(root).functions?.[key]?.events ?? []).some((e) => 'sqs' in (e as object));

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('serverless package', () => {
  let clone: string;
  let run: Run;

  beforeAll(async () => {
    clone = freshClone();
    run = await serverlessPackage(clone);
  }, 180_000);

  it('builds first: on a fresh clone every function zip holds its bundle, the tracer and RE2 beside it and the policy file as the build validated it', () => {
    // Prepare
    const expected = keys.map((key) => ({
      key,
      entries: expect.arrayContaining([
        `.build/${key}/index.js`,
        '.build/tracing.js',
        '.build/re2.js',
        '.build/autopilot.json',
      ]),
    }));

    // Act
    const zips = keys.map((key) => ({
      key,
      entries: zipEntries(join(clone, '.serverless', `${key}.zip`)),
    }));

    // Assess
    expect(run).toMatchObject({ code: 0 });
    expect(zips).toEqual(expected);
  });

  it('says where the artifacts are', () => {
    // Prepare
    const zipNames = keys.map((key) => `${key}.zip`);

    // Act
    const line = run.output.split('\n').find((l) => l.startsWith('artifacts in .serverless/:')) ?? '';

    // Assess
    for (const zip of zipNames) expect(line).toContain(zip);
    expect(line).toContain('cloudformation-template-update-stack.json');
  });

  describe('the packaged template', () => {
    const templateOf = () =>
      JSON.parse(
        readFileSync(join(clone, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8'),
      ) as { Resources: Record<string, CfnResource> };
    /** function key -> the logical id of its role, from the Lambda functions of the template */
    const rolesOf = (resources: Record<string, CfnResource>) =>
      Object.fromEntries(
        Object.values(resources)
          .filter((r) => r.Type === 'AWS::Lambda::Function')
          .map((r) => {
            const name = String(r.Properties?.FunctionName).replace(`ecs-autopilot-${SAMPLE.stage}-`, '');
            const role =
              (r.Properties?.Role as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0] ?? '';
            return [name, role];
          }),
      );

    it('grants each role exactly what its bundle calls, valid by the IAM reference', async () => {
      // Prepare
      const { Resources } = templateOf();
      const roles = rolesOf(Resources);

      // Act
      const found = await Promise.all(
        keys.map(async (key) => {
          const statements = roleStatements(Resources, roles[key] ?? '');
          const granted = new Set(statements.flatMap((s) => listOf(s.Action)));
          const called = await calledActions(key);
          return {
            key,
            missing: [...called].filter((a) => !granted.has(a)),
            unused: [...granted].filter(
              (a) =>
                !called.has(a) && !RUNTIME.includes(a) && !(readsQueue(key) && SQS_EVENT_SOURCE.includes(a)),
            ),
            problems: await referenceProblems(statements),
          };
        }),
      );

      // Assess
      expect(found).toEqual(keys.map((key) => ({ key, missing: [], unused: [], problems: [] })));
    });

    it("lets exactly this stage's rules with the dead-letter queue send to it", () => {
      // Prepare
      const { Resources } = templateOf();
      const context = { resources: Resources, params: {} };
      const queue = resolveTemplate({ 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }, context);

      // Act
      const rules = Object.values(Resources)
        .filter((r) => r.Type === 'AWS::Events::Rule')
        .map((r) => resolveTemplate(r.Properties, context) as Record<string, unknown>)
        .filter((p) =>
          (p.Targets as { DeadLetterConfig?: { Arn?: string } }[]).some(
            (t) => t.DeadLetterConfig?.Arn === queue,
          ),
        )
        .map((p) => {
          const bus = p.EventBusName === undefined ? '' : `${p.EventBusName}/`;
          return `arn:aws:events:${SAMPLE.region}:${SAMPLE.account}:rule/${bus}${p.Name}`;
        });
      const policy = resolveTemplate(Resources.DeadLetterQueuePolicy?.Properties?.PolicyDocument, context);
      const allowed = statementsOf(policy).flatMap((s) => listOf(s.Condition?.ArnEquals?.['aws:SourceArn']));

      // Assess
      expect(rules.length).toBeGreaterThan(0);
      expect(allowed.sort()).toEqual(rules.sort());
    });
  });

  it('fails on a policy file with errors, printing its line and field, and packages nothing', async () => {
    // Prepare
    const broken = freshClone();
    const lines = readFileSync(join(broken, 'autopilot.yml'), 'utf8').split('\n');
    const index = lines.findIndex((l) => /^\s+minImageAge:/.test(l));
    const column = (lines[index] ?? '').search(/\S/) + 1;
    lines[index] = (lines[index] ?? '').replace('minImageAge', 'minImageAg');
    writeFileSync(join(broken, 'autopilot.yml'), lines.join('\n'));

    // Act
    const result = await serverlessPackage(broken);

    // Assess
    expect(index).toBeGreaterThanOrEqual(0);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain(`autopilot.yml:${index + 1}:${column}`);
    expect(result.output).toMatch(/policies\.\w+: Unrecognized key: "minImageAg"/);
    expect(zipsIn(join(broken, '.serverless'))).toEqual([]);
    expect(existsSync(join(broken, '.build'))).toBe(false);
  }, 180_000);
});
