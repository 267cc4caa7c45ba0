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
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type { DescribableEvent } from '../../shared/domain/notify/describe-event';
import {
  ACTION_FAILED,
  type AutopilotDetailType,
  type AutopilotEventSchemas,
  CONFIGURATION_PROBLEM,
  DEPLOYMENT_ROLLED_BACK,
  DEPLOYMENT_SCHEDULED,
  DEPLOYMENT_STARTED,
  DEPLOYMENT_SUCCEEDED,
  IMAGE_QUARANTINED,
  ROLLBACK_FAILED,
} from '../../shared/events/autopilot-events';

const EVENTS_DIR = join(__dirname, '..', '..', 'events');

/**
 * The sample file (in events/, without `.json`) of every detail-type. The mapped type makes a new
 * detail-type fail to compile until it has a sample.
 */
export const AUTOPILOT_SAMPLE_FILES: { readonly [K in AutopilotDetailType]: string } = {
  [DEPLOYMENT_STARTED]: 'autopilot-deployment-started',
  [DEPLOYMENT_SCHEDULED]: 'autopilot-deployment-scheduled',
  [ACTION_FAILED]: 'autopilot-action-failed',
  [DEPLOYMENT_ROLLED_BACK]: 'autopilot-deployment-rolled-back',
  [ROLLBACK_FAILED]: 'autopilot-rollback-failed',
  [IMAGE_QUARANTINED]: 'autopilot-image-quarantined',
  [DEPLOYMENT_SUCCEEDED]: 'autopilot-deployment-succeeded',
  [CONFIGURATION_PROBLEM]: 'autopilot-configuration-problem',
};

/** Every detail-type that has a sample, in the order of {@link AUTOPILOT_SAMPLE_FILES}. */
export const AUTOPILOT_DETAIL_TYPES = Object.keys(AUTOPILOT_SAMPLE_FILES) as AutopilotDetailType[];

/** An autopilot event of type `K` as EventBridge delivers it to a subscriber. */
export interface AutopilotSample<K extends AutopilotDetailType = AutopilotDetailType> {
  version: string;
  id: string;
  'detail-type': K;
  source: 'autopilot';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: z.infer<(typeof AutopilotEventSchemas)[K]>;
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
  return readSampleFile(`${AUTOPILOT_SAMPLE_FILES[type]}.json`) as AutopilotSample<K>;
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
