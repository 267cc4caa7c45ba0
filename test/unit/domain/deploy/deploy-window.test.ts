import {
  checkDeployWindows,
  type DeployWindow,
  describeWindow,
  isValidTimeZone,
  parseClockTime,
  type WindowCheck,
} from '../../../../shared/domain/deploy/deploy-window';

// Calendar reference for 2026: Jan 12 is a Monday, Jan 16 a Friday. DST changes: Europe/Berlin on
// Sun 2026-03-29 (02:00 CET -> 03:00 CEST) and Sun 2026-10-25 (03:00 CEST -> 02:00 CET); America/New_York
// on Sun 2026-03-08 (02:00 EST -> 03:00 EDT) and Sun 2026-11-01 (02:00 EDT -> 01:00 EST).

const BERLIN_OFFICE: DeployWindow = {
  days: ['mon', 'tue', 'wed', 'thu'],
  start: '09:00',
  end: '16:00',
  timezone: 'Europe/Berlin',
};
const BERLIN_WEEKDAYS: DeployWindow = { ...BERLIN_OFFICE, days: ['mon', 'tue', 'wed', 'thu', 'fri'] };
const FRIDAY_NIGHT_UTC: DeployWindow = { days: ['fri'], start: '22:00', end: '02:00', timezone: 'UTC' };

/** Expected results as ISO strings so a failing assertion shows readable instants. */
type Expected = { open: true; closesAt: string } | { open: false; opensAt: string };

function toExpected(check: WindowCheck): Expected {
  return check.open
    ? { open: true, closesAt: check.closesAt.toISOString() }
    : { open: false, opensAt: check.opensAt.toISOString() };
}

interface Case {
  name: string;
  windows: DeployWindow[];
  now: string;
  expected: Expected;
}

function runCases(cases: Case[]): void {
  it.each(cases)('$name', ({ windows, now, expected }) => {
    // Prepare
    const instant = new Date(now);

    // Act
    const result = checkDeployWindows(windows, instant);

    // Assess
    expect(toExpected(result)).toEqual(expected);
  });
}

describe('checkDeployWindows', () => {
  describe('single window, inside/outside and boundaries', () => {
    runCases([
      {
        name: 'inside: Tue 11:00 CET is open until 16:00 CET',
        windows: [BERLIN_OFFICE],
        now: '2026-01-13T10:00:00.000Z',
        expected: { open: true, closesAt: '2026-01-13T15:00:00.000Z' },
      },
      {
        name: 'before start: Tue 08:00 CET opens at 09:00 CET the same day',
        windows: [BERLIN_OFFICE],
        now: '2026-01-13T07:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-13T08:00:00.000Z' },
      },
      {
        name: 'start is inclusive: exactly Tue 09:00 CET is open',
        windows: [BERLIN_OFFICE],
        now: '2026-01-13T08:00:00.000Z',
        expected: { open: true, closesAt: '2026-01-13T15:00:00.000Z' },
      },
      {
        name: 'one millisecond before the end is still open',
        windows: [BERLIN_OFFICE],
        now: '2026-01-13T14:59:59.999Z',
        expected: { open: true, closesAt: '2026-01-13T15:00:00.000Z' },
      },
      {
        name: 'end is exclusive: exactly Tue 16:00 CET is closed until Wed 09:00 CET',
        windows: [BERLIN_OFFICE],
        now: '2026-01-13T15:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-14T08:00:00.000Z' },
      },
      {
        name: 'unlisted day: Thu 17:00 CET skips Fri-Sun and opens Mon 09:00 CET',
        windows: [BERLIN_OFFICE],
        now: '2026-01-15T16:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-19T08:00:00.000Z' },
      },
      {
        name: 'weekend gap: Fri 19:00 CET opens Mon 09:00 CET',
        windows: [BERLIN_WEEKDAYS],
        now: '2026-01-16T18:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-19T08:00:00.000Z' },
      },
      {
        name: 'only day already passed this week: next opening is the same weekday next week',
        windows: [{ days: ['tue'], start: '09:00', end: '10:00', timezone: 'UTC' }],
        now: '2026-01-13T10:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-20T09:00:00.000Z' },
      },
      {
        name: 'end equal to start is a 24-hour window: Sat 23:59 UTC is open until Sun 00:00',
        windows: [{ days: ['sat'], start: '00:00', end: '00:00', timezone: 'UTC' }],
        now: '2026-01-17T23:59:00.000Z',
        expected: { open: true, closesAt: '2026-01-18T00:00:00.000Z' },
      },
    ]);
  });

  describe('windows running past midnight (UTC)', () => {
    runCases([
      {
        name: 'opens at start on the listed day: Fri 22:00 is open until Sat 02:00',
        windows: [FRIDAY_NIGHT_UTC],
        now: '2026-01-16T22:00:00.000Z',
        expected: { open: true, closesAt: '2026-01-17T02:00:00.000Z' },
      },
      {
        name: 'open at 01:00 on the day after a listed day (window started yesterday)',
        windows: [FRIDAY_NIGHT_UTC],
        now: '2026-01-17T01:00:00.000Z',
        expected: { open: true, closesAt: '2026-01-17T02:00:00.000Z' },
      },
      {
        name: 'end is exclusive the next morning: Sat 02:00 waits for next Friday',
        windows: [FRIDAY_NIGHT_UTC],
        now: '2026-01-17T02:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-23T22:00:00.000Z' },
      },
      {
        name: 'closed at 01:00 after an unlisted day (Saturday night)',
        windows: [FRIDAY_NIGHT_UTC],
        now: '2026-01-18T01:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-23T22:00:00.000Z' },
      },
      {
        name: 'Fri 21:59 is just before the opening',
        windows: [FRIDAY_NIGHT_UTC],
        now: '2026-01-16T21:59:00.000Z',
        expected: { open: false, opensAt: '2026-01-16T22:00:00.000Z' },
      },
    ]);
  });

  describe('several windows', () => {
    const berlinWednesday: DeployWindow = {
      days: ['wed'],
      start: '09:00',
      end: '17:00',
      timezone: 'Europe/Berlin',
    };
    const newYorkTuesdayEvening: DeployWindow = {
      days: ['tue'],
      start: '20:00',
      end: '23:00',
      timezone: 'America/New_York',
    };
    runCases([
      {
        name: 'earliest opening wins (Tue 20:00 EST before Wed 09:00 CET)',
        windows: [berlinWednesday, newYorkTuesdayEvening],
        now: '2026-01-13T12:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-14T01:00:00.000Z' },
      },
      {
        name: 'earliest opening wins regardless of list order',
        windows: [newYorkTuesdayEvening, berlinWednesday],
        now: '2026-01-13T12:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-14T01:00:00.000Z' },
      },
      {
        name: 'after the first window closed the other one is next',
        windows: [berlinWednesday, newYorkTuesdayEvening],
        now: '2026-01-14T04:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-14T08:00:00.000Z' },
      },
      {
        name: 'overlapping windows close when the last of them closes',
        windows: [
          { days: ['mon'], start: '09:00', end: '12:00', timezone: 'UTC' },
          { days: ['mon'], start: '11:00', end: '15:00', timezone: 'UTC' },
        ],
        now: '2026-01-12T10:00:00.000Z',
        expected: { open: true, closesAt: '2026-01-12T15:00:00.000Z' },
      },
      {
        name: 'touching windows chain across midnight',
        windows: [
          { days: ['mon'], start: '22:00', end: '00:00', timezone: 'UTC' },
          { days: ['tue'], start: '00:00', end: '06:00', timezone: 'UTC' },
        ],
        now: '2026-01-12T23:00:00.000Z',
        expected: { open: true, closesAt: '2026-01-13T06:00:00.000Z' },
      },
      {
        name: 'a closed window does not hide an open one',
        windows: [BERLIN_OFFICE, { days: ['sat'], start: '10:00', end: '12:00', timezone: 'UTC' }],
        now: '2026-01-17T11:00:00.000Z',
        expected: { open: true, closesAt: '2026-01-17T12:00:00.000Z' },
      },
    ]);
  });

  describe('DST in Europe/Berlin', () => {
    runCases([
      {
        name: 'spring forward: nonexistent 02:30 opens at the first valid instant (03:00 CEST)',
        windows: [{ days: ['sun'], start: '02:30', end: '04:00', timezone: 'Europe/Berlin' }],
        now: '2026-03-29T00:00:00.000Z',
        expected: { open: false, opensAt: '2026-03-29T01:00:00.000Z' },
      },
      {
        name: 'spring forward: open at 03:30 CEST until 04:00 CEST',
        windows: [{ days: ['sun'], start: '02:30', end: '04:00', timezone: 'Europe/Berlin' }],
        now: '2026-03-29T01:30:00.000Z',
        expected: { open: true, closesAt: '2026-03-29T02:00:00.000Z' },
      },
      {
        name: 'spring forward: Fri 17:00 CET opens Mon 09:00 CEST (offset changed over the weekend)',
        windows: [BERLIN_WEEKDAYS],
        now: '2026-03-27T16:00:00.000Z',
        expected: { open: false, opensAt: '2026-03-30T07:00:00.000Z' },
      },
      {
        name: 'spring forward: a window entirely inside the gap is skipped that day',
        windows: [{ days: ['sun'], start: '02:10', end: '02:40', timezone: 'Europe/Berlin' }],
        now: '2026-03-22T02:00:00.000Z',
        expected: { open: false, opensAt: '2026-04-05T00:10:00.000Z' },
      },
      {
        name: 'spring forward: nonexistent end 02:30 closes at the first valid instant (03:00 CEST)',
        windows: [{ days: ['sun'], start: '00:00', end: '02:30', timezone: 'Europe/Berlin' }],
        now: '2026-03-29T00:30:00.000Z',
        expected: { open: true, closesAt: '2026-03-29T01:00:00.000Z' },
      },
      {
        name: 'fall back: ambiguous end 02:30 closes at the earlier instant (02:30 CEST)',
        windows: [{ days: ['sun'], start: '00:30', end: '02:30', timezone: 'Europe/Berlin' }],
        now: '2026-10-25T00:00:00.000Z',
        expected: { open: true, closesAt: '2026-10-25T00:30:00.000Z' },
      },
      {
        name: 'fall back: ambiguous 02:30 opens at the earlier instant (02:30 CEST)',
        windows: [{ days: ['sun'], start: '02:30', end: '03:30', timezone: 'Europe/Berlin' }],
        now: '2026-10-25T00:00:00.000Z',
        expected: { open: false, opensAt: '2026-10-25T00:30:00.000Z' },
      },
      {
        name: 'fall back: still open in the repeated hour (02:45 CET) until 03:30 CET',
        windows: [{ days: ['sun'], start: '02:30', end: '03:30', timezone: 'Europe/Berlin' }],
        now: '2026-10-25T01:45:00.000Z',
        expected: { open: true, closesAt: '2026-10-25T02:30:00.000Z' },
      },
      {
        name: 'fall back: Fri 17:00 CEST opens Mon 09:00 CET',
        windows: [BERLIN_WEEKDAYS],
        now: '2026-10-23T15:00:00.000Z',
        expected: { open: false, opensAt: '2026-10-26T08:00:00.000Z' },
      },
    ]);
  });

  describe('DST in America/New_York', () => {
    runCases([
      {
        name: 'spring forward: Sat 18:00 EST opens Sun 09:00 EDT',
        windows: [{ days: ['sun'], start: '09:00', end: '17:00', timezone: 'America/New_York' }],
        now: '2026-03-07T23:00:00.000Z',
        expected: { open: false, opensAt: '2026-03-08T13:00:00.000Z' },
      },
      {
        name: 'spring forward: open at 03:30 EDT in a window starting in the gap (01:30-04:00)',
        windows: [{ days: ['sun'], start: '01:30', end: '04:00', timezone: 'America/New_York' }],
        now: '2026-03-08T07:30:00.000Z',
        expected: { open: true, closesAt: '2026-03-08T08:00:00.000Z' },
      },
      {
        name: 'spring forward: 02:00-03:00 vanishes that day, next opening a week later',
        windows: [{ days: ['sun'], start: '02:00', end: '03:00', timezone: 'America/New_York' }],
        now: '2026-03-08T05:00:00.000Z',
        expected: { open: false, opensAt: '2026-03-15T06:00:00.000Z' },
      },
      {
        name: 'fall back: ambiguous 01:30 opens at the earlier instant (01:30 EDT)',
        windows: [{ days: ['sun'], start: '01:30', end: '02:30', timezone: 'America/New_York' }],
        now: '2026-11-01T05:00:00.000Z',
        expected: { open: false, opensAt: '2026-11-01T05:30:00.000Z' },
      },
      {
        name: 'fall back: over-midnight window from Saturday is open at 01:30 EST until 02:00 EST',
        windows: [{ days: ['sat'], start: '22:00', end: '02:00', timezone: 'America/New_York' }],
        now: '2026-11-01T06:30:00.000Z',
        expected: { open: true, closesAt: '2026-11-01T07:00:00.000Z' },
      },
    ]);
  });

  describe('zones with 30/45-minute offsets', () => {
    runCases([
      {
        name: 'Asia/Kolkata (+05:30): Mon 08:30 IST opens at 09:00 IST',
        windows: [
          {
            days: ['mon', 'tue', 'wed', 'thu', 'fri'],
            start: '09:00',
            end: '18:00',
            timezone: 'Asia/Kolkata',
          },
        ],
        now: '2026-01-12T03:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-12T03:30:00.000Z' },
      },
      {
        name: 'Asia/Kolkata (+05:30): Fri 18:00 IST is closed until Mon 09:00 IST',
        windows: [
          {
            days: ['mon', 'tue', 'wed', 'thu', 'fri'],
            start: '09:00',
            end: '18:00',
            timezone: 'Asia/Kolkata',
          },
        ],
        now: '2026-01-16T12:30:00.000Z',
        expected: { open: false, opensAt: '2026-01-19T03:30:00.000Z' },
      },
      {
        name: 'Asia/Kathmandu (+05:45): Mon 09:45 NPT opens at 10:00 NPT',
        windows: [{ days: ['mon'], start: '10:00', end: '12:00', timezone: 'Asia/Kathmandu' }],
        now: '2026-01-12T04:00:00.000Z',
        expected: { open: false, opensAt: '2026-01-12T04:15:00.000Z' },
      },
      {
        name: 'Asia/Kathmandu (+05:45): weekday is local (Sun 18:20 UTC is Mon 00:05 NPT)',
        windows: [{ days: ['mon'], start: '00:00', end: '01:00', timezone: 'Asia/Kathmandu' }],
        now: '2026-01-11T18:20:00.000Z',
        expected: { open: true, closesAt: '2026-01-11T19:15:00.000Z' },
      },
    ]);
  });

  describe('empty list', () => {
    runCases([
      {
        name: 'no windows means always open, closing at the largest representable Date',
        windows: [],
        now: '2026-01-13T10:00:00.000Z',
        expected: { open: true, closesAt: '+275760-09-13T00:00:00.000Z' },
      },
    ]);
  });

  describe('invalid input', () => {
    it.each([
      { name: 'no days', window: { ...BERLIN_OFFICE, days: [] }, message: /no days/ },
      {
        name: 'unknown day',
        window: { ...BERLIN_OFFICE, days: ['monday' as unknown as 'mon'] },
        message: /unknown day 'monday'/,
      },
      { name: 'invalid start', window: { ...BERLIN_OFFICE, start: '9:00' }, message: /'HH:MM'/ },
      { name: 'invalid end', window: { ...BERLIN_OFFICE, end: '24:00' }, message: /'HH:MM'/ },
      {
        name: 'unknown time zone',
        window: { ...BERLIN_OFFICE, timezone: 'Mars/Olympus' },
        message: /unknown time zone 'Mars\/Olympus'/,
      },
    ])('throws a RangeError for $name', ({ window, message }) => {
      // Prepare
      const now = new Date('2026-01-13T10:00:00.000Z');

      // Act
      const act = () => checkDeployWindows([window], now);

      // Assess
      expect(act).toThrow(RangeError);
      expect(act).toThrow(message);
    });

    it('throws a RangeError for an invalid now', () => {
      // Prepare
      const now = new Date('not a date');

      // Act
      const act = () => checkDeployWindows([BERLIN_OFFICE], now);

      // Assess
      expect(act).toThrow(RangeError);
    });
  });
});

describe('isValidTimeZone', () => {
  it.each([
    { zone: 'Europe/Berlin', expected: true },
    { zone: 'America/New_York', expected: true },
    { zone: 'Asia/Kathmandu', expected: true },
    { zone: 'UTC', expected: true },
    { zone: 'Etc/GMT+5', expected: true },
    { zone: 'Mars/Olympus', expected: false },
    { zone: 'Europe/Atlantis', expected: false },
    { zone: '', expected: false },
    { zone: '+01:00', expected: false },
  ])('$zone -> $expected', ({ zone, expected }) => {
    // Prepare
    const candidate = zone;

    // Act
    const valid = isValidTimeZone(candidate);

    // Assess
    expect(valid).toBe(expected);
  });
});

describe('parseClockTime', () => {
  it.each([
    { text: '00:00', expected: 0 },
    { text: '09:00', expected: 540 },
    { text: '09:05', expected: 545 },
    { text: '16:30', expected: 990 },
    { text: '23:59', expected: 1439 },
    { text: '24:00', expected: undefined },
    { text: '9:00', expected: undefined },
    { text: '09:5', expected: undefined },
    { text: '09:60', expected: undefined },
    { text: '0900', expected: undefined },
    { text: '09:00:00', expected: undefined },
    { text: ' 09:00', expected: undefined },
    { text: '09:00 ', expected: undefined },
    { text: '-1:00', expected: undefined },
    { text: '', expected: undefined },
  ])("'$text' -> $expected", ({ text, expected }) => {
    // Prepare
    const input = text;

    // Act
    const minutes = parseClockTime(input);

    // Assess
    expect(minutes).toBe(expected);
  });
});

describe('describeWindow', () => {
  it.each([
    {
      window: {
        days: ['mon', 'tue'],
        start: '09:00',
        end: '16:00',
        timezone: 'Europe/Berlin',
      } as DeployWindow,
      expected: 'mon,tue 09:00-16:00 Europe/Berlin',
    },
    { window: FRIDAY_NIGHT_UTC, expected: 'fri 22:00-02:00 UTC' },
  ])('$expected', ({ window, expected }) => {
    // Prepare
    const input = window;

    // Act
    const description = describeWindow(input);

    // Assess
    expect(description).toBe(expected);
  });
});
