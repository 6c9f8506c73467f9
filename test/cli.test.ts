import assert from 'node:assert/strict';
import { startOpenAiFake } from './fakes/ai';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { accountKey } from '../src/auth/throttle';
import { Db } from '../src/core/db';
import { buildServices } from '../src/services';
import { TEST_KEY, tempDir, testConfig } from './support/context';

const ROOT = path.resolve(__dirname, '..');

describe('the admin CLI', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = tempDir()));
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  function cli(args: string[], env: Record<string, string> = {}) {
    return spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli.ts'), ...args], {
      cwd: tempDir('chatx-cwd-'),
      env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, DATABASE_KEY: TEST_KEY, ...env },
      encoding: 'utf8',
      timeout: 20000,
    });
  }

  /** Like cli(), but without blocking this process, so a fake server in it can answer. */
  function cliAsync(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ status: number; stdout: string; stderr: string }> {
    return new Promise((resolve) =>
      execFile(
        process.execPath,
        ['--require', require.resolve('tsx/cjs'), path.join(ROOT, 'src', 'cli.ts'), ...args],
        {
          cwd: tempDir('chatx-cwd-'),
          env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, DATABASE_KEY: TEST_KEY, ...env },
          timeout: 20000,
        },
        (err, stdout, stderr) => resolve({ status: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      ),
    );
  }

  async function query<T>(sql: string): Promise<T[]> {
    const db = await Db.open(path.join(dataDir, 'chatx.db'), TEST_KEY);
    try {
      return await db.all<T>(sql);
    } finally {
      await db.close();
    }
  }

  describe('user:add', () => {
    it('should create a user with the given password', async () => {
      const r = cli(['user:add', '--email', 'Boss@Example.com', '--role', 'owner', '--password', 'a long enough password']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Created owner boss@example.com/);
      assert.deepEqual(await query('SELECT email, role, status FROM users'), [
        { email: 'boss@example.com', role: 'owner', status: 'active' },
      ]);
    });

    it('should generate and print a password when none is given', () => {
      const r = cli(['user:add', '--email', 'staff@example.com', '--role', 'staff']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Password \(shown once\): \S{16,}/);
    });

    it('should refuse a bad role with a one-line reason and exit 2', () => {
      const r = cli(['user:add', '--email', 'x@example.com', '--role', 'admin']);
      assert.equal(r.status, 2);
      assert.match(r.stderr.split('\n')[0], /^chatx user:add: --role must be owner or staff$/);
    });

    it('should refuse a duplicate email and exit 1', () => {
      cli(['user:add', '--email', 'x@example.com', '--role', 'staff']);
      const r = cli(['user:add', '--email', 'x@example.com', '--role', 'staff']);
      assert.equal(r.status, 1);
      assert.equal(r.stderr.trim(), 'chatx user:add: x@example.com already has an account.');
    });

    it('should refuse a missing --email', () => {
      const r = cli(['user:add', '--role', 'staff']);
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--email is required/);
    });
  });

  describe('user:reset-password', () => {
    it('should set a new password, clear a lockout and end sessions', async () => {
      cli(['user:add', '--email', 'x@example.com', '--role', 'staff', '--password', 'the first password']);
      const db = await Db.open(path.join(dataDir, 'chatx.db'), TEST_KEY);
      // The account is stopped for new browsers after failed sign-ins.
      await db.run('INSERT INTO sign_in_failures (key, failures, window_start) VALUES (?, 99, ?)', [
        accountKey('x@example.com'),
        Date.now(),
      ]);
      await db.run(
        "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ('s', 1, 'c', 0, 0, 0)",
      );
      await db.close();
      const r = cli(['user:reset-password', '--email', 'x@example.com']);
      assert.equal(r.status, 0, r.stderr);
      const password = /New password \(shown once\): (\S+)/.exec(r.stdout)?.[1];
      assert.ok(password);
      assert.deepEqual(await query('SELECT key FROM sign_in_failures'), []);
      assert.deepEqual(await query('SELECT id FROM sessions'), []);
    });

    it('should say so when the user does not exist', () => {
      const r = cli(['user:reset-password', '--email', 'ghost@example.com']);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /no user with the email ghost@example.com/);
    });
  });

  describe('token:create', () => {
    it('should print the new token alone on the last line, and store only its hash', async () => {
      const r = cli(['token:create', '--name', 'zapier', '--role', 'owner']);
      assert.equal(r.status, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      const token = lines[lines.length - 1];
      assert.match(token, /^chx_[A-Za-z0-9_-]{40,}$/);
      const rows = await query<{ name: string; role: string; token_hash: string }>(
        'SELECT name, role, token_hash FROM api_tokens',
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0].name, 'zapier');
      assert.notEqual(rows[0].token_hash, token);
    });

    it('should give a token an expiry in days, and refuse one that is not a number of days', async () => {
      const r = cli(['token:create', '--name', 'short', '--expires-days', '30']);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /expires in 30 days/);
      const [row] = await query<{ expires_at: number }>('SELECT expires_at FROM api_tokens');
      assert.ok(Math.abs(row.expires_at - (Date.now() + 30 * 24 * 3600 * 1000)) < 60_000);
      const bad = cli(['token:create', '--name', 'x', '--expires-days', 'soon']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--expires-days must be a whole number of days/);
    });
  });

  describe('token:list and token:revoke', () => {
    it('should list tokens without their secrets, revoke by name or id, and say when there is nothing to revoke', async () => {
      const first = cli(['token:create', '--name', 'zapier', '--role', 'owner']);
      const secret = first.stdout.trim().split('\n').pop()!;
      cli(['token:create', '--name', 'crm']);
      let list = cli(['token:list']);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /^id\s+name\s+role\s+status\s+created\s+last used\s+expires$/m);
      assert.match(list.stdout, /^1\s+zapier\s+owner\s+active\s/m);
      assert.match(list.stdout, /^2\s+crm\s+staff\s+active\s/m);
      assert.doesNotMatch(list.stdout, new RegExp(secret));
      const byName = cli(['token:revoke', '--name', 'zapier']);
      assert.equal(byName.status, 0, byName.stderr);
      assert.match(byName.stdout, /Revoked the API token "zapier" \(id 1\)/);
      assert.equal(cli(['token:revoke', '--id', '2']).status, 0);
      list = cli(['token:list']);
      assert.match(list.stdout, /^1\s+zapier\s+owner\s+revoked\s/m);
      const again = cli(['token:revoke', '--name', 'zapier']);
      assert.equal(again.status, 1);
      assert.match(again.stderr, /^chatx token:revoke: There is no active token with that name\./);
      const both = cli(['token:revoke', '--name', 'a', '--id', '1']);
      assert.equal(both.status, 2);
      const audit = await query<{ action: string }>("SELECT action FROM audit_log WHERE action LIKE 'api-token.%' ORDER BY id");
      assert.deepEqual(
        audit.map((a) => a.action),
        ['api-token.created', 'api-token.created', 'api-token.revoked', 'api-token.revoked'],
      );
    });
  });

  describe('doctor', () => {
    it('should pass on a healthy sandbox install', () => {
      cli(['user:add', '--email', 'x@example.com', '--role', 'owner']);
      const r = cli(['doctor']);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /database: .*integrity ok/);
      assert.match(r.stdout, /messenger: sandbox mode/);
      assert.match(r.stdout, /All checks passed/);
    });

    it('should fail with a clear line when the key is wrong', () => {
      cli(['user:add', '--email', 'x@example.com', '--role', 'owner']);
      const r = cli(['doctor'], { DATABASE_KEY: 'wrong key' });
      assert.equal(r.status, 1);
      assert.match(r.stdout, /\[FAIL\] database: the database key does not open/);
    });

    it('should check the Page token against the Graph API and report its refusal', async () => {
      const graph = http.createServer((req, res) => {
        res.writeHead(req.url?.startsWith('/v25.0/me?') ? 400 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'Error validating access token', type: 'OAuthException', code: 190 } }));
      });
      await new Promise<void>((resolve) => graph.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(graph.address() as AddressInfo).port}`;
        const r = await cliAsync(['doctor'], { GRAPH_API_URL: url, FB_PAGE_ACCESS_TOKEN: 'expired' });
        assert.equal(r.status, 1);
        assert.match(
          r.stdout,
          /\[FAIL\] messenger: Graph API refused the Page token: Error validating access token \(code 190\) \(the token from FB_PAGE_ACCESS_TOKEN\)/,
        );
      } finally {
        graph.close();
      }
    });

    it('should check a Page connected in Settings (no token in the environment) with the same Graph client as the server', async () => {
      const calls: string[] = [];
      const graph = http.createServer((req, res) => {
        calls.push(req.url ?? '');
        res.writeHead(req.url?.startsWith('/v25.0/me?') ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: '104729385012345', name: 'Corner Bakery' }));
      });
      await new Promise<void>((resolve) => graph.listen(0, '127.0.0.1', resolve));
      try {
        const url = `http://127.0.0.1:${(graph.address() as AddressInfo).port}`;
        const services = await buildServices(testConfig({}, dataDir));
        await services.channel.save({ pageToken: 'EAAfromSettings', appSecret: 'saved-secret', pageId: '104729385012345' });
        await services.close();
        const r = await cliAsync(['doctor'], { GRAPH_API_URL: url });
        assert.match(r.stdout, /\[ok {2}\] messenger: the Page token \(from Settings\) works for "Corner Bakery"/);
        assert.doesNotMatch(r.stdout, /sandbox mode/);
        assert.equal(calls.length, 1);
        const query = new URL(calls[0], url).searchParams;
        assert.equal(query.get('access_token'), 'EAAfromSettings');
        assert.ok(query.get('appsecret_proof'), 'signed with the app secret saved in Settings, as the server signs');
      } finally {
        graph.close();
      }
    });

    it('should check the AI provider: answering, refusing the key, or set in Settings → AI', async () => {
      cli(['user:add', '--email', 'x@example.com', '--role', 'owner']);
      const ai = await startOpenAiFake({ apiKey: 'sk-good' });
      try {
        const env = { AI_PROVIDER: 'openai', OPENAI_BASE_URL: ai.url };
        const ok = await cliAsync(['doctor'], { ...env, OPENAI_API_KEY: 'sk-good' });
        assert.match(
          ok.stdout,
          /\[ok {2}\] ai: openai answers at http:\/\/127\.0\.0\.1:\d+\/v1 \(mode suggest, model gpt-5-mini\)/i,
        );
        const refused = await cliAsync(['doctor'], { ...env, OPENAI_API_KEY: 'sk-wrong' });
        assert.equal(refused.status, 1);
        assert.match(refused.stdout, /\[FAIL\] ai: openai at .* answered 401/);
      } finally {
        await ai.close();
      }
    });

    it('should fail on a configuration error, naming the variable', () => {
      const r = cli(['doctor'], { TZ: 'Nowhere/Land' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^chatx doctor: TZ: is not a known time zone/);
    });
  });

  it('should refuse an unknown command with exit 2', () => {
    const r = cli(['frobnicate']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command "frobnicate"/);
  });
});
