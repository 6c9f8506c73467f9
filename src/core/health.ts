// GET /healthz: 200 while the database answers and takes writes, else 503, so Docker (and whoever
// watches) sees a full disk or a failing volume, not only a dead process. The write is one small
// row; once it has worked it is repeated at most every few seconds however often /healthz is asked
// (sooner when a webhook's commit failed meanwhile), and while it fails it is tried each time, so a
// recovery shows at once. A read is checked each time.
import type { RequestHandler } from 'express';
import type { Db } from './db';

const TIMEOUT_MS = 2000;
const WRITE_EVERY_MS = 5000;

function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export class Health {
  private lastWrite: { at: number; ok: boolean } | undefined;
  private writing?: Promise<boolean>;

  constructor(private readonly db: Db) {}

  /** A write failed somewhere (a webhook's commit): the next check tries a write of its own. */
  suspect(): void {
    this.lastWrite = undefined;
  }

  private writable(): Promise<boolean> {
    if (this.lastWrite?.ok && Date.now() - this.lastWrite.at < WRITE_EVERY_MS) return Promise.resolve(true);
    this.writing ??= within(
      this.db.run('INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at', [
        Date.now(),
      ]),
      TIMEOUT_MS,
    )
      .then(
        () => true,
        () => false,
      )
      .then((ok) => {
        this.lastWrite = { at: Date.now(), ok };
        this.writing = undefined;
        return ok;
      });
    return this.writing;
  }

  handler(): RequestHandler {
    return async (_req, res) => {
      res.set('Cache-Control', 'no-store');
      try {
        await within(this.db.get('SELECT 1 AS ok'), TIMEOUT_MS);
      } catch {
        return void res.status(503).json({ status: 'unavailable', reason: 'the database does not answer' });
      }
      if (!(await this.writable()))
        return void res.status(503).json({ status: 'unavailable', reason: 'the database takes no writes' });
      res.json({ status: 'ok' });
    };
  }
}
