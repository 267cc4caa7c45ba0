/**
 * What only the DynamoDB adapters of the state ports can get wrong (their behaviour is the contract
 * in test/contract/state/): the items they write (keys, attributes, TTL), that they read the items
 * deployed tables already hold, every page of a long query, and conditional writes under real races.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoBakeSchedule } from '../../shared/adapters/state/dynamo-bake-schedule';
import { DynamoConfigurationProblems } from '../../shared/adapters/state/dynamo-configuration-problems';
import { DynamoDeploymentHistory } from '../../shared/adapters/state/dynamo-deployment-history';
import { DynamoNotificationStore } from '../../shared/adapters/state/dynamo-notification-store';
import { DynamoPendingPushes } from '../../shared/adapters/state/dynamo-pending-pushes';
import { DynamoQuarantine } from '../../shared/adapters/state/dynamo-quarantine';
import { DynamoRollbackHistory } from '../../shared/adapters/state/dynamo-rollback-history';
import { DynamoServiceIndex } from '../../shared/adapters/state/dynamo-service-index';
import { DynamoServiceLease } from '../../shared/adapters/state/dynamo-service-lease';
import { DynamoSkippedPushes } from '../../shared/adapters/state/dynamo-skipped-pushes';
import type {
  AnnouncedProblem,
  DeploymentRecord,
  PendingPush,
  QuarantinedImage,
  SkippedPush,
} from '../../shared/ports';
import { createAutopilotTable, useDynalite } from '../support/dynalite';

const DAY = 86_400;
const START = new Date('2026-01-12T10:00:00.000Z');
const START_EPOCH = START.getTime() / 1000;
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const API_REPO = `${ACCOUNT}:${REGION}:team/api`;
const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;
const API = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/api`;
const API_7 = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:7`;
const API_8 = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:8`;
const D8 = 'ecs-svc/8000000000000000008';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const api = { serviceArn: API, clusterArn: CLUSTER, serviceName: 'api' };

const problem: AnnouncedProblem = {
  serviceArn: API,
  cluster: 'prod',
  service: 'api',
  tagKey: 'autopilot:deploy',
  tagValue: 'tags:main',
  problem: 'not a deploy mode',
  triggeredBy: 'event-1',
};

const dynamo = useDynalite();

let tableName: string;
let doc: DynamoDBDocumentClient;
let clock: Date;

/** An adapter on this test's table and clock. */
function on<P>(Adapter: new (tableName: string, client: DynamoDBClient, now: () => Date) => P): P {
  return new Adapter(tableName, dynamo().client, () => clock);
}

/** The items of a partition, as stored. */
async function partition(pk: string): Promise<Record<string, unknown>[]> {
  const out = await doc.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** Writes an item as a deployed table already holds it. */
async function stored(item: Record<string, unknown>): Promise<void> {
  await doc.send(new PutCommand({ TableName: tableName, Item: item }));
}

// Every test gets its own table, so no test sees another's items.
beforeEach(async () => {
  const { client } = dynamo();
  tableName = await createAutopilotTable(client);
  doc = DynamoDBDocumentClient.from(client);
  clock = START;
});

describe('DynamoServiceIndex', () => {
  it('keeps a REPO# entry per repository and the service list, with the 7-day index TTL', async () => {
    // Act
    await on(DynamoServiceIndex).indexRepositories(api, [API_REPO]);

    // Assess
    const expiresAt = START_EPOCH + 7 * DAY;
    expect(await partition(`REPO#${API_REPO}`)).toEqual([
      { pk: `REPO#${API_REPO}`, sk: `SVC#${API}`, ...api, expiresAt },
    ]);
    expect(await partition(`SVC#${API}`)).toEqual([
      { pk: `SVC#${API}`, sk: 'REPOS', repositories: [API_REPO], expiresAt },
    ]);
  });

  it('keeps an ALARM# entry per alarm and the alarm list, with the same TTL, renewed when indexed again', async () => {
    // Prepare
    const index = on(DynamoServiceIndex);
    await index.indexAlarms(api, ['api-5xx']);
    clock = new Date(START.getTime() + DAY * 1000);

    // Act
    await index.indexAlarms(api, ['api-5xx']);

    // Assess
    const expiresAt = START_EPOCH + 8 * DAY;
    expect(await partition('ALARM#api-5xx')).toEqual([
      { pk: 'ALARM#api-5xx', sk: `SVC#${API}`, ...api, expiresAt },
    ]);
    expect(await partition(`SVC#${API}`)).toEqual([
      { pk: `SVC#${API}`, sk: 'ALARMS', alarms: ['api-5xx'], expiresAt },
    ]);
  });

  it('forgets the service list when a service is removed from the repository index', async () => {
    // Prepare
    const index = on(DynamoServiceIndex);
    await index.indexRepositories(api, [API_REPO]);

    // Act
    await index.unindexRepositories(API);

    // Assess
    expect(await partition(`REPO#${API_REPO}`)).toEqual([]);
    expect(await partition(`SVC#${API}`)).toEqual([]);
  });

  it('reads every page when the services exceed one query page (1 MB)', async () => {
    // Prepare: 30 services of ~40 KB each, 1.2 MB in all.
    const index = on(DynamoServiceIndex);
    const padding = 'x'.repeat(40_000);
    const services = Array.from({ length: 30 }, (_, i) => ({
      serviceArn: `${API}-${i}`,
      clusterArn: CLUSTER,
      serviceName: `svc-${i}-${padding}`,
    }));
    for (const service of services) await index.indexRepositories(service, [API_REPO]);
    const firstPage = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `REPO#${API_REPO}` },
      }),
    );
    expect(firstPage.LastEvaluatedKey).toBeDefined();

    // Act
    const listed = await index.servicesForRepository(API_REPO);

    // Assess
    expect(listed).toHaveLength(30);
    expect(listed).toEqual(expect.arrayContaining(services));
  });
});

describe('DynamoConfigurationProblems', () => {
  it('keeps a problem under PROBLEM / <serviceArn>#<tagKey> with the index TTL (7 days)', async () => {
    // Act
    await on(DynamoConfigurationProblems).rememberProblem(problem);

    // Assess
    expect(await partition('PROBLEM')).toEqual([
      { pk: 'PROBLEM', sk: `${API}#autopilot:deploy`, ...problem, expiresAt: START_EPOCH + 7 * DAY },
    ]);
  });

  it('renews the TTL and the wording when another event sees the problem again, keeping who announced it', async () => {
    // Prepare
    const problems = on(DynamoConfigurationProblems);
    await problems.rememberProblem(problem);
    clock = new Date(START.getTime() + DAY * 1000);

    // Act
    await problems.rememberProblem({ ...problem, triggeredBy: 'event-2', problem: 'reworded' });

    // Assess
    expect(await partition('PROBLEM')).toEqual([
      expect.objectContaining({
        triggeredBy: 'event-1',
        problem: 'reworded',
        expiresAt: START_EPOCH + 8 * DAY,
      }),
    ]);
  });
});

describe('DynamoDeploymentHistory', () => {
  const record = (startedAt: string, eventId: string): DeploymentRecord => ({
    serviceArn: API,
    cluster: 'prod',
    service: 'api',
    fromTaskDefinition: API_7,
    toTaskDefinition: API_8,
    repository: 'team/api',
    tag: 'v1.2.3',
    digest: DIGEST,
    startedAt,
    triggeredBy: eventId,
    state: 'STARTED',
  });

  it('keeps the deployments autopilot started under the service, ordered by start, for 90 days', async () => {
    // Prepare
    const history = on(DynamoDeploymentHistory);
    const [later, earlier] = [
      record('2026-01-12T11:00:00.000Z', 'event-2'),
      record('2026-01-12T10:00:00.000Z', 'event-1'),
    ];

    // Act
    await history.recordDeployment(later);
    await history.recordDeployment(earlier);

    // Assess
    const expiresAt = START_EPOCH + 90 * DAY;
    expect(await partition(`SVC#${API}`)).toEqual([
      { pk: `SVC#${API}`, sk: `DEPLOY#${earlier.startedAt}#event-1`, ...earlier, expiresAt },
      { pk: `SVC#${API}`, sk: `DEPLOY#${later.startedAt}#event-2`, ...later, expiresAt },
    ]);
  });

  it('keeps an ECS deployment under ECSDEP#<id>: noted without updatedAt, state changes with it, for 90 days', async () => {
    // Prepare
    const history = on(DynamoDeploymentHistory);
    const started = {
      deploymentId: D8,
      taskDefinitionArn: API_8,
      startedAt: START.toISOString(),
      isRollback: false,
    };
    await history.noteDeploymentStarted(API, started);
    const noted = await partition(`SVC#${API}`);

    // Act
    await history.recordDeploymentState(API, { ...started, state: 'COMPLETED' }, '2026-01-12T10:10:00.000Z');

    // Assess
    const key = { pk: `SVC#${API}`, sk: `ECSDEP#${D8}` };
    expect(noted).toEqual([{ ...key, ...started, state: 'IN_PROGRESS', expiresAt: START_EPOCH + 90 * DAY }]);
    expect(await partition(`SVC#${API}`)).toEqual([
      {
        ...key,
        ...started,
        state: 'COMPLETED',
        updatedAt: '2026-01-12T10:10:00.000Z',
        expiresAt: START_EPOCH + 90 * DAY,
      },
    ]);
  });

  it('reads an ECS deployment as deployed tables hold it, without the table attributes', async () => {
    // Prepare
    const deployment = {
      deploymentId: D8,
      taskDefinitionArn: API_8,
      state: 'COMPLETED',
      startedAt: '2026-01-12T09:00:00.000Z',
      bakeUntil: '2026-01-12T09:20:00.000Z',
      isRollback: false,
      unhealthy: true,
    };
    await stored({
      pk: `SVC#${API}`,
      sk: `ECSDEP#${D8}`,
      ...deployment,
      updatedAt: '2026-01-12T09:10:00.000Z',
      expiresAt: START_EPOCH,
    });

    // Act
    const known = await on(DynamoDeploymentHistory).getDeployment(API, D8);

    // Assess
    expect(known).toEqual(deployment);
  });

  it('keeps a crashed task for a day', async () => {
    // Prepare
    const task = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/t1`;

    // Act
    await on(DynamoDeploymentHistory).recordCrash(
      { serviceArn: API, taskDefinitionArn: API_8, taskArn: task, at: '2026-01-12T10:02:00.000Z' },
      START.toISOString(),
    );

    // Assess
    expect(await partition(`SVC#${API}`)).toEqual([
      {
        pk: `SVC#${API}`,
        sk: `CRASH#${API_8}#${task}`,
        at: '2026-01-12T10:02:00.000Z',
        expiresAt: START_EPOCH + DAY,
      },
    ]);
  });
});

describe('DynamoRollbackHistory', () => {
  it('keeps the last known good revision and the last rollback without TTL', async () => {
    // Prepare
    const rollbacks = on(DynamoRollbackHistory);
    const good = { taskDefinitionArn: API_7, deploymentId: 'ecs-svc/7', at: '2026-01-12T09:15:00.000Z' };
    const rollback = { at: '2026-01-12T10:15:00.000Z', from: API_8, to: API_7, reason: 'alarm api-5xx' };

    // Act
    await rollbacks.setLastKnownGood(API, good);
    await rollbacks.claimRollback(API, rollback, 3_600_000);

    // Assess
    expect(await partition(`SVC#${API}`)).toEqual([
      { pk: `SVC#${API}`, sk: 'LKG', ...good },
      { pk: `SVC#${API}`, sk: 'ROLLBACK', ...rollback },
    ]);
  });
});

describe('DynamoBakeSchedule', () => {
  it('keeps a timer under BAKING / <serviceArn>#<deploymentId> for 7 days', async () => {
    // Act
    await on(DynamoBakeSchedule).scheduleBake(API, D8, '2026-01-12T10:20:00.000Z');

    // Assess
    expect(await partition('BAKING')).toEqual([
      {
        pk: 'BAKING',
        sk: `${API}#${D8}`,
        serviceArn: API,
        deploymentId: D8,
        dueAt: '2026-01-12T10:20:00.000Z',
        expiresAt: START_EPOCH + 7 * DAY,
      },
    ]);
  });
});

describe('DynamoQuarantine', () => {
  const image: QuarantinedImage = {
    repositoryKey: API_REPO,
    repository: 'team/api',
    digest: DIGEST,
    reason: 'crash loop',
    at: '2026-01-12T10:15:00.000Z',
    service: 'prod/api',
  };

  it('keeps a quarantined digest under QUARANTINE#<repositoryKey> and in the QUARANTINED listing, without TTL', async () => {
    // Act
    await on(DynamoQuarantine).quarantineImage(image);

    // Assess
    expect(await partition(`QUARANTINE#${API_REPO}`)).toEqual([
      { pk: `QUARANTINE#${API_REPO}`, sk: DIGEST, ...image },
    ]);
    expect(await partition('QUARANTINED')).toEqual([
      { pk: 'QUARANTINED', sk: `${API_REPO}@${DIGEST}`, ...image },
    ]);
  });

  /** A client of this test's dynalite whose first write of the listing item fails (a lost write). */
  function failingListingWrite(): DynamoDBClient {
    const client = new DynamoDBClient({
      endpoint: dynamo().endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDDYNALITE', secretAccessKey: 'dynalite' },
      maxAttempts: 1,
    });
    let failed = false;
    client.middlewareStack.add(
      (next) => async (args) => {
        if (!failed && JSON.stringify(args.input).includes('"QUARANTINED"')) {
          failed = true;
          throw Object.assign(new Error('We currently do not have sufficient capacity'), {
            name: 'ServiceUnavailable',
          });
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    return client;
  }

  it('writes the digest and its listing together: a lost listing write blocks nothing, and the retry lists it', async () => {
    // Prepare
    const client = failingListingWrite();
    const quarantine = new DynamoQuarantine(tableName, client, () => clock);

    // Act
    const first = await quarantine.quarantineImage(image).catch((error: Error) => error.name);
    const blockedMeanwhile = await quarantine.isQuarantined(API_REPO, DIGEST);
    const retry = await quarantine.quarantineImage(image);

    // Assess
    expect([first, blockedMeanwhile, retry]).toEqual(['ServiceUnavailable', false, true]);
    expect(await quarantine.listQuarantined()).toEqual([image]);
    client.destroy();
  });

  it('releases the digest and its listing together', async () => {
    // Prepare
    await on(DynamoQuarantine).quarantineImage(image);

    // Act
    const released = await on(DynamoQuarantine).release(API_REPO, DIGEST);
    const again = await on(DynamoQuarantine).release(API_REPO, DIGEST);

    // Assess
    expect([released, again]).toEqual([true, false]);
    expect(await partition(`QUARANTINE#${API_REPO}`)).toEqual([]);
    expect(await partition('QUARANTINED')).toEqual([]);
  });

  it('releases a listing left without its digest by earlier versions, saying nothing was released', async () => {
    // Prepare
    await stored({ pk: 'QUARANTINED', sk: `${API_REPO}@${DIGEST}`, ...image });

    // Act
    const released = await on(DynamoQuarantine).release(API_REPO, DIGEST);

    // Assess
    expect(released).toBe(false);
    expect(await partition('QUARANTINED')).toEqual([]);
  });

  it('refuses a digest quarantined by a deployed table (as the rollback wrote it)', async () => {
    // Prepare
    await stored({ pk: `QUARANTINE#${API_REPO}`, sk: DIGEST, reason: 'rolled back' });

    // Act
    const quarantined = await on(DynamoQuarantine).isQuarantined(API_REPO, DIGEST);

    // Assess
    expect(quarantined).toBe(true);
  });
});

describe('DynamoServiceLease', () => {
  it('keeps the lease (owner, its end, who took it before; kept 30 days after) and the watermark (no TTL) under the service', async () => {
    // Prepare
    const lease = on(DynamoServiceLease);
    const watermark = { pushedAt: '2026-01-12T09:00:00.000Z', digest: DIGEST, tag: 'v1' };

    // Act
    await lease.acquireLease(API, 'event-1', 120);
    await lease.setWatermark(API, API_REPO, watermark);
    const held = await partition(`SVC#${API}`);
    await lease.releaseLease(API, 'event-1');

    // Assess
    const lock = { pk: `SVC#${API}`, sk: 'LOCK', owner: 'event-1', priorOwner: '' };
    expect(held).toEqual([
      { ...lock, leaseUntil: START_EPOCH + 120, expiresAt: START_EPOCH + 30 * 86_400 },
      { pk: `SVC#${API}`, sk: `PUSH#${API_REPO}`, ...watermark },
    ]);
    expect((await partition(`SVC#${API}`))[0]).toEqual({
      ...lock,
      leaseUntil: 0,
      expiresAt: START_EPOCH + 30 * 86_400,
    });
  });

  it('reads a lease item of the old shape (its expiry the TTL): held until it ends, then free, and its owner taking it again', async () => {
    // Prepare: written by an earlier version
    const lease = on(DynamoServiceLease);
    await stored({ pk: `SVC#${API}`, sk: 'LOCK', owner: 'event-1', expiresAt: START_EPOCH + 120 });

    // Act
    const whileHeld = await lease.takeLease(API, 'event-2', 120);
    const byItsOwner = await lease.takeLease(API, 'event-1', 120);
    await stored({ pk: `SVC#${API}`, sk: 'LOCK', owner: 'event-1', expiresAt: START_EPOCH - 1 });
    const ended = await lease.takeLease(API, 'event-2', 120);

    // Assess
    expect([whileHeld, byItsOwner, ended]).toEqual(['held', 'again', 'taken']);
  });
});

describe('DynamoPendingPushes', () => {
  const pending: PendingPush = {
    serviceArn: API,
    cluster: 'prod',
    service: 'api',
    push: {
      eventId: 'event-1',
      accountId: ACCOUNT,
      region: REGION,
      repositoryName: 'team/api',
      digest: DIGEST,
      tag: 'v1',
      pushedAt: '2026-01-12T09:00:00.000Z',
    },
    dueAt: '2026-01-12T12:00:00.000Z',
    reason: 'outside the deploy window',
  };

  it('keeps a pending push under PENDING / <serviceArn>#<repositoryKey> for 30 days', async () => {
    // Act
    await on(DynamoPendingPushes).savePending(pending, () => false);

    // Assess
    expect(await partition('PENDING')).toEqual([
      { pk: 'PENDING', sk: `${API}#${API_REPO}`, ...pending, expiresAt: START_EPOCH + 30 * DAY },
    ]);
  });

  it('keeps exactly one of racing pushes, each compared against what it replaces', async () => {
    // Prepare
    const pushes = on(DynamoPendingPushes);
    const racing = ['event-2', 'event-3', 'event-4'].map((eventId) => ({
      ...pending,
      push: { ...pending.push, eventId },
    }));

    // Act: each replaces anything but itself (newer than everything)
    const saved = await Promise.all(racing.map((p) => pushes.savePending(p, () => true)));

    // Assess
    expect(saved).toEqual([true, true, true]);
    expect(await pushes.listDuePending(new Date('2100-01-01T00:00:00.000Z'))).toHaveLength(1);
  });
});

describe('DynamoSkippedPushes', () => {
  const skipped = (tag: string, eventId: string): SkippedPush => ({
    serviceArn: API,
    repository: 'team/api',
    tag,
    digest: DIGEST,
    reason: `tag ${tag} does not match tag:release`,
    triggeredBy: eventId,
    at: START.toISOString(),
  });

  it("keeps a service's last skip under its partition, SKIP, beside its deployments, for 90 days", async () => {
    // Prepare
    const skips = on(DynamoSkippedPushes);
    await on(DynamoDeploymentHistory).recordDeployment({
      serviceArn: API,
      cluster: 'prod',
      service: 'api',
      fromTaskDefinition: API_7,
      toTaskDefinition: API_8,
      repository: 'team/api',
      tag: 'release',
      digest: DIGEST,
      startedAt: '2026-01-12T09:00:00.000Z',
      triggeredBy: 'event-0',
      state: 'STARTED',
    });
    await skips.recordSkips([skipped('main', 'event-1')]);
    clock = new Date(START.getTime() + 60_000);

    // Act
    await skips.recordSkips([skipped('feature', 'event-2')]);

    // Assess
    expect((await partition(`SVC#${API}`)).map((i) => i.sk)).toEqual([
      'DEPLOY#2026-01-12T09:00:00.000Z#event-0',
      'SKIP',
    ]);
    expect(await partition(`SVC#${API}`)).toContainEqual({
      pk: `SVC#${API}`,
      sk: 'SKIP',
      ...skipped('feature', 'event-2'),
      expiresAt: START_EPOCH + 60 + 90 * DAY,
    });
  });
});

describe('DynamoNotificationStore', () => {
  const WINDOW = { start: '2026-11-23T10:00:00.000Z', end: '2026-11-23T10:01:00.000Z' };

  it('keeps a window under NOTIFYWIN until two days after it ends (with the count each event was given; late events come up to 30 hours after), and a thread under THREAD#<channel> for 7 days', async () => {
    // Prepare
    const store = on(DynamoNotificationStore);
    const first = { ts: '1767261600.000100' } as never;

    // Act
    await store.admit('ops', 'Deployment Started|prod|info', WINDOW, 'event-1');
    await store.saveThread('deploys', 'prod/api@api:8', first);

    // Assess
    expect(await partition('NOTIFYWIN')).toEqual([
      {
        pk: 'NOTIFYWIN',
        sk: `ops#Deployment Started|prod|info#${WINDOW.start}`,
        channel: 'ops',
        groupKey: 'Deployment Started|prod|info',
        windowStart: WINDOW.start,
        windowEnd: WINDOW.end,
        count: 1,
        'counted#event-1': 1,
        expiresAt: new Date(WINDOW.end).getTime() / 1000 + 2 * DAY,
      },
    ]);
    expect(await partition('THREAD#deploys')).toEqual([
      {
        pk: 'THREAD#deploys',
        sk: 'prod/api@api:8',
        ts: '1767261600.000100',
        expiresAt: START_EPOCH + 7 * DAY,
      },
    ]);
  });

  it('counts concurrent notifications into one window without losing any', async () => {
    // Prepare
    const store = on(DynamoNotificationStore);
    const admissions = Array.from({ length: 12 }, (_, i) =>
      store.admit('ops', 'group', WINDOW, `event-${i}`),
    );

    // Act
    const counts = (await Promise.all(admissions)).map((w) => w.count).sort((a, b) => a - b);

    // Assess
    expect(counts).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });
});

describe('conditional writes under real races: one of the racing writers wins', () => {
  const rollback = { at: '2026-01-12T10:15:00.000Z', from: API_8, to: API_7, reason: 'alarm api-5xx' };
  const image = {
    repositoryKey: API_REPO,
    repository: 'team/api',
    digest: DIGEST,
    reason: 'crash loop',
    at: rollback.at,
  };

  it.each<[string, () => Promise<unknown>, (writer: number) => Promise<boolean>]>([
    [
      'forgetProblem: one resolution is announced',
      () => on(DynamoConfigurationProblems).rememberProblem(problem),
      () => on(DynamoConfigurationProblems).forgetProblem(API, problem.tagKey),
    ],
    [
      'markUnhealthy: one signal acts',
      async () => undefined,
      (writer) => on(DynamoDeploymentHistory).markUnhealthy(API, D8, `signal-${writer}`),
    ],
    [
      'claimRollback: one rollback per cooldown',
      async () => undefined,
      (writer) =>
        on(DynamoRollbackHistory).claimRollback(
          API,
          { ...rollback, triggeredBy: `signal-${writer}` },
          3_600_000,
        ),
    ],
    [
      'quarantineImage: quarantined once',
      async () => undefined,
      (writer) => on(DynamoQuarantine).quarantineImage({ ...image, triggeredBy: `signal-${writer}` }),
    ],
    [
      'acquireLease: one owner',
      async () => undefined,
      (writer) => on(DynamoServiceLease).acquireLease(API, `owner-${writer}`, 120),
    ],
  ])('%s', async (_name, prepare, write) => {
    // Prepare
    await prepare();

    // Act
    const won = await Promise.all([1, 2, 3, 4].map(write));

    // Assess
    expect(won.filter(Boolean)).toHaveLength(1);
  });
});
