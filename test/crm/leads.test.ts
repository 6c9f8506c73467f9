// Leads and the pipeline: making a contact a lead, changing its stage, value, close date, owner and
// lost reason (events, closed_at, the audit by field name), the board and the table with their
// filters and sorting, the move by select (htmx and plain), the lead card on the contact page, the
// CSV, the owner's stage editor, and the JSON API. Bad input names its field and writes nothing.
import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { customerWrites, inboxContext, OWNER, STAFF, type InboxContext } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';

const WHO = { actor: 'test' };

describe('Leads', () => {
  let ctx: InboxContext;
  let ana: number;
  let ben: number;
  let cem: number;
  let staff: { agent: Agent; csrf: string };
  let token: string;

  const contactOf = async (psid: string, text: string) => {
    await customerWrites(ctx, psid, text);
    return (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts WHERE psid = ?', [psid]))!.id;
  };
  const leadRow = (contactId: number) =>
    ctx.deps.db.get<{
      id: number;
      stage: string;
      value_cents: number | null;
      expected_close: string | null;
      owner_id: number | null;
      lost_reason: string | null;
      closed_at: number | null;
    }>(
      `SELECT l.id, s.name AS stage, l.value_cents, l.expected_close, l.owner_id, l.lost_reason, l.closed_at
       FROM leads l JOIN lead_stages s ON s.id = l.stage_id WHERE l.contact_id = ?`,
      [contactId],
    );
  const stageId = async (name: string) =>
    (await ctx.deps.db.get<{ id: number }>('SELECT id FROM lead_stages WHERE name = ?', [name]))!.id;
  const events = (leadId: number) =>
    ctx.deps.db.all<{ kind: string; from_value: string | null; to_value: string | null }>(
      'SELECT kind, from_value, to_value FROM lead_events WHERE lead_id = ? ORDER BY id',
      [leadId],
    );

  beforeEach(async () => {
    ctx = await inboxContext();
    ana = await contactOf('4300000000000001', 'I would like a quote for 40 cakes');
    ben = await contactOf('4300000000000002', 'Do you cater weddings?');
    cem = await contactOf('4300000000000003', 'Just saying hi');
    await ctx.deps.db.run("UPDATE contacts SET name = 'Ana Lima', lead_source = 'ad:summer' WHERE id = ?", [ana]);
    await ctx.deps.db.run("UPDATE contacts SET name = '=Ben Formula', lead_source = 'link:bio' WHERE id = ?", [ben]);
    await ctx.deps.db.run("UPDATE contacts SET name = 'Cem Kaya' WHERE id = ?", [cem]);
    const conversation = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM conversations WHERE contact_id = ?', [ben]))!.id;
    await ctx.deps.workflow.addLabel(conversation, 'wedding');
    await ctx.deps.leads.change(ana, { value: '1250.50', owner_id: ctx.staffId }, WHO);
    await ctx.deps.leads.change(ben, { stage: 'Qualified', value: 300 }, WHO);
    staff = await signIn(ctx.app, STAFF);
    token = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'crm', role: 'staff' })).token}`;
  });
  afterEach(() => ctx.close());

  describe('the service (src/crm/leads.ts)', () => {
    it('should make a contact a lead in the first open stage and record it', async () => {
      const { lead, created } = await ctx.deps.leads.change(cem, {}, WHO);
      assert.equal(created, true);
      assert.equal(lead.stage.name, 'New');
      assert.deepEqual(await events(lead.id), [{ kind: 'created', from_value: null, to_value: 'New' }]);
      const audit = await ctx.deps.db.get<{ detail: string }>(
        "SELECT detail FROM audit_log WHERE action = 'lead.updated' AND target = ? ORDER BY id DESC",
        [`contact #${cem}`],
      );
      assert.deepEqual(JSON.parse(audit!.detail), { fields: ['created'] });
    });

    it('should record each change, close the lead in a won or lost stage and reopen it', async () => {
      const before = (await leadRow(ana))!;
      await ctx.deps.leads.change(ana, { stage: 'Lost', lost_reason: 'Too expensive' }, { actor: 'x', actorUserId: ctx.ownerId });
      const lost = (await leadRow(ana))!;
      assert.equal(lost.stage, 'Lost');
      assert.ok(lost.closed_at! > 0);
      assert.equal(lost.lost_reason, 'Too expensive');
      await ctx.deps.leads.change(ana, { stage: 'Contacted' }, WHO);
      assert.equal((await leadRow(ana))!.closed_at, null);
      assert.deepEqual((await events(before.id)).slice(-3), [
        { kind: 'stage', from_value: 'New', to_value: 'Lost' },
        { kind: 'lost_reason', from_value: null, to_value: 'Too expensive' },
        { kind: 'stage', from_value: 'Lost', to_value: 'Contacted' },
      ]);
      const audit = await ctx.deps.db.all<{ detail: string }>(
        "SELECT detail FROM audit_log WHERE action = 'lead.updated' AND target = ? ORDER BY id",
        [`contact #${ana}`],
      );
      assert.deepEqual(JSON.parse(audit.at(-2)!.detail), { fields: ['stage', 'lost_reason'] });
      assert.ok(!audit.some((a) => a.detail.includes('expensive')), 'values stay out of the audit log');
    });

    it('should change nothing when one field is wrong', async () => {
      const before = await leadRow(ana);
      const count = (await events(before!.id)).length;
      await assert.rejects(ctx.deps.leads.change(ana, { stage: 'Won', value: '-5' }, WHO), {
        status: 422,
        code: 'negative-value',
      });
      assert.deepEqual(await leadRow(ana), before);
      assert.equal((await events(before!.id)).length, count);
    });
  });

  describe('GET /leads', () => {
    it('should show a column per stage with the cards, a select to move each, and the navigation link', async () => {
      const res = await staff.agent.get('/leads');
      assert.equal(res.status, 200);
      assert.match(res.text, /<a href="\/leads" class="active" aria-current="page">Leads<\/a>/);
      for (const name of ['New', 'Contacted', 'Qualified', 'Won', 'Lost'])
        assert.match(res.text, new RegExp(`<h2 id="stage-\\d+">${name}</h2>`));
      assert.match(res.text, new RegExp(`<a href="/contacts/${ana}" class="lead-name">Ana Lima</a>`));
      assert.match(res.text, /<dd>1250\.50<\/dd>/);
      assert.match(res.text, /<dd>Sam Staff<\/dd>/);
      assert.match(res.text, /<dd>ad:summer<\/dd>/);
      const lead = (await leadRow(ana))!;
      assert.match(res.text, new RegExp(`hx-post="/leads/${lead.id}/stage"`));
      assert.match(res.text, new RegExp(`<select name="stage_id" id="move-${lead.id}">`));
      assert.doesNotMatch(res.text, /Cem Kaya/);
    });

    it('should filter by owner, stage, source and label', async () => {
      const names = async (query: string) => {
        const res = await staff.agent.get(`/leads?${query}`);
        assert.equal(res.status, 200, query);
        return ['Ana Lima', '=Ben Formula'].filter((n) => res.text.includes(`class="lead-name">${n}<`));
      };
      assert.deepEqual(await names(`owner=${ctx.staffId}`), ['Ana Lima']);
      assert.deepEqual(await names('owner=none'), ['=Ben Formula']);
      assert.deepEqual(await names(`stage=${await stageId('Qualified')}`), ['=Ben Formula']);
      assert.deepEqual(await names('source=ad%3Asummer'), ['Ana Lima']);
      assert.deepEqual(await names('label=wedding'), ['=Ben Formula']);
      assert.equal((await staff.agent.get('/leads?stage=Nope')).status, 400);
      assert.equal((await staff.agent.get('/leads?owner=someone')).status, 400);
    });

    it('should show a table sortable by its columns', async () => {
      const order = async (query: string) => {
        const res = await staff.agent.get(`/leads?view=table&${query}`);
        assert.equal(res.status, 200);
        return [...res.text.matchAll(/<td><a href="\/contacts\/\d+">([^<]+)<\/a><\/td>/g)].map((m) => m[1]);
      };
      assert.deepEqual(await order('sort=value&dir=asc'), ['=Ben Formula', 'Ana Lima']);
      assert.deepEqual(await order('sort=value&dir=desc'), ['Ana Lima', '=Ben Formula']);
      assert.deepEqual(await order('sort=stage&dir=desc'), ['=Ben Formula', 'Ana Lima']);
      assert.deepEqual(await order('sort=name&dir=asc&owner=none'), ['=Ben Formula']);
      // An unknown sort falls back to the newest first.
      assert.equal((await staff.agent.get('/leads?view=table&sort=evil;drop')).status, 200);
    });

    it('should send anonymous visitors to sign in', async () => {
      const res = await request(ctx.app).get('/leads');
      assert.equal(res.status, 303);
      assert.match(res.headers.location, /^\/login/);
    });
  });

  describe('POST /leads/:lead/stage', () => {
    it('should move a card and answer htmx with the board', async () => {
      const lead = (await leadRow(ana))!;
      const res = await staff.agent
        .post(`/leads/${lead.id}/stage`)
        .set('HX-Request', 'true')
        .type('form')
        .send({ _csrf: staff.csrf, stage_id: String(await stageId('Won')) });
      assert.equal(res.status, 200);
      assert.match(res.text, /^\s*<div class="lead-board" id="leads-board"/);
      assert.doesNotMatch(res.text, /<html/);
      assert.equal((await leadRow(ana))!.stage, 'Won');
    });

    it('should go back to the board with its filters without htmx', async () => {
      const lead = (await leadRow(ana))!;
      const res = await staff.agent
        .post(`/leads/${lead.id}/stage`)
        .type('form')
        .send({ _csrf: staff.csrf, stage_id: String(await stageId('Contacted')), owner: String(ctx.staffId), label: '' });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/leads?owner=${ctx.staffId}`);
      assert.equal((await leadRow(ana))!.stage, 'Contacted');
    });

    it('should refuse a stage that does not exist, and a lead that does not exist', async () => {
      const lead = (await leadRow(ana))!;
      const res = await staff.agent.post(`/leads/${lead.id}/stage`).type('form').send({ _csrf: staff.csrf, stage_id: '999' });
      assert.equal(res.status, 422);
      assert.match(res.text, /That stage no longer exists/);
      assert.equal((await leadRow(ana))!.stage, 'New');
      const missing = await staff.agent.post('/leads/99999/stage').type('form').send({ _csrf: staff.csrf, stage_id: '1' });
      assert.equal(missing.status, 404);
      const noCsrf = await staff.agent.post(`/leads/${lead.id}/stage`).type('form').send({ stage_id: '1' });
      assert.equal(noCsrf.status, 403);
    });
  });

  describe('POST /contacts/:contact/lead (the lead card)', () => {
    it('should offer "Make a lead" to a contact who is not one, and make them one', async () => {
      const page = await staff.agent.get(`/contacts/${cem}`);
      assert.match(page.text, /Make a lead/);
      const res = await staff.agent.post(`/contacts/${cem}/lead`).type('form').send({ _csrf: staff.csrf });
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, `/contacts/${cem}#lead`);
      assert.equal((await leadRow(cem))!.stage, 'New');
      const after = await staff.agent.get(`/contacts/${cem}`);
      assert.match(after.text, /<dt>Lead stage<\/dt>\s*<dd>New/);
      assert.match(after.text, /Save lead/);
    });

    it('should save stage, value, close date, owner and lost reason (htmx gets the card)', async () => {
      const res = await staff.agent
        .post(`/contacts/${ana}/lead`)
        .set('HX-Request', 'true')
        .type('form')
        .send({
          _csrf: staff.csrf,
          stage_id: String(await stageId('Lost')),
          value: '99.9',
          expected_close: '2026-03-31',
          owner_id: String(ctx.ownerId),
          lost_reason: 'Chose another bakery',
        });
      assert.equal(res.status, 200);
      assert.match(res.text, /Lead saved\./);
      const row = (await leadRow(ana))!;
      assert.deepEqual(
        { ...row, id: 0, closed_at: row.closed_at! > 0 },
        {
          id: 0,
          stage: 'Lost',
          value_cents: 9990,
          expected_close: '2026-03-31',
          owner_id: ctx.ownerId,
          lost_reason: 'Chose another bakery',
          closed_at: true,
        },
      );
    });

    it('should show each mistake in place, keep what was typed, and save nothing', async () => {
      const before = await leadRow(ana);
      const cases: [Record<string, string>, RegExp][] = [
        [{ expected_close: '2026-02-30' }, /must be a real date/],
        [{ expected_close: 'tomorrow' }, /must be a real date/],
        [{ value: '-10' }, /cannot be negative/],
        [{ value: '12.345' }, /two decimals at most/],
        [{ owner_id: '999' }, /active member of the team/],
        [{ lost_reason: 'x'.repeat(201) }, /200 characters at most/],
        [{ stage_id: '999' }, /That stage no longer exists/],
      ];
      for (const [fields, message] of cases) {
        const res = await staff.agent
          .post(`/contacts/${ana}/lead`)
          .type('form')
          .send({ _csrf: staff.csrf, stage_id: String(await stageId('Won')), value: '5', ...fields });
        assert.equal(res.status, 422, JSON.stringify(fields));
        assert.match(res.text, message);
        assert.match(res.text, /Nothing was saved/);
        assert.match(res.text, /aria-invalid="true"/);
        assert.deepEqual(await leadRow(ana), before, JSON.stringify(fields));
      }
      // A form field given twice is a wrong type: 400.
      const twice = await staff.agent.post(`/contacts/${ana}/lead`).type('form').send(`_csrf=${staff.csrf}&value=1&value=2`);
      assert.equal(twice.status, 400);
      assert.deepEqual(await leadRow(ana), before);
    });

    it('should answer 404 for a contact that does not exist', async () => {
      const res = await staff.agent.post('/contacts/99999/lead').type('form').send({ _csrf: staff.csrf });
      assert.equal(res.status, 404);
    });
  });

  describe('GET /leads.csv', () => {
    it('should export the leads as RFC 4180 CSV with formulas defused, filtered like the board', async () => {
      await ctx.deps.leads.change(ben, { lost_reason: 'Said "maybe", later' }, WHO);
      const res = await staff.agent.get('/leads.csv');
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'], /^text\/csv/);
      assert.match(res.headers['content-disposition'], /attachment; filename="leads.csv"/);
      const lines = res.text.split('\r\n');
      assert.equal(
        lines[0],
        'id,contact_id,name,psid,stage,value,expected_close,owner,source,lost_reason,created_at,updated_at,closed_at',
      );
      assert.equal(lines.length, 4);
      assert.equal(lines.at(-1), '');
      const benLine = lines.find((l) => l.includes('Formula'))!;
      assert.match(benLine, /,'=Ben Formula,4300000000000002,Qualified,300,,,link:bio,"Said ""maybe"", later",/);
      const anaLine = lines.find((l) => l.includes('Ana Lima'))!;
      assert.match(anaLine, /,Ana Lima,4300000000000001,New,1250.50,,Sam Staff,ad:summer,,/);
      const filtered = await staff.agent.get('/leads.csv?label=wedding');
      assert.equal(filtered.text.split('\r\n').length, 3);
    });
  });

  describe('the stage editor (/leads/stages)', () => {
    let owner: { agent: Agent; csrf: string };
    beforeEach(async () => {
      owner = await signIn(ctx.app, OWNER);
    });
    const post = (path: string, fields: Record<string, string> = {}) =>
      owner.agent
        .post(path)
        .type('form')
        .send({ _csrf: owner.csrf, ...fields });
    const names = async () => (await ctx.deps.leads.stages()).map((s) => `${s.name}:${s.kind}`);

    it('should be the owner’s only', async () => {
      assert.equal((await staff.agent.get('/leads/stages')).status, 403);
      const res = await staff.agent.post('/leads/stages').type('form').send({ _csrf: staff.csrf, name: 'Sneaky', kind: 'open' });
      assert.equal(res.status, 403);
      assert.equal((await names()).length, 5);
      assert.equal((await owner.agent.get('/leads/stages')).status, 200);
    });

    it('should add an open stage before the closing ones, rename, reorder and remove it', async () => {
      assert.equal(
        (await post('/leads/stages', { name: 'Proposal sent', kind: 'open' })).headers.location,
        '/leads/stages?saved=1',
      );
      assert.deepEqual(await names(), [
        'New:open',
        'Contacted:open',
        'Qualified:open',
        'Proposal sent:open',
        'Won:won',
        'Lost:lost',
      ]);
      const id = await stageId('Proposal sent');
      assert.equal((await post(`/leads/stages/${id}`, { name: 'Offer', kind: 'open' })).status, 303);
      assert.equal((await post(`/leads/stages/${id}/move`, { direction: 'up' })).status, 303);
      assert.deepEqual(await names(), ['New:open', 'Contacted:open', 'Offer:open', 'Qualified:open', 'Won:won', 'Lost:lost']);
      assert.equal((await post(`/leads/stages/${id}/delete`)).status, 303);
      assert.equal((await names()).length, 5);
      const audit = await ctx.deps.db.all<{ action: string }>(
        "SELECT action FROM audit_log WHERE action LIKE 'lead_stage.%' ORDER BY id",
      );
      assert.deepEqual(
        audit.map((a) => a.action),
        ['lead_stage.added', 'lead_stage.edited', 'lead_stage.moved', 'lead_stage.removed'],
      );
    });

    it('should refuse to remove a stage in use, the last won or lost stage, or a taken name, saying why', async () => {
      const inUse = await post(`/leads/stages/${await stageId('Qualified')}/delete`);
      assert.equal(inUse.status, 409);
      assert.match(inUse.text, /A lead is in “Qualified”: move it to another stage first\./);
      const lastWon = await post(`/leads/stages/${await stageId('Won')}/delete`);
      assert.equal(lastWon.status, 409);
      assert.match(lastWon.text, /At least one won stage must remain/);
      const lastLost = await post(`/leads/stages/${await stageId('Lost')}`, { name: 'Lost', kind: 'won' });
      assert.equal(lastLost.status, 409);
      const taken = await post('/leads/stages', { name: 'qualified', kind: 'open' });
      assert.equal(taken.status, 409);
      assert.match(taken.text, /already a stage called/);
      assert.equal((await post('/leads/stages', { name: '', kind: 'open' })).status, 422);
      assert.equal((await post('/leads/stages', { name: 'x'.repeat(41), kind: 'open' })).status, 422);
      assert.equal((await post('/leads/stages', { name: 'Odd', kind: 'maybe' })).status, 422);
      assert.equal((await post(`/leads/stages/${await stageId('New')}/move`, { direction: 'sideways' })).status, 400);
      assert.equal((await post('/leads/stages/9999/delete')).status, 404);
      assert.equal((await names()).length, 5);
    });
  });

  describe('the API', () => {
    const api = () => request(ctx.app);
    const patch = (contactId: number | string, body: unknown) =>
      api()
        .patch(`/api/v1/contacts/${contactId}/lead`)
        .set('authorization', token)
        .set('content-type', 'application/json')
        .send(JSON.stringify(body));

    it('GET /api/v1/leads should list leads with filters, a page at a time', async () => {
      const all = await api().get('/api/v1/leads').set('authorization', token);
      assert.equal(all.status, 200);
      assert.equal(all.body.data.length, 2);
      const first = all.body.data[0];
      assert.deepEqual(
        { ...first, created_at: typeof first.created_at, updated_at: typeof first.updated_at },
        {
          id: first.id,
          contact: { id: ana, name: 'Ana Lima', psid: '4300000000000001' },
          stage: 'New',
          stage_kind: 'open',
          source: 'ad:summer',
          value: 1250.5,
          expected_close: null,
          owner_id: ctx.staffId,
          lost_reason: null,
          created_at: 'string',
          updated_at: 'string',
          closed_at: null,
        },
      );
      assert.equal(all.body.next_cursor, null);
      const page1 = await api().get('/api/v1/leads?limit=1').set('authorization', token);
      assert.equal(page1.body.data.length, 1);
      const page2 = await api().get(`/api/v1/leads?limit=1&cursor=${page1.body.next_cursor}`).set('authorization', token);
      assert.equal(page2.body.data[0].contact.id, ben);
      assert.equal(page2.body.next_cursor, null);
      const qualified = await api().get('/api/v1/leads?stage=qualified').set('authorization', token);
      assert.deepEqual(
        qualified.body.data.map((l: { contact: { id: number } }) => l.contact.id),
        [ben],
      );
      const bad = await api().get('/api/v1/leads?stage=Nope').set('authorization', token);
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.error.code, 'unknown-stage');
      assert.equal((await api().get('/api/v1/leads?limit=0').set('authorization', token)).body.error.code, 'invalid-limit');
      assert.equal((await api().get('/api/v1/leads?cursor=x').set('authorization', token)).body.error.code, 'invalid-cursor');
      assert.equal((await api().get('/api/v1/leads')).status, 401);
    });

    it('GET /api/v1/contacts/:id/lead should give the lead, or 404 when they are not one', async () => {
      const res = await api().get(`/api/v1/contacts/${ben}/lead`).set('authorization', token);
      assert.equal(res.status, 200);
      assert.equal(res.body.stage, 'Qualified');
      assert.equal(res.body.value, 300);
      const none = await api().get(`/api/v1/contacts/${cem}/lead`).set('authorization', token);
      assert.equal(none.status, 404);
      assert.equal(none.body.error.code, 'not-a-lead');
      assert.equal((await api().get('/api/v1/contacts/99999/lead').set('authorization', token)).status, 404);
    });

    it('PATCH /api/v1/contacts/:id/lead should make a lead (201) and change it (200)', async () => {
      const made = await patch(cem, { value: 10 });
      assert.equal(made.status, 201);
      assert.equal(made.body.stage, 'New');
      assert.equal(made.body.value, 10);
      const changed = await patch(cem, { stage: 'won', expected_close: '2026-01-15', owner_id: ctx.ownerId, value: null });
      assert.equal(changed.status, 200);
      assert.equal(changed.body.stage, 'Won');
      assert.equal(changed.body.value, null);
      assert.equal(changed.body.owner_id, ctx.ownerId);
      assert.ok(changed.body.closed_at);
      const audit = await ctx.deps.db.get<{ actor: string }>(
        "SELECT actor FROM audit_log WHERE action = 'lead.updated' ORDER BY id DESC",
      );
      assert.equal(audit!.actor, 'token:crm');
    });

    it('PATCH should name the field it refuses and change nothing', async () => {
      const before = await leadRow(ana);
      const cases: [unknown, number, string, string | null][] = [
        [{ stage: 'Nope', value: 5 }, 422, 'unknown-stage', 'stage'],
        [{ expected_close: '2026-13-01' }, 422, 'invalid-date', 'expected_close'],
        [{ value: -1 }, 422, 'negative-value', 'value'],
        [{ value: '-1.00' }, 422, 'negative-value', 'value'],
        [{ owner_id: 424242 }, 422, 'unknown-owner', 'owner_id'],
        [{ lost_reason: 'x'.repeat(201) }, 422, 'lost-reason-too-long', 'lost_reason'],
        [{ value: { amount: 5 } }, 400, 'invalid-value', 'value'],
        [{ stage: 3 }, 400, 'invalid-stage', 'stage'],
        [{ stage_id: 3 }, 400, 'unknown-field', 'stage_id'],
        [{ closed_at: 'now' }, 400, 'unknown-field', 'closed_at'],
        [[1, 2], 400, 'invalid-body', null],
      ];
      for (const [body, status, code, field] of cases) {
        const res = await patch(ana, body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(res.body.error.code, code, JSON.stringify(body));
        assert.equal(res.body.error.field, field, JSON.stringify(body));
        assert.deepEqual(await leadRow(ana), before, JSON.stringify(body));
      }
      const malformed = await api()
        .patch(`/api/v1/contacts/${ana}/lead`)
        .set('authorization', token)
        .set('content-type', 'application/json')
        .send('{"value": ');
      assert.equal(malformed.status, 400);
      // A refused PATCH on someone who is not a lead makes no lead either.
      assert.equal((await patch(cem, { expected_close: 'soon' })).status, 422);
      assert.equal(await leadRow(cem), undefined);
    });
  });

  describe('the legacy stage column', () => {
    it('should no longer be read: the Contacts list and the contact JSON show the lead’s stage', async () => {
      await ctx.deps.db.run("UPDATE contacts SET lead_stage = 'stale' WHERE id IN (?, ?)", [ana, cem]);
      const list = await staff.agent.get('/contacts');
      assert.doesNotMatch(list.text, /stale/);
      assert.match(list.text, new RegExp(`<a href="/contacts/${ana}">Ana Lima</a></td><td>New</td>`));
      const json = await api().get(`/api/v1/contacts/${cem}`).set('authorization', token);
      assert.equal(json.body.lead.stage, null);
    });
    const api = () => request(ctx.app);
  });
});
