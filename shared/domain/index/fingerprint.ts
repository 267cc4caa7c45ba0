/**
 * What an indexing decision depends on, as one text: the reconcile remembers it per service, and a
 * service whose text is the same at the next sweep needs nothing more (no task definition, no
 * problems, no known good revision read, no write).
 */
import type { PolicyFile } from '../../config/policy-file';
import type { IndexedFingerprint, ServiceState } from '../../ports';
import { rollbackSettings } from '../rollback/rollback-policy';

const DAY_MS = 86_400_000;

/**
 * How long an unchanged service goes without being indexed again: the index, the problems and the
 * fingerprint expire 7 days after they were written (keys.ts TTLs), so each is written again after
 * 4 to 5 days, spread over that day by the service's ARN so one sweep does not renew them all: at
 * least two days of failed sweeps are left before anything expires.
 */
export function renewalDue(fingerprint: IndexedFingerprint, now: Date): boolean {
  const spread = (hash53(fingerprint.serviceArn) % 1_000) / 1_000;
  const after = 4 * DAY_MS + spread * DAY_MS;
  return Date.parse(fingerprint.indexedAt) + after <= now.getTime();
}

/**
 * The inputs of a service's indexing decision ({@link planIndexing}): the policy file, what the
 * service's deploy mode, tag problems, alarms and rollback settings are read from (its status,
 * revision, cluster, `autopilot:` tags, controller and deployment configuration), and whether its
 * primary deployment is steady long enough to be a first known good revision (the decision depends
 * on time: a deployment that is not steady yet becomes so, and that is a change).
 *
 * @example indexFingerprint(service, policyFile, now) === remembered.fingerprint // unchanged
 */
export function indexFingerprint(service: ServiceState, policyFile: PolicyFile, now: Date): string {
  const settings = rollbackSettings(policyFile, service);
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  const settledAt = primary?.updatedAt ?? primary?.createdAt;
  const steady =
    settings.enabled &&
    primary?.rolloutState === 'COMPLETED' &&
    settledAt !== undefined &&
    Date.parse(settledAt) + settings.bakeTimeMs <= now.getTime();
  return JSON.stringify([
    policyHash(policyFile),
    service.status,
    service.taskDefinitionArn,
    service.clusterArn,
    Object.entries(service.tags)
      .filter(([key]) => key.startsWith('autopilot:'))
      .sort(([a], [b]) => (a < b ? -1 : 1)),
    service.deploymentController,
    service.launchType ?? null,
    service.deploymentConfiguration,
    settings.enabled ? (primary?.id ?? null) : null,
    steady,
  ]);
}

const policyHashes = new WeakMap<PolicyFile, string>();

/** A short hash of the policy file: a change of it changes every fingerprint (all re-evaluated). */
export function policyHash(policyFile: PolicyFile): string {
  let hash = policyHashes.get(policyFile);
  if (hash === undefined) {
    hash = hash53(JSON.stringify(policyFile)).toString(36);
    policyHashes.set(policyFile, hash);
  }
  return hash;
}

/** cyrb53: a fast 53-bit string hash (not cryptographic: it tells versions of a file apart). */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
