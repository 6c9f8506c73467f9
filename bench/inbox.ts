// The inbox on a big database: 20,000 contacts and 1,000,000 messages (BENCH_MESSAGES), seeded
// straight into an encrypted store, then the real server (dist/server.js) answering a signed-in
// browser: the conversation list, conversation pages and search, one request at a time over a
// keep-alive connection, as a person clicking around would. The same through the JSON API.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createApiToken } from '../src/auth/api-tokens';
import { createUser } from '../src/auth/users';
import { loadConfig } from '../src/config';
import { setLogLevel } from '../src/core/log';
import { buildServices } from '../src/services';
import { prng, seedInbox, WORDS } from './inbox-seed';
import { percentile } from './load';
import { startServer, stopChild } from './server-process';

export const KEY = 'bench key';
export const EMAIL = 'bench@example.com';
export const PASSWORD = 'a long enough password';

export interface Timing {
  requests: number;
  p50: number;
  p95: number;
  max: number;
  errors: number;
  /** Server CPU time per request (user + system, from /proc): unlike latency, barely moved by other load. */
  cpuMs: number;
}

export interface InboxBench {
  contacts: number;
  messages: number;
  seedSeconds: number;
  dbMb: number;
  /** The 1-minute load average when measuring started: timings on a busy machine are inflated. */
  loadAverage: number;
  pages: { list: Timing; conversation: Timing; search: Timing; liveSearch: Timing };
  api: { list: Timing; messages: Timing; search: Timing };
  rssMb: number;
  /** Process start to a healthy /healthz on this database, ms: each of three starts, and their median. */
  coldStartMs: number[];
  coldStartMedianMs: number;
}

interface Reply {
  status: number;
  text: string;
  cookies: string[];
}

function request(
  agent: http.Agent,
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body ?? '';
    const headers = { ...options.headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) };
    const req = http.request(url, { agent, method: options.method ?? 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, cookies: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cookieOf = (cookies: string[]) => cookies.map((c) => c.split(';')[0]).join('; ');

/** CPU time a process has used so far, in ms (Linux). */
function cpuMs(pid: number): number {
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100 on Linux)
}

/** Sequential GETs; latency is from sending the request to the last byte of the body. */
export async function measure(
  agent: http.Agent,
  base: string,
  pid: number,
  paths: string[],
  headers: Record<string, string>,
  warmup = 10,
): Promise<Timing> {
  for (const p of paths.slice(0, warmup)) await request(agent, base + p, { headers });
  const cpuBefore = cpuMs(pid);
  const latencies: number[] = [];
  let errors = 0;
  for (const p of paths) {
    const started = performance.now();
    const res = await request(agent, base + p, { headers });
    latencies.push(performance.now() - started);
    if (res.status !== 200) errors++;
  }
  const cpu = (cpuMs(pid) - cpuBefore) / paths.length;
  latencies.sort((a, b) => a - b);
  return {
    requests: paths.length,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies[latencies.length - 1] ?? 0,
    errors,
    cpuMs: cpu,
  };
}

/** The signed-in browser's cookie, through the real sign-in form. */
export async function signIn(agent: http.Agent, base: string): Promise<string> {
  const form = await request(agent, `${base}/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
  if (!csrf) throw new Error('no CSRF token on /login');
  const res = await request(agent, `${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieOf(form.cookies) },
    body: new URLSearchParams({ _csrf: csrf, email: EMAIL, password: PASSWORD }).toString(),
  });
  const session = res.cookies.filter((c) => c.startsWith('chatx_session='));
  if (res.status !== 303 || session.length === 0) throw new Error(`sign-in failed with ${res.status}`);
  return cookieOf(session);
}

/** Search words: half from the 20 most frequent (each in 5–60% of messages), half from the rest. */
function searchWords(count: number, rnd: () => number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i % 2 ? WORDS[Math.floor(rnd() * 20)] : WORDS[20 + Math.floor(rnd() * (WORDS.length - 20))],
  );
}

export async function benchInbox(
  messages = Number(process.env.BENCH_MESSAGES ?? 1_000_000),
  contacts = 20_000,
  requests = 200,
): Promise<InboxBench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-inbox-'));
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_KEY: KEY, LOG_LEVEL: 'warn' });
  setLogLevel('warn');
  try {
    const services = await buildServices(config);
    const seeded = await seedInbox(services, contacts, messages);
    await createUser(services.db, { email: EMAIL, role: 'owner', password: PASSWORD });
    const { token } = await createApiToken(services.db, { name: 'bench', role: 'staff' });
    await services.close();
    const dbMb = fs.statSync(path.join(dataDir, 'chatx.db')).size / 2 ** 20;
    const measured = await measureInbox(dataDir, token, contacts, requests);
    return { contacts, messages, seedSeconds: seeded.seconds, dbMb, ...measured };
  } finally {
    if (!process.env.BENCH_KEEP) fs.rmSync(dataDir, { recursive: true, force: true });
    else console.error(`kept ${dataDir} (API token in ${path.join(dataDir, 'bench-token')})`);
  }
}

/** Starts the server on a seeded DATA_DIR and times the pages and the API. */
export async function measureInbox(
  dataDir: string,
  token: string,
  contacts: number,
  requests: number,
): Promise<Pick<InboxBench, 'loadAverage' | 'pages' | 'api' | 'rssMb' | 'coldStartMs' | 'coldStartMedianMs'>> {
  if (process.env.BENCH_KEEP) fs.writeFileSync(path.join(dataDir, 'bench-token'), token);
  const env = { DATA_DIR: dataDir, DATABASE_KEY: KEY };
  // Cold start: a restart on the big database, from spawning node to the first healthy answer
  // (key derivation, migrations check, the writer thread, the listening socket). Three starts.
  const coldStartMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = await startServer(env, 33000);
    coldStartMs.push(started.startMs);
    await stopChild(started.child);
  }
  const coldStartMedianMs = [...coldStartMs].sort((a, b) => a - b)[1];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { child: server, url: base } = await startServer(env, 34000);
  try {
    const pid = server.pid!;
    const browser = { cookie: await signIn(agent, base) };
    const api = { authorization: `Bearer ${token}` };

    const rnd = prng(7);
    const conversationIds = Array.from({ length: requests }, () => 1 + Math.floor(rnd() * contacts));
    const words = searchWords(requests, rnd);
    const loadAverage = os.loadavg()[0];
    const pages = {
      list: await measure(agent, base, pid, Array(requests).fill('/'), browser),
      conversation: await measure(
        agent,
        base,
        pid,
        conversationIds.map((id) => `/conversations/${id}`),
        browser,
      ),
      search: await measure(
        agent,
        base,
        pid,
        words.map((w) => `/search?q=${encodeURIComponent(w)}`),
        browser,
      ),
      // The live search box: htmx asks for the results partial while the word is being typed.
      liveSearch: await measure(
        agent,
        base,
        pid,
        words.map((w) => `/search?q=${encodeURIComponent(w.slice(0, Math.max(3, w.length - 2)))}`),
        { ...browser, 'hx-request': 'true' },
      ),
    };
    const apiTimings = {
      list: await measure(agent, base, pid, Array(requests).fill('/api/v1/conversations'), api),
      messages: await measure(
        agent,
        base,
        pid,
        conversationIds.map((id) => `/api/v1/conversations/${id}/messages`),
        api,
      ),
      search: await measure(
        agent,
        base,
        pid,
        words.map((w) => `/api/v1/conversations?q=${encodeURIComponent(w)}`),
        api,
      ),
    };
    const rssMb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    return { loadAverage, pages, api: apiTimings, rssMb, coldStartMs, coldStartMedianMs };
  } finally {
    agent.destroy();
    await stopChild(server);
  }
}
