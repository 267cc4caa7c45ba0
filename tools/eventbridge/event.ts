/**
 * A complete EventBridge event as AWS delivers it, rules match it and functions receive it: what the
 * local control plane emits, the local bus carries and the timeline shows.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/events-structure.html
 */
export interface EventBridgeEvent<Detail = Record<string, unknown>> {
  /** `0` for every event today */
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601 in seconds, UTC: `2025-03-14T09:21:47Z`. */
  time: string;
  region: string;
  resources: string[];
  detail: Detail;
}

/**
 * The deepest JSON nesting EventBridge processes in an event ("PutEvents will only process nested
 * JSON up to 1000 levels deep"): the local bus and `autopilot dispatch` refuse deeper events, and the
 * pattern matcher walks no deeper.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
export const MAX_EVENT_NESTING = 1000;
