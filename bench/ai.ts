// AI replies against a fake OpenAI server that answers at once (the real server and SDK, a local
// HTTP fake): (1) the latency from a customer message's commit (the webhook's 200) to the request
// reaching the provider, with AI_DEBOUNCE_MS=0, one message at a time; target p95 ≤ 1.5 s. (2) 1,000
// AI jobs queued together (1,000 customers writing within the debounce), drained: how long, and
// the server's peak memory meanwhile; target RSS < 200 MB.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_CAPS } from '../src/ai/settings';
import { Db } from '../src/core/db';
import { migrate } from '../src/core/migrate';
import { setSetting } from '../src/settings/store';
import { startOpenAiFake } from '../test/fakes/ai';
import { percentile } from './load';
import { BENCH_PAGE_ID, startServer, stopChild, webhookMessage, type ServerProcess } from './server-process';

const KEY = 'bench ai key';
const ANSWER = JSON.stringify({ reply: 'Thanks, we are open from nine.', needs_person: false, reason: '' });

export interface AiBench {
  rounds: number;
  p50: number;
  p95: number;
  jobs: number;
  drainSeconds: number;
  peakRssMb: number;
}

async function post(server: ServerProcess, psid: string, text: string): Promise<void> {
  const { body, signature } = webhookMessage(psid, text);
  const res = await fetch(`${server.url}/webhooks/messenger`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body,
  });
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function withServer<T>(
  env: Record<string, string>,
  use: (server: ServerProcess, dataDir: string) => Promise<T>,
): Promise<T> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-bench-ai-'));
  // The daily caps (500 calls by default) would stop the drain halfway: raised, as an owner would.
  const db = await Db.open(path.join(dataDir, 'chatx.db'), KEY);
  await migrate(db);
  await setSetting(db, 'ai.caps', JSON.stringify({ ...DEFAULT_CAPS, requestsPerDay: 100_000, tokensPerDay: 100_000_000 }));
  await db.close();
  const server = await startServer(
    { DATA_DIR: dataDir, DATABASE_KEY: KEY, FB_APP_SECRET: 'bench-app-secret', FB_PAGE_ID: BENCH_PAGE_ID, ...env },
    26000,
  );
  try {
    return await use(server, dataDir);
  } finally {
    await stopChild(server.child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchAi(rounds = 200, jobs = 1000): Promise<AiBench> {
  const fake = await startOpenAiFake();
  fake.fallback = { text: ANSWER };
  const aiEnv = (debounceMs: number) => ({
    AI_PROVIDER: 'openai',
    AI_MODE: 'suggest',
    AI_DEBOUNCE_MS: String(debounceMs),
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: fake.url,
  });
  try {
    // (1) Commit → provider request, one customer message at a time.
    const latencies = await withServer(aiEnv(0), async (server) => {
      const ms: number[] = [];
      for (let i = 0; i < rounds; i++) {
        await post(server, String(7100000 + i), `Hello, are you open today? (${i})`);
        const committed = performance.now();
        await fake.waitForRequests(i + 1, 10_000);
        ms.push(performance.now() - committed);
      }
      return ms;
    });
    fake.reset();
    fake.fallback = { text: ANSWER };

    // (2) 1,000 customers write within the debounce; their jobs come due together and are drained.
    const debounceMs = 15_000;
    const drained = await withServer(aiEnv(debounceMs), async (server, dataDir) => {
      let peak = rssMb(server.child.pid!);
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.child.pid!))), 50);
      try {
        const firstPost = performance.now();
        for (let i = 0; i < jobs; i += 50)
          await Promise.all(
            Array.from({ length: Math.min(50, jobs - i) }, (_, k) => post(server, String(7200000 + i + k), `Order ${i + k}?`)),
          );
        const posted = performance.now() - firstPost;
        if (posted > debounceMs) throw new Error(`posting took ${Math.round(posted)} ms, longer than the debounce`);
        const dueAt = firstPost + debounceMs;
        await fake.waitForRequests(jobs, 120_000);
        // The drafts are committed after the answers arrive.
        const db = await Db.open(path.join(dataDir, 'chatx.db'), KEY);
        try {
          for (;;) {
            const row = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM ai_drafts');
            if ((row?.n ?? 0) >= jobs) break;
            await new Promise((r) => setTimeout(r, 20));
          }
        } finally {
          await db.close();
        }
        return { seconds: (performance.now() - dueAt) / 1000, peak };
      } finally {
        clearInterval(sampler);
      }
    });
    return {
      rounds,
      p50: percentile(
        latencies.sort((a, b) => a - b),
        50,
      ),
      p95: percentile(latencies, 95),
      jobs,
      drainSeconds: drained.seconds,
      peakRssMb: drained.peak,
    };
  } finally {
    await fake.close();
  }
}
