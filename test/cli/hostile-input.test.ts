/**
 * The `autopilot` command fed hostile files: a clear error with the line and field, a usage exit
 * status, never a stack trace.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_FAILED, EXIT_INVALID_EVENT, type Io, main } from '../../cli/autopilot';

const root = join(__dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'autopilot-hostile-'));

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

beforeAll(() => {
  process.env.AUTOPILOT_TABLE = 'ecs-autopilot-test';
  process.env.AUTOPILOT_BUS = 'ecs-autopilot-test';
});

describe('autopilot dispatch, hostile events', () => {
  it('refuses an event whose detail holds an array 10,000 deep, instead of a RangeError', async () => {
    // Prepare
    const push = readFileSync(join(root, 'events', 'ecr-image-push.json'), 'utf8');
    const deep = push.replace(
      '"detail": {',
      `"detail": { "junk": ${'['.repeat(10_000)}${']'.repeat(10_000)},`,
    );
    const path = file('deep.json', deep);
    const io = capture();

    // Act
    const status = await run(io, 'dispatch', path);

    // Assess
    expect(status).toBe(EXIT_INVALID_EVENT);
    expect(io.errors).toEqual([
      `invalid event: ${path}: nested deeper than EventBridge processes (1000 levels)`,
    ]);
    expect(io.lines).toEqual([]);
  });
});

describe('autopilot validate-config, hostile policy files', () => {
  it.each([
    [
      'an alias bomb',
      [
        'version: 1',
        'a: &a ["x","x","x","x","x","x","x","x","x"]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      ].join('\n'),
      ':3:8 (yaml): aliases expand to too much',
    ],
    [
      'a minimum age past every date',
      'version: 1\ndefaults:\n  minImageAge: 100000000d\n',
      ':3:16 defaults.minImageAge: expected a duration',
    ],
    [
      'a lookahead',
      'version: 1\ndefaults:\n  tags: { regex: "(?!x)y" }\n',
      ':3:18 defaults.tags.regex: invalid regular expression',
    ],
    [
      'an extglob',
      'version: 1\ndefaults:\n  tags: { glob: "+(a|b)" }\n',
      ':3:17 defaults.tags.glob: invalid glob: extglob',
    ],
  ])('prints %s with its line and field', (_name, text, expected) => {
    // Prepare
    const path = file('autopilot.yml', text);
    const io = capture();

    // Act
    const status = run(io, 'validate-config', path);

    // Assess
    return expect(status)
      .resolves.toBe(EXIT_FAILED)
      .then(() => {
        expect(io.errors).toEqual([expect.stringContaining(`${path}${expected}`)]);
      });
  });

  it('refuses a file larger than a policy file may be, before reading it', async () => {
    // Prepare
    const path = file('huge.yml', `version: 1\ndefaults:\n  tags: { glob: "${'a'.repeat(300_000)}" }\n`);
    const io = capture();

    // Act
    const status = await run(io, 'validate-config', path);

    // Assess
    expect(status).toBe(EXIT_FAILED);
    expect(io.errors).toEqual([
      `${path}:1:1 (file): the file has 300042 bytes; a policy file has at most 262144`,
    ]);
  });
});
