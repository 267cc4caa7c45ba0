/**
 * Where the operator commands act: a stage, the running sandbox, or the names in the environment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTarget } from '../../cli/target';
import { ConfigError } from '../../shared/errors';

const dir = mkdtempSync(join(tmpdir(), 'autopilot-target-'));
const context = (env: NodeJS.ProcessEnv) => ({ root: dir, service: 'ecs-autopilot', env });

/** An address file of a sandbox run by `pid`. */
function sandboxFile(name: string, pid: number): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({ url: 'http://127.0.0.1:1', pid, environment: { AUTOPILOT_TABLE: 'local-table' } }),
  );
  return file;
}

describe('resolveTarget', () => {
  it('names the resources of a deployed stage after it', () => {
    // Prepare
    const env = {};

    // Act
    const target = resolveTarget({ stage: 'prod', region: 'eu-central-1' }, context(env));

    // Assess
    expect(target).toMatchObject({
      kind: 'stage',
      environment: {
        AUTOPILOT_TABLE: 'ecs-autopilot-prod',
        AUTOPILOT_BUS: 'ecs-autopilot-prod',
        AWS_REGION: 'eu-central-1',
      },
    });
  });

  it('takes the region of a stage from AWS_REGION, and asks for it when there is none', () => {
    // Prepare
    const withRegion = { AWS_REGION: 'us-east-1' };

    // Act
    const target = resolveTarget({ stage: 'dev' }, context(withRegion));

    // Assess
    expect(target.environment.AWS_REGION).toBe('us-east-1');
    expect(() => resolveTarget({ stage: 'dev' }, context({}))).toThrow(/--region/);
  });

  it('refuses a stage name that cannot be part of a table name', () => {
    // Prepare
    const env = { AWS_REGION: 'eu-west-1' };

    // Act
    const act = () => resolveTarget({ stage: 'prod;rm' }, context(env));

    // Assess
    expect(act).toThrow(ConfigError);
  });

  it('uses AUTOPILOT_TABLE and AUTOPILOT_BUS as given, before a running sandbox', () => {
    // Prepare
    const env = {
      AUTOPILOT_TABLE: 't',
      AUTOPILOT_BUS: 'b',
      AUTOPILOT_SANDBOX_CONTROL: sandboxFile('running.json', process.pid),
    };

    // Act
    const target = resolveTarget({}, context(env));

    // Assess
    expect(target.kind).toBe('environment');
  });

  it('says which name is missing when only one is set', () => {
    // Prepare
    const env = { AUTOPILOT_TABLE: 't' };

    // Act
    const act = () => resolveTarget({}, context(env));

    // Assess
    expect(act).toThrow(/set AUTOPILOT_BUS too/);
  });

  it('finds the running sandbox by itself, with its names and endpoints', () => {
    // Prepare
    const env = { AUTOPILOT_SANDBOX_CONTROL: sandboxFile('alive.json', process.pid) };

    // Act
    const target = resolveTarget({}, context(env));

    // Assess
    expect(target.kind).toBe('sandbox');
    expect(target.environment).toMatchObject({ AUTOPILOT_TABLE: 'local-table', AWS_PROFILE: undefined });
  });

  it('ignores the address file of a sandbox that is gone, and says what to set', () => {
    // Prepare: a pid no process has (above the kernel's maximum)
    const env = { AUTOPILOT_SANDBOX_CONTROL: sandboxFile('stale.json', 2 ** 30) };

    // Act
    const act = () => resolveTarget({}, context(env));

    // Assess
    expect(act).toThrow(/--stage <stage> --region <region>.*npm start.*AUTOPILOT_TABLE and AUTOPILOT_BUS/);
    expect(() => resolveTarget({ sandbox: true }, context(env))).toThrow(/no sandbox is running/);
  });

  it('refuses --stage with --sandbox', () => {
    // Prepare
    const env = {};

    // Act
    const act = () => resolveTarget({ stage: 'prod', sandbox: true }, context(env));

    // Assess
    expect(act).toThrow(/either --stage or --sandbox/);
  });
});
