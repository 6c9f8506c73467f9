// Where webhook bodies go to be committed: the server's writer thread (writer-thread.ts), or, where
// no thread is wanted (most tests, the CLI), the same batcher in this thread. Both group-commit and
// resolve only after the commit; the composition root (services.ts) chooses one.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Db } from '../../core/db';
import { log } from '../../core/log';
import { IngestBatcher } from './batcher';
import type { IngestResult, WebhookBody } from './ingest';

export interface IngestSink {
  submit(body: WebhookBody, appId?: string): Promise<IngestResult>;
  /** Starts what the sink needs (the writer thread and its connection). */
  start(): Promise<void>;
  close(): Promise<void>;
  /** After close(): goes on with the database opened with `passphrase` (a rekey, restore or wipe), if it was started. */
  reopen(passphrase: string): Promise<void>;
  /** When the last body was submitted (ms): background writes wait for a quiet moment. */
  readonly lastActivityAt: number;
}

/** The batcher on the main connection. */
export class InProcessIngest implements IngestSink {
  private readonly batcher: IngestBatcher;
  lastActivityAt = 0;

  constructor(db: Db) {
    this.batcher = new IngestBatcher(db);
  }

  submit(body: WebhookBody, appId?: string): Promise<IngestResult> {
    this.lastActivityAt = Date.now();
    return this.batcher.submit(body, appId);
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}
  async reopen(): Promise<void> {}
}

type Reply = { id: number; result?: IngestResult; error?: string };

/** Runs the batcher in a worker thread with its own connection; restarts it if it dies. */
export class WorkerIngest implements IngestSink {
  private worker?: Promise<Worker>;
  private pending = new Map<number, { resolve: (r: IngestResult) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closing = false;
  private started = false;
  lastActivityAt = 0;

  constructor(
    private readonly file: string,
    private passphrase: string,
  ) {}

  /** Starts the worker now, so the first webhook does not pay for the key derivation. */
  async start(): Promise<void> {
    this.started = true;
    this.closing = false;
    await this.spawn();
  }

  private spawn(): Promise<Worker> {
    this.worker ??= new Promise<Worker>((resolve, reject) => {
      // From source (tests, npm run dev) the worker is TypeScript and needs tsx's loader.
      const compiled = __filename.endsWith('.js');
      const worker = new Worker(path.join(__dirname, `writer-thread.${compiled ? 'js' : 'ts'}`), {
        workerData: { file: this.file, passphrase: this.passphrase },
        // Compiled, it inherits the process's flags (memory limits, profiling).
        execArgv: compiled ? undefined : ['--require', require.resolve('tsx/cjs')],
      });
      worker.on('message', (message: Reply | 'ready' | { fatal: string }) => {
        if (message === 'ready') return resolve(worker);
        if ('fatal' in message) return reject(new Error(message.fatal));
        const waiting = this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id);
        if (message.error !== undefined) waiting.reject(new Error(message.error));
        else waiting.resolve(message.result!);
      });
      worker.on('error', (err) => log.error('webhook writer thread failed', { error: err.message }));
      worker.on('exit', (code) => {
        this.worker = undefined;
        for (const [, waiting] of this.pending) waiting.reject(new Error(`the webhook writer thread stopped (${code})`));
        this.pending.clear();
        if (!this.closing) log.warn('webhook writer thread exited; a new one starts with the next event', { code });
        reject(new Error(`the webhook writer thread exited (${code})`));
      });
    });
    return this.worker;
  }

  async submit(body: WebhookBody, appId?: string): Promise<IngestResult> {
    this.lastActivityAt = Date.now();
    if (this.closing) throw new Error('the webhook writer thread is closed');
    const worker = await this.spawn();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, body, appId });
    });
  }

  /** Lets the thread finish its batch and close its connection; waits at most 3 seconds. */
  async close(): Promise<void> {
    this.closing = true;
    const worker = await this.worker?.catch(() => undefined);
    if (!worker) return;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.postMessage('close');
      setTimeout(() => void worker.terminate(), 3000).unref();
    });
  }

  async reopen(passphrase: string): Promise<void> {
    await this.close();
    this.passphrase = passphrase;
    if (this.started) await this.start();
  }
}
