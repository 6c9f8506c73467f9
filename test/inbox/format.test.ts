import assert from 'node:assert/strict';
import { timeLeft } from '../../src/core/format';
import { snoozeUntil } from '../../src/inbox/conversation-routes';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A local date-time (the business's zone is the process TZ). */
const local = (y: number, mo: number, d: number, h = 0, mi = 0) => new Date(y, mo - 1, d, h, mi);

describe('snoozeUntil (snooze presets)', () => {
  it('should snooze "1h" for exactly an hour', () => {
    const now = local(2026, 3, 4, 15, 42);
    assert.equal(snoozeUntil('1h', '', now), now.getTime() + HOUR);
  });

  it('should snooze "tomorrow" until 9:00 the next day, also across a month end', () => {
    assert.equal(snoozeUntil('tomorrow', '', local(2026, 3, 4, 15, 42)), local(2026, 3, 5, 9).getTime());
    assert.equal(snoozeUntil('tomorrow', '', local(2026, 3, 4, 0, 5)), local(2026, 3, 5, 9).getTime());
    assert.equal(snoozeUntil('tomorrow', '', local(2026, 12, 31, 23, 59)), local(2027, 1, 1, 9).getTime());
  });

  it('should snooze "week" until next Monday 9:00 (a week on, from a Monday)', () => {
    // 2026-03-02 is a Monday.
    assert.equal(snoozeUntil('week', '', local(2026, 3, 2, 8)), local(2026, 3, 9, 9).getTime());
    assert.equal(snoozeUntil('week', '', local(2026, 3, 4, 15)), local(2026, 3, 9, 9).getTime());
    assert.equal(snoozeUntil('week', '', local(2026, 3, 7, 10)), local(2026, 3, 9, 9).getTime());
    assert.equal(snoozeUntil('week', '', local(2026, 3, 8, 22)), local(2026, 3, 9, 9).getTime());
    assert.equal(new Date(snoozeUntil('week', '', local(2026, 12, 30, 12))).getDay(), 1);
  });

  it('should take a custom datetime-local value as local time', () => {
    assert.equal(snoozeUntil('custom', '2026-03-10T14:30', local(2026, 3, 4)), local(2026, 3, 10, 14, 30).getTime());
  });

  it('should refuse a custom choice without a valid time', () => {
    for (const custom of ['', 'tomorrow-ish', '2026-13-45T99:99']) {
      assert.throws(() => snoozeUntil('custom', custom), { code: 'invalid-snooze', status: 400 }, custom);
    }
    assert.throws(() => snoozeUntil('', ''), { code: 'invalid-snooze' });
  });
});

describe('timeLeft', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  it('should say minutes, hours and minutes, or days', () => {
    assert.equal(timeLeft(now + 12 * MIN + 59_000, now), '12 min');
    assert.equal(timeLeft(now + 5 * HOUR + 12 * MIN, now), '5 h 12 min');
    assert.equal(timeLeft(now + 47 * HOUR + 59 * MIN, now), '47 h 59 min');
    assert.equal(timeLeft(now + 2 * DAY, now), '2 days');
    assert.equal(timeLeft(now + 6 * DAY + 23 * HOUR, now), '6 days');
  });

  it('should never go below zero', () => {
    assert.equal(timeLeft(now, now), '0 min');
    assert.equal(timeLeft(now - HOUR, now), '0 min');
  });
});
