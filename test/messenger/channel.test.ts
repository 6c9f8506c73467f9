// The channel's state: made once at install (verify token, sandbox secret), read without ever
// writing, cached, and fresh again right after anything changes it.
import assert from 'node:assert/strict';
import { SANDBOX_PAGE_ID } from '../../src/messenger/channel';
import { startFakeGraph } from '../fakes/graph';
import { addUser, signIn } from '../support/browser-session';
import { makeContext, type TestContext } from '../support/context';

describe('The Messenger channel state', () => {
  let ctx: TestContext;
  beforeEach(async () => (ctx = await makeContext()));
  afterEach(() => ctx.close());

  /** Rows this connection has written so far (SQLite's own counter). */
  const writes = async () => (await ctx.deps.db.get<{ n: number }>('SELECT total_changes() AS n'))!.n;

  it('should have its verify token and sandbox secret from the install, and never write when read', async () => {
    const before = await writes();
    const state = await ctx.deps.channel.state();
    ctx.deps.channel.invalidate();
    const again = await ctx.deps.channel.state();
    assert.equal(await writes(), before, 'reading the state wrote nothing');
    assert.match(state.verifyToken, /^[0-9a-f]{36}$/);
    assert.equal(state.verifyTokenSource, 'generated');
    assert.deepEqual([state.sandbox, state.appSecretSource, state.pageId], [true, 'sandbox', SANDBOX_PAGE_ID]);
    assert.match(state.appSecret!, /^[0-9a-f]{48}$/);
    assert.deepEqual(again, state, 'the same secrets on every read');
  });

  it('should serve the cached state until a save, then the saved one at once', async () => {
    assert.equal((await ctx.deps.channel.state()).humanAgentEnabled, false);
    // Written behind the channel's back: the cache does not see it (only the channel writes these)…
    await ctx.deps.db.run("UPDATE settings SET value = 'on' WHERE key = 'messenger.human_agent'");
    await ctx.deps.db.run("INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES ('messenger.page_id', '123', 0)");
    assert.equal((await ctx.deps.channel.state()).pageId, SANDBOX_PAGE_ID);
    // …while a save through it is seen right away.
    const { tokenChanged } = await ctx.deps.channel.save({ humanAgent: true, pageToken: 'EAAnew' });
    const state = await ctx.deps.channel.state();
    assert.deepEqual([tokenChanged, state.humanAgentEnabled, state.sandbox, state.pageId], [true, true, false, '123']);
    await ctx.deps.channel.tokenRejected('EAAnew', 'Session has expired');
    assert.deepEqual(
      [(await ctx.deps.channel.state()).tokenState, (await ctx.deps.channel.state()).tokenError],
      ['invalid', 'Session has expired'],
    );
    await ctx.deps.channel.save({ pageToken: 'EAAnewer' });
    assert.equal((await ctx.deps.channel.state()).tokenState, 'ok', 'a new token clears the "invalid" mark by itself');
  });

  it('should keep FB_VERIFY_TOKEN and the environment ahead of anything saved', async () => {
    const env = await makeContext({ FB_VERIFY_TOKEN: 'from-env', FB_PAGE_ACCESS_TOKEN: 'EAAenv', FB_PAGE_ID: '777' });
    try {
      await env.deps.channel.save({ pageToken: 'EAAsaved', pageId: '888' });
      const state = await env.deps.channel.state();
      assert.deepEqual([state.verifyToken, state.verifyTokenSource], ['from-env', 'env']);
      assert.deepEqual([state.token, state.tokenSource, state.pageId], ['EAAenv', 'env', '777']);
      assert.equal(await env.deps.db.get("SELECT value FROM settings WHERE key = 'messenger.page_token'"), undefined);
    } finally {
      await env.close();
    }
  });

  describe('Settings → Messenger → Test connection', () => {
    it("should name the Page the token is for, and take it as this install's Page when none is set", async () => {
      const fake = await startFakeGraph({ validToken: 'EAAtested', pageId: '104729385012345', pageName: 'Corner Bakery' });
      const live = await makeContext({ GRAPH_API_URL: fake.url });
      try {
        await addUser(live.deps.db, 'owner@example.com', 'owner');
        await live.deps.channel.save({ pageToken: 'EAAtested' });
        assert.equal((await live.deps.channel.state()).ownPageId, undefined, 'a token, but no Page id yet');
        const { agent, csrf } = await signIn(live.app, 'owner@example.com');
        const res = await agent.post('/settings/messenger/test').type('form').send({ _csrf: csrf });
        assert.equal(res.status, 200);
        assert.match(
          res.text,
          /Connected to the Page &#34;Corner Bakery&#34; \(104729385012345\)|Connected to the Page "Corner Bakery" \(104729385012345\)/,
        );
        const state = await live.deps.channel.state();
        assert.deepEqual([state.pageId, state.ownPageId], ['104729385012345', '104729385012345']);
      } finally {
        await live.close();
        await fake.close();
      }
    });
  });
});
