// Signed webhook ingestion: ChatX (SQLCipher, signature check, one transaction per body, jobs
// queued) against a bare Node http + plain better-sqlite3 baseline, same load, same machine.
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad, type LoadResult, type Prepared } from './load';
import { BENCH_PAGE_ID, signWebhook, startWebhookServer, stopChild } from './server-process';

const PSIDS = Number(process.env.BENCH_PSIDS ?? 2000);

/** Meta-shaped text messages from 2,000 different people, with unique mids, signed Meta's way. */
export function prepareEvents(count: number, pageId = BENCH_PAGE_ID): Prepared[] {
  const out: Prepared[] = [];
  const started = Date.now() - count;
  for (let i = 0; i < count; i++) {
    const psid = String(7000000000000000 + (i % PSIDS));
    const payload = {
      object: 'page',
      entry: [
        {
          id: pageId,
          time: started + i,
          messaging: [
            {
              sender: { id: psid },
              recipient: { id: pageId },
              timestamp: started + i,
              message: {
                mid: `m_bench_${i}_${crypto.randomBytes(6).toString('hex')}`,
                text: `Hello, is the order #${i} ready? Gr\\u00fc\\u00dfe`,
              },
            },
          ],
        },
      ],
    };
    const body = Buffer.from(JSON.stringify(payload));
    out.push({
      path: '/webhooks/messenger',
      body,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signWebhook(body) },
    });
  }
  return out;
}

export interface WebhookBench {
  chatx: LoadResult;
  baseline: LoadResult;
  ratio: number;
  rssMb: number;
}

export async function benchWebhook(events = 20000, concurrency = 50): Promise<WebhookBench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-bench-'));
  const { child: server, url } = await startWebhookServer(dataDir, 31000);
  let chatx: LoadResult;
  let rssMb = 0;
  try {
    await runLoad(url, prepareEvents(1000), concurrency); // warm-up
    chatx = await runLoad(url, prepareEvents(events), concurrency);
    rssMb = Number(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
  } finally {
    await stopChild(server);
  }

  const basePort = Number(new URL(url).port) + 1;
  const baseline = fork(path.join(__dirname, 'baseline-server.js'), [], {
    env: { DATA_DIR: dataDir, PORT: String(basePort) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let base: LoadResult;
  try {
    await new Promise((resolve) => baseline.once('message', resolve));
    await runLoad(`http://127.0.0.1:${basePort}`, prepareEvents(1000), concurrency);
    base = await runLoad(`http://127.0.0.1:${basePort}`, prepareEvents(events), concurrency);
  } finally {
    await stopChild(baseline);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return { chatx, baseline: base, ratio: chatx.perSecond / base.perSecond, rssMb };
}
