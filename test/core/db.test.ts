import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Db } from '../../src/core/db';
import { FOREIGN_KEYS_OFF, listMigrations, migrate, MigrationError } from '../../src/core/migrate';
import { TEST_KEY, tempDir } from '../support/context';

describe('core/db and migrations', () => {
  let dir: string;
  let db: Db;

  beforeEach(async () => {
    dir = tempDir();
    db = await Db.open(path.join(dir, 'chatx.db'), TEST_KEY);
  });

  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('migrate()', () => {
    it('should apply every migration on an empty database and record each one', async () => {
      const applied = await migrate(db);
      assert.deepEqual(
        applied,
        listMigrations().map((m) => m.version),
      );
      const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name);
      for (const table of [
        'users',
        'sessions',
        'settings',
        'contacts',
        'conversations',
        'messages',
        'attachments',
        'outbox',
        'jobs',
        'deletion_requests',
        'audit_log',
      ]) {
        assert.ok(tables.includes(table), `table ${table} exists`);
      }
      const recorded = await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(
        recorded.map((r) => r.version),
        applied,
      );
    });

    it('should apply nothing the second time', async () => {
      await migrate(db);
      assert.deepEqual(await migrate(db), []);
    });

    it('should carry the Page id on contacts and conversations', async () => {
      await migrate(db);
      for (const table of ['contacts', 'conversations']) {
        const cols = (await db.all<{ name: string }>(`PRAGMA table_info(${table})`)).map((c) => c.name);
        assert.ok(cols.includes('page_id'), `${table}.page_id`);
      }
    });

    it('should roll back a failing migration, record nothing, and throw MigrationError', async () => {
      const migrations = tempDir('chatx-migrations-');
      fs.writeFileSync(path.join(migrations, '0001_good.sql'), 'CREATE TABLE a (x INTEGER);');
      fs.writeFileSync(path.join(migrations, '0002_bad.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);');
      await assert.rejects(
        migrate(db, migrations),
        (err: Error) => err instanceof MigrationError && /0002_bad\.sql/.test(err.message),
      );
      const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name);
      assert.ok(tables.includes('a'), 'the good migration stays');
      assert.ok(!tables.includes('b'), 'the bad migration left nothing behind');
      assert.deepEqual(
        (await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
        [1],
      );
      fs.rmSync(migrations, { recursive: true, force: true });
    });
  });

  describe('a migration that rebuilds a table (foreign keys off while it runs)', () => {
    let migrations: string;
    beforeEach(() => {
      migrations = tempDir('chatx-migrations-');
      fs.writeFileSync(
        path.join(migrations, '0001_tables.sql'),
        `CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);
         INSERT INTO parent VALUES (1, 'one'); INSERT INTO child VALUES (10, 1);`,
      );
    });
    afterEach(() => fs.rmSync(migrations, { recursive: true, force: true }));
    const rebuild = (extra = '') =>
      fs.writeFileSync(
        path.join(migrations, '0002_rebuild.sql'),
        `${FOREIGN_KEYS_OFF}
         CREATE TABLE parent_new (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);
         INSERT INTO parent_new SELECT id, name FROM parent ${extra};
         DROP TABLE parent;
         ALTER TABLE parent_new RENAME TO parent;`,
      );

    it('should keep the rows that point at the rebuilt table (no cascade), and turn foreign keys on again', async () => {
      rebuild();
      await migrate(db, migrations);
      assert.deepEqual(await db.all('SELECT id, parent_id FROM child'), [{ id: 10, parent_id: 1 }]);
      assert.equal((await db.get<{ foreign_keys: number }>('PRAGMA foreign_keys'))?.foreign_keys, 1);
      assert.match((await db.get<{ sql: string }>("SELECT sql FROM sqlite_master WHERE name = 'parent'"))!.sql, /AUTOINCREMENT/);
    });

    it('should refuse a rebuild that leaves a reference broken, and leave everything as it was', async () => {
      rebuild('WHERE id <> 1');
      await assert.rejects(
        migrate(db, migrations),
        (err: Error) => err instanceof MigrationError && /broken references in child/.test(err.message),
      );
      assert.deepEqual(await db.all('SELECT id, name FROM parent'), [{ id: 1, name: 'one' }]);
      assert.equal((await db.get<{ foreign_keys: number }>('PRAGMA foreign_keys'))?.foreign_keys, 1);
    });
  });

  describe('pragmas', () => {
    it('should run in WAL mode with foreign keys, secure delete and NORMAL sync', async () => {
      assert.equal((await db.get<{ journal_mode: string }>('PRAGMA journal_mode'))?.journal_mode, 'wal');
      assert.equal((await db.get<{ foreign_keys: number }>('PRAGMA foreign_keys'))?.foreign_keys, 1);
      assert.equal((await db.get<{ secure_delete: number }>('PRAGMA secure_delete'))?.secure_delete, 1);
      assert.equal((await db.get<{ synchronous: number }>('PRAGMA synchronous'))?.synchronous, 1);
      assert.equal((await db.get<{ timeout: number }>('PRAGMA busy_timeout'))?.timeout, 5000);
    });
  });

  describe('transaction()', () => {
    beforeEach(() => db.exec('CREATE TABLE t (who TEXT NOT NULL)'));

    it('should commit what fn wrote and return its result', async () => {
      const result = await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (who) VALUES (?)', ['a']);
        return 42;
      });
      assert.equal(result, 42);
      assert.deepEqual(await db.all('SELECT who FROM t'), [{ who: 'a' }]);
    });

    it('should roll back everything when fn throws', async () => {
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO t (who) VALUES (?)', ['a']);
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.deepEqual(await db.all('SELECT who FROM t'), []);
    });

    it('should never interleave statements of concurrent transactions and plain writes', async () => {
      // The first transaction pauses between statements and then fails. If the second transaction
      // or the plain insert ran inside it, their rows would be rolled back with it.
      const failing = db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (who) VALUES (?)', ['failing-1']);
        await new Promise((r) => setTimeout(r, 30));
        await tx.run('INSERT INTO t (who) VALUES (?)', ['failing-2']);
        throw new Error('roll me back');
      });
      const other = db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (who) VALUES (?)', ['other']);
      });
      const plain = db.run('INSERT INTO t (who) VALUES (?)', ['plain']);
      await assert.rejects(failing, /roll me back/);
      await other;
      await plain;
      const rows = (await db.all<{ who: string }>('SELECT who FROM t ORDER BY rowid')).map((r) => r.who);
      assert.deepEqual(rows, ['other', 'plain']);
    });
  });

  describe('close()', () => {
    it('should wait for queued work and refuse new work afterwards', async () => {
      await db.exec('CREATE TABLE t (x INTEGER)');
      const pending = db.run('INSERT INTO t VALUES (1)');
      await db.close();
      await pending;
      await assert.rejects(db.get('SELECT 1'), /closed/);
      db = await Db.open(path.join(dir, 'chatx.db'), TEST_KEY);
      assert.deepEqual(await db.all('SELECT x FROM t'), [{ x: 1 }]);
    });
  });
});
