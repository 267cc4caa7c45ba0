/** The contract of {@link BakeSchedule}: timers listed once due, moved when scheduled again. */
import type { BakeSchedule } from '../../../shared/ports';
import { at, describeContract, type MakeSubject, serviceArn } from './contract';

const API = serviceArn('api');
const WORKER = serviceArn('worker');
const D8 = 'ecs-svc/8000000000000000008';

export function describeBakeScheduleContract(name: string, make: MakeSubject<BakeSchedule>): void {
  describeContract('BakeSchedule', name, make, (bakes) => {
    it('lists the timers that are due, and no longer once deleted', async () => {
      // Prepare
      await bakes().scheduleBake(API, D8, at('10:20:00'));
      await bakes().scheduleBake(WORKER, 'ecs-svc/3', at('10:30:00'));

      // Act
      const dueAt1020 = await bakes().listBaked(new Date(at('10:20:00')));
      await bakes().deleteBake(API, D8);
      const dueAt1030 = await bakes().listBaked(new Date(at('10:30:00')));

      // Assess
      expect(dueAt1020).toEqual([{ serviceArn: API, deploymentId: D8 }]);
      expect(dueAt1030).toEqual([{ serviceArn: WORKER, deploymentId: 'ecs-svc/3' }]);
      expect(await bakes().listBaked(new Date(at('10:10:00')))).toEqual([]);
    });

    it('moves the timer of a deployment that completes again', async () => {
      // Prepare
      await bakes().scheduleBake(API, D8, at('10:20:00'));

      // Act
      await bakes().scheduleBake(API, D8, at('10:40:00'));

      // Assess
      expect(await bakes().listBaked(new Date(at('10:30:00')))).toEqual([]);
      expect(await bakes().listBaked(new Date(at('10:40:00')))).toEqual([
        { serviceArn: API, deploymentId: D8 },
      ]);
    });

    it('deletes a timer that is not there without complaint', async () => {
      // Act
      const act = bakes().deleteBake(API, D8);

      // Assess
      await expect(act).resolves.toBeUndefined();
    });
  });
}
