// The owner's full export of the inbox seed (1,000,000 messages, 20,000 contacts; BENCH_MESSAGES) plus
// 100 stored files of 1 MiB: through the real server (GET /api/v1/export with an owner token, read to
// the last byte as fast as the client takes it) and through the CLI (`node dist/cli.js export`). The
// resident memory of the process that exports is sampled every 20 ms while it streams; the targets
// are >= 20,000 messages/s and < 200 MB. Runs alone with `npm run bench -- export`.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createApiToken } from '../src/auth/api-tokens';
import { createUser } from '../src/auth/users';
import { loadConfig } from '../src/config';
import { setLogLevel } from '../src/core/log';
import { buildServices } from '../src/services';
import { seedInbox } from './inbox-seed';
import { startServer, stopChild } from './server-process';

const KEY = 'bench key';
const FILES = 100;
const FILE_BYTES = 2 ** 20;

export interface ExportRun {
  seconds: number;
  messagesPerSecond: number;
  /** The highest resident set size of the exporting process seen while it streamed, MB. */
  peakRssMb: number;
  zipMb: number;
}

export interface ExportBench {
  messages: number;
  contacts: number;
  files: number;
  seedSeconds: number;
  server: ExportRun & { idleRssMb: number; firstByteMs: number };
  cli: ExportRun;
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0; // the process has just ended
  }
}

/** Samples a process's RSS every 20 ms until stopped; returns the peak. */
function sampleRss(pid: number): () => number {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 20);
  return () => {
    clearInterval(timer);
    return Math.max(peak, rssMb(pid));
  };
}

/** A ZIP ends with the end of central directory record (22 bytes, no comment). */
function endsLikeZip(tail: Buffer): boolean {
  return tail.length >= 22 && tail.readUInt32LE(tail.length - 22) === 0x06054b50;
}

/** Seeds the inbox and the files, with an owner API token; returns the token. */
async function seed(dataDir: string, messages: number, contacts: number): Promise<{ token: string; seconds: number }> {
  const services = await buildServices(loadConfig({ DATA_DIR: dataDir, DATABASE_KEY: KEY, LOG_LEVEL: 'warn' }));
  try {
    const seeded = await seedInbox(services, contacts, messages);
    const { db } = services;
    // Files on the newest messages of the first conversations (random bytes: nothing to compress).
    await db.transaction(async (tx) => {
      for (let i = 0; i < FILES; i++) {
        const message = await tx.get<{ id: number }>('SELECT max(id) AS id FROM messages WHERE conversation_id = ?', [1 + i]);
        await tx.run(
          `INSERT INTO attachments (message_id, type, state, name, content_type, size, data, created_at)
           VALUES (?, 'file', 'stored', ?, 'application/pdf', ?, ?, ?)`,
          [message!.id, `invoice-${i}.pdf`, FILE_BYTES, crypto.randomBytes(FILE_BYTES), Date.now()],
        );
      }
    });
    await createUser(db, { email: 'owner@example.com', role: 'owner', password: 'a long enough password' });
    const { token } = await createApiToken(db, { name: 'bench export', role: 'owner' });
    return { token, seconds: seeded.seconds };
  } finally {
    await services.close();
  }
}

async function viaServer(dataDir: string, token: string, messages: number): Promise<ExportBench['server']> {
  const { child, url } = await startServer({ DATA_DIR: dataDir, DATABASE_KEY: KEY }, 35000);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const idleRssMb = rssMb(child.pid!);
    const peak = sampleRss(child.pid!);
    const started = performance.now();
    let firstByteMs = 0;
    const { bytes, tail } = await new Promise<{ bytes: number; tail: Buffer }>((resolve, reject) => {
      http
        .get(`${url}/api/v1/export`, { headers: { authorization: `Bearer ${token}` } }, (res) => {
          if (res.statusCode !== 200) return reject(new Error(`GET /api/v1/export answered ${res.statusCode}`));
          let bytes = 0;
          let tail = Buffer.alloc(0);
          res.on('data', (chunk: Buffer) => {
            if (!firstByteMs) firstByteMs = performance.now() - started;
            bytes += chunk.length;
            tail = Buffer.concat([tail, chunk]).subarray(-64);
          });
          res.on('end', () => resolve({ bytes, tail }));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    const seconds = (performance.now() - started) / 1000;
    const peakRssMb = peak();
    if (!endsLikeZip(tail)) throw new Error('the export over HTTP did not end like a ZIP');
    return { seconds, messagesPerSecond: messages / seconds, peakRssMb, zipMb: bytes / 2 ** 20, idleRssMb, firstByteMs };
  } finally {
    await stopChild(child);
  }
}

async function viaCli(dataDir: string, messages: number): Promise<ExportRun> {
  const out = path.join(dataDir, 'bench-export.zip');
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [path.resolve(__dirname, '..', 'dist', 'cli.js'), 'export', '--out', out], {
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, DATABASE_KEY: KEY },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const peak = sampleRss(child.pid!);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = peak();
  if (code !== 0) throw new Error(`chatx export exited with ${code}`);
  const size = fs.statSync(out).size;
  const fd = fs.openSync(out, 'r');
  const tail = Buffer.alloc(64);
  fs.readSync(fd, tail, 0, 64, size - 64);
  fs.closeSync(fd);
  fs.rmSync(out);
  if (!endsLikeZip(tail)) throw new Error('the CLI export did not end like a ZIP');
  return { seconds, messagesPerSecond: messages / seconds, peakRssMb, zipMb: size / 2 ** 20 };
}

export async function benchExport(
  messages = Number(process.env.BENCH_MESSAGES ?? 1_000_000),
  contacts = 20_000,
): Promise<ExportBench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-export-'));
  setLogLevel('warn');
  try {
    const { token, seconds: seedSeconds } = await seed(dataDir, messages, contacts);
    const server = await viaServer(dataDir, token, messages);
    const cli = await viaCli(dataDir, messages);
    return { messages, contacts, files: FILES, seedSeconds, server, cli };
  } finally {
    if (!process.env.BENCH_KEEP) fs.rmSync(dataDir, { recursive: true, force: true });
    else console.error(`kept ${dataDir}`);
  }
}

/** The rows bench/run.ts prints for it. */
export function exportRows(r: ExportBench): [string, string, string, string][] {
  const fmt = (n: number, digits = 1) => n.toFixed(digits);
  const check = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  const n = (x: number) => x.toLocaleString('en');
  return [
    [
      `export seed: ${n(r.messages)} messages, ${n(r.contacts)} contacts, ${r.files} files of 1 MiB, s`,
      fmt(r.seedSeconds, 0),
      '',
      '',
    ],
    [
      'full export via GET /api/v1/export, messages/s',
      fmt(r.server.messagesPerSecond, 0),
      '>= 20000',
      check(r.server.messagesPerSecond >= 20_000),
    ],
    [
      'full export via the API: server peak RSS while streaming, MB',
      fmt(r.server.peakRssMb, 0),
      '< 200',
      check(r.server.peakRssMb < 200),
    ],
    ['full export via the API: s (first byte ms)', `${fmt(r.server.seconds)} (${fmt(r.server.firstByteMs, 0)})`, '', ''],
    ['full export via the API: server RSS before, MB', fmt(r.server.idleRssMb, 0), '', ''],
    ['full export ZIP size, MB', fmt(r.server.zipMb, 0), '', ''],
    [
      'full export via `chatx export`, messages/s',
      fmt(r.cli.messagesPerSecond, 0),
      '>= 20000',
      check(r.cli.messagesPerSecond >= 20_000),
    ],
    ['full export via the CLI: peak RSS, MB', fmt(r.cli.peakRssMb, 0), '< 200', check(r.cli.peakRssMb < 200)],
  ];
}
