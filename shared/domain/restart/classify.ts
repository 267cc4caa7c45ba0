/**
 * Why a standalone task stopped, from what ECS says (`stopCode`, `stoppedReason`) and what its
 * essential containers say (exit codes and reasons): a {@link StopClass}, which the restart decision
 * and the events carry. Pure, table-tested (test/unit/domain/restart/classify.test.ts).
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Task.html (stopCode)
 */
import type { StopClass } from '../../events/autopilot-events';

/** What a stopped task says about its stop. */
export interface StoppedTask {
  stopCode?: string;
  stoppedReason?: string;
  containers: readonly { name?: string; exitCode?: number; reason?: string }[];
}

/** A stop's class and the words people read about it. */
export interface Classified {
  class: StopClass;
  /** why it stopped, one line: ECS's reason and the containers' exit codes */
  reason: string;
}

/** The reason autopilot gives StopTask, so its own stops are told apart (never restarted). */
export const AUTOPILOT_STOP_REASON_PREFIX = 'autopilot:';

/**
 * Failures to start that will not heal by trying again: the image or tag does not exist, a role or
 * secret is missing, the configuration is invalid. Checked before the transient ones.
 */
const PERMANENT_START_FAILURES: readonly RegExp[] = [
  /CannotPullContainerError.*(not found|manifest unknown|does not exist|repository .*not exist|invalid reference)/i,
  /CannotPullContainerError.*(access ?denied|unauthorized|403)/i,
  /ResourceInitializationError.*(secret|parameter|ssm).*(not found|does not exist|AccessDenied|not authorized)/i,
  /ResourceNotFoundException|ParameterNotFound|AccessDeniedException/i,
  /(task|execution) role.*(not found|does not exist|cannot be assumed|not authorized)/i,
  /InvalidParameterException|ClientException|CannotCreateVolumeError.*invalid/i,
  /CannotStartContainerError.*(executable file not found|no such file|invalid)/i,
];

/** Failures to start that can heal: capacity, throttling, transient pull or network errors. */
const TRANSIENT_START_FAILURES: readonly RegExp[] = [
  /capacity|RESOURCE:|insufficient|no container instances|SpotCapacity/i,
  /throttl|rate exceeded|TooManyRequests/i,
  /timeout|timed out|i\/o timeout|connection (reset|refused)|network|ENI|dial tcp/i,
  /CannotPullContainerError|ResourceInitializationError|CannotStartContainerError|InternalError|ServiceUnavailable/i,
];

/** Exit code of a container the kernel's OOM killer stopped (128 + SIGKILL). */
const OOM_EXIT = 137;

const describeContainer = (c: StoppedTask['containers'][number]) =>
  `${c.name ?? 'a container'} ${c.exitCode === undefined ? 'stopped' : `exited with code ${c.exitCode}`}${c.reason ? ` (${c.reason})` : ''}`;

/**
 * The class of a stop and its reason.
 *
 * The event does not say which containers are essential; the containers that exited are the ones
 * that stopped the task (a non-essential one exiting stops nothing), so any exit other than 0 among
 * them is the essential container's failure.
 *
 * @example
 * classifyStop({ stopCode: 'EssentialContainerExited', stoppedReason: 'Essential container in task exited', containers: [{ name: 'worker', exitCode: 1 }] })
 * // { class: 'exited-non-zero', reason: 'Essential container in task exited: worker exited with code 1' }
 */
export function classifyStop(task: StoppedTask): Classified {
  const said = (task.stoppedReason ?? '').trim();
  const failed = task.containers.filter((c) => c.exitCode !== undefined && c.exitCode !== 0);
  const oom = task.containers.find(
    (c) =>
      /OutOfMemory/i.test(c.reason ?? '') ||
      (c.exitCode === OOM_EXIT && /memory/i.test(`${c.reason} ${said}`)),
  );
  const withContainers = (containers: readonly StoppedTask['containers'][number][]) =>
    [said || task.stopCode || 'stopped', containers.map(describeContainer).join(', ')]
      .filter(Boolean)
      .join(': ');
  const reason = (
    cls: StopClass,
    containers: readonly StoppedTask['containers'][number][] = [],
  ): Classified => ({
    class: cls,
    reason: withContainers(containers),
  });

  switch (task.stopCode) {
    case 'UserInitiated':
      return reason(
        said.startsWith(AUTOPILOT_STOP_REASON_PREFIX) ? 'stopped-by-autopilot' : 'stopped-by-user',
      );
    case 'ServiceSchedulerInitiated':
      return reason('stopped-by-scheduler');
    case 'SpotInterruption':
    case 'TerminationNotice':
      return reason('capacity-lost');
    case 'TaskFailedToStart': {
      const text = `${said} ${task.containers.map((c) => c.reason ?? '').join(' ')}`;
      if (PERMANENT_START_FAILURES.some((p) => p.test(text))) return reason('failed-to-start-permanent');
      if (TRANSIENT_START_FAILURES.some((p) => p.test(text))) return reason('failed-to-start-transient');
      return reason('unknown');
    }
    case 'EssentialContainerExited':
    case undefined: {
      if (oom) return reason('out-of-memory', [oom]);
      if (failed.length > 0) return reason('exited-non-zero', failed);
      const exited = task.containers.filter((c) => c.exitCode === 0);
      if (task.stopCode === 'EssentialContainerExited' || exited.length > 0)
        return reason('exited-zero', exited);
      return reason('unknown');
    }
    default:
      return reason('unknown', failed);
  }
}
