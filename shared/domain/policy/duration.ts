/**
 * Durations as the policy file writes them (`30s`, `15m`, `2h`, `7d`) and as people read them in
 * reasons and notifications. The one place that parses and formats them: the policy file's schema
 * validates with {@link parseDuration} and {@link durationPattern}, the domain reads the values with
 * the same function. Pure.
 */

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A unit of a written duration: seconds, minutes, hours or days. */
export type DurationUnit = keyof typeof UNIT_MS;

/** Every unit, the policy file's durations (`minImageAge`, `rollback.bakeTime` …) accept them all. */
export const DURATION_UNITS: readonly DurationUnit[] = ['s', 'm', 'h', 'd'];

/**
 * The pattern of a duration written in one of `units`: whole numbers only, no spaces, lowercase units.
 *
 * @example durationPattern(['s', 'm', 'h']).source // '^(\\d+)(s|m|h)$'
 */
export function durationPattern(units: readonly DurationUnit[] = DURATION_UNITS): RegExp {
  return new RegExp(`^(\\d+)(${units.join('|')})$`);
}

const ANY_DURATION = durationPattern();

/**
 * The longest duration the policy file may give (a year). Durations are added to dates: a longer one
 * (`100000000d`) would pass every date autopilot can write, and an invalid date compares false with
 * everything, so a minimum age would never be waited for.
 */
export const MAX_DURATION_MS = 365 * UNIT_MS.d;

/**
 * Parses a duration such as `30m`, `2h`, `7d` to milliseconds.
 *
 * @returns the milliseconds, or undefined when the text is no duration (`1.5h`, `90`, `1w`, `1H`) or
 *   one longer than {@link MAX_DURATION_MS} (`366d`)
 * @example parseDuration('90s') // 90000
 * @example parseDuration('100000000d') // undefined
 */
export function parseDuration(text: string): number | undefined {
  const match = ANY_DURATION.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as DurationUnit];
  return ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * Milliseconds for people, in hours, minutes and seconds (rounded to the second; never days, which
 * people count in hours at this scale).
 *
 * @example formatDuration(5_400_000) // '1h 30m'
 * @example formatDuration(60_000) // '1m'
 * @example formatDuration(0) // '0s'
 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const parts = [hours ? `${hours}h` : '', minutes ? `${minutes}m` : '', rest ? `${rest}s` : ''];
  return parts.filter(Boolean).join(' ') || '0s';
}

/**
 * Milliseconds in the one unit a policy value is usually written in: whole minutes as minutes (an
 * hour is `60m`), anything else as rounded seconds. Used where a reason repeats a configured window.
 *
 * @example formatMinutes(3_600_000) // '60m'
 * @example formatMinutes(90_000) // '90s'
 */
export function formatMinutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`;
}
