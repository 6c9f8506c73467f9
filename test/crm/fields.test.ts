// Typed custom fields: the owner defines them in Settings → Contact fields (owner only), the contact
// forms show them with the right input, and every door (the page's form, the panel, the JSON API)
// checks their values by type, naming the field; fields without a definition stay free text.
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { typedValue } from '../../src/conversations/contact-details';
import { createFieldDef, listFieldDefs } from '../../src/crm/fields';
import { customerWrites, inboxContext, OWNER, STAFF, type InboxContext } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';

describe('Typed contact fields', () => {
  let ctx: InboxContext;
  let contactId: number;
  let owner: { agent: Agent; csrf: string };
  const who = { actor: 'test' };

  beforeEach(async () => {
    ctx = await inboxContext();
    const conversationId = await customerWrites(ctx, '4300000000000001', 'Hello');
    contactId = (await ctx.deps.db.get<{ contact_id: number }>('SELECT contact_id FROM conversations WHERE id = ?', [
      conversationId,
    ]))!.contact_id;
    owner = await signIn(ctx.app, OWNER);
  });
  afterEach(() => ctx.close());

  const fieldsOf = async () =>
    JSON.parse(
      (await ctx.deps.db.get<{ fields: string }>('SELECT fields FROM contacts WHERE id = ?', [contactId]))!.fields,
    ) as Record<string, string>;

  describe('typedValue', () => {
    it('should take numbers, real YYYY-MM-DD dates and defined choices only', () => {
      const number = { name: 'Orders', type: 'number' as const, choices: [] };
      assert.deepEqual(typedValue(number, '42'), { value: '42' });
      assert.deepEqual(typedValue(number, '-19.95'), { value: '-19.95' });
      assert.ok('message' in typedValue(number, 'forty'));
      assert.ok('message' in typedValue(number, '1e9'));
      const date = { name: 'Birthday', type: 'date' as const, choices: [] };
      assert.deepEqual(typedValue(date, '2024-02-29'), { value: '2024-02-29' });
      for (const bad of ['2023-02-29', '2024-13-01', '01/02/2024', '2024-1-1'])
        assert.ok('message' in typedValue(date, bad), bad);
      const size = { name: 'Size', type: 'choice' as const, choices: ['Small', 'Large'] };
      assert.deepEqual(typedValue(size, 'large'), { value: 'Large' });
      const wrong = typedValue(size, 'Huge');
      assert.ok('message' in wrong && /Small, Large/.test(wrong.message));
    });
  });

  describe('Settings → Contact fields', () => {
    it('should let the owner add, edit and remove fields, audit-logged', async () => {
      const page = await owner.agent.get('/settings/contact-fields');
      assert.equal(page.status, 200);
      assert.match(page.text, /No fields yet/);
      const add = await owner.agent
        .post('/settings/contact-fields')
        .type('form')
        .send({ _csrf: owner.csrf, name: 'Size', type: 'choice', choices: 'Small\nLarge\nsmall', position: '' });
      assert.equal(add.status, 303);
      assert.equal(add.headers.location, '/settings/contact-fields?saved=1');
      const [def] = await listFieldDefs(ctx.deps.db);
      assert.deepEqual(
        { name: def.name, type: def.type, choices: def.choices },
        { name: 'Size', type: 'choice', choices: ['Small', 'Large'] },
      );
      const edit = await owner.agent
        .post(`/settings/contact-fields/${def.id}`)
        .type('form')
        .send({ _csrf: owner.csrf, name: 'Shirt size', type: 'choice', choices: 'S, M, L', position: '3' });
      assert.equal(edit.status, 303);
      assert.deepEqual((await listFieldDefs(ctx.deps.db))[0].choices, ['S', 'M', 'L']);
      const del = await owner.agent.post(`/settings/contact-fields/${def.id}/delete`).type('form').send({ _csrf: owner.csrf });
      assert.equal(del.status, 303);
      assert.equal((await listFieldDefs(ctx.deps.db)).length, 0);
      const actions = await ctx.deps.db.all<{ action: string }>(
        "SELECT action FROM audit_log WHERE action LIKE 'contact_field.%' ORDER BY id",
      );
      assert.deepEqual(
        actions.map((a) => a.action),
        ['contact_field.created', 'contact_field.updated', 'contact_field.deleted'],
      );
    });

    it('should show the form again with its mistakes: no name, an unknown type, a choice field without choices, a taken name', async () => {
      const send = (body: Record<string, string>) =>
        owner.agent
          .post('/settings/contact-fields')
          .type('form')
          .send({ _csrf: owner.csrf, ...body });
      const bad = await send({ name: '', type: 'colour', choices: '' });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /Give the field a name/);
      assert.match(bad.text, /Choose text, number, date or choice/);
      assert.match((await send({ name: 'Size', type: 'choice', choices: ' ' })).text, /List the choices/);
      assert.equal((await send({ name: 'Tier', type: 'text' })).status, 303);
      const taken = await send({ name: 'tier', type: 'number' });
      assert.equal(taken.status, 409);
      assert.match(taken.text, /already a field called tier/);
      assert.equal((await listFieldDefs(ctx.deps.db)).length, 1);
      assert.equal(
        (await owner.agent.post('/settings/contact-fields/999/delete').type('form').send({ _csrf: owner.csrf })).status,
        404,
      );
    });

    it('should be the owner’s only: staff get 403', async () => {
      const staff = await signIn(ctx.app, STAFF);
      assert.equal((await staff.agent.get('/settings/contact-fields')).status, 403);
      const post = await staff.agent
        .post('/settings/contact-fields')
        .type('form')
        .send({ _csrf: staff.csrf, name: 'X', type: 'text' });
      assert.equal(post.status, 403);
      assert.equal((await listFieldDefs(ctx.deps.db)).length, 0);
    });
  });

  describe('on the contact forms and the API', () => {
    beforeEach(async () => {
      await createFieldDef(ctx.deps.db, { name: 'Orders', type: 'number', choices: [], position: 1 }, who);
      await createFieldDef(ctx.deps.db, { name: 'Birthday', type: 'date', choices: [], position: 2 }, who);
      await createFieldDef(ctx.deps.db, { name: 'Size', type: 'choice', choices: ['Small', 'Large'], position: 3 }, who);
    });

    it('should render defined fields with their input types, in order, before free ones', async () => {
      await ctx.deps.db.run(`UPDATE contacts SET fields = '{"City":"Lyon","orders":"3"}' WHERE id = ?`, [contactId]);
      const page = await owner.agent.get(`/contacts/${contactId}`);
      assert.equal(page.status, 200);
      const orders = page.text.indexOf('>Orders<');
      const birthday = page.text.indexOf('>Birthday<');
      const city = page.text.indexOf('value="City"');
      assert.ok(orders > 0 && orders < birthday && birthday < city, 'typed fields first, in order');
      assert.match(page.text, /name="field_value_0" value="3" inputmode="decimal"/);
      assert.match(page.text, /<input type="date" name="field_value_1" value=""/);
      assert.match(page.text, /<select name="field_value_2">\s*<option value="">—<\/option>/);
    });

    it('should refuse values of the wrong type from the form, naming the field, and save nothing', async () => {
      const res = await owner.agent.post(`/contacts/${contactId}`).type('form').send({
        _csrf: owner.csrf,
        field_key_0: 'Orders',
        field_value_0: 'many',
        field_key_1: 'Birthday',
        field_value_1: '2024-02-30',
        field_key_2: 'Size',
        field_value_2: 'small',
      });
      assert.equal(res.status, 422);
      assert.match(res.text, /&#34;Orders&#34; takes a number/);
      assert.deepEqual(await fieldsOf(), {});
      const ok = await owner.agent.post(`/contacts/${contactId}`).type('form').send({
        _csrf: owner.csrf,
        field_key_0: 'orders',
        field_value_0: '12',
        field_key_1: 'Birthday',
        field_value_1: '1990-05-17',
        field_key_2: 'Size',
        field_value_2: 'small',
        field_key_3: 'City',
        field_value_3: 'anything at all',
      });
      assert.equal(ok.status, 303);
      assert.deepEqual(await fieldsOf(), { Orders: '12', Birthday: '1990-05-17', Size: 'Small', City: 'anything at all' });
    });

    it('should check PATCH /api/v1/contacts/:id fields too: 422 naming the field', async () => {
      const token = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'crm', role: 'staff' })).token}`;
      const patch = (fields: Record<string, unknown>) =>
        request(ctx.app).patch(`/api/v1/contacts/${contactId}`).set('authorization', token).send({ fields });
      const bad = await patch({ Birthday: 'next week' });
      assert.equal(bad.status, 422);
      assert.equal(bad.body.error.code, 'invalid-fields');
      assert.equal(bad.body.error.field, 'fields.Birthday');
      assert.match(bad.body.error.message, /YYYY-MM-DD/);
      assert.equal((await patch({ Size: 'Medium' })).body.error.field, 'fields.Size');
      const ok = await patch({ Size: 'large', Orders: '7', Note: 'free text stays free' });
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.body.fields, { Size: 'Large', Orders: '7', Note: 'free text stays free' });
    });
  });
});
