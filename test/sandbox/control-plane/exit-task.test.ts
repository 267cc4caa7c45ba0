/** `plane.exitTask`: a running standalone task's work fails now, as a scenario asks. */
import { RunTaskCommand } from '@aws-sdk/client-ecs';
import { NETWORK, prepareBatchJob, useControlPlane } from './support';

const harness = useControlPlane();

describe('ControlPlane.exitTask', () => {
  it("stops a RUNNING healthy task EssentialContainerExited, its container's exit code the one given", async () => {
    // Prepare
    const { ecs, plane } = harness();
    await prepareBatchJob(ecs);
    const run = await ecs.send(
      new RunTaskCommand({
        cluster: 'batch',
        taskDefinition: 'job',
        launchType: 'FARGATE',
        networkConfiguration: NETWORK,
      }),
    );
    const taskArn = run.tasks?.[0]?.taskArn ?? '';
    const stateOf = (status: string) =>
      plane.waitForEvent(
        (e) =>
          e['detail-type'] === 'ECS Task State Change' &&
          e.detail.taskArn === taskArn &&
          e.detail.lastStatus === status,
      );
    await stateOf('RUNNING');

    // Act
    plane.exitTask(taskArn, 1);
    const stopped = await stateOf('STOPPED');

    // Assess
    expect(stopped.detail).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [expect.objectContaining({ name: 'main', exitCode: 1 })],
    });
    expect(() => plane.exitTask(taskArn, 1)).toThrow(/no RUNNING task/);
  });
});
