// businessMs: the part of a stretch of time inside business hours, in the process's time zone (TZ),
// and businessClock, the dashboard's fast way to ask the same many times.
import assert from 'node:assert/strict';
import type { BusinessHours } from '../../src/ai/settings';
import { businessClock, businessMs } from '../../src/crm/business-time';

const MIN = 60_000;
const HOUR = 60 * MIN;
const WEEKDAYS: BusinessHours = { days: [1, 2, 3, 4, 5], open: '09:00', close: '17:00' };
/** Berlin in winter is UTC+1: a Berlin wall-clock time in January 2025 as epoch ms. */
const berlin = (day: number, h: number, m = 0) => Date.UTC(2025, 0, day, h - 1, m);

describe('businessMs', () => {
  let tz: string | undefined;
  before(() => {
    tz = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
  });
  after(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('should count a stretch within one business day in full, and parts of days at either end', () => {
    // 2025-01-06 is a Monday.
    assert.equal(businessMs(berlin(6, 10), berlin(6, 11, 15), WEEKDAYS), 75 * MIN);
    assert.equal(businessMs(berlin(6, 7), berlin(6, 9, 30), WEEKDAYS), 30 * MIN);
    assert.equal(businessMs(berlin(6, 16), berlin(6, 20), WEEKDAYS), HOUR);
    assert.equal(businessMs(berlin(6, 8), berlin(8, 18), WEEKDAYS), 3 * 8 * HOUR);
  });

  it('should skip the weekend', () => {
    // Friday 16:00 to Monday 10:00: an hour on Friday and an hour on Monday.
    assert.equal(businessMs(berlin(10, 16), berlin(13, 10), WEEKDAYS), 2 * HOUR);
    assert.equal(businessMs(berlin(11, 9), berlin(12, 17), WEEKDAYS), 0);
  });

  it('should skip the night', () => {
    assert.equal(businessMs(berlin(7, 17, 30), berlin(8, 8), WEEKDAYS), 0);
    assert.equal(businessMs(berlin(7, 16), berlin(8, 10), WEEKDAYS), 2 * HOUR);
  });

  it('should follow the time zone', () => {
    // 07:00–09:00 UTC on a Monday: 08:00–10:00 in Berlin (an hour open), 02:00–04:00 in New York.
    const from = Date.UTC(2025, 0, 6, 7);
    const to = Date.UTC(2025, 0, 6, 9);
    assert.equal(businessMs(from, to, WEEKDAYS), HOUR);
    process.env.TZ = 'America/New_York';
    try {
      assert.equal(businessMs(from, to, WEEKDAYS), 0);
      assert.equal(businessMs(Date.UTC(2025, 0, 6, 14), Date.UTC(2025, 0, 6, 23), WEEKDAYS), 8 * HOUR);
    } finally {
      process.env.TZ = 'Europe/Berlin';
    }
  });

  it('should count a day with a daylight-saving change as the clock shows it', () => {
    // Sunday 2025-03-30 in Berlin: the clock jumps from 02:00 to 03:00, so 00:00–06:00 is five hours.
    const night: BusinessHours = { days: [0], open: '00:00', close: '06:00' };
    assert.equal(businessMs(Date.UTC(2025, 2, 29, 12), Date.UTC(2025, 2, 31, 12), night), 5 * HOUR);
  });

  it('should be zero for an empty or backward stretch, or hours with no open time', () => {
    assert.equal(businessMs(berlin(6, 10), berlin(6, 10), WEEKDAYS), 0);
    assert.equal(businessMs(berlin(6, 11), berlin(6, 10), WEEKDAYS), 0);
    assert.equal(businessMs(berlin(6, 10), berlin(9, 10), { days: [], open: '09:00', close: '17:00' }), 0);
    assert.equal(businessMs(berlin(6, 10), berlin(9, 10), { days: [1], open: '17:00', close: '09:00' }), 0);
  });
});

describe('businessClock', () => {
  it('should agree with businessMs on any stretch, inside its span or not', () => {
    const hours: BusinessHours = { days: [1, 2, 4, 6], open: '08:30', close: '19:45' };
    const start = Date.UTC(2025, 2, 1);
    const end = Date.UTC(2025, 4, 1);
    const clock = businessClock(hours, start, end);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const a = start - 5 * 86_400_000 + Math.floor(rnd() * (end - start));
      const b = a + Math.floor(rnd() * (i % 3 ? 3 : 40) * 86_400_000);
      assert.equal(clock(a, b), businessMs(a, b, hours), `from ${new Date(a).toISOString()} to ${new Date(b).toISOString()}`);
    }
  });
});
