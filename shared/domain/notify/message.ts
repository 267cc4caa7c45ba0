/**
 * The channel-neutral notification: what happened, why, to what, with links. Every autopilot event
 * becomes one (see describe-event.ts); every channel renders it (see render/). A capability that adds
 * an event type adds a formatter, not plumbing.
 */

/** How bad it is; decides colours and emoji, and routes can filter on it. */
export type Severity = 'info' | 'success' | 'warning' | 'error';

export const SEVERITIES: readonly Severity[] = ['info', 'success', 'warning', 'error'];

/** One labelled value shown in a message (cluster, service, revisions, tag, digest...). */
export interface Fact {
  label: string;
  value: string;
}

/** A link to a console page. */
export interface Link {
  label: string;
  url: string;
}

/** A message ready to be rendered for any channel. */
export interface NotificationMessage {
  /** the autopilot event's detail-type, e.g. "Deployment Rolled Back" (or the summary's) */
  eventType: string;
  /** the event's id; a summary's id is derived from its window */
  id: string;
  severity: Severity;
  /** one line, e.g. "prod/api rolled back to api:7" */
  title: string;
  /** what happened, a sentence or two (plain text; renderers escape it) */
  text: string;
  /** why: the decision's reason, when the event carries one */
  reason?: string;
  facts: Fact[];
  links: Link[];
  cluster?: string;
  service?: string;
  /** the events of one deployment share it (`<cluster>/<service>@<revision>`), for threads */
  threadKey?: string;
  /** ISO time of the event */
  at: string;
  dryRun: boolean;
  /** set on a summary of several similar events aggregated in one window */
  aggregate?: { count: number; examples: string[]; windowStart: string; windowEnd: string };
}

/** Where the event happened, for console links. */
export interface EventOrigin {
  account: string;
  region: string;
}
