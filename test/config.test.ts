import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, describeConfig, loadConfig, readEnvironment } from '../src/config';
import { tempDir } from './support/context';

const ROOT = path.resolve(__dirname, '..');

function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('config', () => {
  it('should apply the contract defaults to an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.publicUrl, 'http://localhost:3000');
    assert.equal(c.graphApiUrl, 'https://graph.facebook.com');
    assert.equal(c.graphApiVersion, 'v25.0');
    assert.equal(c.ai.provider, 'none');
    assert.equal(c.ai.mode, 'off');
    assert.equal(c.tz, 'UTC');
    assert.equal(c.logLevel, 'info');
    assert.equal(c.databaseKeySource, 'generated');
    assert.equal(c.backupKeep, 7);
  });

  it('should default AI_MODE to suggest once a provider is set', () => {
    assert.equal(loadConfig({ AI_PROVIDER: 'anthropic' }).ai.mode, 'suggest');
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['PORT', { PORT: 'eighty' }, /^PORT: /],
    ['PORT', { PORT: '70000' }, /^PORT: /],
    ['PUBLIC_URL', { PUBLIC_URL: 'ftp://x' }, /^PUBLIC_URL: /],
    ['GRAPH_API_URL', { GRAPH_API_URL: 'not a url' }, /^GRAPH_API_URL: /],
    ['GRAPH_API_VERSION', { GRAPH_API_VERSION: '25' }, /^GRAPH_API_VERSION: /],
    ['AI_PROVIDER', { AI_PROVIDER: 'gemini' }, /^AI_PROVIDER: /],
    ['AI_MODE', { AI_MODE: 'auto' }, /^AI_MODE: .*AI_PROVIDER is none/],
    ['TZ', { TZ: 'Mars/Olympus' }, /^TZ: /],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }, /^LOG_LEVEL: /],
    ['FB_PAGE_ID', { FB_PAGE_ID: 'my-page' }, /^FB_PAGE_ID: /],
    ['DATABASE_KEY_FILE', { DATABASE_KEY_FILE: '/nonexistent/key' }, /^DATABASE_KEY_FILE: cannot read/],
    ['DATABASE_KEY', { DATABASE_KEY: 'a', DATABASE_KEY_FILE: '/etc/hostname' }, /^DATABASE_KEY: .*not both/],
    ['BACKUP_KEEP', { BACKUP_KEEP: 'seven' }, /^BACKUP_KEEP: must be a whole number from 0 to 1000 \(got "seven"\)$/],
    ['BACKUP_KEEP', { BACKUP_KEEP: '-1' }, /^BACKUP_KEEP: /],
  ];
  for (const [name, env, pattern] of bad) {
    it(`should name ${name} when ${JSON.stringify(env)} is wrong`, () => {
      assert.match(problem(env), pattern);
    });
  }

  it('should read the key from DATABASE_KEY_FILE without its trailing newline', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'key'), 'from a secret\n');
    const c = loadConfig({ DATABASE_KEY_FILE: path.join(dir, 'key') });
    assert.equal(c.databaseKey, 'from a secret');
    assert.equal(c.databaseKeySource, 'file');
  });

  it('should read .env and let the real environment win', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, '.env'), 'PORT=4000\nLOG_LEVEL=debug\n');
    const env = readEnvironment(dir, { PORT: '5000' });
    assert.equal(env.PORT, '5000');
    assert.equal(env.LOG_LEVEL, 'debug');
  });

  it('should never show secrets, not even in part, when describing the config', () => {
    const c = loadConfig({
      DATABASE_KEY: 'super-secret-passphrase',
      FB_APP_SECRET: 'app-secret-1234',
      FB_PAGE_ACCESS_TOKEN: 'EAAB-page-token-5678',
      OPENAI_API_KEY: 'sk-openai-9999',
      AI_PROVIDER: 'openai',
    });
    const text = JSON.stringify(describeConfig(c));
    for (const secret of [
      'super-secret-passphrase',
      'app-secret-1234',
      'EAAB-page-token-5678',
      'sk-openai-9999',
      '1234',
      '5678',
      '9999',
    ]) {
      assert.ok(!text.includes(secret), `${secret} is not shown`);
    }
    assert.match(text, /\(set\)/);
  });

  it('should stop the server at boot with one line naming the bad variable', function () {
    this.timeout(20000);
    const result = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'server.ts')], {
      cwd: tempDir(),
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty', DATA_DIR: tempDir() },
      encoding: 'utf8',
      timeout: 15000,
    });
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim(), 'chatx: configuration error: PORT: must be a whole number from 0 to 65535 (got "eighty")');
  });
});
