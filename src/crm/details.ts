// Correcting a person's details from the contact page's form or the JSON API: each door's body is
// read into the same input, checked by the rules in conversations/contact-details.ts (with the
// owner's typed fields, crm/fields.ts), written by
// the conversations domain through its service (open tabs show a corrected name at once) and
// audit-logged in the same transaction: which fields changed, never their values.
import {
  checkContactChange,
  DETAIL_FIELDS,
  type ContactChange,
  type DetailField,
  type DetailProblem,
  type FieldRule,
} from '../conversations/contact-details';
import { correctContact } from '../conversations/contacts';
import type { Conversations } from '../conversations/service';
import { AppError, badRequest } from '../core/errors';
import { audit, type AuditEntry } from '../privacy/audit';
import type { ContactDetail } from './contacts';

/** The rows the page's form offers for custom fields (field_key_N, field_value_N), existing ones first. */
export const FORM_ROWS = 34;

/** Applies the change and audits it (`contact.updated`, the changed fields' names); returns those names. */
export function saveContactDetails(
  conversations: Conversations,
  contactId: number,
  change: ContactChange,
  who: Pick<AuditEntry, 'actorUserId' | 'actor' | 'ip'>,
): Promise<DetailField[]> {
  return conversations.write(async (w) => {
    const changed = await correctContact(w, contactId, change);
    if (changed.length > 0)
      await audit(w.tx, { ...who, action: 'contact.updated', target: `contact #${contactId}`, detail: { fields: changed } });
    return changed;
  });
}

/** The API's error for problems: the first one named (`field`), all of them listed; 400 for a wrong type, else 422. */
export function problemsError(problems: DetailProblem[]): AppError {
  const first = problems[0];
  const status = problems.some((p) => p.kind === 'type') ? 400 : 422;
  return new AppError(status, first.code, first.message, {
    field: first.field,
    problems: problems.slice(0, 20).map(({ field, code, message }) => ({ field, code, message })),
  });
}

const READ_ONLY = new Set(['id', 'psid', 'labels', 'lead', 'messenger_name', 'name_corrected_at', 'conversations', 'created_at']);

/**
 * The body of PATCH /api/v1/contacts/:id: any of name, phone, email (text, or null to clear; a
 * null or empty name gives back the Messenger name) and fields, merged into the custom fields held
 * (a text value sets a field, null or "" removes it). Anything else is refused, naming the key.
 */
export function apiChange(body: unknown, contact: ContactDetail, rules: FieldRule[] = []): ContactChange {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw badRequest('invalid-body', 'Send a JSON object with any of name, phone, email and fields.', { field: null });
  const given = body as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (READ_ONLY.has(key)) throw badRequest('read-only-field', `${key} cannot be changed here.`, { field: key });
    if (!(DETAIL_FIELDS as readonly string[]).includes(key))
      throw badRequest(
        'unknown-field',
        `Unknown field ${JSON.stringify(key.slice(0, 60))}: send any of ${DETAIL_FIELDS.join(', ')}.`,
        {
          field: key.slice(0, 60),
        },
      );
  }
  let fields: [string, unknown][] | undefined;
  if (given.fields !== undefined) {
    const patch = given.fields;
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
      throw badRequest('invalid-fields', 'fields must be an object of text values (null removes a field).', { field: 'fields' });
    const merged = new Map<string, unknown>(Object.entries(contact.fields));
    for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
      // Stored keys are trimmed: " City " names the field "City".
      const name = Object.hasOwn(contact.fields, key.trim()) ? key.trim() : key;
      if (value === null) merged.delete(name);
      else merged.set(name, value);
    }
    fields = [...merged.entries()];
  }
  const { change, problems } = checkContactChange({ name: given.name, phone: given.phone, email: given.email, fields }, rules);
  if (problems.length > 0) throw problemsError(problems);
  return change;
}

/** What the form was sent with, as typed, for showing it again after a mistake. */
export interface ContactDraft {
  name: string;
  phone: string;
  email: string;
  fields: [string, string][];
}

/**
 * The page's form: name, phone, email, and the custom fields as rows (field_key_N, field_value_N;
 * the rows sent are the whole set, and a row with an empty value removes its field). A field the
 * request leaves out stays as it is. Returns the checked change, its problems, and the draft.
 */
export function formChange(
  body: Record<string, unknown>,
  contact: ContactDetail,
  rules: FieldRule[] = [],
): { change: ContactChange; problems: DetailProblem[]; draft: ContactDraft } {
  const text = (value: unknown, fallback: string | null) => (typeof value === 'string' ? value : (fallback ?? ''));
  const rows: [string, unknown][] = [];
  for (let i = 0; i < FORM_ROWS; i++) {
    const key = body[`field_key_${i}`];
    const value = body[`field_value_${i}`];
    if (key === undefined && value === undefined) continue;
    if (typeof key !== 'string' && key !== undefined) rows.push([`row ${i + 1}`, key]);
    else rows.push([key ?? '', value ?? '']);
  }
  const { change, problems } = checkContactChange(
    {
      name: body.name,
      phone: body.phone,
      email: body.email,
      fields: rows.length > 0 ? rows : undefined,
    },
    rules,
  );
  const draft: ContactDraft = {
    name: text(body.name, contact.name),
    phone: text(body.phone, contact.phone),
    email: text(body.email, contact.email),
    fields:
      rows.length > 0
        ? rows.map(([k, v]) => [k, typeof v === 'string' ? v : ''] as [string, string])
        : Object.entries(contact.fields),
  };
  return { change, problems, draft };
}
