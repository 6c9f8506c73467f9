// The owner's full export (GET /api/v1/export, and the Privacy page's button): one ZIP, opened here
// by a reader of our own, with a README, JSON per entity, CSV for contacts and conversations, the
// attachments' bytes as files, and nothing that opens doors (password hashes, sessions, secrets).
import { saveDraft } from '../../src/ai/drafts';
import { addKnowledge } from '../../src/ai/knowledge';
import { recordCall } from '../../src/ai/ledger';
import { setSetting } from '../../src/settings/store';
import assert from 'node:assert/strict';
import http from 'node:http';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { inboxContext, listen, OWNER, sessionCookie, STAFF, type InboxContext } from '../inbox/support';
import { addUser, signIn } from '../support/browser-session';
import { unzip, text, type ZipEntry } from '../support/unzip';
import { ANA, binary, BRUNO, csvObjects, NOTE, parseCsv, PDF, seedMessages, twoPeople, type People } from './export-fixtures';

const FILES = [
  'README.md',
  'manifest.json',
  'contacts.json',
  'contacts.csv',
  'conversations.json',
  'conversations.csv',
  'messages.jsonl',
  'labels.json',
  'users.json',
  'canned_responses.json',
  'deletion_requests.json',
  'audit_log.json',
  'knowledge.json',
  'ai_drafts.json',
  'ai_calls.json',
  'settings.json',
];

describe('The full export, GET /api/v1/export', function () {
  this.timeout(30_000);
  let ctx: InboxContext;
  let people: People;
  let ownerToken: string;
  let staffToken: string;

  before(async () => {
    ctx = await inboxContext();
    people = await twoPeople(ctx);
    ownerToken = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'backup script', role: 'owner' })).token}`;
    staffToken = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'zapier', role: 'staff' })).token}`;
  });
  after(() => ctx.close());

  async function exportZip(): Promise<{ res: request.Response; zip: Map<string, ZipEntry> }> {
    const res = await request(ctx.app).get('/api/v1/export').set('authorization', ownerToken).buffer(true).parse(binary);
    assert.equal(res.status, 200, String(res.body));
    return { res, zip: unzip(res.body as Buffer) };
  }

  it('should refuse staff (token or session) with 403 and anonymous callers with 401, as JSON', async () => {
    const byToken = await request(ctx.app).get('/api/v1/export').set('authorization', staffToken);
    assert.equal(byToken.status, 403);
    assert.equal(byToken.body.error.code, 'forbidden');
    const { agent } = await signIn(ctx.app, STAFF);
    const bySession = await agent.get('/api/v1/export');
    assert.equal(bySession.status, 403);
    assert.equal(bySession.body.error.code, 'forbidden');
    const anonymous = await request(ctx.app).get('/api/v1/export');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.code, 'unauthorized');
  });

  it('should stream a ZIP download with a README, JSON per entity, the CSVs and the files', async () => {
    const { res, zip } = await exportZip();
    assert.equal(res.headers['content-type'], 'application/zip');
    assert.match(res.headers['content-disposition'], /^attachment; filename="chatx-export-\d{4}-\d\d-\d\d-\d{4}\.zip"$/);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['content-length'], undefined, 'streamed, so its length is not known up front');
    const file = `attachments/${people.ana.attachmentId}-menu_.._.._etc.pdf`;
    assert.deepEqual([...zip.keys()], [...FILES, file, 'attachments.json']);
    const readme = text(zip, 'README.md');
    for (const name of [...FILES.slice(1), 'attachments.json', 'attachments/'])
      assert.ok(readme.includes(`\`${name}\``), `the README describes ${name}`);
    const manifest = JSON.parse(text(zip, 'manifest.json'));
    assert.equal(manifest.format, 'chatx-export');
    assert.equal(manifest.counts.messages, 4);
    assert.equal(manifest.counts.files, 1);
    assert.equal(Number(res.headers['x-export-records']) > 0, true);
  });

  it('should hold every contact, conversation and message, private notes included', async () => {
    const { zip } = await exportZip();
    const contacts = JSON.parse(text(zip, 'contacts.json')) as Record<string, unknown>[];
    assert.deepEqual(
      contacts.map((c) => [c.psid, c.name]),
      [
        [ANA.psid, ANA.name],
        [BRUNO.psid, BRUNO.name],
      ],
    );
    assert.equal(contacts[0].phone, '+49 30 1234567');
    const conversations = JSON.parse(text(zip, 'conversations.json')) as Record<string, unknown>[];
    assert.deepEqual(
      conversations.map((c) => [c.id, c.contact_id, c.labels]),
      [
        [people.ana.conversationId, people.ana.contactId, ['vip']],
        [people.bruno.conversationId, people.bruno.contactId, []],
      ],
    );
    const lines = text(zip, 'messages.jsonl').split('\n');
    assert.equal(lines.pop(), '', 'every line ends with a newline');
    const messages = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const stored = await ctx.deps.db.all<Record<string, unknown>>('SELECT * FROM messages ORDER BY id');
    assert.deepEqual(messages, stored, 'each message exactly as stored');
    assert.ok(messages.some((m) => m.kind === 'note' && m.text === NOTE));
    assert.ok(messages.some((m) => m.text === ANA.text) && messages.some((m) => m.text === BRUNO.text));
    const deletions = JSON.parse(text(zip, 'deletion_requests.json')) as Record<string, unknown>[];
    assert.deepEqual(
      deletions.map((d) => d.code),
      ['BRUNO-CODE-1'],
    );
    assert.deepEqual(
      (JSON.parse(text(zip, 'labels.json')) as { name: string }[]).map((l) => l.name),
      ['vip'],
    );
  });

  it('should write the CSV columns the README names, quoting and defusing formulas', async () => {
    const { zip } = await exportZip();
    const readme = text(zip, 'README.md');
    const contactsCsv = text(zip, 'contacts.csv');
    const header = parseCsv(contactsCsv)[0];
    assert.deepEqual(header, ['id', 'psid', 'name', 'email', 'phone', 'lead_stage', 'lead_source', 'created_at', 'updated_at']);
    assert.ok(readme.includes(header.map((h) => `\`${h}\``).join(', ')), 'the README lists the contacts.csv columns');
    const [ana, bruno] = csvObjects(contactsCsv);
    assert.equal(ana.name, ANA.name, 'a name with quotes and a comma survives the round trip');
    assert.ok(contactsCsv.includes('"Ana ""Nana"" Lima, Jr."'));
    assert.equal(ana.phone, "'+49 30 1234567", 'a cell starting with + is not a formula');
    assert.equal(bruno.name, `'${BRUNO.name}`, 'a cell starting with = is not a formula');
    assert.match(ana.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const conversationsCsv = text(zip, 'conversations.csv');
    const columns = parseCsv(conversationsCsv)[0];
    assert.deepEqual(columns, [
      'id',
      'contact_id',
      'contact_name',
      'contact_psid',
      'status',
      'assignee_email',
      'labels',
      'messages',
      'last_message_at',
      'created_at',
    ]);
    assert.ok(readme.includes(columns.map((h) => `\`${h}\``).join(', ')), 'the README lists the conversations.csv columns');
    const rows = csvObjects(conversationsCsv);
    assert.deepEqual(
      rows.map((r) => [r.id, r.contact_psid, r.labels, r.messages, r.status]),
      [
        [String(people.ana.conversationId), ANA.psid, 'vip', '3', 'open'],
        [String(people.bruno.conversationId), BRUNO.psid, '', '1', 'open'],
      ],
    );
    assert.equal(rows[1].contact_name, `'${BRUNO.name}`);
  });

  it("should hold the AI's knowledge, the drafts waiting and the ledger of calls, never the provider's key", async () => {
    await addKnowledge(ctx.deps.db, { title: 'Opening hours', body: 'We open at nine.', always: false });
    const conversationId = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM conversations ORDER BY id LIMIT 1'))!.id;
    await saveDraft(ctx.deps.db, conversationId, 'A suggested reply about the cake');
    await recordCall(ctx.deps.db, {
      conversationId,
      purpose: 'suggest',
      provider: 'openai',
      model: 'gpt-5-mini',
      inputTokens: 10,
      outputTokens: 5,
      ms: 3,
      ok: true,
    });
    await setSetting(ctx.deps.db, 'ai.api_key', 'sk-export-must-not-leak');
    try {
      const { res, zip } = await exportZip();
      assert.deepEqual(
        (JSON.parse(text(zip, 'knowledge.json')) as { title: string }[]).map((k) => k.title),
        ['Opening hours'],
      );
      assert.deepEqual(
        (JSON.parse(text(zip, 'ai_drafts.json')) as { conversation_id: number; text: string }[]).map((d) => [
          d.conversation_id,
          d.text,
        ]),
        [[conversationId, 'A suggested reply about the cake']],
      );
      const calls = JSON.parse(text(zip, 'ai_calls.json')) as Record<string, unknown>[];
      assert.deepEqual(
        calls.map((c) => [c.conversation_id, c.purpose, c.model, c.input_tokens, c.output_tokens]),
        [[conversationId, 'suggest', 'gpt-5-mini', 10, 5]],
      );
      assert.ok(!(res.body as Buffer).includes('sk-export-must-not-leak'));
      assert.ok(!text(zip, 'settings.json').includes('ai.api_key'));
    } finally {
      await ctx.deps.db.run("DELETE FROM settings WHERE key = 'ai.api_key'");
    }
  });

  it("should hold each stored attachment's bytes under attachments/<id>-<safe name>", async () => {
    const { zip } = await exportZip();
    const attachments = JSON.parse(text(zip, 'attachments.json')) as Record<string, unknown>[];
    assert.equal(attachments.length, 1);
    const [pdf] = attachments;
    assert.equal(pdf.file, `attachments/${people.ana.attachmentId}-menu_.._.._etc.pdf`);
    assert.equal(pdf.conversation_id, people.ana.conversationId);
    assert.equal(pdf.size, PDF.length);
    const stored = await ctx.deps.db.get<{ created_at: number }>('SELECT created_at FROM attachments WHERE id = ?', [
      pdf.id as number,
    ]);
    assert.equal(pdf.created_at, stored!.created_at);
    assert.ok(!('data' in pdf), 'no bytes in the metadata');
    const entry = zip.get(pdf.file as string)!;
    assert.deepEqual(entry.data, PDF);
    assert.equal(entry.method, 0, 'a PDF is stored, not deflated again');
    assert.ok(![...zip.keys()].some((name) => name.includes('/../') || name.startsWith('/')), 'no entry escapes the folder');
  });

  it('should leave out password hashes, sessions and secret settings, and say so in the README', async () => {
    const { res, zip } = await exportZip();
    assert.ok(people.secrets.length >= 5);
    for (const [name, entry] of zip)
      for (const secret of people.secrets)
        assert.ok(!entry.data.includes(secret), `${name} holds the secret ${secret.slice(0, 8)}…`);
    for (const secret of people.secrets) assert.ok(!(res.body as Buffer).includes(secret));
    const users = JSON.parse(text(zip, 'users.json')) as Record<string, unknown>[];
    assert.deepEqual(
      users.map((u) => u.email),
      [OWNER, STAFF],
    );
    for (const user of users)
      assert.deepEqual(Object.keys(user).sort(), ['created_at', 'email', 'id', 'name', 'prefs', 'role', 'status', 'updated_at']);
    const settings = JSON.parse(text(zip, 'settings.json')) as { key: string }[];
    const keys = settings.map((s) => s.key);
    for (const secret of ['messenger.app_secret', 'messenger.verify_token', 'messenger.sandbox_secret']) {
      assert.ok(!keys.includes(secret), `${secret} is not exported`);
      assert.ok(text(zip, 'README.md').includes(`\`${secret}\``), `the README names ${secret} as left out`);
    }
    assert.ok(keys.includes(`sandbox.profile.${ANA.psid}`), 'ordinary settings are exported');
    assert.deepEqual(JSON.parse(text(zip, 'manifest.json')).left_out_settings.sort(), [
      'messenger.app_secret',
      'messenger.sandbox_secret',
      'messenger.verify_token',
    ]);
    assert.match(text(zip, 'README.md'), /## Left out, and why[\s\S]*Passwords and invitation tokens/);
  });

  it('should record each export in the audit log: who, how, never any content', async () => {
    await exportZip();
    const row = await ctx.deps.db.get<{ actor: string; action: string; target: string | null; detail: string }>(
      "SELECT actor, action, target, detail FROM audit_log WHERE action = 'export.full' ORDER BY id DESC LIMIT 1",
    );
    assert.deepEqual(row, { actor: 'api token "backup script"', action: 'export.full', target: null, detail: '{"via":"api"}' });
  });
});

describe("The Privacy page's export, with its progress", function () {
  this.timeout(30_000);
  let ctx: InboxContext;
  before(async () => {
    ctx = await inboxContext();
    await twoPeople(ctx);
  });
  after(() => ctx.close());

  it('should offer the owner "Export everything" with a progress bar that starts hidden', async () => {
    const { agent } = await signIn(ctx.app, OWNER);
    const page = await agent.get('/privacy/manage');
    assert.equal(page.status, 200);
    assert.match(page.text, /<section class="panel" id="export">/);
    assert.match(
      page.text,
      /<a class="button primary" href="\/privacy\/export" download hx-boost="false" data-export-start>Export everything<\/a>/,
    );
    assert.match(page.text, /<div class="export-progress" data-export-progress hidden>\s*<progress max="1" value="0"/);
    assert.match(page.text, /<script src="\/static\/js\/export\.js" defer><\/script>/);
  });

  it('should stream the ZIP and report its progress under the id the page made, to that owner only', async () => {
    const { agent } = await signIn(ctx.app, OWNER);
    const id = 'a1b2c3d4e5f6a7b8c9d0e1f2';
    const before = await agent.get(`/privacy/export/progress/${id}`);
    assert.deepEqual(before.body, { state: 'waiting', done: 0, total: 0 }, 'nothing has started under this id yet');
    const res = await agent.get(`/privacy/export?progress=${id}`).buffer(true).parse(binary);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/zip');
    const zip = unzip(res.body as Buffer);
    assert.ok(zip.has('messages.jsonl'));
    const progress = await agent.get(`/privacy/export/progress/${id}`);
    assert.equal(progress.headers['cache-control'], 'no-store');
    assert.equal(progress.body.state, 'done');
    assert.equal(progress.body.done, progress.body.total);
    assert.equal(progress.body.total, Number(res.headers['x-export-records']));
    // Another owner does not see this owner's run.
    await addUser(ctx.deps.db, 'second-owner@example.com', 'owner');
    const other = await signIn(ctx.app, 'second-owner@example.com');
    assert.equal((await other.agent.get(`/privacy/export/progress/${id}`)).body.state, 'waiting');
    const audit = await ctx.deps.db.get<{ actor: string; detail: string }>(
      "SELECT actor, detail FROM audit_log WHERE action = 'export.full' ORDER BY id DESC LIMIT 1",
    );
    assert.deepEqual(audit, { actor: OWNER, detail: '{"via":"web"}' });
  });

  it('should write one full export at a time, and tell the page why a second did not start', async () => {
    const { conversationId } = (await ctx.deps.db.get<{ conversationId: number }>(
      'SELECT min(id) AS conversationId FROM conversations',
    ))!;
    await seedMessages(ctx.deps.db, conversationId, 40_000);
    const server = await listen(ctx);
    const { cookie } = await sessionCookie(ctx, OWNER);
    try {
      // The first export, read by nobody: it waits on the full socket.
      const first = await new Promise<http.IncomingMessage>((resolve) =>
        http.get(`${server.url}/privacy/export`, { headers: { cookie } }, resolve),
      );
      assert.equal(first.statusCode, 200);
      const id = 'second-export-0123456789';
      const second = await fetch(`${server.url}/privacy/export?progress=${id}`, {
        headers: { cookie, accept: 'application/json' },
      });
      assert.equal(second.status, 409);
      assert.equal(((await second.json()) as { error: { code: string } }).error.code, 'export-running');
      const progress = await fetch(`${server.url}/privacy/export/progress/${id}`, { headers: { cookie } });
      assert.deepEqual(await progress.json(), {
        state: 'failed',
        done: 0,
        total: 0,
        message: 'A full export is being written already; try again when it has finished.',
      });
      // Read to the end, the first is whole; then the next may start.
      const chunks: Buffer[] = [];
      for await (const chunk of first) chunks.push(chunk as Buffer);
      assert.equal(
        text(unzip(Buffer.concat(chunks)), 'messages.jsonl')
          .trim()
          .split('\n').length >= 40_000,
        true,
      );
      assert.equal((await fetch(`${server.url}/privacy/export`, { headers: { cookie } })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('should refuse a progress id that is not one the page makes', async () => {
    const { agent } = await signIn(ctx.app, OWNER);
    assert.equal((await agent.get('/privacy/export?progress=short')).status, 400);
    assert.equal((await agent.get('/privacy/export?progress=<script>alert(1)</script>xxxxxxxx')).status, 400);
    const bad = await agent.get('/privacy/export/progress/not*an*id*at*all*ok').set('accept', 'application/json');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid-progress-id');
  });

  it('should refuse staff with the owner-only page, and send visitors to sign in', async () => {
    const { agent } = await signIn(ctx.app, STAFF);
    const res = await agent.get('/privacy/export');
    assert.equal(res.status, 403);
    assert.match(res.text, /Only the owner/);
    assert.equal((await agent.get('/privacy/export/progress/a1b2c3d4e5f6a7b8c9d0e1f2')).status, 403);
    const anonymous = await request(ctx.app).get('/privacy/export');
    assert.equal(anonymous.status, 303);
    assert.match(anonymous.headers.location, /^\/login\?next=/);
  });
});
