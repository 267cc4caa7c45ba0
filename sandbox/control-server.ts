/**
 * A small HTTP endpoint on 127.0.0.1 through which `autopilot sandbox …` (from another terminal)
 * acts on the running local account: push an image, tag a service, stop a task, inject faults (into
 * both halves: ECS and ECR, DynamoDB, EventBridge, SQS, SSM, Secrets Manager), set the
 * state of a CloudWatch alarm. Its address is
 * written to `.sandbox/control.json` while the sandbox runs.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import * as z from 'zod';
import { type SandboxControl, sandboxControlFile } from '../cli/target';
import { type Sandbox, tagService } from './account';
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
  }),
  z.strictObject({
    op: z.literal('tag'),
    cluster: z.string(),
    service: z.string(),
    tags: z.record(z.string(), z.string()),
  }),
  z.strictObject({ op: z.literal('stop-task'), cluster: z.string(), service: z.string().optional() }),
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
      return sandbox.plane.pushImage(request.repository, request.tag, request.behaviour);
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
  }
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
