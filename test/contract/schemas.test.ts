/**
 * The JSON Schemas in schemas/ (for editors and for subscribers of autopilot's events) are generated
 * from the zod contracts; this keeps the committed copies in step with the code.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeSchemas } from '../../cli/autopilot';

const root = join(__dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('published JSON Schemas', () => {
  it('match what the zod contracts generate (run `npx autopilot schemas` after changing a contract)', () => {
    // Prepare
    const out = mkdtempSync(join(tmpdir(), 'schemas-'));

    // Act
    writeSchemas(out, { out: () => undefined, err: () => undefined });

    // Assess
    const generated = files(out).map((f) => [relative(out, f), readFileSync(f, 'utf8')]);
    const committed = files(join(root, 'schemas')).map((f) => [
      relative(join(root, 'schemas'), f),
      readFileSync(f, 'utf8'),
    ]);
    expect(committed.sort()).toEqual(generated.sort());
  });
});
