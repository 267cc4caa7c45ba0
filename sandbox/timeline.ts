/**
 * A readable, time-stamped account of what happens in the local account: images pushed, events on
 * the bus, what each function decided and why, the API calls autopilot made, ECS deployments, and
 * the chat messages autopilot sent.
 *
 * Lines come in time order: API calls are written as they happen (looked for before every other
 * line and every {@link TimelineOptions.pollMs}), events and decisions when they are reported. Unless
 * verbose, read calls are not lines of their own but a count on the decision line of the function
 * that made them, and an index-services decision that repeats the same indexing of the same service
 * within {@link FOLD_MS} is written once.
 */

import type { EventBridgeEvent } from '../tools/eventbridge/event';
import type { ChatListener, ChatMessage } from './chat-sink';
import type { CallRecord } from './control-plane';
import type { BusListener, BusRecord } from './runtime/bus';

/** One line of the timeline. */
export interface TimelineLine {
  at: Date;
  source: string;
  text: string;
}

/** An index-services decision repeated within this time (ms) is written once. */
export const FOLD_MS = 5000;

const READ_ONLY = /^(Describe|List|Get|BatchGet)/;

type Json = Record<string, unknown>;

const short = (digest: unknown) =>
  typeof digest === 'string' ? digest.replace(/^sha256:(.{12}).*$/, 'sha256:$1…') : '';
const tail = (arn: unknown) => (typeof arn === 'string' ? (arn.split('/').slice(-2).join('/') ?? arn) : '');
const revision = (arn: unknown) => (typeof arn === 'string' ? (arn.split('/').pop() ?? arn) : '');
/** The non-empty parts, separated by a space. */
const words = (...parts: (string | undefined)[]) =>
  parts.filter((p) => p !== undefined && p !== '').join(' ');
const asRecord = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
const first = (value: unknown): unknown => (Array.isArray(value) ? value[0] : undefined);
/** A string with something in it, or undefined. */
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

/** ` (exit 1)`, ` (exit 137: OutOfMemoryError: …)`: what the containers that exited non-zero said. */
function exits(containers: unknown): string {
  const failed = (Array.isArray(containers) ? containers.map(asRecord) : []).filter(
    (c) => typeof c.exitCode === 'number' && c.exitCode !== 0,
  );
  return failed.length === 0
    ? ''
    : ` (${failed.map((c) => words(`exit ${c.exitCode}${text(c.reason) ? ':' : ''}`, text(c.reason))).join(', ')})`;
}

/** `cluster/service` of an event or a decision, whichever of the two it names (or neither). */
function serviceOf(fields: Json): string {
  const service = text(fields.service);
  const cluster = text(fields.cluster);
  if (service === undefined) return text(fields.serviceArn) ? tail(fields.serviceArn) : (cluster ?? '');
  if (service.startsWith('arn:')) return tail(service);
  return cluster === undefined || service.includes('/') ? service : `${cluster}/${service}`;
}

function describeEvent(event: EventBridgeEvent, at: Date): TimelineLine | undefined {
  const d = event.detail as Json;
  switch (event['detail-type']) {
    case 'ECR Image Action':
      return {
        at,
        source: 'ECR',
        text: `${String(d['action-type']).toLowerCase()} ${d['repository-name']}${d['image-tag'] ? `:${d['image-tag']}` : ' (no tag)'} ${short(d['image-digest'])} ${d.result}`,
      };
    case 'ECR Replication Action':
      return {
        at,
        source: 'ECR',
        text: `replicated ${d['repository-name']}${d['image-tag'] ? `:${d['image-tag']}` : ' (no tag)'} ${short(d['image-digest'])} from ${d['source-region']} ${d.result}`,
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
            text: `task ${tail(d.taskArn)} of ${d.group} STOPPED: ${d.stoppedReason ?? d.stopCode ?? ''}${exits(d.containers)}`,
          }
        : undefined;
    case 'Deployment Started':
      return {
        at,
        source: 'autopilot',
        text: `Deployment Started ${serviceOf(d)}: ${revision(d.fromTaskDefinition)} → ${revision(d.toTaskDefinition)} (${d.repository}:${d.tag} ${short(d.digest)})${d.dryRun ? ' [dry run]' : ''}`,
      };
    case 'Deployment Scheduled':
      return {
        at,
        source: 'autopilot',
        text: `Deployment Scheduled ${serviceOf(d)} at ${d.dueAt}: ${d.reason}`,
      };
    case 'Deployment Rolled Back':
      return {
        at,
        source: 'autopilot',
        text: `Deployment Rolled Back ${serviceOf(d)}: ${revision(d.fromTaskDefinition)} → ${revision(d.toTaskDefinition)} by ${d.by} (${d.method}): ${d.reason}`,
      };
    case 'Rollback Failed':
      return { at, source: 'autopilot', text: `Rollback Failed ${serviceOf(d)}: ${d.reason}` };
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
        text: `Deployment Succeeded ${serviceOf(d)}: ${revision(d.taskDefinition)} is known good`,
      };
    case 'CloudWatch Alarm State Change': {
      const state = d.state as { value?: string } | undefined;
      return { at, source: 'CloudWatch', text: words('alarm', String(d.alarmName), state?.value) };
    }
    case 'Action Failed':
      return { at, source: 'autopilot', text: `${words('Action Failed', serviceOf(d))}: ${d.reason}` };
    case 'Configuration Problem':
      return {
        at,
        source: 'autopilot',
        text: d.resolved
          ? `Configuration Problem resolved ${serviceOf(d)}: ${d.tagKey} (was ${d.tagValue})`
          : `Configuration Problem ${serviceOf(d)}: ${d.problem}${d.suggestion ? ` (meant ${d.tagKey}=${d.suggestion}?)` : ''}${d.dryRun ? ' [dry run]' : ''}`,
      };
    case 'Task Restarted':
      return {
        at,
        source: 'autopilot',
        text: `Task Restarted ${d.cluster}/${text(d.group) ?? revision(d.taskDefinition)}: ${tail(d.previousTaskArn)} → ${tail(d.taskArn)}, attempt ${d.attempt} of ${d.maxAttempts} (${d.class})${d.dryRun ? ' [dry run]' : ''}`,
      };
    case 'Task Restart Abandoned':
      return {
        at,
        source: 'autopilot',
        text: `Task Restart Abandoned ${d.cluster}/${text(d.group) ?? revision(d.taskDefinition)}${d.lastTaskArn ? ` (${tail(d.lastTaskArn)})` : ''}: ${d.reason}${d.dryRun ? ' [dry run]' : ''}`,
      };
    default:
      // An autopilot event this timeline does not know yet still shows, with what it is about.
      return event.source === 'autopilot'
        ? {
            at,
            source: 'autopilot',
            text: `${words(event['detail-type'], serviceOf(d))}${text(d.reason) ? `: ${d.reason}` : ''}`,
          }
        : undefined;
  }
}

/** The text of one decision: action, subject, reason (a reason that only repeats the action is left out). */
function describeDecision(functionName: string, d: Json): string {
  const action = String(d.action ?? 'decision');
  const reason = text(d.reason) === action ? undefined : text(d.reason);
  if (functionName === 'index-services') {
    const repositories = Array.isArray(d.repositories) ? d.repositories.join(', ') : text(d.repositories);
    return words(action, serviceOf(d), repositories, reason && `(${reason})`);
  }
  if (functionName === 'notify') {
    // The chat lines show what arrived; this says where it went and why (held, parked...).
    const where = words(`${action} →`, text(d.channel) ?? '?');
    const title = text(d.title);
    return words(title ? `${where}: ${title}` : where, reason && `(${reason})`);
  }
  // A restart is about a task: the stopped one (or the one started, or the one captured).
  const task = text(d.previousTaskArn) ?? text(d.lastTaskArn) ?? text(d.taskArn);
  const subject = functionName.startsWith('restart-') && task ? tail(task) : serviceOf(d);
  const head = words(action, subject);
  return reason ? `${head}: ${reason}` : head;
}

/** The lines of one delivery: its failure, or each decision of the function with its reason. */
function describeDelivery(
  record: Extract<BusRecord, { kind: 'delivery' }>,
  at: Date,
  verbose: boolean,
): TimelineLine[] {
  const source = `λ ${record.function}`;
  if (record.outcome !== 'ok') {
    const why = record.error
      ? `${record.error.name}: ${record.error.message}`
      : JSON.stringify(record.result ?? '');
    return [{ at, source, text: `${record.outcome} (attempt ${record.attempt}): ${why}` }];
  }
  const result = (record.result ?? {}) as { decisions?: Json[]; ignored?: string };
  if (result.ignored) return [{ at, source, text: `not acted on: ${result.ignored}` }];
  const decisions = result.decisions ?? [];
  if (decisions.length === 0) return verbose ? [{ at, source, text: 'no decision' }] : [];
  return decisions.map((d) => ({ at, source, text: describeDecision(record.function, d) }));
}

/** `prod/api` of `arn:aws:ecs:…:service/prod/api`, `api:3` of a task definition ARN; a name as is. */
function resourceName(value: unknown): string | undefined {
  const name = text(value);
  if (name === undefined) return undefined;
  const arn = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.+)$/.exec(name);
  if (!arn?.[1]) return name;
  const resource = arn[1];
  const slash = resource.indexOf('/');
  return slash === -1 ? resource : resource.slice(slash + 1);
}

/** The names or ARNs of a field that holds one or a list. */
const resourceNames = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).flatMap((v) => resourceName(v) ?? []);

/** `team/api:main`, `team/api@sha256:…`, or `team/api (3 images)`. */
function imageSubject(repository: string, input: Json): string {
  const ids = Array.isArray(input.imageIds) ? input.imageIds.map(asRecord) : [];
  const one = ids.length === 1 ? ids[0] : input;
  const tag = text(one?.imageTag);
  const digest = text(one?.imageDigest);
  if (ids.length > 1) return `${repository} (${ids.length} images)`;
  return tag ? `${repository}:${tag}` : digest ? `${repository}@${short(digest)}` : repository;
}

/** What an API call is about: a service, task, family, cluster, repository or resource, or nothing. */
function callSubject(input: Json): { subject?: string; target?: string } {
  const cluster = resourceName(input.cluster);
  const inCluster = (name: string) =>
    cluster === undefined || name.includes('/') ? name : `${cluster}/${name}`;
  const services = resourceNames(input.service ?? input.serviceName ?? input.services);
  const tasks = resourceNames(input.task ?? input.tasks);
  const taskDefinition = resourceName(input.taskDefinition);
  const scoped = services.length > 0 ? services : tasks;
  if (scoped.length > 0 || cluster !== undefined) {
    // Services, tasks, or the cluster a task is run in; the revision they are given is the target.
    const subject = scoped.length > 0 ? scoped.map(inCluster).join(', ') : cluster;
    return { subject, target: taskDefinition && `→ ${revision(taskDefinition)}` };
  }
  const repository = text(input.repositoryName);
  const list = (value: unknown) => resourceNames(value).join(', ') || undefined;
  const subject = [
    taskDefinition,
    text(input.family),
    text(input.familyPrefix),
    text(input.clusterName),
    repository && imageSubject(repository, input),
    list(input.clusters),
    list(input.repositoryNames),
    resourceName(input.resourceArn),
    list(input.serviceDeploymentArn ?? input.serviceDeploymentArns ?? input.serviceRevisionArns),
  ].find((candidate) => candidate !== undefined);
  return { subject };
}

/** One API call: service, operation, what it is about, and its fault or error if it had one. */
export function describeCall(call: CallRecord): TimelineLine {
  const { subject, target } = callSubject(asRecord(call.input));
  const injected = call.fault === 'throttle' || call.fault === '5xx';
  const marks = injected
    ? [`injected ${call.fault}`]
    : [call.fault && `injected ${call.fault}`, call.error].filter((m): m is string => !!m);
  return {
    at: call.at,
    source: 'API',
    text: words(
      `${call.service}:${call.operation}`,
      subject,
      target,
      marks.length > 0 ? `[${marks.join('; ')}]` : undefined,
    ),
  };
}

/**
 * The text of the first Adaptive Card TextBlock (or RichTextBlock: its text runs), looking inside
 * containers, column sets and columns.
 */
function firstTextBlock(elements: unknown): string | undefined {
  if (!Array.isArray(elements)) return undefined;
  for (const element of elements) {
    const e = asRecord(element);
    if (e.type === 'TextBlock' && text(e.text)) return text(e.text);
    if (e.type === 'RichTextBlock' && Array.isArray(e.inlines)) {
      const runs = e.inlines.map((inline) =>
        typeof inline === 'string' ? inline : text(asRecord(inline).text),
      );
      const joined = runs.filter(Boolean).join('');
      if (joined) return joined;
    }
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

/** What {@link followTimeline} follows; a `Sandbox` has all of it. */
export interface TimelineSources {
  plane: { readonly calls: readonly CallRecord[] };
  runtime: { bus: { subscribe(listener: BusListener): () => void } };
  chat: { subscribe(listener: ChatListener): () => void };
}

/** Options of {@link followTimeline}. */
export interface TimelineOptions {
  /** Every API call on a line of its own (reads too) and nothing folded; default false. */
  verbose?: boolean;
  /** The time of events and decisions, taken when they are reported; default the system clock. */
  now?: () => Date;
  /** How often to look for API calls between other records (ms); default 100, 0 only with them. */
  pollMs?: number;
}

/** Stops following when called (after writing the API calls not written yet). */
export interface FollowedTimeline {
  (): void;
  /**
   * Writes the API calls not written yet and starts afresh: reads not yet counted are forgotten and
   * nothing is folded across this point. Call it before a heading (a new scenario) or a summary.
   */
  flush(): void;
}

const isQuietRead = (call: CallRecord) =>
  READ_ONLY.test(call.operation) && call.fault !== 'throttle' && call.fault !== '5xx' && !call.error;

/**
 * Follows a sandbox and hands each line to `write`, in time order (the times written never go
 * back). See the module documentation for what is folded unless `verbose`.
 *
 * @example
 * const timeline = followTimeline(sandbox, (line) => console.log(formatLine(line)));
 * timeline.flush(); // before a heading
 * timeline(); // stop
 */
export function followTimeline(
  sources: TimelineSources,
  write: (line: TimelineLine) => void,
  options: TimelineOptions = {},
): FollowedTimeline {
  const verbose = options.verbose === true;
  const now = options.now ?? (() => new Date());
  let last = Number.NEGATIVE_INFINITY;
  const emit = (line: TimelineLine) => {
    // Clocks of the parts may differ by a millisecond; the timeline must not go back.
    const time = Math.max(line.at.getTime(), last);
    last = time;
    write(time === line.at.getTime() ? line : { ...line, at: new Date(time) });
  };

  let seenCalls = sources.plane.calls.length;
  /** times of the reads not written, until the delivery of the function that made them */
  let reads: number[] = [];
  const writeCalls = () => {
    const calls = sources.plane.calls;
    seenCalls = Math.min(seenCalls, calls.length);
    for (; seenCalls < calls.length; seenCalls++) {
      const call = calls[seenCalls] as CallRecord;
      if (!verbose && isQuietRead(call)) reads.push(call.at.getTime());
      else emit(describeCall(call));
    }
  };

  /** when each index-services line was last seen */
  const indexed = new Map<string, number>();
  const folded = (line: TimelineLine) => {
    const seen = indexed.get(line.text);
    indexed.set(line.text, line.at.getTime());
    return seen !== undefined && line.at.getTime() - seen <= FOLD_MS;
  };

  const unfollowBus = sources.runtime.bus.subscribe((record) => {
    writeCalls();
    const at = now();
    if (record.kind === 'event') {
      const line = describeEvent(record.event, at);
      if (line) emit(line);
      return;
    }
    // Functions run one at a time: the reads since this invocation started are its own.
    const started = at.getTime() - record.durationMs;
    const made = reads.filter((t) => t >= started).length;
    reads = [];
    let lines = describeDelivery(record, at, verbose);
    if (!verbose && record.function === 'index-services') lines = lines.filter((l) => !folded(l));
    const lastLine = lines[lines.length - 1];
    if (lastLine && made > 0) lastLine.text += ` (${made} read${made === 1 ? '' : 's'})`;
    for (const line of lines) emit(line);
  });
  const unfollowChat = sources.chat.subscribe((message) => {
    writeCalls();
    emit(describeChatMessage(message));
  });
  const pollMs = options.pollMs ?? 100;
  const poll = pollMs > 0 ? setInterval(writeCalls, pollMs) : undefined;
  poll?.unref();

  const stop = () => {
    writeCalls();
    if (poll) clearInterval(poll);
    unfollowBus();
    unfollowChat();
  };
  return Object.assign(stop, {
    flush: () => {
      writeCalls();
      reads = [];
      indexed.clear();
    },
  });
}

/** `HH:MM:SS.mmm source  text`, for terminals. */
export function formatLine(line: TimelineLine): string {
  const time = line.at.toISOString().slice(11, 23);
  return `${time}  ${line.source.padEnd(22)} ${line.text}`;
}
