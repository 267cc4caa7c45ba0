/**
 * The sandbox gives its bundles the policy file as they read it in Lambda: validated and written
 * sealed, as the build writes it (the bundles carry neither a YAML parser nor the schemas).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundlePolicyFile } from '../../../sandbox/runtime/functions';
import { loadPolicyFile, PolicyFileError, sealPolicyFile } from '../../../shared/config/policy-file';
import { parsePolicyFile } from '../../../shared/config/policy-yaml';

const root = join(__dirname, '..', '..', '..');

describe('bundlePolicyFile', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bundle-policy-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the sandbox's YAML policy file sealed, as a bundle reads it, the same file", () => {
    // Prepare
    const yaml = join(root, 'sandbox', 'autopilot.yml');

    // Act
    const json = bundlePolicyFile(yaml);

    // Assess
    expect(json).toMatch(/\.json$/);
    expect(JSON.parse(readFileSync(json, 'utf8')).policyFile).toEqual(
      parsePolicyFile(readFileSync(yaml, 'utf8')),
    );
    expect(loadPolicyFile(json)).toEqual(loadPolicyFile(yaml));
  });

  it('gives a changed file a new path, so a function that read the old one reads the new one', () => {
    // Prepare
    const path = join(dir, 'autopilot.yml');
    writeFileSync(path, 'version: 1\nmaxServicesPerPush: 3\n');
    const before = bundlePolicyFile(path);
    writeFileSync(path, 'version: 1\nmaxServicesPerPush: 4\n');

    // Act
    const after = bundlePolicyFile(path);

    // Assess
    expect(after).not.toBe(before);
    expect(loadPolicyFile(after).maxServicesPerPush).toBe(4);
  });

  it('gives a sealed file as it is, seals JSON someone wrote once validated, and fails a file with errors with its line and field', () => {
    // Prepare
    const sealed = join(dir, 'sealed.json');
    const written = join(dir, 'written.json');
    const broken = join(dir, 'broken.yml');
    const policy = parsePolicyFile('version: 1\nmaxServicesPerPush: 5\n');
    writeFileSync(sealed, sealPolicyFile(policy));
    writeFileSync(written, JSON.stringify(policy));
    writeFileSync(broken, 'version: 1\ndefaults:\n  minImageAge: later\n');

    // Act
    const given = bundlePolicyFile(sealed);
    const resealed = bundlePolicyFile(written);
    const run = () => bundlePolicyFile(broken);

    // Assess
    expect(given).toBe(sealed);
    expect(resealed).not.toBe(written);
    expect(JSON.parse(readFileSync(resealed, 'utf8')).policyFile).toEqual(policy);
    expect(run).toThrow(PolicyFileError);
    expect(run).toThrow(`${broken}:3:16 defaults.minImageAge`);
  });
});
