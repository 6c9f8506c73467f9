// The access right: everything held about one person, as JSON (GET /api/v1/contacts/:id/export) and
// zipped with their files (GET /contacts/:id/export), for staff and owner alike; audit-logged; and
// nothing in it about anyone else.
import { saveDraft } from '../../src/ai/drafts';
import { recordCall } from '../../src/ai/ledger';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { inboxContext, OWNER, STAFF, type InboxContext } from '../inbox/support';
import { signIn } from '../support/browser-session';
import { text, unzip } from '../support/unzip';
import { PAGE_ROWS } from '../../src/privacy/export-format';
import { ANA, binary, BRUNO, NOTE, PDF, seedMessages, twoPeople, type People } from './export-fixtures';

interface PersonExport {
  format: string;
  contact: Record<string, unknown>;
  conversations: Record<string, unknown>[];
  messages: Record<string, unknown>[];
  attachments: Record<string, unknown>[];
  deletion_requests: Record<string, unknown>[];
  ai_drafts: { text: string }[];
  ai_calls: Record<string, unknown>[];
  audit_log: { action: string; target: string }[];
  settings: { key: string; value: string }[];
}

describe("A person's export (the access right)", function () {
  this.timeout(30_000);
  let ctx: InboxContext;
  let people: People;
  let staffToken: string;

  beforeEach(async () => {
    ctx = await inboxContext();
    people = await twoPeople(ctx);
    staffToken = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'helpdesk', role: 'staff' })).token}`;
  });
  afterEach(() => ctx.close());

  const apiExport = (contactId: number | string, auth = staffToken) =>
    request(ctx.app).get(`/api/v1/contacts/${contactId}/export`).set('authorization', auth);

  it('should give staff everything held about the person as JSON', async () => {
    const res = await apiExport(people.ana.contactId);
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^application\/json/);
    const body = res.body as PersonExport;
    assert.equal(body.format, 'chatx-person-export');
    assert.equal(body.contact.id, people.ana.contactId);
    assert.equal(body.contact.psid, ANA.psid);
    assert.equal(body.contact.name, ANA.name);
    assert.equal(body.contact.phone, '+49 30 1234567');
    assert.equal(body.contact.email, 'ana@example.com');
    assert.ok('lead_stage' in body.contact && 'referral_ref' in body.contact, 'the lead data is there');
    assert.deepEqual(
      body.conversations.map((c) => [c.id, c.labels]),
      [[people.ana.conversationId, ['vip']]],
    );
    const stored = await ctx.deps.db.all<Record<string, unknown>>(
      'SELECT * FROM messages WHERE conversation_id = ? ORDER BY id',
      [people.ana.conversationId],
    );
    assert.deepEqual(body.messages, stored, 'every message and note of theirs, as stored');
    assert.ok(body.messages.some((m) => m.kind === 'note' && m.text === NOTE));
    const file = await ctx.deps.db.get<{ created_at: number }>('SELECT created_at FROM attachments WHERE id = ?', [
      people.ana.attachmentId,
    ]);
    assert.deepEqual(
      body.attachments.map((a) => [a.id, a.name, a.file, a.created_at]),
      [
        [
          people.ana.attachmentId,
          'menu/../../etc.pdf',
          `attachments/${people.ana.attachmentId}-menu_.._.._etc.pdf`,
          file!.created_at,
        ],
      ],
    );
    // This very export is in the audit log before the document is written, so it is part of it.
    assert.deepEqual(
      body.audit_log.map((a) => [a.action, a.target]),
      [
        ['contact.corrected', `contact #${people.ana.contactId}`],
        ['export.person', `contact #${people.ana.contactId}`],
      ],
      `only the entries about contact #${people.ana.contactId} (not #${people.ana.contactId}0, not Bruno's)`,
    );
    assert.deepEqual(
      body.settings.map((s) => s.key),
      [`sandbox.profile.${ANA.psid}`],
    );
    assert.deepEqual(body.deletion_requests, []);
  });

  it("should hold the AI draft waiting for the person and the AI calls for their conversation, not another's", async () => {
    await saveDraft(ctx.deps.db, people.ana.conversationId, 'Draft for Ana');
    await saveDraft(ctx.deps.db, people.bruno.conversationId, 'Draft for Bruno');
    await recordCall(ctx.deps.db, {
      conversationId: people.ana.conversationId,
      purpose: 'suggest',
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      inputTokens: 7,
      outputTokens: 3,
      ms: 2,
      ok: true,
    });
    const body = (await apiExport(people.ana.contactId)).body as PersonExport;
    assert.deepEqual(
      body.ai_drafts.map((d) => d.text),
      ['Draft for Ana'],
    );
    assert.deepEqual(
      body.ai_calls.map((c) => [c.purpose, c.model, c.input_tokens, c.output_tokens]),
      [['suggest', 'claude-haiku-4-5', 7, 3]],
    );
  });

  it('should hold every message of a long thread once, in order, across pages', async () => {
    await seedMessages(ctx.deps.db, people.ana.conversationId, 2 * PAGE_ROWS + 3);
    const ids = ((await apiExport(people.ana.contactId)).body as PersonExport).messages.map((m) => m.id as number);
    const stored = await ctx.deps.db.all<{ id: number }>('SELECT id FROM messages WHERE conversation_id = ? ORDER BY id', [
      people.ana.conversationId,
    ]);
    assert.equal(ids.length, 2 * PAGE_ROWS + 6);
    assert.deepEqual(
      ids,
      stored.map((r) => r.id),
    );
  });

  it('should hold nothing about anyone else', async () => {
    const res = await apiExport(people.ana.contactId);
    for (const other of [
      BRUNO.psid,
      BRUNO.name,
      BRUNO.text,
      'BRUNO-CODE-1',
      `contact #${people.bruno.contactId}"`,
      `contact #${people.ana.contactId}0`,
    ])
      assert.ok(!res.text.includes(other), `Ana's export mentions ${other}`);
    const bruno = (await apiExport(people.bruno.contactId)).body as PersonExport;
    assert.deepEqual(
      bruno.deletion_requests.map((d) => d.code),
      ['BRUNO-CODE-1'],
    );
    const brunoText = JSON.stringify(bruno);
    for (const other of [ANA.psid, ANA.text, NOTE, 'menu/', 'vip'])
      assert.ok(!brunoText.includes(other), `Bruno's export mentions ${other}`);
  });

  it('should answer 404 for a contact that does not exist, and 401 without a token or session', async () => {
    const missing = await apiExport(999);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not-found');
    assert.equal((await apiExport('abc')).status, 404);
    const anonymous = await request(ctx.app).get(`/api/v1/contacts/${people.ana.contactId}/export`);
    assert.equal(anonymous.status, 401);
  });

  it('should zip the same JSON with their files for a signed-in staff member', async () => {
    const { agent } = await signIn(ctx.app, STAFF);
    const res = await agent.get(`/contacts/${people.ana.contactId}/export`).buffer(true).parse(binary);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/zip');
    assert.match(
      res.headers['content-disposition'],
      new RegExp(`^attachment; filename="contact-${people.ana.contactId}-export-[\\d-]+\\.zip"$`),
    );
    const zip = unzip(res.body as Buffer);
    const file = `attachments/${people.ana.attachmentId}-menu_.._.._etc.pdf`;
    assert.deepEqual([...zip.keys()], ['README.md', 'person.json', file]);
    assert.deepEqual(zip.get(file)!.data, PDF);
    const json = JSON.parse(text(zip, 'person.json')) as PersonExport;
    const api = (await apiExport(people.ana.contactId)).body as PersonExport & { exported_at: string };
    // The same document as the API gives, but for the time and the API call's own audit entry.
    assert.deepEqual(
      { ...json, exported_at: '', audit_log: json.audit_log.length },
      { ...api, exported_at: '', audit_log: api.audit_log.length - 1 },
    );
    assert.deepEqual(json.audit_log, api.audit_log.slice(0, -1));
    assert.match(text(zip, 'README.md'), /person\.json/);
  });

  it('should send a visitor who is not signed in to the sign-in page, and 404 a contact that does not exist', async () => {
    const anonymous = await request(ctx.app).get(`/contacts/${people.ana.contactId}/export`);
    assert.equal(anonymous.status, 303);
    assert.equal(anonymous.headers.location, `/login?next=${encodeURIComponent(`/contacts/${people.ana.contactId}/export`)}`);
    const { agent } = await signIn(ctx.app, OWNER);
    const missing = await agent.get('/contacts/999/export');
    assert.equal(missing.status, 404);
    assert.match(missing.headers['content-type'], /^text\/html/);
    assert.match(missing.text, /That contact does not exist/);
  });

  it('should audit-log each person export with the contact id, never a name or content', async () => {
    const before = (await ctx.deps.db.get<{ n: number }>('SELECT max(id) AS n FROM audit_log'))!.n;
    await apiExport(people.ana.contactId);
    const { agent } = await signIn(ctx.app, STAFF);
    await agent.get(`/contacts/${people.ana.contactId}/export`).buffer(true).parse(binary);
    const rows = await ctx.deps.db.all<Record<string, unknown>>(
      "SELECT actor, action, target, detail FROM audit_log WHERE id > ? AND action = 'export.person' ORDER BY id",
      [before],
    );
    assert.deepEqual(rows, [
      {
        actor: 'api token "helpdesk"',
        action: 'export.person',
        target: `contact #${people.ana.contactId}`,
        detail: '{"via":"api"}',
      },
      { actor: STAFF, action: 'export.person', target: `contact #${people.ana.contactId}`, detail: '{"via":"web"}' },
    ]);
  });
});
