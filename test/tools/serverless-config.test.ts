/**
 * The one reader of serverless.yml: the build, the routes, the sandbox and the contract tests see the
 * same functions, and the sandbox gets them resolved for its stage.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadRoutes } from '../../tools/eventbridge/routing';
import { functionKeys, readServerlessConfig, readServerlessYml } from '../../tools/serverless-config';

const root = join(__dirname, '..', '..');

describe('readServerlessYml', () => {
  it('keeps CloudFormation intrinsics as their long form', () => {
    // Prepare
    const sls = readServerlessYml(root);

    // Act
    const table = sls.provider?.environment?.AUTOPILOT_TABLE;
    const onFailure = sls.functions?.['deploy-on-push']?.destinations?.onFailure;

    // Assess
    expect(table).toEqual({ Ref: 'AutopilotTable' });
    expect(onFailure).toEqual({ type: 'sqs', arn: { 'Fn::GetAtt': 'DeadLetterQueue.Arn' } });
  });

  it('keeps Serverless Framework variables as written', () => {
    // Prepare
    const sls = readServerlessYml(root);

    // Act
    const dryRun = sls.provider?.environment?.AUTOPILOT_DRY_RUN;

    // Assess
    expect(dryRun).toMatch(/^\$\{param:dryRun\}$/);
  });
});

describe('functionKeys', () => {
  it('names the same functions as the routes, the sandbox and the handlers in functions/', () => {
    // Prepare
    const handlers = readdirSync(join(root, 'functions'))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.replace(/\.ts$/, ''))
      .sort();

    // Act
    const keys = functionKeys(root);

    // Assess
    expect([...keys].sort()).toEqual(handlers);
    expect(loadRoutes(root).map((r) => r.functionName)).toEqual(keys);
    expect(readServerlessConfig(root).functions.map((f) => f.name)).toEqual(keys);
  });
});

describe('readServerlessConfig', () => {
  it('resolves the schedule rules of the sandbox stage', () => {
    // Prepare
    const config = readServerlessConfig(root);

    // Act
    const byFunction = config.functions
      .flatMap((f) => f.schedules)
      .map((s) => [s.functionName, s.ruleName, s.expression]);

    // Assess
    expect(byFunction).toEqual([
      ['deploy-due', 'ecs-autopilot-sandbox-deploy-due', 'rate(1 minute)'],
      ['index-services', 'ecs-autopilot-sandbox-reconcile', 'rate(10 minutes)'],
      ['bake-timer', 'ecs-autopilot-sandbox-bake-timer', 'rate(1 minute)'],
      ['notify', 'ecs-autopilot-sandbox-notify-flush', 'rate(1 minute)'],
      ['tag-policies', 'ecs-autopilot-sandbox-tag-sweep', 'rate(15 minutes)'],
    ]);
  });

  it("resolves parameters, the caller's overrides last", () => {
    // Prepare
    const options = { params: { dryRun: 'true' } };

    // Act
    const config = readServerlessConfig(root, options);

    // Assess
    expect(config.params.dryRun).toBe('true');
    expect(config.functions[0]?.environment.AUTOPILOT_DRY_RUN).toBe('true');
    expect(readServerlessConfig(root).functions[0]?.environment.AUTOPILOT_DRY_RUN).toBe('false');
  });
});
