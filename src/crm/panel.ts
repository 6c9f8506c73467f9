// What the contact forms show, on the person's page and in the panel beside their conversation:
// the custom field rows (the owner's typed fields first, in their order, then free-text ones, then
// blank rows to add more) and suggestions: the phone numbers and e-mail addresses the customer
// typed in their own messages, found by patterns (no AI), offered as one-click corrections.
import { EMAIL } from '../auth/users';
import { LIMITS } from '../conversations/contact-details';
import type { Queryable } from '../core/db';
import type { ContactDetail } from './contacts';
import { FORM_ROWS, type ContactDraft } from './details';
import type { FieldDef } from './fields';

export interface FieldRow {
  key: string;
  value: string;
  /** The owner's definition of this field, when it has one. */
  def?: FieldDef;
}

/** The draft's fields as form rows: every defined field (empty or not), then the rest, then up to two blanks. */
export function fieldRows(fields: [string, string][], defs: FieldDef[]): FieldRow[] {
  const byName = new Map(defs.map((d) => [d.name.toLowerCase(), d]));
  const values = new Map<string, string>();
  const free: FieldRow[] = [];
  for (const [key, value] of fields) {
    const def = byName.get(key.trim().toLowerCase());
    if (def) values.set(def.name.toLowerCase(), value);
    else if (key !== '' || value !== '') free.push({ key, value });
  }
  const rows: FieldRow[] = [
    ...defs.map((def) => ({ key: def.name, value: values.get(def.name.toLowerCase()) ?? '', def })),
    ...free,
  ];
  const blanks = Math.max(0, Math.min(2, FORM_ROWS - rows.length));
  return [...rows, ...Array.from({ length: blanks }, () => ({ key: '', value: '' }))].slice(0, FORM_ROWS);
}

/** The form's draft as the contact holds it. */
export function draftOf(contact: ContactDetail): ContactDraft {
  return {
    name: contact.name ?? '',
    phone: contact.phone ?? '',
    email: contact.email ?? '',
    fields: Object.entries(contact.fields),
  };
}

export interface Suggestions {
  phones: string[];
  emails: string[];
}

const EMAIL_IN_TEXT = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
// A run of digits with the separators people type (spaces, dots, dashes, brackets), maybe a leading +.
const PHONE_IN_TEXT = /(?<![\w+(])(?:\+|\()?\d[\d ().-]{4,}\d(?!\w)/g;
/** How far back the scan reads: the customer's latest messages. */
const SCANNED = 200;

/** A typed phone number as the phone field keeps it (dots become spaces), or undefined if it is not one. */
export function phoneOf(found: string): string | undefined {
  const phone = found.replace(/\./g, ' ').replace(/\s+/g, ' ').trim();
  const digits = phone.replace(/\D/g, '').length;
  // Seven digits at least: shorter runs are order numbers and prices more often than phones.
  if (digits < 7 || digits > 15 || phone.length > LIMITS.phone) return undefined;
  // A date or a time range is not a phone number.
  if (/^\d{1,4}[-/]\d{1,2}[-/]\d{1,4}$/.test(phone)) return undefined;
  return phone;
}

/** The numbers and addresses found in these texts, newest first, each once, up to three of each. */
export function findSuggestions(texts: string[], current: { phone: string | null; email: string | null }): Suggestions {
  const phones = new Map<string, string>();
  const emails = new Map<string, string>();
  const currentDigits = current.phone?.replace(/\D/g, '');
  for (const text of texts) {
    for (const match of text.matchAll(EMAIL_IN_TEXT)) {
      const email = match[0].replace(/\.$/, '');
      const key = email.toLowerCase();
      if (email.length <= LIMITS.email && EMAIL.test(email) && key !== current.email?.toLowerCase() && !emails.has(key))
        emails.set(key, email);
    }
    // Addresses out first, so their digits are not read as a phone number.
    for (const match of text.replace(EMAIL_IN_TEXT, ' ').matchAll(PHONE_IN_TEXT)) {
      const phone = phoneOf(match[0]);
      const digits = phone?.replace(/\D/g, '');
      if (phone && digits && digits !== currentDigits && !phones.has(digits)) phones.set(digits, phone);
    }
  }
  return { phones: [...phones.values()].slice(0, 3), emails: [...emails.values()].slice(0, 3) };
}

/** Scans the customer's own messages (inbound text, not notes nor replies) for suggestions. */
export async function contactSuggestions(db: Queryable, contact: ContactDetail): Promise<Suggestions> {
  const rows = await db.all<{ text: string }>(
    `SELECT m.text FROM conversations c JOIN messages m ON m.conversation_id = c.id
     WHERE c.contact_id = ? AND m.direction = 'in' AND m.kind = 'message' AND m.text IS NOT NULL
     ORDER BY m.created_at DESC, m.id DESC LIMIT ${SCANNED}`,
    [contact.id],
  );
  return findSuggestions(
    rows.map((r) => r.text),
    contact,
  );
}

/** Everything the contact form needs besides the contact: its rows and the suggestions. */
export async function contactForm(
  db: Queryable,
  contact: ContactDetail,
  defs: FieldDef[],
  draft: ContactDraft = draftOf(contact),
): Promise<{ draft: ContactDraft; fieldRows: FieldRow[]; suggestions: Suggestions }> {
  return { draft, fieldRows: fieldRows(draft.fields, defs), suggestions: await contactSuggestions(db, contact) };
}
