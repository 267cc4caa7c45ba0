/**
 * The contract of {@link TagMarkStore}, run against its in-memory fake (what the domain tests use)
 * and its DynamoDB adapter on dynalite: a mark recorded once per resource and rule (the first due
 * date stands), cleared only at the due date read, and a scale to zero remembered once, so two runs
 * never both scale a service or lose the desired count one of them remembered.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTagMarks } from '../../shared/adapters/state/dynamo-tag-marks';
import type { TagMarkStore } from '../../shared/ports';
import { createAutopilotTable, useDynalite } from '../support/dynalite';
import { InMemoryTagMarkStore } from '../support/in-memory-tags';
import { ACCOUNT, type ContractClock, describeContract, type MakeSubject, REGION } from './state/contract';

const SERVICE = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/api`;
const LEGACY = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/legacy`;
const SCALED = { rule: 'owner', desiredCount: 3, at: '2026-01-13T10:00:00.000Z' };

function describeTagMarkStoreContract(name: string, make: MakeSubject<TagMarkStore>): void {
  describeContract('TagMarkStore', name, make, (marks) => {
    it('records a mark once per resource and rule: the first due date stands', async () => {
      // Prepare
      const first = await marks().markRecord(LEGACY, 'owner', '2026-01-20T10:00Z');

      // Act
      const second = await marks().markRecord(LEGACY, 'owner', '2026-01-21T10:00Z');
      const other = await marks().markRecord(LEGACY, 'env', '2026-01-22T10:00Z');

      // Assess
      expect([first, second, other]).toEqual([true, false, true]);
      expect(await marks().recordsOf([LEGACY, SERVICE])).toEqual(
        new Map([[LEGACY, { marks: { owner: '2026-01-20T10:00Z', env: '2026-01-22T10:00Z' } }]]),
      );
    });

    it('clears a mark only at the due date it was read with', async () => {
      // Prepare
      await marks().markRecord(LEGACY, 'owner', '2026-01-20T10:00Z');

      // Act
      const stale = await marks().clearMarkRecord(LEGACY, 'owner', '2026-01-19T10:00Z');
      const cleared = await marks().clearMarkRecord(LEGACY, 'owner', '2026-01-20T10:00Z');
      const again = await marks().clearMarkRecord(LEGACY, 'owner', '2026-01-20T10:00Z');

      // Assess
      expect([stale, cleared, again]).toEqual([false, true, false]);
      expect(await marks().recordsOf([LEGACY])).toEqual(new Map());
    });

    it('remembers a scale to zero once: a second run finds the first desired count and changes nothing', async () => {
      // Prepare
      const first = await marks().recordScaledToZero(SERVICE, SCALED);

      // Act
      const second = await marks().recordScaledToZero(SERVICE, { ...SCALED, desiredCount: 0 });

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect((await marks().recordsOf([SERVICE])).get(SERVICE)).toEqual({ marks: {}, scaledToZero: SCALED });
    });

    it('forgets a scale to zero only for the rule that made it', async () => {
      // Prepare
      await marks().recordScaledToZero(SERVICE, SCALED);

      // Act
      const otherRule = await marks().clearScaledToZero(SERVICE, 'env');
      const forgotten = await marks().clearScaledToZero(SERVICE, 'owner');
      const again = await marks().clearScaledToZero(SERVICE, 'owner');

      // Assess
      expect([otherRule, forgotten, again]).toEqual([false, true, false]);
      expect(await marks().recordsOf([SERVICE])).toEqual(new Map());
    });

    it('reads the records of a page of 250 resources, however many batches that takes', async () => {
      // Prepare
      const arns = Array.from({ length: 250 }, (_, i) => `${SERVICE}-${i}`);
      for (const arn of arns.filter((_, i) => i % 50 === 0))
        await marks().markRecord(arn, 'owner', '2026-01-20T10:00Z');

      // Act
      const records = await marks().recordsOf([...arns, ...arns]);

      // Assess
      expect([...records.keys()].sort()).toEqual(arns.filter((_, i) => i % 50 === 0).sort());
    });
  });
}

const dynamo = useDynalite();

describeTagMarkStoreContract(
  'InMemoryTagMarkStore',
  async (clock: ContractClock) => new InMemoryTagMarkStore({ now: clock.now }),
);
describeTagMarkStoreContract('DynamoTagMarks', async (clock: ContractClock) => {
  const client: DynamoDBClient = dynamo().client;
  return new DynamoTagMarks(await createAutopilotTable(client), client, clock.now);
});
