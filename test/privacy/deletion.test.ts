// Deletion requests: Meta's callback, staff and the API record them; the owner or the deadline
// carries them out; afterwards nothing of the person is left in any table, in the free pages of the
// file or in the write-ahead log, and Meta's late retries do not bring them back.
import { saveDraft } from '../../src/ai/drafts';
import { recordCall } from '../../src/ai/ledger';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { Db } from '../../src/core/db';
import { DELETION_DEADLINE_MS } from '../../src/privacy/deletion-requests';
import { applyRetention } from '../../src/privacy/retention';
import {
  attachmentEvent,
  entry,
  metaJson,
  pageBody,
  postDataDeletion,
  reactionEvent,
  referralEvent,
  signBody,
  signedRequest,
  textEvent,
  uniqueMid,
  type FakeGraph,
} from '../fakes/graph';
import {
  APP_SECRET,
  inbound,
  liveContextPerTest,
  liveEnv,
  openContext,
  PAGE_ID,
  postEvents,
  settle,
  type Ctx,
} from '../messenger/support';
import { addUser, signIn, PASSWORD } from '../support/browser-session';
import { conversationOf } from '../support/context';
import { decryptedBytes } from '../support/sqlcipher-pages';

const DAY = 24 * 3600 * 1000;
const ASID = '5550001112223';

async function listen(ctx: Ctx): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(ctx.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const contactIdOf = async (ctx: Ctx, psid: string) =>
  (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [psid]))?.id;

const requestRow = (ctx: Ctx, code: string) =>
  ctx.deps.db.get<Record<string, unknown>>('SELECT * FROM deletion_requests WHERE code = ?', [code]);

const count = async (ctx: Ctx, sql: string, params: unknown[] = []) =>
  (await ctx.deps.db.get<{ n: number }>(`SELECT count(*) AS n FROM (${sql})`, params as never))!.n;

describe('Deletion requests', function () {
  this.timeout(60_000);
  let ctx: Ctx;
  let fake: FakeGraph;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));
  beforeEach(async () => {
    await addUser(ctx.deps.db, 'owner@example.com', 'owner');
    await addUser(ctx.deps.db, 'staff@example.com', 'staff');
  });

  describe('POST /webhooks/messenger/data-deletion (Meta)', () => {
    let server: { url: string; close(): Promise<void> };
    beforeEach(async () => (server = await listen(ctx)));
    afterEach(() => server.close());

    it("should match the app-scoped id to this Page's contact through ids_for_pages and answer the status URL and code", async () => {
      await inbound(ctx, '7100000000000001', 'please forget me later');
      fake.idsForPages.set(ASID, ['7100000000000001']);
      const res = await postDataDeletion(server.url, { algorithm: 'HMAC-SHA256', user_id: ASID, issued_at: 1 }, APP_SECRET);
      assert.equal(res.status, 200, res.text);
      const { url, confirmation_code: code } = res.json;
      assert.match(code, /^[A-Z2-9]{12}$/);
      assert.equal(url, `http://localhost:3000/data-deletion/${code}`);
      const row = await requestRow(ctx, code);
      assert.equal(row!.status, 'pending');
      assert.equal(row!.source, 'meta-callback');
      assert.equal(row!.contact_id, await contactIdOf(ctx, '7100000000000001'));
      assert.equal(row!.deadline, (row!.requested_at as number) + DELETION_DEADLINE_MS);
      const lookup = fake.calls.find((c) => c.path.includes('/ids_for_pages'));
      assert.ok(lookup, 'Meta was asked who the person is');
      assert.equal(lookup.query.access_token, `424242424242|${APP_SECRET}`, 'with the app access token');
      // The status page says how it stands, and nothing about the person.
      const page = await request(ctx.app).get(`/data-deletion/${code}`);
      assert.equal(page.status, 200);
      assert.match(page.text, /In progress/);
      assert.doesNotMatch(page.text, /7100000000000001|Customer 0001|forget me/);
    });

    it('should record no_data when Meta knows nobody on this Page by that id', async () => {
      const res = await postDataDeletion(server.url, { algorithm: 'HMAC-SHA256', user_id: '999' }, APP_SECRET);
      assert.equal(res.status, 200, res.text);
      const row = await requestRow(ctx, res.json.confirmation_code);
      assert.equal(row!.status, 'no_data');
      assert.equal(row!.subject_ref, null, "Meta's id is not kept");
      assert.match((await request(ctx.app).get(`/data-deletion/${res.json.confirmation_code}`)).text, /Nothing to delete/);
    });

    it('should keep a request Meta could not be asked about pending, and match it at the next pass', async () => {
      await inbound(ctx, '7100000000000002', 'hello');
      fake.idsForPages.set(ASID, ['7100000000000002']);
      const undo = fake.failRequests((c) => c.path.includes('ids_for_pages'), { status: 500, code: 2 });
      const res = await postDataDeletion(server.url, { algorithm: 'HMAC-SHA256', user_id: ASID }, APP_SECRET);
      assert.equal(res.status, 200, res.text);
      const code = res.json.confirmation_code;
      assert.deepEqual(
        { status: (await requestRow(ctx, code))!.status, contact: (await requestRow(ctx, code))!.contact_id },
        { status: 'pending', contact: null },
      );
      undo();
      await ctx.deps.deletions.pass();
      assert.equal((await requestRow(ctx, code))!.contact_id, await contactIdOf(ctx, '7100000000000002'));
    });

    it('should answer 400 and store nothing for a bad signature, another algorithm, bad base64 or no field', async () => {
      const good = signedRequest({ algorithm: 'HMAC-SHA256', user_id: ASID }, APP_SECRET);
      const [sig, payload] = good.split('.');
      const cases: [string, string, string][] = [
        ['another secret', signedRequest({ algorithm: 'HMAC-SHA256', user_id: ASID }, 'not-the-secret'), 'bad-signature'],
        [
          'a changed payload',
          `${sig}.${Buffer.from(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: '1' })).toString('base64url')}`,
          'bad-signature',
        ],
        ['another algorithm', signedRequest({ algorithm: 'HMAC-SHA1', user_id: ASID }, APP_SECRET), 'unsupported-algorithm'],
        ['no algorithm', signedRequest({ user_id: ASID }, APP_SECRET), 'unsupported-algorithm'],
        ['not base64url', `${sig}.${payload}!!`, 'invalid-signed-request'],
        ['no dot', `${sig}${payload}`, 'invalid-signed-request'],
        ['an empty signature', `.${payload}`, 'invalid-signed-request'],
        ['no user id', signedRequest({ algorithm: 'HMAC-SHA256' }, APP_SECRET), 'invalid-signed-request'],
        [
          'a payload that is not JSON',
          (() => {
            const p = Buffer.from('not json').toString('base64url');
            return `${crypto.createHmac('sha256', APP_SECRET).update(p).digest('base64url')}.${p}`;
          })(),
          'invalid-signed-request',
        ],
      ];
      for (const [name, signed, code] of cases) {
        const res = await postDataDeletion(server.url, {}, APP_SECRET, { signedRequest: signed });
        assert.equal(res.status, 400, `${name}: ${res.text}`);
        assert.equal(res.json?.error?.code, code, name);
      }
      const missing = await fetch(`${server.url}/webhooks/messenger/data-deletion`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'something=else',
      });
      assert.equal(missing.status, 400);
      assert.equal(await count(ctx, 'SELECT 1 FROM deletion_requests'), 0, 'nothing stored');
      assert.equal(fake.calls.filter((c) => c.path.includes('ids_for_pages')).length, 0, 'Meta was not asked');
    });
  });

  describe('staff, the API and the owner', () => {
    it("should let staff record a request from the person's page, once, with a deadline 30 days out", async () => {
      await inbound(ctx, '7200000000000001', 'delete my data please');
      const id = (await contactIdOf(ctx, '7200000000000001'))!;
      const { agent, csrf } = await signIn(ctx.app, 'staff@example.com');
      const first = await agent
        .post(`/contacts/${id}/deletion-request`)
        .type('form')
        .send({ _csrf: csrf, received_via: 'email' });
      assert.equal(first.status, 303);
      const code = /deletion=([A-Z2-9]{12})/.exec(first.headers.location)![1];
      const again = await agent
        .post(`/contacts/${id}/deletion-request`)
        .type('form')
        .send({ _csrf: csrf, received_via: 'conversation' });
      assert.match(again.headers.location, new RegExp(`deletion=${code}`), 'asking twice keeps the first request');
      const row = (await requestRow(ctx, code))!;
      assert.deepEqual(
        [row.source, row.received_via, row.requested_by, row.status],
        ['staff', 'email', 'staff@example.com', 'pending'],
      );
      const bad = await agent.post(`/contacts/${id}/deletion-request`).type('form').send({ _csrf: csrf, received_via: 'pigeon' });
      assert.equal(bad.status, 400);
      // Staff cannot carry it out; the owner can, with the password.
      const refused = await agent
        .post(`/privacy/deletion-requests/${code}/execute`)
        .type('form')
        .send({ _csrf: csrf, password: PASSWORD });
      assert.equal(refused.status, 403);
      const owner = await signIn(ctx.app, 'owner@example.com');
      const wrong = await owner.agent
        .post(`/privacy/deletion-requests/${code}/execute`)
        .type('form')
        .send({ _csrf: owner.csrf, password: 'not my password' });
      assert.equal(wrong.status, 403);
      assert.match(wrong.text, /not your password/);
      assert.equal((await requestRow(ctx, code))!.status, 'pending', 'a wrong password changes nothing');
      const done = await owner.agent
        .post(`/privacy/deletion-requests/${code}/execute`)
        .type('form')
        .send({ _csrf: owner.csrf, password: PASSWORD });
      assert.equal(done.status, 303);
      assert.equal(done.headers.location, `/privacy/manage?executed=${code}#deletions`);
      assert.equal(await contactIdOf(ctx, '7200000000000001'), undefined);
      const page = await owner.agent.get('/privacy/manage');
      assert.match(page.text, new RegExp(`${code}</code></a></td>`));
      assert.match(page.text, /1 message, 0 notes, 0 files erased/);
    });

    it('should take requests through the API, list them, and carry them out for an owner token only', async () => {
      await inbound(ctx, '7300000000000001', 'api customer');
      const id = (await contactIdOf(ctx, '7300000000000001'))!;
      const staff = (await createApiToken(ctx.deps.db, { name: 'crm sync', role: 'staff' })).token;
      const owner = (await createApiToken(ctx.deps.db, { name: 'admin', role: 'owner' })).token;
      const before = Date.now();
      const created = await request(ctx.app)
        .post(`/api/v1/contacts/${id}/deletion-request`)
        .set('authorization', `Bearer ${staff}`)
        .send({ received_via: 'email' });
      assert.equal(created.status, 201, created.text);
      const { confirmation_code: code, deadline } = created.body;
      assert.ok(deadline >= before + DELETION_DEADLINE_MS && deadline <= Date.now() + DELETION_DEADLINE_MS);
      const again = await request(ctx.app)
        .post(`/api/v1/contacts/${id}/deletion-request`)
        .set('authorization', `Bearer ${staff}`);
      assert.equal(again.status, 200);
      assert.equal(again.body.confirmation_code, code);
      const missing = await request(ctx.app)
        .post('/api/v1/contacts/999999/deletion-request')
        .set('authorization', `Bearer ${staff}`);
      assert.equal(missing.status, 404);
      const list = await request(ctx.app).get('/api/v1/deletion-requests').set('authorization', `Bearer ${staff}`);
      assert.deepEqual(
        list.body.data.map((r: { confirmation_code: string; status: string }) => [r.confirmation_code, r.status]),
        [[code, 'pending']],
      );
      const forbidden = await request(ctx.app)
        .post(`/api/v1/deletion-requests/${code}/execute`)
        .set('authorization', `Bearer ${staff}`);
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.body.error.code, 'forbidden');
      const done = await request(ctx.app)
        .post(`/api/v1/deletion-requests/${code}/execute`)
        .set('authorization', `Bearer ${owner}`);
      assert.equal(done.status, 200, done.text);
      assert.equal(done.body.status, 'done');
      assert.equal(done.body.contact_id, null);
      assert.deepEqual(done.body.erased, { conversations: 1, messages: 1, notes: 0, attachments: 0 });
      const audit = await ctx.deps.db.all<{ action: string; actor: string; target: string }>(
        "SELECT action, actor, target FROM audit_log WHERE action LIKE 'deletion.%' ORDER BY id",
      );
      assert.deepEqual(audit, [
        { action: 'deletion.requested', actor: 'token:crm sync', target: code },
        { action: 'deletion.executed', actor: 'token:admin', target: code },
      ]);
    });

    it('should let the owner delete a person at once from their page, with the password', async () => {
      await inbound(ctx, '7400000000000001', 'erase me now');
      const id = (await contactIdOf(ctx, '7400000000000001'))!;
      const staff = await signIn(ctx.app, 'staff@example.com');
      assert.equal(
        (await staff.agent.post(`/contacts/${id}/erase`).type('form').send({ _csrf: staff.csrf, password: PASSWORD })).status,
        403,
      );
      const owner = await signIn(ctx.app, 'owner@example.com');
      const res = await owner.agent.post(`/contacts/${id}/erase`).type('form').send({ _csrf: owner.csrf, password: PASSWORD });
      assert.equal(res.status, 303);
      const code = /erased=([A-Z2-9]{12})/.exec(res.headers.location)![1];
      const row = (await requestRow(ctx, code))!;
      assert.deepEqual([row.status, row.executed_by, row.contact_id], ['done', 'owner@example.com', null]);
      assert.equal((await owner.agent.get(`/contacts/${id}/erase`)).status, 404);
    });
  });

  describe('erasing several people at once (Contacts list)', () => {
    it('should erase the ticked people for the owner with the password, and refuse staff and bad selections', async () => {
      await inbound(ctx, '7450000000000001', 'first');
      await inbound(ctx, '7450000000000002', 'second');
      await inbound(ctx, '7450000000000003', 'third stays');
      const ids = [(await contactIdOf(ctx, '7450000000000001'))!, (await contactIdOf(ctx, '7450000000000002'))!];
      const owner = await signIn(ctx.app, 'owner@example.com');
      const list = await owner.agent.get('/contacts');
      assert.match(list.text, new RegExp(`name="contact" value="${ids[0]}" form="bulk-erase"`));
      const staff = await signIn(ctx.app, 'staff@example.com');
      assert.doesNotMatch((await staff.agent.get('/contacts')).text, /bulk-erase/, 'staff see no bulk erase');
      const post = (agent: typeof owner.agent, body: string) => agent.post('/privacy/erase').type('form').send(body);
      const form = (csrf: string, extra: string) => `_csrf=${encodeURIComponent(csrf)}&${extra}`;
      assert.equal(
        (await post(staff.agent, form(staff.csrf, `contact=${ids[0]}&password=${encodeURIComponent(PASSWORD)}`))).status,
        403,
      );
      assert.equal((await post(owner.agent, form(owner.csrf, `password=${encodeURIComponent(PASSWORD)}`))).status, 400);
      assert.equal(
        (await post(owner.agent, form(owner.csrf, `contact=abc&password=${encodeURIComponent(PASSWORD)}`))).status,
        400,
      );
      assert.equal((await post(owner.agent, form(owner.csrf, `contact=${ids[0]}&password=nope`))).status, 403);
      assert.equal(await count(ctx, 'SELECT 1 FROM contacts'), 3, 'nothing erased yet');
      const res = await post(
        owner.agent,
        form(owner.csrf, `contact=${ids[0]}&contact=${ids[1]}&contact=999999&password=${encodeURIComponent(PASSWORD)}`),
      );
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/privacy/manage?bulk=2#deletions');
      assert.match((await owner.agent.get(res.headers.location)).text, /2 people were<\/p>|2 people were erased/);
      assert.equal(await count(ctx, 'SELECT 1 FROM contacts'), 1);
      assert.equal(await count(ctx, "SELECT 1 FROM deletion_requests WHERE status = 'done'"), 2);
    });
  });

  describe('carrying one out', () => {
    it('should leave nothing of the person in any table, free page or the write-ahead log, and nothing else touched', async () => {
      const psid = '7500000000000001';
      const name = 'Zebulon Quillfeather';
      const secretText = 'my allergy is to qzxvwalnut7 and pistachios';
      fake.profiles.set(psid, { name, id: psid });
      const photo = fake.serveFile('/cdn/zq-photo.jpg', Buffer.from('JPEGBYTES-zq-photo'), 'image/jpeg');
      const at = Date.now() - 60_000;
      const mid = uniqueMid();
      await postEvents(ctx, [
        textEvent({ pageId: PAGE_ID, psid, mid, text: secretText, timestamp: at }),
        attachmentEvent({
          pageId: PAGE_ID,
          psid,
          mid: uniqueMid(),
          attachments: [{ type: 'image', payload: { url: photo } }],
          timestamp: at + 1,
        }),
        reactionEvent({ pageId: PAGE_ID, psid, mid, action: 'react', emoji: '❤', timestamp: at + 2 }),
        referralEvent({ pageId: PAGE_ID, psid, source: 'SHORTLINK', ref: 'zq-campaign', timestamp: at + 3 }),
      ]);
      await settle(ctx);
      await inbound(ctx, '7500000000000002', 'another customer stays'); // someone else
      const conversationId = await conversationOf(ctx, psid);
      await ctx.deps.workflow.addLabel(conversationId, 'vip');
      await ctx.deps.workflow.addNote(conversationId, 1, 'note: Zebulon prefers mornings');
      await ctx.deps.outbox.queue({ conversationId, text: 'reply that waits in the outbox', sentBy: 'user' });
      // An AI draft about them (as suggest mode leaves one), and an AI call counted for them.
      await saveDraft(ctx.deps.db, conversationId, 'AI draft for Zebulon Quillfeather about qzxvwalnut7');
      await recordCall(ctx.deps.db, {
        conversationId,
        purpose: 'suggest',
        provider: 'openai',
        model: 'm',
        inputTokens: 1,
        outputTokens: 1,
        ms: 1,
        ok: true,
      });
      await ctx.deps.db.run(
        "INSERT INTO jobs (kind, payload, run_at, created_at, updated_at) VALUES ('messenger.sender_action', ?, 0, 0, 0)",
        [JSON.stringify({ conversationId, action: 'mark_seen' })],
      );
      assert.equal((await ctx.deps.db.get<{ name: string }>('SELECT name FROM contacts WHERE psid = ?', [psid]))!.name, name);
      const dbFile = ctx.deps.db.file;
      const before = decryptedBytes(dbFile, ctx.deps.databaseKey.passphrase);
      const all = Buffer.concat([before.database, before.wal]);
      // The search index keeps words lower-cased, each sharing its first letters with the word
      // before it on the page: its tail is what can be found in the bytes.
      const indexed = ['xvwalnut7', 'illfeather'];
      for (const needle of [secretText, name, ...indexed])
        assert.ok(all.includes(needle), `the scan sees "${needle}" before (it can find what it looks for)`);

      const id = (await contactIdOf(ctx, psid))!;
      const { request: r } = await ctx.deps.deletions.request(id, {
        source: 'staff',
        receivedVia: 'email',
        who: { actor: 'test' },
      });
      const done = await ctx.deps.deletions.execute(r.code, { actor: 'owner@example.com' });
      await ctx.deps.deletions.settled(); // the index rewrite and WAL truncation that follow
      assert.equal(done.status, 'done');
      assert.deepEqual(JSON.parse(done.summary!), { conversations: 1, messages: 3, notes: 1, attachments: 1 });
      assert.equal(done.contact_id, null);

      const leftovers: Record<string, number> = {
        contacts: await count(ctx, 'SELECT 1 FROM contacts WHERE psid = ?', [psid]),
        conversations: await count(ctx, 'SELECT 1 FROM conversations WHERE id = ?', [conversationId]),
        messages: await count(ctx, 'SELECT 1 FROM messages WHERE conversation_id = ?', [conversationId]),
        attachments: await count(
          ctx,
          'SELECT 1 FROM attachments a LEFT JOIN messages m ON m.id = a.message_id WHERE m.id IS NULL',
        ),
        outbox: await count(ctx, 'SELECT 1 FROM outbox WHERE conversation_id = ?', [conversationId]),
        labels: await count(ctx, 'SELECT 1 FROM conversation_labels WHERE conversation_id = ?', [conversationId]),
        jobs: await count(
          ctx,
          `SELECT 1 FROM jobs WHERE json_extract(payload, '$.conversationId') = ? OR json_extract(payload, '$.contactId') = ?`,
          [conversationId, id],
        ),
        receipts: await count(ctx, 'SELECT 1 FROM webhook_receipts WHERE instr(key, ?) > 0 OR instr(key, ?) > 0', [psid, mid]),
        search: await count(ctx, "SELECT 1 FROM messages_fts WHERE messages_fts MATCH 'qzxvwalnut7'"),
        drafts: await count(ctx, 'SELECT 1 FROM ai_drafts WHERE conversation_id = ?', [conversationId]),
        aiCalls: await count(ctx, 'SELECT 1 FROM ai_calls WHERE conversation_id = ?', [conversationId]),
        names: await count(ctx, "SELECT 1 FROM contacts_fts WHERE contacts_fts MATCH 'zebulon'"),
      };
      assert.deepEqual(leftovers, Object.fromEntries(Object.keys(leftovers).map((k) => [k, 0])));
      // Every byte of the file and its log, decrypted: neither the words nor the name remain.
      // (Without the truncating checkpoint the log would still hold the pages as they were before;
      // without the index rewrite its older pages would still hold the words.)
      const after = decryptedBytes(dbFile, ctx.deps.databaseKey.passphrase);
      for (const needle of [secretText, name, 'Zebulon', ...indexed, 'JPEGBYTES-zq-photo', 'zq-campaign']) {
        assert.ok(!after.database.includes(needle), `"${needle}" is gone from the file`);
        assert.ok(!after.wal.includes(needle), `"${needle}" is gone from the write-ahead log`);
      }
      // Someone else is untouched.
      assert.equal(await count(ctx, "SELECT 1 FROM messages WHERE text = 'another customer stays'"), 1);
    });

    it('should not bring the person back when Meta retries their old events, and start afresh on a new message', async () => {
      const psid = '7600000000000001';
      const at = Date.now() - 5 * 60_000;
      const old = metaJson(
        pageBody([
          entry(PAGE_ID, [textEvent({ pageId: PAGE_ID, psid, mid: 'm_old_retry_1', text: 'old words', timestamp: at })]),
        ]),
      );
      const post = (body: string) =>
        request(ctx.app)
          .post('/webhooks/messenger')
          .set('content-type', 'application/json')
          .set('x-hub-signature-256', signBody(body, APP_SECRET))
          .send(body);
      assert.equal((await post(old)).status, 200);
      const oldId = (await contactIdOf(ctx, psid))!;
      await ctx.deps.deletions.eraseNow(oldId, { actor: 'owner@example.com' });
      // Meta re-sends the old body (it never got our answer, say): 200, and nothing comes back.
      assert.equal((await post(old)).status, 200);
      assert.equal(await contactIdOf(ctx, psid), undefined);
      assert.equal(await count(ctx, "SELECT 1 FROM messages WHERE text = 'old words'"), 0);
      // They write again: a fresh contact, with only the new message.
      await inbound(ctx, psid, 'hello again');
      const fresh = (await contactIdOf(ctx, psid))!;
      assert.notEqual(fresh, oldId);
      assert.deepEqual(
        (
          await ctx.deps.db.all<{ text: string }>('SELECT text FROM messages WHERE conversation_id = ?', [
            await conversationOf(ctx, psid),
          ])
        ).map((m) => m.text),
        ['hello again'],
      );
      // The guard is a hash, not the PSID, and it goes after a week.
      const guard = await ctx.deps.db.all<{ person: string }>('SELECT person FROM erased_people');
      assert.equal(guard.length, 1);
      assert.ok(!guard[0].person.includes(psid));
      await ctx.deps.deletions.pass(Date.now() + 8 * DAY);
      assert.equal(await count(ctx, 'SELECT 1 FROM erased_people'), 0);
    });

    it('should carry a request out at its deadline (controlled clock), remind a week and a day before, and show the owner', async () => {
      await inbound(ctx, '7700000000000001', 'deadline customer');
      const id = (await contactIdOf(ctx, '7700000000000001'))!;
      const { request: made } = await ctx.deps.deletions.request(id, { source: 'api', who: { actor: 'token x' } });
      const { deletions } = ctx.deps;
      await deletions.pass(made.deadline - 10 * DAY);
      assert.equal((await requestRow(ctx, made.code))!.reminded, null, 'no reminder 10 days before');
      // As if it had been made 24 days ago: 6 days are left now.
      await ctx.deps.db.run(
        'UPDATE deletion_requests SET requested_at = requested_at - ?, deadline = deadline - ? WHERE id = ?',
        [24 * DAY, 24 * DAY, made.id],
      );
      const r = { ...made, deadline: made.deadline - 24 * DAY };
      await deletions.pass();
      assert.equal((await requestRow(ctx, r.code))!.reminded, 7);
      const owner = await signIn(ctx.app, 'owner@example.com');
      assert.match((await owner.agent.get('/')).text, /A deletion request is due within a week/);
      const staff = await signIn(ctx.app, 'staff@example.com');
      assert.doesNotMatch((await staff.agent.get('/')).text, /deletion request/i, 'staff are not shown the reminder');
      await deletions.pass(r.deadline - 12 * 3600 * 1000);
      assert.equal((await requestRow(ctx, r.code))!.reminded, 1);
      assert.equal((await requestRow(ctx, r.code))!.status, 'pending', 'not before its deadline');
      const { executed } = await deletions.pass(r.deadline + 1);
      assert.equal(executed, 1);
      const row = (await requestRow(ctx, r.code))!;
      assert.deepEqual([row.status, row.executed_by], ['done', 'deadline']);
      assert.equal(await contactIdOf(ctx, '7700000000000001'), undefined);
      const reminders = await ctx.deps.db.all<{ detail: string }>(
        "SELECT detail FROM audit_log WHERE action = 'deletion.reminder' ORDER BY id",
      );
      assert.deepEqual(
        reminders.map((a) => JSON.parse(a.detail).days),
        [7, 1],
      );
    });
  });

  describe('after downtime', () => {
    it('should carry out, as soon as ChatX starts again, a request whose deadline passed while it was down', async () => {
      await inbound(ctx, '7800000000000001', 'they asked a month ago');
      const id = (await contactIdOf(ctx, '7800000000000001'))!;
      const { request: r } = await ctx.deps.deletions.request(id, { source: 'staff', who: { actor: 'staff@example.com' } });
      await ctx.shutdown();
      // ChatX stays off past the deadline: 31 days pass (the request's times move back instead).
      const db = await Db.open(path.join(ctx.dataDir, 'chatx.db'), ctx.config.databaseKey!);
      await db.run('UPDATE deletion_requests SET requested_at = requested_at - ?, deadline = deadline - ? WHERE id = ?', [
        31 * DAY,
        31 * DAY,
        r.id,
      ]);
      await db.close();
      const again = await openContext(liveEnv(fake), ctx.dataDir);
      try {
        await again.deps.start(); // the jobs start: the deadline job runs at once
        const started = Date.now();
        let row: Record<string, unknown> | undefined;
        while (Date.now() - started < 10_000) {
          row = await again.deps.db.get('SELECT status, executed_by FROM deletion_requests WHERE id = ?', [r.id]);
          if (row?.status !== 'pending') break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.deepEqual(row, { status: 'done', executed_by: 'deadline' });
        assert.equal((await again.deps.db.get('SELECT 1 FROM contacts WHERE id = ?', [id])) ?? null, null);
      } finally {
        await again.shutdown();
      }
    });
  });

  describe('after a restore', () => {
    it('should erase again the people a restored (older) backup brings back, and keep the tombstones', async () => {
      await inbound(ctx, '7910000000000001', 'erase me, and stay erased');
      await inbound(ctx, '7910000000000002', 'I stay');
      const file = ctx.deps.db.file;
      const backup = path.join(ctx.dataDir, 'older.db');
      // A copy of the file as it is now, taken while it is closed (as a backup is consistent).
      await ctx.deps.reopen(ctx.deps.databaseKey.passphrase, async () => fs.copyFileSync(file, backup));
      const id = (await contactIdOf(ctx, '7910000000000001'))!;
      const done = await ctx.deps.deletions.eraseNow(id, { actor: 'owner@example.com' });
      const before = await ctx.deps.deletions.tombstones();
      await ctx.deps.reopen(ctx.deps.databaseKey.passphrase, async () => {
        for (const suffix of ['-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
        fs.copyFileSync(backup, file);
      });
      assert.ok(await contactIdOf(ctx, '7910000000000001'), 'the older copy holds the person again');
      assert.equal(await ctx.deps.deletions.reapply(before), 1);
      assert.equal(await contactIdOf(ctx, '7910000000000001'), undefined);
      assert.ok(await contactIdOf(ctx, '7910000000000002'), 'everyone else is as the backup had them');
      const tombstone = (await requestRow(ctx, done.code))!;
      assert.deepEqual([tombstone.status, tombstone.contact_id], ['done', null]);
      assert.equal(await count(ctx, "SELECT 1 FROM messages WHERE text = 'erase me, and stay erased'"), 0);
    });
  });

  describe('restoring a backup from before an erasure (the Privacy page, the CLI)', () => {
    it('should leave the person erased and keep the tombstone', async () => {
      await inbound(ctx, '7920000000000001', 'in the backup, then erased');
      const backup = await ctx.deps.vault.backup('manual', { actor: 'owner@example.com' });
      const id = (await contactIdOf(ctx, '7920000000000001'))!;
      const done = await ctx.deps.deletions.eraseNow(id, { actor: 'owner@example.com' });
      await ctx.deps.vault.restore(backup.file, { actor: { actor: 'owner@example.com' }, keyHint: 'the key' });
      assert.equal(await contactIdOf(ctx, '7920000000000001'), undefined);
      assert.equal((await requestRow(ctx, done.code))!.status, 'done');
      const restored = await ctx.deps.db.get<{ detail: string }>(
        "SELECT detail FROM audit_log WHERE action = 'database.restored'",
      );
      assert.equal(JSON.parse(restored!.detail).erasedAgain, 1);
    });
  });

  describe('retention', () => {
    it('should erase, when the owner turns it on, the people quiet for longer, and say so on the public policy', async () => {
      await inbound(ctx, '7900000000000001', 'long ago', Date.now() - 200 * DAY);
      await inbound(ctx, '7900000000000002', 'last month', Date.now() - 30 * DAY);
      assert.doesNotMatch((await request(ctx.app).get('/privacy')).text, /quiet for/);
      const staff = await signIn(ctx.app, 'staff@example.com');
      const refused = await staff.agent
        .post('/privacy/retention')
        .type('form')
        .send({ _csrf: staff.csrf, months: '6', password: PASSWORD });
      assert.equal(refused.status, 403);
      const owner = await signIn(ctx.app, 'owner@example.com');
      const save = (months: string, password = PASSWORD) =>
        owner.agent.post('/privacy/retention').type('form').send({ _csrf: owner.csrf, months, password });
      assert.equal((await save('0')).status, 422);
      assert.equal((await save('six')).status, 422);
      assert.equal((await save('6', 'wrong password')).status, 403);
      assert.equal(await applyRetention(ctx.deps), 0, 'off until it is saved');
      const saved = await save('6');
      assert.equal(saved.status, 303);
      assert.match((await owner.agent.get('/privacy/manage')).text, /quiet for <strong>6 months<\/strong>/);
      assert.match((await request(ctx.app).get('/privacy')).text, /once it has been quiet for 6 months/);
      assert.equal(await applyRetention(ctx.deps), 1);
      assert.equal(await contactIdOf(ctx, '7900000000000001'), undefined);
      assert.ok(await contactIdOf(ctx, '7900000000000002'), 'the recent one stays');
      const audit = await ctx.deps.db.all<{ action: string; detail: string }>(
        "SELECT action, detail FROM audit_log WHERE action LIKE 'retention.%' ORDER BY id",
      );
      assert.deepEqual(
        audit.map((a) => [a.action, JSON.parse(a.detail)]),
        [
          ['retention.changed', { months: 6 }],
          ['retention.erased', { people: 1, reason: 'no activity for 6 months' }],
        ],
      );
      assert.equal((await save('')).status, 303);
      assert.doesNotMatch((await request(ctx.app).get('/privacy')).text, /quiet for/);
    });
  });

  describe('GET /data-deletion/:code', () => {
    it('should answer 404 for an unknown or malformed code', async () => {
      assert.equal((await request(ctx.app).get('/data-deletion/ABCDEFGHJKLM')).status, 404);
      assert.equal((await request(ctx.app).get('/data-deletion/not-a-code')).status, 404);
      assert.equal((await request(ctx.app).get('/data-deletion/%3Cscript%3E')).status, 404);
    });
  });
});
