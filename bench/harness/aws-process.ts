/**
 * The benchmark accounts' servers in a process of their own (`aws-process-main.ts`, forked with IPC):
 * the router and every account started (the control plane's ECS and ECR, dynalite, the counted
 * PutEvents). The functions run in the benchmark's process and only wait on I/O there, as a Lambda
 * function waits on AWS, which answers in parallel: with the servers in the same process, their CPU
 * ran between the function's own steps, so wall time tracked the number of calls and calls made
 * several at a time could not show. The counts are taken where they always were, at the servers, and
 * sent back over IPC.
 *
 * Messages: the child sends `{ ready: { endpoint } }` once its router listens, then answers each
 * {@link AwsRequest} with an {@link AwsReply} of the same `id`; it stops its servers and exits when
 * the parent disconnects.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import type { REPOSITORIES } from './account';
import type { CallCounts } from './calls';

/** What the benchmark asks of the AWS process. */
export type AwsRequestBody =
  | { op: 'startAccount'; services: number; tableName: string }
  | { op: 'use'; account: number }
  | { op: 'setLatency'; ms: number }
  | { op: 'takeCalls'; account: number }
  | { op: 'takePublished'; account: number }
  | { op: 'push'; account: number; repository: string }
  | { op: 'stopAccount'; account: number };

/** A request, numbered so its reply can be found. */
export type AwsRequest = AwsRequestBody & { id: number };

/** The answer to request `id`: its value, or the message of what it threw. */
export type AwsReply = { id: number; value?: unknown; error?: string };

/** What the AWS process sends once its router listens. */
export interface AwsReady {
  ready: { endpoint: string };
}

/** What `startAccount` answers: the account's number and shape. */
export interface StartedAccount {
  account: number;
  services: number;
  clusters: number;
  followers: Record<keyof typeof REPOSITORIES, number>;
}

/** An account of the AWS process, seen from the benchmark. */
export interface RemoteAccount {
  services: number;
  clusters: number;
  /** how many services follow each of the harness's repositories */
  followers: Record<keyof typeof REPOSITORIES, number>;
  /** The requests its servers received since the last take, by `<service>:<operation>`. */
  takeCalls(): Promise<CallCounts>;
  /** The entries put on its bus since the last take, by detail type. */
  takePublished(): Promise<Record<string, number>>;
  /** Pushes a new image to `repository:main` and returns its "ECR Image Action" event. */
  push(repository: string): Promise<EventBridgeEvent>;
  stop(): Promise<void>;
}

/** The AWS process, running. */
export interface AwsProcess {
  /** the router every function's AWS endpoint names */
  endpoint: string;
  /** Starts and seeds an account of `services` services with the autopilot table `tableName`. */
  startAccount(services: number, tableName: string): Promise<RemoteAccount>;
  /** Routes the calls that follow to `account`. */
  use(account: RemoteAccount): Promise<void>;
  /** Holds every call that follows `ms` at the router before it reaches a server (0: none). */
  setLatency(ms: number): Promise<void>;
  /** Stops every account and the process. */
  stop(): Promise<void>;
}

/**
 * Forks the AWS process and waits for its router.
 *
 * @example
 * const aws = await startAwsProcess();
 * const account = await aws.startAccount(1_000, functions.tableName);
 * await aws.use(account);
 */
export async function startAwsProcess(): Promise<AwsProcess> {
  // The same loader as this process (tsx's flags are in execArgv).
  const child: ChildProcess = fork(join(__dirname, 'aws-process-main.ts'), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as AwsReady).ready.endpoint));
    child.once('exit', (code, signal) =>
      reject(new Error(`the benchmark's AWS process ended before it was ready (${signal ?? code})`)),
    );
  });
  child.removeAllListeners('exit');
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  child.on('message', (message) => {
    const reply = message as AwsReply;
    const waiting = pending.get(reply.id);
    if (!waiting) return;
    pending.delete(reply.id);
    if (reply.error !== undefined) waiting.reject(new Error(`AWS process: ${reply.error}`));
    else waiting.resolve(reply.value);
  });
  child.on('exit', (code, signal) => {
    for (const waiting of pending.values())
      waiting.reject(new Error(`the benchmark's AWS process ended (${signal ?? code})`));
    pending.clear();
  });
  const ask = <T>(body: AwsRequestBody): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...body, id } satisfies AwsRequest, (error) => {
        if (!error) return;
        pending.delete(id);
        reject(error);
      });
    });
  const numbers = new WeakMap<RemoteAccount, number>();
  return {
    endpoint,
    async startAccount(services, tableName) {
      const started = await ask<StartedAccount>({ op: 'startAccount', services, tableName });
      const account = started.account;
      const remote: RemoteAccount = {
        services: started.services,
        clusters: started.clusters,
        followers: started.followers,
        takeCalls: () => ask<CallCounts>({ op: 'takeCalls', account }),
        takePublished: () => ask<Record<string, number>>({ op: 'takePublished', account }),
        push: (repository) => ask<EventBridgeEvent>({ op: 'push', account, repository }),
        stop: () => ask<void>({ op: 'stopAccount', account }),
      };
      numbers.set(remote, account);
      return remote;
    },
    async use(account) {
      const number = numbers.get(account);
      if (number === undefined) throw new Error('not an account of this AWS process');
      await ask<void>({ op: 'use', account: number });
    },
    setLatency: (ms) => ask<void>({ op: 'setLatency', ms }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        // It stops its servers and exits when we disconnect; the kill is for one that hangs.
        child.disconnect();
        setTimeout(() => child.kill(), 10_000).unref();
      }),
  };
}
