/**
 * The samples of the events autopilot publishes (`events/autopilot-*.json`), as a subscriber of the bus
 * receives them: one per detail-type. Together they tell one story on prod/api, so that threads line up:
 *
 * 1. Action Failed: the deploy of an earlier push could not register a revision (iam:PassRole refused);
 * 2. Deployment Scheduled: `team/api:main` pushed as sha256:fb97… waits for its minimum image age;
 * 3. Deployment Succeeded: api:7 baked and is the last known good revision;
 * 4. Deployment Started: api:7 -> api:8, pinned to sha256:fb97…;
 * 5. Deployment Rolled Back: the new revision crash-loops; autopilot stops the deployment (back to api:7);
 * 6. Image Quarantined: sha256:fb97… will not be deployed again until released;
 * 7. Rollback Failed: alarm api-5xx fires on the rollback to api:7; autopilot stops there;
 * 8. Configuration Problem: someone re-tags the service `autopilot:deploy=tags:main` (meant `tag:main`).
 *
 * The restart samples tell a second story, on the standalone worker of cluster batch: Task Restarted
 * (worker:3 exited 1, restarted after 10 s, attempt 1 of 5), then Task Restart Abandoned (5 of 5).
 *
 * The tag policy samples tell a third, on prod/api under rule `owner` (enforce, scaleServiceToZero):
 * created without tags (CreateService, `cloudtrail-ecs-create-service.json`), it is remediated with
 * `owner` from its cluster and marked for what is left (Tag Policy Remediated, Tag Policy Violation:
 * cost-centre missing, env "production" not allowed); a week later the sweep scales it to zero from 2
 * (Tag Policy Enforced) and sums up (Tag Policy Summary); once tagged, it is scaled back to 2 and its
 * mark cleared (Tag Policy Restored).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as z from 'zod';
import type { DescribableEvent } from '../../shared/domain/notify/describe-event';
import { type AutopilotDetailType, AutopilotEventSchemas } from '../../shared/events/autopilot-events';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';

const EVENTS_DIR = join(__dirname, '..', '..', 'events');

/** Every autopilot detail-type (the keys of `AutopilotEventSchemas`), each of which has a sample. */
export const AUTOPILOT_DETAIL_TYPES = Object.keys(AutopilotEventSchemas) as AutopilotDetailType[];

/**
 * The sample file of a detail-type, in events/ without `.json`: `autopilot-` and the detail-type in
 * kebab case, e.g. `autopilot-deployment-started`. The contract test fails until a new detail-type
 * has its sample.
 */
export function autopilotSampleFile(type: AutopilotDetailType): string {
  return `autopilot-${type.toLowerCase().replace(/\s+/g, '-')}`;
}

/** An autopilot event of type `K` as EventBridge delivers it to a subscriber. */
export interface AutopilotSample<K extends AutopilotDetailType = AutopilotDetailType>
  extends EventBridgeEvent<z.infer<(typeof AutopilotEventSchemas)[K]>> {
  'detail-type': K;
  source: 'autopilot';
}

const cache = new Map<string, unknown>();

/**
 * The parsed JSON of one file of events/, not validated: contract tests check it, other tests may
 * change the copy they get freely.
 *
 * @param file - the file name, with `.json`
 */
export function readSampleFile(file: string): unknown {
  if (!cache.has(file)) cache.set(file, JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8')));
  return structuredClone(cache.get(file));
}

/** The names of every `events/autopilot-*.json` file, sorted, whether or not it is listed above. */
export function autopilotSampleFiles(): string[] {
  return readdirSync(EVENTS_DIR)
    .filter((file) => file.startsWith('autopilot-') && file.endsWith('.json'))
    .sort();
}

/**
 * A deep copy of the sample of `type`.
 *
 * @example
 * const event = autopilotSample('Deployment Rolled Back');
 * event.detail.dryRun = true;
 */
export function autopilotSample<K extends AutopilotDetailType>(type: K): AutopilotSample<K> {
  return readSampleFile(`${autopilotSampleFile(type)}.json`) as AutopilotSample<K>;
}

/** A deep copy of the `detail` of the sample of `type`. */
export function autopilotDetail<K extends AutopilotDetailType>(type: K): AutopilotSample<K>['detail'] {
  return autopilotSample(type).detail;
}

/**
 * The sample of `type` as the notifier's domain takes it (id, time, origin, detail-type and detail).
 *
 * @param detail - replaces the sample's detail (a dry run, a malformed detail...)
 */
export function describableSample(type: AutopilotDetailType, detail?: unknown): DescribableEvent {
  const sample = autopilotSample(type);
  return {
    id: sample.id,
    time: sample.time,
    account: sample.account,
    region: sample.region,
    detailType: sample['detail-type'],
    detail: detail === undefined ? sample.detail : detail,
  };
}
