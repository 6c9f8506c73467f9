// The real server (dist/server.js) as a child process for the fault tests: started on a data dir,
// killed without warning (SIGKILL, as a power cut or the OOM killer would), started again on the
// same files, and driven only from outside: signed webhooks, the JSON API, a fake Graph API.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { createApiToken } from '../../src/auth/api-tokens';
import { Db } from '../../src/core/db';
import { tempDir } from '../support/context';

const ROOT = path.resolve(__dirname, '..', '..');
export const KEY = 'fault suite key';
export const SECRET = 'fault-app-secret';
export const PAGE = '2000';
export const TOKEN = 'EAAfaultPageToken';

/** Compiles dist/ when a source is newer (the fault tests run the built server, as production does). */
export function buildOnce(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('../../scripts/build-if-needed')();
}

export class ServerProcess {
  child?: ChildProcess;
  output = '';
  readonly port = 20000 + Math.floor(Math.random() * 20000);
  readonly url = `http://127.0.0.1:${this.port}`;

  constructor(
    readonly dataDir = tempDir('chatx-fault-'),
    readonly env: Record<string, string> = {},
  ) {}

  /** Starts the server and waits until /healthz answers 200. */
  async start(extra: Record<string, string> = {}): Promise<void> {
    this.spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js')], extra);
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (this.child!.exitCode !== null) throw new Error(`the server exited (${this.child!.exitCode}):\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the server did not become healthy:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Starts the server in a mount namespace of its own in which the data dir is mounted read-only
   * (as a volume mounted `:ro` would be), and resolves with its exit code once it has stopped.
   */
  async startOnReadOnlyDataDir(): Promise<{ code: number | null }> {
    const dir = this.dataDir;
    const script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"';
    this.spawn('unshare', ['--mount', 'sh', '-c', script, 'sh', dir, process.execPath, path.join(ROOT, 'dist', 'server.js')]);
    const child = this.child!;
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    return { code };
  }

  private spawn(command: string, args: string[], extra: Record<string, string> = {}): void {
    this.child = spawn(command, args, {
      env: {
        PATH: process.env.PATH ?? '',
        DATA_DIR: this.dataDir,
        DATABASE_KEY: KEY,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        FB_APP_SECRET: SECRET,
        FB_PAGE_ID: PAGE,
        LOG_LEVEL: 'warn',
        ...this.env,
        ...extra,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
  }

  get pid(): number {
    return this.child!.pid!;
  }

  /** SIGKILL: no shutdown at all; resolves once the process is gone. */
  kill9(): Promise<{ code: number | null }> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM: the graceful stop; resolves with the exit code once the process is gone. */
  stop(): Promise<{ code: number | null }> {
    return this.signal('SIGTERM');
  }

  private async signal(signal: NodeJS.Signals): Promise<{ code: number | null }> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return { code: child?.exitCode ?? null };
    const gone = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return { code: await gone };
  }

  /** A separate connection to the same file (WAL lets it read while the server runs). */
  async db<T>(use: (db: Db) => Promise<T>): Promise<T> {
    const db = await Db.open(path.join(this.dataDir, 'chatx.db'), KEY);
    try {
      return await use(db);
    } finally {
      await db.close();
    }
  }

  /**
   * Changes the server's file-size limit (ulimit -f), in bytes; 'unlimited' lifts it. Only the soft
   * limit moves, which any user may lower and raise again (the hard one would need privileges).
   */
  fileSizeLimit(bytes: number | 'unlimited'): void {
    const r = spawnSync('prlimit', ['--pid', String(this.pid), `--fsize=${bytes}:`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`prlimit failed: ${r.stderr}`);
  }

  /** An API token (made straight in the database, as `chatx token:create` would). */
  apiToken(role: 'owner' | 'staff' = 'staff'): Promise<string> {
    return this.db(async (db) => (await createApiToken(db, { name: `fault-${crypto.randomUUID()}`, role })).token);
  }
}

/** Whether this machine lets a process mount in a namespace of its own (root with CAP_SYS_ADMIN). */
export function canMountReadOnly(): boolean {
  const dir = tempDir('chatx-ro-probe-');
  const probe = spawnSync('unshare', [
    '--mount',
    'sh',
    '-c',
    'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1"',
    'sh',
    dir,
  ]);
  return probe.status === 0;
}

export function textBody(events: { psid: string; mid: string; text: string; at?: number }[]): string {
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: PAGE,
        time: Date.now(),
        messaging: events.map((e) => ({
          sender: { id: e.psid },
          recipient: { id: PAGE },
          timestamp: e.at ?? Date.now(),
          message: { mid: e.mid, text: e.text },
        })),
      },
    ],
  });
}

/** Meta's echo of a message it received from ChatX: it carries ChatX's metadata, which proves the send. */
export function echoBody(e: { psid: string; mid: string; metadata: string; text: string }): string {
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: PAGE,
        time: Date.now(),
        messaging: [
          {
            sender: { id: PAGE },
            recipient: { id: e.psid },
            timestamp: Date.now(),
            message: { mid: e.mid, is_echo: true, app_id: 1, metadata: e.metadata, text: e.text },
          },
        ],
      },
    ],
  });
}

/** POSTs a body to the webhook signed as Meta signs it; returns the status (0 when the connection failed). */
export async function postWebhook(url: string, body: string): Promise<number> {
  try {
    const res = await fetch(`${url}/webhooks/messenger`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${crypto.createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    await res.text();
    return res.status;
  } catch {
    return 0;
  }
}
