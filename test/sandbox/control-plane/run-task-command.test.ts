/**
 * `autopilot sandbox run-task` through the control endpoint: a RunTask as a person makes it, on the
 * sandbox's network, with the fate asked for its tasks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  RegisterTaskDefinitionCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { type Io, main } from '../../../cli/autopilot';
import { SANDBOX_NETWORK, type Sandbox } from '../../../sandbox/account';
import { OOM_REASON, SPOT_INTERRUPTION_REASON } from '../../../sandbox/control-plane';
import { ControlRequestSchema, serveControl } from '../../../sandbox/control-server';
import { REGISTRY, useControlPlane } from './support';

function capture(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

const harness = useControlPlane({}, 'all');
const dir = mkdtempSync(join(tmpdir(), 'control-run-task-'));
let stop: () => Promise<void>;
const previous = process.env.AUTOPILOT_SANDBOX_CONTROL;

beforeAll(async () => {
  const { plane, ecs, ecr } = harness();
  const file = join(dir, 'control.json');
  process.env.AUTOPILOT_SANDBOX_CONTROL = file;
  const runtime = { operatorEnvironment: () => ({}) };
  stop = await serveControl({ plane, runtime, ecs } as unknown as Sandbox, dir, file);
  await ecs.send(new CreateClusterCommand({ clusterName: 'staging' }));
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/worker' }));
  plane.pushImage('team/worker', 'stable');
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'worker',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: `${REGISTRY}/team/worker:stable`, essential: true }],
      tags: [{ key: 'team', value: 'worker' }],
    }),
  );
});

afterAll(async () => {
  await stop();
  if (previous === undefined) delete process.env.AUTOPILOT_SANDBOX_CONTROL;
  else process.env.AUTOPILOT_SANDBOX_CONTROL = previous;
  rmSync(dir, { recursive: true, force: true });
});

/** Waits for the task to stop and describes it with its tags. */
async function stopped(taskArn: string): Promise<Task> {
  const { plane, ecs } = harness();
  await plane.waitForEvent((e) => e.detail.taskArn === taskArn && e.detail.lastStatus === 'STOPPED');
  const out = await ecs.send(
    new DescribeTasksCommand({ cluster: 'staging', tasks: [taskArn], include: ['TAGS'] }),
  );
  return out.tasks?.[0] ?? {};
}

describe('autopilot sandbox run-task', () => {
  it('runs a task that exits 1, on the sandbox network, with its tags and the family tags', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await main(
      [
        'node',
        'autopilot',
        'sandbox',
        'run-task',
        'staging',
        'worker',
        '--exit',
        '1',
        '--tag',
        'autopilot:restart=on-failure',
      ],
      io,
    );
    const answer = JSON.parse(io.lines[0] ?? '{}') as { tasks: string[] };
    const task = await stopped(answer.tasks[0] ?? '');

    // Assess
    expect(status).toBe(0);
    expect(task).toMatchObject({
      launchType: 'FARGATE',
      stopCode: 'EssentialContainerExited',
      containers: [expect.objectContaining({ exitCode: 1 })],
    });
    expect(task.tags).toEqual(
      expect.arrayContaining([
        { key: 'autopilot:restart', value: 'on-failure' },
        { key: 'team', value: 'worker' },
      ]),
    );
    expect(task.attachments?.[0]?.details).toContainEqual({
      name: 'subnetId',
      value: SANDBOX_NETWORK.awsvpcConfiguration.subnets[0],
    });
  });

  it('runs an OOM-killed task, and a Spot one on FARGATE_SPOT', async () => {
    // Prepare
    const oomIo = capture();
    const spotIo = capture();

    // Act
    await main(['node', 'autopilot', 'sandbox', 'run-task', 'staging', 'worker:1', '--oom'], oomIo);
    await main(['node', 'autopilot', 'sandbox', 'run-task', 'staging', 'worker', '--spot'], spotIo);
    const oom = await stopped((JSON.parse(oomIo.lines[0] ?? '{}') as { tasks: string[] }).tasks[0] ?? '');
    const spot = await stopped((JSON.parse(spotIo.lines[0] ?? '{}') as { tasks: string[] }).tasks[0] ?? '');

    // Assess
    expect(oom.containers?.[0]).toMatchObject({ exitCode: 137, reason: OOM_REASON });
    expect(spot).toMatchObject({
      capacityProviderName: 'FARGATE_SPOT',
      stopCode: 'SpotInterruption',
      stoppedReason: SPOT_INTERRUPTION_REASON,
    });
  });

  it('refuses two fates, or an unknown reason to fail, before calling the sandbox', async () => {
    // Prepare
    const both = capture();
    const why = capture();
    const calls = harness().plane.calls.length;

    // Act
    const twice = await main(
      ['node', 'autopilot', 'sandbox', 'run-task', 'staging', 'worker', '--oom', '--spot'],
      both,
    );
    const unknown = await main(
      ['node', 'autopilot', 'sandbox', 'run-task', 'staging', 'worker', '--fail-to-start', 'gremlins'],
      why,
    );

    // Assess
    expect([twice, unknown]).toEqual([2, 2]);
    expect(both.errors).toEqual(['give at most one of --exit, --oom, --fail-to-start, --spot']);
    expect(why.errors[0]).toMatch(/^--fail-to-start takes image, resource-initialization, capacity/);
    expect(harness().plane.calls.length).toBe(calls);
    expect(
      ControlRequestSchema.safeParse({
        op: 'run-task',
        cluster: 'staging',
        taskDefinition: 'worker',
        fate: { kind: 'exit', exitCode: 300 },
      }).success,
    ).toBe(false);
  });
});
