/**
 * Which services autopilot watches for unhealthy deployments, with which settings, and which alarms
 * speak for them. Pure.
 */
import type { PolicyFile } from '../../config/policy-file';
import type { ServiceState } from '../../ports';
import { parseDuration } from '../policy/duration';
import { effectivePolicy, notFollowed } from '../policy/effective-policy';
import { ALARMS_TAG, ROLLBACK_TAG } from '../policy/service-tags';
import type { RollbackSettings } from './rollback-decision';

const DEFAULTS = { bakeTime: 10 * 60_000, cooldown: 60 * 60_000, crashTasks: 3, crashWindow: 10 * 60_000 };

/**
 * The rollback settings of a service: enabled for services that deploy on push (or tagged
 * `autopilot:rollback=on`), unless the tag says `off` or the policy disables it.
 *
 * @example rollbackSettings(policyFile, service).bakeTimeMs // 600000 by default
 */
export function rollbackSettings(file: PolicyFile, service: ServiceState): RollbackSettings {
  const resolved = effectivePolicy(file, service);
  const rollback = 'policy' in resolved ? resolved.policy.rollback : undefined;
  const tag = service.tags[ROLLBACK_TAG]?.trim().toLowerCase();
  const optedIn = tag === 'on' || (tag !== 'off' && notFollowed(service, file) === undefined);
  const ms = (text: string | undefined, fallback: number) =>
    text ? (parseDuration(text) ?? fallback) : fallback;
  return {
    enabled: optedIn && rollback?.enabled !== false,
    bakeTimeMs: ms(rollback?.bakeTime, DEFAULTS.bakeTime),
    cooldownMs: ms(rollback?.cooldown, DEFAULTS.cooldown),
    crashLoop: {
      tasks: rollback?.crashLoop?.tasks ?? DEFAULTS.crashTasks,
      windowMs: ms(rollback?.crashLoop?.window, DEFAULTS.crashWindow),
    },
  };
}

/**
 * The alarms that speak for a service: its `autopilot:alarms` tag (names separated by spaces; tag
 * values cannot hold commas) and the policy's `rollback.alarms`.
 *
 * @example alarmsOf(file, service) // ['api-5xx', 'api-latency']
 */
export function alarmsOf(file: PolicyFile, service: ServiceState): string[] {
  const resolved = effectivePolicy(file, service);
  const fromPolicy = 'policy' in resolved ? (resolved.policy.rollback?.alarms ?? []) : [];
  const fromTag = (service.tags[ALARMS_TAG] ?? '').split(/\s+/).filter(Boolean);
  return [...new Set([...fromTag, ...fromPolicy])].sort();
}
