// The composition root (src/services.ts): one builder for the server, the CLI and the tests; start
// and close in order; and closing and reopening the database (both connections) while running,
// which key rotation, restore and wipe stand on.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../src/app';
import { Db, DatabaseKeyError } from '../src/core/db';
import { buildServices, databaseFile, type Services } from '../src/services';
import { entry, metaJson, pageBody, signBody, textEvent, uniqueMid } from './fakes/messenger-events';
import { TEST_KEY, testConfig } from './support/context';

const SECRET = 'services-test-secret';
const PAGE = '4242';

/** Timers and intervals the process holds (node-cron and the live heartbeat are among them). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

async function webhook(app: ReturnType<typeof createApp>, psid: string, text: string): Promise<void> {
  const body = metaJson(pageBody([entry(PAGE, [textEvent({ pageId: PAGE, psid, mid: uniqueMid(), text })])]));
  const res = await request(app)
    .post('/webhooks/messenger')
    .set('content-type', 'application/json')
    .set('x-hub-signature-256', signBody(body, SECRET))
    .send(body);
  assert.equal(res.status, 200, res.text);
}

const texts = async (services: Services) =>
  (await services.db.all<{ text: string }>("SELECT text FROM messages WHERE direction = 'in' ORDER BY id")).map((m) => m.text);

describe('The composition root (buildServices)', function () {
  this.timeout(30_000);
  let services: Services | undefined;
  let dataDir: string;

  beforeEach(() => {
    dataDir = testConfig().dataDir;
  });

  afterEach(async () => {
    await services?.close();
    services = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const build = async (writerThread = false) => {
    services = await buildServices(testConfig({ FB_APP_SECRET: SECRET, FB_PAGE_ID: PAGE }, dataDir), { writerThread });
    return services;
  };

  it('should build an app that starts nothing, and start and stop the background work in order', async () => {
    await new Promise((resolve) => setImmediate(resolve)); // mocha's own timeout timer starts after the test does
    const before = timers();
    const s = await build();
    createApp(s);
    assert.equal(timers(), before, 'building the services and the app starts no timer');
    await s.start();
    assert.ok(timers() > before, 'start() starts the cron jobs and the live heartbeat');
    await s.close();
    await s.close(); // a second close waits for the same shutdown
    assert.equal(timers(), before, 'close() leaves nothing running');
    await assert.rejects(s.db.get('SELECT 1'), /closed/);
  });

  it('should commit webhooks on the writer thread and announce them on the main thread', async () => {
    const s = await build(true);
    await s.start();
    const announced: number[] = [];
    s.bus.on('message', (m) => announced.push(m.messageId));
    await webhook(createApp(s), '7001', 'through the writer thread');
    assert.deepEqual(await texts(s), ['through the writer thread']);
    assert.equal(announced.length, 1);
  });

  describe('reopen', () => {
    it('should open the database again under a new key (rekeyed while both connections were closed), writer thread included', async () => {
      const s = await build(true);
      await s.start();
      const app = createApp(s);
      await webhook(app, '7002', 'before the new key');
      const file = databaseFile(s.config);
      await s.reopen('the new key', async () => {
        const other = await Db.open(file, TEST_KEY);
        await other.exec("PRAGMA rekey = 'the new key'");
        await other.close();
      });
      assert.equal(s.databaseKey.passphrase, 'the new key');
      await webhook(app, '7002', 'after the new key');
      assert.deepEqual(await texts(s), ['before the new key', 'after the new key']);
      await s.close();
      await assert.rejects(Db.open(file, TEST_KEY), DatabaseKeyError, 'the old key opens nothing');
      const reopened = await Db.open(file, 'the new key');
      assert.equal((await reopened.all('SELECT id FROM messages')).length, 2);
      await reopened.close();
    });

    it('should let statements issued meanwhile wait and run on the new connection', async () => {
      const s = await build();
      await webhook(createApp(s), '7003', 'still here');
      const reopening = s.reopen(TEST_KEY, () => new Promise((resolve) => setTimeout(resolve, 200)));
      const during = s.db.all<{ text: string }>('SELECT text FROM messages');
      await reopening;
      assert.deepEqual(await during, [{ text: 'still here' }]);
    });

    it('should swap in another database file (a restore) without a half-restored state', async () => {
      const s = await build();
      await webhook(createApp(s), '7004', 'the live data');
      const backup = path.join(dataDir, 'backup.db');
      // A copy of an older state: another file with the same key.
      const other = await Db.open(backup, TEST_KEY);
      await other.exec('CREATE TABLE marker (note TEXT)');
      await other.exec("INSERT INTO marker VALUES ('from the backup')");
      await other.close();
      const file = databaseFile(s.config);
      await s.reopen(TEST_KEY, async () => {
        for (const suffix of ['-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
        fs.copyFileSync(backup, file);
      });
      assert.deepEqual(await s.db.all('SELECT note FROM marker'), [{ note: 'from the backup' }]);
      assert.deepEqual(await texts(s), [], 'the restored file was migrated to the current schema');
    });

    it('should keep the database open with the old key when the new one does not open it', async () => {
      const s = await build(true);
      await s.start();
      const app = createApp(s);
      await webhook(app, '7005', 'kept');
      await assert.rejects(s.reopen('not the key'), DatabaseKeyError);
      assert.equal(s.databaseKey.passphrase, TEST_KEY);
      await webhook(app, '7005', 'and still writable');
      assert.deepEqual(await texts(s), ['kept', 'and still writable']);
    });
  });
});
