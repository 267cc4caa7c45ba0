/**
 * Violation marks, Cloud Custodian's mark-for-op: a violation is marked with the date its grace ends,
 * and enforce acts only after that date. A resource that can take one more tag carries the marks in
 * `autopilot:violation` (`owner@2026-12-11T09:00Z env@2026-12-12T10:30Z`, one `<rule>@<due>` per
 * rule, sorted by rule, so people see on the resource what is wrong and when autopilot acts); others
 * (an old-format ARN, a resource with 50 tags) have them in a record. Pure.
 */
import { MAX_TAG_VALUE_LENGTH, RULE_NAME } from './tag-rules';

/** Marks by rule name: the due date of each, `YYYY-MM-DDTHH:MMZ`. */
export type Marks = ReadonlyMap<string, string>;

// `<rule>@<due>`: a rule name as the policy file allows it, a due date to the minute.
const ENTRY = new RegExp(`^(${RULE_NAME.source.slice(1, -1)})@(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}Z)$`);

/**
 * The due date of a mark made at `now` for a grace of `graceMs`: to the minute, rounded up, so a
 * mark is never due before its grace has passed.
 *
 * @example markDue(new Date('2026-12-04T01:44:31Z'), 7 * 86_400_000) // '2026-12-11T01:45Z'
 */
export function markDue(now: Date, graceMs: number): string {
  const due = Math.ceil((now.getTime() + graceMs) / 60_000) * 60_000;
  return `${new Date(due).toISOString().slice(0, 16)}Z`;
}

/**
 * Whether a mark due at `due` is due at `now`. A date that cannot be read is never due: enforce
 * does not act on a date it cannot read (the readers leave such marks out, so they are made again).
 */
export function isDue(due: string, now: Date): boolean {
  const at = Date.parse(due);
  return !Number.isNaN(at) && at <= now.getTime();
}

/** Whether `due` is a date (`2026-13-45T99:99Z` has the form of one and is not). */
export const isReadableDue = (due: string): boolean => !Number.isNaN(Date.parse(due));

/**
 * The marks a mark tag's value holds. Entries that do not read as `<rule>@<due>` with a real date
 * (a person edited the tag) are left out: the violation is marked again, and writing the tag again
 * drops them.
 *
 * @example parseMarks('owner@2026-12-11T09:00Z env@2026-12-12T10:30Z').get('env') // '2026-12-12T10:30Z'
 */
export function parseMarks(value: string | undefined): Map<string, string> {
  const marks = new Map<string, string>();
  for (const entry of (value ?? '').split(' ')) {
    const match = ENTRY.exec(entry);
    if (match?.[1] && match[2] && isReadableDue(match[2])) marks.set(match[1], match[2]);
  }
  return marks;
}

/**
 * The mark tag's value for `marks` (sorted by rule), or undefined when there are none or they do not
 * fit in one tag value (then they are kept in a record).
 *
 * @example formatMarks(new Map([['owner', '2026-12-11T09:00Z']])) // 'owner@2026-12-11T09:00Z'
 */
export function formatMarks(marks: Marks): string | undefined {
  if (marks.size === 0) return undefined;
  const value = [...marks]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([rule, due]) => `${rule}@${due}`)
    .join(' ');
  return value.length <= MAX_TAG_VALUE_LENGTH ? value : undefined;
}
