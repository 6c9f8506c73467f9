// The contact panel beside a conversation: the person's parts in compact form, edited through the
// same form as their page (POST /contacts/:id, answered with the panel for htmx), audit-logged; and
// the phone numbers and addresses the customer typed, offered as one-click suggestions.
import assert from 'node:assert/strict';
import { findSuggestions, phoneOf } from '../../src/crm/panel';
import { setSetting } from '../../src/settings/store';
import { customersWrite, customerWrites, inboxContext, STAFF, type InboxContext } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';

describe('The contact panel', () => {
  let ctx: InboxContext;
  let conversationId: number;
  let contactId: number;
  let staff: { agent: Agent; csrf: string };
  const PSID = '4400000000000001';

  beforeEach(async () => {
    ctx = await inboxContext();
    await setSetting(ctx.deps.db, `sandbox.profile.${PSID}`, 'Lena Vogel');
    conversationId = await customerWrites(ctx, PSID, 'Hi! Call me on +49 30 1234 5678 please');
    await customersWrite(ctx, [{ psid: PSID, text: 'or write to Lena.Vogel@example.org. Order 1234.' }]);
    await ctx.deps.workflow.addLabel(conversationId, 'wholesale');
    contactId = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [PSID]))!.id;
    await ctx.deps.db.run(`UPDATE contacts SET lead_source = 'ad 42', fields = '{"City":"Bremen"}' WHERE id = ?`, [contactId]);
    staff = await signIn(ctx.app, STAFF);
  });
  afterEach(() => ctx.close());

  const panelPost = (fields: Record<string, string>) =>
    staff.agent
      .post(`/contacts/${contactId}`)
      .set('HX-Request', 'true')
      .set('HX-Target', 'contact-panel')
      .type('form')
      .send({ _csrf: staff.csrf, ...fields });

  describe('GET /conversations/:id', () => {
    it('should show the panel beside the thread: name, labels, custom fields, lead source, first seen, a link to the page', async () => {
      const res = await staff.agent.get(`/conversations/${conversationId}`);
      assert.equal(res.status, 200);
      const panel =
        /<details class="contact-panel" id="contact-panel"[\s\S]*?<\/details>\s*<\/section>/.exec(res.text)?.[0] ?? '';
      assert.ok(panel, 'the panel is there');
      assert.match(panel, /<dt>Name<\/dt>\s*<dd>Lena Vogel/);
      assert.match(panel, /<span class="label label-\w+">wholesale<\/span>/);
      assert.match(panel, /<dt>City<\/dt>\s*<dd>Bremen<\/dd>/);
      assert.match(panel, /<dt>Lead source<\/dt>\s*<dd>ad 42<\/dd>/);
      assert.match(panel, /<dt>First seen<\/dt>/);
      assert.match(panel, new RegExp(`<a href="/contacts/${contactId}">Full contact page`));
      assert.match(panel, new RegExp(`hx-post="/contacts/${contactId}" hx-target="#contact-panel"`));
      assert.match(res.text, /<script src="\/static\/js\/contact-panel.js" defer><\/script>/);
    });

    it("should show the person's lead (stage, value, close date) with a way to change it, or a way to make them one", async () => {
      const panelOf = async () =>
        /<dd id="panel-lead">[\s\S]*?<\/dd>/.exec((await staff.agent.get(`/conversations/${conversationId}`)).text)?.[0] ?? '';
      assert.match(
        await panelOf(),
        new RegExp(`Not a lead yet\\. <a class="small" href="/contacts/${contactId}#lead">Make a lead</a>`),
      );
      await ctx.deps.leads.change(
        contactId,
        { stage: 'Qualified', value: '250', expected_close: '2026-12-24' },
        { actor: 'test' },
      );
      const lead = await panelOf();
      assert.match(lead, /<strong>Qualified<\/strong> · 250\.00 · closes 2026-12-24/);
      assert.match(lead, new RegExp(`href="/contacts/${contactId}#lead">change</a>`));
    });

    it('should offer what the customer typed as one-click suggestions, on the panel and the page', async () => {
      for (const url of [`/conversations/${conversationId}`, `/contacts/${contactId}`]) {
        const res = await staff.agent.get(url);
        assert.match(res.text, /name="phone" value="\+49 30 1234 5678"/, url);
        assert.match(res.text, /name="email" value="Lena.Vogel@example.org"/, url);
        assert.match(res.text, /Use as phone/, url);
        assert.doesNotMatch(res.text, /value="1234"/, url);
      }
    });
  });

  describe('POST /contacts/:id from the panel', () => {
    it('should save, answer with the panel showing the change, and audit-log the fields changed', async () => {
      const res = await panelPost({ name: 'Lena V.', phone: '+49 30 1234 5678', email: '' });
      assert.equal(res.status, 200);
      assert.match(res.text, /^<details class="contact-panel" id="contact-panel"/m);
      assert.doesNotMatch(res.text, /<html/);
      assert.match(res.text, /Details saved\./);
      assert.match(res.text, /<dt>Phone<\/dt>\s*<dd>\+49 30 1234 5678<\/dd>/);
      assert.match(res.text, /Lena V\. <span class="muted small">\(Messenger: Lena Vogel\)/);
      // The suggestion now in use is offered no more.
      assert.doesNotMatch(res.text, /name="phone" value="\+49 30 1234 5678">\s*<button/);
      const row = await ctx.deps.db.get<{ action: string; detail: string }>(
        'SELECT action, detail FROM audit_log WHERE target = ? ORDER BY id DESC',
        [`contact #${contactId}`],
      );
      assert.equal(row!.action, 'contact.updated');
      assert.deepEqual(JSON.parse(row!.detail), { fields: ['name', 'phone'] });
    });

    it('should take a suggestion alone (only that field changes)', async () => {
      const res = await panelPost({ email: 'Lena.Vogel@example.org' });
      assert.equal(res.status, 200);
      const stored = await ctx.deps.db.get<{ name: string; email: string; fields: string }>(
        'SELECT name, email, fields FROM contacts WHERE id = ?',
        [contactId],
      );
      assert.deepEqual(stored, { name: 'Lena Vogel', email: 'Lena.Vogel@example.org', fields: '{"City":"Bremen"}' });
    });

    it('should answer the panel with its mistakes (422) and save nothing', async () => {
      const res = await panelPost({ phone: 'call me', email: 'not-an-address' });
      assert.equal(res.status, 422);
      assert.match(res.text, /^<details class="contact-panel"/m);
      assert.match(res.text, /Nothing was saved/);
      assert.match(res.text, /<details class="contact-panel-edit" open>/);
      assert.match(res.text, /name="phone" value="call me"/);
      const stored = await ctx.deps.db.get<{ phone: string | null }>('SELECT phone FROM contacts WHERE id = ?', [contactId]);
      assert.equal(stored!.phone, null);
    });

    it('should still redirect a plain form post to the page (no htmx)', async () => {
      const res = await staff.agent.post(`/contacts/${contactId}`).type('form').send({ _csrf: staff.csrf, phone: '030 1234567' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/contacts/${contactId}?saved=1`);
    });
  });

  describe('findSuggestions', () => {
    it('should find phones and addresses, newest first, each once, and skip what is no phone', () => {
      const found = findSuggestions(
        [
          'new number: (030) 555-0199, mail me at ana@example.com.',
          'old: 030 555 0199 and +1 415.555.0123; order #12345 on 2024-05-01, ana@EXAMPLE.com',
        ],
        { phone: null, email: null },
      );
      assert.deepEqual(found.phones, ['(030) 555-0199', '+1 415 555 0123']);
      assert.deepEqual(found.emails, ['ana@example.com']);
      assert.equal(phoneOf('2024-05-01'), undefined);
      assert.equal(phoneOf('12345'), undefined);
      assert.deepEqual(findSuggestions(['ring 030 555 0199'], { phone: '0305550199', email: null }).phones, []);
    });
  });
});
