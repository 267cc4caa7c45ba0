import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoStateStore } from '../../shared/adapters/state/dynamo-state-store';
import type {
  AnnouncedProblem,
  DeploymentRecord,
  IndexedService,
  PendingPush,
  StateStore,
} from '../../shared/ports';
import { createAutopilotTable, useDynalite } from '../support/dynalite';
import { InMemoryStateStore } from '../support/in-memory';

const DAY = 86_400;
const START = new Date('2026-01-12T10:00:00.000Z');
const START_EPOCH = START.getTime() / 1000;

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const API_REPO = `${ACCOUNT}:${REGION}:team/api`;
const WORKER_REPO = `${ACCOUNT}:${REGION}:team/worker`;
const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;

const dynamo = useDynalite();

let tableName: string;
let doc: DynamoDBDocumentClient;
let clock: Date;
let store: DynamoStateStore;

/** Moves the store's clock forward. */
function advance(seconds: number): void {
  clock = new Date(clock.getTime() + seconds * 1000);
}

function service(name: string): IndexedService {
  return {
    serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/${name}`,
    clusterArn: CLUSTER,
    serviceName: name,
  };
}

async function getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  const out = await doc.send(new GetCommand({ TableName: tableName, Key: { pk, sk }, ConsistentRead: true }));
  return out.Item;
}

// Every test gets its own table, so no test sees another's items.
beforeEach(async () => {
  const { client } = dynamo();
  tableName = await createAutopilotTable(client);
  doc = DynamoDBDocumentClient.from(client);
  clock = START;
  store = new DynamoStateStore(tableName, client, () => clock);
});

describe('indexService', () => {
  it('lists a service under every repository it is indexed under', async () => {
    // Prepare
    const api = service('api');

    // Act
    await store.indexService(api, [API_REPO, WORKER_REPO]);

    // Assess
    expect(await store.servicesForRepository(API_REPO)).toEqual([api]);
    expect(await store.servicesForRepository(WORKER_REPO)).toEqual([api]);
    expect(await getItem(`SVC#${api.serviceArn}`, 'REPOS')).toMatchObject({
      repositories: [API_REPO, WORKER_REPO],
    });
  });

  it('drops the repositories a service is no longer indexed under', async () => {
    // Prepare
    const api = service('api');
    await store.indexService(api, [API_REPO, WORKER_REPO]);

    // Act
    await store.indexService(api, [API_REPO]);

    // Assess
    expect(await store.servicesForRepository(API_REPO)).toEqual([api]);
    expect(await store.servicesForRepository(WORKER_REPO)).toEqual([]);
    expect(await getItem(`REPO#${WORKER_REPO}`, `SVC#${api.serviceArn}`)).toBeUndefined();
    expect(await getItem(`SVC#${api.serviceArn}`, 'REPOS')).toMatchObject({ repositories: [API_REPO] });
  });

  it('sets the index TTL (7 days) on the index entries and the repository list', async () => {
    // Prepare
    const api = service('api');

    // Act
    await store.indexService(api, [API_REPO]);

    // Assess
    const expiresAt = START_EPOCH + 7 * DAY;
    expect(await getItem(`REPO#${API_REPO}`, `SVC#${api.serviceArn}`)).toEqual({
      pk: `REPO#${API_REPO}`,
      sk: `SVC#${api.serviceArn}`,
      ...api,
      expiresAt,
    });
    expect(await getItem(`SVC#${api.serviceArn}`, 'REPOS')).toMatchObject({ expiresAt });
  });

  it('refreshes the TTL when a service is indexed again', async () => {
    // Prepare
    const api = service('api');
    await store.indexService(api, [API_REPO]);
    advance(DAY);

    // Act
    await store.indexService(api, [API_REPO]);

    // Assess
    expect(await getItem(`REPO#${API_REPO}`, `SVC#${api.serviceArn}`)).toMatchObject({
      expiresAt: START_EPOCH + 8 * DAY,
    });
  });
});

describe('servicesForRepository', () => {
  it('is empty for a repository nothing is indexed under', async () => {
    // Act
    const services = await store.servicesForRepository(API_REPO);

    // Assess
    expect(services).toEqual([]);
  });

  it('lists only the services of that repository', async () => {
    // Prepare
    const [api, web, worker] = [service('api'), service('web'), service('worker')];
    await store.indexService(api, [API_REPO]);
    await store.indexService(web, [API_REPO]);
    await store.indexService(worker, [WORKER_REPO]);

    // Act
    const services = await store.servicesForRepository(API_REPO);

    // Assess
    expect(services).toHaveLength(2);
    expect(services).toEqual(expect.arrayContaining([api, web]));
  });

  it('reads every page when the services exceed one query page (1 MB)', async () => {
    // Prepare: 30 services of ~40 KB each, 1.2 MB in all.
    const padding = 'x'.repeat(40_000);
    const services = Array.from({ length: 30 }, (_, i) => ({
      ...service(`svc-${String(i).padStart(2, '0')}`),
      serviceName: `svc-${String(i).padStart(2, '0')}-${padding}`,
    }));
    for (const svc of services) await store.indexService(svc, [API_REPO]);
    const firstPage = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `REPO#${API_REPO}` },
      }),
    );
    expect(firstPage.LastEvaluatedKey).toBeDefined();

    // Act
    const listed = await store.servicesForRepository(API_REPO);

    // Assess
    expect(listed).toHaveLength(30);
    expect(new Set(listed.map((s) => s.serviceArn))).toEqual(new Set(services.map((s) => s.serviceArn)));
    expect(listed).toEqual(expect.arrayContaining(services));
  });
});

describe('unindexService', () => {
  it('removes a service from every repository and forgets its repository list', async () => {
    // Prepare
    const [api, web] = [service('api'), service('web')];
    await store.indexService(api, [API_REPO, WORKER_REPO]);
    await store.indexService(web, [API_REPO]);

    // Act
    await store.unindexService(api.serviceArn);

    // Assess
    expect(await store.servicesForRepository(API_REPO)).toEqual([web]);
    expect(await store.servicesForRepository(WORKER_REPO)).toEqual([]);
    expect(await getItem(`SVC#${api.serviceArn}`, 'REPOS')).toBeUndefined();
  });

  it('does nothing for a service that is not indexed', async () => {
    // Act
    const act = store.unindexService(service('ghost').serviceArn);

    // Assess
    await expect(act).resolves.toBeUndefined();
  });
});

describe('isQuarantined', () => {
  const digest = `sha256:${'a'.repeat(64)}`;

  it('is true only for the quarantined digest of that repository', async () => {
    // Prepare: the rollback capability writes the item directly.
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: `QUARANTINE#${API_REPO}`, sk: digest, reason: 'rolled back' },
      }),
    );

    // Act
    const [quarantined, otherDigest, otherRepository] = await Promise.all([
      store.isQuarantined(API_REPO, digest),
      store.isQuarantined(API_REPO, `sha256:${'b'.repeat(64)}`),
      store.isQuarantined(WORKER_REPO, digest),
    ]);

    // Assess
    expect(quarantined).toBe(true);
    expect(otherDigest).toBe(false);
    expect(otherRepository).toBe(false);
  });

  it('is false when nothing is quarantined', async () => {
    // Act
    const quarantined = await store.isQuarantined(API_REPO, digest);

    // Assess
    expect(quarantined).toBe(false);
  });
});

/** A deployment of prod/api to api:2, started at `startedAt` by the event `eventId`. */
const deployment = (startedAt: string, eventId: string): DeploymentRecord => ({
  serviceArn: service('api').serviceArn,
  cluster: 'prod',
  service: 'api',
  fromTaskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:1`,
  toTaskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:2`,
  repository: 'team/api',
  tag: 'v1.2.3',
  digest: `sha256:${'c'.repeat(64)}`,
  startedAt,
  triggeredBy: eventId,
  state: 'STARTED',
});

describe('recordDeployment', () => {
  const api = service('api');

  it('finds the deployment an event started among the recent ones, and nothing for another event', async () => {
    // Prepare
    await store.recordDeployment(deployment('2026-01-12T10:00:00.000Z', 'event-1'));
    await store.recordDeployment(deployment('2026-01-12T11:00:00.000Z', 'event-2'));

    // Act
    const found = await store.deploymentTriggeredBy(api.serviceArn, 'event-1');
    const missing = await store.deploymentTriggeredBy(api.serviceArn, 'event-3');

    // Assess
    expect(found).toEqual(deployment('2026-01-12T10:00:00.000Z', 'event-1'));
    expect(missing).toBeUndefined();
  });

  it('stores the deployment under the service, ordered by start time, with a 90-day TTL', async () => {
    // Prepare
    const later = deployment('2026-01-12T11:00:00.000Z', 'event-2');
    const earlier = deployment('2026-01-12T10:00:00.000Z', 'event-1');

    // Act
    await store.recordDeployment(later);
    await store.recordDeployment(earlier);

    // Assess
    const out = await doc.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :deploy)',
        ExpressionAttributeValues: { ':pk': `SVC#${api.serviceArn}`, ':deploy': 'DEPLOY#' },
      }),
    );
    expect(out.Items).toEqual([
      {
        pk: `SVC#${api.serviceArn}`,
        sk: 'DEPLOY#2026-01-12T10:00:00.000Z#event-1',
        ...earlier,
        expiresAt: START_EPOCH + 90 * DAY,
      },
      {
        pk: `SVC#${api.serviceArn}`,
        sk: 'DEPLOY#2026-01-12T11:00:00.000Z#event-2',
        ...later,
        expiresAt: START_EPOCH + 90 * DAY,
      },
    ]);
  });
});

describe('recordDeployment with the ECS deployment id', () => {
  it('also tells the rollback watcher which revision that deployment rolls out', async () => {
    // Prepare
    const api = service('api');
    const record: DeploymentRecord = {
      ...deployment('2026-01-12T10:00:00.000Z', 'event-1'),
      deploymentId: 'ecs-svc/2000000000000000002',
    };

    // Act
    await store.recordDeployment(record);

    // Assess
    expect(await getItem(`SVC#${api.serviceArn}`, 'ECSDEP#ecs-svc/2000000000000000002')).toEqual({
      pk: `SVC#${api.serviceArn}`,
      sk: 'ECSDEP#ecs-svc/2000000000000000002',
      deploymentId: 'ecs-svc/2000000000000000002',
      taskDefinitionArn: record.toTaskDefinition,
      state: 'IN_PROGRESS',
      startedAt: record.startedAt,
      isRollback: false,
      expiresAt: START_EPOCH + 90 * DAY,
    });
    expect(await store.deploymentTriggeredBy(api.serviceArn, 'event-1')).toEqual(record);
  });
});

describe('acquireServiceLock', () => {
  const arn = service('api').serviceArn;

  it('grants a free lock', async () => {
    // Act
    const acquired = await store.acquireServiceLock(arn, 'event-1', 60);

    // Assess
    expect(acquired).toBe(true);
    expect(await getItem(`SVC#${arn}`, 'LOCK')).toMatchObject({
      owner: 'event-1',
      expiresAt: START_EPOCH + 60,
    });
  });

  it('refuses a second owner while the lock is held', async () => {
    // Prepare
    await store.acquireServiceLock(arn, 'event-1', 60);
    advance(59);

    // Act
    const acquired = await store.acquireServiceLock(arn, 'event-2', 60);

    // Assess
    expect(acquired).toBe(false);
    expect(await getItem(`SVC#${arn}`, 'LOCK')).toMatchObject({ owner: 'event-1' });
  });

  it('lets the same owner acquire it again (a redelivered event)', async () => {
    // Prepare
    await store.acquireServiceLock(arn, 'event-1', 60);
    advance(30);

    // Act
    const acquired = await store.acquireServiceLock(arn, 'event-1', 60);

    // Assess
    expect(acquired).toBe(true);
    expect(await getItem(`SVC#${arn}`, 'LOCK')).toMatchObject({ expiresAt: START_EPOCH + 90 });
  });

  it('lets another owner take it once it has expired', async () => {
    // Prepare
    await store.acquireServiceLock(arn, 'event-1', 60);
    advance(61);

    // Act
    const acquired = await store.acquireServiceLock(arn, 'event-2', 60);

    // Assess
    expect(acquired).toBe(true);
    expect(await getItem(`SVC#${arn}`, 'LOCK')).toMatchObject({ owner: 'event-2' });
  });

  it('keeps the locks of different services apart', async () => {
    // Prepare
    await store.acquireServiceLock(arn, 'event-1', 60);

    // Act
    const acquired = await store.acquireServiceLock(service('web').serviceArn, 'event-2', 60);

    // Assess
    expect(acquired).toBe(true);
  });
});

describe('releaseServiceLock', () => {
  const arn = service('api').serviceArn;

  it('does nothing when released by another owner', async () => {
    // Prepare
    await store.acquireServiceLock(arn, 'event-1', 60);

    // Act
    await store.releaseServiceLock(arn, 'event-2');

    // Assess
    expect(await getItem(`SVC#${arn}`, 'LOCK')).toMatchObject({ owner: 'event-1' });
    expect(await store.acquireServiceLock(arn, 'event-3', 60)).toBe(false);
  });

  it('frees the lock when released by its owner', async () => {
    // Prepare
    await store.acquireServiceLock(arn, 'event-1', 60);

    // Act
    await store.releaseServiceLock(arn, 'event-1');

    // Assess
    expect(await getItem(`SVC#${arn}`, 'LOCK')).toBeUndefined();
    expect(await store.acquireServiceLock(arn, 'event-2', 60)).toBe(true);
  });

  it('does nothing when the lock is not held', async () => {
    // Act
    const act = store.releaseServiceLock(arn, 'event-1');

    // Assess
    await expect(act).resolves.toBeUndefined();
  });
});

describe('setWatermark', () => {
  const arn = service('api').serviceArn;
  const older = { pushedAt: '2026-01-12T09:00:00.000Z', digest: `sha256:${'1'.repeat(64)}`, tag: 'v1' };
  const newer = { pushedAt: '2026-01-12T09:05:00.000Z', digest: `sha256:${'2'.repeat(64)}`, tag: 'v2' };

  it('has no watermark before the first deployment', async () => {
    // Act
    const watermark = await store.getWatermark(arn, API_REPO);

    // Assess
    expect(watermark).toBeUndefined();
  });

  it('moves forward', async () => {
    // Prepare
    await store.setWatermark(arn, API_REPO, older);

    // Act
    await store.setWatermark(arn, API_REPO, newer);

    // Assess
    expect(await store.getWatermark(arn, API_REPO)).toEqual(newer);
  });

  it('never moves backwards', async () => {
    // Prepare
    await store.setWatermark(arn, API_REPO, newer);

    // Act
    await store.setWatermark(arn, API_REPO, older);

    // Assess
    expect(await store.getWatermark(arn, API_REPO)).toEqual(newer);
  });

  it('keeps one watermark per repository', async () => {
    // Prepare
    await store.setWatermark(arn, API_REPO, newer);

    // Act
    await store.setWatermark(arn, WORKER_REPO, older);

    // Assess
    expect(await store.getWatermark(arn, API_REPO)).toEqual(newer);
    expect(await store.getWatermark(arn, WORKER_REPO)).toEqual(older);
  });
});

describe('pending pushes', () => {
  const api = service('api');

  function pending(eventId: string, pushedAt: string, dueAt: string, name = 'api'): PendingPush {
    return {
      serviceArn: service(name).serviceArn,
      cluster: 'prod',
      service: name,
      push: {
        eventId,
        accountId: ACCOUNT,
        region: REGION,
        repositoryName: 'team/api',
        digest: `sha256:${eventId.padEnd(64, '0')}`,
        tag: eventId,
        pushedAt,
      },
      dueAt,
      reason: 'outside the deploy window',
    };
  }

  const first = pending('event-1', '2026-01-12T09:00:00.000Z', '2026-01-12T12:00:00.000Z');
  const second = pending('event-2', '2026-01-12T09:05:00.000Z', '2026-01-12T12:00:00.000Z');
  const pendingKey = { pk: 'PENDING', sk: `${api.serviceArn}#${API_REPO}` };

  describe('savePending', () => {
    it('saves the first pending push with a 30-day TTL', async () => {
      // Act
      const saved = await store.savePending(first, () => false);

      // Assess
      expect(saved).toBe(true);
      expect(await getItem(pendingKey.pk, pendingKey.sk)).toEqual({
        ...pendingKey,
        ...first,
        expiresAt: START_EPOCH + 30 * DAY,
      });
    });

    it('replaces the pending push with a newer one', async () => {
      // Prepare
      await store.savePending(first, () => false);
      const compared: string[] = [];

      // Act
      const saved = await store.savePending(second, (existing) => {
        compared.push(existing.push.eventId);
        return true;
      });

      // Assess
      expect(saved).toBe(true);
      expect(compared).toEqual(['event-1']);
      expect(await getItem(pendingKey.pk, pendingKey.sk)).toMatchObject({ push: { eventId: 'event-2' } });
    });

    it('refuses an older push than the one pending', async () => {
      // Prepare
      await store.savePending(second, () => false);

      // Act
      const saved = await store.savePending(first, () => false);

      // Assess
      expect(saved).toBe(false);
      expect(await getItem(pendingKey.pk, pendingKey.sk)).toMatchObject({ push: { eventId: 'event-2' } });
    });
  });

  describe('listDuePending', () => {
    it('returns only the due pushes, as saved (without keys or TTL)', async () => {
      // Prepare
      const due = pending('event-1', '2026-01-12T09:00:00.000Z', '2026-01-12T11:00:00.000Z', 'api');
      const dueNow = pending('event-2', '2026-01-12T09:00:00.000Z', '2026-01-12T12:00:00.000Z', 'web');
      const notYet = pending('event-3', '2026-01-12T09:00:00.000Z', '2026-01-12T12:00:00.001Z', 'worker');
      for (const p of [due, dueNow, notYet]) await store.savePending(p, () => false);

      // Act
      const listed = await store.listDuePending(new Date('2026-01-12T12:00:00.000Z'));

      // Assess
      expect(listed).toHaveLength(2);
      expect(listed).toEqual(expect.arrayContaining([due, dueNow]));
      for (const item of listed) {
        expect(Object.keys(item).sort()).toEqual([
          'cluster',
          'dueAt',
          'push',
          'reason',
          'service',
          'serviceArn',
        ]);
      }
    });

    it('is empty when nothing is pending', async () => {
      // Act
      const listed = await store.listDuePending(START);

      // Assess
      expect(listed).toEqual([]);
    });
  });

  describe('deletePending', () => {
    it('keeps the pending push when the event id does not match (a newer push replaced it)', async () => {
      // Prepare
      await store.savePending(second, () => false);

      // Act
      await store.deletePending(api.serviceArn, API_REPO, 'event-1');

      // Assess
      expect(await getItem(pendingKey.pk, pendingKey.sk)).toMatchObject({ push: { eventId: 'event-2' } });
    });

    it('deletes the pending push when the event id matches', async () => {
      // Prepare
      await store.savePending(second, () => false);

      // Act
      await store.deletePending(api.serviceArn, API_REPO, 'event-2');

      // Assess
      expect(await getItem(pendingKey.pk, pendingKey.sk)).toBeUndefined();
      expect(await store.listDuePending(new Date('2026-01-13T00:00:00.000Z'))).toEqual([]);
    });

    it('does nothing when nothing is pending', async () => {
      // Act
      const act = store.deletePending(api.serviceArn, API_REPO, 'event-1');

      // Assess
      await expect(act).resolves.toBeUndefined();
    });
  });
});

describe('announced configuration problems', () => {
  const api = service('api');
  const canary = service('api-canary');

  function problem(overrides: Partial<AnnouncedProblem> = {}): AnnouncedProblem {
    return {
      serviceArn: api.serviceArn,
      cluster: 'prod',
      service: 'api',
      tagKey: 'autopilot:deploy',
      tagValue: 'tags:main',
      problem: 'autopilot:deploy value "tags:main" is not tag:<name>, semver:major|minor|patch, match or off',
      triggeredBy: 'event-1',
      ...overrides,
    };
  }

  // The same behaviour from the in-memory fake the domain tests use, so what passes there passes here.
  describe.each<[string, () => StateStore]>([
    ['DynamoStateStore', () => store],
    ['InMemoryStateStore', () => new InMemoryStateStore(() => clock)],
  ])('%s', (_name, storeUnderTest) => {
    let problems: StateStore;
    beforeEach(() => {
      problems = storeUnderTest();
    });

    it('is news the first time, and then remembered', async () => {
      // Act
      const news = await problems.rememberProblem(problem());

      // Assess
      expect(news).toBe(true);
      expect(await problems.announcedProblems(api.serviceArn)).toEqual([problem()]);
    });

    it('is no news when another event announced the same value', async () => {
      // Prepare
      await problems.rememberProblem(problem());

      // Act
      const news = await problems.rememberProblem(problem({ triggeredBy: 'event-2' }));

      // Assess
      expect(news).toBe(false);
      expect(await problems.announcedProblems(api.serviceArn)).toEqual([problem()]);
    });

    it('is news again for a retry of the event that announced it', async () => {
      // Prepare
      await problems.rememberProblem(problem());

      // Act
      const news = await problems.rememberProblem(problem());

      // Assess
      expect(news).toBe(true);
    });

    it('is news for another value of the same tag, which replaces the one remembered', async () => {
      // Prepare
      await problems.rememberProblem(problem());
      const other = problem({ tagValue: 'always', problem: 'not a mode', triggeredBy: 'event-2' });

      // Act
      const news = await problems.rememberProblem(other);

      // Assess
      expect(news).toBe(true);
      expect(await problems.announcedProblems(api.serviceArn)).toEqual([other]);
    });

    it('keeps the tags of a service and the services apart (api is no prefix of api-canary)', async () => {
      // Prepare
      const rollback = problem({
        tagKey: 'autopilot:rollback',
        tagValue: 'yes',
        problem: 'neither on nor off',
      });
      const ofCanary = problem({ serviceArn: canary.serviceArn, service: 'api-canary' });

      // Act
      for (const p of [problem(), rollback, ofCanary]) await problems.rememberProblem(p);

      // Assess
      expect(await problems.announcedProblems(api.serviceArn)).toEqual(
        expect.arrayContaining([problem(), rollback]),
      );
      expect(await problems.announcedProblems(api.serviceArn)).toHaveLength(2);
      expect(await problems.announcedProblems(canary.serviceArn)).toEqual([ofCanary]);
    });

    it('forgets a problem once: only the first to forget it announces the resolution', async () => {
      // Prepare
      await problems.rememberProblem(problem());

      // Act
      const first = await problems.forgetProblem(api.serviceArn, 'autopilot:deploy');
      const second = await problems.forgetProblem(api.serviceArn, 'autopilot:deploy');

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(await problems.announcedProblems(api.serviceArn)).toEqual([]);
    });

    it('is news again once forgotten', async () => {
      // Prepare
      await problems.rememberProblem(problem());
      await problems.forgetProblem(api.serviceArn, 'autopilot:deploy');

      // Act
      const news = await problems.rememberProblem(problem({ triggeredBy: 'event-3' }));

      // Assess
      expect(news).toBe(true);
    });
  });

  it('keeps a problem under PROBLEM / <serviceArn>#<tagKey> with the index TTL (7 days)', async () => {
    // Act
    await store.rememberProblem(problem());

    // Assess
    expect(await getItem('PROBLEM', `${api.serviceArn}#autopilot:deploy`)).toEqual({
      pk: 'PROBLEM',
      sk: `${api.serviceArn}#autopilot:deploy`,
      ...problem(),
      expiresAt: START_EPOCH + 7 * DAY,
    });
  });

  it('renews the TTL and the wording when another event sees the problem again, keeping who announced it', async () => {
    // Prepare
    await store.rememberProblem(problem());
    advance(DAY);

    // Act
    await store.rememberProblem(problem({ triggeredBy: 'event-2', problem: 'reworded' }));

    // Assess
    expect(await getItem('PROBLEM', `${api.serviceArn}#autopilot:deploy`)).toMatchObject({
      triggeredBy: 'event-1',
      problem: 'reworded',
      expiresAt: START_EPOCH + 8 * DAY,
    });
  });
});
