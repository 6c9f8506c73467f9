// A person's details as staff correct and complete them (the correction right): the displayed name,
// phone, email and custom fields. The rules every door follows (the contact page's form, the JSON
// API, the CSV import) are here, including the owner's typed fields (crm/fields.ts defines them: a
// value must be a number, a date or one of the choices); correctContact (contacts.ts) applies a
// change they passed. A field without a definition is free text.
import { EMAIL } from '../auth/users';

export const LIMITS = { name: 100, email: 254, phone: 30, phoneDigits: 5, fieldKeys: 30, fieldKey: 40, fieldValue: 500 };

export const DETAIL_FIELDS = ['name', 'phone', 'email', 'fields'] as const;
export type DetailField = (typeof DETAIL_FIELDS)[number];

/** A checked change; a field left out stays as it is. */
export interface ContactChange {
  /** The corrected display name; null gives the person back the name Messenger gave. */
  name?: string | null;
  phone?: string | null;
  email?: string | null;
  /** The whole set of custom fields afterwards, in the order they are shown. */
  fields?: Record<string, string>;
}

/**
 * What is wrong with one field. `type`: the value is not of the kind the field takes (a number for
 * a name; the API answers 400); `value`: of the right kind, but outside the rules (422).
 */
export interface DetailProblem {
  field: string;
  code: string;
  message: string;
  kind: 'type' | 'value';
}

// Control characters have no place in a name, an address or a one-line field; a lone surrogate is
// half a character (it would break every link and export built from the text).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PHONE = /^[0-9 +()-]+$/;

/** An owner-defined custom field's type, as crm/fields.ts keeps it (contact_field_defs). */
export interface FieldRule {
  name: string;
  type: 'text' | 'number' | 'date' | 'choice';
  choices: string[];
}

const NUMBER = /^-?\d{1,15}(\.\d{1,6})?$/;

/** Whether `text` is a real calendar date written YYYY-MM-DD. */
export function isIsoDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === text;
}

/**
 * A value checked against its field's type: the value to keep (a choice in its defined spelling),
 * or the message saying what the field takes.
 */
export function typedValue(rule: FieldRule, value: string): { value: string } | { message: string } {
  const name = JSON.stringify(clipped(rule.name));
  if (rule.type === 'number') return NUMBER.test(value) ? { value } : { message: `${name} takes a number, like 42 or 19.95.` };
  if (rule.type === 'date') return isIsoDate(value) ? { value } : { message: `${name} takes a date written YYYY-MM-DD.` };
  if (rule.type === 'choice') {
    const choice = rule.choices.find((c) => c.toLowerCase() === value.toLowerCase());
    return choice !== undefined
      ? { value: choice }
      : { message: `${name} takes one of: ${rule.choices.map((c) => clipped(c)).join(', ')}.` };
  }
  return { value };
}

/** Length in characters, so an emoji counts once. */
const chars = (text: string) => [...text].length;

const typeProblem = (field: string, message: string): DetailProblem => ({
  field,
  code: `invalid-${field.split('.')[0]}`,
  message,
  kind: 'type',
});
const valueProblem = (field: string, message: string): DetailProblem => ({
  field,
  code: `invalid-${field.split('.')[0]}`,
  message,
  kind: 'value',
});

/** A text field that may be cleared: trimmed, '' and null mean "none". */
function optionalText(field: string, value: unknown, problems: DetailProblem[]): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (typeof value !== 'string') {
    problems.push(typeProblem(field, `${field} must be text (or null to clear it).`));
    return undefined;
  }
  const text = value.trim();
  if (text === '') return null;
  if (CONTROL.test(text) || LONE_SURROGATE.test(text)) {
    problems.push(valueProblem(field, `${field} must not contain control characters.`));
    return undefined;
  }
  return text;
}

function checkName(value: unknown, problems: DetailProblem[]): string | null | undefined {
  const name = optionalText('name', value, problems);
  if (name && chars(name) > LIMITS.name) {
    problems.push(valueProblem('name', `Keep the name to ${LIMITS.name} characters.`));
    return undefined;
  }
  return name;
}

function checkEmail(value: unknown, problems: DetailProblem[]): string | null | undefined {
  const email = optionalText('email', value, problems);
  if (email && (email.length > LIMITS.email || !EMAIL.test(email))) {
    problems.push(valueProblem('email', 'Enter an email address like name@example.com.'));
    return undefined;
  }
  return email;
}

function checkPhone(value: unknown, problems: DetailProblem[]): string | null | undefined {
  const phone = optionalText('phone', value, problems);
  if (phone && (phone.length > LIMITS.phone || !PHONE.test(phone) || phone.replace(/\D/g, '').length < LIMITS.phoneDigits)) {
    problems.push(
      valueProblem(
        'phone',
        `Enter a phone number: at least ${LIMITS.phoneDigits} digits, with spaces, + ( ) and - if you like, up to ${LIMITS.phone} characters.`,
      ),
    );
    return undefined;
  }
  return phone;
}

/**
 * Custom fields, given as [key, value] pairs in their order: keys trimmed (1–40 characters, each
 * once), values trimmed (up to 500 characters; an empty one removes the field), at most 30.
 */
export function checkFields(
  pairs: [string, unknown][],
  problems: DetailProblem[],
  rules: FieldRule[] = [],
): Record<string, string> | undefined {
  const kept: [string, string][] = [];
  const ruleOf = new Map(rules.map((r) => [r.name.toLowerCase(), r]));
  const seen = new Set<string>();
  const before = problems.length;
  for (const [rawKey, rawValue] of pairs) {
    const key = rawKey.trim();
    const field = `fields.${clipped(key || rawKey)}`;
    if (typeof rawValue !== 'string') {
      problems.push(typeProblem(field, `Each custom field's value must be text (${JSON.stringify(clipped(key))} is not).`));
      continue;
    }
    const value = rawValue.trim();
    if (key === '') {
      if (value !== '') problems.push(valueProblem('fields', 'Give each custom field a name.'));
      continue;
    }
    if (chars(key) > LIMITS.fieldKey || CONTROL.test(key) || LONE_SURROGATE.test(key)) {
      problems.push(valueProblem(field, `Custom field names are up to ${LIMITS.fieldKey} characters of plain text.`));
      continue;
    }
    if (seen.has(key.toLowerCase())) {
      problems.push(valueProblem(field, `There are two custom fields called ${JSON.stringify(clipped(key))}.`));
      continue;
    }
    seen.add(key.toLowerCase());
    if (value === '') continue;
    if (chars(value) > LIMITS.fieldValue || CONTROL_BUT_LINES.test(value) || LONE_SURROGATE.test(value)) {
      problems.push(
        valueProblem(field, `The value of ${JSON.stringify(clipped(key))} is up to ${LIMITS.fieldValue} characters of text.`),
      );
      continue;
    }
    const rule = ruleOf.get(key.toLowerCase());
    if (rule) {
      const typed = typedValue(rule, value);
      if ('message' in typed) {
        problems.push(valueProblem(`fields.${clipped(rule.name)}`, typed.message));
        continue;
      }
      // A defined field keeps the definition's spelling of its name.
      kept.push([rule.name, typed.value]);
      continue;
    }
    kept.push([key, value]);
  }
  if (kept.length > LIMITS.fieldKeys) problems.push(valueProblem('fields', `Keep to ${LIMITS.fieldKeys} custom fields.`));
  // fromEntries makes own properties, so a field called "__proto__" is a field like any other.
  return problems.length > before ? undefined : Object.fromEntries(kept);
}

function clipped(text: string): string {
  return chars(text) > 40 ? `${[...text].slice(0, 40).join('')}…` : text;
}

/** Checks every given field at once, so a form can show all its mistakes together; `rules` type the owner's fields. */
export function checkContactChange(
  input: { name?: unknown; phone?: unknown; email?: unknown; fields?: [string, unknown][] },
  rules: FieldRule[] = [],
): {
  change: ContactChange;
  problems: DetailProblem[];
} {
  const problems: DetailProblem[] = [];
  const change: ContactChange = {};
  const name = checkName(input.name, problems);
  if (name !== undefined) change.name = name;
  const phone = checkPhone(input.phone, problems);
  if (phone !== undefined) change.phone = phone;
  const email = checkEmail(input.email, problems);
  if (email !== undefined) change.email = email;
  if (input.fields !== undefined) {
    const fields = checkFields(input.fields, problems, rules);
    if (fields !== undefined) change.fields = fields;
  }
  return { change, problems };
}
