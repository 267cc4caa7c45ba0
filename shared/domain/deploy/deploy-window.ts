/**
 * Deploy windows: deploy policies may restrict automatic deployments to recurring local-time windows such
 * as "Mon-Thu 09:00-16:00 Europe/Berlin". Outside every window a deployment is deferred to the next opening.
 *
 * Pure module: the current time is always a parameter, and time zone rules come from `Intl` (full ICU in
 * Node 20+), so results are reproducible in tests and independent of the host's zone.
 */

/**
 * Day of the week on which a deploy window opens, lower-case three-letter English abbreviation.
 *
 * @example
 * ```ts
 * const workdays: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
 * ```
 */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/**
 * A recurring deploy window in local wall-clock time of `timezone`.
 *
 * @example
 * ```ts
 * const officeHours: DeployWindow = {
 *   days: ['mon', 'tue', 'wed', 'thu'],
 *   start: '09:00',
 *   end: '16:00',
 *   timezone: 'Europe/Berlin',
 * };
 * // Friday/Saturday nights, running past midnight into Saturday/Sunday morning:
 * const nightly: DeployWindow = { days: ['fri', 'sat'], start: '22:00', end: '02:00', timezone: 'UTC' };
 * ```
 */
export interface DeployWindow {
  /** Days on which the window OPENS (non-empty). An over-midnight window ends on the following day. */
  days: Weekday[];
  /** 'HH:MM' 24h local time, inclusive. */
  start: string;
  /** 'HH:MM' 24h local time, exclusive; if end <= start the window runs past midnight into the next day. */
  end: string;
  /** IANA zone, e.g. 'Europe/Berlin', 'UTC'. */
  timezone: string;
}

/**
 * Result of {@link checkDeployWindows}: either open until `closesAt`, or closed until `opensAt`.
 *
 * @example
 * ```ts
 * const check: WindowCheck = checkDeployWindows(windows, now);
 * const reason = check.open
 *   ? `inside deploy window until ${check.closesAt.toISOString()}`
 *   : `deferred until ${check.opensAt.toISOString()}`;
 * ```
 */
export type WindowCheck = { open: true; closesAt: Date } | { open: false; opensAt: Date };

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Largest representable Date (ECMAScript limit): "never closes" for an unrestricted policy. */
const FAR_FUTURE_MS = 8_640_000_000_000_000;

/**
 * Day offsets (relative to the local date of `now`) scanned for openings. Starting at -1 catches a window
 * that opened yesterday and runs past midnight; +7 reaches the same weekday next week, which is the latest
 * an opening can be for any non-degenerate window.
 */
const FIRST_SCAN_DAY = -1;
const LAST_SCAN_DAY = 7;
/**
 * Second pass, only when the first found nothing: a short window that falls entirely into a spring-forward
 * gap has zero length on that day, so its next real opening can be a further week away.
 */
const LAST_FALLBACK_SCAN_DAY = 14;

/** Index = result of getUTCDay() on a local calendar day (0 = Sunday), so no Intl call is needed. */
const WEEKDAY_BY_INDEX: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const INDEX_BY_WEEKDAY: ReadonlyMap<string, number> = new Map(
  WEEKDAY_BY_INDEX.map((day, index) => [day, index]),
);

/** 'HH:MM' with exactly two digits each; 24:00 is rejected because windows are [start, end) in one day. */
const CLOCK_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Formatter construction is by far the most expensive Intl operation, and the same few zones are used for
 * every service on every push, so formatters are cached per zone. Only successfully constructed formatters
 * are stored, which bounds the cache to real zone names.
 */
const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatterCache.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      // h23 avoids the "24:00" midnight some ICU versions produce with hour12: false.
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatterCache.set(zone, formatter);
  }
  return formatter;
}

/** Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not, so wall times stay exact for any year. */
function wallFieldsToMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number {
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second));
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/**
 * Offset of `zone` from UTC at `instantMs`, in ms (positive east of Greenwich). Derived by formatting the
 * instant as local wall time and reading that wall time back as if it were UTC.
 */
function zoneOffsetMs(instantMs: number, zone: string): number {
  const wall: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of formatterFor(zone).formatToParts(instantMs)) {
    if (part.type !== 'literal') wall[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = wall;
  // The formatter drops milliseconds, so compare against the instant truncated to whole seconds.
  const truncated = Math.floor(instantMs / SECOND_MS) * SECOND_MS;
  // Defensive modulo in case an ICU build still prints 24 for midnight despite hourCycle h23.
  return wallFieldsToMs(year, month, day, hour % 24, minute, second) - truncated;
}

/**
 * Converts a local wall time (encoded as ms since the epoch as if the wall time were UTC) to a real instant.
 *
 * The offsets one day before and after bracket any single transition near the target. With no transition
 * (the common case) that costs two Intl calls. Otherwise each bracketing offset gives a candidate, and a
 * candidate is genuine when the zone really has that offset there:
 * - both genuine: fall-back overlap, the wall time occurs twice, and the earlier instant is used;
 * - none genuine: spring-forward gap, the wall time never occurs, and the first valid instant after it
 *   (the transition itself) is used, found by bisection at second resolution.
 */
function wallTimeToInstant(wallMs: number, zone: string): number {
  const offsetBefore = zoneOffsetMs(wallMs - DAY_MS, zone);
  const offsetAfter = zoneOffsetMs(wallMs + DAY_MS, zone);
  if (offsetBefore === offsetAfter) {
    return wallMs - offsetBefore;
  }
  const withOffsetBefore = wallMs - offsetBefore;
  const withOffsetAfter = wallMs - offsetAfter;
  const beforeIsGenuine = zoneOffsetMs(withOffsetBefore, zone) === offsetBefore;
  const afterIsGenuine = zoneOffsetMs(withOffsetAfter, zone) === offsetAfter;
  if (beforeIsGenuine && afterIsGenuine) {
    return Math.min(withOffsetBefore, withOffsetAfter);
  }
  if (beforeIsGenuine) {
    return withOffsetBefore;
  }
  if (afterIsGenuine) {
    return withOffsetAfter;
  }
  // Gap: local time jumps over wallMs between the two candidates. Invariant: local(low) < wall <= local(high).
  let low = Math.min(withOffsetBefore, withOffsetAfter);
  let high = Math.max(withOffsetBefore, withOffsetAfter);
  while (high - low > SECOND_MS) {
    const middle = low + Math.floor((high - low) / (2 * SECOND_MS)) * SECOND_MS;
    if (middle + zoneOffsetMs(middle, zone) >= wallMs) {
      high = middle;
    } else {
      low = middle;
    }
  }
  return high;
}

/** Local calendar day of an instant as days since 1970-01-01 in `zone`; arithmetic on it is DST-free. */
function localEpochDay(instantMs: number, zone: string): number {
  return Math.floor((instantMs + zoneOffsetMs(instantMs, zone)) / DAY_MS);
}

/** Weekday index (0 = Sunday) of a local epoch day; getUTCDay is exact because the day is zone-free. */
function weekdayIndexOf(epochDay: number): number {
  return new Date(epochDay * DAY_MS).getUTCDay();
}

interface CompiledWindow {
  readonly dayIndexes: ReadonlySet<number>;
  readonly startMinutes: number;
  readonly endMinutes: number;
  /** end <= start: the window closes on the day after it opens (end == start is a 24-hour window). */
  readonly overMidnight: boolean;
  readonly timezone: string;
}

interface Interval {
  readonly openMs: number;
  readonly closeMs: number;
}

/**
 * Validates once up front so that a misconfigured window fails loudly instead of silently never opening
 * (which would block deployments without any hint why).
 */
function compileWindow(window: DeployWindow): CompiledWindow {
  const label = describeWindow(window);
  if (window.days.length === 0) {
    throw new RangeError(`Deploy window '${label}' has no days`);
  }
  const dayIndexes = new Set<number>();
  for (const day of window.days) {
    const index = INDEX_BY_WEEKDAY.get(day);
    if (index === undefined) {
      throw new RangeError(`Deploy window '${label}' has an unknown day '${String(day)}'`);
    }
    dayIndexes.add(index);
  }
  const startMinutes = parseClockTime(window.start);
  const endMinutes = parseClockTime(window.end);
  if (startMinutes === undefined || endMinutes === undefined) {
    throw new RangeError(`Deploy window '${label}' needs start and end as 'HH:MM' (00:00-23:59)`);
  }
  if (!isValidTimeZone(window.timezone)) {
    throw new RangeError(`Deploy window '${label}' has an unknown time zone '${window.timezone}'`);
  }
  return {
    dayIndexes,
    startMinutes,
    endMinutes,
    overMidnight: endMinutes <= startMinutes,
    timezone: window.timezone,
  };
}

/** Appends the concrete [open, close) instants of `window` for local days today+fromDay .. today+toDay. */
function collectIntervals(
  window: CompiledWindow,
  today: number,
  fromDay: number,
  toDay: number,
  into: Interval[],
): void {
  for (let offset = fromDay; offset <= toDay; offset++) {
    const epochDay = today + offset;
    if (!window.dayIndexes.has(weekdayIndexOf(epochDay))) {
      continue;
    }
    const openMs = wallTimeToInstant(epochDay * DAY_MS + window.startMinutes * MINUTE_MS, window.timezone);
    const closeDay = window.overMidnight ? epochDay + 1 : epochDay;
    const closeMs = wallTimeToInstant(closeDay * DAY_MS + window.endMinutes * MINUTE_MS, window.timezone);
    // A window lying entirely inside a spring-forward gap collapses to nothing on that day.
    if (closeMs > openMs) {
      into.push({ openMs, closeMs });
    }
  }
}

/**
 * Merges overlapping or touching intervals so that `closesAt` is when deployments really stop being allowed
 * (e.g. 'mon 22:00-00:00' followed by 'tue 00:00-06:00' closes at 06:00), then locates `now`.
 * Returns undefined when closed with no later opening among `intervals`.
 */
function evaluate(intervals: Interval[], nowMs: number): WindowCheck | undefined {
  const sorted = [...intervals].sort((a, b) => a.openMs - b.openMs);
  let index = 0;
  while (index < sorted.length) {
    const first = sorted[index] as Interval;
    const openMs = first.openMs;
    let closeMs = first.closeMs;
    index++;
    for (let next = sorted[index]; next !== undefined && next.openMs <= closeMs; next = sorted[index]) {
      closeMs = Math.max(closeMs, next.closeMs);
      index++;
    }
    if (openMs <= nowMs && nowMs < closeMs) {
      return { open: true, closesAt: new Date(closeMs) };
    }
    if (openMs > nowMs) {
      // Sorted by opening, so the first merged interval after now is the earliest opening of all windows.
      return { open: false, opensAt: new Date(openMs) };
    }
  }
  return undefined;
}

/**
 * Whether `now` lies inside any of `windows`; when closed, the earliest next opening of any window (within
 * the next 8 days). An empty list means "always open" (closesAt = far future: `new Date(8640000000000000)`).
 *
 * Start is inclusive and end exclusive. Overlapping or touching windows count as one continuous window, so
 * `closesAt` is the end of that union; the scan covers 8 days, so for windows that chain around the whole
 * week `closesAt` is a lower bound at that horizon. DST, for start and end alike: a time that does not
 * exist on a spring-forward day is taken as the first valid instant after it; an ambiguous fall-back time
 * uses the earlier instant, so a window ends the first time the clock shows its end, and a window that
 * opened in the first pass of a repeated hour stays open through the second.
 *
 * @param windows - Deploy windows from the policy; any one being open allows deployment.
 * @param now - The instant to evaluate; never read from the clock so callers and tests control time.
 * @returns Open with the closing instant, or closed with the next opening instant.
 * @throws RangeError when a window has no days, an unknown day, an invalid 'HH:MM' or an unknown zone,
 *   or when `now` is an invalid Date.
 *
 * @example
 * ```ts
 * const windows: DeployWindow[] = [
 *   { days: ['mon', 'tue', 'wed', 'thu'], start: '09:00', end: '16:00', timezone: 'Europe/Berlin' },
 * ];
 * checkDeployWindows(windows, new Date('2026-01-13T10:00:00Z'));
 * // => { open: true, closesAt: new Date('2026-01-13T15:00:00.000Z') }   (Tue 11:00 CET)
 * checkDeployWindows(windows, new Date('2026-01-15T16:00:00Z'));
 * // => { open: false, opensAt: new Date('2026-01-19T08:00:00.000Z') }   (Thu 17:00 CET -> Mon 09:00)
 * ```
 */
export function checkDeployWindows(windows: readonly DeployWindow[], now: Date): WindowCheck {
  if (windows.length === 0) {
    // A fresh Date every call: Dates are mutable, and a shared constant could be altered by a caller.
    return { open: true, closesAt: new Date(FAR_FUTURE_MS) };
  }
  const nowMs = now.getTime();
  if (Number.isNaN(nowMs)) {
    throw new RangeError('checkDeployWindows needs a valid Date for now');
  }
  const compiled = windows.map(compileWindow);
  // "Today" is per window: the same instant can be Sunday in New York and Monday in Kathmandu.
  const todays = compiled.map((window) => localEpochDay(nowMs, window.timezone));

  const intervals: Interval[] = [];
  compiled.forEach((window, i) => {
    collectIntervals(window, todays[i] as number, FIRST_SCAN_DAY, LAST_SCAN_DAY, intervals);
  });
  const result = evaluate(intervals, nowMs);
  if (result !== undefined) {
    return result;
  }

  compiled.forEach((window, i) => {
    collectIntervals(window, todays[i] as number, LAST_SCAN_DAY + 1, LAST_FALLBACK_SCAN_DAY, intervals);
  });
  const fallback = evaluate(intervals, nowMs);
  if (fallback === undefined) {
    // Unreachable for validated windows: every listed weekday recurs weekly and DST gaps are months apart.
    throw new RangeError('No deploy window opens within the next two weeks');
  }
  return fallback;
}

/**
 * true for a valid IANA zone name (uses Intl). Zone names are case-insensitive, as in Intl.
 *
 * Raw UTC offsets such as '+01:00' are rejected even where the Node version's Intl accepts them (Node 22+),
 * so that a policy validates the same way on every supported runtime.
 *
 * @param zone - Candidate zone name from a deploy policy.
 * @returns Whether deploy windows can be evaluated in `zone`.
 *
 * @example
 * ```ts
 * isValidTimeZone('Europe/Berlin'); // => true
 * isValidTimeZone('UTC');           // => true
 * isValidTimeZone('Mars/Olympus');  // => false
 * ```
 */
export function isValidTimeZone(zone: string): boolean {
  if (zone.length === 0 || /^[+-]/.test(zone)) {
    return false;
  }
  try {
    formatterFor(zone);
    return true;
  } catch {
    // Intl signals unknown zones with a RangeError; any failure means the zone is unusable here.
    return false;
  }
}

/**
 * Parses 'HH:MM' (24h, exactly two digits each) to minutes after midnight, or undefined when invalid.
 * '24:00' is invalid (use an end of '00:00' for "until midnight"), and so is '9:00' (two digits required).
 *
 * @param text - Clock time from a deploy policy.
 * @returns Minutes after midnight (0-1439), or undefined.
 *
 * @example
 * ```ts
 * parseClockTime('09:30'); // => 570
 * parseClockTime('23:59'); // => 1439
 * parseClockTime('24:00'); // => undefined
 * parseClockTime('9:00');  // => undefined
 * ```
 */
export function parseClockTime(text: string): number | undefined {
  const match = CLOCK_TIME.exec(text);
  if (match === null) {
    return undefined;
  }
  return Number(match[1]) * 60 + Number(match[2]);
}

/**
 * Human description for decision reasons. Days keep the policy's order so the text matches what the
 * operator wrote and can be searched for in the policy file.
 *
 * @param w - The deploy window to describe.
 * @returns E.g. 'mon,tue 09:00-16:00 Europe/Berlin'.
 *
 * @example
 * ```ts
 * describeWindow({ days: ['mon', 'tue'], start: '09:00', end: '16:00', timezone: 'Europe/Berlin' });
 * // => 'mon,tue 09:00-16:00 Europe/Berlin'
 * ```
 */
export function describeWindow(w: DeployWindow): string {
  return `${w.days.join(',')} ${w.start}-${w.end} ${w.timezone}`;
}
