/**
 * How the bench runner prints reports and writes docs/BENCHMARKS.md: a benchmark run alone replaces
 * its own section and keeps the others' figures, with the command and machine they came from.
 */
import type { BenchReport } from '../../bench/report';
import { goalLines, mergeBenchmarks, reportAsMarkdown, textTable } from '../../bench/support/markdown';

const RUN = { command: 'npm run bench', date: '2026-12-03T21:00:00Z', machine: '2 × CPU, 8.0 GiB, Node v20' };

function aReport(name: string, actual: number): BenchReport {
  return {
    name,
    title: `The ${name} benchmark`,
    description: 'What it measures.',
    tables: [
      {
        caption: 'figures',
        columns: ['case', 'ratio'],
        rows: [
          ['one', 1],
          ['ten', 2.3456],
        ],
      },
    ],
    goals: [{ goal: 'calls per service', actual, limit: 6 }],
  };
}

describe('mergeBenchmarks', () => {
  it('replaces the section of a benchmark run again and keeps the others', () => {
    // Prepare
    const before = mergeBenchmarks(
      '',
      new Map([
        ['push', reportAsMarkdown(aReport('push', 5), RUN)],
        ['storm', reportAsMarkdown(aReport('storm', 1), RUN)],
      ]),
    );

    // Act
    const after = mergeBenchmarks(before, new Map([['push', reportAsMarkdown(aReport('push', 7), RUN)]]));

    // Assess
    expect(after).toContain('NOT MET: calls per service: 7 (limit 6)');
    expect(after).not.toContain('met: calls per service: 5');
    expect(after).toContain('<!-- bench:storm -->');
    expect(after.indexOf('bench:push')).toBeLessThan(after.indexOf('bench:storm'));
    expect(after.match(/^# Benchmarks$/gm)).toHaveLength(1);
  });

  it('writes the command, the date and the machine under each section', () => {
    // Act
    const section = reportAsMarkdown(aReport('storm', 1), RUN);

    // Assess
    expect(section).toContain('_`npm run bench`, 2026-12-03T21:00:00Z, on 2 × CPU, 8.0 GiB, Node v20._');
    expect(section).toContain('| ten | 2.346 |');
  });
});

describe('goalLines and textTable', () => {
  it('say which goals are met and pad the columns', () => {
    // Act
    const lines = goalLines(aReport('push', 6));
    const table = textTable(
      ['case', 'ratio'],
      [
        ['one', 1],
        ['ten', 2.5],
      ],
    );

    // Assess
    expect(lines).toEqual(['met: calls per service: 6 (limit 6)']);
    expect(table.split('\n')).toEqual(['case  ratio', '----  -----', 'one   1', 'ten   2.5']);
  });
});
