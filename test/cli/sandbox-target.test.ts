/**
 * The operator commands from another terminal against a running local account, as a user types them
 * after `npm start`: no table, bus or endpoint given, the CLI finds the sandbox by itself. The CLI runs
 * as a child process (bin/autopilot.js) with a bare environment; the sandbox runs in this process.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, DescribeImagesCommand } from '@aws-sdk/client-ecr';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  REGISTRY,
  SANDBOX_NETWORK,
  type Sandbox,
  seedAccount,
  startSandbox,
  tagService,
} from '../../sandbox/account';
import { serveControl } from '../../sandbox/control-server';
import { DynamoQuarantine } from '../../shared/adapters/state/dynamo-quarantine';
import { bakesDone } from '../support/sandbox-table';

jest.setTimeout(120_000);

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'autopilot-sandbox-cli-'));
const controlFile = join(dir, 'control.json');

interface Run {
  status: number;
  lines: Record<string, unknown>[];
  stdout: string;
  stderr: string;
}

/** Runs `autopilot <args>` as a person would from another terminal (no AWS or autopilot variables). */
function autopilot(...args: string[]): Promise<Run> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    AUTOPILOT_SANDBOX_CONTROL: controlFile,
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(root, 'bin', 'autopilot.js'), ...args],
      { cwd: root, env, timeout: 90_000 },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        const lines = stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        resolve({ status, lines, stdout, stderr });
      },
    );
  });
}

describe('operator commands against the running sandbox', () => {
  let sandbox: Sandbox;
  let stopControl: () => Promise<void>;

  beforeAll(async () => {
    sandbox = await startSandbox({ source: 'typescript' });
    await seedAccount(sandbox);
    stopControl = await serveControl(sandbox, root, controlFile);
  });

  afterAll(async () => {
    await stopControl();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the quarantine of the local table without being told where it is', async () => {
    // Prepare: the seeded account, nothing quarantined

    // Act
    const run = await autopilot('quarantine', 'list');

    // Assess
    expect(run.stderr).toContain('acting on the running sandbox');
    expect(run.stderr).toContain('no image is quarantined');
    expect(run.status).toBe(0);
  });

  it("sends a test message through the sandbox's channel secrets to its chat sink", async () => {
    // Prepare: the seeded account's own announcements told (its bakes ended, the bus quiet), so its
    // messages do not hold Slack's one-a-second rate for as long as a busy machine takes to send them
    await bakesDone(sandbox);
    await sandbox.settle();
    const before = sandbox.chat.messages().length;

    // Act
    const run = await autopilot('notify', 'test', 'platform-slack');

    // Assess
    expect(run.lines).toEqual([expect.objectContaining({ channel: 'platform-slack', action: 'sent' })]);
    expect(run.status).toBe(0);
    // The seeded account goes on (a bake ending, its announcement): only the test message is ours,
    // accepted once (the sink may rate-limit a try first, 429, when those announcements came just before).
    const ours = sandbox.chat
      .messages()
      .slice(before)
      .filter((m) => JSON.stringify(m.body).includes('ecs-autopilot test message for platform-slack'));
    expect(ours.filter((m) => m.status < 300)).toEqual([
      expect.objectContaining({ kind: 'slack', status: 200 }),
    ]);
    expect(ours.filter((m) => m.status >= 300).every((m) => m.status === 429)).toBe(true);
  });

  it('runs an event through both functions it routes to, each with its own decisions', async () => {
    // Prepare: a deployment of prod/api in progress reaches index-services and watch-deployments
    const event = join(root, 'events', 'ecs-deployment-in-progress.json');

    // Act
    const run = await autopilot('dispatch', event);

    // Assess
    expect(run.status).toBe(0);
    expect(run.lines.map((l) => l.function)).toEqual(
      expect.arrayContaining(['index-services', 'watch-deployments']),
    );
  });

  it('decides a push in dry run, then deploys it for real instead of replaying the dry run', async () => {
    // Prepare: prod/api runs a revision naming team/api:main by tag, as infrastructure code registers
    // one; the sample push is of the digest team/api:main points at in the local ECR (a push whose
    // tag has moved on is skipped as superseded)
    const running = (await sandbox.describeService('prod', 'api')).taskDefinition;
    const { taskDefinition } = await sandbox.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: running }),
    );
    const byTag = await sandbox.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        networkMode: taskDefinition?.networkMode,
        requiresCompatibilities: taskDefinition?.requiresCompatibilities,
        cpu: taskDefinition?.cpu,
        memory: taskDefinition?.memory,
        executionRoleArn: taskDefinition?.executionRoleArn,
        containerDefinitions: (taskDefinition?.containerDefinitions ?? []).map((c) =>
          c.name === 'app' ? { ...c, image: `${REGISTRY}/team/api:main` } : c,
        ),
      }),
    );
    await sandbox.ecs.send(
      new UpdateServiceCommand({
        cluster: 'prod',
        service: 'api',
        taskDefinition: byTag.taskDefinition?.taskDefinitionArn,
      }),
    );
    await sandbox.settle();
    const sample = JSON.parse(readFileSync(join(root, 'events', 'ecr-image-push.json'), 'utf8'));
    const { imageDetails } = await sandbox.ecr.send(
      new DescribeImagesCommand({ repositoryName: 'team/api', imageIds: [{ imageTag: 'main' }] }),
    );
    sample.detail['image-digest'] = imageDetails?.[0]?.imageDigest;
    const event = join(dir, 'ecr-image-push.json');
    writeFileSync(event, JSON.stringify(sample));
    const registered = () =>
      sandbox.plane.calls.filter((c) => c.operation === 'RegisterTaskDefinition').length;
    const before = registered();

    // Act
    const dry = await autopilot('dispatch', '--dry-run', event);
    const afterDry = registered();
    const real = await autopilot('dispatch', event);
    const again = await autopilot('dispatch', event);

    // Assess
    expect(dry.lines).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'deploy', service: 'api', dryRun: true })]),
    );
    expect(afterDry).toBe(before);
    expect(real.lines).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'deploy', service: 'api' })]),
    );
    expect(real.lines.some((l) => l.dryRun === true || l.replayed === true)).toBe(false);
    expect(registered()).toBe(before + 1);
    expect(again.lines.every((l) => l.replayed === true)).toBe(true);
    expect(again.stderr).toContain('handled before');
    expect(registered()).toBe(before + 1);
  });

  it('rolls back in dry run against the local ECS, changing nothing', async () => {
    // Prepare: a revision of the payments family prod/payments does not run
    const running = (await sandbox.describeService('prod', 'payments')).taskDefinition;
    const { taskDefinition } = await sandbox.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: running }),
    );
    const registered = await sandbox.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'payments',
        networkMode: taskDefinition?.networkMode,
        requiresCompatibilities: taskDefinition?.requiresCompatibilities,
        cpu: taskDefinition?.cpu,
        memory: taskDefinition?.memory,
        containerDefinitions: taskDefinition?.containerDefinitions ?? [],
      }),
    );
    const revision = registered.taskDefinition?.revision;

    // Act
    const run = await autopilot('rollback', 'prod/payments', '--to', `payments:${revision}`, '--dry-run');

    // Assess
    expect(run.status).toBe(0);
    expect(run.lines).toEqual([
      expect.objectContaining({ service: 'prod/payments', action: 'update-service', dryRun: true }),
    ]);
    expect((await sandbox.describeService('prod', 'payments')).taskDefinition).toBe(running);
  });

  it('shows the services autopilot knows, with where their mode and policy come from', async () => {
    // Act
    const table = await autopilot('status');
    const json = await autopilot('status', 'prod', '--json');
    const one = await autopilot('status', 'staging/reports');

    // Assess
    expect(table.status).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^SERVICE +MODE +POLICY +FOLLOWS +REVISION +KNOWN GOOD +NOTES$/,
    );
    expect(table.stdout).toMatch(/prod\/api +tag:main \(service tag\) +defaults +team\/api +api:\d+/);
    expect(table.stderr).toMatch(/\d+ services autopilot knows/);
    expect(json.lines.map((l) => l.service)).toEqual(['prod/api', 'prod/payments', 'prod/web']);
    expect(json.lines[1]).toMatchObject({
      mode: 'semver:minor',
      modeFrom: 'service tag',
      follows: true,
      repositories: [{ repository: 'team/payments', indexed: true }],
      rollback: { enabled: true },
    });
    expect(one.status).toBe(0);
    expect(one.stdout).toContain('policy       cooldown (service tag)');
    expect(one.stdout).toContain('repository   team/reports (indexed: a push reaches it)');
  });

  it('shows the last push skipped for a service and why, in the one-service view, --json and the table', async () => {
    // Prepare: a push of a tag prod/web does not follow (it follows tag:main), skipped without a word
    const { digest } = sandbox.plane.pushImage('team/web', 'feature-x');
    await sandbox.settle();

    // Act
    const one = await autopilot('status', 'prod/web');
    const json = await autopilot('status', 'prod/web', '--json');
    const table = await autopilot('status', 'prod');

    // Assess
    const reason = 'pushed tag feature-x is not the followed tag main';
    const image = `team/web:feature-x@${digest}`;
    expect(one.status).toBe(0);
    expect(one.stdout).toMatch(
      /^decided {6}\S+: skipped team\/web:feature-x@sha256:\w+ \(push \S+\): pushed tag feature-x/m,
    );
    expect(json.lines).toEqual([
      expect.objectContaining({
        lastSkip: { at: expect.any(String), image, reason, triggeredBy: expect.any(String) },
        lastDecision: expect.objectContaining({ action: 'skip', image, reason }),
      }),
    ]);
    expect(table.stdout).toMatch(/^prod\/web .*last push skipped: team\/web:feature-x/m);
  });

  it('shows the history of a service after a push: its deployment, the cause and the channels told', async () => {
    // Prepare: a push of team/payments 1.6.0, which prod/payments (semver:minor) takes
    sandbox.plane.pushImage('team/payments', '1.6.0');
    await sandbox.settle();

    // Act
    const table = await autopilot('history', 'prod/payments');
    const json = await autopilot('history', 'prod/payments', '--json', '--limit', '1');
    const nothing = await autopilot('history', 'prod/nothing-here');
    const wrong = await autopilot('history', 'prod/payments', '--limit', '0');

    // Assess
    expect(table.status).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME +EVENT +WHAT +TOLD +CAUSED BY +REASON$/);
    expect(table.stdout).toMatch(
      /Deployment Started +prod\/payments deploying payments:\d+ \(team\/payments:1\.6\.0\) +platform-teams: sent, audit-webhook: sent +\S+ +1\.6\.0 is an allowed upgrade/,
    );
    expect(json.lines).toHaveLength(1);
    expect(json.lines[0]).toMatchObject({ cluster: 'prod', service: 'payments', dryRun: false });
    expect(nothing.stderr).toContain('nothing recorded about prod/nothing-here');
    expect(wrong.status).toBe(2);
  });

  it('pauses a cluster, lists the pause, shows it in status, and resumes it', async () => {
    // Act
    const paused = await autopilot(
      'pause',
      'staging',
      '--until',
      '2h',
      '--reason',
      'incident 42',
      '--by',
      'alice',
    );
    const listed = await autopilot('pauses');
    const shown = await autopilot('status', 'staging/api', '--json');
    const resumed = await autopilot('resume', 'staging');
    const again = await autopilot('resume', 'staging');
    const none = await autopilot('pauses', '--json');

    // Assess
    expect(paused.status).toBe(0);
    expect(paused.lines).toEqual([
      expect.objectContaining({
        scope: 'cluster:staging',
        by: 'alice',
        reason: 'incident 42',
        notifyOnly: false,
      }),
    ]);
    expect(paused.stderr).toContain('cluster staging: paused until');
    expect(listed.stdout).toMatch(
      /^SCOPE +KIND +UNTIL +BY +REASON\ncluster staging +paused +\S+ +alice +incident 42$/m,
    );
    expect(shown.lines[0]).toMatchObject({ paused: { scope: 'cluster:staging', by: 'alice' } });
    expect(resumed.status).toBe(0);
    expect(resumed.lines).toEqual([expect.objectContaining({ resumed: 'cluster:staging', released: [] })]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('cluster staging is not paused');
    expect(none.lines).toEqual([]);
  });

  it.each([
    [['pause', 'prod', '--until', 'tomorrow'], '--until: expected a time'],
    [['pause', 'prod', '--until', '31d'], 'more than 30 days away'],
    [['pause', 'prod', '--until', '2020-01-01T00:00Z'], 'is not in the future'],
    [['pause', 'prod', '--all'], 'not both'],
    [['resume', 'prod/api/x'], 'expected <cluster>, <cluster>/<service> or --all'],
  ])('refuses %j before changing anything', async (args, message) => {
    // Act
    const run = await autopilot(...args);

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('says a service it cannot find is not found, and refuses a reference it cannot read', async () => {
    // Act
    const missing = await autopilot('status', 'prod/nothing-here');
    const wrong = await autopilot('status', 'prod/api/extra');

    // Assess
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('service prod/nothing-here not found');
    expect(wrong.status).toBe(2);
  });

  it('sweeps the tag policies when asked, printing the summary of a whole sweep', async () => {
    // Prepare: the seeded account, with a billing task definition whose env the policy file refuses
    await sandbox.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'billing-cli',
        containerDefinitions: [
          { name: 'app', image: `${REGISTRY}/team/worker:stable`, essential: true, memory: 512 },
        ],
        tags: [{ key: 'env', value: 'dev' }],
      }),
    );
    await sandbox.settle();

    // Act
    const run = await autopilot('sandbox', 'sweep-tags');

    // Assess
    expect(run.status).toBe(0);
    expect(run.lines).toEqual([
      {
        swept: expect.objectContaining({
          complete: true,
          rows: expect.arrayContaining([
            expect.objectContaining({ rule: 'env', resourceType: 'ecs:task-definition', violating: 1 }),
          ]),
        }),
      },
    ]);
  });

  describe('explain', () => {
    /** A client of the sandbox's table, as an operator's tools would reach it. */
    const tableClient = () =>
      new DynamoDBClient({
        endpoint: sandbox.runtime.dynamo.endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDCLITEST', secretAccessKey: 'sandbox' },
      });
    /**
     * The keys of the sandbox's table, and how many ECS and ECR calls changed something and events
     * autopilot published. The table leaves out the idempotency records of the functions the sandbox
     * runs every second (deploy-due, bake-timer, notify: one per scheduled event), which come and go
     * whatever a command does.
     */
    const written = async () => {
      const client = tableClient();
      const items: string[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({ TableName: sandbox.runtime.dynamo.tableName, ExclusiveStartKey: start }),
        );
        for (const item of page.Items ?? []) items.push(`${item.pk?.S} ${item.sk?.S}`);
        start = page.LastEvaluatedKey;
      } while (start);
      client.destroy();
      const timers = /^IDEMPOTENCY#(deploy-due|bake-timer|notify) /;
      const mutating = sandbox.plane.calls.filter((c) => !/^(Describe|List|Get|BatchGet)/.test(c.operation));
      return {
        items: items.filter((key) => !timers.test(key)).sort(),
        mutating: mutating.length,
        published: sandbox.published.length,
      };
    };

    /** Settles the sandbox and waits for every bake to end (each ends with writes and an event of its own). */
    const quiet = async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        await sandbox.settle();
        const { items } = await written();
        if (!items.some((key) => key.startsWith('BAKING '))) return written();
        if (Date.now() > deadline)
          throw new Error(`bakes still running: ${items.filter((k) => k.startsWith('BAKING '))}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };

    it('says a push of the tag prod/api follows would deploy it, and writes nothing', async () => {
      // Prepare: a new build of team/api:main, deployed by the sandbox at once; prod/api then moved back
      // to what it ran before by a person, so a push of main would deploy it again
      const running = (await sandbox.describeService('prod', 'api')).taskDefinition;
      const { digest } = sandbox.plane.pushImage('team/api', 'main');
      await sandbox.settle();
      await sandbox.ecs.send(
        new UpdateServiceCommand({ cluster: 'prod', service: 'api', taskDefinition: running }),
      );
      const before = await quiet();

      // Act
      const table = await autopilot('explain', 'prod/api', 'team/api:main');
      const json = await autopilot('explain', 'prod/api', 'team/api:main', '--json');

      // Assess
      expect(table.status).toBe(0);
      expect(table.stdout).toContain('decision     deploy: follows tag main');
      expect(table.stdout).toContain('mode         tag:main (service tag)');
      expect(table.stdout).toMatch(new RegExp(`change +app: \\S+ -> ${REGISTRY}/team/api@${digest}`));
      expect(table.stderr).toContain('a push of team/api:main would deploy prod/api');
      expect(json.status).toBe(0);
      expect(json.lines).toEqual([
        expect.objectContaining({
          service: 'prod/api',
          action: 'deploy',
          wouldDeploy: true,
          indexed: true,
          image: expect.objectContaining({ tag: 'main', digest }),
        }),
      ]);
      expect(await written()).toEqual(before);
      expect((await sandbox.describeService('prod', 'api')).taskDefinition).toBe(running);
    });

    it('says a tag prod/api does not follow is not followed', async () => {
      // Prepare
      sandbox.plane.pushImage('team/api', 'feature-x');
      await sandbox.settle();

      // Act
      const run = await autopilot('explain', 'prod/api', 'team/api:feature-x', '--json');

      // Assess
      expect(run.status).toBe(1);
      expect(run.lines).toEqual([
        expect.objectContaining({
          action: 'skip',
          reason: 'pushed tag feature-x is not the followed tag main',
          wouldDeploy: false,
        }),
      ]);
    });

    it('says a quarantined digest is quarantined', async () => {
      // Prepare: the digest team/api:main points at, quarantined as rollback would
      const { imageDetails } = await sandbox.ecr.send(
        new DescribeImagesCommand({ repositoryName: 'team/api', imageIds: [{ imageTag: 'main' }] }),
      );
      const digest = imageDetails?.[0]?.imageDigest ?? '';
      const client = tableClient();
      const quarantine = new DynamoQuarantine(sandbox.runtime.dynamo.tableName, client);
      const key = '123456789012:eu-west-1:team/api';
      await quarantine.quarantineImage({
        repositoryKey: key,
        repository: 'team/api',
        digest,
        reason: 'crash loop on prod/api',
        at: new Date().toISOString(),
      });

      // Act
      const run = await autopilot('explain', 'prod/api', `team/api@${digest}`, '--json');

      // Assess
      await quarantine.release(key, digest);
      client.destroy();
      expect(run.status).toBe(1);
      expect(run.lines).toEqual([
        expect.objectContaining({
          action: 'skip',
          reason: `digest ${digest} is quarantined`,
          image: expect.objectContaining({ tag: 'main', digest }),
        }),
      ]);
    });

    it('says a major version is not an upgrade prod/payments allows (semver:minor)', async () => {
      // Prepare
      sandbox.plane.pushImage('team/payments', '2.0.0');
      await sandbox.settle();

      // Act
      const run = await autopilot('explain', 'prod/payments', 'team/payments:2.0.0');

      // Assess
      expect(run.status).toBe(1);
      // From what it runs now (1.4.2 as seeded, or a later 1.x an earlier test pushed).
      expect(run.stdout).toMatch(
        /^decision {5}skip: 2\.0\.0 is a major upgrade from 1\.\d+\.\d+; semver:minor allows minor upgrades at most$/m,
      );
      expect(run.stdout).toContain('mode         semver:minor (service tag)');
      expect(run.stderr).toContain('a push of team/payments:2.0.0 would not change prod/payments');
    });
  });

  describe('sync', () => {
    /** The digest the sandbox's ECR gives each version of team/invoices, as pushed. */
    const digests: Record<string, string> = {};
    /** Deployment Started events about sync-demo/invoices, as autopilot published them. */
    const started = () =>
      sandbox.published.filter(
        (e) =>
          e['detail-type'] === 'Deployment Started' &&
          (e.detail as { service?: string }).service === 'invoices',
      );

    beforeAll(async () => {
      // A repository and a cluster of its own (the tests before use the seeded ones): sync-demo/invoices
      // runs team/invoices 1.4.0 and follows nothing; 1.5.0, 1.6.0 and 2.0.0 are pushed, reaching no one.
      await sandbox.ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/invoices' }));
      digests['1.4.0'] = sandbox.plane.pushImage('team/invoices', '1.4.0').digest;
      await sandbox.ecs.send(new CreateClusterCommand({ clusterName: 'sync-demo' }));
      const registered = await sandbox.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'invoices',
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          containerDefinitions: [
            { name: 'app', image: `${REGISTRY}/team/invoices@${digests['1.4.0']}`, essential: true },
          ],
        }),
      );
      await sandbox.ecs.send(
        new CreateServiceCommand({
          cluster: 'sync-demo',
          serviceName: 'invoices',
          taskDefinition: registered.taskDefinition?.taskDefinitionArn,
          desiredCount: 1,
          launchType: 'FARGATE',
          networkConfiguration: SANDBOX_NETWORK,
        }),
      );
      for (const version of ['1.5.0', '1.6.0', '2.0.0'])
        digests[version] = sandbox.plane.pushImage('team/invoices', version).digest;
      await sandbox.settle();
      // Opted in afterwards: the next push would reach it, none came.
      await tagService(sandbox, 'sync-demo', 'invoices', { 'autopilot:deploy': 'semver:minor' });
      await sandbox.settle();
    });

    it('plans the newest version semver:minor accepts with --dry-run, changing nothing', async () => {
      // Prepare
      const before = (await sandbox.describeService('sync-demo', 'invoices')).taskDefinition;

      // Act
      const run = await autopilot('sync', 'sync-demo/invoices', '--dry-run', '--by', 'alice');

      // Assess
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(
        /^chosen {7}team\/invoices:1\.6\.0 \(sha256:\S+, pushed \S+\): the highest of 2 tags semver:minor accepts$/m,
      );
      expect(run.stdout).toContain(
        'decision     deploy: 1.6.0 is an allowed upgrade (semver:minor); autopilot sync by alice',
      );
      expect(run.stderr).toContain('sync-demo/invoices: team/invoices:1.6.0 would be deployed');
      expect((await sandbox.describeService('sync-demo', 'invoices')).taskDefinition).toBe(before);
      expect(started()).toEqual([]);
    });

    it('deploys 1.6.0 through deploy on push, then has nothing to do', async () => {
      // Act
      const run = await autopilot('sync', 'sync-demo/invoices', '--by', 'alice');
      await sandbox.settle();
      const again = await autopilot('sync', 'sync-demo/invoices', '--json');

      // Assess
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('outcome      deployed');
      expect(run.stdout).toMatch(/^revision {5}invoices:1 -> invoices:2$/m);
      expect(run.stderr).toContain('sync-demo/invoices: team/invoices:1.6.0 deployed');
      expect((await sandbox.imagesOf('sync-demo', 'invoices')).app).toBe(
        `${REGISTRY}/team/invoices@${digests['1.6.0']}`,
      );
      expect(started()).toEqual([
        expect.objectContaining({
          detail: expect.objectContaining({
            tag: '1.6.0',
            triggeredBy: expect.stringMatching(/^sync-/),
            reason: '1.6.0 is an allowed upgrade (semver:minor); autopilot sync by alice',
          }),
        }),
      ]);
      expect(again.status).toBe(0);
      expect(again.lines).toEqual([
        expect.objectContaining({
          service: 'sync-demo/invoices',
          outcome: 'unchanged',
          reason: expect.stringContaining(
            'it runs team/invoices:1.6.0, and semver:minor accepts no newer tag',
          ),
        }),
      ]);
      expect(started()).toHaveLength(1);
    });

    it('refuses a service that does not exist', async () => {
      // Act
      const run = await autopilot('sync', 'sync-demo/nothing-here');

      // Assess
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(
        'sync-demo/nothing-here: not synced: service sync-demo/nothing-here not found',
      );
    });
  });

  it('injects faults into both halves of the account, and refuses a rule no service can take', async () => {
    // Prepare: a DynamoDB call nothing but this test makes
    const table = new DynamoDBClient({
      endpoint: sandbox.runtime.dynamo.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDCLITEST', secretAccessKey: 'sandbox' },
      maxAttempts: 1,
    });

    // Act
    const set = await autopilot(
      'sandbox',
      'faults',
      'dynamodb:DescribeTable:5xx:1',
      'ecs:ListAccountSettings:timeout:0.5',
    );
    const refused = await autopilot('sandbox', 'faults', 'dynamodb:PutItem:partial:0.5');
    const described = await table
      .send(new DescribeTableCommand({ TableName: sandbox.runtime.dynamo.tableName }))
      .then(
        () => 'answered',
        (error: { $metadata?: { httpStatusCode?: number } }) => error.$metadata?.httpStatusCode,
      );
    const off = await autopilot('sandbox', 'faults', 'none');
    table.destroy();

    // Assess
    expect(set.status).toBe(0);
    expect(set.lines).toEqual([
      {
        faults: [
          { operation: 'dynamodb:DescribeTable', kind: '5xx', rate: 1 },
          { operation: 'ecs:ListAccountSettings', kind: 'timeout', rate: 0.5 },
        ],
      },
    ]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/events:PutEvents/);
    expect(described).toBe(500);
    expect(sandbox.runtime.faulted.at(-1)).toMatchObject({ service: 'dynamodb', operation: 'DescribeTable' });
    expect(off.lines).toEqual([{ faults: 'off' }]);
  });
});

describe('operator commands with nowhere to act', () => {
  it('exit 2 and say what to give or set', async () => {
    // Prepare: no sandbox at the address file, no variables

    // Act
    const run = await autopilot('quarantine', 'list');

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--stage <stage>.*npm start.*AUTOPILOT_TABLE and AUTOPILOT_BUS/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
