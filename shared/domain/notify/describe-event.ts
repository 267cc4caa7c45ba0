/**
 * Describe: an autopilot event becomes a channel-neutral {@link NotificationMessage} that says what
 * happened, why, to what, with links to the AWS console. Each detail-type has a formatter in
 * {@link FORMATTERS}; a detail-type that has none yet (a new capability's) or a detail that does not
 * match its contract gets a generic message built from its fields, so no event is ever dropped.
 */
import type * as z from 'zod/mini';
import {
  ACTION_FAILED,
  type AutopilotDetailType,
  AutopilotEventSchemas,
  CONFIGURATION_PROBLEM,
  DEPLOYMENT_REVERTED,
  DEPLOYMENT_ROLLED_BACK,
  DEPLOYMENT_SCHEDULED,
  DEPLOYMENT_STARTED,
  DEPLOYMENT_SUCCEEDED,
  IMAGE_QUARANTINED,
  ROLLBACK_FAILED,
  type StopClass,
  TAG_POLICY_ENFORCED,
  TAG_POLICY_REMEDIATED,
  TAG_POLICY_RESTORED,
  TAG_POLICY_SUMMARY,
  TAG_POLICY_VIOLATION,
  TASK_RESTART_ABANDONED,
  TASK_RESTARTED,
} from '../../events/autopilot-events';
import type { NotificationWindow } from '../../ports';
import { parseTaskArn, parseTaskDefinition, shortTaskDefinition } from '../aws/arn';
import { shortDigest } from '../aws/image-reference';
import { formatDuration } from '../policy/duration';
import { POLICY_TAG } from '../policy/service-tags';
import type { EventOrigin, Fact, Link, NotificationMessage, Severity } from './message';

export { shortDigest };

/** An autopilot event as the notifier receives it. */
export interface DescribableEvent {
  id: string;
  /** ISO time of the event */
  time: string;
  account: string;
  region: string;
  detailType: string;
  detail: unknown;
}

/**
 * What a formatter says about an event; {@link describeEvent} adds id, time, type and dry-run marking.
 * `severity` overrides the detail-type's {@link EVENT_SEVERITY} for an event that says good news
 * under a type that usually brings bad news (a configuration problem resolved).
 */
export type Description = Pick<
  NotificationMessage,
  'title' | 'text' | 'reason' | 'facts' | 'links' | 'cluster' | 'service' | 'threadKey'
> & { severity?: Severity };

/** The detail of an autopilot event of type `K`, as its contract parses it. */
export type DetailOf<K extends AutopilotDetailType> = z.infer<(typeof AutopilotEventSchemas)[K]>;

/** Turns the parsed detail of one detail-type into a {@link Description}. */
export type Formatter<K extends AutopilotDetailType> = (
  detail: DetailOf<K>,
  origin: EventOrigin,
) => Description;

/** How bad each autopilot event is. */
export const EVENT_SEVERITY: { readonly [K in AutopilotDetailType]: Severity } = {
  [DEPLOYMENT_STARTED]: 'info',
  [DEPLOYMENT_SCHEDULED]: 'info',
  [DEPLOYMENT_REVERTED]: 'warning',
  [ACTION_FAILED]: 'error',
  [DEPLOYMENT_ROLLED_BACK]: 'warning',
  [ROLLBACK_FAILED]: 'error',
  [IMAGE_QUARANTINED]: 'warning',
  [DEPLOYMENT_SUCCEEDED]: 'success',
  // `success` when it announces that the problem is resolved.
  [CONFIGURATION_PROBLEM]: 'warning',
  [TASK_RESTARTED]: 'warning',
  [TASK_RESTART_ABANDONED]: 'error',
  [TAG_POLICY_VIOLATION]: 'warning',
  [TAG_POLICY_REMEDIATED]: 'info',
  // `warning` when enforcement could only notify.
  [TAG_POLICY_ENFORCED]: 'error',
  [TAG_POLICY_RESTORED]: 'info',
  // `warning` when a resource still violates, or the run cap held the run.
  [TAG_POLICY_SUMMARY]: 'info',
};

// ---------------------------------------------------------------------------------------------------
// Short forms and console links

/** A URL path segment; `:` stays readable (it is valid in a path, and digests carry one). */
const segment = (value: string) => encodeURIComponent(value).replace(/%3A/gi, ':');

/** The region and account, when they are safe to put in a console host name and path. */
function consoleOf(origin: EventOrigin): EventOrigin | undefined {
  return /^[a-z]{2}(-[a-z]+)+-\d$/.test(origin.region) && /^\d{12}$/.test(origin.account)
    ? origin
    : undefined;
}

const consoleBase = (region: string) => `https://${region}.console.aws.amazon.com`;

/** The ECS console page of a service (its health tab). */
export function serviceConsoleUrl(cluster: string, service: string, origin: EventOrigin): string | undefined {
  const at = consoleOf(origin);
  if (!at) return undefined;
  return `${consoleBase(at.region)}/ecs/v2/clusters/${segment(cluster)}/services/${segment(service)}/health?region=${at.region}`;
}

/** The ECS console page of a task-definition revision. */
export function taskDefinitionConsoleUrl(taskDefinition: string, origin: EventOrigin): string | undefined {
  const at = consoleOf(origin);
  const parsed = parseTaskDefinition(taskDefinition);
  if (!at || !parsed) return undefined;
  return `${consoleBase(at.region)}/ecs/v2/task-definitions/${segment(parsed.family)}/${parsed.revision}/containers?region=${at.region}`;
}

/**
 * The ECR console page of an image. Repository names may hold `/`: the console keeps them as path
 * separators (the `_` segment ends the name), so each part is encoded on its own.
 */
export function imageConsoleUrl(repository: string, digest: string, origin: EventOrigin): string | undefined {
  const at = consoleOf(origin);
  if (!at) return undefined;
  const name = repository.split('/').map(segment).join('/');
  return `${consoleBase(at.region)}/ecr/repositories/private/${at.account}/${name}/_/image/${segment(digest)}/details?region=${at.region}`;
}

const link = (label: string, url: string | undefined): Link[] => (url ? [{ label, url }] : []);

const serviceLink = (cluster: string, service: string, origin: EventOrigin) =>
  link('ECS service', serviceConsoleUrl(cluster, service, origin));

const revisionLink = (taskDefinition: string, origin: EventOrigin) =>
  link(
    `Task definition ${shortTaskDefinition(taskDefinition)}`,
    taskDefinitionConsoleUrl(taskDefinition, origin),
  );

const imageLink = (repository: string, digest: string, origin: EventOrigin) =>
  link('ECR image', imageConsoleUrl(repository, digest, origin));

/** `2026-11-23 10:30 UTC` (seconds only when there are some); anything unparsable as is. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const text = date.toISOString();
  const seconds = text.slice(17, 19);
  return `${text.slice(0, 10)} ${text.slice(11, 16)}${seconds === '00' ? '' : `:${seconds}`} UTC`;
}

const fact = (label: string, value: string | undefined): Fact[] =>
  value === undefined || value === '' ? [] : [{ label, value }];

/** The cluster and the service an event is about. */
const serviceFacts = (d: { cluster?: string; service?: string }): Fact[] => [
  ...fact('Cluster', d.cluster),
  ...fact('Service', d.service),
];

/** The revisions a service went from and to (short forms). */
const revisionChangeFacts = (from: string, to: string): Fact[] => [
  ...fact('Revision before', from),
  ...fact('Revision after', to),
];

type Signal = DetailOf<typeof DEPLOYMENT_ROLLED_BACK>['signals'][number];

const signalsFact = (signals: readonly Signal[]): Fact[] =>
  fact(
    'Signals',
    // Reasons often name their kind already ("alarm api-5xx in ALARM"): say it once.
    signals
      .map((s) => (s.reason.startsWith(s.kind.replace('-', ' ')) ? s.reason : `${s.kind}: ${s.reason}`))
      .join('\n'),
  );

const plural = (count: number, word: string) => (count === 1 ? word : `${word}s`);

/** The events of one deployment share a thread: the service and the revision being deployed. */
const deploymentThread = (cluster: string, service: string, taskDefinition: string) =>
  `${cluster}/${service}@${taskDefinition}`;

const METHOD_PHRASE: { readonly [M in DetailOf<typeof DEPLOYMENT_ROLLED_BACK>['method']]: string } = {
  'stop-deployment': ' by stopping the deployment',
  'update-service': ' by updating the service',
  none: '',
};

const BY_LABEL: { readonly [B in DetailOf<typeof DEPLOYMENT_ROLLED_BACK>['by']]: string } = {
  autopilot: 'autopilot',
  ecs: 'ECS',
  person: 'a person',
};

// ---------------------------------------------------------------------------------------------------
// The formatters

/** What each class of stop reads as in a sentence: "<task> <phrase>". */
const STOP_PHRASE: { readonly [C in StopClass]: string } = {
  'exited-non-zero': 'exited with an error',
  'out-of-memory': 'ran out of memory',
  'exited-zero': 'exited 0',
  'stopped-by-user': 'was stopped by a user',
  'stopped-by-scheduler': 'was stopped by its service',
  'stopped-by-autopilot': 'was stopped by autopilot',
  'capacity-lost': 'lost its capacity (spot interruption or termination)',
  'failed-to-start-transient': 'failed to start (a cause that can heal)',
  'failed-to-start-permanent': 'failed to start (a cause that will not heal)',
  'run-task-failed': "could not be started (RunTask's failures)",
  unknown: 'stopped',
};

/** The id of a task ARN (what the console and people use), or the text given. */
const taskIdOf = (taskArn: string) => parseTaskArn(taskArn)?.taskId ?? taskArn;

/** The ECS console page of a task. */
export function taskConsoleUrl(cluster: string, taskArn: string, origin: EventOrigin): string | undefined {
  const at = consoleOf(origin);
  if (!at) return undefined;
  return `${consoleBase(at.region)}/ecs/v2/clusters/${segment(cluster)}/tasks/${segment(taskIdOf(taskArn))}/configuration?region=${at.region}`;
}

/** One thread per restart chain: its restarts and its abandonment answer the first message. */
const restartThread = (clusterArn: string, chainId: string) => `restart#${clusterArn}#${chainId}`;

/** The formatters of the restart capability's events (kept apart: they name tasks, not services). */
const RESTART_FORMATTERS: {
  readonly [K in typeof TASK_RESTARTED | typeof TASK_RESTART_ABANDONED]: Formatter<K>;
} = {
  [TASK_RESTARTED]: (d, origin) => {
    const what = `${d.cluster}/${shortTaskDefinition(d.taskDefinition)}`;
    const previous = taskIdOf(d.previousTaskArn);
    const verb = d.dryRun ? 'Autopilot would have started' : 'Autopilot started';
    const waited =
      d.delaySeconds > 0 ? ` after waiting ${formatDuration(d.delaySeconds * 1000)}` : ' at once';
    return {
      title: `${what} restarted (attempt ${d.attempt} of ${d.maxAttempts})`,
      text: `Task ${previous} ${STOP_PHRASE[d.class]}. ${verb} it again with the same launch spec${waited}${d.taskArn ? ` as ${taskIdOf(d.taskArn)}` : ''}.`,
      reason: d.reason,
      facts: [
        ...fact('Cluster', d.cluster),
        ...fact('Group', d.group),
        ...fact('Revision', shortTaskDefinition(d.taskDefinition)),
        ...fact('Attempt', `${d.attempt} of ${d.maxAttempts}`),
        ...fact('Stopped task', previous),
        ...fact('Why it stopped', d.stopReason),
        ...fact('New task', d.taskArn && taskIdOf(d.taskArn)),
      ],
      links: [
        ...link('Stopped task', taskConsoleUrl(d.cluster, d.previousTaskArn, origin)),
        ...(d.taskArn ? link('New task', taskConsoleUrl(d.cluster, d.taskArn, origin)) : []),
        ...revisionLink(d.taskDefinition, origin),
      ],
      cluster: d.cluster,
      threadKey: restartThread(d.clusterArn, d.chainId),
    };
  },

  [TASK_RESTART_ABANDONED]: (d, origin) => {
    const what = `${d.cluster}/${shortTaskDefinition(d.taskDefinition)}`;
    const last = taskIdOf(d.lastTaskArn);
    return {
      title: `${what}: restarts abandoned after ${d.attempt} of ${d.maxAttempts}`,
      text: `Task ${last} ${STOP_PHRASE[d.class]}, and autopilot ${d.dryRun ? 'would give' : 'gave'} up restarting it: ${d.reason}. Start it again yourself once the cause is fixed.`,
      reason: d.reason,
      facts: [
        ...fact('Cluster', d.cluster),
        ...fact('Group', d.group),
        ...fact('Revision', shortTaskDefinition(d.taskDefinition)),
        ...fact('Restarts made', `${d.attempt} of ${d.maxAttempts}`),
        ...fact('Last task', last),
        ...fact('Last reasons', d.lastReasons.join(' | ')),
      ],
      links: [
        ...link('Last task', taskConsoleUrl(d.cluster, d.lastTaskArn, origin)),
        ...revisionLink(d.taskDefinition, origin),
      ],
      cluster: d.cluster,
      threadKey: restartThread(d.clusterArn, d.chainId),
    };
  },
};

// ---------------------------------------------------------------------------------------------------
// Tag policies

type TagResourceDetail = DetailOf<typeof TAG_POLICY_VIOLATION>;
type TagViolationDetail = TagResourceDetail['violations'][number];
/** What every tag policy event about one resource says of it. */
type TagResourceRef = Pick<
  TagResourceDetail,
  'resourceType' | 'resourceArn' | 'name' | 'cluster' | 'service' | 'rule'
>;

/** What each resource type is called in a sentence. */
const RESOURCE_KIND: { readonly [T in TagResourceDetail['resourceType']]: string } = {
  'ecs:cluster': 'ECS cluster',
  'ecs:service': 'ECS service',
  'ecs:task': 'ECS task',
  'ecs:task-definition': 'ECS task definition',
  'ecs:capacity-provider': 'ECS capacity provider',
  'ecr:repository': 'ECR repository',
};

/** How people name the resource: `prod/api`, `batch/worker task 0b1c2d3e…`, `api:3`, the name otherwise. */
function resourceName(
  d: Pick<TagResourceDetail, 'resourceType' | 'resourceArn' | 'name' | 'cluster'>,
): string {
  switch (d.resourceType) {
    case 'ecs:service':
      return d.cluster ? `${d.cluster}/${d.name}` : d.name;
    case 'ecs:task':
      return `${d.cluster ? `${d.cluster}/` : ''}${d.name} task ${taskIdOf(d.resourceArn)}`;
    case 'ecs:task-definition':
      return shortTaskDefinition(d.resourceArn);
    default:
      return d.name;
  }
}

/** The console page of a tag policy event's resource; none for a capacity provider (it has no page of its own). */
function resourceLinks(d: TagResourceRef, origin: EventOrigin): Link[] {
  const at = consoleOf(origin);
  if (!at) return [];
  const kind = RESOURCE_KIND[d.resourceType];
  switch (d.resourceType) {
    case 'ecs:cluster':
      return link(
        kind,
        `${consoleBase(at.region)}/ecs/v2/clusters/${segment(d.name)}/services?region=${at.region}`,
      );
    case 'ecs:service':
      return d.cluster ? serviceLink(d.cluster, d.name, origin) : [];
    case 'ecs:task':
      return d.cluster ? link(kind, taskConsoleUrl(d.cluster, d.resourceArn, origin)) : [];
    case 'ecs:task-definition':
      return revisionLink(d.resourceArn, origin);
    case 'ecr:repository': {
      const name = d.name.split('/').map(segment).join('/');
      return link(
        kind,
        `${consoleBase(at.region)}/ecr/repositories/private/${at.account}/${name}?region=${at.region}`,
      );
    }
    default:
      return [];
  }
}

/** The cluster and service a route filters on: a service is its own; a cluster's name is its cluster. */
const tagRouteFields = (d: Pick<TagResourceDetail, 'resourceType' | 'name' | 'cluster'>) => ({
  cluster: d.resourceType === 'ecs:cluster' ? d.name : d.cluster,
  service: d.resourceType === 'ecs:service' ? d.name : undefined,
});

/** The facts every tag policy event about one resource starts with. */
const tagResourceFacts = (d: TagResourceRef): Fact[] => [
  ...fact('Resource', `${RESOURCE_KIND[d.resourceType]} ${resourceName(d)}`),
  ...(d.resourceType === 'ecs:cluster' ? [] : fact('Cluster', d.cluster)),
  ...(d.resourceType === 'ecs:task' ? fact('Service', d.service) : []),
  ...fact('Rule', d.rule),
];

/** One thread per resource: its violation, remediation, enforcement and restore answer each other. */
const tagThread = (resourceArn: string) => `tag-policy#${resourceArn}`;

const describeTagViolation = (v: TagViolationDetail) =>
  v.problem === 'missing' ? `${v.key} is missing` : `${v.key} is "${v.value}", expected ${v.allowed}`;

/** The violations as facts: the keys missing on one line, each value not allowed on its own. */
const violationFacts = (violations: readonly TagViolationDetail[]): Fact[] => [
  ...fact(
    'Missing',
    violations
      .filter((v) => v.problem === 'missing')
      .map((v) => v.key)
      .join(', '),
  ),
  ...fact(
    'Not allowed',
    violations
      .flatMap((v) => (v.problem === 'not-allowed' ? [`${v.key}=${v.value} (expected ${v.allowed})`] : []))
      .join('\n'),
  ),
];

/** When a mark is due, `2026-12-11 01:45 UTC`. */
const dueOf = (due: string) => formatTime(due.replace(/Z$/, ':00Z'));

/** What enforcement does when the mark is due, as a sentence's end. */
function whenDuePhrase(d: TagResourceDetail): string {
  const due = dueOf(d.due);
  switch (d.whenDue) {
    case 'report-only':
      return `rule ${d.rule} is in ${d.mode} mode, so autopilot only reports it (in enforce mode it would act after ${due})`;
    case 'stop-task':
      return `if it still does not comply after ${due}, autopilot stops the task`;
    case 'scale-to-zero':
      return `if it still does not comply after ${due}, autopilot scales the service to zero, keeping its desired count to restore once it complies`;
    case 'notify-only':
      return `if it still does not comply after ${due}, autopilot only notifies: no safe action is opted in for it`;
  }
}

const WHEN_DUE_LABEL: { readonly [W in TagResourceDetail['whenDue']]: string } = {
  'report-only': 'report only',
  'stop-task': 'stop the task',
  'scale-to-zero': 'scale to zero',
  'notify-only': 'notify only',
};

const FROM_PHRASE = (from: DetailOf<typeof TAG_POLICY_REMEDIATED>['added'][number]['from']) =>
  from === 'default' ? "the rule's default" : `from its ${from.replace('-', ' ')}`;

const BECAUSE_PHRASE: { readonly [B in DetailOf<typeof TAG_POLICY_RESTORED>['because']]: string } = {
  complies: 'it complies now',
  exempt: 'it is exempt now',
  'rule-removed': 'its rule is no longer in the policy file',
  'rule-no-longer-selects': 'its rule no longer selects it',
};

/** The summary's counts of one row in words, only those that are not zero. */
function rowCounts(row: DetailOf<typeof TAG_POLICY_SUMMARY>['rows'][number]): string {
  const words: Array<[number, string]> = [
    [row.compliant, 'compliant'],
    [row.violating, 'violating'],
    [row.exempt, 'exempt'],
    [row.skipped, 'held by the run cap'],
    [row.remediated, 'remediated'],
    [row.enforced, 'enforced'],
    [row.restored, 'restored'],
  ];
  return (
    words
      .filter(([n]) => n > 0)
      .map(([n, word]) => `${n} ${word}`)
      .join(', ') || 'nothing selected'
  );
}

const MAX_SUMMARY_ROWS = 20;

/** The formatters of the tag policy capability's events. */
const TAG_FORMATTERS: {
  readonly [K in
    | typeof TAG_POLICY_VIOLATION
    | typeof TAG_POLICY_REMEDIATED
    | typeof TAG_POLICY_ENFORCED
    | typeof TAG_POLICY_RESTORED
    | typeof TAG_POLICY_SUMMARY]: Formatter<K>;
} = {
  [TAG_POLICY_VIOLATION]: (d, origin) => {
    const what = resourceName(d);
    const wrong = d.violations.map(describeTagViolation).join('; ');
    return {
      title: `${what}: tag policy ${d.rule} violated`,
      text: `The ${RESOURCE_KIND[d.resourceType]} ${what} does not carry the tags rule ${d.rule} asks for: ${wrong}. Autopilot ${d.dryRun ? 'would mark' : 'marked'} it: ${whenDuePhrase(d)}. Fix its tags to clear the mark.`,
      reason: d.reason,
      facts: [
        ...tagResourceFacts(d),
        ...fact('Mode', d.mode),
        ...violationFacts(d.violations),
        ...fact('Due', dueOf(d.due)),
        ...fact('When due', WHEN_DUE_LABEL[d.whenDue]),
        ...fact('Limits', d.limits.join('\n')),
      ],
      links: resourceLinks(d, origin),
      ...tagRouteFields(d),
      threadKey: tagThread(d.resourceArn),
    };
  },

  [TAG_POLICY_REMEDIATED]: (d, origin) => {
    const what = resourceName(d);
    const added = d.added.map((a) => `${a.key}=${a.value} (${FROM_PHRASE(a.from)})`).join(', ');
    const left = d.remaining.length
      ? ` Still not compliant: ${d.remaining.map(describeTagViolation).join('; ')}.`
      : ` It complies with rule ${d.rule} now.`;
    return {
      title: `${what}: ${d.added.length} ${plural(d.added.length, 'tag')} added by tag policy ${d.rule}`,
      text: `Autopilot ${d.dryRun ? 'would add' : 'added'} ${added} to the ${RESOURCE_KIND[d.resourceType]} ${what}.${left}`,
      reason: d.reason,
      facts: [
        ...tagResourceFacts(d),
        ...fact('Added', d.added.map((a) => `${a.key}=${a.value} (${FROM_PHRASE(a.from)})`).join('\n')),
        ...violationFacts(d.remaining),
      ],
      links: resourceLinks(d, origin),
      ...tagRouteFields(d),
      threadKey: tagThread(d.resourceArn),
    };
  },

  [TAG_POLICY_ENFORCED]: (d, origin) => {
    const what = resourceName(d);
    const kind = RESOURCE_KIND[d.resourceType];
    const wrong = d.violations.map(describeTagViolation).join('; ');
    const due = dueOf(d.due);
    const acted = {
      'stopped-task': {
        title: `${what} stopped by tag policy ${d.rule}`,
        text: `Autopilot ${d.dryRun ? 'would stop' : 'stopped'} the ${kind} ${what}: its grace ended ${due} and it still does not comply (${wrong}).`,
      },
      'scaled-to-zero': {
        title: `${what} scaled to zero by tag policy ${d.rule}`,
        text: `Autopilot ${d.dryRun ? 'would scale' : 'scaled'} the ${kind} ${what} to zero: its grace ended ${due} and it still does not comply (${wrong}). Its desired count${d.desiredCount ? ` ${d.desiredCount}` : ''} is kept and restored once it complies.`,
      },
      'notify-only': {
        title: `${what}: tag policy ${d.rule} overdue`,
        text: `The grace of the ${kind} ${what} ended ${due} and it still does not comply (${wrong}). Autopilot only notifies: no safe action is opted in for it.`,
      },
    }[d.action];
    return {
      ...acted,
      reason: d.reason,
      facts: [
        ...tagResourceFacts(d),
        ...fact('Action', d.action),
        ...fact('Desired count kept', d.desiredCount === undefined ? undefined : String(d.desiredCount)),
        ...violationFacts(d.violations),
        ...fact('Due', due),
      ],
      links: resourceLinks(d, origin),
      ...tagRouteFields(d),
      threadKey: tagThread(d.resourceArn),
      ...(d.action === 'notify-only' ? { severity: 'warning' as const } : {}),
    };
  },

  [TAG_POLICY_RESTORED]: (d, origin) => {
    const what = resourceName(d);
    const kind = RESOURCE_KIND[d.resourceType];
    const why = BECAUSE_PHRASE[d.because];
    const mark = d.markCleared
      ? ` Its violation mark${d.due ? ` (due ${dueOf(d.due)})` : ''} ${d.dryRun ? 'would be' : 'is'} cleared.`
      : '';
    const restored =
      d.restored === 'desired-count'
        ? {
            title: `${what} scaled back to ${d.desiredCount} (tag policy ${d.rule})`,
            text: `Autopilot ${d.dryRun ? 'would give' : 'gave'} the ${kind} ${what} its desired count ${d.desiredCount} back, which it had scaled to zero: ${why}.${mark}`,
          }
        : {
            title: `${what}: tag policy ${d.rule} mark cleared`,
            text: `Autopilot ${d.dryRun ? 'would clear' : 'cleared'} the violation mark of the ${kind} ${what}${d.due ? ` (due ${dueOf(d.due)})` : ''}: ${why}.`,
          };
    return {
      ...restored,
      reason: d.reason,
      facts: [
        ...tagResourceFacts(d),
        ...fact('Desired count', d.desiredCount === undefined ? undefined : String(d.desiredCount)),
        ...fact('Mark cleared', d.markCleared ? 'yes' : 'no'),
        ...fact('Why', why),
      ],
      links: resourceLinks(d, origin),
      ...tagRouteFields(d),
      threadKey: tagThread(d.resourceArn),
    };
  },

  [TAG_POLICY_SUMMARY]: (d) => {
    const total = (
      key: 'violating' | 'compliant' | 'exempt' | 'skipped' | 'remediated' | 'enforced' | 'restored',
    ) => d.rows.reduce((sum, row) => sum + row[key], 0);
    const violating = total('violating');
    const skipped = total('skipped');
    const part = d.complete ? '' : ' (so far: the sweep goes on in its next invocation)';
    const shown = d.rows.slice(0, MAX_SUMMARY_ROWS);
    const cap = d.overCap
      ? ` The run would have changed ${d.overCap.changes} resources, more than maxChangesPerRun ${d.overCap.max}, so it changed none.`
      : '';
    // Counted per rule: a resource that two rules select is counted by each.
    const counts = [
      `${total('compliant')} compliant`,
      `${violating} violating`,
      `${total('exempt')} exempt`,
      ...(skipped > 0 ? [`${skipped} held by the run cap`] : []),
      `${total('remediated')} remediated`,
      `${total('enforced')} enforced`,
      `${total('restored')} restored`,
    ].join(', ');
    return {
      title: `Tag policy sweep: ${violating} ${plural(violating, 'violation')} in ${d.resourcesSeen} ${plural(d.resourcesSeen, 'resource')}${d.complete ? '' : ', continuing'}`,
      text: `Autopilot ${d.dryRun ? 'would have swept' : 'swept'} ${d.resourcesSeen} ${plural(d.resourcesSeen, 'resource')}${part}. By rule: ${counts}.${cap}`,
      facts: [
        ...fact('Resources seen', String(d.resourcesSeen)),
        ...fact('Complete', d.complete ? 'yes' : 'no, continues'),
        ...shown.map((row) => ({ label: `${row.rule} · ${row.resourceType}`, value: rowCounts(row) })),
        ...(d.rows.length > shown.length
          ? fact('Not listed', `${d.rows.length - shown.length} more rows`)
          : []),
      ],
      links: [],
      // The parts of one sweep answer each other.
      threadKey: `tag-sweep#${d.sweepId}`,
      ...(violating > 0 || skipped > 0 || d.overCap ? { severity: 'warning' as const } : {}),
    };
  },
};

/**
 * One formatter per autopilot detail-type. The mapped type makes it exhaustive: a detail-type added
 * to `AutopilotEventSchemas` fails the typecheck until it has a formatter here.
 */
export const FORMATTERS: { readonly [K in AutopilotDetailType]: Formatter<K> } = {
  [DEPLOYMENT_STARTED]: (d, origin) => {
    const to = shortTaskDefinition(d.toTaskDefinition);
    const from = shortTaskDefinition(d.fromTaskDefinition);
    const verb = d.dryRun ? 'Autopilot would have pointed' : 'Autopilot pointed';
    const containers = d.containers.length
      ? ` in ${plural(d.containers.length, 'container')} ${d.containers.join(', ')}`
      : '';
    return {
      title: `${d.cluster}/${d.service} deploying ${to} (${d.repository}:${d.tag})`,
      text: `${verb} ${d.cluster}/${d.service} at ${to} (was ${from}), pinning ${d.repository}:${d.tag} to ${shortDigest(d.digest)}${containers}.`,
      reason: d.reason,
      facts: [
        ...serviceFacts(d),
        ...revisionChangeFacts(from, to),
        ...fact('Image tag', `${d.repository}:${d.tag}`),
        ...fact('Digest', shortDigest(d.digest)),
        ...fact('Containers', d.containers.join(', ')),
        ...fact('Managed by', d.managedBy),
      ],
      links: [
        ...serviceLink(d.cluster, d.service, origin),
        ...revisionLink(d.toTaskDefinition, origin),
        ...imageLink(d.repository, d.digest, origin),
      ],
      cluster: d.cluster,
      service: d.service,
      threadKey: deploymentThread(d.cluster, d.service, d.toTaskDefinition),
    };
  },

  [DEPLOYMENT_SCHEDULED]: (d, origin) => {
    const due = formatTime(d.dueAt);
    const verb = d.dryRun ? 'would deploy' : 'will deploy';
    return {
      title: `${d.cluster}/${d.service} deploy of ${d.repository}:${d.tag} scheduled for ${due}`,
      text: `${d.repository}:${d.tag} (${shortDigest(d.digest)}) is eligible for ${d.cluster}/${d.service}, but waits (${waitsFor(d.reason)}): autopilot ${verb} it at ${due}.`,
      reason: d.reason,
      facts: [
        ...serviceFacts(d),
        ...fact('Image tag', `${d.repository}:${d.tag}`),
        ...fact('Digest', shortDigest(d.digest)),
        ...fact('Due at', due),
      ],
      links: [...serviceLink(d.cluster, d.service, origin), ...imageLink(d.repository, d.digest, origin)],
      cluster: d.cluster,
      service: d.service,
    };
  },

  [DEPLOYMENT_REVERTED]: (d, origin) => {
    const to = shortTaskDefinition(d.revertedTo);
    const deployed = shortTaskDefinition(d.deployedTaskDefinition);
    const who = principalName(d.by);
    const done =
      d.action === 'redeployed'
        ? `${d.dryRun ? 'Autopilot would have deployed' : 'Autopilot deployed'} ${deployed} again, once.`
        : d.action === 'paused'
          ? `It was reverted twice: autopilot does not fight it, and paused deploy on push for the service${d.pausedUntil ? ` until ${formatTime(d.pausedUntil)}` : ''}.`
          : 'Autopilot left it there (its policy says notify).';
    return {
      title: `${d.cluster}/${d.service} reverted to ${to} by ${who}`,
      text: `${who}${d.managedBy ? ` (${d.managedBy})` : ''} moved ${d.cluster}/${d.service} from ${deployed} (${d.repository}:${d.tag}, ${shortDigest(d.digest)}) back to ${to}. ${done}`,
      reason: d.reason,
      facts: [
        ...serviceFacts(d),
        ...fact('Reverted by', d.by),
        ...fact('Managed by', d.managedBy),
        ...revisionChangeFacts(deployed, to),
        ...fact('Image', d.revertedImage),
        ...fact('Autopilot', d.action),
      ],
      links: [...serviceLink(d.cluster, d.service, origin), ...revisionLink(d.revertedTo, origin)],
      cluster: d.cluster,
      service: d.service,
    };
  },

  [ACTION_FAILED]: (d, origin) => {
    const target = d.cluster && d.service ? `${d.cluster}/${d.service}` : (d.service ?? d.cluster);
    return {
      title: target ? `${target}: ${d.action} failed` : `Autopilot action ${d.action} failed`,
      text: `Autopilot decided to ${d.action}${target ? ` ${target}` : ''} but could not; nothing was half-applied.`,
      reason: d.reason,
      facts: [...fact('Action', d.action), ...serviceFacts(d)],
      links: d.cluster && d.service ? serviceLink(d.cluster, d.service, origin) : [],
      cluster: d.cluster,
      service: d.service,
    };
  },

  [DEPLOYMENT_ROLLED_BACK]: (d, origin) => {
    const from = shortTaskDefinition(d.fromTaskDefinition);
    const to = shortTaskDefinition(d.toTaskDefinition);
    const target = `${d.cluster}/${d.service}`;
    const text = {
      autopilot: `${d.dryRun ? 'Autopilot would have rolled' : 'Autopilot rolled'} ${target} back from ${from} to ${to}${METHOD_PHRASE[d.method]}.`,
      ecs: `ECS rolled ${target} back from ${from} to ${to} on its own.`,
      person: `Someone rolled ${target} back from ${from} to ${to}.`,
    }[d.by];
    const signals = d.signals.length
      ? ` ${d.signals.length} unhealthy ${plural(d.signals.length, 'signal')} preceded it.`
      : '';
    return {
      title: `${target} rolled back to ${to}`,
      text: `${text}${signals}`,
      reason: d.reason,
      facts: [
        ...serviceFacts(d),
        ...revisionChangeFacts(from, to),
        ...fact('By', BY_LABEL[d.by]),
        ...fact('Method', d.method),
        ...signalsFact(d.signals),
      ],
      links: [
        ...serviceLink(d.cluster, d.service, origin),
        ...revisionLink(d.fromTaskDefinition, origin),
        ...revisionLink(d.toTaskDefinition, origin),
      ],
      cluster: d.cluster,
      service: d.service,
      threadKey: deploymentThread(d.cluster, d.service, d.fromTaskDefinition),
    };
  },

  [ROLLBACK_FAILED]: (d, origin) => {
    const revision = shortTaskDefinition(d.taskDefinition);
    const target = `${d.cluster}/${d.service}`;
    return {
      title: `${target} rollback to ${revision} failed`,
      text: `The rollback of ${target} to ${revision} is unhealthy too. Autopilot never rolls back a rollback, so it stops here: a person needs to look.`,
      reason: d.reason,
      facts: [...serviceFacts(d), ...fact('Revision', revision), ...signalsFact(d.signals)],
      links: [...serviceLink(d.cluster, d.service, origin), ...revisionLink(d.taskDefinition, origin)],
      cluster: d.cluster,
      service: d.service,
      // The rollback is no deployment autopilot started, so it has no deployment thread.
      threadKey: target,
    };
  },

  [IMAGE_QUARANTINED]: (d, origin) => {
    const image = `${d.repository}@${shortDigest(d.digest)}`;
    const target = d.cluster && d.service ? `${d.cluster}/${d.service}` : (d.service ?? d.cluster);
    const where = target
      ? ` It was found unhealthy on ${target}${d.taskDefinition ? ` as ${shortTaskDefinition(d.taskDefinition)}` : ''}.`
      : '';
    return {
      title: `${image} quarantined`,
      text: d.dryRun
        ? `Autopilot would have quarantined ${image}, so that deploy on push skips it until it is released.${where}`
        : `Deploy on push will not deploy ${image} again until it is released.${where}`,
      reason: d.reason,
      facts: [
        ...fact('Repository', d.repository),
        ...fact('Digest', shortDigest(d.digest)),
        ...serviceFacts(d),
        ...fact('Revision', d.taskDefinition && shortTaskDefinition(d.taskDefinition)),
      ],
      links: [
        ...imageLink(d.repository, d.digest, origin),
        ...(d.cluster && d.service ? serviceLink(d.cluster, d.service, origin) : []),
        ...(d.taskDefinition ? revisionLink(d.taskDefinition, origin) : []),
      ],
      cluster: d.cluster,
      service: d.service,
      threadKey:
        d.cluster && d.service && d.taskDefinition
          ? deploymentThread(d.cluster, d.service, d.taskDefinition)
          : undefined,
    };
  },

  [DEPLOYMENT_SUCCEEDED]: (d, origin) => {
    const revision = shortTaskDefinition(d.taskDefinition);
    const target = `${d.cluster}/${d.service}`;
    return {
      title: `${target} deployed ${revision}`,
      text: `The deployment of ${revision} to ${target} completed and stayed healthy until ${formatTime(d.bakedUntil)}: ${revision} is its last known good revision.`,
      facts: [
        ...serviceFacts(d),
        ...fact('Revision', revision),
        ...fact('Deployment', d.deploymentId),
        ...fact('Baked until', formatTime(d.bakedUntil)),
      ],
      links: [...serviceLink(d.cluster, d.service, origin), ...revisionLink(d.taskDefinition, origin)],
      cluster: d.cluster,
      service: d.service,
      threadKey: deploymentThread(d.cluster, d.service, d.taskDefinition),
    };
  },

  [CONFIGURATION_PROBLEM]: (d, origin) => {
    const target = `${d.cluster}/${d.service}`;
    const tag = `${d.tagKey}=${d.tagValue}`;
    const facts = [...serviceFacts(d), ...fact('Tag', tag)];
    // One thread per service, tag and value: the resolution answers the problem it ends.
    const threadKey = `${target}#${tag}`;
    if (d.resolved) {
      return {
        title: `${target}: ${d.tagKey} problem resolved`,
        text: `The ${d.tagKey} tag of ${target} no longer has the problem autopilot reported, so autopilot acts on the service as its tags say again.`,
        reason: d.problem,
        facts,
        links: serviceLink(d.cluster, d.service, origin),
        cluster: d.cluster,
        service: d.service,
        threadKey,
        severity: 'success',
      };
    }
    const fix =
      d.suggestion !== undefined
        ? `To fix it, set the tag to ${d.tagKey}=${d.suggestion} on the service.`
        : d.tagKey === POLICY_TAG
          ? `To fix it, name a policy of autopilot.yml in the tag, define "${d.tagValue}" there, or remove the tag.`
          : 'To fix it, correct the tag on the service or remove it.';
    const command =
      d.suggestion === undefined
        ? undefined
        : `aws ecs tag-resource --resource-arn ${d.serviceArn} --tags key=${d.tagKey},value=${d.suggestion}`;
    return {
      title: `${target}: invalid tag ${tag}`,
      text: `The ECS service ${target} has the tag ${tag}, which autopilot cannot use.${d.effect ? ` ${d.effect}` : ''} ${fix}`,
      reason: d.problem,
      facts: [...facts, ...fact('Suggested value', d.suggestion), ...fact('Fix with', command)],
      links: serviceLink(d.cluster, d.service, origin),
      cluster: d.cluster,
      service: d.service,
      threadKey,
    };
  },
  ...RESTART_FORMATTERS,
  ...TAG_FORMATTERS,
};

// ---------------------------------------------------------------------------------------------------
// The generic fallback

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const stringAt = (detail: Record<string, unknown>, key: string): string | undefined => {
  const value = detail[key];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
};

/** Fields the fallback knows how to label and shorten, in the order it shows them. */
const KNOWN_FIELDS: ReadonlyArray<{ key: string; label: string; short?: (value: string) => string }> = [
  { key: 'cluster', label: 'Cluster' },
  { key: 'service', label: 'Service' },
  { key: 'action', label: 'Action' },
  { key: 'fromTaskDefinition', label: 'Revision before', short: shortTaskDefinition },
  { key: 'toTaskDefinition', label: 'Revision after', short: shortTaskDefinition },
  { key: 'taskDefinition', label: 'Revision', short: shortTaskDefinition },
  { key: 'repository', label: 'Repository' },
  { key: 'tag', label: 'Image tag' },
  { key: 'digest', label: 'Digest', short: shortDigest },
];

/** Fields the fallback does not show as facts: the reason has its own place, the rest is noise. */
const HIDDEN_FIELDS = new Set(['reason', 'dryRun', 'triggeredBy', 'serviceArn']);

const MAX_FALLBACK_FACTS = 12;
const MAX_FALLBACK_VALUE = 300;

/** `taskArn` → `Task arn`. */
const labelOf = (key: string) => {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

const scalarText = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v !== 'object' || v === null))
    return value.map(String).join(', ');
  return undefined;
};

const clip = (text: string) =>
  text.length > MAX_FALLBACK_VALUE ? `${text.slice(0, MAX_FALLBACK_VALUE - 1)}…` : text;

function fallbackFacts(detail: Record<string, unknown>): Fact[] {
  const facts: Fact[] = [];
  const shown = new Set<string>(HIDDEN_FIELDS);
  for (const { key, label, short } of KNOWN_FIELDS) {
    const value = stringAt(detail, key);
    if (value === undefined) continue;
    shown.add(key);
    facts.push({ label, value: clip(short ? short(value) : value) });
  }
  for (const [key, raw] of Object.entries(detail)) {
    if (shown.has(key)) continue;
    const value = scalarText(raw);
    if (value !== undefined) facts.push({ label: labelOf(key), value: clip(value) });
  }
  return facts.slice(0, MAX_FALLBACK_FACTS);
}

/** A guess at how bad an event is from its name, for detail-types without a formatter. */
function guessSeverity(detailType: string): Severity {
  if (/fail|error/i.test(detailType)) return 'error';
  if (/abandon|violation|quarantin|rolled back|rejected/i.test(detailType)) return 'warning';
  if (/succeeded|remediated|resolved|released/i.test(detailType)) return 'success';
  return 'info';
}

/**
 * A principal in a few words: the session of an assumed role (`jane.doe`, `AWSCloudFormation`) with
 * its role, or the last part of the ARN.
 */
function principalName(arn: string): string {
  const assumed = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (assumed) return `${assumed[2]} (${assumed[1]})`;
  return arn.split(/[/:]/).pop() || arn;
}

/** What a deferred push waits for, from its reason: a pause, a deploy window, or its cooldown. */
function waitsFor(reason: string): string {
  if (/^(paused|notify-only) until /.test(reason)) return 'the service is paused';
  if (reason.includes('outside deploy window')) return 'its deploy window';
  return 'its cooldown';
}

function describeFallback(
  event: DescribableEvent,
  eventType: string,
  known: AutopilotDetailType | undefined,
): { severity: Severity; description: Description; dryRun: boolean } {
  const detail = isRecord(event.detail) ? event.detail : {};
  const origin = { account: event.account, region: event.region };
  const cluster = stringAt(detail, 'cluster');
  const service = stringAt(detail, 'service');
  const taskDefinition = stringAt(detail, 'taskDefinition');
  const target = cluster && service ? `${cluster}/${service}` : (service ?? cluster);
  const unparsed = known
    ? ` Its detail does not match the "${known}" contract, so it is shown as received.`
    : '';
  return {
    severity: known ? EVENT_SEVERITY[known] : guessSeverity(eventType),
    dryRun: detail.dryRun === true,
    description: {
      title: target ? `${target}: ${eventType}` : eventType,
      text: `Autopilot reported "${eventType}"${target ? ` for ${target}` : ''}.${unparsed}`,
      reason: stringAt(detail, 'reason'),
      facts: fallbackFacts(detail),
      links: [
        ...(cluster && service ? serviceLink(cluster, service, origin) : []),
        ...(taskDefinition ? revisionLink(taskDefinition, origin) : []),
      ],
      cluster,
      service,
      threadKey:
        cluster && service && taskDefinition ? deploymentThread(cluster, service, taskDefinition) : undefined,
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Entry points

const oneLineOf = (text: string) => text.replace(/\s+/g, ' ').trim();

const isAutopilotDetailType = (value: string): value is AutopilotDetailType =>
  Object.hasOwn(AutopilotEventSchemas, value);

/** Parses the detail with its contract and formats it; undefined when it does not parse. */
function describeKnown(
  type: AutopilotDetailType,
  detail: unknown,
  origin: EventOrigin,
): { description: Description; dryRun: boolean } | undefined {
  const parsed = AutopilotEventSchemas[type].safeParse(detail);
  if (!parsed.success) return undefined;
  // FORMATTERS[type] takes the detail of `type`, which is what its schema just parsed; TypeScript
  // cannot correlate the two through the union, hence the widened call.
  const format = FORMATTERS[type] as (detail: unknown, origin: EventOrigin) => Description;
  try {
    return { description: format(parsed.data, origin), dryRun: parsed.data.dryRun };
  } catch {
    // A formatter bug must not cost the notification: the fallback still says what happened.
    return undefined;
  }
}

/** Drops keys whose value is undefined, so messages compare and serialise cleanly. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Describes an autopilot event for people. Never throws: an unknown detail-type or a detail that
 * does not match its contract gets a generic message from the detail's fields.
 *
 * @example
 * describeEvent({ id, time, account, region, detailType: 'Deployment Rolled Back', detail })
 * // { title: 'prod/api rolled back to api:7', severity: 'warning', threadKey: 'prod/api@arn:…:api:8', … }
 */
export function describeEvent(event: DescribableEvent): NotificationMessage {
  const eventType = oneLineOf(event.detailType) || 'Unknown event';
  const origin: EventOrigin = { account: event.account, region: event.region };
  const known = isAutopilotDetailType(eventType) ? eventType : undefined;
  const described = known ? describeKnown(known, event.detail, origin) : undefined;
  const { description, dryRun, severity } = described
    ? {
        ...described,
        severity: described.description.severity ?? EVENT_SEVERITY[known as AutopilotDetailType],
      }
    : describeFallback(event, eventType, known);
  const title = oneLineOf(description.title);
  return withoutUndefined({
    eventType,
    id: event.id,
    severity,
    title: dryRun ? `[dry run] ${title}` : title,
    text: dryRun ? `${description.text} Dry run: autopilot changed nothing.` : description.text,
    reason: description.reason,
    facts: description.facts,
    links: description.links,
    cluster: description.cluster,
    service: description.service,
    threadKey: description.threadKey,
    at: event.time,
    dryRun,
  });
}

/** One aggregation window whose held-back notifications are summarised (`count`: those held back). */
export type SummaryWindow = Pick<
  NotificationWindow,
  'channel' | 'groupKey' | 'windowStart' | 'windowEnd' | 'count' | 'examples'
>;

/** What the held-back notifications had in common. */
export interface SummarySample {
  eventType: string;
  severity: Severity;
  cluster?: string;
}

/**
 * A late summary: of the events that arrived after their window was closed (`told`: how many of the
 * window's events were told before them, which makes the summary's id, so a resend keeps it).
 */
export interface LateSummary {
  told: number;
}

const MAX_SUMMARY_EXAMPLES = 5;

/**
 * The summary of notifications held back during an event storm: one message per channel and window,
 * and at most one more, late, for the events of the window that came after it was closed.
 *
 * @example
 * summarise({ channel: 'ops', groupKey, windowStart, windowEnd, count: 12, examples },
 *   { eventType: 'Deployment Started', severity: 'info', cluster: 'prod' })
 * // title: '12 more "Deployment Started" events in prod within 1m'
 * summarise({ …, count: 4, examples }, sample, { told: 15 })
 * // title: '4 more "Deployment Started" events in prod within 1m, arrived late'
 */
export function summarise(
  window: SummaryWindow,
  sample: SummarySample,
  late?: LateSummary,
): NotificationMessage {
  const duration = formatDuration(Date.parse(window.windowEnd) - Date.parse(window.windowStart));
  const where = sample.cluster ? ` in ${sample.cluster}` : '';
  const shown = window.examples.slice(0, MAX_SUMMARY_EXAMPLES);
  const unlisted = window.count - shown.length;
  const between = `between ${formatTime(window.windowStart)} and ${formatTime(window.windowEnd)}`;
  const id = `summary:${window.channel}:${window.groupKey}:${window.windowStart}`;
  return withoutUndefined({
    eventType: sample.eventType,
    id: late ? `${id}:late:${late.told}` : id,
    severity: sample.severity,
    title: `${window.count} more "${sample.eventType}" ${plural(window.count, 'event')}${where} within ${duration}${late ? ', arrived late' : ''}`,
    text: late
      ? `${window.count} similar ${plural(window.count, 'notification')}${where} from ${between} reached autopilot after that window was closed; it held them back and aggregated them into this late summary, the window's last message.`
      : `Autopilot held back ${window.count} similar ${plural(window.count, 'notification')}${where} ${between} and aggregated them into this summary, to keep the channel readable.`,
    facts: [
      ...fact('Event type', sample.eventType),
      ...fact('Cluster', sample.cluster),
      ...fact('Window', `${formatTime(window.windowStart)} – ${formatTime(window.windowEnd)}`),
      ...(late ? fact('Arrived', 'after the window was closed') : []),
      ...shown.map((example, i) => ({ label: `Example ${i + 1}`, value: example })),
      ...(unlisted > 0 ? fact('Not listed', `${unlisted} more`) : []),
    ],
    links: [],
    cluster: sample.cluster,
    at: window.windowEnd,
    dryRun: false,
    aggregate: {
      count: window.count,
      examples: [...window.examples],
      windowStart: window.windowStart,
      windowEnd: window.windowEnd,
    },
  });
}
