// Encrypted backups of the live database (privacy/vault.ts, db-files.ts): made while webhooks are
// being written, they open with the database key and with nothing else; backup → wipe → restore
// gives back every table as it was; a restore refuses what it cannot trust and changes nothing
// then; the nightly job keeps the newest BACKUP_KEEP.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createApp } from '../../src/app';
import { Db, DatabaseKeyError } from '../../src/core/db';
import { jobs } from '../../src/jobs';
import { listBackups } from '../../src/privacy/backups';
import type { RestoreOptions } from '../../src/privacy/vault';
import { buildServices, databaseFile, type Services } from '../../src/services';
import { customersWrite, customerWrites, inboxContext, type InboxContext } from '../inbox/support';
import { TEST_KEY, tempDir, testConfig, type TestContext } from '../support/context';
import { openLikeATool, tablesOf, type Tables } from './support';

const ACTOR = { actor: 'test' };
const restoreOptions: RestoreOptions = { actor: ACTOR, keyHint: 'give the key it was made with' };

const texts = async (db: Db) => (await db.all<{ text: string }>('SELECT text FROM messages ORDER BY id')).map((m) => m.text);

/** The audit log without the rows a restore adds to it (the restored database's own record of it). */
function withoutRestoreRecord(tables: Tables): Tables {
  return {
    ...tables,
    audit_log: tables.audit_log.filter((r) => (r as { action: string }).action !== 'database.restored'),
  };
}

describe('Backups of the live database', function () {
  this.timeout(60_000);
  let ctx: InboxContext;
  afterEach(async () => ctx?.close());

  describe('a backup made while webhooks are being written', () => {
    let services: Services;
    let dataDir: string;
    afterEach(async () => {
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('should be one consistent, encrypted copy that the key opens and nothing else does', async () => {
      dataDir = tempDir();
      // The server's arrangement: webhooks committed on the writer thread's own connection.
      services = await buildServices(testConfig({}, dataDir), { writerThread: true });
      await services.start();
      const fake = { deps: services, app: createApp(services) } as unknown as TestContext;
      await customerWrites(fake, '9100000000000001', 'before the backup');
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          await customersWrite(fake, [
            { psid: '9100000000000002', text: `during the backup ${written}` },
            { psid: '9100000000000003', text: `also during ${written}` },
          ]);
          written += 1;
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const backup = await services.vault.backup('manual', ACTOR);
      writing = false;
      await writer;
      assert.ok(written > 0, 'webhooks were committed while the backup ran');

      assert.equal(fs.statSync(backup.file).mode & 0o777, 0o600);
      assert.deepEqual(
        fs.readdirSync(path.dirname(backup.file)),
        [backup.name],
        'no temporary file is left, and nothing else looks like a backup',
      );
      assert.deepEqual(await openLikeATool(backup.file, undefined), { error: 'SQLITE_NOTADB' }, 'without a key: noise');
      assert.deepEqual(await openLikeATool(backup.file, 'not the key'), { error: 'SQLITE_NOTADB' });
      const opened = await openLikeATool(backup.file, TEST_KEY);
      assert.equal(opened.error, undefined);
      assert.equal(opened.pageSize, '4096', 'default SQLCipher 4 settings');
      assert.equal(opened.kdfIter, '256000');
      assert.ok(!fs.readFileSync(backup.file).includes('before the backup'), 'no plain text in the file');

      // Consistent: one commit's state, each batch all or nothing, every message in its conversation.
      const copy = await Db.open(backup.file, TEST_KEY);
      try {
        const copied = await texts(copy);
        assert.equal(copied[0], 'before the backup');
        const during = copied.filter((t) => t.startsWith('during the backup')).length;
        assert.equal(copied.filter((t) => t.startsWith('also during')).length, during, 'a batch is never half in the copy');
        assert.ok(during <= written);
        const orphans = await copy.get<{ n: number }>(
          'SELECT count(*) AS n FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)',
        );
        assert.equal(orphans!.n, 0);
        assert.deepEqual(await copy.all('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
      } finally {
        await copy.close();
      }
    });
  });

  it('should give back every table as it was after backup → wipe → restore', async () => {
    ctx = await inboxContext();
    await customersWrite(ctx, [
      { psid: '9200000000000001', text: 'Do you deliver on Sundays?' },
      { psid: '9200000000000002', text: 'I would like two croissants' },
    ]);
    const conversationId = await customerWrites(ctx, '9200000000000001', 'And on Mondays?');
    await ctx.deps.outbox.queue({
      conversationId,
      text: 'Yes, both days.',
      files: [{ name: 'menu.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4 menu') }],
      sentBy: 'user',
      userId: ctx.ownerId,
    });
    await ctx.deps.outbox.kick();
    const before = await tablesOf(ctx.deps.db);
    const backup = await ctx.deps.vault.backup('manual', ACTOR);
    const outside = path.join(tempDir(), 'kept-elsewhere.db');
    fs.copyFileSync(backup.file, outside);

    const { backupsDeleted } = await ctx.deps.vault.wipe(ACTOR);
    assert.equal(backupsDeleted, 1);
    assert.deepEqual(listBackups(ctx.dataDir), [], 'the backups went with the wipe');
    assert.equal((await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))!.n, 0);
    assert.deepEqual(await texts(ctx.deps.db), []);

    const { savedAs } = await ctx.deps.vault.restore(outside, restoreOptions);
    assert.equal(savedAs, undefined, 'an empty database (no account) is not worth a before-restore copy');
    assert.deepEqual(withoutRestoreRecord(await tablesOf(ctx.deps.db)), before);
    // And it is the live database now: the webhook path writes into it.
    await customerWrites(ctx, '9200000000000002', 'after the restore');
    assert.equal((await texts(ctx.deps.db)).at(-1), 'after the restore');
    fs.rmSync(path.dirname(outside), { recursive: true, force: true });
  });

  it('should keep the database as it was before a restore, as a backup of its own', async () => {
    ctx = await inboxContext();
    await customerWrites(ctx, '9300000000000001', 'the old state');
    const backup = await ctx.deps.vault.backup('manual', ACTOR);
    await customerWrites(ctx, '9300000000000001', 'written after the backup');
    const { savedAs } = await ctx.deps.vault.restore(backup.file, restoreOptions);
    assert.deepEqual(await texts(ctx.deps.db), ['the old state']);
    assert.match(savedAs!, /^chatx-\d{8}-\d{6}(-\d+)?-before-restore\.db$/);
    const saved = await Db.open(path.join(ctx.dataDir, 'backups', savedAs!), TEST_KEY);
    assert.deepEqual(await texts(saved), ['the old state', 'written after the backup']);
    await saved.close();
  });

  describe('a restore it cannot trust', () => {
    async function refusedAndUnchanged(source: string, options: Partial<RestoreOptions>, code: string, message: RegExp) {
      const before = await tablesOf(ctx.deps.db);
      const backupsBefore = listBackups(ctx.dataDir).map((b) => b.name);
      await assert.rejects(
        ctx.deps.vault.restore(source, { ...restoreOptions, ...options }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, code);
          assert.match(err.message, message);
          return true;
        },
      );
      assert.deepEqual(await tablesOf(ctx.deps.db), before, 'the live database is unchanged');
      assert.deepEqual(
        listBackups(ctx.dataDir).map((b) => b.name),
        backupsBefore,
        'no before-restore copy is kept for a refusal',
      );
      assert.deepEqual(
        fs.readdirSync(ctx.dataDir).filter((f) => f.startsWith('.')),
        [],
        'no temporary file is left in DATA_DIR',
      );
    }

    beforeEach(async () => {
      ctx = await inboxContext();
      await customerWrites(ctx, '9400000000000001', 'the live data');
    });

    it('should refuse a backup the current key does not open, naming the key and what to do', async () => {
      const other = path.join(tempDir(), 'other-key.db');
      const db = await Db.open(other, 'another key entirely');
      await db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)');
      await db.close();
      await refusedAndUnchanged(
        other,
        {},
        'backup-wrong-key',
        /^the key in DATABASE_KEY does not open .*other-key\.db; it was made with another key: give the key it was made with\.$/,
      );
      await refusedAndUnchanged(other, { oldKey: 'not that one either' }, 'backup-wrong-key', /^the key you gave does not open/);
    });

    it('should refuse a missing file, a file that is no database, and a ChatX-less database', async () => {
      const dir = tempDir();
      await refusedAndUnchanged(path.join(dir, 'missing.db'), {}, 'backup-missing', /missing\.db does not exist\.$/);
      fs.writeFileSync(path.join(dir, 'notes.db'), 'these are not the pages you are looking for'.repeat(200));
      await refusedAndUnchanged(path.join(dir, 'notes.db'), {}, 'backup-wrong-key', /does not open .*notes\.db/);
      const foreign = await Db.open(path.join(dir, 'foreign.db'), TEST_KEY);
      await foreign.exec('CREATE TABLE notes (text TEXT)');
      await foreign.close();
      await refusedAndUnchanged(
        path.join(dir, 'foreign.db'),
        {},
        'not-a-backup',
        /foreign\.db opens, but is not a ChatX database\.$/,
      );
      await refusedAndUnchanged(databaseFile(ctx.config), {}, 'restore-from-database', /is the live database itself/);
    });

    it('should refuse a copy of a running database (its write-ahead log beside it)', async () => {
      const dir = tempDir();
      const backup = await ctx.deps.vault.backup('manual', ACTOR);
      fs.copyFileSync(backup.file, path.join(dir, 'copy.db'));
      fs.writeFileSync(path.join(dir, 'copy.db-wal'), 'pending pages');
      await refusedAndUnchanged(path.join(dir, 'copy.db'), {}, 'backup-has-wal', /it is a copy of a running database/);
    });

    it('should restore a backup made under an old key when given that key, under the current key', async () => {
      const old = path.join(tempDir(), 'old-key.db');
      const backup = await ctx.deps.vault.backup('manual', ACTOR);
      fs.copyFileSync(backup.file, old);
      const db = await Db.open(old, TEST_KEY);
      await db.exec("PRAGMA rekey = 'the key of last year'");
      await db.close();
      await ctx.deps.vault.restore(old, { ...restoreOptions, oldKey: 'the key of last year' });
      assert.deepEqual(await texts(ctx.deps.db), ['the live data']);
      await ctx.deps.db.close();
      await assert.rejects(Db.open(databaseFile(ctx.config), 'the key of last year'), DatabaseKeyError);
      const reopened = await Db.open(databaseFile(ctx.config), TEST_KEY);
      assert.deepEqual(await texts(reopened), ['the live data']);
      await reopened.close();
      assert.equal((await openLikeATool(old, 'the key of last year')).error, undefined, 'the file given is left as it was');
    });
  });

  describe('the nightly job', () => {
    const nightly = jobs.find((j) => j.name === 'nightly-backup')!;

    it('should keep the newest BACKUP_KEEP nightly backups, and leave the others alone', async () => {
      ctx = await inboxContext({ BACKUP_KEEP: '2' });
      const manual = await ctx.deps.vault.backup('manual', ACTOR);
      const made: string[] = [];
      for (let night = 1; night <= 3; night++) {
        await customerWrites(ctx, '9500000000000001', `night ${night}`);
        await nightly.run(ctx.deps);
        made.push(listBackups(ctx.dataDir).find((b) => b.kind === 'nightly')!.name);
      }
      const left = listBackups(ctx.dataDir);
      assert.deepEqual(
        left.filter((b) => b.kind === 'nightly').map((b) => b.name),
        [made[2], made[1]],
        'the two newest, newest first',
      );
      assert.ok(
        left.some((b) => b.name === manual.name),
        'a backup made by hand is not the job’s to delete',
      );
      const newest = await Db.open(left[0].file, TEST_KEY);
      assert.equal((await texts(newest)).at(-1), 'night 3');
      await newest.close();
      const audit = await ctx.deps.db.all<{ actor: string }>("SELECT actor FROM audit_log WHERE action = 'database.backed-up'");
      assert.equal(audit.filter((a) => a.actor === 'system').length, 3);
    });

    it('should make none with BACKUP_KEEP=0', async () => {
      ctx = await inboxContext({ BACKUP_KEEP: '0' });
      await nightly.run(ctx.deps);
      assert.deepEqual(listBackups(ctx.dataDir), []);
    });
  });
});
