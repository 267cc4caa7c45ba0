/**
 * Plays one scenario of sandbox/scenarios.ts alone on a freshly seeded local account: real SDK
 * clients, real HTTP on 127.0.0.1, real dynalite, the functions' sources wired by the rules of
 * serverless.yml. One test file per scenario, because the functions cache their SDK clients per
 * module registry (per jest test file), as a Lambda does per container. So no scenario depends on
 * another having run before it; CI also plays them all in a row on one account (`npm start -- --exit`).
 * Waits end on events, not on time: a busy machine makes them slower, not red.
 */
import { type Sandbox, type SandboxOptions, seedAccount, startSandbox } from '../../sandbox/account';
import type { Scenario } from '../../sandbox/scenarios';

/** How the account delivers events: once (default), or at least once (`deliveries: 3`, seeded). */
export type Delivery = Pick<SandboxOptions, 'deliveries' | 'deliverySeed'>;

/**
 * Declares the tests of one scenario on its own account.
 *
 * @param delivery - `{ deliveries: 3 }` plays it with every event delivered three times, shuffled
 *   (`test/e2e/thrice/`)
 */
export function playAlone(scenario: Scenario, delivery: Delivery = {}): void {
  jest.setTimeout(300_000);
  const copies = delivery.deliveries ?? 1;
  const mode = copies > 1 ? `, every event delivered ${copies} times, shuffled` : '';

  describe(`on a fresh account${mode}: ${scenario.name}`, () => {
    let sandbox: Sandbox;

    beforeAll(async () => {
      sandbox = await startSandbox({ source: 'typescript', ...delivery });
      await seedAccount(sandbox);
    });

    afterAll(async () => {
      await sandbox.stop();
    });

    it('meets every expectation', async () => {
      // Prepare: a freshly seeded account

      // Act
      const expectations = await scenario.run(sandbox);

      // Assess
      expect(expectations.filter((e) => !e.ok)).toEqual([]);
      expect(expectations.length).toBeGreaterThan(0);
    });

    it('leaves nothing in the dead-letter queue', async () => {
      // Prepare: the scenario played
      await sandbox.settle();

      // Act
      const parked = sandbox.runtime.dlq.messages();

      // Assess
      expect(parked).toEqual([]);
    });
  });
}
