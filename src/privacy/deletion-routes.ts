// Deletion requests over HTTP: the public status page a customer (or Meta) is given, staff recording
// a request from a person's page, the owner's "Delete now" and retention, and the same through the
// JSON API.
import { Router, type Request } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import { confirmPassword } from '../auth/confirm';
import { AppError, notFound } from '../core/errors';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { audit, auditActor } from './audit';
import { listRequests, RECEIVED_VIA, type DeletionRequest } from './deletion-requests';
import { parseRetention, setRetention } from './retention';

const CODE = /^[A-Z2-9]{12}$/;

/** A request as the API shows it: never a person's name or id once it is carried out. */
function apiView(r: DeletionRequest, statusUrl: string) {
  return {
    confirmation_code: r.code,
    status: r.status,
    source: r.source,
    contact_id: r.contact_id,
    requested_at: r.requested_at,
    deadline: r.deadline,
    done_at: r.done_at,
    erased: r.summary ? (JSON.parse(r.summary) as Record<string, number>) : null,
    status_url: statusUrl,
  };
}

export function deletionRouter(deps: Deps): Router {
  const { db, deletions } = deps;
  const router = Router();
  const contactOf = routeEntity(
    router,
    'contact',
    (id) => db.get<{ id: number }>('SELECT id FROM contacts WHERE id = ?', [id]),
    'That contact does not exist (it may have been deleted).',
  );
  router.param('code', (_req, _res, next, value: string) => {
    if (!CODE.test(value)) throw notFound('There is no deletion request with that code.');
    next();
  });

  // Public: what a person who asked (or Meta) may see. No name, no id, no content.
  router.get('/data-deletion/:code', async (req, res) => {
    const request = await deletions.byCode(req.params.code as string);
    if (!request) throw notFound('There is no deletion request with that code.');
    res.render('privacy/deletion-status', { title: 'Data deletion request', bare: true, request });
  });

  const receivedVia = (req: Request): string => {
    const via = (req.body as Record<string, unknown>).received_via ?? 'other';
    if (typeof via !== 'string' || !(RECEIVED_VIA as readonly string[]).includes(via))
      throw new AppError(400, 'invalid-received-via', `How the request arrived must be one of: ${RECEIVED_VIA.join(', ')}.`);
    return via;
  };

  router.post('/contacts/:contact/deletion-request', requireUser, async (req, res) => {
    const { id } = contactOf(req);
    const { request } = await deletions.request(id, { source: 'staff', receivedVia: receivedVia(req), who: auditActor(req) });
    res.redirect(303, `/contacts/${id}?deletion=${request.code}#privacy`);
  });

  router.post('/contacts/:contact/erase', requireUser, requireOwner, async (req, res) => {
    const { id } = contactOf(req);
    await confirmPassword(db, req);
    const request = await deletions.eraseNow(id, auditActor(req));
    res.redirect(303, `/privacy/manage?erased=${request.code}#deletions`);
  });

  router.post('/privacy/deletion-requests/:code/execute', requireUser, requireOwner, async (req, res) => {
    await confirmPassword(db, req);
    const request = await deletions.execute(req.params.code as string, auditActor(req));
    res.redirect(303, `/privacy/manage?executed=${request.code}#deletions`);
  });

  // Bulk erase from the Contacts list (the owner ticks people): each is a request carried out at once.
  router.post('/privacy/erase', requireUser, requireOwner, async (req, res) => {
    const picked = (req.body as Record<string, unknown>).contact;
    const ids = (Array.isArray(picked) ? picked : picked === undefined ? [] : [picked]).map(Number);
    if (ids.length === 0) throw new AppError(400, 'nobody-selected', 'Tick the people to erase first.');
    if (ids.length > 500 || !ids.every((id) => Number.isSafeInteger(id) && id > 0))
      throw new AppError(400, 'invalid-selection', 'The selection is not a list of up to 500 contacts.');
    await confirmPassword(db, req);
    let erased = 0;
    for (const id of new Set(ids)) {
      const exists = await db.get('SELECT 1 FROM contacts WHERE id = ?', [id]);
      if (exists && (await deletions.eraseNow(id, auditActor(req), 'owner (bulk)')).status === 'done') erased++;
    }
    res.redirect(303, `/privacy/manage?bulk=${erased}#deletions`);
  });

  router.post('/privacy/retention', requireUser, requireOwner, async (req, res) => {
    const months = parseRetention((req.body as Record<string, unknown>).months);
    await confirmPassword(db, req);
    await setRetention(db, months);
    await audit(db, { ...auditActor(req), action: 'retention.changed', detail: { months: months ?? 'off' } });
    res.redirect(303, '/privacy/manage?retention=saved#retention');
  });

  // The JSON API (tokens and sessions; carrying out is the owner's).
  router.post('/api/v1/contacts/:contact/deletion-request', async (req, res) => {
    const { id } = contactOf(req);
    const via = (req.body as Record<string, unknown>).received_via;
    const { request, created } = await deletions.request(id, {
      source: 'api',
      receivedVia: via === undefined ? undefined : receivedVia(req),
      who: auditActor(req),
    });
    res.status(created ? 201 : 200).json(apiView(request, deletions.statusUrl(request.code)));
  });

  router.get('/api/v1/deletion-requests', async (_req, res) => {
    const requests = await listRequests(db, 1000);
    res.json({ data: requests.map((r) => apiView(r, deletions.statusUrl(r.code))) });
  });

  router.post('/api/v1/deletion-requests/:code/execute', requireOwner, async (req, res) => {
    const request = await deletions.execute(req.params.code as string, auditActor(req));
    res.json(apiView(request, deletions.statusUrl(request.code)));
  });

  return router;
}
