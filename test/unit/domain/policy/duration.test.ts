import fc from 'fast-check';
import {
  DURATION_UNITS,
  durationPattern,
  formatDuration,
  formatMinutes,
  MAX_DURATION_MS,
  parseDuration,
} from '../../../../shared/domain/policy/duration';

describe('parseDuration', () => {
  it.each<[string, number | undefined]>([
    ['30s', 30_000],
    ['90s', 90_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
    ['0s', 0],
    ['1.5h', undefined],
    ['90', undefined],
    ['1w', undefined],
    ['1H', undefined],
    [' 1h', undefined],
    ['1h ', undefined],
    ['-1h', undefined],
    ['1h30m', undefined],
    ['', undefined],
    ['365d', 31_536_000_000],
    ['8760h', 31_536_000_000],
    ['366d', undefined],
    ['100000000d', undefined],
    [`${'9'.repeat(400)}s`, undefined],
  ])('%j -> %s', (text, expected) => {
    // Prepare
    const input = text;

    // Act
    const ms = parseDuration(input);

    // Assess
    expect(ms).toBe(expected);
  });
});

describe('durationPattern', () => {
  it('is the pattern the policy file schemas publish', () => {
    // Prepare
    const units = ['s', 'm', 'h'] as const;

    // Act
    const sources = [durationPattern(units).source, durationPattern().source];

    // Assess
    expect(sources).toEqual(['^(\\d+)(s|m|h)$', '^(\\d+)(s|m|h|d)$']);
  });

  it('accepts what parseDuration reads, for every unit; parseDuration reads it up to a year', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(...DURATION_UNITS), (amount, unit) => {
        // Prepare
        const text = `${amount}${unit}`;
        const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];

        // Act
        const matches = durationPattern().test(text);

        // Assess
        expect(matches).toBe(true);
        expect(parseDuration(text)).toBe(amount * unitMs <= MAX_DURATION_MS ? amount * unitMs : undefined);
      }),
    );
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0s'],
    [-5_000, '0s'],
    [30_000, '30s'],
    [60_000, '1m'],
    [3_600_000, '1h'],
    [5_400_000, '1h 30m'],
    [3_661_000, '1h 1m 1s'],
    [1_499, '1s'],
    [86_400_000, '24h'],
  ])('%d ms -> %s', (ms, expected) => {
    // Prepare
    const input = ms;

    // Act
    const text = formatDuration(input);

    // Assess
    expect(text).toBe(expected);
  });

  it('reads back as the same seconds, part by part', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), (seconds) => {
        // Prepare
        const ms = seconds * 1000;

        // Act
        const parts = formatDuration(ms).split(' ');

        // Assess
        const total = parts.reduce((sum, part) => sum + (parseDuration(part) ?? Number.NaN), 0);
        expect(total).toBe(ms);
      }),
    );
  });
});

describe('formatMinutes', () => {
  it.each<[number, string]>([
    [3_600_000, '60m'],
    [600_000, '10m'],
    [90_000, '90s'],
    [1_500, '2s'],
  ])('%d ms -> %s', (ms, expected) => {
    // Prepare
    const input = ms;

    // Act
    const text = formatMinutes(input);

    // Assess
    expect(text).toBe(expected);
  });
});
