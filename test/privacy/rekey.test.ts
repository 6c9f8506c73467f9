// Key rotation (privacy/vault.ts rotateKey): the database is re-encrypted while ChatX runs, both
// connections go on with the new key, a restart opens it with the new key and refuses the old one;
// a generated key is replaced in DATA_DIR/db.key, a key from the environment or a key file is the
// owner's to change (and ChatX says exactly which); backups made before keep the old key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createApp } from '../../src/app';
import { Db, DatabaseKeyError } from '../../src/core/db';
import { buildServices, databaseFile, type Services } from '../../src/services';
import { customerWrites } from '../inbox/support';
import { TEST_KEY, tempDir, testConfig, type TestContext } from '../support/context';
import { openLikeATool } from './support';

const ACTOR = { actor: 'test' };
const NEW_KEY = 'the new key, long enough to be chosen';

describe('Rotating the database key', function () {
  this.timeout(60_000);
  let dataDir: string;
  let services: Services | undefined;
  beforeEach(() => (dataDir = tempDir()));
  afterEach(async () => {
    await services?.close();
    services = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const run = async (env: Record<string, string>, writerThread = false) => {
    services = await buildServices(testConfig(env, dataDir), { writerThread });
    if (writerThread) await services.start();
    return { deps: services, app: createApp(services) } as unknown as TestContext;
  };
  const restart = async (env: Record<string, string>) => {
    await services?.close();
    services = undefined;
    return run(env);
  };
  const texts = async (ctx: TestContext) =>
    (await ctx.deps.db.all<{ text: string }>('SELECT text FROM messages ORDER BY id')).map((m) => m.text);

  it('should re-encrypt under the key the owner chose, go on writing, and open after a restart with that key only', async () => {
    const ctx = await run({}, true);
    await customerWrites(ctx, '9600000000000001', 'before the rotation');
    const backup = await ctx.deps.vault.backup('manual', ACTOR);

    const rotation = await ctx.deps.vault.rotateKey(NEW_KEY, ACTOR);
    assert.equal(rotation.generatedKey, undefined, 'a key the owner chose is not shown back');
    assert.equal(rotation.source, 'env');
    assert.equal(
      rotation.todo,
      'Set DATABASE_KEY to the new key before ChatX starts again (in .env or wherever the environment is set).',
    );
    // The writer thread's connection and this one both go on, with the new key.
    await customerWrites(ctx, '9600000000000001', 'after the rotation');
    assert.deepEqual(await texts(ctx), ['before the rotation', 'after the rotation']);

    const entry = await ctx.deps.db.all<{ detail: string }>("SELECT detail FROM audit_log WHERE action = 'database.key-rotated'");
    assert.deepEqual(entry, [{ detail: '{"source":"env"}' }]);
    const audit = JSON.stringify(await ctx.deps.db.all('SELECT * FROM audit_log'));
    assert.ok(!audit.includes(NEW_KEY) && !audit.includes(TEST_KEY), 'no key in the audit log');

    await assert.rejects(restart({}), DatabaseKeyError, 'the old key opens nothing');
    const again = await restart({ DATABASE_KEY: NEW_KEY });
    assert.deepEqual(await texts(again), ['before the rotation', 'after the rotation']);

    // The backup made before keeps the key of that time.
    assert.equal((await openLikeATool(backup.file, TEST_KEY)).error, undefined);
    assert.equal((await openLikeATool(backup.file, NEW_KEY)).error, 'SQLITE_NOTADB');
  });

  it('should replace a generated key in DATA_DIR/db.key, atomically, and show the new one once', async () => {
    const ctx = await run({ DATABASE_KEY: '' });
    const keyFile = path.join(dataDir, 'db.key');
    const oldKey = fs.readFileSync(keyFile, 'utf8').trim();
    await customerWrites(ctx, '9600000000000002', 'kept across the rotation');

    const rotation = await ctx.deps.vault.rotateKey(undefined, ACTOR);
    assert.match(rotation.generatedKey!, /^[0-9a-f]{64}$/);
    assert.equal(rotation.keyFile, keyFile);
    assert.equal(rotation.todo, undefined, 'nothing to change before the next start');
    assert.equal(fs.readFileSync(keyFile, 'utf8'), `${rotation.generatedKey}\n`);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    assert.deepEqual(
      fs.readdirSync(dataDir).filter((f) => f.includes('key')),
      ['db.key'],
      'no db.key.next or temporary file left',
    );

    const again = await restart({ DATABASE_KEY: '' });
    assert.deepEqual(await texts(again), ['kept across the rotation']);
    await again.deps.db.close();
    await assert.rejects(Db.open(databaseFile(again.deps.config), oldKey), DatabaseKeyError);
  });

  it('should name the key file to update when the key comes from DATABASE_KEY_FILE', async () => {
    const secret = path.join(tempDir(), 'db_key');
    fs.writeFileSync(secret, `${TEST_KEY}\n`);
    const ctx = await run({ DATABASE_KEY: '', DATABASE_KEY_FILE: secret });
    const rotation = await ctx.deps.vault.rotateKey(undefined, ACTOR);
    assert.equal(rotation.todo, `Write the new key into ${secret} (DATABASE_KEY_FILE) before ChatX starts again.`);
    assert.equal(fs.readFileSync(secret, 'utf8'), `${TEST_KEY}\n`, 'ChatX does not write into the secret');
    assert.ok(!fs.existsSync(path.join(dataDir, 'db.key')), 'nor puts the key beside the data');
    fs.writeFileSync(secret, `${rotation.generatedKey}\n`);
    const again = await restart({ DATABASE_KEY: '', DATABASE_KEY_FILE: secret });
    assert.equal((await again.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM users'))!.n, 0);
    fs.rmSync(path.dirname(secret), { recursive: true, force: true });
  });

  it('should refuse a weak or unchanged key and change nothing', async () => {
    const ctx = await run({});
    for (const [key, message] of [
      ['short', /at least 16 characters/],
      [' padded with spaces around ', /must not start or end with a space/],
      ['a line\nbreak inside the key', /line breaks/],
      [TEST_KEY, /the key in use/],
    ] as const)
      await assert.rejects(ctx.deps.vault.rotateKey(key, ACTOR), message);
    await restart({});
  });
});
