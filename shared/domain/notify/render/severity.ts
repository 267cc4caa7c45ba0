/**
 * How each severity looks in every channel: one place for emoji and colours, so Slack, Teams, Discord,
 * Google Chat and AWS Chatbot agree.
 */
import type { NotificationMessage, Severity } from '../message';

/** The look of one severity. */
export interface SeverityStyle {
  /** a Unicode emoji (renders the same in every chat product) */
  emoji: string;
  /** a word for people and plain-text fallbacks */
  label: string;
  /** an RGB colour as an integer (Discord embeds) */
  color: number;
  /** the Adaptive Card TextBlock colour (Teams) */
  teamsColor: 'default' | 'good' | 'warning' | 'attention';
}

/** The style of every severity. */
export const SEVERITY_STYLES: { readonly [S in Severity]: SeverityStyle } = {
  info: { emoji: 'ℹ️', label: 'Info', color: 0x3b82f6, teamsColor: 'default' },
  success: { emoji: '✅', label: 'Success', color: 0x22c55e, teamsColor: 'good' },
  warning: { emoji: '⚠️', label: 'Warning', color: 0xf59e0b, teamsColor: 'warning' },
  error: { emoji: '❌', label: 'Error', color: 0xef4444, teamsColor: 'attention' },
};

/** The style of a severity. */
export function styleOf(severity: Severity): SeverityStyle {
  return SEVERITY_STYLES[severity];
}

/** Outcomes whose emoji says more than their severity's. */
const OUTCOME_EMOJI: Readonly<Record<string, string>> = {
  'Deployment Rolled Back': '↩️',
};

/**
 * The emoji that marks the first message of a thread with the outcome of its deployment.
 *
 * @example
 * outcomeEmoji({ eventType: 'Deployment Succeeded', severity: 'success' }) // '✅'
 * outcomeEmoji({ eventType: 'Deployment Rolled Back', severity: 'warning' }) // '↩️'
 */
export function outcomeEmoji(outcome: Pick<NotificationMessage, 'eventType' | 'severity'>): string {
  return OUTCOME_EMOJI[outcome.eventType] ?? styleOf(outcome.severity).emoji;
}
