/**
 * How a benchmark's report is printed and written to docs/BENCHMARKS.md. Each benchmark is one
 * section between markers (`<!-- bench:<name> -->` … `<!-- /bench:<name> -->`), so running one
 * benchmark replaces its own section and keeps the others with the command and machine they came from.
 */
import { type BenchReport, goalMet } from '../report';

/** Where and when a report was produced: written under every section. */
export interface RunContext {
  /** the command line, e.g. `npm run bench -- storm` */
  command: string;
  /** ISO date and time of the run */
  date: string;
  /** CPU model and count, memory, Node version: {@link describeMachine} */
  machine: string;
}

/** The header docs/BENCHMARKS.md starts with (kept when sections are replaced). */
export const BENCHMARKS_HEADER = `# Benchmarks

Written by \`npm run bench\` (\`bench/run.ts\`): every \`bench/*.bench.ts\` in full, or those named
(\`npm run bench -- storm\` replaces only that section). Figures are ratios against a baseline measured
in the same run, and counts; absolute times depend on the machine and are only given beside their
ratios. Count goals are checked by \`.ci/run\` on the short versions (\`npx tsx bench/run.ts --short\`);
timing ratios are reported, never asserted.
`;

/**
 * The machine a run happened on, in one line.
 *
 * @example
 * describeMachine({ cpus: [{ model: 'AMD EPYC' }, { model: 'AMD EPYC' }], totalmem: 8 * 2 ** 30, node: 'v20.19.0', platform: 'linux x64', load: [1.9, 1.2, 1] })
 * // '2 × AMD EPYC, 8.0 GiB, Node v20.19.0, linux x64, load 1.90 1.20 1.00'
 */
export function describeMachine(machine: {
  cpus: { model: string }[];
  totalmem: number;
  node: string;
  platform: string;
  load: number[];
}): string {
  const models = [...new Set(machine.cpus.map((cpu) => cpu.model.trim()))].join(' / ') || 'unknown CPU';
  const gib = (machine.totalmem / 2 ** 30).toFixed(1);
  // The load average says how busy the machine was: these benchmarks share 2 cores with other work.
  const load = machine.load.map((l) => l.toFixed(2)).join(' ');
  return `${machine.cpus.length} × ${models}, ${gib} GiB, Node ${machine.node}, ${machine.platform}, load ${load}`;
}

/** A cell: numbers keep up to three decimals, without trailing zeros. */
export function formatCell(value: string | number): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(3)));
}

/** A markdown table. */
export function markdownTable(columns: string[], rows: (string | number)[][]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, '\\|');
  const line = (cells: string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [
    line(columns),
    line(columns.map(() => '---')),
    ...rows.map((row) => line(row.map(formatCell))),
  ].join('\n');
}

/** A table for the terminal: columns padded to their widest cell. */
export function textTable(columns: string[], rows: (string | number)[][]): string {
  const cells = [columns, ...rows.map((row) => row.map(formatCell))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** The lines of a report's goals: `met` or `NOT MET`, with the actual value and the limit. */
export function goalLines(report: BenchReport): string[] {
  return report.goals.map(
    (g) =>
      `${goalMet(g) ? 'met' : 'NOT MET'}: ${g.goal}: ${formatCell(g.actual)} (limit ${formatCell(g.limit)})`,
  );
}

/** A report as the terminal shows it. */
export function reportAsText(report: BenchReport): string {
  const parts = [`== ${report.title} (${report.name})`];
  for (const table of report.tables) {
    if (table.caption) parts.push(table.caption);
    parts.push(textTable(table.columns, table.rows));
  }
  for (const note of report.notes ?? []) parts.push(`note: ${note}`);
  parts.push(...goalLines(report).map((line) => `goal ${line}`));
  return parts.join('\n\n');
}

/** A report's section of docs/BENCHMARKS.md, between its markers. */
export function reportAsMarkdown(report: BenchReport, run: RunContext): string {
  const parts = [`<!-- bench:${report.name} -->`, `## ${report.title}`, report.description.trim()];
  for (const table of report.tables) {
    if (table.caption) parts.push(`**${table.caption}**`);
    parts.push(markdownTable(table.columns, table.rows));
  }
  if (report.notes?.length) parts.push(report.notes.map((note) => `- ${note}`).join('\n'));
  if (report.goals.length)
    parts.push(
      ['Goals (counts, checked in CI):', ...goalLines(report).map((line) => `- ${line}`)].join('\n'),
    );
  parts.push(`_\`${run.command}\`, ${run.date}, on ${run.machine}._`);
  parts.push(`<!-- /bench:${report.name} -->`);
  return parts.join('\n\n');
}

const SECTION = /<!-- bench:([\w.-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g;

/**
 * docs/BENCHMARKS.md with the given sections put in: a section of the same benchmark is replaced,
 * the others are kept, and the sections are ordered by name.
 *
 * @param existing - the file as it is (empty when there is none)
 * @param sections - benchmark name → its section ({@link reportAsMarkdown})
 */
export function mergeBenchmarks(existing: string, sections: Map<string, string>): string {
  const all = new Map<string, string>();
  for (const match of existing.matchAll(SECTION)) all.set(match[1] as string, match[0]);
  for (const [name, section] of sections) all.set(name, section);
  const ordered = [...all.keys()].sort().map((name) => all.get(name) as string);
  return `${[BENCHMARKS_HEADER.trim(), ...ordered].join('\n\n')}\n`;
}
