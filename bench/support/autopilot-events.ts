/**
 * The published samples (`events/autopilot-*.json`, one per detail-type, all about prod/api), and
 * copies of them about other services at other times: the events a storm is made of.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BusEvent } from '../../shared/domain/notify/notify';

const EVENTS_DIR = join(__dirname, '..', '..', 'events');

/** Every autopilot sample in events/, by file name. */
export function autopilotSamples(): BusEvent[] {
  return readdirSync(EVENTS_DIR)
    .filter((file) => file.startsWith('autopilot-') && file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8')) as BusEvent);
}

/**
 * A copy of `sample` about `cluster/service` (its cluster, service and service ARN), with its own id
 * and time (EventBridge's `time` has one-second resolution).
 *
 * @example
 * withService(started, { cluster: 'batch', service: 'svc-3', id: 'storm-7', time: Date.parse('2026-01-01T00:00:00Z') })
 * // { id: 'storm-7', time: '2026-01-01T00:00:00Z', detail: { cluster: 'batch', service: 'svc-3', serviceArn: '…:service/batch/svc-3', … } }
 */
export function withService(
  sample: BusEvent,
  to: { cluster: string; service: string; id: string; time: number },
): BusEvent {
  const detail = structuredClone(sample.detail) as Record<string, unknown>;
  if (typeof detail.cluster === 'string') detail.cluster = to.cluster;
  if (typeof detail.service === 'string') detail.service = to.service;
  if (typeof detail.serviceArn === 'string')
    detail.serviceArn = detail.serviceArn.replace(
      /service\/[^/]+\/[^/]+$/,
      `service/${to.cluster}/${to.service}`,
    );
  return {
    ...sample,
    id: to.id,
    time: new Date(to.time).toISOString().replace(/\.\d+Z$/, 'Z'),
    detail,
  };
}
