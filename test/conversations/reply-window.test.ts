// The one reply-window rule (src/conversations/reply-window.ts): what may be sent when, and the
// badge the list shows, which follows the same rule.
import assert from 'node:assert/strict';
import { decideWindow, DAY_MS, HUMAN_AGENT_MS, windowBadge } from '../../src/conversations/reply-window';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('decideWindow', () => {
  const now = 1_800_000_000_000;
  const at = (ageMs: number, sentBy: 'user' | 'ai' | 'system', humanAgentEnabled: boolean) =>
    decideWindow({ lastInboundAt: now - ageMs, sentBy, humanAgentEnabled, now });

  it('should allow RESPONSE for anyone up to 24 hours', () => {
    for (const sentBy of ['user', 'ai', 'system'] as const) {
      assert.deepEqual(at(DAY_MS, sentBy, false), { ok: true, messagingType: 'RESPONSE', closesAt: now });
    }
  });

  it('should allow only a person with Human Agent enabled from 24 hours to 7 days, tagged', () => {
    assert.deepEqual(at(DAY_MS + 1, 'user', true), {
      ok: true,
      messagingType: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
      closesAt: now - DAY_MS - 1 + HUMAN_AGENT_MS,
    });
    assert.equal(at(HUMAN_AGENT_MS, 'user', true).ok, true);
    for (const [sentBy, enabled] of [
      ['user', false],
      ['ai', true],
      ['system', true],
      ['ai', false],
    ] as const) {
      const d = at(DAY_MS + 1, sentBy, enabled);
      assert.equal(d.ok, false, `${sentBy} ${enabled}`);
      assert.equal(!d.ok && d.code, 'outside-messaging-window');
    }
  });

  it('should refuse everything after 7 days or before the customer ever wrote', () => {
    assert.equal(at(HUMAN_AGENT_MS + 1, 'user', true).ok, false);
    assert.equal(decideWindow({ lastInboundAt: null, sentBy: 'user', humanAgentEnabled: true, now }).ok, false);
  });
});

describe('windowBadge (the 24-hour window in the list)', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  it('should say "none" before the customer writes', () => {
    assert.deepEqual(windowBadge(null, true, now), { state: 'none', label: '', title: 'The customer has not written yet' });
  });

  it('should show the time left while the window is open (up to 24 hours)', () => {
    assert.deepEqual(windowBadge(now - 30 * MIN, false, now), {
      state: 'open',
      label: '23 h 30 min left',
      title: 'Time left in the 24-hour reply window',
    });
    assert.equal(windowBadge(now - DAY + 5 * MIN, false, now).label, '5 min left');
    assert.equal(windowBadge(now - DAY, false, now).state, 'open');
  });

  it('should say "human agent" from 24 hours to day 7 when the Human Agent tag is on, then "window closed"', () => {
    assert.deepEqual(windowBadge(now - DAY - 1, true, now), {
      state: 'agent',
      label: 'human agent',
      title: 'Only a person may reply now, with the Human Agent tag',
    });
    assert.equal(windowBadge(now - 7 * DAY, true, now).state, 'agent');
    assert.equal(windowBadge(now - 7 * DAY - 1, true, now).state, 'closed');
    assert.match(windowBadge(now - 7 * DAY - 1, true, now).title, /More than 7 days/);
  });

  it('should follow the same rule as sending: without the Human Agent tag, closed after 24 hours', () => {
    const badge = windowBadge(now - DAY - 1, false, now);
    assert.equal(badge.state, 'closed');
    assert.equal(badge.label, 'window closed');
    assert.match(badge.title, /Enable the Human Agent tag in Settings/);
  });
});
