/**
 * The `autopilot` command: exit statuses, one JSON line per decision, and the policy file check.
 */

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { EXIT_INVALID_EVENT, type Io, main } from '../../cli/autopilot';
import { DynamoQuarantine } from '../../shared/adapters/state/dynamo-quarantine';
import { DynamoRestartChains } from '../../shared/adapters/state/dynamo-restart-chains';
import { DynamoRollbackHistory } from '../../shared/adapters/state/dynamo-rollback-history';
import { DynamoServiceIndex } from '../../shared/adapters/state/dynamo-service-index';
import { type Dynalite, startDynalite } from '../support/dynalite';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'autopilot-cli-'));
const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const bus = mockClient(EventBridgeClient);

function capture(): Io & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const run = (io: Io, ...args: string[]) => main(['node', 'autopilot', ...args], io);

// One local DynamoDB for the whole file: the commands share the process-wide cached client, which
// keeps the endpoint it was first created with.
let dynamo: Dynalite;

beforeAll(async () => {
  dynamo = await startDynalite();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.AUTOPILOT_TABLE = dynamo.tableName;
  process.env.AUTOPILOT_BUS = 'ecs-autopilot-test';
});

beforeEach(() => {
  // The shell running the tests may set it; `--dry-run` itself never outlives its command.
  delete process.env.AUTOPILOT_DRY_RUN;
  ecs.reset();
  ecr.reset();
  bus.reset();
});

afterAll(async () => {
  await dynamo.stop();
});

describe('autopilot dispatch', () => {
  it('exits 2 with a one-line reason when the file is not JSON', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'dispatch', file('broken.json', '{"id": '));

    // Assess
    expect(status).toBe(EXIT_INVALID_EVENT);
    expect(io.errors).toEqual([expect.stringMatching(/^invalid event: .*broken\.json: /)]);
  });

  it('exits 2 when the JSON is not an EventBridge event', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'dispatch', file('not-event.json', '{"hello": "world"}'));

    // Assess
    expect(status).toBe(EXIT_INVALID_EVENT);
    expect(io.errors[0]).toContain('invalid event');
  });

  it('reads an event file that starts with a UTF-8 byte-order mark', async () => {
    // Prepare
    const io = capture();
    const sample = readFileSync(join(root, 'events', 'ecr-image-delete.json'), 'utf8');

    // Act
    const status = await run(io, 'dispatch', file('bom.json', `\uFEFF${sample}`));

    // Assess
    expect(io.errors).toEqual([]);
    expect(status).toBe(0);
    expect(JSON.parse(io.lines[0] ?? '')).toMatchObject({ routed: false });
  });

  it('exits 2 naming the functions there are when --function names none of them', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(
      io,
      'dispatch',
      '--function',
      'deploy-on-pushh',
      join(root, 'events', 'ecr-image-push.json'),
    );

    // Assess
    expect(status).toBe(2);
    expect(io.errors).toEqual([
      'unknown function "deploy-on-pushh": the functions are deploy-on-push, deploy-due, index-services, watch-deployments, bake-timer, notify, restart-tasks, restart-due, tag-policies',
    ]);
  });

  it('exits 2 saying what to set when it does not know where to act', async () => {
    // Prepare: no table, no bus, no running sandbox
    const io = capture();
    const saved = { table: process.env.AUTOPILOT_TABLE, bus: process.env.AUTOPILOT_BUS };
    delete process.env.AUTOPILOT_TABLE;
    delete process.env.AUTOPILOT_BUS;
    process.env.AUTOPILOT_SANDBOX_CONTROL = join(dir, 'no-sandbox.json');

    // Act
    const status = await run(io, 'dispatch', join(root, 'events', 'ecr-image-push.json'));

    // Assess
    process.env.AUTOPILOT_TABLE = saved.table;
    process.env.AUTOPILOT_BUS = saved.bus;
    delete process.env.AUTOPILOT_SANDBOX_CONTROL;
    expect(status).toBe(2);
    expect(io.errors).toEqual([expect.stringMatching(/^configuration: .*--stage <stage> --region <region>/)]);
    expect(io.errors.join('\n')).not.toContain('would be retried');
  });

  it('exits 0 for an event no rule of autopilot matches', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'dispatch', join(root, 'events', 'ecr-image-delete.json'));

    // Assess
    expect(status).toBe(0);
    expect(JSON.parse(io.lines[0] ?? '')).toMatchObject({ routed: false });
  });

  it('prints each decision of the real handler as a JSON line, changing nothing in dry run', async () => {
    // Prepare
    const io = capture();
    const cluster = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';
    const serviceArn = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api';
    await new DynamoServiceIndex(dynamo.tableName, dynamo.client).indexRepositories(
      { serviceArn, clusterArn: cluster, serviceName: 'api' },
      ['123456789012:eu-west-1:team/api'],
    );
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn,
          serviceName: 'api',
          clusterArn: cluster,
          status: 'ACTIVE',
          taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:3',
          tags: [{ key: 'autopilot:deploy', value: 'tag:main' }],
        },
      ],
    });
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        family: 'api',
        containerDefinitions: [
          { name: 'app', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:main' },
        ],
      },
    });

    // team/api:main still points at the pushed digest
    ecr.on(DescribeImagesCommand).resolves({
      imageDetails: [
        { imageDigest: 'sha256:fb97d0ca1fde2a198d7507bb9cd9899f8e0ac8c976e24f8fbe709ca00d474ead' },
      ],
    });

    // Act
    const status = await run(io, 'dispatch', '--dry-run', join(root, 'events', 'ecr-image-push.json'));

    // Assess
    expect(io.errors).toEqual([]);
    expect(status).toBe(0);
    expect(io.lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ function: 'deploy-on-push', action: 'deploy', service: 'api', dryRun: true }),
    ]);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(process.env.AUTOPILOT_DRY_RUN).toBeUndefined();
  });

  it('gives --dry-run to the handlers only for its own invocations', async () => {
    // Prepare
    const io = capture();
    process.env.AUTOPILOT_DRY_RUN = 'false';
    ecs.on(DescribeServicesCommand).resolves({ services: [] });

    // Act
    const status = await run(io, 'dispatch', '--dry-run', join(root, 'events', 'ecs-deployment-failed.json'));

    // Assess
    expect(status).toBe(0);
    expect(process.env.AUTOPILOT_DRY_RUN).toBe('false');
  });
});

describe('autopilot --version and --help', () => {
  it('prints the version of the package', async () => {
    // Prepare
    const io = capture();
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

    // Act
    const status = await run(io, '--version');

    // Assess
    expect(status).toBe(0);
    expect(io.lines).toEqual([version]);
  });

  it('says where commands act, which variables count, and what the exit statuses mean', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, '--help');

    // Assess
    const help = io.lines.join('\n');
    expect(status).toBe(0);
    for (const word of [
      '--stage',
      'AUTOPILOT_TABLE',
      'AUTOPILOT_CONFIG',
      'AWS_ENDPOINT_URL',
      'Exit status',
      'rollback',
      'quarantine',
      'sandbox',
    ]) {
      expect(help).toContain(word);
    }
  });
});

describe('autopilot validate-config', () => {
  it('accepts the policy file shipped with the project', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'validate-config', join(root, 'autopilot.yml'));

    // Assess
    expect(status).toBe(0);
    expect(io.lines[0]).toMatch(/valid/);
  });

  it('reports each problem with file, line, column and field', async () => {
    // Prepare
    const io = capture();
    const path = file(
      'autopilot.yml',
      ['version: 1', 'policies:', '  prod:', '    minImageAge: soon', '    windw: []', ''].join('\n'),
    );

    // Act
    const status = await run(io, 'validate-config', path);

    // Assess
    expect(status).toBe(1);
    expect(io.errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/autopilot\.yml:4:18 policies\.prod\.minImageAge: expected a duration/),
        expect.stringMatching(/autopilot\.yml:5:5 policies\.prod: .*windw/),
      ]),
    );
  });
});

describe('autopilot restarts', () => {
  it('lists the live restart chains of a cluster, one JSON line each', async () => {
    // Prepare
    const chains = new DynamoRestartChains(dynamo.tableName, dynamo.client);
    const clusterArn = 'arn:aws:ecs:eu-west-1:123456789012:cluster/batch';
    const taskArn = `arn:aws:ecs:eu-west-1:123456789012:task/batch/${'0f'.repeat(16)}`;
    const chain = {
      clusterArn,
      chainId: '0f'.repeat(16),
      spec: { cluster: clusterArn, taskDefinition: 'worker:3' },
      state: 'waiting' as const,
      attempt: 2,
      maxAttempts: 5,
      currentTaskArn: taskArn,
      handledStops: [taskArn],
      lastReasons: ['Essential container in task exited: worker exited with code 1'],
      lastClass: 'exited-non-zero',
      nextAttemptAt: '2026-11-23T10:00:20.000Z',
      mode: 'on-failure',
      backoff: { initialSeconds: 10, maxSeconds: 300, resetAfterSeconds: 600 },
      updatedAt: '2026-11-23T10:00:00.000Z',
      version: 1,
    };
    await chains.saveChain(chain);
    await chains.saveChain({ ...chain, chainId: 'gone', state: 'abandoned' });
    const { nextAttemptAt: _, ...early } = chain;
    await chains.saveChain({
      ...early,
      chainId: 'early',
      state: 'awaiting-spec',
      attempt: 1,
      specWait: { until: '2026-11-23T10:15:00.000Z', every: 30, check: 3 },
    });
    const io = capture();
    const table = capture();
    const elsewhere = capture();

    // Act
    const listed = await run(io, 'restarts', 'batch', '--json');
    const printed = await run(table, 'restarts', 'batch');
    const none = await run(elsewhere, 'restarts', 'prod');

    // Assess
    expect(listed).toBe(0);
    expect(io.lines.map((l) => JSON.parse(l))).toEqual([
      {
        cluster: 'batch',
        chainId: chain.chainId,
        task: taskArn,
        state: 'waiting',
        attempts: '2 of 5',
        nextAttemptAt: '2026-11-23T10:00:20.000Z',
        lastReason: 'Essential container in task exited: worker exited with code 1',
      },
      {
        cluster: 'batch',
        chainId: 'early',
        task: taskArn,
        state: 'awaiting-spec',
        attempts: '1 of 5',
        specUntil: '2026-11-23T10:15:00.000Z',
        lastReason: 'Essential container in task exited: worker exited with code 1',
      },
    ]);
    expect(printed).toBe(0);
    expect(table.lines[0]).toMatch(/^CLUSTER +TASK +STATE +ATTEMPTS +NEXT ATTEMPT +LAST REASON$/);
    expect(table.lines[2]).toMatch(/awaiting-spec +1 of 5 +spec until 2026-11-23T10:15:00.000Z +Essential/);
    expect(none).toBe(0);
    expect(elsewhere.errors).toEqual(['no live restart chain in prod']);
  });
});

describe('autopilot quarantine and rollback', () => {
  const serviceArn = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api';
  const digest = `sha256:${'e'.repeat(64)}`;

  it('lists quarantined images and releases one', async () => {
    // Prepare
    const quarantine = new DynamoQuarantine(dynamo.tableName, dynamo.client);
    await quarantine.quarantineImage({
      repositoryKey: '123456789012:eu-west-1:team/api',
      repository: 'team/api',
      digest,
      reason: 'crash loop on prod/api',
      at: '2026-11-23T10:00:00.000Z',
    });
    const listing = capture();
    const releasing = capture();
    const again = capture();

    // Act
    const listed = await run(listing, 'quarantine', 'list');
    const released = await run(releasing, 'quarantine', 'release', `team/api@${digest}`);
    const second = await run(again, 'quarantine', 'release', `team/api@${digest}`);

    // Assess
    expect(listed).toBe(0);
    expect(listing.lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ repository: 'team/api', digest }),
    ]);
    expect(released).toBe(0);
    expect(releasing.lines.map((l) => JSON.parse(l))).toEqual([{ released: `team/api@${digest}` }]);
    expect(await quarantine.listQuarantined()).toEqual([]);
    expect(second).toBe(1);
    expect(again.errors[0]).toContain('is not quarantined');
  });

  it('rolls a service back to its last known good revision', async () => {
    // Prepare
    const io = capture();
    const good = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:7';
    await new DynamoRollbackHistory(dynamo.tableName, dynamo.client).setLastKnownGood(serviceArn, {
      taskDefinitionArn: good,
      deploymentId: 'ecs-svc/1',
      at: '2026-11-23T09:00:00.000Z',
    });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn,
          serviceName: 'api',
          clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
          status: 'ACTIVE',
          taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:8',
        },
      ],
    });
    ecs.on(UpdateServiceCommand).resolves({});
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });

    // Act
    const status = await run(io, 'rollback', 'prod/api');

    // Assess
    expect(io.errors).toEqual([]);
    expect(status).toBe(0);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, { taskDefinition: good });
    expect(JSON.parse(io.lines[0] ?? '{}')).toMatchObject({ action: 'update-service', to: good });
  });

  it('only decides with --dry-run, and leaves the environment alone', async () => {
    // Prepare
    const io = capture();
    const to = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:6';
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn,
          serviceName: 'api',
          clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod',
          status: 'ACTIVE',
          taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:8',
        },
      ],
    });
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });

    // Act
    const status = await run(io, 'rollback', 'prod/api', '--to', 'api:6', '--dry-run');

    // Assess
    expect(io.errors).toEqual([]);
    expect(status).toBe(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(JSON.parse(io.lines[0] ?? '{}')).toMatchObject({ action: 'update-service', to, dryRun: true });
    expect(process.env.AUTOPILOT_DRY_RUN).toBeUndefined();
  });
});

describe('autopilot notify test', () => {
  const ssm = mockClient(SSMClient);
  let server: Server;
  let received: { headers: IncomingHttpHeaders; body: unknown }[];
  let config: string | undefined;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body: JSON.parse(body) as unknown });
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  beforeEach(() => {
    received = [];
    ssm.reset();
    const { port } = server.address() as AddressInfo;
    ssm.on(GetParameterCommand, { Name: '/autopilot/teams/ops', WithDecryption: true }).resolves({
      Parameter: {
        Name: '/autopilot/teams/ops',
        Type: 'SecureString',
        Value: `http://127.0.0.1:${port}/ops`,
      },
    });
    config = process.env.AUTOPILOT_CONFIG;
    // The channel is a server on loopback, as the sandbox's chat sink is: only the sandbox may reach it.
    process.env.AUTOPILOT_SANDBOX = 'true';
    process.env.AUTOPILOT_CONFIG = file(
      'notify-autopilot.yml',
      [
        'version: 1',
        'notifications:',
        '  channels:',
        '    ops: { type: teams, webhook: { ssm: /autopilot/teams/ops } }',
      ].join('\n'),
    );
  });

  afterEach(() => {
    if (config === undefined) delete process.env.AUTOPILOT_CONFIG;
    else process.env.AUTOPILOT_CONFIG = config;
    delete process.env.AUTOPILOT_SANDBOX;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends a sample message to the channel, its URL read from Parameter Store', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'notify', 'test', 'ops');

    // Assess
    expect(io.errors).toEqual([]);
    expect(status).toBe(0);
    expect(JSON.parse(io.lines[0] ?? '{}')).toEqual({
      channel: 'ops',
      action: 'sent',
      reason: 'sent',
      title: 'ecs-autopilot test message for ops',
    });
    expect(received).toEqual([
      {
        headers: expect.objectContaining({ 'content-type': expect.stringContaining('application/json') }),
        body: expect.objectContaining({ type: 'message', attachments: [expect.objectContaining({})] }),
      },
    ]);
    expect(io.lines.join('\n')).not.toContain('127.0.0.1');
  });

  it('names the channels there are when the channel is unknown, and sends nothing', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'notify', 'test', 'opz');

    // Assess
    expect(status).toBe(1);
    expect(JSON.parse(io.lines[0] ?? '{}')).toMatchObject({
      action: 'ignore',
      reason: 'no channel named "opz" (channels: ops)',
    });
    expect(received).toEqual([]);
  });

  it('only reports with --dry-run', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'notify', 'test', 'ops', '--dry-run');

    // Assess
    expect(status).toBe(0);
    expect(JSON.parse(io.lines[0] ?? '{}')).toMatchObject({ action: 'would-send' });
    expect(received).toEqual([]);
    expect(process.env.AUTOPILOT_DRY_RUN).toBeUndefined();
  });
});

describe('autopilot explain', () => {
  const clusterArn = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';
  const serviceArn = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/api';
  const registry = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const pushed = `sha256:${'a'.repeat(64)}`;
  const running = `sha256:${'b'.repeat(64)}`;

  /** Every item of the table: what explaining must leave as it was. */
  const items = async () =>
    (await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName, Select: 'COUNT' }))).Count;

  beforeEach(async () => {
    // prod/api follows tag:main and runs an older digest of team/api; the index lists it under team/api
    await new DynamoServiceIndex(dynamo.tableName, dynamo.client).indexRepositories(
      { serviceArn, clusterArn, serviceName: 'api' },
      ['123456789012:eu-west-1:team/api'],
    );
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn,
          serviceName: 'api',
          clusterArn,
          status: 'ACTIVE',
          taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/api:3',
          tags: [{ key: 'autopilot:deploy', value: 'tag:main' }],
        },
      ],
    });
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        family: 'api',
        revision: 3,
        containerDefinitions: [{ name: 'app', image: `${registry}/team/api@${running}` }],
      },
    });
    ecr
      .on(DescribeImagesCommand)
      .rejects(new ImageNotFoundException({ message: 'The image does not exist', $metadata: {} }));
    ecr.on(DescribeImagesCommand, { imageIds: [{ imageTag: 'main' }] }).resolves({
      imageDetails: [
        { imageDigest: pushed, imageTags: ['main'], imagePushedAt: new Date('2026-11-23T09:00:00.000Z') },
      ],
    });
  });

  it('prints the decision and every reason for people, one JSON object with --json, and writes nothing', async () => {
    // Prepare
    const table = capture();
    const json = capture();
    const before = await items();

    // Act
    const printed = await run(table, 'explain', 'prod/api', 'team/api:main');
    const answered = await run(json, 'explain', 'prod/api', 'team/api:main', '--json');

    // Assess
    expect(printed).toBe(0);
    expect(table.lines[0]).toBe('prod/api <- team/api:main');
    expect(table.lines).toEqual(
      expect.arrayContaining([
        'decision     deploy: follows tag main',
        `image        team/api@${pushed} in 123456789012/eu-west-1 (tags main; pushed 2026-11-23T09:00:00.000Z)`,
        'index        lists prod/api under team/api: a push reaches it',
        'policy       defaults (policy file defaults)',
        'mode         tag:main (service tag)',
        'from         api:3',
        `change       app: ${registry}/team/api@${running} -> ${registry}/team/api@${pushed}`,
        'effects      take the lease of prod/api for 120s (one deployment of a service at a time)',
        '             point prod/api at the new revision (UpdateService)',
      ]),
    );
    expect(table.errors).toEqual(['a push of team/api:main would deploy prod/api']);
    expect(answered).toBe(0);
    expect(json.lines).toHaveLength(1);
    expect(JSON.parse(json.lines[0] ?? '{}')).toMatchObject({
      service: 'prod/api',
      serviceArn,
      image: { repository: 'team/api', tag: 'main', digest: pushed, tags: ['main'] },
      action: 'deploy',
      reason: 'follows tag main',
      wouldDeploy: true,
      indexed: true,
      policy: { name: 'defaults', from: 'policy file defaults' },
      mode: { value: 'tag:main', from: 'service tag' },
      changes: [
        { container: 'app', from: `${registry}/team/api@${running}`, to: `${registry}/team/api@${pushed}` },
      ],
      effects: expect.arrayContaining([
        { kind: 'register-revision', does: expect.stringContaining('api:3') },
      ]),
    });
    // Nothing written: no lease, intent, idempotency record or pending push; no ECS change; no event.
    expect(await items()).toBe(before);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('exits 1 for a tag ECR does not have, saying so', async () => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'explain', 'prod/api', 'team/api:nope', '--json');

    // Assess
    expect(status).toBe(1);
    expect(JSON.parse(io.lines[0] ?? '{}')).toMatchObject({
      action: 'skip',
      reason: 'team/api:nope does not exist in ECR',
      wouldDeploy: false,
    });
    expect(io.errors).toEqual(['a push of team/api:nope would not change prod/api']);
  });

  it('exits 1 for a service the index does not list, saying what the push would do if it reached it', async () => {
    // Prepare
    const io = capture();
    await new DynamoServiceIndex(dynamo.tableName, dynamo.client).unindexRepositories(serviceArn);

    // Act
    const status = await run(io, 'explain', 'prod/api', 'team/api:main');

    // Assess
    expect(status).toBe(1);
    expect(io.lines).toEqual(
      expect.arrayContaining([
        'decision     skip: the index does not list prod/api under team/api: a push would not reach it',
        'if reached   deploy: follows tag main',
      ]),
    );
  });

  it.each([
    [['prod', 'team/api:main'], 'expected <cluster>/<service>, got "prod"'],
    [['prod/api', 'team/api'], 'give a tag or a digest: team/api:<tag> or team/api@sha256:<digest>'],
    [['prod/api', 'docker.io/library/nginx:1'], 'docker.io is not a private ECR registry'],
  ])('exits 2 for %j, saying what it expects', async (args, message) => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'explain', ...args);

    // Assess
    expect(status).toBe(2);
    expect(io.errors).toEqual([expect.stringContaining(message)]);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(0);
  });
});

describe('autopilot sync', () => {
  const clusterArn = 'arn:aws:ecs:eu-west-1:123456789012:cluster/prod';
  const serviceArn = 'arn:aws:ecs:eu-west-1:123456789012:service/prod/payments';
  const registry = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const revision = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/payments:${n}`;
  const digestOf = (version: string) => `sha256:${version.replace(/\./g, '').padEnd(64, '0')}`;
  const pushedAt = (minute: number) => new Date(`2026-11-23T09:${String(minute).padStart(2, '0')}:00.000Z`);
  const versions = ['1.4.0', '1.5.0', '1.6.0', '2.0.0'];

  /** Every item of the table: what a dry run must leave as it was. */
  const items = async () =>
    (await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName, Select: 'COUNT' }))).Count;

  /** prod/payments with these tags, running team/payments at `running`; ECR holds the four versions. */
  const given = (running: string, tags = [{ key: 'autopilot:deploy', value: 'semver:minor' }]) => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn,
          serviceName: 'payments',
          clusterArn,
          status: 'ACTIVE',
          taskDefinition: revision(3),
          tags,
        },
      ],
    });
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        family: 'payments',
        revision: 3,
        containerDefinitions: [{ name: 'app', image: `${registry}/team/payments@${digestOf(running)}` }],
      },
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: revision(4) } });
    ecs.on(UpdateServiceCommand).resolves({
      service: { deployments: [{ id: 'ecs-svc/42', status: 'PRIMARY', taskDefinition: revision(4) }] },
    });
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
    const details = versions.map((v, i) => ({
      imageDigest: digestOf(v),
      imageTags: [v],
      imagePushedAt: pushedAt(10 + i),
    }));
    ecr
      .on(DescribeImagesCommand)
      .rejects(new ImageNotFoundException({ message: 'The image does not exist', $metadata: {} }));
    ecr.on(DescribeImagesCommand, { filter: { tagStatus: 'TAGGED' } }).resolves({ imageDetails: details });
    for (const detail of details) {
      ecr.on(DescribeImagesCommand, { imageIds: [{ imageDigest: detail.imageDigest }] }).resolves({
        imageDetails: [detail],
      });
      ecr.on(DescribeImagesCommand, { imageIds: [{ imageTag: detail.imageTags[0] }] }).resolves({
        imageDetails: [detail],
      });
    }
  };

  it('deploys the newest version the policy accepts, saying who synced, as a push of it would', async () => {
    // Prepare: prod/payments (semver:minor) runs 1.4.0; 1.5.0, 1.6.0 and 2.0.0 are in ECR
    given('1.4.0');
    const io = capture();

    // Act
    const status = await run(io, 'sync', 'prod/payments', '--by', 'alice');

    // Assess
    expect(status).toBe(0);
    expect(io.lines[0]).toBe('prod/payments <- team/payments:1.6.0');
    expect(io.lines).toEqual(
      expect.arrayContaining([
        `chosen       team/payments:1.6.0 (${digestOf('1.6.0')}, pushed 2026-11-23T09:12:00.000Z): the highest of 2 tags semver:minor accepts`,
        'read         4 tagged images',
        'outcome      deployed',
        'reason       1.6.0 is an allowed upgrade (semver:minor); autopilot sync by alice',
        'revision     payments:3 -> payments:4',
        `change       app -> ${registry}/team/payments@${digestOf('1.6.0')}`,
        expect.stringMatching(/^event {8}sync-[0-9a-f-]{36}$/),
      ]),
    );
    expect(io.errors).toEqual(['prod/payments: team/payments:1.6.0 deployed']);
    expect(ecs).toHaveReceivedCommandWith(UpdateServiceCommand, {
      service: 'payments',
      taskDefinition: revision(4),
    });
    const [put] = bus.commandCalls(PutEventsCommand);
    const entries = put?.args[0].input.Entries ?? [];
    expect(entries.map((e) => [e.DetailType, JSON.parse(e.Detail ?? '{}').triggeredBy])).toEqual([
      ['Deployment Started', expect.stringMatching(/^sync-/)],
    ]);
  });

  it('plans with --dry-run, one JSON object with --json, and writes nothing', async () => {
    // Prepare
    given('1.4.0');
    const io = capture();
    const before = await items();

    // Act
    const status = await run(io, 'sync', 'prod/payments', '--dry-run', '--json', '--by', 'alice');

    // Assess
    expect(status).toBe(0);
    expect(io.lines).toHaveLength(1);
    expect(JSON.parse(io.lines[0] ?? '{}')).toMatchObject({
      service: 'prod/payments',
      outcome: 'deployed',
      dryRun: true,
      repositories: [
        {
          repository: 'team/payments',
          chosen: { tag: '1.6.0', digest: digestOf('1.6.0') },
          plan: { action: 'deploy', wouldDeploy: true, indexed: false },
        },
      ],
    });
    expect(io.errors).toEqual(['prod/payments: team/payments:1.6.0 would be deployed']);
    expect(await items()).toBe(before);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('has nothing to do when the service runs the newest version it accepts', async () => {
    // Prepare
    given('1.6.0');
    const io = capture();

    // Act
    const status = await run(io, 'sync', 'prod/payments');

    // Assess
    expect(status).toBe(0);
    expect(io.lines).toContain('outcome      unchanged');
    expect(io.errors).toEqual([
      'prod/payments: nothing to do: it runs team/payments:1.6.0, and semver:minor accepts no newer tag (2.0.0 is a major upgrade from 1.6.0; semver:minor allows minor upgrades at most)',
    ]);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('exits 1 for a service that does not follow its repositories, saying why', async () => {
    // Prepare
    given('1.4.0', []);
    const io = capture();

    // Act
    const status = await run(io, 'sync', 'prod/payments');

    // Assess
    expect(status).toBe(1);
    expect(io.lines).toEqual([
      'prod/payments: refused: prod/payments does not follow its repositories: no autopilot:deploy tag',
    ]);
    expect(ecr.commandCalls(DescribeImagesCommand)).toHaveLength(0);
  });

  it.each([
    [['prod'], 'expected <cluster>/<service>, got "prod"'],
    [['prod/payments', '--by', ''], '--by: 1 to 100 characters'],
  ])('exits 2 for %j, saying what it expects', async (args, message) => {
    // Prepare
    const io = capture();

    // Act
    const status = await run(io, 'sync', ...args);

    // Assess
    expect(status).toBe(2);
    expect(io.errors).toEqual([message]);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(0);
  });
});
