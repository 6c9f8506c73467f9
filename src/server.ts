// Entry point: config → build the services (open the database, migrate, the writer thread) → the
// app → start the jobs → listen. SIGTERM/SIGINT stop them in reverse: stop accepting, end the live
// streams, finish in-flight requests, then close the services (jobs, sender, queue, database).
import http from 'node:http';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { applyTimeZone, ConfigError, describeConfig, loadConfig, type Config } from './config';
import { DataDirError, prepareDataDir } from './core/data-dir';
import { DatabaseKeyError } from './core/db';
import { DataDirBusyError, lockDataDir, lockFile } from './core/instance-lock';
import { requestBasics } from './core/every-request';
import { log, setLogLevel } from './core/log';
import { MigrationError } from './core/migrate';
import { publicUrlMismatch } from './core/public-url';
import { webhookFastPath } from './messenger/webhook/fast-path';
import { buildServices, type Services } from './services';

/** How long requests in flight may take to finish when stopping; the rest of the stop fits in 10 s. */
const SHUTDOWN_GRACE_MS = 3000;

export interface RunningServer {
  services: Services;
  server: http.Server;
  url: string;
  stop(): Promise<void>;
}

export async function start(config: Config): Promise<RunningServer> {
  prepareDataDir(config.dataDir);
  // Held while the server runs: a second server on the same data refuses to start, and the CLI's
  // restore, rekey and wipe refuse to run beside it.
  const lockExisted = fs.existsSync(lockFile(config.dataDir));
  const lock = await lockDataDir(config.dataDir).catch((err: Error) => {
    if (err instanceof DataDirBusyError) throw new DataDirError(`another ChatX is already running on ${config.dataDir}`);
    log.warn('no lock on DATA_DIR; the CLI cannot tell that this server runs', { error: err.message });
    return undefined;
  });
  // A start that fails (a wrong key, a port in use) leaves the data dir as it found it.
  const giveUp = async () => {
    await lock?.release();
    if (!lockExisted) fs.rmSync(lockFile(config.dataDir), { force: true });
  };
  let services: Services;
  try {
    services = await buildServices(config, { writerThread: true });
  } catch (err) {
    await giveUp();
    throw err;
  }
  try {
    await services.start();
  } catch (err) {
    await services.close();
    await giveUp();
    throw err;
  }
  const app = createApp(services);
  const fastWebhook = webhookFastPath(services, requestBasics({ https: config.publicUrl.startsWith('https:') }));
  const server = http.createServer((req, res) => {
    if (!fastWebhook(req, res)) app(req, res);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    await services.close();
    await giveUp();
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Live streams never end on their own; end them so the server can close.
      services.live.close();
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      await closed;
      clearTimeout(force);
      await services.close();
      await lock?.release();
    })());
  return { services, server, url, stop };
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
  log.debug('configuration', describeConfig(config));
  // Background work catches its own failures; anything that still slips through is logged, and the
  // server keeps answering (a failed background write must not take the inbox down with it).
  process.on('unhandledRejection', (reason) =>
    log.error('unhandled rejection; the server keeps running', { error: (reason as Error)?.stack ?? String(reason) }),
  );
  // A file-size limit on the process (ulimit -f) would otherwise kill it at the first write past
  // it; handled, that write fails like one to a full disk: the request gets an error, the rest runs.
  process.on('SIGXFSZ', () => log.warn('a write passed the file-size limit (ulimit -f)'));
  let running: RunningServer;
  try {
    running = await start(config);
  } catch (err) {
    if (err instanceof DatabaseKeyError || err instanceof MigrationError || err instanceof DataDirError) fatal(err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') fatal(`port ${config.port} is already in use (set PORT)`);
    if (e.code === 'EACCES') fatal(`no permission to use ${config.dataDir} or port ${config.port}`);
    fatal(e.message);
  }
  log.info('ChatX is listening', {
    url: running.url,
    publicUrl: config.publicUrlSet ? config.publicUrl : '(not set: links use the address in the browser)',
    dataDir: config.dataDir,
  });
  const mismatch = publicUrlMismatch(config, (running.server.address() as AddressInfo).port);
  if (mismatch) log.warn(mismatch);
  if ((await running.services.channel.state()).sandbox) log.info('no Page token: sandbox mode, nothing is sent to Meta');

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
