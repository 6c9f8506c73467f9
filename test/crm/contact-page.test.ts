// GET /contacts/:id, a person's page, and its form (POST /contacts/:id): what it shows, saving,
// mistakes shown in place with what was typed kept, who may see it, and the links that lead to it.
import assert from 'node:assert/strict';
import ejs from 'ejs';
import request from 'supertest';
import { setSetting } from '../../src/settings/store';
import { customerWrites, inboxContext, OWNER, STAFF, type InboxContext } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';

describe('A contact page', () => {
  let ctx: InboxContext;
  let contactId: number;
  let conversationId: number;
  let staff: { agent: Agent; csrf: string };
  const PSID = '4200000000000042';

  beforeEach(async () => {
    ctx = await inboxContext();
    await setSetting(ctx.deps.db, `sandbox.profile.${PSID}`, 'Mehmet Yılmaz');
    conversationId = await customerWrites(ctx, PSID, 'Do you deliver on Sundays?');
    await ctx.deps.workflow.addLabel(conversationId, 'delivery');
    contactId = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [PSID]))!.id;
    await ctx.deps.db.run("UPDATE contacts SET phone = '+90 212 555 0101' WHERE id = ?", [contactId]);
    await ctx.deps.leads.change(contactId, {}, { actor: 'test' });
    staff = await signIn(ctx.app, STAFF);
  });
  afterEach(() => ctx.close());

  const page = () => staff.agent.get(`/contacts/${contactId}`);
  const save = (fields: Record<string, string>, agent = staff.agent, csrf = staff.csrf) =>
    agent
      .post(`/contacts/${contactId}`)
      .type('form')
      .send({ _csrf: csrf, ...fields });
  const stored = () =>
    ctx.deps.db.get<{ name: string | null; phone: string | null; email: string | null; fields: string }>(
      'SELECT name, phone, email, fields FROM contacts WHERE id = ?',
      [contactId],
    );
  /** The value attribute of the input with this name. */
  const valueOf = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];

  describe('GET /contacts/:id', () => {
    it('should show the Messenger name, the details, first seen, the conversation, labels and lead stage', async () => {
      const res = await page();
      assert.equal(res.status, 200);
      assert.match(res.text, /<h1>Mehmet Yılmaz<\/h1>/);
      assert.match(res.text, /<dt>Messenger name<\/dt>\s*<dd>Mehmet Yılmaz<\/dd>/);
      assert.match(res.text, /<dt>First seen<\/dt>/);
      assert.match(res.text, /<dt>Lead stage<\/dt>\s*<dd>New/);
      assert.match(res.text, /<span class="label label-\w+">delivery<\/span>/);
      assert.match(res.text, new RegExp(`<a href="/conversations/${conversationId}">Open the conversation</a>`));
      assert.equal(valueOf(res.text, 'name'), 'Mehmet Yılmaz');
      assert.equal(valueOf(res.text, 'phone'), '+90 212 555 0101');
      assert.equal(valueOf(res.text, 'email'), '');
      assert.match(res.text, new RegExp(`<form method="post" action="/contacts/${contactId}"`));
      assert.match(res.text, /name="_csrf" value="[^"]+"/);
    });

    it('should be open to the owner too, and send anonymous visitors to sign in', async () => {
      const owner = await signIn(ctx.app, OWNER);
      assert.equal((await owner.agent.get(`/contacts/${contactId}`)).status, 200);
      const anonymous = await request(ctx.app).get(`/contacts/${contactId}`);
      assert.equal(anonymous.status, 303);
      assert.equal(anonymous.headers.location, `/login?next=${encodeURIComponent(`/contacts/${contactId}`)}`);
      const post = await request(ctx.app).post(`/contacts/${contactId}`).type('form').send({ name: 'x' });
      assert.ok([303, 403].includes(post.status), `anonymous POST answered ${post.status}`);
      assert.equal((await stored())!.name, 'Mehmet Yılmaz');
    });

    it('should answer a readable 404 page for a contact that does not exist', async () => {
      for (const id of ['999999', 'abc', '0']) {
        const res = await staff.agent.get(`/contacts/${id}`);
        assert.equal(res.status, 404, id);
        assert.match(res.headers['content-type'], /html/);
        assert.match(res.text, /That contact does not exist|nothing at this address/);
      }
    });

    it('should be reached from the Contacts list and from the conversation header', async () => {
      const list = await staff.agent.get('/contacts');
      assert.match(list.text, new RegExp(`<a href="/contacts/${contactId}">Mehmet Yılmaz</a>`));
      const conversation = await staff.agent.get(`/conversations/${conversationId}`);
      assert.match(conversation.text, new RegExp(`<h1[^>]*><a href="/contacts/${contactId}"[^>]*>Mehmet Yılmaz</a></h1>`));
    });
  });

  describe('POST /contacts/:id', () => {
    it('should save the details and go back to the page (303), which says so and shows them', async () => {
      const res = await save({
        name: 'Mehmet Yilmaz',
        phone: '+90 212 555 0199',
        email: 'mehmet@example.com',
        field_key_0: 'Order no',
        field_value_0: 'B-77',
        field_key_1: 'District',
        field_value_1: 'Kadıköy',
        field_key_2: '',
        field_value_2: '',
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/contacts/${contactId}?saved=1`);
      assert.deepEqual(await stored(), {
        name: 'Mehmet Yilmaz',
        phone: '+90 212 555 0199',
        email: 'mehmet@example.com',
        fields: JSON.stringify({ 'Order no': 'B-77', District: 'Kadıköy' }),
      });
      const shown = await staff.agent.get(res.headers.location);
      assert.match(shown.text, /Details saved\./);
      assert.match(shown.text, /<h1>Mehmet Yilmaz<\/h1>/);
      assert.match(shown.text, /Known on Messenger as Mehmet Yılmaz/);
      assert.equal(valueOf(shown.text, 'field_key_1'), 'District');
      assert.equal(valueOf(shown.text, 'field_value_1'), 'Kadıköy');
      // Two empty rows to add more.
      assert.equal(valueOf(shown.text, 'field_key_3'), '');

      const audit = await ctx.deps.db.all<{ actor: string; actor_user_id: number; target: string; detail: string }>(
        "SELECT actor, actor_user_id, target, detail FROM audit_log WHERE action = 'contact.updated'",
      );
      assert.deepEqual(audit, [
        {
          actor: STAFF,
          actor_user_id: ctx.staffId,
          target: `contact #${contactId}`,
          detail: JSON.stringify({ fields: ['name', 'phone', 'email', 'fields'] }),
        },
      ]);
    });

    it('should remove a custom field whose value was cleared, and put the Messenger name back when the name is emptied', async () => {
      await save({ name: 'Memo', field_key_0: 'A', field_value_0: '1', field_key_1: 'B', field_value_1: '2' });
      const res = await save({ name: '', field_key_0: 'A', field_value_0: '', field_key_1: 'B', field_value_1: '2' });
      assert.equal(res.status, 303);
      const row = await stored();
      assert.equal(row!.name, 'Mehmet Yılmaz');
      assert.deepEqual(JSON.parse(row!.fields), { B: '2' });
    });

    it('should show every mistake in place, keep what was typed, and save nothing', async () => {
      const before = await stored();
      const typed = {
        name: 'Mehmet the Baker',
        phone: 'call after 6',
        email: 'mehmet at example',
        field_key_0: 'Order no',
        field_value_0: 'B-78',
        field_key_1: '',
        field_value_1: 'a value without a name',
      };
      const res = await save(typed);
      assert.equal(res.status, 422);
      assert.match(res.text, /Nothing was saved/);
      assert.match(res.text, /<p class="field-error" id="phone-error">Enter a phone number/);
      assert.match(res.text, /<p class="field-error" id="email-error">Enter an email address/);
      assert.match(res.text, /<p class="field-error" id="fields-error">Give each custom field a name\.<\/p>/);
      assert.doesNotMatch(res.text, /id="name-error"/);
      assert.match(res.text, /name="phone" value="call after 6"[^>]*\s+aria-invalid="true"/);
      for (const [name, value] of Object.entries(typed)) assert.equal(valueOf(res.text, name), value, name);
      assert.deepEqual(await stored(), before);
      assert.equal(
        (await ctx.deps.db.get<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'contact.updated'"))!.n,
        0,
      );
    });

    it('should keep a hostile value escaped when it re-renders', async () => {
      const payload = '"><script>alert(1)</script>';
      const res = await save({ name: payload, email: payload });
      assert.equal(res.status, 422);
      assert.ok(res.text.includes(`value="${ejs.escapeXML(payload)}"`));
      assert.ok(!res.text.includes('<script>alert(1)</script>'));
    });

    it('should take the same form from htmx (boosted, X-CSRF-Token) and refuse it without a CSRF token', async () => {
      const boosted = await staff.agent
        .post(`/contacts/${contactId}`)
        .set('HX-Request', 'true')
        .set('X-CSRF-Token', staff.csrf)
        .type('form')
        .send({ email: 'boost@example.com' });
      assert.equal(boosted.status, 303);
      assert.equal((await stored())!.email, 'boost@example.com');
      const forged = await staff.agent.post(`/contacts/${contactId}`).type('form').send({ email: 'forged@example.com' });
      assert.equal(forged.status, 403);
      assert.equal((await stored())!.email, 'boost@example.com');
    });

    it('should show the corrected name in the inbox list at once', async () => {
      await save({ name: 'Mehmet (bakery)' });
      const inbox = await staff.agent.get('/');
      assert.match(inbox.text, /<span class="who">Mehmet \(bakery\)<\/span>/);
    });
  });
});
