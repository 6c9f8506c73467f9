// GET and PATCH /api/v1/contacts/:id: a person's details, and correcting them (the correction
// right). Every validation error names its field and changes nothing; a corrected name shows in
// the conversations API, the inbox list and search; each change is audit-logged by field name only.
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { setSetting } from '../../src/settings/store';
import { customerWrites, inboxContext, listen, sessionCookie, SseStream, STAFF, type InboxContext } from '../inbox/support';
import { signIn } from '../support/browser-session';

interface AuditRow {
  actor: string;
  actor_user_id: number | null;
  action: string;
  target: string;
  detail: string;
}

describe('The contacts API', () => {
  let ctx: InboxContext;
  let contactId: number;
  let conversationId: number;
  let staffToken: string;
  const PSID = '4100000000000001';

  beforeEach(async () => {
    ctx = await inboxContext();
    // In sandbox mode the profile lookup reads the name the Simulator registered.
    await setSetting(ctx.deps.db, `sandbox.profile.${PSID}`, 'Ana Lima');
    conversationId = await customerWrites(ctx, PSID, 'Hello, is my order ready?');
    await ctx.deps.workflow.addLabel(conversationId, 'vip');
    contactId = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [PSID]))!.id;
    staffToken = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'zapier', role: 'staff' })).token}`;
  });
  afterEach(() => ctx.close());

  const get = (id: number | string = contactId, auth = staffToken) =>
    request(ctx.app).get(`/api/v1/contacts/${id}`).set('authorization', auth);
  const patch = (body: unknown, id: number | string = contactId, auth = staffToken) =>
    request(ctx.app)
      .patch(`/api/v1/contacts/${id}`)
      .set('authorization', auth)
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));
  const stored = () =>
    ctx.deps.db.get<{
      name: string | null;
      messenger_name: string | null;
      phone: string | null;
      email: string | null;
      fields: string;
    }>('SELECT name, messenger_name, phone, email, fields FROM contacts WHERE id = ?', [contactId]);
  const auditRows = () =>
    ctx.deps.db.all<AuditRow>(
      "SELECT actor, actor_user_id, action, target, detail FROM audit_log WHERE action = 'contact.updated' ORDER BY id",
    );

  describe('GET /api/v1/contacts/:id', () => {
    it('should give the contact with its labels, fields and lead', async () => {
      const res = await get();
      assert.equal(res.status, 200);
      assert.deepEqual(
        {
          id: res.body.id,
          psid: res.body.psid,
          name: res.body.name,
          messenger_name: res.body.messenger_name,
          name_corrected: res.body.name_corrected,
          phone: res.body.phone,
          email: res.body.email,
          labels: res.body.labels,
          fields: res.body.fields,
          lead: res.body.lead,
          conversations: res.body.conversations.map((c: { id: number }) => c.id),
        },
        {
          id: contactId,
          psid: PSID,
          name: 'Ana Lima',
          messenger_name: 'Ana Lima',
          name_corrected: false,
          phone: null,
          email: null,
          labels: ['vip'],
          fields: {},
          lead: { stage: null, source: null, value: null, expected_close: null, owner_id: null, lost_reason: null },
          conversations: [conversationId],
        },
      );
    });

    it('should show the person’s lead (src/crm/leads.ts) and their source (read-only here)', async () => {
      await ctx.deps.db.run("UPDATE contacts SET lead_stage = 'legacy', lead_source = 'ad' WHERE id = ?", [contactId]);
      await ctx.deps.leads.change(contactId, { stage: 'Qualified', value: '1250.5', owner_id: ctx.staffId }, { actor: 'test' });
      assert.deepEqual((await get()).body.lead, {
        stage: 'Qualified',
        source: 'ad',
        value: 1250.5,
        expected_close: null,
        owner_id: ctx.staffId,
        lost_reason: null,
      });
    });

    it('should answer 404 JSON for a contact that does not exist, and 401 without a token', async () => {
      for (const id of ['999999', '0', 'abc', '1.5']) {
        const res = await get(id);
        assert.equal(res.status, 404, id);
        assert.equal(res.body.error.code, 'not-found');
      }
      const anonymous = await request(ctx.app).get(`/api/v1/contacts/${contactId}`);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.error.code, 'unauthorized');
    });

    it('should serve a signed-in browser session as well as a token', async () => {
      const { agent } = await signIn(ctx.app, STAFF);
      const res = await agent.get(`/api/v1/contacts/${contactId}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.name, 'Ana Lima');
    });
  });

  describe('PATCH /api/v1/contacts/:id', () => {
    it('should correct the name, keep the Messenger name apart, and show the correction everywhere', async () => {
      const res = await patch({ name: '  Ana Beatriz Lima  ' });
      assert.equal(res.status, 200);
      assert.equal(res.body.name, 'Ana Beatriz Lima');
      assert.equal(res.body.messenger_name, 'Ana Lima');
      assert.equal(res.body.name_corrected, true);

      const list = await request(ctx.app).get('/api/v1/conversations').set('authorization', staffToken);
      assert.equal(list.body.data.find((c: { id: number }) => c.id === conversationId).contact.name, 'Ana Beatriz Lima');
      // The search index follows the name: the new word is found, and the conversation with it.
      const found = await request(ctx.app).get('/api/v1/conversations?q=Beatriz').set('authorization', staffToken);
      assert.deepEqual(
        found.body.data.map((c: { id: number }) => c.id),
        [conversationId],
      );

      const { agent } = await signIn(ctx.app, STAFF);
      const inbox = await agent.get('/');
      assert.match(inbox.text, /<span class="who">Ana Beatriz Lima<\/span>/);
      const search = await agent.get('/search?q=Beatriz');
      assert.match(search.text, /Ana <mark>Beatriz<\/mark> Lima|Ana Beatriz Lima/);
      const contacts = await agent.get('/contacts?q=Beatriz');
      assert.match(contacts.text, new RegExp(`href="/contacts/${contactId}">Ana Beatriz Lima</a>`));
    });

    it('should push the corrected name to open inbox lists and the open conversation within a second', async () => {
      const server = await listen(ctx);
      const staff = await sessionCookie(ctx, STAFF);
      const since = ctx.deps.live.cursor();
      const list = await SseStream.open(`${server.url}/events?status=open&who=all&since=${since}`, { Cookie: staff.cookie });
      const open = await SseStream.open(
        `${server.url}/events?status=open&who=all&conversation=${conversationId}&since=${since}`,
        {
          Cookie: staff.cookie,
        },
      );
      try {
        assert.equal((await patch({ name: 'Ana Beatriz Lima' })).status, 200);
        const row = await list.waitFor((e) => e.data.includes(`id="conv-row-${conversationId}"`), 1000, 'the row');
        assert.match(row.data, /<span class="who">Ana Beatriz Lima<\/span>/);
        const head = await open.waitFor((e) => e.data.includes('id="thread-head"'), 1000, 'the conversation header');
        assert.match(head.data, new RegExp(`<a href="/contacts/${contactId}"[^>]*>Ana Beatriz Lima</a>`));
      } finally {
        list.close();
        open.close();
        await server.close();
      }
    });

    it('should give back the Messenger name when the name is emptied or null', async () => {
      await patch({ name: 'Someone Else' });
      for (const empty of ['', '   ', null]) {
        await patch({ name: 'Someone Else' });
        const res = await patch({ name: empty });
        assert.equal(res.status, 200);
        assert.deepEqual([res.body.name, res.body.name_corrected], ['Ana Lima', false], JSON.stringify(empty));
      }
    });

    it('should set and clear phone and email, and merge fields (a text sets one, null or "" removes it)', async () => {
      let res = await patch({
        phone: '+49 (30) 123-4567',
        email: ' ana@example.com ',
        fields: { 'Order no': 'A-1042', City: 'Porto' },
      });
      assert.equal(res.status, 200);
      assert.deepEqual([res.body.phone, res.body.email], ['+49 (30) 123-4567', 'ana@example.com']);
      assert.deepEqual(res.body.fields, { 'Order no': 'A-1042', City: 'Porto' });
      res = await patch({ fields: { City: null, ' Order no ': 'A-1043', Size: 'M', Note: '' } });
      assert.deepEqual(res.body.fields, { 'Order no': 'A-1043', Size: 'M' });
      res = await patch({ phone: null, email: '' });
      assert.deepEqual([res.body.phone, res.body.email], [null, null]);
      // A field called "__proto__" is a field like any other.
      res = await patch({ fields: { ['__proto__']: 'x' } });
      assert.equal(res.status, 200);
      assert.equal(JSON.parse((await stored())!.fields).__proto__, 'x');
    });

    it('should answer an empty body with the contact unchanged', async () => {
      const res = await request(ctx.app).patch(`/api/v1/contacts/${contactId}`).set('authorization', staffToken);
      assert.equal(res.status, 200);
      assert.equal(res.body.name, 'Ana Lima');
      assert.deepEqual(await auditRows(), []);
    });

    const refusals: [string, unknown, number, string, string | null | undefined][] = [
      ['a list', [{ name: 'x' }], 400, 'invalid-body', null],
      ['a bare JSON string (not an object)', 'name', 400, 'malformed-json', undefined],
      ['an unknown field', { nickname: 'Ana' }, 400, 'unknown-field', 'nickname'],
      ['a read-only field', { psid: '1' }, 400, 'read-only-field', 'psid'],
      ['labels (not editable here)', { labels: ['x'] }, 400, 'read-only-field', 'labels'],
      ['a name that is a number', { name: 42 }, 400, 'invalid-name', 'name'],
      ['a name over 100 characters', { name: 'a'.repeat(101) }, 422, 'invalid-name', 'name'],
      ['a name with a line break', { name: 'Ana\nLima' }, 422, 'invalid-name', 'name'],
      ['an email without @', { email: 'ana.example.com' }, 422, 'invalid-email', 'email'],
      ['an email over 254 characters', { email: `${'a'.repeat(250)}@example.com` }, 422, 'invalid-email', 'email'],
      ['an email that is an object', { email: { at: 'x' } }, 400, 'invalid-email', 'email'],
      ['a phone with letters', { phone: 'call me' }, 422, 'invalid-phone', 'phone'],
      ['a phone with too few digits', { phone: '+1 23' }, 422, 'invalid-phone', 'phone'],
      ['a phone over 30 characters', { phone: '1'.repeat(31) }, 422, 'invalid-phone', 'phone'],
      ['a phone that is a number', { phone: 4930123456 }, 400, 'invalid-phone', 'phone'],
      ['fields as a list', { fields: ['a'] }, 400, 'invalid-fields', 'fields'],
      ['fields as text', { fields: 'a=b' }, 400, 'invalid-fields', 'fields'],
      ['a field value that is a number', { fields: { Size: 42 } }, 400, 'invalid-fields', 'fields.Size'],
      [
        'more than 30 fields',
        { fields: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`f${i}`, 'v'])) },
        422,
        'invalid-fields',
        'fields',
      ],
      [
        'a field name over 40 characters',
        { fields: { ['k'.repeat(41)]: 'v' } },
        422,
        'invalid-fields',
        `fields.${'k'.repeat(40)}…`,
      ],
      ['a field value over 500 characters', { fields: { Note: 'v'.repeat(501) } }, 422, 'invalid-fields', 'fields.Note'],
      ['two fields with one name', { fields: { City: 'a', ' city ': 'b' } }, 422, 'invalid-fields', 'fields.city'],
    ];
    for (const [what, body, status, code, field] of refusals) {
      it(`should refuse ${what} with ${status} ${code}, naming the field, and change nothing`, async () => {
        await patch({ phone: '+351 912 345 678', fields: { Keep: 'me' } });
        const before = await stored();
        const audited = (await auditRows()).length;
        const res = await patch(body);
        assert.equal(res.status, status, res.text);
        assert.equal(res.body.error.code, code);
        assert.equal(res.body.error.field, field);
        assert.equal(typeof res.body.error.message, 'string');
        assert.deepEqual(await stored(), before);
        assert.equal((await auditRows()).length, audited);
      });
    }

    it('should list every problem of a body at once, the first one named', async () => {
      const res = await patch({ name: 'x'.repeat(200), email: 'nope', phone: 'abc' });
      assert.equal(res.status, 422);
      assert.equal(res.body.error.field, 'name');
      assert.deepEqual(
        res.body.error.problems.map((p: { field: string }) => p.field),
        ['name', 'phone', 'email'],
      );
    });

    it('should audit-log each change with the names of the fields changed, never their values, and who made it', async () => {
      await patch({ name: 'Ana Beatriz Lima', email: 'ana@example.com', fields: { City: 'Porto' } });
      await patch({ email: 'ana@example.com' }); // unchanged: nothing to log
      const owner = await createApiToken(ctx.deps.db, { name: 'crm sync', role: 'owner' });
      await patch({ phone: '+351 912 345 678' }, contactId, `Bearer ${owner.token}`);
      const { agent, csrf } = await signIn(ctx.app, STAFF);
      const res = await agent.patch(`/api/v1/contacts/${contactId}`).set('X-CSRF-Token', csrf).send({ name: '' });
      assert.equal(res.status, 200);

      const rows = await auditRows();
      assert.deepEqual(
        rows.map((r) => [r.actor, r.actor_user_id, r.target, JSON.parse(r.detail)]),
        [
          ['token:zapier', null, `contact #${contactId}`, { fields: ['name', 'email', 'fields'] }],
          ['token:crm sync', null, `contact #${contactId}`, { fields: ['phone'] }],
          [STAFF, ctx.staffId, `contact #${contactId}`, { fields: ['name'] }],
        ],
      );
      const everything = JSON.stringify(await ctx.deps.db.all('SELECT * FROM audit_log'));
      for (const value of ['Ana', 'Lima', 'Beatriz', 'ana@example.com', 'Porto', '912'])
        assert.ok(!everything.includes(value), `the audit log holds ${value}`);
    });

    it('should answer 404 for a contact that does not exist, and 401 without a token', async () => {
      assert.equal((await patch({ name: 'x' }, 999999)).status, 404);
      const anonymous = await request(ctx.app).patch(`/api/v1/contacts/${contactId}`).send({ name: 'x' });
      assert.equal(anonymous.status, 401);
      assert.equal((await stored())!.name, 'Ana Lima');
    });
  });
});
