import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DatabaseKeyError, Db } from '../../src/core/db';
import { migrate } from '../../src/core/migrate';
import { TEST_KEY, tempDir } from '../support/context';

const ROOT = path.resolve(__dirname, '..', '..');

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        crypto
          .createHash('sha256')
          .update(fs.readFileSync(path.join(dir, f)))
          .digest('hex'),
      ]),
  );
}

function runServer(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'server.ts')], {
    cwd: tempDir('chatx-cwd-'),
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', ...env },
    encoding: 'utf8',
    timeout: 20000,
  });
}

describe('the encrypted database file', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = tempDir();
    file = path.join(dir, 'chatx.db');
    const db = await Db.open(file, TEST_KEY);
    await migrate(db);
    await db.run("INSERT INTO settings (key, value, updated_at) VALUES ('business.name', 'Secret Bakery', 1)");
    await db.close();
  });

  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('should not be a plain SQLite file: better-sqlite3 cannot read it', () => {
    const header = fs.readFileSync(file).subarray(0, 16).toString('latin1');
    assert.notEqual(header, 'SQLite format 3\0');
    const plain = new Database(file, { readonly: true, fileMustExist: true });
    try {
      assert.throws(() => plain.prepare('SELECT count(*) FROM sqlite_master').get(), /file is not a database/);
    } finally {
      plain.close();
    }
  });

  it('should not contain stored text in the clear', () => {
    assert.equal(fs.readFileSync(file).includes(Buffer.from('Secret Bakery')), false);
  });

  it('should open again with the right key', async () => {
    const db = await Db.open(file, TEST_KEY);
    assert.deepEqual(await db.get("SELECT value FROM settings WHERE key = 'business.name'"), { value: 'Secret Bakery' });
    await db.close();
  });

  it('should refuse a wrong key with DatabaseKeyError and leave the files untouched', async () => {
    const before = snapshot(dir);
    await assert.rejects(Db.open(file, 'not the key'), (err: Error) => err instanceof DatabaseKeyError);
    assert.deepEqual(snapshot(dir), before);
  });

  it('should make the server exit non-zero with one line when the key is wrong', function () {
    this.timeout(30000);
    const before = snapshot(dir);
    const result = runServer({ DATA_DIR: dir, DATABASE_KEY: 'not the key' });
    assert.notEqual(result.status, 0);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line, got: ${result.stderr}`);
    assert.match(lines[0], /database key does not open .*chatx\.db/);
    assert.deepEqual(snapshot(dir), before);
  });
});

describe('the generated key', () => {
  it('should be written once to DATA_DIR/db.key with mode 0600 and reused on the next start', function () {
    this.timeout(40000);
    const dir = tempDir();
    try {
      // `doctor` opens the store exactly as the server does, and exits by itself.
      const doctor = () =>
        spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli.ts'), 'doctor'], {
          cwd: tempDir('chatx-cwd-'),
          env: { PATH: process.env.PATH ?? '', DATA_DIR: dir },
          encoding: 'utf8',
          timeout: 20000,
        });
      const first = doctor();
      assert.match(first.stdout, /lies beside it/);
      const keyFile = path.join(dir, 'db.key');
      assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
      const key = fs.readFileSync(keyFile, 'utf8');
      assert.match(key.trim(), /^[0-9a-f]{64}$/);
      const second = doctor();
      assert.match(second.stdout, /database key: opens the database/);
      assert.equal(fs.readFileSync(keyFile, 'utf8'), key, 'the key is not regenerated');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
