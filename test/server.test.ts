// The process contract: `npm start` on an empty data dir serves /healthz and /setup within seconds,
// and exits 0 when its process group gets SIGTERM or SIGINT (as a terminal or process manager sends).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './support/context';

const ROOT = path.resolve(__dirname, '..');

async function waitForHealth(url: string, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`no healthy answer from ${url} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe('npm start', function () {
  this.timeout(180000);

  before(() => {
    // Build once up front so the timings below measure start-up, not compilation.
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`should serve /healthz and /setup on an empty data dir, then exit 0 on ${signal} to its process group`, async () => {
      const dataDir = tempDir();
      const port = 20000 + Math.floor(Math.random() * 20000);
      const url = `http://127.0.0.1:${port}`;
      const child = spawn('npm', ['start'], {
        cwd: ROOT,
        detached: true, // its own process group, like a terminal job
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          DATA_DIR: dataDir,
          PORT: String(port),
          HOST: '127.0.0.1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (d) => (output += d));
      child.stderr!.on('data', (d) => (output += d));
      const done = exited(child);
      try {
        await waitForHealth(url, 15000);
        const setup = await fetch(`${url}/setup`);
        assert.equal(setup.status, 200);
        assert.match(await setup.text(), /Create the owner account/);
        assert.ok(fs.existsSync(path.join(dataDir, 'chatx.db')));
      } catch (err) {
        process.kill(-child.pid!, 'SIGKILL');
        throw new Error(`${(err as Error).message}\n${output}`);
      }
      const sentAt = Date.now();
      process.kill(-child.pid!, signal);
      const { code } = await done;
      assert.equal(code, 0, output);
      assert.ok(Date.now() - sentAt < 10000, 'within 10 s');
      assert.match(output, new RegExp(`shutting down signal=${signal}`));
      fs.rmSync(dataDir, { recursive: true, force: true });
    });
  }

  it('should run the CLI through `npm run cli --`', () => {
    const dataDir = tempDir();
    const r = spawnSync(
      'npm',
      [
        'run',
        '--silent',
        'cli',
        '--',
        'user:add',
        '--email',
        'o@example.com',
        '--role',
        'owner',
        '--password',
        'a long enough password',
      ],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DATA_DIR: dataDir, DATABASE_KEY: 'k' },
        encoding: 'utf8',
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Created owner o@example.com/);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
