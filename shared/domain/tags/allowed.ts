/**
 * A rule's allowed values for one key: a list, or a regular expression (RE2, matched in linear time:
 * whoever may tag a resource chooses the value), either optionally ignoring case. The policy file
 * compiles with {@link compileAllowedRegex} to refuse what cannot be matched; the evaluation uses the
 * same function. Pure.
 */
import { type Compiled, compileTagRegex } from '../policy/glob';

/** What a rule allows for one key (`allowed.<key>` in the policy file). */
export interface AllowedValues {
  values?: string[] | undefined;
  regex?: string | undefined;
  caseInsensitive?: boolean | undefined;
}

/**
 * Compiles an allowed-values expression for whole values, ignoring case when asked (RE2's `(?i)`).
 *
 * @returns the pattern, or why it is refused (too long, or RE2 cannot compile it)
 * @example compileAllowedRegex('team-[a-z]+', true) // { ok: true, pattern } matching 'Team-Web'
 */
export function compileAllowedRegex(source: string, caseInsensitive = false): Compiled {
  const alone = compileTagRegex(source);
  if (!alone.ok || !caseInsensitive) return alone;
  // Alone it compiled, so its groups are balanced and the wrapped form means the same, ignoring case.
  return compileTagRegex(`(?i)(?:${source})`);
}

/**
 * Whether `value` is allowed. A regex the policy file could not hold allows nothing (fail closed).
 *
 * @example isAllowed({ values: ['prod', 'staging'], caseInsensitive: true }, 'Prod') // true
 * @example isAllowed({ regex: '[0-9]{4}' }, '12345') // false: the whole value must match
 */
export function isAllowed(allowed: AllowedValues, value: string): boolean {
  if (allowed.values !== undefined) {
    const fold = (text: string) => (allowed.caseInsensitive ? text.toLowerCase() : text);
    return allowed.values.some((v) => fold(v) === fold(value));
  }
  if (allowed.regex !== undefined) {
    const compiled = compileAllowedRegex(allowed.regex, allowed.caseInsensitive === true);
    return compiled.ok && compiled.pattern.matches(value);
  }
  return true;
}

/**
 * The allowed values in words, for violations and notifications.
 *
 * @example describeAllowed({ values: ['prod', 'staging'] }) // 'one of prod, staging'
 * @example describeAllowed({ regex: '[a-z]+', caseInsensitive: true }) // 'matching /[a-z]+/ (ignoring case)'
 */
export function describeAllowed(allowed: AllowedValues): string {
  const caseNote = allowed.caseInsensitive ? ' (ignoring case)' : '';
  if (allowed.values !== undefined) return `one of ${allowed.values.join(', ')}${caseNote}`;
  if (allowed.regex !== undefined) return `matching /${allowed.regex}/${caseNote}`;
  return 'any value';
}
