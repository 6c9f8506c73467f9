// The real server (dist/server.js) as a child process for the benchmarks: started on a free-ish
// loopback port with the given environment, waited on until /healthz answers, stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
}

/** Polls /healthz every `everyMs` until it answers 200 (at most 30 s). */
export async function waitForHealth(url: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`${url} did not become healthy`);
}

export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/**
 * Starts ChatX on 127.0.0.1 at a random port from portBase; resolves once it is healthy, with how
 * long that took from spawning the process (health polled every 5 ms, so within a few ms).
 */
export async function startServer(env: Record<string, string>, portBase: number): Promise<ServerProcess & { startMs: number }> {
  const port = portBase + Math.floor(Math.random() * 1000);
  const url = `http://127.0.0.1:${port}`;
  const spawned = performance.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'server.js')], {
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await waitForHealth(url, 5);
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { child, url, startMs: performance.now() - spawned };
}

/** The app secret of the Messenger-connected benchmark servers; their Page id is 1000. */
const WEBHOOK_SECRET = 'bench-app-secret';
export const BENCH_PAGE_ID = '1000';

/** ChatX with a Messenger app secret and Page id, so webhook bodies can be signed as Meta signs them. */
export function startWebhookServer(dataDir: string, portBase: number): Promise<ServerProcess> {
  return startServer(
    { DATA_DIR: dataDir, DATABASE_KEY: 'bench key', FB_APP_SECRET: WEBHOOK_SECRET, FB_PAGE_ID: BENCH_PAGE_ID },
    portBase,
  );
}

/** The X-Hub-Signature-256 Meta would send for this body. */
export function signWebhook(body: string | Buffer): string {
  return `sha256=${crypto.createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
}

/** One customer's text message as Meta delivers it to the benchmark Page, and its signature. */
export function webhookMessage(psid: string, text: string): { body: string; signature: string } {
  const now = Date.now();
  const body = JSON.stringify({
    object: 'page',
    entry: [
      {
        id: BENCH_PAGE_ID,
        time: now,
        messaging: [
          {
            sender: { id: psid },
            recipient: { id: BENCH_PAGE_ID },
            timestamp: now,
            message: { mid: `m_bench_${crypto.randomBytes(8).toString('hex')}`, text },
          },
        ],
      },
    ],
  });
  return { body, signature: signWebhook(body) };
}
