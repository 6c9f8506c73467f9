// The JSON API for follow-ups (README, JSON API): list them (GET /api/v1/follow-ups?state=&owner=
// &due_before=), add one to a contact (POST /api/v1/contacts/:id/follow-ups), change, finish or
// cancel one (PATCH /api/v1/follow-ups/:id). Behind a bearer token or a signed-in session of either
// role (app.ts mounts /api/v1). A mistake names its field: 400 for a wrong type, 422 for a value
// that cannot be (a past due time, a note too long, an owner who is not an active user).
import { Router, type Request } from 'express';
import { actorOf } from '../auth/middleware';
import { displayName } from '../conversations/names';
import { AppError } from '../core/errors';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { auditActor } from '../privacy/audit';
import { getContact } from './contacts';
import { parseDueAt, readFollowUp, type FollowUpProblem } from './follow-up-input';
import type { FollowUp, FollowUpState } from './follow-ups';

const STATES: FollowUpState[] = ['pending', 'due', 'done', 'sent', 'cancelled'];
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function followUpJson(f: FollowUp) {
  return {
    id: f.id,
    contact: { id: f.contactId, name: displayName({ name: f.contactName, psid: f.psid }) },
    conversation_id: f.conversationId,
    owner: f.ownerId === null ? null : { id: f.ownerId, name: f.ownerName },
    due_at: iso(f.dueAt),
    note: f.note,
    message: f.message,
    state: f.state,
    outcome: f.outcome,
    message_id: f.messageId,
    created_at: iso(f.createdAt),
    updated_at: iso(f.updatedAt),
    done_at: iso(f.doneAt),
  };
}

/** The first problem as the API's error: its code and `field` name the field. */
function problemError(problems: FollowUpProblem[]): AppError {
  const p = problems.find((x) => x.kind === 'type') ?? problems[0];
  return new AppError(p.kind === 'type' ? 400 : 422, `invalid-${p.field.replace(/_/g, '-')}`, p.message, { field: p.field });
}

function query(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function followUpsApiRouter(deps: Deps): Router {
  const { db, followUps } = deps;
  const router = Router();
  const contactOf = routeEntity(router, 'contact', (id) => getContact(db, id), 'That contact does not exist.');
  const followUpOf = routeEntity(router, 'followUp', (id) => followUps.get(id), 'That follow-up does not exist.');

  router.get('/api/v1/follow-ups', async (req, res) => {
    const state = query(req, 'state');
    const states = state?.split(',') ?? [];
    const unknown = states.find((s) => !STATES.includes(s as FollowUpState));
    if (unknown !== undefined)
      throw new AppError(400, 'invalid-state', `state must be one or more of ${STATES.join(', ')}.`, { field: 'state' });
    const owner = query(req, 'owner');
    let ownerId: number | undefined;
    if (owner === 'me') {
      const actor = actorOf(req);
      if (actor?.kind !== 'user')
        throw new AppError(400, 'invalid-owner', 'owner=me needs a signed-in user, not a token.', { field: 'owner' });
      ownerId = actor.id;
    } else if (owner !== undefined) {
      ownerId = /^\d{1,15}$/.test(owner) ? Number(owner) : NaN;
      if (!Number.isSafeInteger(ownerId) || ownerId <= 0)
        throw new AppError(400, 'invalid-owner', 'owner must be a user id or "me".', { field: 'owner' });
    }
    const before = query(req, 'due_before');
    const dueBefore = before === undefined ? undefined : parseDueAt(before);
    if (before !== undefined && dueBefore === undefined)
      throw new AppError(400, 'invalid-due-before', 'due_before must be a date and time, like 2026-05-04T09:30.', {
        field: 'due_before',
      });
    const list = await followUps.list({ states: states as FollowUpState[], ownerId, dueBefore, limit: 500 });
    res.json({ follow_ups: list.map(followUpJson) });
  });

  router.post('/api/v1/contacts/:contact/follow-ups', async (req, res) => {
    const contact = contactOf(req);
    const { change, problems } = readFollowUp(req.body, { creating: true });
    if (change.state !== undefined)
      problems.push({ field: 'state', kind: 'value', message: 'A new follow-up cannot start done or cancelled.' });
    if (problems.length) throw problemError(problems);
    const created = await followUps.create(contact.id, { ...change, dueAt: change.dueAt! }, auditActor(req));
    res.status(201).json(followUpJson(created));
  });

  router.patch('/api/v1/follow-ups/:followUp', async (req, res) => {
    const { change, problems } = readFollowUp(req.body, { creating: false });
    if (problems.length) throw problemError(problems);
    res.json(followUpJson(await followUps.edit(followUpOf(req), change, auditActor(req))));
  });

  return router;
}
