// The exports over HTTP. The owner's full export: `GET /api/v1/export` (owner token or session) and
// `GET /privacy/export` (the Privacy page's button; with `?progress=<id>` its progress is readable at
// `GET /privacy/export/progress/<id>`). The access right, for any signed-in user or token (staff
// answer customers' requests too): `GET /api/v1/contacts/:contact/export` (JSON) and
// `GET /contacts/:contact/export` (the same JSON zipped with the person's files). Every export is in
// the audit log (`export.full`, `export.person` with `contact #<id>`), never with any content.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { actorOf, requireOwner, requireUser } from '../auth/middleware';
import { AppError, badRequest } from '../core/errors';
import { routeEntity } from '../core/http';
import { log } from '../core/log';
import type { Deps } from '../deps';
import { audit } from './audit';
import { withExportConnection } from './export-connection';
import { writeFullExport } from './export-full';
import { auditTarget, findContact, personJson, writePersonExport } from './export-person';
import { ExportRuns, RUN_ID, type ExportRun } from './export-progress';

/** Who exported, for the audit log: the signed-in user, or the API token by name. */
function exporter(req: Request) {
  const actor = actorOf(req)!;
  return actor.kind === 'user'
    ? { actorUserId: actor.id, actor: actor.email, ip: req.ip }
    : { actor: `api token "${actor.name}"`, ip: req.ip };
}

/** 2026-01-31-1405 (UTC), for file names. */
const stamp = (at: Date) => at.toISOString().slice(0, 16).replace('T', '-').replace(':', '');

function zipHeaders(res: Response, fileName: string): void {
  res.status(200).set({
    'Content-Type': 'application/zip',
    'Content-Disposition': `attachment; filename="${fileName}"`,
    'Cache-Control': 'no-store',
  });
}

/**
 * Once the ZIP has begun there is no error page to show: the download is cut off (a client sees a
 * failed download, never a valid-looking half). A client that went away is not an error of ours.
 */
function streamFailed(res: Response, what: string, err: Error): void {
  if (!res.headersSent) {
    for (const name of ['Content-Type', 'Content-Disposition', 'X-Export-Records']) res.removeHeader(name);
    throw err;
  }
  if (!res.destroyed) res.destroy(err);
  if ((err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') log.info(`${what} stopped: the client went away`);
  else log.error(`${what} failed`, { error: err.stack ?? err.message });
}

export function exportRouter(deps: Deps): Router {
  const { db } = deps;
  const router = Router();
  const runs = new ExportRuns();
  // Signed in before the contact is even looked up (a param loader runs before route middleware).
  router.use(/^\/contacts\/[^/]+\/export\/?$/i, requireUser);
  const contactOf = routeEntity(router, 'contact', (id) => findContact(db, id), 'That contact does not exist.');

  // One full export at a time: each holds a connection and some 60 MB while it streams.
  let exporting = false;

  async function fullExport(req: Request, res: Response, via: 'api' | 'web', run?: ExportRun): Promise<void> {
    if (exporting) {
      const busy = new AppError(409, 'export-running', 'A full export is being written already; try again when it has finished.');
      if (run) Object.assign(run, { state: 'failed', finishedAt: Date.now(), message: busy.message });
      throw busy;
    }
    exporting = true;
    const now = new Date();
    try {
      await audit(db, { ...exporter(req), action: 'export.full', detail: { via } });
      await withExportConnection(db.file, deps.databaseKey.passphrase, (reader) =>
        writeFullExport(reader, res, {
          now,
          onStart: (total) => {
            if (run) run.total = total;
            zipHeaders(res, `chatx-export-${stamp(now)}.zip`);
            res.set('X-Export-Records', String(total));
          },
          onRows: (n) => {
            if (run) run.done = Math.min(run.total, run.done + n);
          },
        }),
      );
      if (run) Object.assign(run, { state: 'done', done: run.total, finishedAt: Date.now() });
    } catch (err) {
      if (run) Object.assign(run, { state: 'failed', finishedAt: Date.now() });
      streamFailed(res, 'a full export', err as Error);
    } finally {
      exporting = false;
    }
  }

  router.get('/api/v1/export', requireOwner, (req, res) => fullExport(req, res, 'api'));

  router.get('/privacy/export', requireUser, requireOwner, async (req, res) => {
    const id = req.query.progress;
    if (id !== undefined && (typeof id !== 'string' || !RUN_ID.test(id)))
      throw badRequest('invalid-progress-id', 'progress must be 16 to 64 letters, digits, - or _.');
    await fullExport(req, res, 'web', id ? runs.start(actorOf(req)!.id, id) : undefined);
  });

  router.get('/privacy/export/progress/:run', requireUser, requireOwner, (req, res) => {
    const id = String(req.params.run);
    if (!RUN_ID.test(id)) throw badRequest('invalid-progress-id', 'The progress id must be 16 to 64 letters, digits, - or _.');
    const run = runs.get(actorOf(req)!.id, id);
    res.set('Cache-Control', 'no-store');
    // "waiting": no export under this id has begun (yet): the page asks again for a while.
    res.json(
      run
        ? { state: run.state, done: run.done, total: run.total, message: run.message }
        : { state: 'waiting', done: 0, total: 0 },
    );
  });

  router.get('/api/v1/contacts/:contact/export', async (req, res) => {
    const contact = contactOf(req);
    await audit(db, { ...exporter(req), action: 'export.person', target: auditTarget(contact.id), detail: { via: 'api' } });
    res.status(200).type('application/json').set('Cache-Control', 'no-store');
    try {
      await pipeline(Readable.from(personJson(db, contact), { objectMode: false }), res);
    } catch (err) {
      streamFailed(res, 'a person export', err as Error);
    }
  });

  router.get('/contacts/:contact/export', async (req, res) => {
    const contact = contactOf(req);
    const now = new Date();
    await audit(db, { ...exporter(req), action: 'export.person', target: auditTarget(contact.id), detail: { via: 'web' } });
    zipHeaders(res, `contact-${contact.id}-export-${stamp(now)}.zip`);
    try {
      await writePersonExport(db, contact, res, now);
    } catch (err) {
      streamFailed(res, 'a person export', err as Error);
    }
  });

  return router;
}
