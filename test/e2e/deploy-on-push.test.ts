/**
 * End to end through the local account: real SDK clients, real HTTP on 127.0.0.1, real dynalite,
 * the functions' sources wired by the rules of serverless.yml. Each scenario of sandbox/scenarios.ts
 * (the ones `npm start` plays) must meet all its expectations.
 */
import { type Sandbox, seedAccount, startSandbox } from '../../sandbox/account';
import { SCENARIOS } from '../../sandbox/scenarios';

jest.setTimeout(60_000);

describe('deploy on push, end to end', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox({ source: 'typescript' });
    await seedAccount(sandbox);
  });

  afterAll(async () => {
    await sandbox.stop();
  });

  // The scenarios build on each other (the duplicate replays the first push), so they run in order.
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', async (_name, scenario) => {
    // Prepare: the account seeded in beforeAll, and the earlier scenarios

    // Act
    const expectations = await scenario.run(sandbox);

    // Assess
    expect(expectations.filter((e) => !e.ok)).toEqual([]);
    expect(expectations.length).toBeGreaterThan(0);
  });

  it('leaves nothing in the dead-letter queue', () => {
    // Prepare: all scenarios played

    // Act
    const parked = sandbox.runtime.dlq.messages();

    // Assess
    expect(parked).toEqual([]);
  });
});
