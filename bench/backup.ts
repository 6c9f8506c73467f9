// Backup and restore of the inbox seed (1,000,000 messages, 20,000 contacts; BENCH_MESSAGES):
// - the encrypted copy itself (VACUUM INTO on a connection of its own, then the key check), timed
//   in-process, in MB of database per second;
// - `chatx backup --out` as the owner runs it, a process of its own beside the real server while
//   the server serves, with /healthz (which writes) polled throughout to show it keeps answering;
// - `chatx restore --from` of that backup with the server stopped (copy, integrity check, migrate,
//   a before-restore copy of the live database, swap). Runs alone with `npm run bench -- backup`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { setLogLevel } from '../src/core/log';
import { buildServices } from '../src/services';
import { seedInbox } from './inbox-seed';
import { startServer, stopChild } from './server-process';

const KEY = 'bench key';
const CLI = path.resolve(__dirname, '..', 'dist', 'cli.js');

export interface BackupBench {
  messages: number;
  seedSeconds: number;
  /** The database file, checkpointed (no WAL), MB. */
  dbMb: number;
  /** The encrypted copy alone, in-process. */
  copy: { seconds: number; mbPerSecond: number; backupMb: number };
  /** `chatx backup --out` beside the serving server: the whole command, process start included. */
  cli: { seconds: number; mbPerSecond: number; peakRssMb: number; healthzMaxMs: number; healthzErrors: number };
  /** `chatx restore --from` of that backup, the server stopped. */
  restoreSeconds: number;
}

function rssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0; // the process has just ended
  }
}

async function runCli(dataDir: string, args: string[]): Promise<{ seconds: number; peakRssMb: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, DATABASE_KEY: KEY },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(child.pid!))), 20);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`chatx ${args[0]} exited with ${code}`);
  return { seconds: (performance.now() - started) / 1000, peakRssMb: peak };
}

export async function benchBackup(
  messages = Number(process.env.BENCH_MESSAGES ?? 1_000_000),
  contacts = 20_000,
): Promise<BackupBench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-backup-'));
  const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-backup-out-'));
  setLogLevel('warn');
  try {
    const services = await buildServices(loadConfig({ DATA_DIR: dataDir, DATABASE_KEY: KEY, LOG_LEVEL: 'warn' }));
    let seedSeconds: number;
    let copy: BackupBench['copy'];
    let dbMb: number;
    try {
      seedSeconds = (await seedInbox(services, contacts, messages)).seconds;
      await services.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      dbMb = fs.statSync(services.db.file).size / 2 ** 20;
      const started = performance.now();
      const made = await services.vault.backup('manual', { actor: 'bench' });
      const seconds = (performance.now() - started) / 1000;
      copy = { seconds, mbPerSecond: dbMb / seconds, backupMb: made.bytes / 2 ** 20 };
      fs.rmSync(made.file);
    } finally {
      await services.close();
    }

    const out = path.join(elsewhere, 'chatx-backup.db');
    const server = await startServer({ DATA_DIR: dataDir, DATABASE_KEY: KEY }, 43000);
    let cli: BackupBench['cli'];
    try {
      // /healthz commits a write each time: the server keeps taking writes while the copy is made.
      let polling = true;
      let healthzMaxMs = 0;
      let healthzErrors = 0;
      const poller = (async () => {
        while (polling) {
          const t = performance.now();
          const ok = await fetch(`${server.url}/healthz`).then(
            (r) => r.ok,
            () => false,
          );
          healthzMaxMs = Math.max(healthzMaxMs, performance.now() - t);
          if (!ok) healthzErrors += 1;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      const run = await runCli(dataDir, ['backup', '--out', out]);
      polling = false;
      await poller;
      cli = { ...run, mbPerSecond: dbMb / run.seconds, healthzMaxMs, healthzErrors };
    } finally {
      await stopChild(server.child);
    }

    const restore = await runCli(dataDir, ['restore', '--from', out]);
    return { messages, seedSeconds, dbMb, copy, cli, restoreSeconds: restore.seconds };
  } finally {
    fs.rmSync(elsewhere, { recursive: true, force: true });
    if (!process.env.BENCH_KEEP) fs.rmSync(dataDir, { recursive: true, force: true });
    else console.error(`kept ${dataDir}`);
  }
}

/** The rows bench/run.ts prints for it. */
export function backupRows(r: BackupBench): [string, string, string, string][] {
  const fmt = (n: number, digits = 1) => n.toFixed(digits);
  const n = (x: number) => x.toLocaleString('en');
  return [
    [`backup seed: ${n(r.messages)} messages, database MB`, fmt(r.dbMb, 0), '', ''],
    ['backup: encrypted copy (VACUUM INTO + key check), MB/s', fmt(r.copy.mbPerSecond, 0), '', ''],
    ['backup: encrypted copy, s (backup file MB)', `${fmt(r.copy.seconds)} (${fmt(r.copy.backupMb, 0)})`, '', ''],
    ['chatx backup --out beside the serving server, MB/s', fmt(r.cli.mbPerSecond, 0), '', ''],
    ['chatx backup, whole command s / peak RSS MB', `${fmt(r.cli.seconds)} / ${fmt(r.cli.peakRssMb, 0)}`, '', ''],
    [
      '/healthz (a write) during that backup, max ms',
      fmt(r.cli.healthzMaxMs, 0),
      '',
      r.cli.healthzErrors ? `${r.cli.healthzErrors} errors` : '',
    ],
    ['chatx restore --from that backup, s', fmt(r.restoreSeconds), '', ''],
  ];
}
