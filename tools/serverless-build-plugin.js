// Serverless Framework (osls) plugin: every `serverless package`, `serverless deploy` and
// `serverless deploy function` first runs the build (scripts/build.ts: autopilot.yml validated, one
// esbuild bundle per function in .build/), so no function is ever shipped without its code or with a
// policy file that has errors. After `serverless package` it says where the artifacts are.
const { readdirSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const BUILD_SCRIPT = join(__dirname, '..', 'scripts', 'build.ts');

class AutopilotBuildPlugin {
  constructor(serverless, options, { log } = {}) {
    this.serverless = serverless;
    this.options = options ?? {};
    this.log = log ?? Object.assign((line) => console.log(line), { notice: console.log, info: () => {} });
    this.built = false;
    this.hooks = {
      // `package` (also spawned by `deploy`) zips .build/ in createDeploymentArtifacts.
      'before:package:createDeploymentArtifacts': () => this.build(),
      // `deploy function` zips one function in packageFunction, without the package lifecycle.
      'before:deploy:function:packageFunction': () => this.build(),
      'after:package:finalize': () => this.reportArtifacts(),
    };
  }

  async build() {
    if (this.built) return;
    // The build is TypeScript: it reads serverless.yml through tools/serverless-config.ts, like the CLI
    // and the sandbox. tsx (a devDependency, as osls is) loads it, registered only while the build
    // runs. Not tsx's scoped require(): its namespace suffix breaks how esbuild finds its binary.
    const unregister = require('tsx/cjs/api').register();
    let bundles;
    try {
      const { buildAll } = require(BUILD_SCRIPT);
      bundles = await buildAll({ log: (line) => this.log.info(line) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new this.serverless.classes.Error(`build failed (nothing was packaged):\n${message}`);
    } finally {
      unregister();
    }
    this.built = true;
    this.log.notice(`autopilot.yml is valid; ${bundles.length} function bundles built in .build/`);
  }

  reportArtifacts() {
    if (this.serverless.processedInput?.commands?.join(' ') !== 'package') return;
    const serviceDir = this.serverless.serviceDir ?? process.cwd();
    const dir = resolve(
      serviceDir,
      this.options.package ?? this.serverless.service.package?.path ?? '.serverless',
    );
    const files = readdirSync(dir);
    const zips = files.filter((file) => file.endsWith('.zip')).sort();
    const templates = files.filter((file) => file.startsWith('cloudformation-template-'));
    this.log.notice(
      `artifacts in ${relative(serviceDir, dir) || '.'}/: ${zips.join(', ')} and the CloudFormation template (${templates.join(', ')})`,
    );
  }
}

module.exports = AutopilotBuildPlugin;
