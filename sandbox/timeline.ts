/**
 * A readable, time-stamped account of what happens in the local account: images pushed, events on
 * the bus, what each function decided and why, the API calls autopilot made, ECS deployments.
 */

import type { Sandbox } from './account';
import type { CallRecord } from './control-plane';
import type { BusRecord, EventEnvelope } from './runtime/bus';

/** One line of the timeline. */
export interface TimelineLine {
  at: Date;
  source: string;
  text: string;
}

const READ_ONLY = /^(Describe|List|Get|BatchGet)/;

const short = (digest: unknown) =>
  typeof digest === 'string' ? digest.replace(/^sha256:(.{12}).*$/, 'sha256:$1…') : '';
const tail = (arn: unknown) => (typeof arn === 'string' ? (arn.split('/').slice(-2).join('/') ?? arn) : '');
const revision = (arn: unknown) => (typeof arn === 'string' ? (arn.split('/').pop() ?? arn) : '');

function describeEvent(event: EventEnvelope): TimelineLine | undefined {
  const d = event.detail as Record<string, unknown>;
  // Arrival time: event times are whole seconds, which would scramble the order on screen.
  const at = new Date();
  switch (event['detail-type']) {
    case 'ECR Image Action':
      return {
        at,
        source: 'ECR',
        text: `${String(d['action-type']).toLowerCase()} ${d['repository-name']}${d['image-tag'] ? `:${d['image-tag']}` : ' (no tag)'} ${short(d['image-digest'])} ${d.result}`,
      };
    case 'ECS Deployment State Change':
      return {
        at,
        source: 'ECS',
        text: `${tail(event.resources[0])} ${String(d.eventName).replace('SERVICE_DEPLOYMENT_', 'deployment ')}${d.reason ? ` (${d.reason})` : ''}`,
      };
    case 'ECS Task State Change':
      // Tasks the scheduler replaces during a healthy rollout are routine; failures are not.
      return d.lastStatus === 'STOPPED' && d.stopCode !== 'ServiceSchedulerInitiated'
        ? {
            at,
            source: 'ECS',
            text: `task ${tail(d.taskArn)} of ${d.group} STOPPED: ${d.stoppedReason ?? d.stopCode ?? ''}`,
          }
        : undefined;
    case 'Deployment Started':
      return {
        at,
        source: 'autopilot',
        text: `Deployment Started ${d.cluster}/${d.service}: ${revision(d.fromTaskDefinition)} → ${revision(d.toTaskDefinition)} (${d.repository}:${d.tag} ${short(d.digest)})${d.dryRun ? ' [dry run]' : ''}`,
      };
    case 'Deployment Scheduled':
      return {
        at,
        source: 'autopilot',
        text: `Deployment Scheduled ${d.cluster}/${d.service} at ${d.dueAt}: ${d.reason}`,
      };
    case 'Deployment Rolled Back':
      return {
        at,
        source: 'autopilot',
        text: `Deployment Rolled Back ${d.cluster}/${d.service}: ${revision(d.fromTaskDefinition)} → ${revision(d.toTaskDefinition)} by ${d.by} (${d.method}): ${d.reason}`,
      };
    case 'Rollback Failed':
      return { at, source: 'autopilot', text: `Rollback Failed ${d.cluster}/${d.service}: ${d.reason}` };
    case 'Image Quarantined':
      return {
        at,
        source: 'autopilot',
        text: `Image Quarantined ${d.repository}@${short(d.digest)}: ${d.reason}`,
      };
    case 'Deployment Succeeded':
      return {
        at,
        source: 'autopilot',
        text: `Deployment Succeeded ${d.cluster}/${d.service}: ${revision(d.taskDefinition)} is known good`,
      };
    case 'CloudWatch Alarm State Change': {
      const state = d.state as { value?: string } | undefined;
      return { at, source: 'CloudWatch', text: `alarm ${d.alarmName} ${state?.value ?? ''}` };
    }
    case 'Action Failed':
      return {
        at,
        source: 'autopilot',
        text: `Action Failed ${d.cluster ?? ''}/${d.service ?? ''}: ${d.reason}`,
      };
    default:
      return undefined;
  }
}

function describeDelivery(record: Extract<BusRecord, { kind: 'delivery' }>): TimelineLine[] {
  const at = new Date();
  const source = `λ ${record.function}`;
  if (record.outcome !== 'ok') {
    const why = record.error
      ? `${record.error.name}: ${record.error.message}`
      : JSON.stringify(record.result ?? '');
    return [{ at, source, text: `${record.outcome} (attempt ${record.attempt}): ${why}` }];
  }
  const result = (record.result ?? {}) as { decisions?: Record<string, unknown>[]; ignored?: string };
  if (result.ignored) return [{ at, source, text: `not acted on: ${result.ignored}` }];
  const decisions = result.decisions ?? [];
  if (record.function === 'index-services') {
    return decisions.map((d) => ({
      at,
      source,
      text: `${d.action} ${tail(d.service)} ${d.repositories ?? ''} (${d.reason})`,
    }));
  }
  return decisions.map((d) => ({ at, source, text: `${d.action} ${d.cluster}/${d.service}: ${d.reason}` }));
}

function describeCall(call: CallRecord): TimelineLine {
  const input = (call.input ?? {}) as Record<string, unknown>;
  const service = input.service ?? input.serviceName;
  const subject =
    typeof service === 'string' && typeof input.cluster === 'string'
      ? `${tail(input.cluster)}/${service}`
      : (input.family ?? service ?? input.repositoryName ?? input.resourceArn ?? '');
  const target = input.taskDefinition ? ` → ${revision(input.taskDefinition)}` : '';
  const fault = call.fault ? ` [injected ${call.fault}]` : call.error ? ` [${call.error}]` : '';
  return {
    at: call.at,
    source: 'API',
    text: `${call.service}:${call.operation} ${tail(subject)}${target}${fault}`,
  };
}

/**
 * Follows a sandbox and hands each line to `write`. API calls are shown when they change something
 * (or were faulted); reads are counted per delivery.
 *
 * @returns a function that stops following
 */
export function followTimeline(sandbox: Sandbox, write: (line: TimelineLine) => void): () => void {
  let seenCalls = sandbox.plane.calls.length;
  const flushCalls = () => {
    const calls = sandbox.plane.calls.slice(seenCalls);
    seenCalls = sandbox.plane.calls.length;
    const shown = calls.filter(
      (c) => !READ_ONLY.test(c.operation) || c.fault === 'throttle' || c.fault === '5xx' || c.error,
    );
    for (const call of shown) write(describeCall(call));
    const reads = calls.length - shown.length;
    if (reads > 0)
      write({ at: new Date(), source: 'API', text: `${reads} read call${reads === 1 ? '' : 's'}` });
  };
  return sandbox.runtime.bus.subscribe((record) => {
    if (record.kind === 'event') {
      const line = describeEvent(record.event);
      if (line) write(line);
      return;
    }
    flushCalls();
    for (const line of describeDelivery(record)) write(line);
  });
}

/** `HH:MM:SS.mmm source  text`, for terminals. */
export function formatLine(line: TimelineLine): string {
  const time = line.at.toISOString().slice(11, 23);
  return `${time}  ${line.source.padEnd(22)} ${line.text}`;
}
