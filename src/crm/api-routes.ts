// The JSON API for contacts (the contract in README, JSON API): a person's details, and correcting
// them (PATCH). Behind a bearer token or a signed-in session of either role (app.ts mounts /api/v1).
import { Router } from 'express';
import { displayName } from '../conversations/names';
import { notFound } from '../core/errors';
import { routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { auditActor } from '../privacy/audit';
import { getContact, type ContactDetail } from './contacts';
import { apiChange, saveContactDetails } from './details';
import { listFieldDefs } from './fields';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A contact as the API shows it: `name` is the displayed one, as in every list. */
export function contactJson(c: ContactDetail) {
  return {
    id: c.id,
    psid: c.psid,
    name: displayName({ name: c.name, psid: c.psid }),
    messenger_name: c.messengerName,
    name_corrected: c.nameCorrectedAt !== null,
    phone: c.phone,
    email: c.email,
    labels: c.labels.map((l) => l.name),
    fields: c.fields,
    lead: {
      stage: c.lead.stage,
      source: c.lead.source,
      value: c.lead.valueCents === null ? null : c.lead.valueCents / 100,
      expected_close: c.lead.expectedClose,
      owner_id: c.lead.ownerId,
      lost_reason: c.lead.lostReason,
    },
    conversations: c.conversations.map((v) => ({ id: v.id, status: v.status, last_message_at: iso(v.last_message_at) })),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
  };
}

export function contactsApiRouter(deps: Deps): Router {
  const { db, conversations } = deps;
  const router = Router();
  const contactOf = routeEntity(router, 'contact', (id) => getContact(db, id), 'That contact does not exist.');

  router.get('/api/v1/contacts/:contact', (req, res) => {
    res.json(contactJson(contactOf(req)));
  });

  router.patch('/api/v1/contacts/:contact', async (req, res) => {
    const contact = contactOf(req);
    await saveContactDetails(conversations, contact.id, apiChange(req.body, contact, await listFieldDefs(db)), auditActor(req));
    const saved = await getContact(db, contact.id);
    if (!saved) throw notFound('That contact does not exist.');
    res.json(contactJson(saved));
  });

  return router;
}
