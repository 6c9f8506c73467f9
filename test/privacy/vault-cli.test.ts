// The CLI's backup, restore, rekey and wipe, run as real processes against a real DATA_DIR: each
// prints a clear result and exits 0, or one line saying why and exits non-zero. A backup may be
// made while the server runs; restore, rekey and wipe refuse to run beside it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createApp } from '../../src/app';
import { Db, DatabaseKeyError } from '../../src/core/db';
import { listBackups } from '../../src/privacy/backups';
import { start, type RunningServer } from '../../src/server';
import { buildServices } from '../../src/services';
import { customerWrites } from '../inbox/support';
import { TEST_KEY, tempDir, testConfig, type TestContext } from '../support/context';
import { openLikeATool } from './support';

const ROOT = path.resolve(__dirname, '..', '..');

describe('The CLI’s backup, restore, rekey and wipe', function () {
  this.timeout(90_000);
  let dataDir: string;
  let elsewhere: string;
  beforeEach(() => {
    dataDir = tempDir();
    elsewhere = tempDir('chatx-elsewhere-');
  });
  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(
        process.execPath,
        ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli.ts'), ...args],
        {
          cwd: elsewhere,
          env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, DATABASE_KEY: TEST_KEY, ...env },
          timeout: 30_000,
        },
        (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
  }

  /** Runs `fn` on the services of this DATA_DIR (a customer writing, say), then closes them. */
  async function withData<T>(fn: (ctx: TestContext) => Promise<T>, env: Record<string, string> = {}): Promise<T> {
    const services = await buildServices(testConfig(env, dataDir));
    try {
      return await fn({ deps: services, app: createApp(services) } as unknown as TestContext);
    } finally {
      await services.close();
    }
  }

  const texts = (key = TEST_KEY) =>
    withData(
      async (ctx) => (await ctx.deps.db.all<{ text: string }>('SELECT text FROM messages ORDER BY id')).map((m) => m.text),
      { DATABASE_KEY: key },
    );

  /** One line on standard error, and nothing else. */
  const oneLine = (stderr: string) => {
    const lines = stderr.trim().split('\n');
    assert.equal(lines.length, 1, stderr);
    return lines[0];
  };

  describe('while the server runs', () => {
    let server: RunningServer;
    beforeEach(async () => {
      server = await start(testConfig({ PORT: '0', HOST: '127.0.0.1' }, dataDir));
      const ctx = { deps: server.services, app: createApp(server.services) } as unknown as TestContext;
      await customerWrites(ctx, '9800000000000001', 'served');
    });
    afterEach(async () => server.stop());

    it('should back up, beside the server, into a file the key opens', async () => {
      const out = path.join(elsewhere, 'nightly.db');
      const r = await cli(['backup', '--out', out]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Backed up ${dataDir}/chatx\\.db to ${out} \\(\\d+ KB in \\d+\\.\\d s\\)\\.\\n`));
      assert.match(r.stdout, /It is encrypted: only the key in DATABASE_KEY opens it\. Restore it with: chatx restore --from /);
      assert.equal((await openLikeATool(out, undefined)).error, 'SQLITE_NOTADB');
      const copy = await Db.open(out, TEST_KEY);
      assert.deepEqual(await copy.all('SELECT text FROM messages'), [{ text: 'served' }]);
      await copy.close();
      assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    });

    it('should refuse restore, rekey and wipe with one line: stop ChatX first, or use the Privacy page', async () => {
      const backup = await server.services.vault.backup('manual', { actor: 'test' });
      for (const args of [['restore', '--from', backup.file], ['rekey'], ['wipe', '--yes']]) {
        const r = await cli(args);
        assert.equal(r.status, 1, `${args[0]}: ${r.stdout}`);
        assert.equal(
          oneLine(r.stderr),
          `chatx ${args[0]}: ChatX is running on ${dataDir}; stop ChatX first, or use the Privacy page`,
        );
      }
      assert.deepEqual(
        (await server.services.db.all<{ text: string }>('SELECT text FROM messages')).map((m) => m.text),
        ['served'],
      );
      assert.equal(server.services.databaseKey.passphrase, TEST_KEY);
    });
  });

  it('should restore a backup, keep the database as it was, and refuse a missing file or a wrong key in one line', async () => {
    await withData((ctx) => customerWrites(ctx, '9800000000000002', 'in the backup'));
    const out = path.join(elsewhere, 'backup.db');
    assert.equal((await cli(['backup', '--out', out])).status, 0);
    await withData((ctx) => customerWrites(ctx, '9800000000000002', 'after the backup'));

    const missing = await cli(['restore', '--from', path.join(elsewhere, 'nope.db')]);
    assert.equal(missing.status, 1);
    assert.equal(oneLine(missing.stderr), `chatx restore: ${path.join(elsewhere, 'nope.db')} does not exist.`);

    const wrong = await cli(['restore', '--from', out], { DATABASE_KEY: 'a key that is not the one' });
    assert.equal(wrong.status, 1);
    assert.equal(oneLine(wrong.stderr), `chatx restore: the database key does not open ${dataDir}/chatx.db`);

    const ok = await cli(['restore', '--from', out]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, new RegExp(`^Restored ${out} into ${dataDir}/chatx\\.db\\.\\n`));
    const [saved] = listBackups(dataDir);
    assert.match(ok.stdout, new RegExp(`The database as it was is kept as ${saved.file}\\.`));
    assert.deepEqual(await texts(), ['in the backup']);
  });

  it('should restore a backup from before a key rotation only with --key-file, re-encrypted to the current key', async () => {
    await withData((ctx) => customerWrites(ctx, '9800000000000003', 'from the old days'));
    const out = path.join(elsewhere, 'old.db');
    assert.equal((await cli(['backup', '--out', out])).status, 0);
    const newKey = path.join(elsewhere, 'new.key');
    fs.writeFileSync(newKey, 'the key we use now, rotated\n');
    const rekey = await cli(['rekey', '--new-key-file', newKey]);
    assert.equal(rekey.status, 0, rekey.stderr);
    assert.ok(!rekey.stdout.includes('the key we use now'), 'a key from a file is not printed');
    assert.match(rekey.stdout, /Set DATABASE_KEY to the new key before ChatX starts again/);
    const now = { DATABASE_KEY: 'the key we use now, rotated' };

    const refused = await cli(['restore', '--from', out], now);
    assert.equal(refused.status, 1);
    assert.equal(
      oneLine(refused.stderr),
      `chatx restore: the key in DATABASE_KEY does not open ${out}; it was made with another key: ` +
        'run restore again with --key-file FILE, FILE holding the key it was made with.',
    );
    const oldKey = path.join(elsewhere, 'old.key');
    fs.writeFileSync(oldKey, `${TEST_KEY}\n`);
    const ok = await cli(['restore', '--from', out, '--key-file', oldKey], now);
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(await texts('the key we use now, rotated'), ['from the old days']);
    await assert.rejects(texts(TEST_KEY), DatabaseKeyError);
  });

  it('should rekey a generated key in db.key and print the new one once, on the last line', async () => {
    const env = { DATABASE_KEY: '' };
    await withData((ctx) => customerWrites(ctx, '9800000000000004', 'under the generated key'), env);
    const before = fs.readFileSync(path.join(dataDir, 'db.key'), 'utf8').trim();
    const r = await cli(['rekey'], env);
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    const key = lines.at(-1)!;
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.equal(lines.at(-2), 'New key (shown once; keep a copy somewhere safe):');
    assert.equal(r.stdout.split(key).length, 2, 'printed once');
    assert.match(r.stdout, new RegExp(`The new key is in ${dataDir}/db\\.key\\.`));
    assert.equal(fs.readFileSync(path.join(dataDir, 'db.key'), 'utf8'), `${key}\n`);
    assert.deepEqual(await texts(key), ['under the generated key']);
    await assert.rejects(texts(before), DatabaseKeyError);
  });

  it('should refuse a missing or unreadable --new-key-file and a missing --out in one line', async () => {
    const r = await cli(['rekey', '--new-key-file', path.join(elsewhere, 'absent.key')]);
    assert.equal(r.status, 1);
    assert.equal(oneLine(r.stderr), `chatx rekey: --new-key-file ${path.join(elsewhere, 'absent.key')} cannot be read (ENOENT)`);
    const usage = await cli(['backup']);
    assert.equal(usage.status, 2);
    assert.deepEqual(usage.stderr.trim().split('\n'), ['chatx backup: --out is required', 'usage: chatx backup --out FILE.db']);
    const nowhere = await cli(['backup', '--out', path.join(elsewhere, 'no', 'such', 'folder.db')]);
    assert.equal(nowhere.status, 1);
    assert.equal(oneLine(nowhere.stderr), `chatx backup: the folder ${path.join(elsewhere, 'no', 'such')} does not exist.`);
  });

  it('should wipe only with --yes, deleting the database and every backup but not the key', async () => {
    const env = { DATABASE_KEY: '' };
    await withData(async (ctx) => {
      await customerWrites(ctx, '9800000000000005', 'to be wiped');
      await ctx.deps.vault.backup('manual', { actor: 'test' });
      await ctx.deps.vault.backup('manual', { actor: 'test' });
    }, env);
    const refused = await cli(['wipe'], env);
    assert.equal(refused.status, 2);
    assert.deepEqual(refused.stderr.trim().split('\n'), [
      'chatx wipe: wipe deletes the database and every backup; add --yes to confirm',
      'usage: chatx wipe --yes',
    ]);
    assert.ok(fs.existsSync(path.join(dataDir, 'chatx.db')));

    const r = await cli(['wipe', '--yes'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `Wiped ${dataDir}: the database and 2 backups are deleted. The next start begins at /setup.`);
    assert.deepEqual(fs.readdirSync(dataDir).sort(), ['chatx.lock', 'db.key']);
    assert.deepEqual(await texts(fs.readFileSync(path.join(dataDir, 'db.key'), 'utf8').trim()), []);
  });
});
