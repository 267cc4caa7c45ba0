/**
 * The AWS process of the push and reconcile benchmarks (forked by `aws-process.ts`): the router and
 * the accounts (`account.ts`), answering the benchmark's requests over IPC. Nothing here runs in the
 * functions' process, so their wall time is their own work and their waits on these servers.
 */
import { type BenchAccount, startBenchAccount } from './account';
import type { AwsReady, AwsReply, AwsRequest, StartedAccount } from './aws-process';
import { startRouter } from './router';

async function main(): Promise<void> {
  const router = await startRouter();
  const accounts = new Map<number, BenchAccount>();
  let nextAccount = 1;
  const accountOf = (number: number): BenchAccount => {
    const account = accounts.get(number);
    if (!account) throw new Error(`no account ${number}`);
    return account;
  };
  const answer = async (request: AwsRequest): Promise<unknown> => {
    switch (request.op) {
      case 'startAccount': {
        const account = await startBenchAccount({ services: request.services, tableName: request.tableName });
        const number = nextAccount++;
        accounts.set(number, account);
        router.use(account.targets);
        return {
          account: number,
          services: account.services,
          clusters: account.clusters,
          followers: account.followers,
        } satisfies StartedAccount;
      }
      case 'use':
        router.use(accountOf(request.account).targets);
        return undefined;
      case 'setLatency':
        router.setLatency(request.ms);
        return undefined;
      case 'takeCalls':
        return accountOf(request.account).takeCalls();
      case 'takePublished':
        return accountOf(request.account).takePublished();
      case 'push':
        return accountOf(request.account).push(request.repository);
      case 'stopAccount': {
        const account = accountOf(request.account);
        accounts.delete(request.account);
        await account.stop();
        return undefined;
      }
    }
  };
  process.on('message', (message) => {
    const request = message as AwsRequest;
    answer(request).then(
      (value) => process.send?.({ id: request.id, value } satisfies AwsReply),
      (error: unknown) =>
        process.send?.({
          id: request.id,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        } satisfies AwsReply),
    );
  });
  process.on('disconnect', () => {
    void (async () => {
      for (const account of accounts.values()) await account.stop().catch(() => undefined);
      await router.close().catch(() => undefined);
      process.exit(0);
    })();
  });
  process.send?.({ ready: { endpoint: router.endpoint } } satisfies AwsReady);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench AWS process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
