/** The contract of {@link RevertLog}: a service's reverts since a time, oldest first, each once. */
import type { RevertLog, RevertRecord } from '../../../shared/ports';
import { at, describeContract, type MakeSubject, serviceArn } from './contract';

const revert = (time: string, eventId: string): RevertRecord => ({
  eventId,
  at: at(time),
  by: 'arn:aws:sts::123456789012:assumed-role/cfn-exec/AWSCloudFormation',
  revertedTo: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7',
});

export function describeRevertLogContract(name: string, make: MakeSubject<RevertLog>): void {
  describeContract('RevertLog', name, make, (log) => {
    it("lists a service's reverts since a time, oldest first, an event recorded twice once, no other service's", async () => {
      // Prepare
      await log().recordRevert(serviceArn('api'), revert('11:00:00', 'e-2'));
      await log().recordRevert(serviceArn('api'), revert('10:00:00', 'e-1'));
      await log().recordRevert(serviceArn('api'), revert('11:00:00', 'e-2'));
      await log().recordRevert(serviceArn('web'), revert('11:30:00', 'e-3'));

      // Act
      const [all, recent, none] = await Promise.all([
        log().revertsSince(serviceArn('api'), at('09:00:00')),
        log().revertsSince(serviceArn('api'), at('10:30:00')),
        log().revertsSince(serviceArn('worker'), at('09:00:00')),
      ]);

      // Assess
      expect(all).toEqual([revert('10:00:00', 'e-1'), revert('11:00:00', 'e-2')]);
      expect(recent).toEqual([revert('11:00:00', 'e-2')]);
      expect(none).toEqual([]);
    });
  });
}
