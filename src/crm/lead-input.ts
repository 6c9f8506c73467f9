// What a lead's form (the contact page, the board's select) and the API's PATCH may change, read
// and checked the same way for both: a stage, a value (a decimal amount, kept in cents), an
// expected close date (YYYY-MM-DD), an owner (an active user, or none) and a lost reason. Each
// problem names its field; a wrong type is a 400, a wrong value a 422.
import { AppError } from '../core/errors';

export interface LeadStage {
  id: number;
  name: string;
  position: number;
  kind: 'open' | 'won' | 'lost';
}

/** The fields a change may set; absent ones stay as they are, null clears (the stage cannot be cleared). */
export interface LeadPatch {
  stageId?: number;
  valueCents?: number | null;
  expectedClose?: string | null;
  ownerId?: number | null;
  lostReason?: string | null;
}

export interface LeadProblem {
  field: string;
  code: string;
  message: string;
  kind: 'type' | 'value';
}

export const LOST_REASON_MAX = 200;
/** A billion in the business's currency: more is a typing mistake. */
const VALUE_MAX_CENTS = 100_000_000_000;

/** The raw input, as a form or a JSON body gives it (the API names the stage, a form sends its id). */
export interface LeadInput {
  stage?: unknown;
  stage_id?: unknown;
  value?: unknown;
  expected_close?: unknown;
  owner_id?: unknown;
  lost_reason?: unknown;
}

/** Whether a YYYY-MM-DD date exists on the calendar (2025-02-30 does not). */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return y >= 1900 && y <= 2999 && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** Cents as the amount people type: 1250 → "12.50", 1200 → "12". */
export function amount(cents: number | null): string {
  if (cents === null) return '';
  const whole = Math.floor(cents / 100);
  const rest = cents % 100;
  return rest === 0 ? String(whole) : `${whole}.${String(rest).padStart(2, '0')}`;
}

/** Checks the input against the stages and the active users; returns the patch and every problem. */
export function checkLeadInput(
  input: LeadInput,
  stages: LeadStage[],
  activeUserIds: Set<number>,
): { patch: LeadPatch; problems: LeadProblem[] } {
  const patch: LeadPatch = {};
  const problems: LeadProblem[] = [];
  const typeProblem = (field: string, message: string) =>
    problems.push({ field, code: `invalid-${field}`, message, kind: 'type' });
  const valueProblem = (field: string, code: string, message: string) => problems.push({ field, code, message, kind: 'value' });
  const blank = (v: unknown) => v === null || (typeof v === 'string' && v.trim() === '');

  if (input.stage !== undefined) {
    if (typeof input.stage !== 'string') typeProblem('stage', 'stage must be the name of a stage.');
    else {
      const stage = stages.find((s) => s.name.toLowerCase() === input.stage!.toString().trim().toLowerCase());
      if (stage) patch.stageId = stage.id;
      else
        valueProblem(
          'stage',
          'unknown-stage',
          `There is no stage ${JSON.stringify(input.stage.slice(0, 40))}: use one of ${stages.map((s) => s.name).join(', ')}.`,
        );
    }
  } else if (input.stage_id !== undefined) {
    const id = typeof input.stage_id === 'string' && /^\d{1,9}$/.test(input.stage_id) ? Number(input.stage_id) : input.stage_id;
    if (typeof id !== 'number') typeProblem('stage', 'Choose a stage.');
    else if (stages.some((s) => s.id === id)) patch.stageId = id;
    else valueProblem('stage', 'unknown-stage', 'That stage no longer exists: choose another.');
  }

  if (input.value !== undefined) {
    const v = input.value;
    if (blank(v)) patch.valueCents = null;
    else if (typeof v !== 'string' && typeof v !== 'number') typeProblem('value', 'value must be an amount such as 1250.50.');
    else {
      const text = String(v).trim().replace(/,/g, '');
      if (/^-/.test(text)) valueProblem('value', 'negative-value', 'The value cannot be negative.');
      else if (!/^\d{1,12}(\.\d{1,2})?$/.test(text) && !(typeof v === 'number' && Number.isFinite(v) && v >= 0))
        valueProblem('value', 'invalid-value', 'The value must be an amount such as 1250.50 (two decimals at most).');
      else {
        const cents = Math.round(Number(text) * 100);
        if (!Number.isSafeInteger(cents) || cents > VALUE_MAX_CENTS)
          valueProblem('value', 'value-too-large', 'That value is too large.');
        else patch.valueCents = cents;
      }
    }
  }

  if (input.expected_close !== undefined) {
    const v = input.expected_close;
    if (blank(v)) patch.expectedClose = null;
    else if (typeof v !== 'string') typeProblem('expected_close', 'expected_close must be a date (YYYY-MM-DD).');
    else if (!isCalendarDate(v.trim()))
      valueProblem('expected_close', 'invalid-date', 'The expected close date must be a real date, written YYYY-MM-DD.');
    else patch.expectedClose = v.trim();
  }

  if (input.owner_id !== undefined) {
    const v = input.owner_id;
    const id = typeof v === 'string' && /^\d{1,9}$/.test(v.trim()) ? Number(v.trim()) : v;
    if (blank(v)) patch.ownerId = null;
    else if (typeof id !== 'number' || !Number.isSafeInteger(id))
      typeProblem('owner_id', 'owner_id must be a user id, or null for none.');
    else if (!activeUserIds.has(id)) valueProblem('owner_id', 'unknown-owner', 'The owner must be an active member of the team.');
    else patch.ownerId = id;
  }

  if (input.lost_reason !== undefined) {
    const v = input.lost_reason;
    if (blank(v)) patch.lostReason = null;
    else if (typeof v !== 'string') typeProblem('lost_reason', 'lost_reason must be text.');
    else if (v.trim().length > LOST_REASON_MAX)
      valueProblem('lost_reason', 'lost-reason-too-long', `The lost reason can be ${LOST_REASON_MAX} characters at most.`);
    else patch.lostReason = v.trim();
  }
  return { patch, problems };
}

/** The API's error for problems: the first one named (`field`), all of them listed. */
export function leadProblemsError(problems: LeadProblem[]): AppError {
  const first = problems[0];
  const status = problems.some((p) => p.kind === 'type') ? 400 : 422;
  return new AppError(status, first.code, first.message, {
    field: first.field,
    problems: problems.map(({ field, code, message }) => ({ field, code, message })),
  });
}
