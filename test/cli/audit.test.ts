/**
 * `autopilot audit`: the tag policies evaluated on an account's resources, nothing written. The account
 * is the sandbox's control plane on 127.0.0.1 (ECS and ECR with tags on every kind), reached through
 * the endpoints the SDK reads from the environment, as the CLI reaches a deployed stage's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { type Io, main } from '../../cli/autopilot';
import { container, NETWORK, useControlPlane } from '../sandbox/control-plane/support';

const plane = useControlPlane({}, 'all');
const run = (io: Io, ...args: string[]) => main(['node', 'autopilot', ...args], io);

function capture(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

const POLICY = [
  'version: 1',
  'tagPolicies:',
  '  - name: owner',
  '    resources: [ecs:service, ecr:repository]',
  '    required: [owner]',
  '    inherit: { from: { ecs:service: [cluster] } }',
].join('\n');

beforeAll(async () => {
  const { ecs, ecr } = plane();
  const dir = mkdtempSync(join(tmpdir(), 'autopilot-audit-'));
  const policy = join(dir, 'autopilot.yml');
  writeFileSync(policy, POLICY);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_ECS: plane().plane.endpoint,
    AWS_ENDPOINT_URL_ECR: plane().plane.endpoint,
    AUTOPILOT_TABLE: 'ecs-autopilot-test',
    AUTOPILOT_BUS: 'ecs-autopilot-test',
    AUTOPILOT_CONFIG: policy,
  });
  await ecs.send(
    new CreateClusterCommand({ clusterName: 'prod', tags: [{ key: 'owner', value: 'platform' }] }),
  );
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'api',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [container('app', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1')],
    }),
  );
  for (const [name, tags] of [
    ['api', []],
    ['web', [{ key: 'owner', value: 'web-team' }]],
  ] as const)
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'prod',
        serviceName: name,
        taskDefinition: 'api',
        desiredCount: 0,
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
        tags: [...tags],
      }),
    );
  await ecr.send(
    new CreateRepositoryCommand({ repositoryName: 'team/api', tags: [{ Key: 'owner', Value: 'payments' }] }),
  );
});

describe('autopilot audit', () => {
  it('prints every resource the rules select with its status, and exits 1 when one does not comply', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'audit');

    // Assess
    expect(status).toBe(1);
    expect(io.lines[0]).toMatch(/^TYPE +RESOURCE +RULE +MODE +STATUS +DUE +PROBLEMS$/);
    expect(io.lines.slice(1).sort()).toEqual([
      expect.stringMatching(/^ecr:repository +team\/api +owner +audit +compliant +- +-$/),
      expect.stringMatching(/^ecs:service +api +owner +audit +violating +- +owner is missing$/),
      expect.stringMatching(/^ecs:service +web +owner +audit +compliant +- +-$/),
    ]);
    expect(io.errors).toEqual(['3 resources under tag policies: 1 violating, 0 exempt']);
  });

  it('answers one JSON line per resource and rule, of the types asked for, and exits 0 when they comply', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'audit', '--json', '--type', 'ecr:repository');

    // Assess
    expect(status).toBe(0);
    expect(io.lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        type: 'ecr:repository',
        name: 'team/api',
        rule: 'owner',
        status: 'compliant',
      }),
    ]);
  });

  it('says what remediation would add (the value the cluster has), without writing it', async () => {
    // Prepare
    const io = capture();

    // Act
    await run(io, 'audit', '--json', '--type', 'ecs:service');
    const again = capture();
    await run(again, 'audit', '--json', '--type', 'ecs:service');

    // Assess
    expect(io.lines.map((l) => JSON.parse(l)).find((r) => r.name === 'api')).toMatchObject({
      status: 'violating',
      problems: 'owner is missing',
      wouldAdd: 'owner=platform (cluster)',
    });
    expect(again.lines).toEqual(io.lines);
  });

  it('refuses a resource type it does not know', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'audit', '--type', 'ecs:lambda');

    // Assess
    expect(status).toBe(2);
    expect(io.errors[0]).toMatch(/^unknown resource type ecs:lambda \(types: ecs:cluster, /);
  });
});
