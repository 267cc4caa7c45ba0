/**
 * No loops: autopilot's own output comes back to it through the bus and causes no further action.
 *
 * On the local account everything autopilot does comes back as it would in AWS: the events it
 * publishes (PutEvents onto the bus, `source: autopilot`), the CloudTrail record of every mutating
 * ECS call it makes ("AWS API Call via CloudTrail", by its own access key), and the ECS Deployment and
 * Task State Changes of the deployments it starts. A person pushes once, an alarm fires once; autopilot
 * must act once for each (one deployment per service, one rollback, each announced once) and the rest
 * of the chain must end by itself, far below the bus's loop guard (16 invocations deep), which must
 * never have to drop a delivery.
 *
 * How autopilot recognises what it caused itself, so the feedback stops:
 * - its events (`source: autopilot`) go to `notify` only (the rules of serverless.yml), which sends
 *   chat messages and publishes nothing and changes nothing in AWS (its role holds no ECS action);
 * - the CloudTrail record of its own UpdateService goes to `index-services`, which reads the service
 *   again and re-indexes it: a write that converges, never an ECS call that changes something;
 *   RegisterTaskDefinition matches no rule;
 * - the state changes of its own deployments go to `watch-deployments`, which finds the deployment it
 *   noted at UpdateService (`ECSDEP#`, from UpdateService's answer) and bakes it, and recognises its
 *   own rollback by the rollback it claimed (the `ROLLBACK` slot's `to`): never a rollback of a
 *   rollback; a signal during a rollback is Rollback Failed, not a second rollback.
 * Revisions it registers carry `autopilot:triggered-by`, the event that caused them.
 *
 * Then the same output is put on the bus once more as new events (new ids, so idempotency cannot
 * answer for them): still no AWS change and no announcement.
 */
import { type Sandbox, seedAccount, startSandbox } from '../../sandbox/account';
import type { BusRecord, DeliveryRecord, EventRecord } from '../../sandbox/runtime/bus';
import type { EventBridgeEvent } from '../../tools/eventbridge/event';
import { bakesDone } from '../support/sandbox-table';

jest.setTimeout(300_000);

/** The access key the sandbox gives the functions: CloudTrail shows autopilot's own calls by it. */
const AUTOPILOT_KEY = 'AKIDSANDBOX';
/**
 * The deepest chain of invocations a step may show: half the bus's loop guard (16). A push shows 2 to
 * 3 (the depths run high: see below); a loop would climb to the guard and be dropped.
 */
const MAX_DEPTH = 8;
/** A wait's deadline for something that must happen; it ends as soon as it does. */
const WAIT_MS = 90_000;

let sandbox: Sandbox;
const records: BusRecord[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ source: 'typescript' });
  sandbox.runtime.bus.subscribe((record) => records.push(record));
  const { services } = await seedAccount(sandbox);
  // The seeded deployments bake first, so their Deployment Succeeded is not counted below.
  await Promise.all(
    services.map(({ cluster, service }) => published(0, about('Deployment Succeeded', cluster, service))),
  );
  await sandbox.settle();
});

afterAll(async () => {
  await sandbox.stop();
});

type Detail = Record<string, unknown> & {
  userIdentity?: { accessKeyId?: string };
  errorCode?: string;
  eventName?: string;
  requestParameters?: Record<string, unknown> | null;
};

const isOwnCall = (event: EventBridgeEvent) => {
  const detail = event.detail as Detail;
  return (
    event['detail-type'] === 'AWS API Call via CloudTrail' &&
    detail.userIdentity?.accessKeyId === AUTOPILOT_KEY &&
    detail.errorCode === undefined
  );
};

/** Autopilot's own mutating calls among `events`, as `<operation> <cluster>/<service or family>`. */
function ownCalls(events: readonly EventBridgeEvent[]): string[] {
  return events.filter(isOwnCall).map((event) => {
    const detail = event.detail as Detail;
    const p = detail.requestParameters ?? {};
    const cluster = String(p.cluster ?? '')
      .split('/')
      .pop();
    return `${detail.eventName} ${cluster}/${String(p.service ?? p.family ?? '')
      .split('/')
      .pop()}`;
  });
}

/** What happened on the bus from record `from` on. */
function since(from: number) {
  const slice = records.slice(from);
  const events = slice.filter((r): r is EventRecord => r.kind === 'event');
  const deliveries = slice.filter((r): r is DeliveryRecord => r.kind === 'delivery');
  const published = events.filter((r) => r.origin === 'put-events').map((r) => r.event);
  return {
    events,
    deliveries,
    published,
    announced: published.map((e) => `${e['detail-type']} ${e.detail.cluster}/${e.detail.service}`),
    decisionsOn: (eventIds: ReadonlySet<string>) =>
      deliveries
        .filter((d) => eventIds.has(d.eventId) && d.outcome === 'ok')
        .flatMap((d) =>
          ((d.result as { decisions?: { action: string }[] } | undefined)?.decisions ?? []).map(
            (decision) => `${d.function}: ${decision.action}`,
          ),
        ),
  };
}

/** Waits until autopilot published an event matching `predicate` after bus record `from`. */
async function published(from: number, predicate: (event: EventBridgeEvent) => boolean): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (since(from).published.some(predicate)) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until `fn` took a decision matching `predicate` after bus record `from`. */
async function decided(
  from: number,
  fn: string,
  predicate: (decision: Record<string, unknown>) => boolean,
): Promise<boolean> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = since(from).deliveries.some(
      (d) =>
        d.function === fn &&
        ((d.result as { decisions?: Record<string, unknown>[] } | undefined)?.decisions ?? []).some(
          predicate,
        ),
    );
    if (found || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const about =
  (detailType: string, cluster: string, service = 'api') =>
  (e: EventBridgeEvent) =>
    e['detail-type'] === detailType && e.detail.cluster === cluster && e.detail.service === service;

/** What autopilot's actions of one step sent back through the bus: the events to feed again. */
function outputOf(from: number, firstEmitted: number): EventBridgeEvent[] {
  const emitted = sandbox.plane.emitted.slice(firstEmitted);
  const firstOwn = emitted.findIndex(isOwnCall);
  const caused = firstOwn < 0 ? [] : emitted.slice(firstOwn);
  return [
    ...since(from).published,
    ...caused.filter(isOwnCall),
    // After its first change, every deployment and task change is of a deployment it started.
    ...caused.filter((e) => /^ECS (Deployment|Task) State Change$/.test(e['detail-type'])),
  ];
}

describe("autopilot's own calls and events fed back through the bus", () => {
  const fedBack: EventBridgeEvent[] = [];

  it('a push: one revision and one update per service, each announced once, and the chain ends', async () => {
    // Prepare
    const from = records.length;
    const firstEmitted = sandbox.plane.emitted.length;

    // Act: a person pushes; autopilot deploys; its calls, events and deployments come back.
    sandbox.plane.pushImage('team/api', 'main');
    const baked = await Promise.all(
      ['prod', 'staging'].map((cluster) => published(from, about('Deployment Succeeded', cluster))),
    );
    await sandbox.settle();

    // Assess
    const seen = since(from);
    const output = outputOf(from, firstEmitted);
    fedBack.push(...output);
    expect(baked).toEqual([true, true]);
    expect(ownCalls(sandbox.plane.emitted.slice(firstEmitted)).sort()).toEqual([
      'RegisterTaskDefinition /api',
      'UpdateService prod/api',
      'UpdateService staging/api',
    ]);
    expect([...seen.announced].sort()).toEqual([
      'Deployment Started prod/api',
      'Deployment Started staging/api',
      'Deployment Succeeded prod/api',
      'Deployment Succeeded staging/api',
    ]);
    // The output went through the bus, to the functions its rules name.
    const targetsOf = (e: EventBridgeEvent) => seen.events.find((r) => r.event.id === e.id)?.targets ?? [];
    const ownUpdates = output.filter(
      (e) => isOwnCall(e) && (e.detail as Detail).eventName === 'UpdateService',
    );
    // tag-policies hears every UpdateService, and deploy-on-push every one naming a revision (a revert
    // by someone else); both leave autopilot's own alone (deploy-on-push says so, below).
    expect(ownUpdates.map(targetsOf)).toEqual([
      ['deploy-on-push', 'index-services', 'tag-policies'],
      ['deploy-on-push', 'index-services', 'tag-policies'],
    ]);
    expect(seen.published.map(targetsOf)).toEqual(seen.published.map(() => ['notify']));
    expect(output.some((e) => targetsOf(e).includes('watch-deployments'))).toBe(true);
    // What each function did with it: re-indexed, told people, recorded and baked; nothing else.
    const reactions = new Set(seen.decisionsOn(new Set(output.map((e) => e.id))));
    expect([...reactions]).toEqual(expect.arrayContaining(['index-services: indexed', 'notify: sent']));
    expect(
      [...reactions].filter(
        (r) =>
          !/^(index-services: indexed|notify: sent|watch-deployments: (record|bake|ignore)|deploy-on-push: ignore)$/.test(
            r,
          ),
      ),
    ).toEqual([]);
    // The loop guard never had to act, and the chain stayed short: a loop would grow to the guard's
    // 16. (The bus counts an event ECS's timers put while a function runs as caused by that function,
    // so depths run a little high: a push, its CloudTrail and autopilot events, the state changes.)
    expect(seen.deliveries.filter((d) => d.outcome === 'dropped')).toEqual([]);
    expect(Math.max(...seen.events.map((r) => r.depth))).toBeLessThanOrEqual(MAX_DEPTH);
  });

  it('an alarm while the push bakes: one rollback, announced once; the rollback is not rolled back', async () => {
    // Prepare: staging/api runs the push; the rollback needs its last known good revision.
    sandbox.plane.setAlarmState('api-5xx', 'OK', 'Threshold no longer crossed');
    const from = records.length;
    const firstEmitted = sandbox.plane.emitted.length;
    sandbox.plane.pushImage('team/api', 'main');
    // The alarm fires once ECS reported the deployment COMPLETED and autopilot started its bake time.
    await decided(from, 'watch-deployments', (d) => d.service === 'staging/api' && d.action === 'bake');

    // Act
    sandbox.plane.setAlarmState('api-5xx', 'ALARM', 'Threshold Crossed: 5xx above 5 for 1 datapoint');
    const rolledBack = await published(from, about('Deployment Rolled Back', 'staging'));
    await sandbox.settle();
    sandbox.plane.setAlarmState('api-5xx', 'OK', 'recovered');
    // prod/api keeps the push and the rollback of staging/api bakes: both become known good.
    await bakesDone(sandbox);

    // Assess
    const seen = since(from);
    fedBack.push(...outputOf(from, firstEmitted));
    expect(rolledBack).toBe(true);
    const calls = ownCalls(sandbox.plane.emitted.slice(firstEmitted));
    // The push's revision and two updates, then the rollback: one change of staging/api's service.
    expect(calls.slice(0, 3).sort()).toEqual([
      'RegisterTaskDefinition /api',
      'UpdateService prod/api',
      'UpdateService staging/api',
    ]);
    expect(calls.slice(3).filter((c) => /^(UpdateService|StopServiceDeployment) /.test(c))).toEqual([
      expect.stringMatching(/ staging\/api$/),
    ]);
    // Each thing announced once; the rollback's own deployment baked into known good, no Rollback Failed.
    expect([...seen.announced].sort()).toEqual([
      'Deployment Rolled Back staging/api',
      'Deployment Started prod/api',
      'Deployment Started staging/api',
      'Deployment Succeeded prod/api',
      'Deployment Succeeded staging/api',
      'Image Quarantined staging/api',
    ]);
    expect(seen.deliveries.filter((d) => d.outcome === 'dropped')).toEqual([]);
    expect(Math.max(...seen.events.map((r) => r.depth))).toBeLessThanOrEqual(MAX_DEPTH);
  });

  it('the same output put on the bus again as new events: no AWS change, nothing announced', async () => {
    // Prepare
    const from = records.length;
    const firstEmitted = sandbox.plane.emitted.length;

    // Act
    for (const event of fedBack) {
      sandbox.runtime.bus.put({ ...structuredClone(event), id: crypto.randomUUID() });
    }
    // A completed deployment baked again would announce when its timer fires: wait for the timers.
    await bakesDone(sandbox);

    // Assess
    const seen = since(from);
    expect(fedBack.length).toBeGreaterThan(10);
    expect(ownCalls(sandbox.plane.emitted.slice(firstEmitted))).toEqual([]);
    expect(seen.announced).toEqual([]);
    expect(seen.deliveries.filter((d) => d.outcome !== 'ok')).toEqual([]);
  });
});
