// SSE fan-out: 50 open inbox tabs on one conversation; a customer message arrives through the signed
// webhook; how long until every tab's stream has it. Also the server's idle memory.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { percentile } from './load';
import { startWebhookServer, stopChild, webhookMessage } from './server-process';

function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; cookies: string[]; location?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            cookies: res.headers['set-cookie'] ?? [],
            location: res.headers.location,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function get(url: string, cookie = ''): Promise<{ status: number; text: string; cookies: string[] }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { cookie } }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, cookies: res.headers['set-cookie'] ?? [] }));
      })
      .on('error', reject);
  });
}

const cookieOf = (cookies: string[]) => cookies.map((c) => c.split(';')[0]).join('; ');

export interface FanoutBench {
  streams: number;
  rounds: number;
  p50: number;
  p95: number;
  max: number;
  idleRssMb: number;
}

export async function benchFanout(streams = 50, rounds = 20): Promise<FanoutBench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-fanout-'));
  const { child: server, url: base } = await startWebhookServer(dataDir, 33000);
  const sockets: http.ClientRequest[] = [];
  try {
    // Idle memory: right after start, with nothing happening.
    await new Promise((r) => setTimeout(r, 2000));
    const idleRssMb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

    // Owner, signed in through the real forms.
    const setup = await get(`${base}/setup`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(setup.text)![1];
    const created = await post(
      `${base}/setup`,
      new URLSearchParams({ _csrf: csrf, email: 'bench@example.com', password: 'a long enough password' }).toString(),
      {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: cookieOf(setup.cookies),
      },
    );
    const cookie = cookieOf(created.cookies.filter((c) => c.startsWith('chatx_session=')));
    const first = webhookMessage('7100000000000001', 'first message');
    await post(`${base}/webhooks/messenger`, first.body, {
      'content-type': 'application/json',
      'x-hub-signature-256': first.signature,
    });

    // Every tab shows the open conversation and the Open list.
    const arrivals = new Map<number, (text: string) => void>();
    await Promise.all(
      Array.from(
        { length: streams },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            const req = http.get(
              `${base}/events?status=open&who=all&conversation=1`,
              { headers: { cookie, accept: 'text/event-stream' } },
              (res) => {
                res.setEncoding('utf8');
                let buffer = '';
                res.on('data', (chunk: string) => {
                  buffer += chunk;
                  const arrived = arrivals.get(i);
                  if (arrived && buffer.includes('bench-round-')) {
                    const m = /bench-round-(\d+)/.exec(buffer);
                    if (m) arrived(m[1]);
                    buffer = '';
                  } else if (buffer.length > 1_000_000) buffer = '';
                });
                resolve();
              },
            );
            req.on('error', reject);
            sockets.push(req);
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 500));

    const latencies: number[] = [];
    const warmup = 3;
    for (let round = 0; round < rounds + warmup; round++) {
      const tag = `bench-round-${round}`;
      const waits = Array.from(
        { length: streams },
        (_, i) => new Promise<number>((resolve) => arrivals.set(i, (r) => r === String(round) && resolve(performance.now()))),
      );
      const { body, signature } = webhookMessage('7100000000000001', `${tag} hello`);
      const sent = performance.now();
      await post(`${base}/webhooks/messenger`, body, { 'content-type': 'application/json', 'x-hub-signature-256': signature });
      const done = await Promise.all(waits);
      if (round >= warmup) latencies.push(Math.max(...done) - sent);
      await new Promise((r) => setTimeout(r, 50));
    }
    latencies.sort((a, b) => a - b);
    return {
      streams,
      rounds,
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: latencies[latencies.length - 1],
      idleRssMb,
    };
  } finally {
    sockets.forEach((s) => s.destroy());
    await stopChild(server);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
