#!/usr/bin/env node
// The `autopilot` command: runs the TypeScript sources through tsx, so the CLI always uses the same
// handlers and routing as the deployed functions.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs/api').register();
require('../cli/autopilot.ts')
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`autopilot: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
