// The owner's audit log page (GET /privacy/audit): who did what and when, filterable by kind of
// action, by actor and by dates, paged newest first with a keyset cursor; never message content;
// staff are refused. The Privacy page keeps the latest few and links to it.
import assert from 'node:assert/strict';
import request from 'supertest';
import { audit } from '../../src/privacy/audit';
import { setSetting } from '../../src/settings/store';
import { customerWrites, inboxContext, OWNER, STAFF, type InboxContext } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';

const DAY = 24 * 3600 * 1000;

/** The actions of the table's rows, in order. */
const actionsOf = (html: string) => [...html.matchAll(/<td><code>([^<]+)<\/code><\/td>/g)].map((m) => m[1]);
const actorsOf = (html: string) => [...html.matchAll(/<\/time><\/td>\s*<td>([^<]*)<\/td>/g)].map((m) => m[1]);

describe('The audit log page', () => {
  let ctx: InboxContext;
  let owner: { agent: Agent; csrf: string };

  beforeEach(async () => {
    ctx = await inboxContext();
    owner = await signIn(ctx.app, OWNER); // login by the owner
    const staff = await signIn(ctx.app, STAFF); // login by staff
    await owner.agent
      .post('/settings/business')
      .type('form')
      .send({ _csrf: owner.csrf, business_name: 'Bakery', contact_email: 'hello@example.com', website: '' });
    await setSetting(ctx.deps.db, 'sandbox.profile.4300000000000001', 'Zeynep Kaya');
    await customerWrites(ctx, '4300000000000001', 'My secret order: two croissants');
    const { id } = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM contacts'))!;
    await staff.agent
      .post(`/contacts/${id}`)
      .type('form')
      .send({ _csrf: staff.csrf, name: 'Zeynep K.', email: 'zeynep@example.com' });
  });
  afterEach(() => ctx.close());

  const get = (query = '') => owner.agent.get(`/privacy/audit${query ? `?${query}` : ''}`);

  it('should list who did what and when, newest first, without message content or customer details', async () => {
    const res = await get();
    assert.equal(res.status, 200);
    const actions = actionsOf(res.text);
    assert.equal(actions[0], 'contact.updated');
    assert.ok(actions.includes('settings.business-saved') && actions.includes('login'), actions.join());
    assert.match(res.text, new RegExp(`<td>${STAFF}</td>\\s*<td><code>contact.updated</code>`));
    assert.match(res.text, /<td>contact #\d+<\/td>\s*<td class="muted">fields: name, email<\/td>/);
    for (const secret of ['croissants', 'Zeynep', 'zeynep@example.com'])
      assert.ok(!res.text.includes(secret), `the audit page shows ${secret}`);
  });

  it('should filter by kind of action and by one exact action', async () => {
    const signIns = await get('what=kind:sign-ins');
    assert.equal(signIns.status, 200);
    assert.ok(actionsOf(signIns.text).length >= 2);
    assert.ok(
      actionsOf(signIns.text).every((a) => a === 'login'),
      actionsOf(signIns.text).join(),
    );
    assert.deepEqual(actionsOf((await get('what=kind:contacts')).text), ['contact.updated']);
    assert.deepEqual(actionsOf((await get('what=settings.business-saved')).text), ['settings.business-saved']);
    assert.deepEqual(actionsOf((await get('what=no.such-action')).text), []);
    assert.match((await get('what=no.such-action')).text, /No entry matches this filter/);
  });

  it('should filter by actor (any part of it, any case)', async () => {
    const staffOnly = await get(`actor=${encodeURIComponent('STAFF@')}`);
    assert.ok(actorsOf(staffOnly.text).length >= 2);
    assert.ok(
      actorsOf(staffOnly.text).every((a) => a === STAFF),
      actorsOf(staffOnly.text).join(),
    );
    await audit(ctx.deps.db, {
      actor: 'token:zapier',
      action: 'contact.updated',
      target: 'contact #1',
      detail: { fields: ['phone'] },
    });
    assert.deepEqual(actorsOf((await get('actor=token%3A')).text), ['token:zapier']);
    // LIKE's wildcards are taken literally.
    assert.deepEqual(actorsOf((await get('actor=%25')).text), []);
  });

  it('should filter by a date range, both days included', async () => {
    const now = Date.now();
    const dayOf = (ms: number) => {
      const d = new Date(ms);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    };
    await ctx.deps.db.run("UPDATE audit_log SET at = ? WHERE action = 'settings.business-saved'", [now - 10 * DAY]);
    await ctx.deps.db.run("UPDATE audit_log SET at = ? WHERE action = 'contact.updated'", [now - 3 * DAY]);
    assert.deepEqual(actionsOf((await get(`from=${dayOf(now - 11 * DAY)}&to=${dayOf(now - 9 * DAY)}`)).text), [
      'settings.business-saved',
    ]);
    assert.deepEqual(actionsOf((await get(`from=${dayOf(now - 3 * DAY)}&to=${dayOf(now - 3 * DAY)}`)).text), ['contact.updated']);
    const since = actionsOf((await get(`from=${dayOf(now - 5 * DAY)}`)).text);
    assert.ok(since.includes('contact.updated') && since.includes('login') && !since.includes('settings.business-saved'));
    const until = actionsOf((await get(`to=${dayOf(now - 4 * DAY)}`)).text);
    assert.deepEqual(until, ['settings.business-saved']);
  });

  it('should explain a date that is not one (or a range the wrong way round) and list nothing', async () => {
    for (const query of ['from=2025-02-30', 'to=yesterday', 'from=2025-03-02&to=2025-03-01', 'what=kind:nonsense']) {
      const res = await get(query);
      assert.equal(res.status, 400, query);
      assert.match(res.text, /class="field-error"/, query);
      assert.deepEqual(actionsOf(res.text), [], query);
    }
    const cursor = await get('before=not-a-cursor');
    assert.equal(cursor.status, 400);
  });

  it('should page newest first with a keyset cursor: no entry twice or missed, even while new ones arrive', async () => {
    const t = Date.now() - DAY;
    for (let i = 0; i < 120; i++)
      await ctx.deps.db.run("INSERT INTO audit_log (at, actor, action, target) VALUES (?, 'cli', 'user.created', ?)", [
        t + Math.floor(i / 3), // three entries share each millisecond
        `user${i}@example.com`,
      ]);
    const seen: string[] = [];
    let path = '/privacy/audit?what=user.created';
    for (let pageNo = 0; pageNo < 5 && path; pageNo++) {
      const res = await owner.agent.get(path);
      assert.equal(res.status, 200);
      seen.push(...[...res.text.matchAll(/<td>(user\d+@example\.com)<\/td>/g)].map((m) => m[1]));
      // A new entry between pages does not shift the next page.
      await ctx.deps.db.run("INSERT INTO audit_log (at, actor, action, target) VALUES (?, 'cli', 'user.created', ?)", [
        Date.now(),
        `late${pageNo}@example.com`,
      ]);
      const older = /<a href="([^"]+)" rel="next">/.exec(res.text)?.[1];
      path = older ? older.replace(/&amp;/g, '&') : '';
      if (pageNo > 0) assert.match(res.text, /← Newest/);
    }
    assert.equal(seen.length, 120);
    assert.deepEqual(
      seen,
      Array.from({ length: 120 }, (_, i) => `user${119 - i}@example.com`),
    );
  });

  it('should refuse staff (403) and send anonymous visitors to sign in', async () => {
    const staff = await signIn(ctx.app, STAFF);
    const refused = await staff.agent.get('/privacy/audit');
    assert.equal(refused.status, 403);
    assert.match(refused.text, /Only the owner/);
    const anonymous = await request(ctx.app).get('/privacy/audit');
    assert.equal(anonymous.status, 303);
    assert.match(anonymous.headers.location, /^\/login\?next=/);
  });

  it('should leave the Privacy page a short recent list that links to the full log', async () => {
    for (let i = 0; i < 30; i++) await audit(ctx.deps.db, { actor: 'cli', action: 'user.created', target: `u${i}@example.com` });
    const res = await owner.agent.get('/privacy/manage');
    assert.equal(res.status, 200);
    const section = res.text.slice(res.text.indexOf('id="audit"'));
    assert.match(section, /<a href="\/privacy\/audit">See the full audit log<\/a>/);
    assert.equal([...section.matchAll(/<td><code>/g)].length, 10);
  });
});
