import { classifyStop, type StoppedTask } from '../../../../shared/domain/restart/classify';
import type { StopClass } from '../../../../shared/events/autopilot-events';

const exited = (exitCode: number, reason?: string) => [
  { name: 'worker', exitCode, ...(reason ? { reason } : {}) },
];

describe('classifyStop', () => {
  it.each<[string, StoppedTask, StopClass]>([
    [
      'an essential container exiting 1',
      {
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: exited(1),
      },
      'exited-non-zero',
    ],
    [
      'an OOM kill (137 and OutOfMemoryError)',
      {
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: exited(137, 'OutOfMemoryError: Container killed due to memory usage'),
      },
      'out-of-memory',
    ],
    [
      'every container exiting 0',
      {
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: exited(0),
      },
      'exited-zero',
    ],
    [
      'a StopTask by a person',
      { stopCode: 'UserInitiated', stoppedReason: 'Task stopped by user', containers: [] },
      'stopped-by-user',
    ],
    [
      'a StopTask by autopilot',
      { stopCode: 'UserInitiated', stoppedReason: 'autopilot: superseded', containers: [] },
      'stopped-by-autopilot',
    ],
    [
      "a service scheduler's stop",
      {
        stopCode: 'ServiceSchedulerInitiated',
        stoppedReason: 'Scaling activity initiated by deployment',
        containers: [],
      },
      'stopped-by-scheduler',
    ],
    [
      'a spot interruption',
      {
        stopCode: 'SpotInterruption',
        stoppedReason: 'Your Spot Task was interrupted.',
        containers: exited(143),
      },
      'capacity-lost',
    ],
    [
      'a termination notice',
      {
        stopCode: 'TerminationNotice',
        stoppedReason: 'Host EC2 instance is being terminated',
        containers: [],
      },
      'capacity-lost',
    ],
    [
      'an image that does not exist',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason:
          'CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref 123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:nope: not found',
        containers: [],
      },
      'failed-to-start-permanent',
    ],
    [
      'a secret that does not exist',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason:
          'ResourceInitializationError: unable to pull secrets or registry auth: retrieve secret from ssm: service call has been retried 1 time(s): ParameterNotFound',
        containers: [],
      },
      'failed-to-start-permanent',
    ],
    [
      'no capacity',
      { stopCode: 'TaskFailedToStart', stoppedReason: 'RESOURCE:MEMORY', containers: [] },
      'failed-to-start-transient',
    ],
    [
      'a pull that timed out',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason:
          'CannotPullContainerError: ref pull has been retried 5 time(s): failed to copy: httpReadSeeker: failed open: dial tcp 52.1.2.3:443: i/o timeout',
        containers: [],
      },
      'failed-to-start-transient',
    ],
    [
      'an ENI that could not be set up',
      {
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'ResourceInitializationError: failed to configure ENI: timed out',
        containers: [],
      },
      'failed-to-start-transient',
    ],
    ['a stop code autopilot does not know', { stopCode: 'SomethingNew', containers: [] }, 'unknown'],
  ])('classifies %s', (_name, task, expected) => {
    // Prepare
    const stopped = structuredClone(task);

    // Act
    const classified = classifyStop(stopped);

    // Assess
    expect(classified.class).toBe(expected);
  });

  it('names the containers that failed in the reason', () => {
    // Prepare
    const task: StoppedTask = {
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [
        { name: 'worker', exitCode: 1 },
        { name: 'sidecar', exitCode: 0 },
      ],
    };

    // Act
    const classified = classifyStop(task);

    // Assess
    expect(classified.reason).toBe('Essential container in task exited: worker exited with code 1');
  });
});
