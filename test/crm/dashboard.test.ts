// GET /dashboard, /dashboard.json and /dashboard/:table.csv on a small set seeded straight into the
// database with chosen times (in Europe/Berlin, UTC+1 in January), whose answers are worked out by
// hand below, each with its reason: new conversations and leads per day, first response and
// resolution times on the wall clock and within business hours, replies per agent and by the AI,
// leads by stage and by source, the value won and the conversion. Bad ranges are refused clearly.
import assert from 'node:assert/strict';
import request from 'supertest';
import type { DashboardFigures } from '../../src/crm/dashboard';
import { setSetting } from '../../src/settings/store';
import { customerWrites, inboxContext, OWNER, STAFF, type InboxContext } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';
import { fillConversationFirsts } from '../support/conversation-firsts';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** A Berlin wall-clock time in January 2025 (UTC+1) as epoch ms; day 6 is a Monday. */
const at = (day: number, h: number, m = 0) => Date.UTC(2025, 0, day, h - 1, m);
const RANGE = 'from=2025-01-06&to=2025-01-12';

/** The median (mean of the two middle values) and the nearest-rank 90th percentile, written afresh. */
function medianAndP90(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length / 2;
  return {
    median: s.length % 2 ? s[Math.floor(mid)] : (s[mid - 1] + s[mid]) / 2,
    p90: s[Math.ceil(s.length * 0.9) - 1],
  };
}

/** CSV text as rows of cells (the dashboard's cells hold no commas or quotes). */
const csvRows = (text: string) =>
  text
    .trim()
    .split('\r\n')
    .map((line) => line.split(','));

describe('The dashboard', () => {
  let ctx: InboxContext;
  let staff: { agent: Agent; csrf: string };
  let tz: string | undefined;

  before(() => {
    tz = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
  });
  after(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  beforeEach(async () => {
    ctx = await inboxContext();
    const { db } = ctx.deps;
    await setSetting(db, 'ai.hours', JSON.stringify({ days: [1, 2, 3, 4, 5], open: '09:00', close: '17:00' }));
    const stage = async (name: string) => (await db.get<{ id: number }>('SELECT id FROM lead_stages WHERE name = ?', [name]))!.id;
    let n = 0;
    const person = async (source: string | null) => {
      n += 1;
      await db.run(
        "INSERT INTO contacts (id, page_id, psid, name, lead_source, created_at, updated_at) VALUES (?, 'p', ?, ?, ?, 0, 0)",
        [n, `psid${n}`, `Person ${n}`, source],
      );
      await db.run("INSERT INTO conversations (id, page_id, contact_id, created_at, updated_at) VALUES (?, 'p', ?, 0, 0)", [
        n,
        n,
      ]);
      return n;
    };
    const message = (
      c: number,
      t: number,
      direction: 'in' | 'out',
      sentBy: string,
      userId: number | null = null,
      kind = 'message',
    ) =>
      db.run(
        `INSERT INTO messages (conversation_id, direction, kind, text, status, sent_by, sent_by_user_id, created_at, received_at)
         VALUES (?, ?, ?, 'text', ?, ?, ?, ?, ?)`,
        [c, direction, kind, direction === 'in' ? 'received' : 'sent', sentBy, userId, t, t],
      );
    const resolved = (c: number, t: number) =>
      db.run("INSERT INTO conversation_events (conversation_id, at, kind, value) VALUES (?, ?, 'status', 'resolved')", [c, t]);
    const lead = async (
      contact: number,
      stageName: string,
      cents: number | null,
      created: number,
      closed: number | null = null,
    ) =>
      db.run(
        'INSERT INTO leads (contact_id, stage_id, value_cents, created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?)',
        [contact, await stage(stageName), cents, created, created, closed],
      );

    // 1: Monday 10:00 starts; a note at 10:10 is no reply; Sam answers at 10:30 and again at 11:00;
    // resolved at 12:00. A won lead of 500.00, closed on Tuesday.
    const c1 = await person('ad:spring');
    await message(c1, at(6, 10), 'in', 'contact');
    await message(c1, at(6, 10, 10), 'out', 'user', ctx.staffId, 'note');
    await message(c1, at(6, 10, 30), 'out', 'user', ctx.staffId);
    await message(c1, at(6, 11), 'out', 'user', ctx.staffId);
    await resolved(c1, at(6, 12));
    await lead(c1, 'Won', 50000, at(6, 11), at(7, 9));
    // 2: Friday 16:00 starts; a reply sent from Meta's own tools is not counted; Olivia answers on
    // Monday 13th at 09:30 (after the range). Never resolved. A new lead of 10.00.
    const c2 = await person(null);
    await message(c2, at(10, 16), 'in', 'contact');
    await message(c2, at(10, 16, 5), 'out', 'outside');
    await message(c2, at(13, 9, 30), 'out', 'user', ctx.ownerId);
    await lead(c2, 'New', 1000, at(10, 17));
    // 3: Wednesday 20:00 starts (after hours); the AI answers a minute later; resolved Thursday
    // 10:00; the customer writes again at 11:00 (not a new start). A lost lead.
    const c3 = await person('ad:spring');
    await message(c3, at(8, 20), 'in', 'contact');
    await message(c3, at(8, 20, 1), 'out', 'ai');
    await resolved(c3, at(9, 10));
    await message(c3, at(9, 11), 'in', 'contact');
    await lead(c3, 'Lost', null, at(9, 9));
    // 4: Saturday noon starts, no answer yet. A won lead of 200.00 closed on Sunday.
    const c4 = await person('link');
    await message(c4, at(11, 12), 'in', 'contact');
    await lead(c4, 'Won', 20000, at(11, 13), at(12, 9));
    // 5: started before the range (January 2nd); Olivia and a removed user reply inside it. Their
    // lead, made before the range, was won inside it (700.00).
    const c5 = await person(null);
    await message(c5, at(2, 10), 'in', 'contact');
    await resolved(c5, at(2, 11));
    await message(c5, at(7, 9), 'in', 'contact');
    await message(c5, at(7, 9, 15), 'out', 'user', ctx.ownerId);
    await message(c5, at(8, 9), 'out', 'user', null);
    await lead(c5, 'Won', 70000, at(3, 10), at(8, 12));
    // 6: starts after the range.
    const c6 = await person('ad:spring');
    await message(c6, at(13, 10), 'in', 'contact');
    await lead(c6, 'New', 500, at(13, 11));
    // Raw rows skip the writers that keep each conversation's first message and answer.
    await fillConversationFirsts(db);
    staff = await signIn(ctx.app, STAFF);
  });
  afterEach(() => ctx.close());

  const figures = async (query = RANGE) => {
    const res = await staff.agent.get(`/dashboard.json?${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body as DashboardFigures;
  };

  describe('GET /dashboard.json', () => {
    it('should count new conversations and new leads per day', async () => {
      const f = await figures();
      assert.deepEqual(f.range, { from: '2025-01-06', to: '2025-01-12', days: 7, step: 'day' });
      const days = ['2025-01-06', '2025-01-07', '2025-01-08', '2025-01-09', '2025-01-10', '2025-01-11', '2025-01-12'];
      // Conversations 1–4 start on the 6th, 8th, 10th and 11th; leads of 1–4 are made on the 6th, 10th, 9th and 11th.
      assert.deepEqual(f.conversations, { total: 4, points: days.map((day, i) => ({ day, count: [1, 0, 1, 0, 1, 1, 0][i] })) });
      assert.deepEqual(f.leads, { total: 4, points: days.map((day, i) => ({ day, count: [1, 0, 0, 1, 1, 1, 0][i] })) });
    });

    it('should measure first responses and resolutions on the clock and within business hours', async () => {
      const f = await figures();
      assert.deepEqual(f.businessHours, { days: [1, 2, 3, 4, 5], open: '09:00', close: '17:00' });
      // First replies: 1 after 30 min (all open), 2 after 65 h 30 min (Friday 16–17 and Monday 9–9:30
      // open: 1 h 30 min), 3 after 1 min (all closed). 4 still waits.
      const wall = medianAndP90([30 * MIN, 65.5 * HOUR, MIN]);
      const business = medianAndP90([30 * MIN, 90 * MIN, 0]);
      assert.deepEqual(f.firstResponse, { count: 3, waiting: 1, wall, business });
      assert.deepEqual(wall, { median: 30 * MIN, p90: 65.5 * HOUR });
      // Resolutions: 1 after 2 h (open), 3 after 14 h (Thursday 9–10 open: 1 h). 2 and 4 are not resolved.
      const resolution = {
        count: 2,
        waiting: 2,
        wall: medianAndP90([2 * HOUR, 14 * HOUR]),
        business: medianAndP90([2 * HOUR, HOUR]),
      };
      assert.deepEqual(f.resolution, resolution);
      assert.deepEqual(resolution.wall, { median: 8 * HOUR, p90: 14 * HOUR });
    });

    it('should count wall-clock times only when no business hours are set', async () => {
      await ctx.deps.db.run("DELETE FROM settings WHERE key = 'ai.hours'");
      const f = await figures();
      assert.equal(f.businessHours, null);
      assert.equal(f.firstResponse.business, null);
      assert.equal(f.resolution.business, null);
      assert.equal(f.firstResponse.wall.median, 30 * MIN);
    });

    it('should count replies per agent and the AI apart, leaving out notes, Meta tools and other dates', async () => {
      const f = await figures();
      // Sam: two replies on the 6th. Olivia: one on the 7th (the one on the 13th is after the range).
      // A removed user: one on the 8th. The AI: one on the 8th.
      assert.deepEqual(f.agents, [
        { userId: ctx.staffId, name: 'Sam Staff', replies: 2 },
        { userId: ctx.ownerId, name: 'Olivia Owner', replies: 1 },
        { userId: null, name: 'Unknown (removed user)', replies: 1 },
      ]);
      assert.equal(f.aiReplies, 1);
    });

    it('should show leads by stage and source, the value won and the conversion', async () => {
      const f = await figures();
      // Leads made in the range: 1 (Won, 500.00), 2 (New, 10.00), 3 (Lost), 4 (Won, 200.00).
      assert.deepEqual(
        f.stages.map((s) => [s.name, s.kind, s.leads, s.valueCents]),
        [
          ['New', 'open', 1, 1000],
          ['Contacted', 'open', 0, 0],
          ['Qualified', 'open', 0, 0],
          ['Won', 'won', 2, 70000],
          ['Lost', 'lost', 1, 0],
        ],
      );
      assert.deepEqual(f.sources, [
        { source: 'ad:spring', leads: 2 },
        { source: 'direct', leads: 1 },
        { source: 'link', leads: 1 },
      ]);
      // Won and closed in the range: 1 (500.00), 4 (200.00) and 5 (700.00, made before it).
      assert.equal(f.wonValueCents, 140000);
      // Of the four people who first wrote in the range, 1 and 4 are won.
      assert.deepEqual(f.conversion, { contacts: 4, won: 2, rate: 0.5 });
    });

    it('should count per week over a range longer than 60 days, and default to the last 30 days', async () => {
      const f = await figures('from=2024-12-02&to=2025-02-23');
      assert.equal(f.range.step, 'week');
      assert.equal(f.range.days, 84);
      assert.equal(f.conversations.points.length, 12);
      // Weeks start on Mondays from December 2nd; January 6th is the sixth week, January 2nd the fifth.
      assert.deepEqual(
        f.conversations.points.map((p) => p.count),
        [0, 0, 0, 0, 1, 4, 1, 0, 0, 0, 0, 0],
      );
      assert.equal(f.conversations.points[5].day, '2025-01-06');
      const recent = await figures('');
      assert.equal(recent.range.days, 30);
      assert.equal(recent.range.step, 'day');
    });

    it('should refuse bad ranges with a clear message', async () => {
      const cases: [string, string, RegExp][] = [
        ['from=2025-01-12&to=2025-01-06', 'invalid-range', /before the start/],
        ['from=2024-01-01&to=2025-01-06', 'range-too-long', /at most 366 days/],
        ['from=2025-02-30&to=2025-03-01', 'invalid-date', /real date/],
        ['from=yesterday', 'invalid-date', /YYYY-MM-DD/],
      ];
      for (const [query, code, message] of cases) {
        const res = await staff.agent.get(`/dashboard.json?${query}`);
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.code, code, query);
        assert.match(res.body.error.message, message, query);
      }
      // A leap year's whole year (366 days) is allowed.
      assert.equal((await staff.agent.get('/dashboard.json?from=2024-01-01&to=2024-12-31')).status, 200);
    });
  });

  describe('GET /dashboard', () => {
    it('should show the figures in tables beside SVG charts, with the picker and CSV links', async () => {
      const res = await staff.agent.get(`/dashboard?${RANGE}`);
      assert.equal(res.status, 200);
      assert.match(res.text, /<a href="\/dashboard" class="active" aria-current="page">Dashboard<\/a>/);
      assert.match(res.text, /<input type="date" name="from" value="2025-01-06" required>/);
      assert.match(
        res.text,
        /<svg class="chart"[^>]*role="img" aria-labelledby="chart-conversations-title chart-conversations-desc">/,
      );
      assert.match(
        res.text,
        /<title id="chart-conversations-title">New conversations per day, 2025-01-06 to 2025-01-12<\/title>/,
      );
      assert.match(res.text, /<th scope="row">Sam Staff<\/th><td class="num">2<\/td>/);
      assert.match(res.text, /<th scope="row">AI assistant<\/th><td class="num">1<\/td>/);
      assert.match(res.text, /<dt>Won value<\/dt><dd>1,400.00<\/dd>/);
      assert.match(res.text, /<dt>First response, median<\/dt><dd>30 min<\/dd>/);
      for (const table of ['conversations', 'leads', 'response-times', 'agents', 'stages', 'sources', 'conversion'])
        assert.match(res.text, new RegExp(`href="/dashboard/${table}\\.csv\\?from=2025-01-06&amp;to=2025-01-12"`));
      assert.doesNotMatch(res.text, /style=/);
    });

    it('should answer a bad range with a 400 page that says why and keeps the picker', async () => {
      const res = await staff.agent.get('/dashboard?from=2023-01-01&to=2025-01-01');
      assert.equal(res.status, 400);
      assert.match(res.headers['content-type'], /html/);
      assert.match(res.text, /That range is 732 days long; the dashboard shows at most 366 days at a time/);
      assert.match(res.text, /<input type="date" name="from" value="2023-01-01" required>/);
      assert.match(res.text, /<a href="\/dashboard">Show the last 30 days<\/a>/);
    });

    it('should be open to the owner and send anonymous visitors to sign in', async () => {
      const owner = await signIn(ctx.app, OWNER);
      assert.equal((await owner.agent.get('/dashboard')).status, 200);
      for (const path of ['/dashboard', '/dashboard.json', '/dashboard/agents.csv']) {
        const res = await request(ctx.app).get(path);
        assert.equal(res.status, 303, path);
        assert.match(res.headers.location, /^\/login/);
      }
    });
  });

  describe('GET /dashboard/:table.csv', () => {
    it('should download each table as CSV with the same numbers', async () => {
      const get = async (table: string) => {
        const res = await staff.agent.get(`/dashboard/${table}.csv?${RANGE}`);
        assert.equal(res.status, 200, table);
        assert.match(res.headers['content-type'], /^text\/csv/);
        assert.match(
          res.headers['content-disposition'],
          new RegExp(`attachment; filename="?chatx-${table}-2025-01-06-to-2025-01-12.csv`),
        );
        return csvRows(res.text);
      };
      assert.deepEqual((await get('conversations')).slice(0, 4), [
        ['day', 'new_conversations'],
        ['2025-01-06', '1'],
        ['2025-01-07', '0'],
        ['2025-01-08', '1'],
      ]);
      assert.deepEqual(await get('response-times'), [
        ['measure', 'clock', 'measured', 'waiting', 'median_seconds', 'p90_seconds'],
        ['first response', 'wall clock', '3', '1', String(30 * 60), String(65.5 * 3600)],
        ['first response', 'business hours', '3', '1', String(30 * 60), String(90 * 60)],
        ['resolution', 'wall clock', '2', '2', String(8 * 3600), String(14 * 3600)],
        ['resolution', 'business hours', '2', '2', String(1.5 * 3600), String(2 * 3600)],
      ]);
      assert.deepEqual(await get('agents'), [
        ['agent', 'user_id', 'replies'],
        ['Sam Staff', String(ctx.staffId), '2'],
        ['Olivia Owner', String(ctx.ownerId), '1'],
        ['Unknown (removed user)', '', '1'],
        ['AI assistant', '', '1'],
      ]);
      assert.deepEqual((await get('stages'))[4], ['Won', 'won', '2', '700.00']);
      assert.deepEqual(await get('sources'), [
        ['source', 'leads'],
        ['ad:spring', '2'],
        ['direct', '1'],
        ['link', '1'],
      ]);
      assert.deepEqual(await get('conversion'), [
        ['new_contacts', 'won', 'conversion_percent', 'won_value'],
        ['4', '2', '50', '1400.00'],
      ]);
    });

    it('should answer 404 for a table that does not exist, and 400 for a bad range', async () => {
      for (const name of ['nothing', 'constructor', '__proto__'])
        assert.equal((await staff.agent.get(`/dashboard/${name}.csv?${RANGE}`)).status, 404, name);
      assert.equal((await staff.agent.get('/dashboard/agents.csv?from=2025-01-12&to=2025-01-06')).status, 400);
    });
  });
});

describe("A conversation's first message and first answer (kept for the dashboard as they happen)", () => {
  let ctx: InboxContext;
  beforeEach(async () => (ctx = await inboxContext()));
  afterEach(() => ctx.close());

  const firsts = (id: number) =>
    ctx.deps.db.get<{ first_inbound_at: number | null; first_reply_at: number | null }>(
      'SELECT first_inbound_at, first_reply_at FROM conversations WHERE id = ?',
      [id],
    );

  it('should keep the earliest customer message, even one delivered late, and the first reply by a person or the AI, not a note', async () => {
    const t = Date.now() - 3600_000;
    const id = await customerWrites(ctx, '8800000001', 'first', t);
    await customerWrites(ctx, '8800000001', 'second', t + 60_000);
    await customerWrites(ctx, '8800000001', 'delivered late, written earlier', t - 60_000);
    assert.deepEqual(await firsts(id), { first_inbound_at: t - 60_000, first_reply_at: null });
    await ctx.deps.workflow.addNote(id, ctx.staffId, 'a note is no answer');
    assert.equal((await firsts(id))!.first_reply_at, null);
    const before = Date.now();
    await ctx.deps.outbox.queue({ conversationId: id, text: 'the answer', sentBy: 'user', userId: ctx.staffId });
    const replied = (await firsts(id))!.first_reply_at!;
    assert.ok(replied >= before && replied <= Date.now());
    await ctx.deps.outbox.queue({ conversationId: id, text: 'and another', sentBy: 'ai' });
    assert.equal((await firsts(id))!.first_reply_at, replied, 'the first one stays');
  });
});
