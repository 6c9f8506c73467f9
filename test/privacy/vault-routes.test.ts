// The owner's controls on the Privacy page (privacy/vault-routes.ts): back up now, download, delete,
// restore, rotate the key, wipe. Staff are refused every one; the destructive ones want the owner's
// password again, and a wrong one changes nothing; a wipe also wants the business's name typed out.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { Db, DatabaseKeyError } from '../../src/core/db';
import { listBackups } from '../../src/privacy/backups';
import { saveBusinessProfile } from '../../src/settings/store';
import { databaseFile } from '../../src/services';
import {
  customerWrites,
  inboxContext,
  listen,
  OWNER,
  sessionCookie,
  SseStream,
  STAFF,
  type InboxContext,
} from '../inbox/support';
import { addUser, csrfFrom, PASSWORD, signIn, type Agent } from '../support/browser-session';
import { TEST_KEY } from '../support/context';
import { tablesOf } from './support';

const ACTOR = { actor: 'test' };

describe('The Privacy page’s backup, restore, key and wipe controls', function () {
  this.timeout(60_000);
  let ctx: InboxContext;
  let owner: { agent: Agent; csrf: string };
  beforeEach(async () => {
    ctx = await inboxContext();
    await customerWrites(ctx, '9700000000000001', 'a message worth keeping');
    owner = await signIn(ctx.app, OWNER);
  });
  afterEach(async () => ctx.close());

  const texts = async () => (await ctx.deps.db.all<{ text: string }>('SELECT text FROM messages ORDER BY id')).map((m) => m.text);

  it('should refuse staff every control (403), and change nothing', async () => {
    const backup = await ctx.deps.vault.backup('manual', ACTOR);
    const staff = await signIn(ctx.app, STAFF);
    const before = await tablesOf(ctx.deps.db);
    const calls: [string, string][] = [
      ['get', `/privacy/backups/${backup.name}`],
      ['get', `/privacy/backups/${backup.name}/restore`],
      ['get', '/privacy/key'],
      ['get', '/privacy/wipe'],
      ['post', '/privacy/backups'],
      ['post', `/privacy/backups/${backup.name}/delete`],
      ['post', `/privacy/backups/${backup.name}/restore`],
      ['post', '/privacy/key'],
      ['post', '/privacy/wipe'],
    ];
    for (const [method, path] of calls) {
      const res =
        method === 'get'
          ? await staff.agent.get(path)
          : await staff.agent
              .post(path)
              .type('form')
              .send({ _csrf: staff.csrf, password: PASSWORD, confirm: 'delete everything' });
      assert.equal(res.status, 403, `${method.toUpperCase()} ${path}`);
      assert.match(res.text, /Only the owner/);
    }
    const after = await tablesOf(ctx.deps.db);
    // Staff's own page views touch only their session's last-seen time.
    delete before.sessions;
    delete after.sessions;
    assert.deepEqual(after, before);
    assert.deepEqual(
      listBackups(ctx.dataDir).map((b) => b.name),
      [backup.name],
    );
  });

  it('should back up now, list it, download it byte for byte, and delete it', async () => {
    const made = await owner.agent.post('/privacy/backups').type('form').send({ _csrf: owner.csrf });
    assert.equal(made.status, 303);
    const [backup] = listBackups(ctx.dataDir);
    assert.equal(made.headers.location, `/privacy/manage?backup=${backup.name}#backups`);
    const page = await owner.agent.get(made.headers.location);
    assert.match(page.text, new RegExp(`Backup <code>${backup.name}</code> written`));
    assert.match(page.text, /Every night at 03:30 ChatX makes a backup and keeps the newest 7/);

    const download = await owner.agent
      .get(`/privacy/backups/${backup.name}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
    assert.equal(download.status, 200);
    assert.match(download.headers['content-disposition'], new RegExp(`attachment; filename="?${backup.name}"?`));
    assert.ok((download.body as Buffer).equals(fs.readFileSync(backup.file)));

    const removed = await owner.agent.post(`/privacy/backups/${backup.name}/delete`).type('form').send({ _csrf: owner.csrf });
    assert.equal(removed.status, 303);
    assert.deepEqual(listBackups(ctx.dataDir), []);
    const actions = await ctx.deps.db.all<{ action: string }>(
      "SELECT action FROM audit_log WHERE action LIKE 'database.%' ORDER BY id",
    );
    assert.deepEqual(
      actions.map((a) => a.action),
      ['database.backed-up', 'database.backup-downloaded', 'database.backup-deleted'],
    );
    assert.equal((await owner.agent.get(`/privacy/backups/${backup.name}`)).status, 404);
    assert.equal((await owner.agent.get('/privacy/backups/..%2Fchatx.db')).status, 404, 'only backups, never another file');
  });

  describe('with a wrong password', () => {
    it('should refuse a restore, a rotation and a wipe, and change nothing', async () => {
      const backup = await ctx.deps.vault.backup('manual', ACTOR);
      await customerWrites(ctx, '9700000000000001', 'written after the backup');
      const before = await tablesOf(ctx.deps.db);
      const wrong = { _csrf: owner.csrf, password: 'not my password', confirm: 'delete everything' };
      for (const path of [`/privacy/backups/${backup.name}/restore`, '/privacy/key', '/privacy/wipe']) {
        const res = await owner.agent.post(path).type('form').send(wrong);
        assert.equal(res.status, 403, path);
        assert.match(res.text, /That is not your password\. Nothing was changed; enter it again to confirm\./);
      }
      const after = await tablesOf(ctx.deps.db);
      // What a refusal writes: the refusal itself, in the audit log (one row with a count).
      const refusals = after.audit_log.filter((r) => (r as { action: string }).action === 'privacy.password-refused');
      assert.equal(refusals.length, 1);
      after.audit_log = after.audit_log.filter((r) => !refusals.includes(r));
      delete before.sessions;
      delete after.sessions;
      assert.deepEqual(after, before);
      assert.equal(ctx.deps.databaseKey.passphrase, TEST_KEY);
      assert.equal(listBackups(ctx.dataDir).length, 1);
    });

    it('should stop guessing after five wrong passwords', async () => {
      for (let i = 0; i < 5; i++)
        await owner.agent
          .post('/privacy/key')
          .type('form')
          .send({ _csrf: owner.csrf, password: `guess ${i}` });
      const res = await owner.agent.post('/privacy/key').type('form').send({ _csrf: owner.csrf, password: PASSWORD });
      assert.equal(res.status, 429);
      assert.match(res.text, /Too many wrong passwords\. Try again in 15 minutes\./);
      assert.equal(ctx.deps.databaseKey.passphrase, TEST_KEY);
    });
  });

  it('should restore a backup and keep the owner signed in, on the Privacy page', async () => {
    const backup = await ctx.deps.vault.backup('manual', ACTOR);
    await customerWrites(ctx, '9700000000000001', 'written after the backup');
    const page = await owner.agent.get(`/privacy/backups/${backup.name}/restore`);
    assert.match(page.text, /Restoring replaces everything ChatX holds now/);
    const res = await owner.agent
      .post(`/privacy/backups/${backup.name}/restore`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text), password: PASSWORD });
    assert.equal(res.status, 303, res.text);
    const [saved] = listBackups(ctx.dataDir).filter((b) => b.kind === 'before-restore');
    assert.equal(res.headers.location, `/privacy/manage?restored=${backup.name}&saved=${saved.name}#backups`);
    assert.deepEqual(await texts(), ['a message worth keeping']);
    // The session this owner signed in with was made after the backup: a new one was made in it.
    const manage = await owner.agent.get(res.headers.location);
    assert.equal(manage.status, 200);
    assert.match(manage.text, new RegExp(`Restored <code>${backup.name}</code>`));
    assert.match(manage.text, new RegExp(`kept as <code>${saved.name}</code>`));
  });

  it('should list a backup copied into DATA_DIR/backups by hand, and restore it from the page', async () => {
    const made = await ctx.deps.vault.backup('manual', ACTOR);
    const copied = path.join(path.dirname(made.file), 'from-the-old-server.db');
    fs.renameSync(made.file, copied);
    await customerWrites(ctx, '9700000000000001', 'written after the backup');
    const manage = await owner.agent.get('/privacy/manage');
    assert.match(manage.text, /<code>from-the-old-server\.db<\/code>/);
    const res = await owner.agent
      .post('/privacy/backups/from-the-old-server.db/restore')
      .type('form')
      .send({ _csrf: owner.csrf, password: PASSWORD });
    assert.equal(res.status, 303, res.text);
    assert.deepEqual(await texts(), ['a message worth keeping']);
  });

  it('should send the owner to sign in when the backup does not know them', async () => {
    const backup = await ctx.deps.vault.backup('manual', ACTOR);
    await addUser(ctx.deps.db, 'later@example.com', 'owner');
    const later = await signIn(ctx.app, 'later@example.com');
    const res = await later.agent
      .post(`/privacy/backups/${backup.name}/restore`)
      .type('form')
      .send({ _csrf: later.csrf, password: PASSWORD });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login');
    assert.equal((await later.agent.get('/privacy/manage')).status, 303, 'signed out');
  });

  it('should ask for the key of that time for a backup from before a rotation', async () => {
    const backup = await ctx.deps.vault.backup('manual', ACTOR);
    await ctx.deps.vault.rotateKey('a brand new key for the test', ACTOR);
    const manage = await owner.agent.get('/privacy/manage');
    assert.match(manage.text, /<code>chatx-[^<]+-manual\.db<\/code> <span class="pill" title="Made before the last key rotation/);
    const page = await owner.agent.get(`/privacy/backups/${backup.name}/restore`);
    assert.match(page.text, /This backup was made before the key was last rotated/);
    const refused = await owner.agent
      .post(`/privacy/backups/${backup.name}/restore`)
      .type('form')
      .send({ _csrf: owner.csrf, password: PASSWORD });
    assert.equal(refused.status, 422);
    assert.match(
      refused.text,
      /the key in DATABASE_KEY does not open chatx-[^ ]+\.db; it was made with another key: enter the key it was made with under “Key of that time”\./,
    );
    const res = await owner.agent
      .post(`/privacy/backups/${backup.name}/restore`)
      .type('form')
      .send({ _csrf: owner.csrf, password: PASSWORD, old_key: TEST_KEY });
    assert.equal(res.status, 303, res.text);
    assert.deepEqual(await texts(), ['a message worth keeping']);
    assert.equal(ctx.deps.databaseKey.passphrase, 'a brand new key for the test', 'restored under the current key');
  });

  it('should rotate the key, show a generated one once, uncached, and say which secret to change', async () => {
    const page = await owner.agent.get('/privacy/key');
    assert.match(page.text, /ChatX cannot change <code>DATABASE_KEY<\/code> for you/);
    const res = await owner.agent.post('/privacy/key').type('form').send({ _csrf: owner.csrf, password: PASSWORD });
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const shown = /id="new-key" value="([0-9a-f]{64})"|value="([0-9a-f]{64})"[^>]*id="new-key"/.exec(res.text);
    const key = shown?.[1] ?? shown?.[2];
    assert.ok(key, 'the new key is on the page');
    assert.equal(ctx.deps.databaseKey.passphrase, key);
    assert.match(res.text, /Set DATABASE_KEY to the new key before ChatX starts again/);
    assert.match(res.text, /Backups made before now still open only with the old key/);
    await customerWrites(ctx, '9700000000000001', 'written under the new key');
    await ctx.deps.db.close();
    await assert.rejects(Db.open(databaseFile(ctx.config), TEST_KEY), DatabaseKeyError);
    const db = await Db.open(databaseFile(ctx.config), key!);
    assert.equal((await db.all('SELECT id FROM messages')).length, 2);
    await db.close();
  });

  describe('wipe', () => {
    it('should want the business name typed out (or "delete everything" when none is set)', async () => {
      const page = await owner.agent.get('/privacy/wipe');
      assert.match(page.text, /Type <strong>delete everything<\/strong>/);
      await saveBusinessProfile(ctx.deps.db, { businessName: 'Rosa’s Bakery', contactEmail: '', website: '' });
      assert.match((await owner.agent.get('/privacy/wipe')).text, /Type <strong>Rosa’s Bakery<\/strong> \(the business name\)/);
      const res = await owner.agent
        .post('/privacy/wipe')
        .type('form')
        .send({ _csrf: owner.csrf, password: PASSWORD, confirm: 'delete everything' });
      assert.equal(res.status, 400);
      assert.match(res.text, /Type “Rosa’s Bakery” to confirm\./);
      assert.deepEqual(await texts(), ['a message worth keeping']);
    });

    it('should delete everything and every backup, end every session and live stream, and go to /setup', async () => {
      await ctx.deps.vault.backup('manual', ACTOR);
      await saveBusinessProfile(ctx.deps.db, { businessName: 'Rosa’s Bakery', contactEmail: '', website: '' });
      const staff = await sessionCookie(ctx, STAFF);
      const server = await listen(ctx);
      const stream = await SseStream.open(`${server.url}/events`, { Cookie: staff.cookie });
      assert.equal(stream.status, 200);
      try {
        const res = await owner.agent
          .post('/privacy/wipe')
          .type('form')
          .send({ _csrf: owner.csrf, password: PASSWORD, confirm: '  rosa’s   bakery ' });
        assert.equal(res.status, 303, res.text);
        assert.equal(res.headers.location, '/setup');
        const ended = await Promise.race([stream.ended.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
        assert.ok(ended, 'the staff member’s live stream ended');
      } finally {
        stream.close();
        await server.close();
      }
      assert.deepEqual(listBackups(ctx.dataDir), []);
      assert.deepEqual(await texts(), []);
      assert.deepEqual(await ctx.deps.db.all('SELECT id FROM users'), []);
      assert.deepEqual(await ctx.deps.db.all('SELECT action, actor FROM audit_log'), [
        { action: 'database.wiped', actor: 'owner' },
      ]);
      assert.equal((await owner.agent.get('/')).headers.location, '/setup');
      assert.equal((await request(ctx.app).get('/setup')).status, 200);
    });
  });
});
