/**
 * A small HTTP endpoint on 127.0.0.1 through which `autopilot sandbox …` (from another terminal)
 * acts on the running local account: push an image, tag a service, run a standalone task (with a fate:
 * exit n, OOM, Spot interruption, failing to start), stop a task, inject faults (into
 * both halves: ECS and ECR, DynamoDB, EventBridge, SQS, SSM, Secrets Manager), set the
 * state of a CloudWatch alarm, sweep the account's tag policies. Its address is
 * written to `.sandbox/control.json` while the sandbox runs.
 */

import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import {
  DescribeTaskDefinitionCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
} from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { type SandboxControl, sandboxControlFile } from '../cli/target';
import { SANDBOX_NETWORK, type Sandbox, sweepTagPolicies, tagService } from './account';
import { FAIL_TO_START_CAUSES, type TaskFate } from './control-plane';
import { FAULT_KINDS } from './faults';

/** A request to the control endpoint. */
export const ControlRequestSchema = z.discriminatedUnion('op', [
  z.strictObject({
    op: z.literal('push'),
    repository: z.string().min(1),
    tag: z.string().min(1),
    behaviour: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('healthy') }),
        z.strictObject({ kind: z.literal('crash'), exitCode: z.number().int().optional() }),
        z.strictObject({ kind: z.literal('unhealthy') }),
        z.strictObject({ kind: z.literal('exit'), exitCode: z.number().int() }),
      ])
      .optional(),
    /** the region ECR replicated the image from: "ECR Replication Action" instead of a push */
    replicatedFrom: z
      .string()
      .regex(/^[a-z]{2,}(?:-[a-z]+)+-\d{1,2}$/, 'expected an AWS region such as us-east-1')
      .optional(),
  }),
  z.strictObject({
    op: z.literal('tag'),
    cluster: z.string(),
    service: z.string(),
    tags: z.record(z.string(), z.string()),
  }),
  z.strictObject({ op: z.literal('stop-task'), cluster: z.string(), service: z.string().optional() }),
  z.strictObject({
    op: z.literal('run-task'),
    cluster: z.string().min(1),
    taskDefinition: z.string().min(1),
    fate: z
      .discriminatedUnion('kind', [
        z.strictObject({ kind: z.literal('exit'), exitCode: z.number().int().min(0).max(255) }),
        z.strictObject({ kind: z.literal('oom') }),
        z.strictObject({ kind: z.literal('spot') }),
        z.strictObject({ kind: z.literal('fail-to-start'), cause: z.enum(FAIL_TO_START_CAUSES) }),
      ])
      .optional(),
    tags: z.record(z.string(), z.string()).optional(),
    count: z.number().int().min(1).max(10).optional(),
    group: z.string().min(1).optional(),
    startedBy: z.string().min(1).optional(),
  }),
  z.strictObject({
    op: z.literal('faults'),
    rules: z.array(
      z.strictObject({
        operation: z.string().min(1),
        kind: z.enum(FAULT_KINDS),
        rate: z.number().min(0).max(1),
        latencyMs: z.number().int().nonnegative().optional(),
      }),
    ),
  }),
  z.strictObject({ op: z.literal('sweep-tags') }),
  z.strictObject({
    op: z.literal('alarm'),
    name: z.string().min(1).max(255),
    state: z.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
    reason: z.string().min(1).optional(),
  }),
]);
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

async function act(sandbox: Sandbox, request: ControlRequest): Promise<unknown> {
  switch (request.op) {
    case 'push':
      return sandbox.plane.pushImage(
        request.repository,
        request.tag,
        request.behaviour,
        request.replicatedFrom === undefined ? {} : { replicatedFrom: { region: request.replicatedFrom } },
      );
    case 'tag':
      await tagService(sandbox, request.cluster, request.service, request.tags);
      return { tagged: `${request.cluster}/${request.service}` };
    case 'faults':
      sandbox.setFaults(request.rules);
      return { faults: request.rules.length === 0 ? 'off' : request.rules };
    case 'alarm': {
      const event = sandbox.plane.setAlarmState(request.name, request.state, request.reason);
      const detail = event.detail as { previousState: { value: string }; state: { value: string } };
      return {
        alarm: event.resources[0],
        state: detail.state.value,
        previousState: detail.previousState.value,
      };
    }
    case 'stop-task': {
      const tasks = await sandbox.ecs.send(
        new ListTasksCommand({
          cluster: request.cluster,
          serviceName: request.service,
          desiredStatus: 'RUNNING',
        }),
      );
      const task = tasks.taskArns?.[0];
      if (!task)
        throw new Error(
          `no running task in ${request.cluster}${request.service ? `/${request.service}` : ''}`,
        );
      await sandbox.ecs.send(
        new StopTaskCommand({ cluster: request.cluster, task, reason: 'Stopped from autopilot sandbox' }),
      );
      return { stopped: task };
    }
    case 'run-task':
      return runTask(sandbox, request);
    case 'sweep-tags': {
      const { runs, summary } = await sweepTagPolicies(sandbox);
      return summary ? { swept: summary } : { swept: false, runs };
    }
  }
}

/**
 * RunTask as a person at the console would make it, on the sandbox's network, with a fate for its
 * tasks when one is asked (the control plane's `setTaskFate`, keyed by the call's client token): a
 * Fargate family runs on Fargate (Fargate Spot for `spot`), any other on EC2.
 */
async function runTask(sandbox: Sandbox, request: Extract<ControlRequest, { op: 'run-task' }>) {
  const described = await sandbox.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: request.taskDefinition }),
  );
  const definition = described.taskDefinition;
  const fargate = (definition?.requiresCompatibilities ?? []).includes('FARGATE');
  const clientToken = `sandbox-run-task-${randomUUID()}`;
  if (request.fate) sandbox.plane.setTaskFate(clientToken, request.fate satisfies TaskFate);
  const placement =
    fargate && request.fate?.kind === 'spot'
      ? { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }
      : { launchType: fargate ? ('FARGATE' as const) : ('EC2' as const) };
  const out = await sandbox.ecs.send(
    new RunTaskCommand({
      cluster: request.cluster,
      taskDefinition: definition?.taskDefinitionArn ?? request.taskDefinition,
      ...placement,
      count: request.count,
      group: request.group,
      startedBy: request.startedBy,
      networkConfiguration: definition?.networkMode === 'awsvpc' ? SANDBOX_NETWORK : undefined,
      tags: Object.entries(request.tags ?? {}).map(([key, value]) => ({ key, value })),
      propagateTags: 'TASK_DEFINITION',
      clientToken,
    }),
  );
  return {
    tasks: (out.tasks ?? []).map((t) => t.taskArn),
    ...(out.failures && out.failures.length > 0 ? { failures: out.failures } : {}),
    ...(request.fate ? { fate: request.fate } : {}),
  };
}

/**
 * Serves the control endpoint and writes its address for the CLI, with the environment the
 * operator commands (`autopilot rollback`, `quarantine`, `notify test`, `dispatch`) need to reach
 * the local account's table, bus and APIs (see cli/target.ts).
 *
 * @param file - the address file; `.sandbox/control.json` (or `AUTOPILOT_SANDBOX_CONTROL`) by default
 * @returns a function that stops serving and removes the address file
 */
export async function serveControl(
  sandbox: Sandbox,
  root: string,
  file = sandboxControlFile(root),
): Promise<() => Promise<void>> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let parsed: ControlRequest;
      try {
        parsed = ControlRequestSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        answer(400, { error: error instanceof Error ? error.message : String(error) });
        return;
      }
      act(sandbox, parsed).then(
        (result) => answer(200, result),
        (error: unknown) => answer(409, { error: error instanceof Error ? error.message : String(error) }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  mkdirSync(dirname(file), { recursive: true });
  const control: SandboxControl = {
    url: `http://127.0.0.1:${port}`,
    pid: process.pid,
    environment: sandbox.runtime.operatorEnvironment(),
  };
  writeFileSync(file, `${JSON.stringify(control, null, 2)}\n`);
  return async () => {
    rmSync(file, { force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
