// Entry point: config → open db → migrate → createApp → start jobs → listen.
// SIGTERM/SIGINT stop them in reverse: stop accepting, finish in-flight requests, stop jobs, close the db.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { applyTimeZone, ConfigError, loadConfig, type Config } from './config';
import { DatabaseKeyError } from './core/db';
import { log, setLogLevel } from './core/log';
import { MigrationError } from './core/migrate';
import type { Deps } from './deps';
import { startJobs, type JobRunner } from './jobs';
import { WorkerIngest } from './messenger/ingest-client';
import { webhookFastPath } from './messenger/webhook-routes';
import { databaseFile, openStore } from './store';

const SHUTDOWN_GRACE_MS = 8000;

export interface RunningServer {
  deps: Deps;
  jobs: JobRunner;
  server: http.Server;
  url: string;
  stop(): Promise<void>;
}

export async function start(config: Config): Promise<RunningServer> {
  const deps = await openStore(config);
  // Checkpoints are the wal-checkpoint job's, in quiet moments (jobs.ts), not every 1,000 pages.
  await deps.db.exec('PRAGMA wal_autocheckpoint = 0');
  // Webhook bodies are committed on a writer thread of their own (see messenger/ingest-worker.ts).
  const writer = new WorkerIngest(databaseFile(config), deps.databaseKey.passphrase);
  await writer.start();
  deps.ingest = writer;
  deps.queue.busySince = () => writer.lastActivityAt;
  const app = createApp(deps);
  const jobs = startJobs(deps);
  const fastWebhook = webhookFastPath(deps);
  const server = http.createServer((req, res) => {
    if (!fastWebhook(req, res)) app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Live streams never end on their own; end them so the server can close.
      deps.live.close();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(force);
      await jobs.stop();
      await deps.ingest.close();
      await deps.db.close();
    })());
  return { deps, jobs, server, url, stop };
}

function fatal(message: string): never {
  process.stderr.write(`chatx: ${message}\n`);
  process.exit(1);
}

export async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fatal(`configuration error: ${err.message}`);
    throw err;
  }
  applyTimeZone(config);
  setLogLevel(config.logLevel);
  let running: RunningServer;
  try {
    running = await start(config);
  } catch (err) {
    if (err instanceof DatabaseKeyError || err instanceof MigrationError) fatal(err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') fatal(`port ${config.port} is already in use (set PORT)`);
    if (e.code === 'EACCES') fatal(`no permission to use ${config.dataDir} or port ${config.port}`);
    fatal(e.message);
  }
  log.info('ChatX is listening', { url: running.url, publicUrl: config.publicUrl, dataDir: config.dataDir });
  if (!config.fb.pageAccessToken) log.info('no FB_PAGE_ACCESS_TOKEN: sandbox mode, nothing is sent to Meta');

  // The signal often arrives twice (the process group gets it, and npm forwards it again to its
  // child), so the handler stays installed and later signals only wait for the same shutdown.
  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info('shutting down', { signal });
    running.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error('shutdown failed', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) {
  main().catch((err: Error) => fatal(err.message));
}
