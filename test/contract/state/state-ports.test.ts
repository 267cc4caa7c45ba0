/**
 * Every state port's contract, run against its in-memory fake (what the domain tests use) and its
 * DynamoDB adapter on dynalite (what runs in AWS): a fake that drifts from the table fails here.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoBakeSchedule } from '../../../shared/adapters/state/dynamo-bake-schedule';
import { DynamoConfigurationProblems } from '../../../shared/adapters/state/dynamo-configuration-problems';
import { DynamoDeploymentHistory } from '../../../shared/adapters/state/dynamo-deployment-history';
import { DynamoIndexSweep } from '../../../shared/adapters/state/dynamo-index-sweep';
import { DynamoNotificationStore } from '../../../shared/adapters/state/dynamo-notification-store';
import { DynamoPauses } from '../../../shared/adapters/state/dynamo-pauses';
import { DynamoPendingPushes } from '../../../shared/adapters/state/dynamo-pending-pushes';
import { DynamoQuarantine } from '../../../shared/adapters/state/dynamo-quarantine';
import { DynamoRestartChains } from '../../../shared/adapters/state/dynamo-restart-chains';
import { DynamoRevertLog } from '../../../shared/adapters/state/dynamo-revert-log';
import { DynamoRollbackHistory } from '../../../shared/adapters/state/dynamo-rollback-history';
import { DynamoServiceHistory } from '../../../shared/adapters/state/dynamo-service-history';
import { DynamoServiceIndex } from '../../../shared/adapters/state/dynamo-service-index';
import { DynamoServiceLease } from '../../../shared/adapters/state/dynamo-service-lease';
import { DynamoSkippedPushes } from '../../../shared/adapters/state/dynamo-skipped-pushes';
import { createAutopilotTable, useDynalite } from '../../support/dynalite';
import { InMemoryNotificationStore } from '../../support/in-memory';
import { InMemoryRestartChains } from '../../support/in-memory-restart';
import {
  InMemoryBakeSchedule,
  InMemoryConfigurationProblems,
  InMemoryDeploymentHistory,
  InMemoryIndexSweep,
  InMemoryPauses,
  InMemoryPendingPushes,
  InMemoryQuarantine,
  InMemoryRevertLog,
  InMemoryRollbackHistory,
  InMemoryServiceHistory,
  InMemoryServiceIndex,
  InMemoryServiceLease,
  InMemorySkippedPushes,
  inMemoryState,
} from '../../support/in-memory-state';
import { describeBakeScheduleContract } from './bake-schedule.contract';
import { describeConfigurationProblemsContract } from './configuration-problems.contract';
import type { ContractClock, MakeSubject } from './contract';
import { describeDeployIntentsContract } from './deploy-intents.contract';
import { describeDeploymentHistoryContract } from './deployment-history.contract';
import { describeIndexSweepContract } from './index-sweep.contract';
import { describeLeaseClosingContract } from './lease-closing.contract';
import { describeNotificationStoreContract } from './notification-store.contract';
import { describePausesContract } from './pauses.contract';
import { describePendingPushesContract } from './pending-pushes.contract';
import { describeQuarantineContract } from './quarantine.contract';
import { describeRestartChainsContract } from './restart-chains.contract';
import { describeRevertLogContract } from './revert-log.contract';
import { describeRollbackHistoryContract } from './rollback-history.contract';
import { describeServiceHistoryContract } from './service-history.contract';
import { describeServiceIndexContract } from './service-index.contract';
import { describeServiceLeaseContract } from './service-lease.contract';
import { describeSkippedPushesContract } from './skipped-pushes.contract';

const dynamo = useDynalite();

/**
 * Runs a port's contract against its fake (on the contract's clock) and its adapter (on a fresh
 * table, so no test sees another's items).
 */
function againstBoth<P>(
  describePort: (name: string, make: MakeSubject<P>) => void,
  Fake: new (options: { now: () => Date }) => P,
  Adapter: new (tableName: string, client: DynamoDBClient, now: () => Date) => P,
): void {
  describePort(Fake.name, async (clock: ContractClock) => new Fake({ now: clock.now }));
  describePort(
    Adapter.name,
    async (clock: ContractClock) =>
      new Adapter(await createAutopilotTable(dynamo().client), dynamo().client, clock.now),
  );
}

againstBoth(describeServiceIndexContract, InMemoryServiceIndex, DynamoServiceIndex);
againstBoth(describeIndexSweepContract, InMemoryIndexSweep, DynamoIndexSweep);
againstBoth(
  describeConfigurationProblemsContract,
  InMemoryConfigurationProblems,
  DynamoConfigurationProblems,
);
againstBoth(describeDeploymentHistoryContract, InMemoryDeploymentHistory, DynamoDeploymentHistory);
againstBoth(describeDeployIntentsContract, InMemoryDeploymentHistory, DynamoDeploymentHistory);
againstBoth(describeRollbackHistoryContract, InMemoryRollbackHistory, DynamoRollbackHistory);
againstBoth(describeBakeScheduleContract, InMemoryBakeSchedule, DynamoBakeSchedule);
againstBoth(describeQuarantineContract, InMemoryQuarantine, DynamoQuarantine);
againstBoth(describeServiceLeaseContract, InMemoryServiceLease, DynamoServiceLease);
describeLeaseClosingContract('InMemoryServiceLease', async (clock) => {
  const state = inMemoryState(clock.now);
  return { lease: state.lease, history: state.history };
});
describeLeaseClosingContract('DynamoServiceLease', async (clock) => {
  const table = await createAutopilotTable(dynamo().client);
  return {
    lease: new DynamoServiceLease(table, dynamo().client, clock.now),
    history: new DynamoDeploymentHistory(table, dynamo().client, clock.now),
  };
});
againstBoth(describePendingPushesContract, InMemoryPendingPushes, DynamoPendingPushes);
againstBoth(describePausesContract, InMemoryPauses, DynamoPauses);
againstBoth(describeSkippedPushesContract, InMemorySkippedPushes, DynamoSkippedPushes);
againstBoth(describeServiceHistoryContract, InMemoryServiceHistory, DynamoServiceHistory);
againstBoth(describeRevertLogContract, InMemoryRevertLog, DynamoRevertLog);
againstBoth(describeNotificationStoreContract, InMemoryNotificationStore, DynamoNotificationStore);
againstBoth(describeRestartChainsContract, InMemoryRestartChains, DynamoRestartChains);
