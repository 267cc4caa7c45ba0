/**
 * The contract of {@link TagSweepStore}, run against its in-memory fake and its DynamoDB adapter on
 * dynalite: one run at a time holds the tag policy sweep (a lease that runs out, granted again to the
 * same event), only its holder saves the checkpoint, and the checkpoint keeps the cursor and the
 * running counts as they were saved.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTagSweep } from '../../shared/adapters/state/dynamo-tag-sweep';
import type { TagSweepCheckpoint, TagSweepStore } from '../../shared/ports';
import { createAutopilotTable, useDynalite } from '../support/dynalite';
import { InMemoryTagSweep } from '../support/in-memory-tags';
import { type ContractClock, describeContract, type MakeSubject } from './state/contract';

const STARTED: TagSweepCheckpoint = {
  sweepId: 'run-1',
  startedAt: '2026-01-13T10:00:00.000Z',
  resourcesSeen: 0,
  rows: [],
};

const MOVED_ON: TagSweepCheckpoint = {
  ...STARTED,
  cursor: { reader: 1, token: '{"listing":"repositories","next":"t"}' },
  resourcesSeen: 214,
  rows: [
    {
      rule: 'owner',
      resourceType: 'ecs:service',
      compliant: 41,
      violating: 3,
      exempt: 2,
      skipped: 0,
      remediated: 5,
      enforced: 1,
      restored: 0,
    },
  ],
  overCap: { changes: 120, max: 100 },
};

function describeTagSweepStoreContract(name: string, make: MakeSubject<TagSweepStore>): void {
  describeContract('TagSweepStore', name, make, (store) => {
    it('has no sweep before the first, and grants the first claim', async () => {
      // Act
      const claim = await store().claimSweep('run-1', '2026-01-13T10:00:00.000Z', '2026-01-13T10:15:00.000Z');

      // Assess
      expect(claim).toEqual({});
      expect(await store().currentSweep()).toBeUndefined();
    });

    it('refuses a claim while another run holds the sweep, grants it to the same run and once it ran out', async () => {
      // Prepare
      await store().claimSweep('run-1', '2026-01-13T10:00:00.000Z', '2026-01-13T10:15:00.000Z');

      // Act
      const other = await store().claimSweep('run-2', '2026-01-13T10:10:00.000Z', '2026-01-13T10:25:00.000Z');
      const again = await store().claimSweep('run-1', '2026-01-13T10:10:00.000Z', '2026-01-13T10:25:00.000Z');
      const late = await store().claimSweep('run-2', '2026-01-13T10:30:00.000Z', '2026-01-13T10:45:00.000Z');

      // Assess
      expect([other, again, late]).toEqual([undefined, {}, {}]);
    });

    it('saves the cursor and the running counts only for the holder, and gives them with the next claim', async () => {
      // Prepare
      await store().claimSweep('run-1', '2026-01-13T10:00:00.000Z', '2026-01-13T10:15:00.000Z');

      // Act
      const saved = await store().saveSweep('run-1', MOVED_ON);
      const foreign = await store().saveSweep('run-2', {
        ...STARTED,
        finishedAt: '2026-01-13T10:01:00.000Z',
      });
      const released = await store().releaseSweep('run-1');
      const releasedAgain = await store().releaseSweep('run-1');
      const claim = await store().claimSweep('run-2', '2026-01-13T10:02:00.000Z', '2026-01-13T10:17:00.000Z');

      // Assess
      expect([saved, foreign, released, releasedAgain]).toEqual([true, false, true, false]);
      expect(claim).toEqual({ sweep: MOVED_ON });
      expect(await store().currentSweep()).toEqual(MOVED_ON);
    });
  });
}

const dynamo = useDynalite();

describeTagSweepStoreContract(
  'InMemoryTagSweep',
  async (clock: ContractClock) => new InMemoryTagSweep({ now: clock.now }),
);
describeTagSweepStoreContract('DynamoTagSweep', async (clock: ContractClock) => {
  const client: DynamoDBClient = dynamo().client;
  return new DynamoTagSweep(await createAutopilotTable(client), client, clock.now);
});
