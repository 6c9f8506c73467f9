// kill -9 at the worst moments: during a webhook flood, between a reply's commit and its send, and
// between the send and its status. Whatever was answered 200 survives; nothing is doubled, in the
// inbox or at Meta.
import assert from 'node:assert/strict';
import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { buildOnce, echoBody, PAGE, postWebhook, SECRET, ServerProcess, textBody, TOKEN } from './support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Faults: kill -9', function () {
  this.timeout(120_000);
  before(buildOnce);
  const servers: ServerProcess[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.kill9();
  });

  it('should keep every webhook event it answered 200 through a kill -9 mid-flood, and add nothing when Meta sends them all again', async () => {
    const server = new ServerProcess();
    servers.push(server);
    await server.start();
    const events = Array.from({ length: 3000 }, (_, i) => ({
      psid: String(6100000 + (i % 150)),
      mid: `m_flood_${i}`,
      text: `flood ${i}`,
    }));
    const acked = new Set<string>();
    const sendAll = async (senders: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: senders }, async () => {
          while (next < events.length) {
            const e = events[next++];
            if ((await postWebhook(server.url, textBody([e]))) === 200) acked.add(e.mid);
          }
        }),
      );
    };
    const flood = sendAll(20);
    while (acked.size < 1000) await sleep(5);
    await server.kill9();
    await flood; // what was in flight, and everything after, fails to connect
    const ackedAtCrash = new Set(acked);
    assert.ok(ackedAtCrash.size < events.length, 'the crash happened mid-flood');

    await server.start();
    const stored = new Set(
      await server.db(async (db) => (await db.all<{ mid: string }>('SELECT mid FROM messages')).map((r) => r.mid)),
    );
    const lost = [...ackedAtCrash].filter((mid) => !stored.has(mid));
    assert.deepEqual(lost, [], 'every event answered 200 was committed');

    // Meta retries what it saw fail, and (as it may) some of what succeeded too: here, everything.
    acked.clear();
    await sendAll(20);
    assert.equal(acked.size, events.length, 'every re-send is answered 200');
    const totals = await server.db((db) =>
      db.get<{ messages: number; mids: number; conversations: number; unread: number }>(
        `SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(DISTINCT mid) FROM messages) AS mids,
                (SELECT count(*) FROM conversations) AS conversations, (SELECT sum(unread_count) FROM conversations) AS unread`,
      ),
    );
    assert.deepEqual(totals, { messages: 3000, mids: 3000, conversations: 150, unread: 3000 });
  });

  describe('with a Page connected (the fake Graph API)', () => {
    let fake: FakeGraph;
    beforeEach(async () => {
      fake = await startFakeGraph({ validToken: TOKEN, pageId: PAGE, appSecret: SECRET, requireAppSecretProof: true });
    });
    afterEach(() => fake.close());

    async function connected(): Promise<{ server: ServerProcess; auth: string; conversationId: number }> {
      const server = new ServerProcess(undefined, { FB_PAGE_ACCESS_TOKEN: TOKEN, GRAPH_API_URL: fake.url });
      servers.push(server);
      await server.start();
      assert.equal(await postWebhook(server.url, textBody([{ psid: '6200001', mid: 'm_hello', text: 'hello' }])), 200);
      const row = await server.db((db) => db.get<{ id: number }>('SELECT id FROM conversations'));
      return { server, auth: `Bearer ${await server.apiToken()}`, conversationId: row!.id };
    }

    async function reply(server: ServerProcess, auth: string, conversationId: number, text: string): Promise<number> {
      const res = await fetch(`${server.url}/api/v1/conversations/${conversationId}/messages`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ text }),
      });
      assert.equal(res.status, 202);
      return ((await res.json()) as { id: number }).id;
    }

    const sendsOf = (text: string) => fake.sends().filter((c) => c.params.message?.text === text);

    it('should send a reply exactly once after a kill -9 between its commit and its send', async () => {
      const { server, auth, conversationId } = await connected();
      fake.failSends(1, { status: 500, code: 2 }); // the first try fails: the reply waits, committed, for its retry
      await reply(server, auth, conversationId, 'committed, not yet sent');
      await fake.waitForSends(1);
      // Killed once the failure is on record: the reply is committed and waits for its next try.
      for (let i = 0; i < 100; i++) {
        const row = await server.db((db) => db.get<{ state: string; attempts: number }>('SELECT state, attempts FROM outbox'));
        if (row?.state === 'pending' && row.attempts === 1) break;
        await sleep(20);
      }
      await server.kill9();
      assert.equal(fake.deliveredSends().length, 0);

      await server.start();
      await fake.waitForCalls((c) => c.status === 200 && c.params.message?.text === 'committed, not yet sent', 1, 20_000);
      await sleep(6000); // a sweep of the outbox later: still once
      assert.equal(sendsOf('committed, not yet sent').filter((c) => c.status === 200).length, 1);
      const status = await server.db((db) => db.get<{ status: string }>("SELECT status FROM messages WHERE direction = 'out'"));
      assert.equal(status!.status, 'sent');
    });

    it('should not send again after a kill -9 between the send and its status, once the echo proves it went', async () => {
      const { server, auth, conversationId } = await connected();
      fake.hangSends(true); // Meta takes the message; the answer never comes back
      const id = await reply(server, auth, conversationId, 'reached Meta, answer lost');
      const [sent] = await fake.waitForCalls((c) => c.params.message?.text === 'reached Meta, answer lost');
      await server.kill9();
      fake.hangSends(false);
      const metadata = sent.params.message.metadata as string;
      assert.match(metadata, /^chatx:\d+:0$/, 'every part ChatX sends carries its metadata');

      await server.start();
      // Meta's echo of what it received (it carries ChatX's metadata).
      const echo = echoBody({ psid: '6200001', mid: 'm_echo_of_it', metadata, text: 'reached Meta, answer lost' });
      assert.equal(await postWebhook(server.url, echo), 200);
      await sleep(6000); // a sweep of the outbox later
      assert.equal(sendsOf('reached Meta, answer lost').length, 1, 'sent once, never again');
      const state = await server.db((db) =>
        db.get<{ status: string; mid: string; outbox: string }>(
          'SELECT m.status, m.mid, o.state AS outbox FROM messages m JOIN outbox o ON o.message_id = m.id WHERE m.id = ?',
          [id],
        ),
      );
      assert.deepEqual(state, { status: 'sent', mid: 'm_echo_of_it', outbox: 'done' });
      assert.equal((await server.db((db) => db.all("SELECT id FROM messages WHERE direction = 'out'"))).length, 1);
    });
  });
});
