import assert from 'node:assert/strict';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { ftsQuery, highlightHtml, searchContacts, searchMessages } from '../../src/inbox/search';
import { editEvent, textEvent, uniqueMid } from '../fakes/messenger-events';
import { signIn, type Agent } from '../support/browser-session';
import { customerWrites, inboxContext, OWNER, signedWebhook, STAFF, type InboxContext } from './support';

describe('Inbox search', () => {
  let ctx: InboxContext;
  beforeEach(async () => {
    ctx = await inboxContext();
  });
  afterEach(() => ctx.close());

  /** A customer message with a known mid; returns its conversation and message ids. */
  async function customerSays(
    psid: string,
    text: string,
    at = Date.now(),
  ): Promise<{ conversationId: number; messageId: number; mid: string }> {
    const mid = uniqueMid();
    await signedWebhook(ctx, (pageId) => [textEvent({ pageId, psid, mid, text, timestamp: at })]);
    const row = (await ctx.deps.db.get<{ id: number; conversation_id: number }>(
      'SELECT id, conversation_id FROM messages WHERE mid = ?',
      [mid],
    ))!;
    return { conversationId: row.conversation_id, messageId: row.id, mid };
  }

  const texts = async (q: string) => (await searchMessages(ctx.deps.db, q)).map((h) => h.snippet.replace(/<\/?mark>/g, ''));

  async function ftsIntact(): Promise<void> {
    // FTS5 compares the index with the content tables, row by row (rank = 1).
    await ctx.deps.db.run("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
    await ctx.deps.db.run("INSERT INTO contacts_fts (contacts_fts, rank) VALUES ('integrity-check', 1)");
  }

  describe('searchMessages', () => {
    it('should find a message by a whole word, linking to its conversation and message', async () => {
      const { conversationId, messageId } = await customerSays('6001', 'Is the blue jacket still available?');
      await customerSays('6002', 'Where is my parcel?');
      const hits = await searchMessages(ctx.deps.db, 'jacket');
      assert.equal(hits.length, 1);
      assert.equal(hits[0].conversationId, conversationId);
      assert.equal(hits[0].messageId, messageId);
      assert.equal(hits[0].psid, '6001');
      assert.equal(hits[0].snippet, 'Is the blue <mark>jacket</mark> still available?');
      assert.equal(typeof hits[0].createdAt, 'number');
    });

    it('should match the last word as a prefix, for search as you type', async () => {
      await customerSays('6001', 'When is the delivery?');
      assert.deepEqual(await texts('deliv'), ['When is the delivery?']);
      assert.deepEqual(await texts('when deliv'), ['When is the delivery?']);
      // Only the last word is a prefix, and only from three characters on.
      assert.deepEqual(await texts('whe delivery'), []);
      assert.deepEqual(await texts('de'), []);
    });

    it('should ignore case and diacritics both ways', async () => {
      await customerSays('6001', 'Grüße aus München, Frau Müller');
      assert.equal((await texts('munchen')).length, 1);
      assert.equal((await texts('MÜLLER')).length, 1);
      await customerSays('6002', 'see you at the cafe');
      assert.equal((await texts('café')).length, 1);
    });

    it('should require every word', async () => {
      await customerSays('6001', 'red shoes please');
      await customerSays('6002', 'red jacket please');
      assert.deepEqual(await texts('red shoes'), ['red shoes please']);
      assert.equal((await texts('red')).length, 2);
    });

    it('should escape message text in the snippet and mark only the match', async () => {
      await customerSays('6001', 'hack <script>alert("x")</script> & <b>bold</b> \u0002 stray \u0001 marks');
      const [hit] = await searchMessages(ctx.deps.db, 'alert');
      assert.equal(
        hit.snippet,
        'hack &lt;script&gt;<mark>alert</mark>(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;  stray <mark> marks</mark>',
      );
      assert.doesNotMatch(hit.snippet, /<(?!\/?mark>)/);
    });

    it('should keep the index exact when a customer edits a message', async () => {
      const { messageId, mid } = await customerSays('6001', 'I want the small size');
      await signedWebhook(ctx, (pageId) => [editEvent({ pageId, psid: '6001', mid, text: 'I want the large size', numEdit: 1 })]);
      assert.deepEqual(await texts('small'), []);
      const hits = await searchMessages(ctx.deps.db, 'large');
      assert.deepEqual(
        hits.map((h) => h.messageId),
        [messageId],
      );
      await ftsIntact();
    });

    it('should forget every message and the name of a deleted contact (through the cascade)', async () => {
      const { conversationId } = await customerSays('6001', 'my secret address is Elm Street 5');
      await customerSays('6001', 'and my phone is 555 0101');
      await customerSays('6002', 'Elm Street is nice');
      await ctx.deps.db.run("UPDATE contacts SET name = 'Xaver Quellenhof' WHERE psid = '6001'");
      assert.equal((await searchMessages(ctx.deps.db, 'elm')).length, 2);
      assert.equal((await searchContacts(ctx.deps.db, 'quellenhof')).length, 1);

      await ctx.deps.db.run("DELETE FROM contacts WHERE psid = '6001'");
      assert.equal(await ctx.deps.db.get('SELECT id FROM conversations WHERE id = ?', [conversationId]), undefined);
      assert.deepEqual(await texts('elm'), ['Elm Street is nice']);
      assert.deepEqual(await texts('555'), []);
      assert.deepEqual(await searchContacts(ctx.deps.db, 'quellenhof'), []);
      // Nothing of them is left in the index's own vocabulary either.
      await ctx.deps.db.exec("CREATE VIRTUAL TABLE temp.search_terms USING fts5vocab(main, 'messages_fts', 'row')");
      const terms = (await ctx.deps.db.all<{ term: string }>('SELECT term FROM temp.search_terms')).map((r) => r.term);
      assert.ok(!terms.includes('secret') && !terms.includes('0101'), terms.join(' '));
      await ftsIntact();
    });

    it('should find private notes', async () => {
      const conversationId = await customerWrites(ctx, '6001', 'hello');
      const { agent, csrf } = await signIn(ctx.app, STAFF);
      await agent
        .post(`/conversations/${conversationId}/messages`)
        .type('form')
        .send({ _csrf: csrf, mode: 'note', text: 'Customer prefers a callback on Tuesdays' });
      const [hit] = await searchMessages(ctx.deps.db, 'tuesdays');
      assert.equal(hit?.kind, 'note');
      assert.equal(hit.conversationId, conversationId);
    });

    it('should rank the better match first, then the newer one', async () => {
      // Other messages, so that "refund" is a rarer word than most (bm25 gives common words no weight).
      for (let i = 0; i < 4; i++) await customerSays(`620${i}`, `hello ${i}`);
      const older = await customerSays('6001', 'refund', Date.now() - 60_000);
      const newer = await customerSays('6002', 'refund');
      const weak = await customerSays('6003', 'about the refund for the order I placed last week on your website');
      const hits = await searchMessages(ctx.deps.db, 'refund');
      assert.deepEqual(
        hits.map((h) => h.messageId),
        [newer.messageId, older.messageId, weak.messageId],
      );
    });

    it('should page with limit and offset', async () => {
      for (let i = 0; i < 5; i++) await customerSays(`61${i}`, `invoice number ${i}`);
      const first = await searchMessages(ctx.deps.db, 'invoice', { limit: 2 });
      const second = await searchMessages(ctx.deps.db, 'invoice', { limit: 2, offset: 2 });
      assert.equal(first.length, 2);
      assert.equal(second.length, 2);
      assert.equal(new Set([...first, ...second].map((h) => h.messageId)).size, 4);
    });

    it('should answer hostile or empty queries without an error', async () => {
      await customerSays('6001', 'near or not, here is the "quote" - NEAR the end');
      for (const q of [
        '',
        '   ',
        '"',
        '*',
        'NEAR(',
        '-',
        'OR',
        'AND',
        'NOT',
        '"unbalanced',
        'a"b',
        '(',
        ')',
        '^',
        ':',
        'text:x',
        '{text}: x',
        'NEAR(a b, 2)',
        'x OR',
        '- -- *"*',
        '\u0000',
        '\u0301',
        '🙂',
      ]) {
        await searchMessages(ctx.deps.db, q);
        await searchContacts(ctx.deps.db, q);
      }
      assert.equal((await texts('"')).length, 0);
      assert.equal((await texts('-')).length, 0);
      assert.equal((await texts('NEAR(')).length, 1, 'NEAR( is just the word "near"');
      assert.equal((await texts('OR')).length, 1, 'OR is just the word "or"');
    });
  });

  describe('ftsQuery', () => {
    it('should quote every word and make only the last one a prefix', () => {
      assert.equal(ftsQuery('red  Shoe'), '"red" "Shoe"*');
      assert.equal(ftsQuery('say "hi" OR NEAR(x'), '"say" """hi""" "OR" "NEAR(x"*');
      assert.equal(ftsQuery('a'), '"a"');
      assert.equal(ftsQuery('ab'), '"ab"');
      assert.equal(ftsQuery('abc'), '"abc"*');
      assert.equal(ftsQuery(' - * " ( '), undefined);
    });
  });

  describe('highlightHtml', () => {
    it('should escape everything and balance the marks', () => {
      assert.equal(highlightHtml('<i>\u0001a&b\u0002</i>'), '&lt;i&gt;<mark>a&amp;b</mark>&lt;/i&gt;');
      assert.equal(highlightHtml('\u0002x\u0001y'), 'x<mark>y</mark>');
    });
  });

  describe('GET /search', () => {
    let agent: Agent;
    beforeEach(async () => {
      ({ agent } = await signIn(ctx.app, STAFF));
    });

    it('should redirect to sign-in when signed out, and answer htmx with 401', async () => {
      const page = await request(ctx.app).get('/search?q=x');
      assert.equal(page.status, 303);
      assert.equal(page.headers.location, `/login?next=${encodeURIComponent('/search?q=x')}`);
      const live = await request(ctx.app).get('/search?q=x').set('HX-Request', 'true');
      assert.equal(live.status, 401);
      assert.match(live.headers['hx-redirect'], /^\/login/);
    });

    it('should show a full page with highlighted hits linking to the message', async () => {
      const { conversationId, messageId } = await customerSays('6001', 'Do you sell <gift> cards?');
      await ctx.deps.db.run("UPDATE contacts SET name = 'Gina Gifford' WHERE psid = '6001'");
      const res = await agent.get('/search?q=gif');
      assert.equal(res.status, 200);
      assert.match(res.text, /<html/);
      assert.match(res.text, /<input[^>]+name="q"[^>]+value="gif"/);
      assert.ok(res.text.includes(`href="/conversations/${conversationId}#message-${messageId}"`));
      assert.ok(res.text.includes('Do you sell &lt;<mark>gift</mark>&gt; cards?'));
      assert.ok(res.text.includes('Gina Gifford'));
      // The name matched too: the People list links to the conversation.
      assert.ok(res.text.includes('Gina <mark>Gifford</mark>'));
    });

    it('should answer a live-search htmx request with the results partial only', async () => {
      await customerSays('6001', 'parking behind the store');
      const live = await agent.get('/search?q=park').set('HX-Request', 'true');
      assert.equal(live.status, 200);
      assert.doesNotMatch(live.text, /<html|<body/);
      assert.match(live.text, /<mark>parking<\/mark>/);
      assert.match(live.headers.vary, /HX-Request/i);
      const boosted = await agent.get('/search?q=park').set('HX-Request', 'true').set('HX-Boosted', 'true');
      assert.match(boosted.text, /<html/);
      const restore = await agent.get('/search?q=park').set('HX-Request', 'true').set('HX-History-Restore-Request', 'true');
      assert.match(restore.text, /<html/);
    });

    it('should say when nothing matches, and survive hostile input', async () => {
      for (const q of ['zzzz', '"', 'NEAR(', '<script>']) {
        const res = await agent.get(`/search?q=${encodeURIComponent(q)}`);
        assert.equal(res.status, 200);
        assert.ok(!res.text.includes('<script>'));
      }
      const res = await agent.get('/search?q=zzzz');
      assert.match(res.text, /Nothing matches/);
    });

    it('should page through many matches', async () => {
      const now = Date.now();
      await ctx.deps.db.transaction(async (tx) => {
        const id = (
          await tx.run("INSERT INTO contacts (page_id, psid, created_at, updated_at) VALUES ('p', '7000', ?, ?)", [now, now])
        ).lastID;
        const c = (
          await tx.run("INSERT INTO conversations (page_id, contact_id, created_at, updated_at) VALUES ('p', ?, ?, ?)", [
            id,
            now,
            now,
          ])
        ).lastID;
        for (let i = 0; i < 25; i++) {
          await tx.run(
            "INSERT INTO messages (conversation_id, direction, text, status, sent_by, created_at, received_at) VALUES (?, 'in', ?, 'received', 'contact', ?, ?)",
            [c, `coupon ${i}`, now + i, now + i],
          );
        }
      });
      const first = await agent.get('/search?q=coupon');
      assert.equal((first.text.match(/class="conversation-row search-hit/g) ?? []).length, 20);
      assert.match(first.text, /href="\/search\?q=coupon&page=2"/);
      const second = await agent.get('/search?q=coupon&page=2');
      assert.equal((second.text.match(/class="conversation-row search-hit/g) ?? []).length, 5);
    });
  });

  describe('GET /api/v1/conversations?q=', () => {
    it('should find conversations by a message word or by the contact name', async () => {
      const a = await customerWrites(ctx, '6001', 'Is the bike helmet back in stock?');
      const b = await customerWrites(ctx, '6002', 'hello');
      await ctx.deps.db.run("UPDATE contacts SET name = 'Helmut Brösel' WHERE psid = '6002'");
      await customerWrites(ctx, '6003', 'nothing to see');
      const auth = `Bearer ${(await createApiToken(ctx.deps.db, { name: 'tests', role: 'staff' })).token}`;
      const ids = async (q: string) =>
        (
          (
            await request(ctx.app)
              .get(`/api/v1/conversations?q=${encodeURIComponent(q)}`)
              .set('Authorization', auth)
          ).body.data as { id: number }[]
        )
          .map((c) => c.id)
          .sort();
      assert.deepEqual(await ids('helm'), [a, b].sort());
      assert.deepEqual(await ids('brosel'), [b]);
      assert.deepEqual(await ids('6003').then((r) => r.length), 1);
      assert.deepEqual(await ids('"'), []);
    });
  });

  it('should be reachable for the owner too', async () => {
    const { agent } = await signIn(ctx.app, OWNER);
    assert.equal((await agent.get('/search')).status, 200);
  });
});
