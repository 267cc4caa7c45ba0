import { backoffDelay, DEFAULT_BACKOFF, ranLongEnough } from '../../../../shared/domain/restart/backoff';

describe('backoffDelay', () => {
  it.each([
    [1, 10],
    [2, 20],
    [3, 40],
    [4, 80],
    [5, 160],
    [6, 300],
    [50, 300],
    [10_000, 300],
  ])('waits before restart %i %i seconds (10 s doubling to a 5 minute cap)', (attempt, seconds) => {
    // Prepare
    const backoff = DEFAULT_BACKOFF;

    // Act
    const delay = backoffDelay(attempt, backoff);

    // Assess
    expect(delay).toBe(seconds);
  });

  it('never waits longer than SQS can delay a message, whatever the cap says', () => {
    // Prepare
    const backoff = { initialSeconds: 60, maxSeconds: 3600, resetAfterSeconds: 600 };

    // Act
    const delay = backoffDelay(8, backoff);

    // Assess
    expect(delay).toBe(900);
  });
});

describe('ranLongEnough', () => {
  it.each<[string | undefined, string, boolean]>([
    ['2026-01-13T10:00:00Z', '2026-01-13T10:10:00Z', true],
    ['2026-01-13T10:00:00Z', '2026-01-13T10:09:59Z', false],
    [undefined, '2026-01-13T10:10:00Z', false],
  ])('a task started %s and stopped %s starts a new count: %s', (startedAt, stoppedAt, expected) => {
    // Prepare
    const backoff = DEFAULT_BACKOFF;

    // Act
    const reset = ranLongEnough(startedAt, stoppedAt, backoff);

    // Assess
    expect(reset).toBe(expected);
  });
});
