// `chatx export --out FILE.zip` as a real process: the full export into a new file (only its owner
// may read it), never over an existing one, with one-line reasons for what it refuses, and beside a
// running server.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Db } from '../../src/core/db';
import { start, type RunningServer } from '../../src/server';
import { inboxContext } from '../inbox/support';
import { TEST_KEY, tempDir, testConfig } from '../support/context';
import { text, unzip } from '../support/unzip';
import { ANA, BRUNO, NOTE, twoPeople } from './export-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');

function cli(dataDir: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli.ts'), ...args],
      {
        cwd: tempDir('chatx-cwd-'),
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, DATABASE_KEY: TEST_KEY },
        timeout: 30000,
      },
      (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

describe('chatx export --out FILE.zip', function () {
  this.timeout(60_000);
  let dataDir: string;
  let outDir: string;

  before(async () => {
    // Two people written through the real paths, then the services closed: the CLI opens the file itself.
    const ctx = await inboxContext();
    await twoPeople(ctx);
    await ctx.deps.close();
    dataDir = ctx.dataDir;
  });
  beforeEach(() => (outDir = tempDir('chatx-out-')));
  afterEach(() => fs.rmSync(outDir, { recursive: true, force: true }));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('should write the full export to a new file only its owner can read, and say what it holds', async () => {
    const out = path.join(outDir, 'chatx.zip');
    const r = await cli(dataDir, ['export', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout.trim(),
      `Exported 4 messages, 2 contacts, 2 conversations and 1 file to ${out} (${(fs.statSync(out).size / 2 ** 20).toFixed(1)} MB). It is not encrypted: keep it safe.`,
    );
    assert.equal(fs.statSync(out).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(outDir), ['chatx.zip'], 'no temporary file is left behind');
    const zip = unzip(fs.readFileSync(out));
    const messages = text(zip, 'messages.jsonl');
    for (const words of [ANA.text, BRUNO.text, NOTE]) assert.ok(messages.includes(JSON.stringify(words)), words);
    assert.ok(zip.has('README.md') && zip.has('contacts.csv'));
    const db = await Db.open(path.join(dataDir, 'chatx.db'), TEST_KEY);
    try {
      const audit = await db.get(
        "SELECT actor, action, detail FROM audit_log WHERE action = 'export.full' ORDER BY id DESC LIMIT 1",
      );
      assert.deepEqual(audit, { actor: 'cli', action: 'export.full', detail: '{"via":"cli","file":"chatx.zip"}' });
    } finally {
      await db.close();
    }
  });

  it('should refuse to overwrite a file, in one line, and leave the file as it was', async () => {
    const out = path.join(outDir, 'taken.zip');
    fs.writeFileSync(out, 'my other file');
    const r = await cli(dataDir, ['export', '--out', out]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `chatx export: ${out} already exists; an export never overwrites a file, give a new name\n`);
    assert.equal(fs.readFileSync(out, 'utf8'), 'my other file');
    assert.deepEqual(fs.readdirSync(outDir), ['taken.zip']);
  });

  it('should say in one line when the folder does not exist', async () => {
    const out = path.join(outDir, 'missing', 'chatx.zip');
    const r = await cli(dataDir, ['export', '--out', out]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `chatx export: the folder ${path.dirname(out)} does not exist\n`);
  });

  it('should ask for --out, with the usage', async () => {
    const r = await cli(dataDir, ['export']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'chatx export: --out is required\nusage: chatx export --out FILE.zip\n');
  });

  it('should say in one line when the key does not open the database', async () => {
    const out = path.join(outDir, 'chatx.zip');
    const r = await new Promise<{ status: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli.ts'), 'export', '--out', out],
        { env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, DATABASE_KEY: 'not the key' }, timeout: 30000 },
        (err, _stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stderr }),
      ),
    );
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `chatx export: the database key does not open ${path.join(dataDir, 'chatx.db')}\n`);
    assert.deepEqual(fs.readdirSync(outDir), []);
  });

  describe('beside a running server', () => {
    let server: RunningServer;
    before(async () => {
      server = await start(testConfig({ PORT: '0', HOST: '127.0.0.1' }, dataDir));
    });
    after(() => server.stop());

    it('should export while the server keeps serving (and writing: /healthz writes a probe row)', async () => {
      const out = path.join(outDir, 'live.zip');
      let running = true;
      const exporting = cli(dataDir, ['export', '--out', out]).finally(() => (running = false));
      const statuses: number[] = [];
      while (running) {
        statuses.push((await fetch(`${server.url}/healthz`)).status);
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await exporting;
      assert.equal(r.status, 0, r.stderr);
      assert.ok(statuses.length >= 3, `the server was asked ${statuses.length} times while the CLI ran`);
      assert.deepEqual(new Set(statuses), new Set([200]));
      assert.ok(text(unzip(fs.readFileSync(out)), 'messages.jsonl').includes(JSON.stringify(ANA.text)));
    });
  });
});
