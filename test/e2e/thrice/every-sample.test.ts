/**
 * Every sample in events/ that a rule of serverless.yml routes to a function, delivered once on a
 * fresh local account and three times on another: the same end state.
 *
 * The harness is the sandbox (the real handlers with their whole middleware stack, idempotency
 * included, on dynalite; ECS and ECR simulated with state, so a second delivery sees what the first
 * changed; the chat services on 127.0.0.1), because an end state only means something in a world that
 * keeps one: a fake that answers every DescribeServices the same way would make a duplicate look like
 * a new push. The account is seeded as for the scenarios, and its registry holds the images the ECR
 * samples name (`team/api:main` now points at the pushed digest, `team/payments:1.5.0` at the
 * replicated one), so the push and the replication samples deploy.
 *
 * Once: each sample in file order, the account settled after each. Three times: each sample at its
 * place, and its two other copies (the same id, as EventBridge's duplicates have) at seeded places
 * among the samples after it, late, as at-least-once delivery may bring them. The first copies keep
 * their order, so what the samples do to each other is the same in both worlds; what differs is only
 * the duplicates. The end state is compared as data: the AWS mutations autopilot made (from CloudTrail,
 * by its own access key), the items it wrote to the table (idempotency records aside; times and
 * ids ECS draws masked), the events it published (by detail-type and subject, each once) and the chat
 * messages sent. A duplicate that acts again (a second deployment, a second announcement, a second
 * chat message) fails it.
 *
 * Two accounts in one file: the functions cache their SDK clients per module registry, so the
 * registry is reset between them (`jest.resetModules`), as a new Lambda container would start.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { type Sandbox, seedAccount, startSandbox } from '../../../sandbox/account';
import { buildManifest, DOCKER_CONFIG, DOCKER_MANIFEST_V2 } from '../../../sandbox/control-plane/ecr-api';
import { mulberry32 } from '../../../sandbox/control-plane/random';
import { chatTitle } from '../../../sandbox/timeline';
import type { EventBridgeEvent } from '../../../tools/eventbridge/event';
import { loadRoutes, route } from '../../../tools/eventbridge/routing';
import { bakesDone, tableItems } from '../../support/sandbox-table';

jest.setTimeout(300_000);

const root = join(__dirname, '..', '..', '..');
const EVENTS = join(root, 'events');
/** The access key the sandbox gives the functions: CloudTrail shows autopilot's own calls by it. */
const AUTOPILOT_KEY = 'AKIDSANDBOX';

/** The samples a rule routes to a function, in file order. */
function routedSamples(): EventBridgeEvent[] {
  const routes = loadRoutes(root);
  return readdirSync(EVENTS)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(EVENTS, file), 'utf8')) as EventBridgeEvent)
    .filter((event) => route(routes, event).length > 0);
}

/**
 * The sandbox's policy file, every message sent one by one: which messages a 10 s aggregation window
 * holds back depends on the clock, and the two worlds run at different times. Bake time 1 s, so the
 * deployments the samples start become known good soon. Everything else as the sandbox has it.
 */
function policyWithoutAggregation(): string {
  const document = parseDocument(readFileSync(join(root, 'sandbox', 'autopilot.yml'), 'utf8'));
  document.setIn(['notifications', 'aggregate'], { window: '24h', after: 1000 });
  document.setIn(['defaults', 'rollback', 'bakeTime'], '1s');
  const file = join(tmpdir(), `autopilot-every-sample-${process.pid}.yml`);
  writeFileSync(file, document.toString());
  return file;
}

/** Whether a routed sample brings an image into the registry: a push, or a replication into it. */
function bringsImage(sample: EventBridgeEvent): boolean {
  const detail = sample.detail as Record<string, unknown>;
  if (sample['detail-type'] === 'ECR Image Action') return detail['action-type'] === 'PUSH';
  return sample['detail-type'] === 'ECR Replication Action';
}

/**
 * Places the digests the ECR samples name in the registry, as their pushes and replications left it,
 * without an event of the sandbox's own: the samples are the events.
 */
function holdSampleImages(sandbox: Sandbox, samples: readonly EventBridgeEvent[]): void {
  for (const sample of samples) {
    const detail = sample.detail as Record<string, unknown>;
    if (!bringsImage(sample)) continue;
    const repository = sandbox.plane.model.repositories.get(String(detail['repository-name']));
    const digest = String(detail['image-digest']);
    const tag = typeof detail['image-tag'] === 'string' ? detail['image-tag'] : undefined;
    if (!repository || repository.images.has(digest)) continue;
    for (const image of repository.images.values()) image.tags = image.tags.filter((t) => t !== tag);
    repository.images.set(digest, {
      digest,
      tags: tag === undefined ? [] : [tag],
      pushedAt: new Date(sample.time),
      sizeInBytes: 1024,
      manifest: buildManifest(digest),
      // A replication's event names no media types: the replica is what `docker push` sends.
      manifestMediaType: String(detail['manifest-media-type'] ?? DOCKER_MANIFEST_V2),
      artifactMediaType: String(detail['artifact-media-type'] ?? DOCKER_CONFIG),
      behaviour: { kind: 'healthy' },
    });
  }
}

/** Each sample at its place, and two more copies of it at seeded places after it. */
function deliveredThrice(samples: readonly EventBridgeEvent[], seed: number): EventBridgeEvent[] {
  const random = mulberry32(seed);
  const order = [...samples];
  for (const sample of samples) {
    for (let copy = 0; copy < 2; copy++) {
      const after = order.indexOf(sample) + 1;
      order.splice(after + Math.floor(random() * (order.length - after + 1)), 0, sample);
    }
  }
  return order;
}

/** Times, TTLs and the ids ECS draws (deployments, tasks, revisions) differ between two runs. */
function masked(value: unknown): unknown {
  if (typeof value === 'string') {
    return value
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)/g, '<time>')
      .replace(/ecs-svc\/\d+/g, 'ecs-svc/<id>')
      .replace(/(task|service-revision|service-deployment)\/([^/\s"]+\/)+[A-Za-z0-9_-]+/g, '$1/<id>');
  }
  if (typeof value === 'number') return value > 1_000_000_000 ? '<epoch>' : value;
  if (Array.isArray(value)) return value.map(masked);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v)]));
  }
  return value;
}

/**
 * Aggregation windows are buckets of the clock: the messages of one group may fall in one window in
 * one world and in two in the other. Their counts are summed per channel and group (a message counted
 * twice still shows).
 */
function windowsSummed(items: Record<string, unknown>[]): Record<string, unknown>[] {
  const windows = new Map<string, Record<string, unknown>>();
  const others = items.filter((item) => item.pk !== 'NOTIFYWIN');
  for (const item of items.filter((i) => i.pk === 'NOTIFYWIN')) {
    const key = `${item.channel}#${item.groupKey}`;
    const summed = windows.get(key) ?? { pk: 'NOTIFYWIN', sk: key, count: 0 };
    summed.count = Number(summed.count) + Number(item.count);
    windows.set(key, summed);
  }
  return [...others, ...windows.values()];
}

/**
 * A service's history names each autopilot event by the id the bus gave it, which differs between two
 * runs: masked, so the entries compare by what they say.
 */
function historyIdsMasked(item: Record<string, unknown>): Record<string, unknown> {
  if (!String(item.pk).startsWith('HIST#')) return item;
  return { ...item, eventId: '<event id>', sk: String(item.sk).replace(/#[^#]+$/, '#<event id>') };
}

/** The items autopilot keeps (its idempotency records aside), keys and values masked, sorted. */
async function keptItems(sandbox: Sandbox): Promise<unknown[]> {
  const items = (await tableItems(sandbox))
    .filter((item) => !String(item.pk).startsWith('IDEMPOTENCY#'))
    .map(historyIdsMasked);
  return windowsSummed(items)
    .map((item) => JSON.stringify(masked(item)))
    .sort()
    .map((item) => JSON.parse(item));
}

/** What autopilot did, as data. */
interface EndState {
  mutations: string[];
  published: string[];
  chat: string[];
  items: unknown[];
  failures: string[];
}

/** A fresh account, the samples delivered in `order` (each settled), and what autopilot did. */
async function play(order: (samples: EventBridgeEvent[]) => EventBridgeEvent[]): Promise<EndState> {
  // A new module registry: the functions load again and create their clients for this account.
  jest.resetModules();
  const sandbox = await startSandbox({ source: 'typescript', policyFile: policyWithoutAggregation() });
  try {
    await seedAccount(sandbox);
    await bakesDone(sandbox);
    const samples = routedSamples();
    holdSampleImages(sandbox, samples);
    const published: EventBridgeEvent[] = [];
    const failures: string[] = [];
    const firstEmitted = sandbox.plane.emitted.length;
    const firstChat = sandbox.chat.messages().length;
    // Until the end state is read: the schedules go on firing while the sandbox stops, and a delivery
    // it then drops ("the sandbox stopped") is not the samples'.
    const unsubscribe = sandbox.runtime.bus.subscribe((record) => {
      if (record.kind === 'event' && record.origin === 'put-events') published.push(record.event);
      if (record.kind === 'delivery' && record.outcome !== 'ok') {
        failures.push(`${record.function} ${record.outcome} ${record.error?.message ?? ''}`);
      }
    });
    for (const sample of order(samples)) {
      sandbox.runtime.bus.put(structuredClone(sample));
      await sandbox.settle();
    }
    await bakesDone(sandbox);
    unsubscribe();
    return {
      mutations: sandbox.plane.emitted
        .slice(firstEmitted)
        .filter(
          (e) =>
            e['detail-type'] === 'AWS API Call via CloudTrail' &&
            (e.detail as { userIdentity?: { accessKeyId?: string } }).userIdentity?.accessKeyId ===
              AUTOPILOT_KEY &&
            (e.detail as { errorCode?: string }).errorCode === undefined,
        )
        .map((e) => {
          const detail = e.detail as { eventName: string; requestParameters?: Record<string, unknown> };
          const p = detail.requestParameters ?? {};
          return String(masked(`${detail.eventName} ${p.cluster ?? ''}/${p.service ?? p.family ?? ''}`));
        })
        .sort(),
      published: published
        .map((e) => {
          const d = e.detail as Record<string, unknown>;
          const subject = d.service ? `${d.cluster}/${d.service}` : `${d.repository}@${d.digest}`;
          return `${e['detail-type']} ${subject} ${String(masked(d.taskDefinition ?? d.toTaskDefinition ?? ''))}`;
        })
        .sort(),
      chat: sandbox.chat
        .messages()
        .slice(firstChat)
        .filter((m) => m.status < 300)
        .map((m) => `${m.kind}: ${String(masked(chatTitle(m)))}`)
        .sort(),
      items: await keptItems(sandbox),
      failures,
    };
  } finally {
    await sandbox.stop();
  }
}

describe('every routed sample delivered three times, shuffled', () => {
  let once: EndState;
  let thrice: EndState;

  beforeAll(async () => {
    once = await play((samples) => samples);
    thrice = await play((samples) => deliveredThrice(samples, 11));
  });

  it('acts on the samples: a deployment, announcements, chat messages and state', () => {
    // Prepare: the samples delivered once

    // Act
    const { mutations, published, chat, items } = once;

    // Assess: the push sample deploys both services following team/api:main, the replication sample
    // team/payments 1.5.0 to prod/payments (semver:minor on 1.4.2); the rest is noted.
    expect(mutations).toEqual([
      'RegisterTaskDefinition /api',
      'RegisterTaskDefinition /payments',
      'UpdateService prod/api',
      'UpdateService prod/payments',
      'UpdateService staging/api',
    ]);
    expect(published).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Deployment Started prod\/api/),
        expect.stringMatching(/^Deployment Started prod\/payments/),
      ]),
    );
    expect(chat.length).toBeGreaterThan(routedSamples().filter((s) => s.source === 'autopilot').length);
    expect(items.length).toBeGreaterThan(0);
    expect(once.failures).toEqual([]);
  });

  it('ends in the same state as when each was delivered once', () => {
    // Prepare: both worlds played

    // Act
    const { failures, ...endState } = thrice;

    // Assess
    expect(failures).toEqual([]);
    expect(endState.mutations).toEqual(once.mutations);
    expect(endState.published).toEqual(once.published);
    expect(endState.chat).toEqual(once.chat);
    expect(endState.items).toEqual(once.items);
  });

  it('announced each thing once', () => {
    // Prepare: the samples delivered three times

    // Act
    const repeated = thrice.published.filter((line, i) => thrice.published.indexOf(line) !== i);

    // Assess
    expect(repeated).toEqual([]);
  });
});
