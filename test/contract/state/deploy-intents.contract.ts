/**
 * The contract of the deploy intents {@link DeploymentHistory} keeps: what deploy on push is doing to
 * a service for one pushed digest and source revision, saved optimistically over the one read, and
 * marked announced once by the invocation that carries it out.
 */
import type { DeployIntent, DeploymentHistory } from '../../../shared/ports';
import { at, describeContract, digest, type MakeSubject, revision, serviceArn } from './contract';

const API = serviceArn('api');
const WORKER = serviceArn('worker');

/** prod/api, digest `cc`, copied from api:1, begun by `event-1`. */
const intent = (overrides: Partial<DeployIntent> = {}): DeployIntent => ({
  serviceArn: API,
  digest: digest('cc'),
  fromTaskDefinition: revision(1),
  triggeredBy: 'event-1',
  state: 'registering',
  at: at('10:00:00'),
  ...overrides,
});

export function describeDeployIntentsContract(name: string, make: MakeSubject<DeploymentHistory>): void {
  describeContract('DeploymentHistory (deploy intents)', name, make, (history) => {
    it('saves a new intent only when none is stored, and lists it by service and digest', async () => {
      // Prepare
      const first = intent();

      // Act
      const saved = await history().saveDeployIntent(first, undefined);
      const again = await history().saveDeployIntent(intent({ triggeredBy: 'event-2' }), undefined);

      // Assess
      expect([saved, again]).toEqual([true, false]);
      expect(await history().deployIntents(API, digest('cc'))).toEqual([first]);
      expect(await history().deployIntents(API, digest('dd'))).toEqual([]);
      expect(await history().deployIntents(WORKER, digest('cc'))).toEqual([]);
    });

    it('keeps one intent per source revision of a service and digest', async () => {
      // Prepare
      const fromOne = intent();
      const fromTwo = intent({ fromTaskDefinition: revision(2) });

      // Act
      await history().saveDeployIntent(fromOne, undefined);
      await history().saveDeployIntent(fromTwo, undefined);

      // Assess
      const listed = await history().deployIntents(API, digest('cc'));
      expect(listed.map((i) => i.fromTaskDefinition).sort()).toEqual([revision(1), revision(2)]);
    });

    it('moves an intent on only over the owner and state that were read', async () => {
      // Prepare
      await history().saveDeployIntent(intent(), undefined);
      const registered = intent({ state: 'registered', toTaskDefinition: revision(2) });

      // Act
      const stale = await history().saveDeployIntent(registered, {
        triggeredBy: 'event-1',
        state: 'registered',
      });
      const other = await history().saveDeployIntent(registered, {
        triggeredBy: 'event-9',
        state: 'registering',
      });
      const moved = await history().saveDeployIntent(registered, {
        triggeredBy: 'event-1',
        state: 'registering',
      });

      // Assess
      expect([stale, other, moved]).toEqual([false, false, true]);
      expect(await history().deployIntents(API, digest('cc'))).toEqual([registered]);
    });

    it('lets another event take over an intent it read', async () => {
      // Prepare
      await history().saveDeployIntent(
        intent({ state: 'registered', toTaskDefinition: revision(2) }),
        undefined,
      );
      const taken = intent({ triggeredBy: 'event-2', state: 'registered', toTaskDefinition: revision(2) });

      // Act
      const saved = await history().saveDeployIntent(taken, { triggeredBy: 'event-1', state: 'registered' });

      // Assess
      expect(saved).toBe(true);
      expect(await history().deployIntents(API, digest('cc'))).toEqual([taken]);
    });

    it('marks an updating intent announced once, and only for its owner', async () => {
      // Prepare
      const updating = intent({
        state: 'updating',
        toTaskDefinition: revision(2),
        startedAt: at('10:00:05'),
      });
      await history().saveDeployIntent(updating, undefined);

      // Act
      const byOther = await history().markIntentAnnounced(API, digest('cc'), revision(1), 'event-2');
      const marked = await history().markIntentAnnounced(API, digest('cc'), revision(1), 'event-1');
      const twice = await history().markIntentAnnounced(API, digest('cc'), revision(1), 'event-1');
      const missing = await history().markIntentAnnounced(API, digest('dd'), revision(1), 'event-1');

      // Assess
      expect([byOther, marked, twice, missing]).toEqual([false, true, false, false]);
      expect(await history().deployIntents(API, digest('cc'))).toEqual([{ ...updating, state: 'announced' }]);
    });

    it('marks the intents of several deployments announced together, each only when it is the one its event left updating', async () => {
      // Prepare
      const updating = {
        state: 'updating' as const,
        toTaskDefinition: revision(2),
        startedAt: at('10:00:05'),
      };
      const api = intent(updating);
      const worker = intent({ ...updating, serviceArn: WORKER });
      await history().saveDeployIntent(api, undefined);
      await history().saveDeployIntent(worker, undefined);
      const mark = (serviceArn: string, triggeredBy = 'event-1') => ({
        serviceArn,
        digest: digest('cc'),
        fromTaskDefinition: revision(1),
        triggeredBy,
      });

      // Act
      const together = await history().markIntentsAnnounced([mark(API), mark(WORKER)]);
      const again = await history().markIntentsAnnounced([mark(API), mark(WORKER)]);

      // Assess
      expect([together, again]).toEqual([
        [true, true],
        [false, false],
      ]);
      expect(await history().deployIntents(WORKER, digest('cc'))).toEqual([
        { ...worker, state: 'announced' },
      ]);
    });

    it("marks the others when one of several intents marked together is not its event's to mark", async () => {
      // Prepare
      const updating = {
        state: 'updating' as const,
        toTaskDefinition: revision(2),
        startedAt: at('10:00:05'),
      };
      await history().saveDeployIntent(intent(updating), undefined);
      await history().saveDeployIntent(
        intent({ ...updating, serviceArn: WORKER, triggeredBy: 'event-2' }),
        undefined,
      );
      const mark = (serviceArn: string) => ({
        serviceArn,
        digest: digest('cc'),
        fromTaskDefinition: revision(1),
        triggeredBy: 'event-1',
      });

      // Act
      const marked = await history().markIntentsAnnounced([mark(API), mark(WORKER)]);

      // Assess
      expect(marked).toEqual([true, false]);
      expect((await history().deployIntents(API, digest('cc')))[0]?.state).toBe('announced');
      expect((await history().deployIntents(WORKER, digest('cc')))[0]?.state).toBe('updating');
    });

    it('does not mark an intent announced before it was updating', async () => {
      // Prepare
      await history().saveDeployIntent(
        intent({ state: 'registered', toTaskDefinition: revision(2) }),
        undefined,
      );

      // Act
      const marked = await history().markIntentAnnounced(API, digest('cc'), revision(1), 'event-1');

      // Assess
      expect(marked).toBe(false);
      expect((await history().deployIntents(API, digest('cc')))[0]?.state).toBe('registered');
    });
  });
}
