// An XSS corpus sent through every field a customer or a staff member controls, then every page that
// shows them rendered (inbox list, conversation, search, contacts, settings, users, privacy pages,
// Simulator) and the live stream read: the payloads are always escaped, no element, event handler or
// javascript: URL comes from input, and every page answers 200.
import assert from 'node:assert/strict';
import ejs from 'ejs';
import request from 'supertest';
import { inviteUser } from '../../src/auth/users';
import {
  attachmentEvent,
  echoEvent,
  editEvent,
  postbackEvent,
  reactionEvent,
  referralEvent,
  textEvent,
  type FakeGraph,
  type MessagingEvent,
  type WebhookAttachment,
} from '../fakes/graph';
import {
  customersWrite,
  customerWrites,
  inboxContext,
  listen,
  OWNER,
  sessionCookie,
  SseStream,
  STAFF,
  type InboxContext,
} from '../inbox/support';
import { liveContextPerTest, PAGE_ID, postEvents, type Ctx } from '../messenger/support';
import { addUser, csrfFrom, csrfOf, PASSWORD, signIn, type Agent } from '../support/browser-session';
import { XSS_CORPUS, assertNone, corpusUpTo, htmlProblems, saneAnswerProblems } from './support';

/** Renders each page and collects what is wrong with it (status, leaks, unescaped input). */
async function pageProblems(agent: Agent, paths: string[], headers: Record<string, string> = {}): Promise<string[]> {
  const problems: string[] = [];
  for (const path of paths) {
    const req = agent.get(path);
    for (const [k, v] of Object.entries(headers)) req.set(k, v);
    const res = await req;
    const what = `GET ${path.slice(0, 120)}`;
    if (res.status !== 200) problems.push(`${what} answered ${res.status}: ${res.text.slice(0, 300)}`);
    problems.push(...saneAnswerProblems(res, what));
    problems.push(...htmlProblems(res.text).map((p) => `${what}: ${p}`));
  }
  return problems;
}

/** Whether the page shows this text, escaped as the templates escape it. */
const showsEscaped = (html: string, text: string) => html.includes(ejs.escapeXML(text));

/** An email address carrying the payload (no spaces or @, which an address cannot have). */
const emailOf = (payload: string, i: number) => `${payload.replace(/[\s@,]/g, '/').slice(0, 100)}.${i}@evil.example`;

const searchTerms = ['alert', 'script', 'emoji', 'onerror', 'edited', 'img', 'svg', 'x'.repeat(10)];
const statusPages = ['/', '/?status=open', '/?status=pending', '/?status=resolved', '/?status=snoozed', '/?status=open&who=mine'];

describe('The XSS corpus through every field people control', function () {
  this.timeout(60_000);

  describe('what customers send (webhook, profile, files)', () => {
    let ctx: Ctx;
    let fake: FakeGraph;
    liveContextPerTest((c, f) => ((ctx = c), (fake = f)));

    it('should show message text, quick replies, postbacks, referrals, attachment titles and file names, profile names, edits, reactions and outside sends escaped on every page', async () => {
      const psids: string[] = [];
      for (const [i, payload] of XSS_CORPUS.entries()) {
        const psid = `72000000000000${String(i).padStart(2, '0')}`;
        psids.push(psid);
        fake.profiles.set(psid, { name: payload, id: psid });
        const enc = encodeURIComponent(payload);
        const image = fake.serveFile(`/cdn/img-${i}/${enc}.jpg`, Buffer.from('jpeg bytes'), 'image/jpeg');
        const file = fake.serveFile(`/cdn/file-${i}/${enc}.html`, Buffer.from('<script>alert(1)</script>'), 'text/html');
        const t = Date.now() - 60_000 + i * 100;
        const mid = `m_xss_${i}`;
        const base = { pageId: PAGE_ID, psid };
        const events: MessagingEvent[] = [
          textEvent({ ...base, mid, text: payload, quickReplyPayload: payload, timestamp: t }),
          postbackEvent({
            ...base,
            mid: `${mid}_pb`,
            title: payload,
            payload,
            referral: { ref: payload, source: payload },
            timestamp: t + 1,
          }),
          referralEvent({ ...base, ref: payload, source: payload, adId: payload, timestamp: t + 2 }),
          attachmentEvent({
            ...base,
            mid: `${mid}_att`,
            timestamp: t + 3,
            text: payload,
            attachments: [
              {
                type: 'fallback',
                payload: { url: `https://example.com/${enc}`, title: payload },
                title: payload,
              } as WebhookAttachment,
              { type: 'fallback', payload: { url: 'javascript:alert(1)', title: payload } },
              { type: 'fallback', title: payload } as WebhookAttachment,
              { type: 'image', payload: { url: image } },
              { type: 'file', payload: { url: file } },
              { type: 'template', payload: { title: payload } },
            ],
          }),
          echoEvent({ ...base, mid: `${mid}_echo`, text: payload, appId: '999', timestamp: t + 4 }),
          reactionEvent({
            ...base,
            mid,
            emoji: payload.slice(0, 32),
            reaction: payload.slice(0, 32),
            action: 'react',
            timestamp: t + 5,
          }),
          editEvent({ ...base, mid, text: `edited ${payload}`, numEdit: 1, timestamp: t + 6 }),
        ];
        await postEvents(ctx, events);
      }
      await ctx.deps.queue.kick();
      await ctx.deps.queue.kick();

      // The fields did arrive (so the pages below really show them).
      const names = await ctx.deps.db.all<{ name: string }>("SELECT name FROM attachments WHERE state = 'stored'");
      assert.ok(
        names.some((n) => n.name === `${XSS_CORPUS[0]}.jpg`),
        `file names: ${JSON.stringify(names.slice(0, 4))}`,
      );
      const named = await ctx.deps.db.get<{ n: number }>(
        'SELECT count(*) AS n FROM contacts WHERE name IN (SELECT value FROM json_each(?))',
        [JSON.stringify(XSS_CORPUS.map((p) => p.trim()))],
      );
      assert.ok(named!.n >= XSS_CORPUS.length - 2, `profile names stored: ${named!.n}`);

      await addUser(ctx.deps.db, STAFF, 'staff');
      const { agent } = await signIn(ctx.app, STAFF);
      const conversations = await ctx.deps.db.all<{ id: number; contact_id: number }>(
        'SELECT id, contact_id FROM conversations ORDER BY id',
      );
      assert.equal(conversations.length, XSS_CORPUS.length);
      const problems = await pageProblems(agent, [
        ...statusPages,
        ...conversations.map((c) => `/conversations/${c.id}`),
        ...conversations.map((c) => `/contacts/${c.contact_id}`),
        '/contacts',
        ...corpusUpTo(200).map((p) => `/contacts?q=${encodeURIComponent(p)}`),
        ...[...searchTerms, ...corpusUpTo(200)].map((q) => `/search?q=${encodeURIComponent(q)}`),
      ]);
      problems.push(
        ...(await pageProblems(
          agent,
          searchTerms.map((q) => `/search?q=${encodeURIComponent(q)}`),
          { 'HX-Request': 'true' },
        )),
      );
      const first = await agent.get(`/conversations/${conversations[0].id}`);
      assert.ok(showsEscaped(first.text, XSS_CORPUS[0]), 'the conversation shows the text, escaped');
      assertNone(problems);
    });

    it("should serve customers' files with a name that cannot break the header, and never as a page of ChatX's origin", async () => {
      const enc = encodeURIComponent('"; filename=evil.html\r\nX-Injected: 1 <script>.html');
      const url = fake.serveFile(`/cdn/h/${enc}`, Buffer.from('<script>alert(1)</script>'), 'text/html');
      await postEvents(ctx, [
        attachmentEvent({
          pageId: PAGE_ID,
          psid: '7300000000000001',
          mid: 'm_file_1',
          attachments: [{ type: 'file', payload: { url } }],
        }),
      ]);
      await ctx.deps.queue.kick();
      const { id } = (await ctx.deps.db.get<{ id: number }>('SELECT id FROM attachments'))!;
      await addUser(ctx.deps.db, STAFF, 'staff');
      const { agent } = await signIn(ctx.app, STAFF);
      const res = await agent.get(`/api/v1/attachments/${id}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-injected'], undefined);
      assert.match(res.headers['content-disposition'], /^attachment; filename\*=UTF-8''[^\s";]+$/);
      assert.equal(res.headers['content-type'], 'application/octet-stream');
      assert.match(res.headers['content-security-policy'], /sandbox/);
    });
  });

  describe('what staff and the owner type', () => {
    let ctx: InboxContext;
    let conversationId: number;
    beforeEach(async () => {
      ctx = await inboxContext();
      conversationId = await customerWrites(ctx, '7400000000000001', 'Hello there');
    });
    afterEach(() => ctx.close());

    it('should show notes, replies, uploaded file names and labels escaped on the inbox, the conversation and search', async () => {
      const { agent, csrf } = await signIn(ctx.app, STAFF);
      const problems: string[] = [];
      const check = (res: request.Response, what: string) => {
        problems.push(...saneAnswerProblems(res, what));
        if (/html/.test(String(res.headers['content-type'])))
          problems.push(...htmlProblems(res.text).map((p) => `${what}: ${p}`));
      };
      for (const [i, payload] of XSS_CORPUS.entries()) {
        const path = `/conversations/${conversationId}/messages`;
        check(await agent.post(path).type('form').send({ _csrf: csrf, mode: 'note', text: payload }), `note ${i}`);
        check(await agent.post(path).type('form').send({ _csrf: csrf, text: payload }), `reply ${i}`);
        const safeName = payload.replace(/[\r\n"]/g, '_');
        check(
          await agent
            .post(path)
            .field('_csrf', csrf)
            .field('text', `file ${i}`)
            .attach('files', Buffer.from('not really a picture'), { filename: `${safeName}.png`, contentType: 'image/png' })
            .attach('files', Buffer.from('<script>alert(1)</script>'), {
              filename: `${safeName}.html`,
              contentType: 'text/html',
            }),
          `upload ${i}`,
        );
        check(
          await agent.post(`/conversations/${conversationId}/labels`).type('form').send({ _csrf: csrf, name: payload }),
          `label ${i}`,
        );
      }
      await ctx.deps.outbox.kick();
      const stored = await ctx.deps.db.get<{ n: number }>("SELECT count(*) AS n FROM messages WHERE kind = 'note'");
      assert.equal(stored!.n, XSS_CORPUS.length, 'every note is stored');
      const labels = await ctx.deps.db.all<{ name: string }>('SELECT name FROM labels');
      assert.ok(labels.length >= 10, `labels stored: ${labels.length}`);
      const labelIds = await ctx.deps.db.all<{ id: number }>('SELECT id FROM labels');
      problems.push(
        ...(await pageProblems(agent, [
          ...statusPages,
          `/conversations/${conversationId}`,
          ...labelIds.map((l) => `/?label=${l.id}`),
          ...[...searchTerms, ...corpusUpTo(200)].map((q) => `/search?q=${encodeURIComponent(q)}`),
        ])),
      );
      const page = await agent.get(`/conversations/${conversationId}`);
      assert.ok(showsEscaped(page.text, XSS_CORPUS[1]), 'the conversation shows the note, escaped');
      assertNone(problems);
    });

    it("should keep uploaded files' names as the browser sent them (UTF-8), and show them escaped", async () => {
      // A file name holds no "/" (a browser sends only the last part of a path, and so does the parser).
      const names = ['Zoë Ümlaut – menü.pdf', '😀 <b>party<b>.png', 'résumé final.txt', 'Ελληνικά <script>.jpg'];
      const staff = await signIn(ctx.app, STAFF);
      let reply = staff.agent.post(`/conversations/${conversationId}/messages`).field('_csrf', staff.csrf).field('text', 'files');
      for (const name of names)
        reply = reply.attach('files', Buffer.from('bytes'), { filename: name, contentType: 'application/pdf' });
      assert.equal((await reply).status, 303);
      const owner = await signIn(ctx.app, OWNER);
      const sim = await owner.agent
        .post('/simulator')
        .field('_csrf', owner.csrf)
        .field('name', 'Uma Upload')
        .attach('file', Buffer.from('bytes'), { filename: names[0], contentType: 'application/pdf' });
      assert.equal(sim.status, 303);
      await ctx.deps.queue.kick();
      const stored = (await ctx.deps.db.all<{ name: string }>('SELECT name FROM attachments ORDER BY id')).map((a) => a.name);
      const page = await staff.agent.get(`/conversations/${conversationId}`);
      const problems = htmlProblems(page.text);
      for (const name of names)
        if (!showsEscaped(page.text, name)) problems.push(`the conversation does not show ${JSON.stringify(name)}`);
      assertNone(problems);
      assert.deepEqual(stored, [...names, names[0]], 'the names as stored');
    });

    it('should show canned responses, user names, invite emails, business details and token names escaped on every page that lists them', async () => {
      const owner = await signIn(ctx.app, OWNER);
      const problems: string[] = [];
      const check = (res: request.Response, what: string) => {
        problems.push(...saneAnswerProblems(res, what));
        if (/html/.test(String(res.headers['content-type'])))
          problems.push(...htmlProblems(res.text).map((p) => `${what}: ${p}`));
      };
      const post = (path: string, body: Record<string, string>) =>
        owner.agent
          .post(path)
          .type('form')
          .send({ _csrf: owner.csrf, ...body });
      const members: { email: string; name: string }[] = [];
      for (const [i, payload] of XSS_CORPUS.entries()) {
        check(await post('/settings/canned', { shortcut: payload, text: payload }), `canned (bad shortcut) ${i}`);
        check(await post('/settings/canned', { shortcut: `c${i}`, text: payload }), `canned ${i}`);
        check(await post('/settings/tokens', { name: payload, role: 'staff', expires: 'never' }), `token ${i}`);
        check(
          await post('/settings/business', { business_name: payload, contact_email: payload, website: payload }),
          `business (refused) ${i}`,
        );
        const email = emailOf(payload, i);
        const invited = await post('/users', { email, role: 'staff' });
        check(invited, `invite ${i}`);
        if (invited.status === 200) members.push({ email: email.toLowerCase(), name: payload });
        else problems.push(`inviting ${email} answered ${invited.status}`);
      }
      // A business profile that is valid but carries the payloads where it can.
      check(
        await post('/settings/business', {
          business_name: XSS_CORPUS[1],
          contact_email: emailOf(XSS_CORPUS[0], 99),
          website: `https://example.com/?q=${XSS_CORPUS[1]}#${XSS_CORPUS[0]}`,
        }),
        'business',
      );
      // Each invitation accepted with a hostile name; one of them becomes the assignee.
      const users = await ctx.deps.db.all<{ id: number; email: string }>("SELECT id, email FROM users WHERE status = 'invited'");
      for (const [i, member] of members.entries()) {
        const user = users.find((u) => u.email === member.email);
        if (!user) continue;
        const { token } = await inviteUser(ctx.deps.db, { email: `again${i}@example.com`, role: 'staff' });
        const agent = request.agent(ctx.app);
        const page = await agent.get(`/invite/${token}`);
        const res = await agent
          .post(`/invite/${token}`)
          .type('form')
          .send({ _csrf: csrfFrom(page.text), name: member.name, password: PASSWORD });
        check(res, `accept invitation ${i}`);
      }
      const named = await ctx.deps.db.all<{ id: number }>("SELECT id FROM users WHERE email LIKE 'again%'");
      await ctx.deps.workflow.assign(conversationId, named[1].id);
      await ctx.deps.workflow.addNote(conversationId, named[2].id, 'a note by a member with a hostile name');
      problems.push(
        ...(await pageProblems(owner.agent, [
          '/settings',
          '/settings/canned',
          '/settings/messenger',
          '/settings/tokens',
          '/users',
          '/privacy',
          '/privacy/manage',
          '/',
          `/conversations/${conversationId}`,
          '/account',
          '/search?q=hostile',
        ])),
      );
      const member = await signIn(ctx.app, 'again2@example.com');
      problems.push(...(await pageProblems(member.agent, ['/account', '/', `/conversations/${conversationId}`])));
      const settings = await owner.agent.get('/settings/canned');
      assert.ok(showsEscaped(settings.text, XSS_CORPUS[0]), 'the settings page shows the canned text, escaped');
      const usersPage = await owner.agent.get('/users');
      assert.ok(showsEscaped(usersPage.text, XSS_CORPUS[1]), 'the users page shows the member name, escaped');
      const privacy = await owner.agent.get('/privacy');
      assert.doesNotMatch(
        privacy.text,
        /href="(?!https?:|mailto:|\/|#)/,
        'the privacy page links only to web and mail addresses',
      );
      assertNone(problems);
    });

    it("should show a contact's corrected name, phone, email and custom fields escaped on their page, the lists, search and the audit log", async () => {
      const staff = await signIn(ctx.app, STAFF);
      const owner = await signIn(ctx.app, OWNER);
      const { contact_id: contactId } = (await ctx.deps.db.get<{ contact_id: number }>(
        'SELECT contact_id FROM conversations WHERE id = ?',
        [conversationId],
      ))!;
      const problems: string[] = [];
      const check = (res: request.Response, what: string) => {
        problems.push(...saneAnswerProblems(res, what));
        if (/html/.test(String(res.headers['content-type'])))
          problems.push(...htmlProblems(res.text).map((p) => `${what}: ${p}`));
      };
      // The form, every field a payload: most are refused and shown again as typed, escaped.
      for (const [i, payload] of XSS_CORPUS.entries()) {
        const fields = {
          name: payload,
          phone: payload,
          email: emailOf(payload, i),
          field_key_0: payload,
          field_value_0: payload,
        };
        check(
          await staff.agent
            .post(`/contacts/${contactId}`)
            .type('form')
            .send({ _csrf: staff.csrf, ...fields }),
          `form ${i}`,
        );
        check(
          await staff.agent.post(`/contacts/${contactId}`).type('form').send({ _csrf: staff.csrf, name: payload }),
          `form name ${i}`,
        );
      }
      // The API: one custom field per payload (name and value), and a hostile name kept at the end.
      for (const [i, payload] of XSS_CORPUS.entries()) {
        const res = await staff.agent
          .patch(`/api/v1/contacts/${contactId}`)
          .set('X-CSRF-Token', staff.csrf)
          .send({ fields: { [`${i} ${payload.slice(0, 36)}`]: payload.slice(0, 500) } });
        problems.push(...saneAnswerProblems(res, `API field ${i}`));
      }
      const named = await staff.agent
        .patch(`/api/v1/contacts/${contactId}`)
        .set('X-CSRF-Token', staff.csrf)
        .send({ name: XSS_CORPUS[1], email: emailOf(XSS_CORPUS[0], 0) });
      assert.equal(named.status, 200, named.text);
      const held = JSON.parse(
        (await ctx.deps.db.get<{ fields: string }>('SELECT fields FROM contacts WHERE id = ?', [contactId]))!.fields,
      );
      assert.ok(Object.keys(held).length >= 15, `custom fields stored: ${Object.keys(held).length}`);

      problems.push(
        ...(await pageProblems(staff.agent, [
          `/contacts/${contactId}`,
          '/contacts',
          ...corpusUpTo(200).map((q) => `/contacts?q=${encodeURIComponent(q)}`),
          '/',
          `/conversations/${conversationId}`,
          '/search?q=img',
        ])),
      );
      problems.push(
        ...(await pageProblems(owner.agent, [
          '/privacy/audit',
          ...corpusUpTo(200).map((q) => {
            const v = encodeURIComponent(q);
            return `/privacy/audit?what=${v}&actor=${v}`;
          }),
        ])),
      );
      for (const q of corpusUpTo(200)) {
        const res = await owner.agent.get(`/privacy/audit?from=${encodeURIComponent(q)}&to=${encodeURIComponent(q)}`);
        if (res.status !== 400) problems.push(`the audit page took ${JSON.stringify(q)} for a date (${res.status})`);
        problems.push(...saneAnswerProblems(res, `audit dates ${q.slice(0, 40)}`));
        problems.push(...htmlProblems(res.text).map((p) => `audit dates: ${p}`));
      }
      const page = await staff.agent.get(`/contacts/${contactId}`);
      assert.ok(showsEscaped(page.text, XSS_CORPUS[1]), 'the contact page shows the corrected name, escaped');
      assert.ok(showsEscaped(page.text, XSS_CORPUS[2]), 'the contact page shows a custom field, escaped');
      assertNone(problems);
    });

    it('should show search queries and Simulator customer names escaped', async () => {
      const owner = await signIn(ctx.app, OWNER);
      const problems: string[] = [];
      for (const [i, payload] of XSS_CORPUS.entries()) {
        const res = await owner.agent
          .post('/simulator')
          .field('_csrf', owner.csrf)
          .field('name', payload)
          .field('text', payload)
          .attach('file', Buffer.from('a file'), {
            filename: `${payload.replace(/[\r\n"]/g, '_')}.txt`,
            contentType: 'text/plain',
          });
        problems.push(...saneAnswerProblems(res, `simulator ${i}`));
        if (res.status !== 303 && payload.trim())
          problems.push(`simulator ${i} answered ${res.status}: ${res.text.slice(0, 200)}`);
      }
      await ctx.deps.queue.kick();
      const names = XSS_CORPUS.map((p) => p.trim().slice(0, 80));
      problems.push(
        ...(await pageProblems(owner.agent, [
          '/simulator',
          ...names.map((n) => `/simulator?name=${encodeURIComponent(n)}`),
          ...names.map((n) => `/simulator/thread?name=${encodeURIComponent(n)}`),
          ...statusPages,
          '/contacts',
          ...XSS_CORPUS.map((q) => `/search?q=${encodeURIComponent(q)}`),
          ...XSS_CORPUS.map((q) => `/contacts?q=${encodeURIComponent(q)}`),
          ...XSS_CORPUS.map(
            (q) => `/?status=${encodeURIComponent(q)}&who=${encodeURIComponent(q)}&label=${encodeURIComponent(q)}`,
          ),
        ])),
      );
      const simulator = await owner.agent.get('/simulator');
      assert.ok(showsEscaped(simulator.text, names[0]), 'the Simulator lists the customer, escaped');
      assertNone(problems);
    });

    it('should escape every payload in the live stream: messages, notes, labels, rows, and who is viewing', async () => {
      const server = await listen(ctx);
      const streams: SseStream[] = [];
      try {
        // A member whose name is hostile, viewing the same conversation.
        const { token } = await inviteUser(ctx.deps.db, { email: 'viewer@example.com', role: 'staff' });
        const agent = request.agent(ctx.app);
        const csrf = await csrfOf(agent, `/invite/${token}`);
        await agent.post(`/invite/${token}`).type('form').send({ _csrf: csrf, name: XSS_CORPUS[1], password: PASSWORD });
        const owner = await sessionCookie(ctx, OWNER);
        const viewer = await sessionCookie(ctx, 'viewer@example.com');
        const query = `status=open&who=all&conversation=${conversationId}&since=${ctx.deps.live.cursor()}`;
        const live = await SseStream.open(`${server.url}/events?${query}`, { Cookie: owner.cookie });
        const list = await SseStream.open(`${server.url}/events?status=open&who=all&since=${ctx.deps.live.cursor()}`, {
          Cookie: owner.cookie,
        });
        streams.push(live, list);
        streams.push(await SseStream.open(`${server.url}/events?${query}`, { Cookie: viewer.cookie }));
        await request(ctx.app)
          .post(`/conversations/${conversationId}/typing`)
          .set('Cookie', viewer.cookie)
          .set('X-CSRF-Token', viewer.csrf);
        await live.waitForData(`${ejs.escapeXML(XSS_CORPUS[1])} is replying`);

        await customersWrite(
          ctx,
          XSS_CORPUS.map((text) => ({ psid: '7400000000000001', text })),
        );
        const post = (path: string, body: Record<string, string>) =>
          request(ctx.app)
            .post(path)
            .set('Cookie', owner.cookie)
            .type('form')
            .send({ _csrf: owner.csrf, ...body });
        for (const payload of XSS_CORPUS) {
          await post(`/conversations/${conversationId}/messages`, { mode: 'note', text: payload });
          if (payload.length <= 40) await post(`/conversations/${conversationId}/labels`, { name: payload });
        }
        await post(`/conversations/${conversationId}/messages`, { text: XSS_CORPUS[0] });
        const last = await ctx.deps.db.get<{ id: number }>('SELECT max(id) AS id FROM messages');
        await live.waitForData(`id="message-${last!.id}"`, 5000);
        await list.waitFor((e) => e.data.includes(`conv-row-${conversationId}`), 5000, 'the row');
        // A tab that reconnects after a long time gets everything rendered afresh.
        const fresh = await SseStream.open(`${server.url}/events?status=open&who=all&conversation=${conversationId}`, {
          Cookie: owner.cookie,
        });
        streams.push(fresh);
        await fresh.waitForData('id="messages"', 5000);
        await new Promise((resolve) => setTimeout(resolve, 200));

        const problems: string[] = [];
        for (const [name, stream] of [
          ['conversation stream', live],
          ['list stream', list],
          ['resynced stream', fresh],
        ] as const)
          for (const e of stream.events) problems.push(...htmlProblems(e.data).map((p) => `${name}: ${p}`));
        assert.ok(
          live.events.some((e) => showsEscaped(e.data, XSS_CORPUS[0])),
          'the stream carried the payload, escaped',
        );
        assertNone(problems);
      } finally {
        streams.forEach((s) => s.close());
        await server.close();
      }
    });
  });
});
