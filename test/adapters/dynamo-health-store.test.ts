import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoHealthStore } from '../../shared/adapters/state/dynamo-health-store';
import { DynamoStateStore } from '../../shared/adapters/state/dynamo-state-store';
import type { IndexedService, KnownDeployment, QuarantinedImage } from '../../shared/ports';
import { createAutopilotTable, useDynalite } from '../support/dynalite';

const DAY = 86_400;
const START = new Date('2026-01-13T10:00:00.000Z');
const START_EPOCH = START.getTime() / 1000;

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const CLUSTER = `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/prod`;
const API = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/api`;
const WORKER = `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/worker`;
const API_7 = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:7`;
const API_8 = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/api:8`;
const D8 = 'ecs-svc/8000000000000000008';
const API_REPO = `${ACCOUNT}:${REGION}:team/api`;
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const HOUR = 3_600_000;

const dynamo = useDynalite();

let tableName: string;
let doc: DynamoDBDocumentClient;
let store: DynamoHealthStore;

const at = (time: string) => `2026-01-13T${time}.000Z`;

function service(name: string): IndexedService {
  return {
    serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/prod/${name}`,
    clusterArn: CLUSTER,
    serviceName: name,
  };
}

function deployment(state: string, overrides: Partial<KnownDeployment> = {}): KnownDeployment {
  return {
    deploymentId: D8,
    taskDefinitionArn: API_8,
    state,
    startedAt: at('10:00:00'),
    isRollback: false,
    ...overrides,
  };
}

function image(overrides: Partial<QuarantinedImage> = {}): QuarantinedImage {
  return {
    repositoryKey: API_REPO,
    repository: 'team/api',
    digest: DIGEST,
    reason: 'deployed to prod/api and unhealthy: alarm api-5xx in ALARM',
    at: at('10:15:00'),
    service: 'prod/api',
    ...overrides,
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
  store = new DynamoHealthStore(tableName, client, () => START);
});

describe('DynamoHealthStore deployments', () => {
  it('records a deployment and reads it back without the table attributes', async () => {
    // Prepare
    const recorded = deployment('IN_PROGRESS');

    // Act
    await store.recordDeployment(API, recorded, at('10:00:00'));

    // Assess
    expect(await store.getDeployment(API, D8)).toEqual(recorded);
    expect(await getItem(`SVC#${API}`, `ECSDEP#${D8}`)).toMatchObject({
      updatedAt: at('10:00:00'),
      expiresAt: START_EPOCH + 90 * DAY,
    });
    expect(await store.getDeployment(API, 'ecs-svc/unknown')).toBeUndefined();
    expect(await store.getDeployment(WORKER, D8)).toBeUndefined();
  });

  it('moves a deployment forward only: an older state change is ignored', async () => {
    // Prepare
    const completed = deployment('COMPLETED', { completedAt: at('10:10:00'), bakeUntil: at('10:20:00') });
    await store.recordDeployment(API, completed, at('10:10:00'));

    // Act
    await store.recordDeployment(API, deployment('IN_PROGRESS'), at('10:00:00'));

    // Assess
    expect(await store.getDeployment(API, D8)).toEqual(completed);
  });

  it('takes a newer state change, and the same one again', async () => {
    // Prepare
    await store.recordDeployment(API, deployment('IN_PROGRESS'), at('10:00:00'));
    const failed = deployment('FAILED');

    // Act
    await store.recordDeployment(API, failed, at('10:06:00'));
    await store.recordDeployment(API, failed, at('10:06:00'));

    // Assess
    expect(await store.getDeployment(API, D8)).toEqual(failed);
  });

  it('marks a deployment unhealthy once', async () => {
    // Prepare
    await store.recordDeployment(API, deployment('IN_PROGRESS', { unhealthy: false }), at('10:00:00'));

    // Act
    const first = await store.markUnhealthy(API, D8);
    const second = await store.markUnhealthy(API, D8);

    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(await store.getDeployment(API, D8)).toEqual(deployment('IN_PROGRESS', { unhealthy: true }));
  });

  it('keeps the unhealthy mark when the next state change carries it', async () => {
    // Prepare
    await store.recordDeployment(API, deployment('IN_PROGRESS'), at('10:00:00'));
    await store.markUnhealthy(API, D8);
    const known = await store.getDeployment(API, D8);

    // Act
    await store.recordDeployment(
      API,
      { ...deployment('COMPLETED'), ...known, state: 'COMPLETED' },
      at('10:10:00'),
    );

    // Assess
    expect(await store.markUnhealthy(API, D8)).toBe(false);
    expect(await store.getDeployment(API, D8)).toMatchObject({ state: 'COMPLETED', unhealthy: true });
  });
});

describe('DynamoHealthStore deployments autopilot started', () => {
  const started = (isRollback = false) => ({
    deploymentId: D8,
    taskDefinitionArn: API_8,
    startedAt: at('10:00:00'),
    isRollback,
  });

  it('knows a deployment as soon as UpdateService started it', async () => {
    // Prepare: nothing recorded yet

    // Act
    await store.noteDeploymentStarted(API, started());

    // Assess
    expect(await store.getDeployment(API, D8)).toEqual(deployment('IN_PROGRESS'));
    expect(await getItem(`SVC#${API}`, `ECSDEP#${D8}`)).toMatchObject({ expiresAt: START_EPOCH + 90 * DAY });
  });

  it("never overwrites what the deployment's state changes recorded first, except that it is a rollback", async () => {
    // Prepare: ECS's FAILED event was recorded before UpdateService's answer was written
    await store.recordDeployment(API, deployment('FAILED', { startedAt: at('09:59:59') }), at('10:06:00'));

    // Act
    await store.noteDeploymentStarted(API, { ...started(true), taskDefinitionArn: API_7 });

    // Assess
    expect(await store.getDeployment(API, D8)).toEqual(
      deployment('FAILED', { startedAt: at('09:59:59'), isRollback: true }),
    );
  });

  it('lets the state changes that arrive afterwards move the deployment forward', async () => {
    // Prepare
    await store.noteDeploymentStarted(API, started());

    // Act
    await store.recordDeployment(API, deployment('IN_PROGRESS'), at('10:00:00'));
    await store.recordDeployment(
      API,
      deployment('COMPLETED', { completedAt: at('10:10:00') }),
      at('10:10:00'),
    );

    // Assess
    expect(await store.getDeployment(API, D8)).toEqual(
      deployment('COMPLETED', { completedAt: at('10:10:00') }),
    );
  });
});

describe('DynamoHealthStore concurrent signals', () => {
  it('keeps an unhealthy mark written after the state change was read, by another invocation', async () => {
    // Prepare: an invocation read the deployment before another one marked it unhealthy
    await store.recordDeployment(API, deployment('IN_PROGRESS'), at('10:00:00'));
    const readBefore = await store.getDeployment(API, D8);
    await store.markUnhealthy(API, D8);

    // Act
    await store.recordDeployment(
      API,
      { ...deployment('COMPLETED'), ...readBefore, state: 'COMPLETED' },
      at('10:10:00'),
    );

    // Assess
    expect(await store.getDeployment(API, D8)).toMatchObject({ state: 'COMPLETED', unhealthy: true });
  });
});

describe('DynamoHealthStore last known good', () => {
  it('is undefined until set', async () => {
    // Prepare
    const other = service('other').serviceArn;

    // Act
    const good = await store.lastKnownGood(other);

    // Assess
    expect(good).toBeUndefined();
  });

  it('never goes backwards', async () => {
    // Prepare
    const newer = { taskDefinitionArn: API_8, deploymentId: D8, at: at('10:20:00') };
    const older = { taskDefinitionArn: API_7, deploymentId: 'ecs-svc/7', at: at('09:15:00') };
    await store.setLastKnownGood(API, newer);

    // Act
    await store.setLastKnownGood(API, older);

    // Assess
    expect(await store.lastKnownGood(API)).toEqual(newer);
  });

  it('moves forward, per service', async () => {
    // Prepare
    await store.setLastKnownGood(API, {
      taskDefinitionArn: API_7,
      deploymentId: 'ecs-svc/7',
      at: at('09:15:00'),
    });
    const newer = { taskDefinitionArn: API_8, deploymentId: D8, at: at('10:20:00') };

    // Act
    await store.setLastKnownGood(API, newer);

    // Assess
    expect(await store.lastKnownGood(API)).toEqual(newer);
    expect(await store.lastKnownGood(WORKER)).toBeUndefined();
  });
});

describe('DynamoHealthStore rollbacks', () => {
  const rollback = (time: string) => ({ at: at(time), from: API_8, to: API_7, reason: 'alarm api-5xx' });

  it('claims the first rollback of a service and remembers it', async () => {
    // Prepare
    const first = rollback('10:15:00');

    // Act
    const claimed = await store.claimRollback(API, first, HOUR);

    // Assess
    expect(claimed).toBe(true);
    expect(await store.lastRollback(API)).toEqual({ at: at('10:15:00'), to: API_7 });
    expect(await store.lastRollback(WORKER)).toBeUndefined();
  });

  it('refuses a second rollback within the cooldown and keeps the first', async () => {
    // Prepare
    await store.claimRollback(API, rollback('10:15:00'), HOUR);

    // Act
    const second = await store.claimRollback(API, { ...rollback('11:14:59'), to: API_8 }, HOUR);

    // Assess
    expect(second).toBe(false);
    expect(await store.lastRollback(API)).toEqual({ at: at('10:15:00'), to: API_7 });
  });

  it('claims again once the cooldown is over (at its very end, as decideRollback does)', async () => {
    // Prepare
    await store.claimRollback(API, rollback('10:15:00'), HOUR);

    // Act
    const atTheEnd = await store.claimRollback(API, rollback('11:15:00'), HOUR);
    const later = await store.claimRollback(API, rollback('12:30:00'), HOUR);

    // Assess
    expect(atTheEnd).toBe(true);
    expect(later).toBe(true);
    expect(await store.lastRollback(API)).toEqual({ at: at('12:30:00'), to: API_7 });
  });

  it('always claims without a cooldown (a person rolling back)', async () => {
    // Prepare
    await store.claimRollback(API, rollback('10:15:00'), HOUR);

    // Act
    const claimed = await store.claimRollback(API, rollback('10:16:00'), 0);

    // Assess
    expect(claimed).toBe(true);
  });
});

describe('DynamoHealthStore crashes', () => {
  const task = (id: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/prod/${id}`;

  it('counts the distinct crashed tasks of a revision since a time', async () => {
    // Prepare
    await store.recordCrash(API, API_8, task('old'), at('09:40:00'), at('09:30:00'));
    await store.recordCrash(API, API_8, task('t1'), at('10:01:00'), at('09:51:00'));

    // Act
    const count = await store.recordCrash(API, API_8, task('t2'), at('10:02:00'), at('09:52:00'));

    // Assess
    expect(count).toBe(2);
    expect(await getItem(`SVC#${API}`, `CRASH#${API_8}#${task('t2')}`)).toMatchObject({
      at: at('10:02:00'),
      expiresAt: START_EPOCH + DAY,
    });
  });

  it('counts a duplicate event of the same task once', async () => {
    // Prepare
    await store.recordCrash(API, API_8, task('t1'), at('10:01:00'), at('09:51:00'));

    // Act
    const duplicate = await store.recordCrash(API, API_8, task('t1'), at('10:01:00'), at('09:51:00'));
    const next = await store.recordCrash(API, API_8, task('t2'), at('10:02:00'), at('09:52:00'));

    // Assess
    expect(duplicate).toBe(1);
    expect(next).toBe(2);
  });

  it('counts crashes per revision and per service', async () => {
    // Prepare
    await store.recordCrash(API, API_7, task('t1'), at('10:01:00'), at('09:51:00'));
    await store.recordCrash(WORKER, API_8, task('t2'), at('10:01:00'), at('09:51:00'));

    // Act
    const count = await store.recordCrash(API, API_8, task('t3'), at('10:02:00'), at('09:52:00'));

    // Assess
    expect(count).toBe(1);
  });
});

describe('DynamoHealthStore bake timers', () => {
  it('lists the bake timers that are due and deletes them', async () => {
    // Prepare
    await store.scheduleBake(API, D8, at('10:20:00'));
    await store.scheduleBake(WORKER, 'ecs-svc/3', at('10:30:00'));

    // Act
    const dueAt1020 = await store.listBaked(new Date(at('10:20:00')));
    await store.deleteBake(API, D8);
    const dueAt1030 = await store.listBaked(new Date(at('10:30:00')));

    // Assess
    expect(dueAt1020).toEqual([{ serviceArn: API, deploymentId: D8 }]);
    expect(dueAt1030).toEqual([{ serviceArn: WORKER, deploymentId: 'ecs-svc/3' }]);
    expect(await store.listBaked(new Date(at('10:10:00')))).toEqual([]);
  });

  it('replaces the timer of a deployment that completes again', async () => {
    // Prepare
    await store.scheduleBake(API, D8, at('10:20:00'));

    // Act
    await store.scheduleBake(API, D8, at('10:40:00'));

    // Assess
    expect(await store.listBaked(new Date(at('10:30:00')))).toEqual([]);
    expect(await store.listBaked(new Date(at('10:40:00')))).toEqual([{ serviceArn: API, deploymentId: D8 }]);
  });
});

describe('DynamoHealthStore alarm index', () => {
  it('lists the services that named an alarm', async () => {
    // Prepare
    const api = service('api');
    const worker = service('worker');

    // Act
    await store.indexAlarms(api, ['api-5xx', 'cluster-cpu']);
    await store.indexAlarms(worker, ['cluster-cpu']);

    // Assess
    expect(await store.servicesForAlarm('api-5xx')).toEqual([api]);
    expect(await store.servicesForAlarm('cluster-cpu')).toEqual(expect.arrayContaining([api, worker]));
    expect(await store.servicesForAlarm('cluster-cpu')).toHaveLength(2);
    expect(await store.servicesForAlarm('unknown')).toEqual([]);
  });

  it('replaces the alarms of a service', async () => {
    // Prepare
    const api = service('api');
    const worker = service('worker');
    await store.indexAlarms(api, ['api-5xx', 'api-latency']);
    await store.indexAlarms(worker, ['api-5xx']);

    // Act
    await store.indexAlarms(api, ['api-latency', 'api-errors']);

    // Assess
    expect(await store.servicesForAlarm('api-5xx')).toEqual([worker]);
    expect(await store.servicesForAlarm('api-latency')).toEqual([api]);
    expect(await store.servicesForAlarm('api-errors')).toEqual([api]);
  });

  it('removes a service from every alarm when it names none any more', async () => {
    // Prepare
    const api = service('api');
    await store.indexAlarms(api, ['api-5xx']);

    // Act
    await store.indexAlarms(api, []);

    // Assess
    expect(await store.servicesForAlarm('api-5xx')).toEqual([]);
  });
});

describe('DynamoHealthStore quarantine', () => {
  it('quarantines a digest once', async () => {
    // Prepare
    const bad = image();

    // Act
    const first = await store.quarantine(bad);
    const second = await store.quarantine({ ...bad, reason: 'again', at: at('11:00:00') });

    // Assess
    expect(first).toBe(true);
    expect(second).toBe(false);
    expect(await store.listQuarantined()).toEqual([bad]);
  });

  it('is seen by deploy on push (same table, same key)', async () => {
    // Prepare
    const state = new DynamoStateStore(tableName, dynamo().client, () => START);

    // Act
    await store.quarantine(image());

    // Assess
    expect(await state.isQuarantined(API_REPO, DIGEST)).toBe(true);
    expect(await state.isQuarantined(API_REPO, `sha256:${'cd'.repeat(32)}`)).toBe(false);
  });

  it('lists every quarantined digest', async () => {
    // Prepare
    const other = image({ digest: `sha256:${'cd'.repeat(32)}`, service: undefined });
    const worker = image({ repositoryKey: `${ACCOUNT}:${REGION}:team/worker`, repository: 'team/worker' });

    // Act
    await store.quarantine(image());
    await store.quarantine(other);
    await store.quarantine(worker);

    // Assess
    const { service: _, ...withoutService } = other;
    expect(await store.listQuarantined()).toEqual(expect.arrayContaining([image(), withoutService, worker]));
    expect(await store.listQuarantined()).toHaveLength(3);
  });

  it('releases a digest, which deploy on push may then deploy again', async () => {
    // Prepare
    const state = new DynamoStateStore(tableName, dynamo().client, () => START);
    await store.quarantine(image());

    // Act
    const released = await store.release(API_REPO, DIGEST);

    // Assess
    expect(released).toBe(true);
    expect(await store.listQuarantined()).toEqual([]);
    expect(await state.isQuarantined(API_REPO, DIGEST)).toBe(false);
    expect(await store.quarantine(image())).toBe(true);
  });

  it('says so when releasing a digest that is not quarantined', async () => {
    // Prepare
    await store.quarantine(image());

    // Act
    const unknown = await store.release(API_REPO, `sha256:${'ef'.repeat(32)}`);
    const otherRepository = await store.release(`${ACCOUNT}:${REGION}:team/worker`, DIGEST);

    // Assess
    expect(unknown).toBe(false);
    expect(otherRepository).toBe(false);
    expect(await store.listQuarantined()).toEqual([image()]);
  });
  it.each([
    ['its name in ECR', 'team/api'],
    ['its index key', API_REPO],
  ])('releases an image named by %s, returning what it released', async (_how, repository) => {
    // Prepare
    const state = new DynamoStateStore(tableName, dynamo().client, () => START);
    await store.quarantine(image());

    // Act
    const released = await store.releaseImage(repository, DIGEST);

    // Assess
    expect(released).toEqual(image());
    expect(await store.listQuarantined()).toEqual([]);
    expect(await state.isQuarantined(API_REPO, DIGEST)).toBe(false);
  });

  it('releases nothing for an image that is not quarantined', async () => {
    // Prepare
    await store.quarantine(image());

    // Act
    const otherDigest = await store.releaseImage('team/api', `sha256:${'ef'.repeat(32)}`);
    const otherRepository = await store.releaseImage('team/worker', DIGEST);
    const released = await store.releaseImage('team/api', DIGEST);
    const again = await store.releaseImage('team/api', DIGEST);

    // Assess
    expect(otherDigest).toBeUndefined();
    expect(otherRepository).toBeUndefined();
    expect(released).toEqual(image());
    expect(again).toBeUndefined();
  });
});
