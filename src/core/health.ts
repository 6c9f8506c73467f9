// GET /healthz: 200 while the database answers a query within two seconds, else 503.
import type { RequestHandler } from 'express';
import type { Db } from './db';

export function healthHandler(db: Db): RequestHandler {
  return async (_req, res) => {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref());
    try {
      await Promise.race([db.get('SELECT 1 AS ok'), timeout]);
      res.set('Cache-Control', 'no-store').json({ status: 'ok' });
    } catch {
      res.status(503).set('Cache-Control', 'no-store').json({ status: 'unavailable' });
    }
  };
}
