/**
 * The contract of {@link PauseStore}: one pause per scope, replaced by a new one, in force until it
 * ends, ended early by resume.
 */
import type { Pause, PauseStore } from '../../../shared/ports';
import { at, describeContract, type MakeSubject } from './contract';

const pause = (scope: string, until: string, overrides: Partial<Pause> = {}): Pause => ({
  scope,
  until,
  by: 'alice',
  reason: 'release freeze',
  at: at('09:00:00'),
  notifyOnly: false,
  ...overrides,
});

export function describePausesContract(name: string, make: MakeSubject<PauseStore>): void {
  describeContract('PauseStore', name, make, (pauses) => {
    it('keeps a pause per scope, in force until it ends and not after', async () => {
      // Prepare
      const freeze = pause('all', at('12:00:00'));
      const api = pause('service:prod/api', at('10:00:00'), { notifyOnly: true, reason: undefined });
      await pauses().pause(freeze);
      await pauses().pause(api);

      // Act
      const [before, between, after] = await Promise.all([
        pauses().activePauses(new Date(at('09:30:00'))),
        pauses().activePauses(new Date(at('10:00:00'))),
        pauses().activePauses(new Date(at('12:00:00'))),
      ]);

      // Assess
      expect(before).toEqual(expect.arrayContaining([freeze, api]));
      expect(before).toHaveLength(2);
      expect(between).toEqual([freeze]);
      expect(after).toEqual([]);
    });

    it('replaces the pause of a scope with a new one', async () => {
      // Prepare
      await pauses().pause(pause('cluster:prod', at('10:00:00')));

      // Act
      await pauses().pause(pause('cluster:prod', at('11:00:00'), { by: 'bob' }));

      // Assess
      expect(await pauses().activePauses(new Date(at('09:30:00')))).toEqual([
        pause('cluster:prod', at('11:00:00'), { by: 'bob' }),
      ]);
    });

    it('ends a pause at resume, saying which it ended, and nothing when there is none', async () => {
      // Prepare
      await pauses().pause(pause('cluster:prod', at('10:00:00')));
      await pauses().pause(pause('all', at('10:00:00')));

      // Act
      const ended = await pauses().resume('cluster:prod');
      const none = await pauses().resume('cluster:staging');

      // Assess
      expect(ended).toEqual(pause('cluster:prod', at('10:00:00')));
      expect(none).toBeUndefined();
      expect(await pauses().activePauses(new Date(at('09:30:00')))).toEqual([pause('all', at('10:00:00'))]);
    });
  });
}
