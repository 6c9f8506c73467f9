// A person's timeline on their page: messages (linking into the conversation at that message),
// notes, lead events, follow-ups, assignments and status changes, and audit entries about them, in
// one list, newest first, paged by (at, kind, id) without skipping or repeating an entry.
import assert from 'node:assert/strict';
import { contactTimeline } from '../../src/crm/timeline';
import { customerWrites, inboxContext, STAFF, type InboxContext } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';

describe('The contact timeline', () => {
  let ctx: InboxContext;
  let conversationId: number;
  let contactId: number;
  let staff: { agent: Agent; csrf: string };

  beforeEach(async () => {
    ctx = await inboxContext();
    conversationId = await customerWrites(ctx, '4500000000000001', 'Do you have the blue one?', Date.now() - 60_000);
    contactId = (await ctx.deps.db.get<{ contact_id: number }>('SELECT contact_id FROM conversations WHERE id = ?', [
      conversationId,
    ]))!.contact_id;
    staff = await signIn(ctx.app, STAFF);
  });
  afterEach(() => ctx.close());

  it('should list every kind of entry, newest first, each with what it says', async () => {
    await ctx.deps.workflow.addNote(conversationId, ctx.staffId, 'Wants it before Friday');
    await ctx.deps.workflow.change(conversationId, { assigneeId: ctx.staffId, actorUserId: ctx.ownerId });
    await ctx.deps.workflow.change(conversationId, { status: 'pending', actorUserId: ctx.staffId });
    await ctx.deps.leads.change(contactId, {}, { actor: 'owner@example.com', actorUserId: ctx.ownerId });
    await ctx.deps.followUps.create(
      contactId,
      { dueAt: Date.now() + 86_400_000, note: 'Ask about the blue one', ownerId: ctx.staffId },
      { actor: 'staff@example.com', actorUserId: ctx.staffId },
    );
    const form = await staff.agent.post(`/contacts/${contactId}`).type('form').send({ _csrf: staff.csrf, phone: '030 1234567' });
    assert.equal(form.status, 303);

    const { entries } = await contactTimeline(ctx.deps.db, contactId);
    const kinds = new Set(entries.map((e) => e.kind));
    for (const kind of ['message', 'note', 'conversation', 'lead', 'follow_up', 'audit'])
      assert.ok(kinds.has(kind as never), kind);
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1].at >= entries[i].at, 'newest first');
    // An audit entry about someone else is not theirs.
    assert.ok(entries.every((e) => e.kind !== 'audit' || e.what !== 'contact.no_ai'));

    const page = await staff.agent.get(`/contacts/${contactId}`);
    assert.equal(page.status, 200);
    const timeline = /<section class="panel" id="timeline">[\s\S]*?<\/section>/.exec(page.text)![0];
    const message = entries.find((e) => e.kind === 'message')!;
    assert.match(
      timeline,
      new RegExp(`<a href="/conversations/${conversationId}#message-${message.id}">Do you have the blue one\\?</a>`),
    );
    assert.match(timeline, /Private note/);
    assert.match(timeline, /Wants it before Friday/);
    assert.match(timeline, /Assigned to Sam Staff/);
    assert.match(timeline, /Marked pending/);
    assert.match(timeline, /Became a lead/);
    assert.match(timeline, /Follow-up \(pending\)/);
    assert.match(timeline, /Details corrected<\/strong> <span class="muted small">by staff@example.com/);
    assert.ok(timeline.indexOf('Details corrected') < timeline.indexOf('Do you have the blue one'), 'newest first on the page');
  });

  it('should page through entries that share one time without skipping or repeating any', async () => {
    const at = Date.now() - 30_000;
    for (let i = 0; i < 7; i++)
      await ctx.deps.db.run(
        "INSERT INTO conversation_events (conversation_id, at, kind, value) VALUES (?, ?, 'status', 'open')",
        [conversationId, at],
      );
    for (let i = 0; i < 4; i++)
      await ctx.deps.db.run("INSERT INTO audit_log (at, actor, action, target) VALUES (?, 'cli', 'contact.exported', ?)", [
        at,
        `contact #${contactId}`,
      ]);
    const all = await contactTimeline(ctx.deps.db, contactId, { limit: 100 });
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await contactTimeline(ctx.deps.db, contactId, { cursor, limit: 3 });
      seen.push(...page.entries.map((e) => `${e.kind}.${e.id}`));
      if (!page.next) break;
      cursor = page.next;
    }
    assert.deepEqual(
      seen,
      all.entries.map((e) => `${e.kind}.${e.id}`),
    );
    assert.equal(new Set(seen).size, 12);
  });

  describe('GET /contacts/:id/timeline', () => {
    it('should answer htmx with the next page of entries and its own "Older" button', async () => {
      for (let i = 0; i < 35; i++)
        await ctx.deps.db.run(
          "INSERT INTO conversation_events (conversation_id, at, kind, value) VALUES (?, ?, 'status', 'open')",
          [conversationId, Date.now() - 50_000 + i],
        );
      const page = await staff.agent.get(`/contacts/${contactId}`);
      const next = /hx-get="\/contacts\/\d+\/timeline\?before=([^"]+)"/.exec(page.text)?.[1];
      assert.ok(next, 'the first page has an Older button');
      const more = await staff.agent.get(`/contacts/${contactId}/timeline?before=${next}`).set('HX-Request', 'true');
      assert.equal(more.status, 200);
      assert.doesNotMatch(more.text, /<html/);
      assert.equal((more.text.match(/<li class="timeline-entry/g) ?? []).length, 6);
      assert.doesNotMatch(more.text, /timeline-more/);
      const plain = await staff.agent.get(`/contacts/${contactId}/timeline?before=${next}`);
      assert.equal(plain.status, 303);
      assert.equal(plain.headers.location, `/contacts/${contactId}?timeline=${next}#timeline`);
      const fromThere = await staff.agent.get(`/contacts/${contactId}?timeline=${next}`);
      assert.equal((fromThere.text.match(/<li class="timeline-entry/g) ?? []).length, 6);
    });

    it('should start from the newest for a cursor that means nothing, and 404 for nobody', async () => {
      for (const bad of ['x', '1.drop_table.1', '99999999999999999999.message.1']) {
        const res = await staff.agent
          .get(`/contacts/${contactId}/timeline?before=${encodeURIComponent(bad)}`)
          .set('HX-Request', 'true');
        assert.equal(res.status, 200, bad);
        assert.match(res.text, /Do you have the blue one/, bad);
      }
      assert.equal((await staff.agent.get('/contacts/99999/timeline').set('HX-Request', 'true')).status, 404);
    });
  });
});
