// The app's time-zone arithmetic (internal/web/app/js/zones.js), checked in
// Node against known offsets, daylight-saving changes included: a tour's
// time is picked on the homes' clock whatever the browser's zone, and a
// realtor's week shows each booking, busy time and time off on the days it
// covers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

// The module is the browser's file as served; it imports nothing, so it
// loads as it is from a data: URL (the repository has no package.json
// that would tell Node its files are modules).
const source = readFileSync(new URL('../../internal/web/app/js/zones.js', import.meta.url), 'utf8');
const { zonedToISO, wallClock, spansOn, addDays } = await import('data:text/javascript,' + encodeURIComponent(source));

test('a wall-clock time in a zone is the right instant', () => {
  const cases = [
    ['2026-07-01', '10:00', 'America/Chicago', '2026-07-01T15:00:00Z'], // CDT, -5
    ['2026-12-01', '10:00', 'America/Chicago', '2026-12-01T16:00:00Z'], // CST, -6
    ['2026-03-08', '10:00', 'America/Chicago', '2026-03-08T15:00:00Z'], // the morning clocks went forward
    ['2026-11-01', '10:00', 'America/Chicago', '2026-11-01T16:00:00Z'], // the morning clocks went back
    ['2026-05-01', '09:00', 'Asia/Kolkata', '2026-05-01T03:30:00Z'], // +5:30
    ['2026-01-15', '08:05', 'Pacific/Auckland', '2026-01-14T19:05:00Z'], // +13, the day before in UTC
    ['2026-06-30', '23:45', 'Etc/GMT+11', '2026-07-01T10:45:00Z'], // -11, the day after in UTC
    ['2026-06-30', '12:00', 'UTC', '2026-06-30T12:00:00Z'],
  ];
  for (const [day, time, zone, want] of cases) {
    assert.equal(zonedToISO(day, time, zone), want, `${day} ${time} ${zone}`);
    assert.deepEqual(wallClock(want, zone), { day, time }, `back to ${zone}`);
  }
});

test("a realtor's week puts each span on the days it covers, on their clock", () => {
  const days = ['2026-11-01', '2026-11-02', '2026-11-03'];
  const items = [
    { kind: 'booking', start: '2026-11-01T10:00:00-06:00', end: '2026-11-01T10:30:00-06:00' },
    // Across midnight: the evening of one day and the small hours of the next.
    { kind: 'busy', start: '2026-11-01T22:00:00-06:00', end: '2026-11-02T01:30:00-06:00' },
    // Ends at midnight: that day only, until 24:00.
    { kind: 'busy', start: '2026-11-02T18:00:00-06:00', end: '2026-11-03T00:00:00-06:00' },
    // Began before the week and runs past it: all day, every day shown.
    { kind: 'time_off', start: '2026-10-30T00:00:00-05:00', end: '2026-11-05T00:00:00-06:00' },
    // After the week: nowhere.
    { kind: 'busy', start: '2026-11-04T09:00:00-06:00', end: '2026-11-04T10:00:00-06:00' },
  ];
  const got = spansOn(items, days);
  const show = (d) => got[d].map((it) => `${it.kind} ${it.from}-${it.until}`);
  assert.deepEqual(show('2026-11-01'), ['booking 10:00-10:30', 'busy 22:00-24:00', 'time_off 00:00-24:00']);
  assert.deepEqual(show('2026-11-02'), ['busy 00:00-01:30', 'busy 18:00-24:00', 'time_off 00:00-24:00']);
  assert.deepEqual(show('2026-11-03'), ['time_off 00:00-24:00']);
  assert.equal(addDays('2026-12-28', 7), '2027-01-04');
});
