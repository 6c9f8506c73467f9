// What a follow-up may be given, from the contact page's form and from the JSON API alike: a due
// time (an ISO 8601 date and time; without an offset it is read in the business's time zone, TZ,
// which the process follows), a note, an optional drafted message, an owner, a conversation. Each
// mistake names its field: a value of the wrong type is a 400, a value that cannot be (a past due
// time, a note too long, an owner who is not an active user) a 422.

export const NOTE_MAX = 1000;
export const MESSAGE_MAX = 2000;

export interface FollowUpProblem {
  field: 'due_at' | 'note' | 'message' | 'owner_id' | 'conversation_id' | 'state';
  kind: 'type' | 'value';
  message: string;
}

/** A follow-up as given: every field optional (an edit changes only what it names). */
export interface FollowUpChange {
  dueAt?: number;
  note?: string;
  /** null: no drafted message (a reminder only). */
  message?: string | null;
  ownerId?: number;
  conversationId?: number;
  state?: 'done' | 'cancelled';
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds since the epoch for an ISO 8601 date and time, or undefined when it is not one (31 February included). */
export function parseDueAt(text: string): number | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const ms = new Date(text.trim().replace(' ', 'T')).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** The value a `datetime-local` input shows for a moment, in the process's time zone (TZ). */
export function localInputValue(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

function positiveId(value: unknown): number | undefined {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/**
 * Reads a follow-up from a form or a JSON body. `creating`: a due time is required. Empty form
 * fields mean "not given" (the owner, the conversation) or "none" (the drafted message).
 */
export function readFollowUp(
  body: unknown,
  options: { creating: boolean; now?: number },
): { change: FollowUpChange; problems: FollowUpProblem[] } {
  const now = options.now ?? Date.now();
  const input = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const change: FollowUpChange = {};
  const problems: FollowUpProblem[] = [];
  const typeProblem = (field: FollowUpProblem['field'], message: string) => problems.push({ field, kind: 'type', message });
  const valueProblem = (field: FollowUpProblem['field'], message: string) => problems.push({ field, kind: 'value', message });

  const due = input.due_at;
  if (due === undefined || due === '') {
    if (options.creating) valueProblem('due_at', 'Say when the follow-up is due.');
  } else if (typeof due !== 'string') {
    typeProblem('due_at', 'due_at must be a date and time, like 2026-05-04T09:30.');
  } else {
    const ms = parseDueAt(due);
    if (ms === undefined) typeProblem('due_at', 'due_at must be a date and time, like 2026-05-04T09:30.');
    else if (ms <= now) valueProblem('due_at', 'The due time has passed; choose a time in the future.');
    else change.dueAt = ms;
  }

  if (input.note !== undefined) {
    if (typeof input.note !== 'string') typeProblem('note', 'note must be text.');
    else if (input.note.length > NOTE_MAX) valueProblem('note', `The note is too long (at most ${NOTE_MAX} characters).`);
    else change.note = input.note.trim();
  }

  if (input.message !== undefined) {
    if (input.message === null || input.message === '') change.message = null;
    else if (typeof input.message !== 'string') typeProblem('message', 'message must be text.');
    else if (input.message.length > MESSAGE_MAX)
      valueProblem('message', `The drafted message is too long (at most ${MESSAGE_MAX} characters).`);
    else change.message = input.message.trim() || null;
  }

  if (input.owner_id !== undefined && input.owner_id !== '') {
    const id = positiveId(input.owner_id);
    if (id === undefined) typeProblem('owner_id', 'owner_id must be the id of a user.');
    else change.ownerId = id;
  }

  if (input.conversation_id !== undefined && input.conversation_id !== '') {
    const id = positiveId(input.conversation_id);
    if (id === undefined) typeProblem('conversation_id', 'conversation_id must be the id of a conversation.');
    else change.conversationId = id;
  }

  if (input.state !== undefined) {
    if (input.state === 'done' || input.state === 'cancelled') change.state = input.state;
    else typeProblem('state', 'state may only be set to "done" or "cancelled".');
  }
  return { change, problems };
}
