// The dashboard's date range: two local dates (YYYY-MM-DD, in TZ: the process's clock follows it),
// both days included, at most 366 days; by default the last 30 days up to today. Ranges longer
// than 60 days are counted per week (seven-day steps from the first day), shorter ones per day.
import { badRequest } from '../core/errors';

export const MAX_RANGE_DAYS = 366;
export const WEEKLY_AFTER_DAYS = 60;
export const PRESETS = [7, 30, 90];
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface Bucket {
  /** The bucket's first local day, YYYY-MM-DD. */
  day: string;
  start: number;
  end: number;
}

export interface DashboardRange {
  from: string;
  to: string;
  days: number;
  /** Epoch ms: the start of `from` and the end of `to` (exclusive), local midnights. */
  start: number;
  end: number;
  step: 'day' | 'week';
  buckets: Bucket[];
}

const pad = (n: number) => String(n).padStart(2, '0');
/** A local date as YYYY-MM-DD. */
export const dayOf = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

function localDate(text: string, name: string): Date {
  const m = DATE.exec(text);
  const date = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : undefined;
  if (!m || !date || dayOf(date) !== text)
    throw badRequest('invalid-date', `The ${name} date must be a real date written as YYYY-MM-DD (got "${text.slice(0, 20)}").`);
  return date;
}

/** The last `days` days up to and including today. */
export function lastDays(days: number, now = new Date()): { from: string; to: string } {
  return {
    from: dayOf(new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1))),
    to: dayOf(now),
  };
}

/** The range the query asks for (`from`, `to`), or the last 30 days; an AppError (400) says what is wrong. */
export function parseRange(query: { from?: unknown; to?: unknown }, now = new Date()): DashboardRange {
  const given = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const fallback = lastDays(30, now);
  const from = localDate(given(query.from) ?? fallback.from, 'start');
  const to = localDate(given(query.to) ?? (given(query.from) ? dayOf(now) : fallback.to), 'end');
  if (to < from) throw badRequest('invalid-range', 'The end date is before the start date: choose an end on or after the start.');
  const end = new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1);
  // Whole days between local midnights (a daylight-saving day is 23 or 25 hours long).
  const days = Math.round((end.getTime() - from.getTime()) / 86_400_000);
  if (days > MAX_RANGE_DAYS)
    throw badRequest(
      'range-too-long',
      `That range is ${days} days long; the dashboard shows at most ${MAX_RANGE_DAYS} days at a time. Choose a shorter range.`,
    );
  const step = days > WEEKLY_AFTER_DAYS ? 'week' : 'day';
  const size = step === 'week' ? 7 : 1;
  const buckets: Bucket[] = [];
  for (let i = 0; i < days; i += size) {
    const first = new Date(from.getFullYear(), from.getMonth(), from.getDate() + i);
    const next = new Date(from.getFullYear(), from.getMonth(), from.getDate() + Math.min(days, i + size));
    buckets.push({ day: dayOf(first), start: first.getTime(), end: next.getTime() });
  }
  return { from: dayOf(from), to: dayOf(to), days, start: from.getTime(), end: end.getTime(), step, buckets };
}
