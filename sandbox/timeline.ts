/**
 * A readable, time-stamped account of what happens in the local account: images pushed, events on
 * the bus, what each function decided and why, the API calls autopilot made, ECS deployments, and
 * the chat messages autopilot sent.
 */

import type { Sandbox } from './account';
import type { ChatMessage } from './chat-sink';
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
  if (record.function === 'notify') {
    // The chat lines show what arrived; this says where it went and why (held, parked...).
    return decisions.map((d) => ({
      at,
      source,
      text: `${d.action} → ${d.channel}: ${d.title ?? ''} (${d.reason})`,
    }));
  }
  return decisions.map((d) => ({ at, source, text: `${d.action} ${subject(d)}: ${d.reason}` }));
}

/** `cluster/service` of a decision: deploy decisions name both, rollback decisions `cluster/service` already. */
function subject(decision: Record<string, unknown>): string {
  const service = String(decision.service ?? '');
  return decision.cluster === undefined || service.includes('/') ? service : `${decision.cluster}/${service}`;
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

type Json = Record<string, unknown>;

const asRecord = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : undefined);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** The text of the first Adaptive Card TextBlock, looking inside containers, column sets and columns. */
function firstTextBlock(elements: unknown): string | undefined {
  if (!Array.isArray(elements)) return undefined;
  for (const element of elements) {
    const e = asRecord(element);
    if (e.type === 'TextBlock' && text(e.text)) return text(e.text);
    const inner = firstTextBlock(e.items) ?? firstTextBlock(e.columns);
    if (inner) return inner;
  }
  return undefined;
}

/** The first non-empty text of the first Slack block (header or section). */
function firstSlackBlock(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks) {
    const found = text(asRecord(asRecord(block).text).text);
    if (found) return found;
  }
  return undefined;
}

/**
 * The title of a chat message as a person would see it first: Slack `text` (else its first block),
 * the Teams card's first TextBlock, Discord `embeds[0].title`, Google Chat
 * `cardsV2[0].card.header.title`, the webhook's `title`, the AWS Chatbot notification's
 * `content.title`; each falls back on the plain text of the message. First line only.
 */
export function chatTitle(message: ChatMessage): string {
  const body = asRecord(message.body);
  let title: string | undefined;
  switch (message.kind) {
    case 'slack':
    case 'slack-api':
      title = text(body.text) ?? firstSlackBlock(body.blocks);
      break;
    case 'teams':
      title = firstTextBlock(asRecord(asRecord(first(body.attachments)).content).body) ?? text(body.text);
      break;
    case 'discord':
      title = text(asRecord(first(body.embeds)).title) ?? text(body.content);
      break;
    case 'google-chat':
      title = text(asRecord(asRecord(asRecord(first(body.cardsV2)).card).header).title) ?? text(body.text);
      break;
    case 'webhook':
      title = text(body.title);
      break;
    case 'sns': {
      const content = asRecord(body.content);
      title = text(content.title) ?? text(content.description) ?? message.subject;
      break;
    }
  }
  if (title === undefined && typeof message.body === 'string') title = text(message.body);
  const line = (title ?? '(no title)').split('\n')[0] ?? '';
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

/** One line per chat message: kind, channel, title, and what went wrong if anything did. */
export function describeChatMessage(message: ChatMessage): TimelineLine {
  const where =
    message.kind === 'slack-api'
      ? `slack ${message.channel}${message.method === 'chat.update' ? ' (update)' : message.threadTs ? ' (thread)' : ''}`
      : `${message.kind} ${message.channel}`;
  const marks = [
    message.status >= 300 ? `HTTP ${message.status}` : undefined,
    message.verified === true ? 'signed' : undefined,
    message.problem,
  ].filter((mark): mark is string => mark !== undefined);
  return {
    at: message.at,
    source: 'chat',
    text: `${where}: ${chatTitle(message)}${marks.length > 0 ? ` [${marks.join('; ')}]` : ''}`,
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
  const unfollowBus = sandbox.runtime.bus.subscribe((record) => {
    if (record.kind === 'event') {
      const line = describeEvent(record.event);
      if (line) write(line);
      return;
    }
    flushCalls();
    for (const line of describeDelivery(record)) write(line);
  });
  const unfollowChat = sandbox.chat.subscribe((message) => write(describeChatMessage(message)));
  return () => {
    unfollowBus();
    unfollowChat();
  };
}

/** `HH:MM:SS.mmm source  text`, for terminals. */
export function formatLine(line: TimelineLine): string {
  const time = line.at.toISOString().slice(11, 23);
  return `${time}  ${line.source.padEnd(22)} ${line.text}`;
}
