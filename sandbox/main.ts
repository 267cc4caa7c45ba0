/**
 * `npm start`: the whole system on a local account. Boots the sandbox with the built function
 * bundles, seeds a small account, plays the scenarios with a time-stamped timeline, then stays up for
 * `npx autopilot sandbox …` from another terminal until Ctrl-C. `npm start -- --exit` plays the
 * scenarios and exits non-zero if any expectation failed; `npm start -- --verbose` shows every API
 * call and folds nothing in the timeline, and the functions' logs.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { seedAccount, startSandbox } from './account';
import { serveControl } from './control-server';
import { playScenarios } from './scenarios';
import { followTimeline, formatLine } from './timeline';

const root = resolve(__dirname, '..');

async function main(argv: readonly string[]): Promise<number> {
  const exitAfter = argv.includes('--exit');
  const verbose = argv.includes('--verbose');
  if (!existsSync(join(root, '.build', 'deploy-on-push', 'index.js'))) {
    process.stderr.write(
      'the function bundles are missing: run `npm run build` (npm start does it for you)\n',
    );
    return 1;
  }
  const out = (text: string) => process.stdout.write(`${text}\n`);
  out('ecs-autopilot sandbox: a local ECS + ECR account on 127.0.0.1, the functions as built bundles');
  const sandbox = await startSandbox({
    source: 'bundle',
    stepMs: 150,
    logLevel: verbose ? 'INFO' : 'SILENT',
  });
  const timeline = followTimeline(sandbox, (line) => out(formatLine(line)), { verbose });
  // A run that exits after the scenarios takes no commands: it leaves the address of a sandbox that
  // stays up (another terminal's `npm start`) alone.
  const stopControl = exitAfter ? async () => undefined : await serveControl(sandbox, root);
  let failed = 0;
  try {
    out(
      `\n— seeding the account (ECS and ECR at ${sandbox.plane.endpoint}, DynamoDB at ${sandbox.runtime.dynamo.endpoint}, chat services at ${sandbox.chat.endpoint})`,
    );
    await seedAccount(sandbox);
    await playScenarios(
      sandbox,
      undefined,
      (result) => {
        timeline.flush();
        for (const e of result.expectations) {
          out(`  ${e.ok ? '✔' : '✘'} ${e.description}${e.ok ? '' : `: ${e.detail ?? ''}`}`);
          if (!e.ok) failed++;
        }
      },
      (scenario) => {
        timeline.flush();
        out(`\n— ${scenario.name}`);
      },
    );
    timeline.flush();
    const chatMessages = sandbox.chat.messages();
    const refused = chatMessages.filter((m) => m.status >= 300).length;
    out(
      `\n${chatMessages.length} chat message(s) received${refused > 0 ? `, ${refused} refused (rate limits, signatures, payloads)` : ''}`,
    );
    out(`${failed === 0 ? 'all scenarios met their expectations' : `${failed} expectation(s) failed`}`);
    if (exitAfter) return failed === 0 ? 0 : 1;
    out('\nThe account stays up. From another terminal:');
    out('  npx autopilot sandbox push team/api:main            # deploys prod/api and staging/api');
    out('  npx autopilot sandbox push team/payments:1.6.0       # semver:minor upgrade of prod/payments');
    out('  npx autopilot sandbox push team/api:main --crash     # an image whose tasks crash');
    out('  npx autopilot sandbox tag prod/api autopilot:deploy=off');
    out('  npx autopilot sandbox stop-task prod/api');
    out(
      '  npx autopilot sandbox alarm api-5xx ALARM            # staging/api rolls back if it is deploying or baking',
    );
    out('  npx autopilot sandbox faults UpdateService:throttle:0.5');
    out('Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    return failed === 0 ? 0 : 1;
  } finally {
    timeline();
    await stopControl();
    await sandbox.stop();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `sandbox failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
