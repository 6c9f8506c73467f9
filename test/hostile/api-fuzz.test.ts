// Property-based fuzzing of the JSON API: arbitrary bodies for POST /api/v1/conversations/:id/messages,
// PATCH /api/v1/conversations/:id and PATCH /api/v1/contacts/:id, arbitrary query strings for
// GET /api/v1/conversations. Never a 5xx or an internal detail; every 4xx is the JSON error format
// and leaves the conversation, its messages, the outbox and the contact exactly as they were.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { customerWrites, inboxContext, STAFF, type InboxContext } from '../inbox/support';
import { signIn } from '../support/browser-session';
import { around, assertJsonError, assertNone, changedTables, runs, saneAnswerProblems, snapshot, XSS_CORPUS } from './support';

const TABLES = ['contacts', 'conversations', 'messages', 'outbox', 'attachments', 'labels', 'conversation_labels', 'jobs'];
const STATUSES = ['open', 'pending', 'snoozed', 'resolved'];

const anyJson = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.fullUnicodeString({ maxLength: 60 }) },
  { weight: 2, arbitrary: fc.constantFrom(...XSS_CORPUS, '', ' ', '\n\t ', '\u0000', '\u202e') },
  { weight: 1, arbitrary: fc.integer({ min: 19_990, max: 20_010 }).map((n) => 'z'.repeat(n)) },
  { weight: 1, arbitrary: fc.constantFrom(2000, 4000, 20_000).chain((limit) => around(limit)) },
  { weight: 1, arbitrary: fc.nat({ max: 200_000 }).map((n) => 'w '.repeat(n)) },
  { weight: 1, arbitrary: anyJson },
);
/** A route id: mostly the real one, sometimes one that does not exist or is not a number. */
const idArb = (real: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constant(String(real)) },
    {
      weight: 2,
      arbitrary: fc.oneof(
        fc.constantFrom('0', '-1', '999999', '1e3', '1.5', '0x1', '9'.repeat(40), 'NaN', '%', '%zz', '..', ' 1'),
        fc.string({ minLength: 1 }).map(encodeURIComponent),
      ),
    },
  );

describe('Fuzzing the JSON API with hostile bodies and queries', function () {
  this.timeout(120_000);
  let ctx: InboxContext;
  let conversationId: number;
  let bearer: string;
  beforeEach(async () => {
    ctx = await inboxContext();
    conversationId = await customerWrites(ctx, '6600000000000001', 'I need help with my order');
    await customerWrites(ctx, '6600000000000002', 'Another customer');
    bearer = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'fuzz', role: 'staff' })).token}`;
  });
  afterEach(() => ctx.close());

  /** Lets the sender and jobs finish what earlier runs queued, so a snapshot is a still picture. */
  const settle = async () => {
    await ctx.deps.outbox.kick();
    await ctx.deps.queue.kick();
  };

  it('should answer POST /api/v1/conversations/:id/messages with 202 or a clean 4xx that queues nothing', async () => {
    const body = fc.oneof(
      { weight: 5, arbitrary: fc.record({ text }, { requiredKeys: [] }) },
      { weight: 2, arbitrary: fc.record({ text, files: anyJson, sentBy: anyJson, userId: anyJson, conversationId: anyJson }) },
      { weight: 1, arbitrary: anyJson },
    );
    const contentType = fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
    );
    await fc.assert(
      fc.asyncProperty(idArb(conversationId), body, contentType, fc.boolean(), async (id, payload, type, raw) => {
        await settle();
        const before = await snapshot(ctx.deps.db, TABLES);
        const bytes = raw || type !== 'application/x-www-form-urlencoded' ? (JSON.stringify(payload) ?? 'null') : String(payload);
        const res = await request(ctx.app)
          .post(`/api/v1/conversations/${id}/messages`)
          .set('authorization', bearer)
          .set('content-type', type)
          .send(bytes);
        const what = `POST /api/v1/conversations/${id}/messages ${type} ${bytes.slice(0, 120)}`;
        const problems = saneAnswerProblems(res, what);
        assertNone(problems);
        if (res.status >= 400) {
          assertJsonError(res, what);
          assert.deepEqual(changedTables(before, await snapshot(ctx.deps.db, TABLES)), [], `${what}: a ${res.status} wrote`);
        } else {
          assert.equal(res.status, 202, `${what}: ${res.text}`);
          assert.equal(res.body.status, 'queued');
          const row = await ctx.deps.db.get<{ conversation_id: number; text: string }>(
            'SELECT conversation_id, text FROM messages WHERE id = ?',
            [res.body.id],
          );
          assert.equal(row?.conversation_id, Number(id), `${what}: the reply went to conversation ${row?.conversation_id}`);
        }
      }),
      runs(150),
    );
  });

  it('should answer PATCH /api/v1/conversations/:id with the change applied whole, or a clean 4xx that changes nothing', async () => {
    const users = await ctx.deps.db.all<{ id: number }>('SELECT id FROM users');
    await ctx.deps.db.run(
      "INSERT INTO users (email, role, status, created_at, updated_at) VALUES ('gone@example.com', 'staff', 'disabled', 0, 0)",
    );
    const disabled = (await ctx.deps.db.get<{ id: number }>("SELECT id FROM users WHERE email = 'gone@example.com'"))!.id;
    const iso = (ms: number) => new Date(ms).toISOString();
    const field = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: fc.string() });
    const change = fc.record(
      {
        status: field(fc.constantFrom(...STATUSES, 'OPEN', 'closed', ' open')),
        assignee_id: field(
          fc.constantFrom<unknown>(
            ...users.map((u) => u.id),
            null,
            disabled,
            0,
            -1,
            1.5,
            2 ** 53,
            '1',
            String(users[0].id),
            true,
          ),
        ),
        snoozed_until: field(
          fc.oneof(
            fc.integer({ min: 60_000, max: 1000 * 24 * 3600 * 1000 }).map((d) => iso(Date.now() + d)),
            fc.integer({ min: 1, max: 1e12 }).map((d) => iso(Date.now() - d)),
            fc.constantFrom('2099-01-01', 'tomorrow', '99999', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z', '', '0'),
            fc.integer().map(String),
          ),
        ),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof({ weight: 6, arbitrary: change }, { weight: 1, arbitrary: anyJson });
    const { agent } = await signIn(ctx.app, STAFF);
    await fc.assert(
      fc.asyncProperty(idArb(conversationId), body, async (id, payload) => {
        await settle();
        const before = await snapshot(ctx.deps.db, TABLES);
        const bytes = JSON.stringify(payload) ?? 'null';
        const res = await request(ctx.app)
          .patch(`/api/v1/conversations/${id}`)
          .set('authorization', bearer)
          .set('content-type', 'application/json')
          .send(bytes);
        const what = `PATCH /api/v1/conversations/${id} ${bytes.slice(0, 200)}`;
        const problems = saneAnswerProblems(res, what);
        assertNone(problems);
        if (res.status >= 400) {
          assertJsonError(res, what);
          assert.deepEqual(changedTables(before, await snapshot(ctx.deps.db, TABLES)), [], `${what}: a ${res.status} wrote`);
          return;
        }
        assert.equal(res.status, 200, `${what}: ${res.text}`);
        const row = (await ctx.deps.db.get<{ status: string; assignee_id: number | null; snoozed_until: number | null }>(
          'SELECT status, assignee_id, snoozed_until FROM conversations WHERE id = ?',
          [Number(id)],
        ))!;
        assert.deepEqual(res.body, { id: Number(id), status: row.status, assignee_id: row.assignee_id }, what);
        const asked = payload as Record<string, unknown>;
        if (typeof asked.status === 'string') assert.equal(row.status, asked.status, `${what}: status not applied`);
        if (asked.assignee_id !== undefined) assert.equal(row.assignee_id, asked.assignee_id, `${what}: assignee not applied`);
        if (row.status === 'snoozed') assert.ok((row.snoozed_until ?? 0) > Date.now() - 5000, `${what}: snoozed without a time`);
        // The inbox page shows whatever the API stored.
        const page = await agent.get(`/conversations/${id}`);
        assert.equal(page.status, 200, `${what}: then GET /conversations/${id} answered ${page.status}`);
      }),
      runs(100),
    );
  });

  it('should answer PATCH /api/v1/contacts/:id with the correction applied, or a clean 4xx that changes nothing', async () => {
    const contactId = (await ctx.deps.db.get<{ id: number }>("SELECT id FROM contacts WHERE psid = '6600000000000001'"))!.id;
    const field = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: anyJson }, { weight: 1, arbitrary: text });
    const key = fc.oneof(fc.constantFrom('Order no', 'City', ' city ', '', '__proto__', 'constructor'), around(40), fc.string());
    const change = fc.record(
      {
        name: field(fc.oneof(fc.constantFrom<unknown>('Ana Lima', '', '  ', null, 'Ana\nLima'), around(100))),
        phone: field(fc.constantFrom<unknown>('+49 (30) 123-4567', '', null, '12', 'call me', '1'.repeat(31), 4930123456)),
        email: field(
          fc.oneof(
            fc.constantFrom<unknown>('ana@example.com', '', null, 'nope'),
            around(250).map((s) => `${s}@x.co`),
          ),
        ),
        fields: field(fc.dictionary(key, fc.oneof(fc.constantFrom<unknown>('A-1', '', null, 42), around(500)), { maxKeys: 35 })),
        psid: fc.constant('1'),
        nickname: fc.constant('x'),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof({ weight: 6, arbitrary: change }, { weight: 1, arbitrary: anyJson });
    const tables = [...TABLES, 'audit_log'];
    await fc.assert(
      fc.asyncProperty(idArb(contactId), body, async (id, payload) => {
        await settle();
        const before = await snapshot(ctx.deps.db, tables);
        const bytes = JSON.stringify(payload) ?? 'null';
        const res = await request(ctx.app)
          .patch(`/api/v1/contacts/${id}`)
          .set('authorization', bearer)
          .set('content-type', 'application/json')
          .send(bytes);
        const what = `PATCH /api/v1/contacts/${id} ${bytes.slice(0, 200)}`;
        assertNone(saneAnswerProblems(res, what));
        if (res.status >= 400) {
          assertJsonError(res, what);
          assert.deepEqual(changedTables(before, await snapshot(ctx.deps.db, tables)), [], `${what}: a ${res.status} wrote`);
          return;
        }
        assert.equal(res.status, 200, `${what}: ${res.text}`);
        const row = (await ctx.deps.db.get<{ phone: string | null; email: string | null; fields: string }>(
          'SELECT phone, email, fields FROM contacts WHERE id = ?',
          [contactId],
        ))!;
        assert.deepEqual([res.body.phone, res.body.email, res.body.fields], [row.phone, row.email, JSON.parse(row.fields)], what);
        const fields = Object.entries(res.body.fields as Record<string, string>);
        assert.ok(
          fields.length <= 30 && fields.every(([k, v]) => k.length <= 40 && [...v].length <= 500),
          `${what}: fields out of bounds`,
        );
        const audits = await ctx.deps.db.all<{ detail: string }>("SELECT detail FROM audit_log WHERE action = 'contact.updated'");
        for (const a of audits)
          assert.match(a.detail, /^\{"fields":\["(name|phone|email|fields)"(,"(name|phone|email|fields)")*\]\}$/, what);
      }),
      runs(100),
    );
    const { agent } = await signIn(ctx.app, STAFF);
    const page = await agent.get(`/contacts/${contactId}`);
    assert.equal(page.status, 200);
  });

  it('should answer GET /api/v1/conversations with 200 or a clean 400 whatever the query string', async () => {
    const value = fc.oneof(
      { weight: 2, arbitrary: fc.string() },
      { weight: 1, arbitrary: fc.fullUnicodeString({ maxLength: 30 }) },
      { weight: 1, arbitrary: fc.constantFrom(...XSS_CORPUS.filter((p) => p.length < 200)) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          ...STATUSES,
          '1',
          '200',
          '201',
          '0',
          '-1',
          '1e2',
          '2.5',
          ' 7',
          'Infinity',
          '9'.repeat(30),
          '0:0',
          '-1:1',
          `${Date.now()}:1`,
          `${'9'.repeat(400)}:${'9'.repeat(400)}`,
          '1:2:3',
          '"*"',
          'NEAR(a b)',
          'a OR b',
          '*',
          '6600000000000001',
        ),
      },
    );
    const query = fc.array(fc.tuple(fc.constantFrom('status', 'q', 'limit', 'cursor', 'other', 'q[]', 'status[x]'), value), {
      maxLength: 6,
    });
    await fc.assert(
      fc.asyncProperty(query, async (pairs) => {
        const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const before = await snapshot(ctx.deps.db, TABLES);
        const res = await request(ctx.app).get(`/api/v1/conversations?${qs}`).set('authorization', bearer);
        const what = `GET /api/v1/conversations?${qs.slice(0, 300)}`;
        const problems = saneAnswerProblems(res, what);
        assertNone(problems);
        assert.ok([200, 400].includes(res.status), `${what} answered ${res.status}: ${res.text.slice(0, 200)}`);
        if (res.status === 400) assertJsonError(res, what);
        else {
          assert.ok(Array.isArray(res.body.data), what);
          assert.ok(res.body.next_cursor === null || typeof res.body.next_cursor === 'string', what);
        }
        assert.deepEqual(changedTables(before, await snapshot(ctx.deps.db, TABLES)), [], `${what}: a read wrote`);
      }),
      runs(150),
    );
  });

  it('should answer GET /api/v1/conversations/:id/messages, /api/v1/attachments/:id and /api/v1/contacts/:id for any id with 200 or a clean 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        idArb(conversationId),
        fc.constantFrom('conversations/%s/messages', 'attachments/%s', 'contacts/%s'),
        async (id, shape) => {
          const path = `/api/v1/${shape.replace('%s', id)}`;
          const res = await request(ctx.app).get(path).set('authorization', bearer);
          const problems = saneAnswerProblems(res, `GET ${path}`);
          assertNone(problems);
          if (res.status >= 400) assertJsonError(res, `GET ${path}`);
        },
      ),
      runs(60),
    );
  });
});
