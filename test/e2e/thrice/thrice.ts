/**
 * The delivery of the files in this folder: EventBridge and Lambda deliver at least once, so every
 * event on the local bus (AWS events, autopilot's own through PutEvents, schedules) reaches each of
 * its targets three times, the copies shuffled among the other deliveries. Autopilot is idempotent
 * per event id, so every scenario must still meet each of its expectations, the counting ones
 * included ("announced once", "three messages, then a summary").
 */
import type { Delivery } from '../play-alone';

/** Three deliveries of every event, in a seeded order (the same run every time). */
export const THRICE: Delivery = { deliveries: 3, deliverySeed: 3 };
