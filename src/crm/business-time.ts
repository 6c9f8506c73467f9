// How much of a stretch of time fell inside business hours (Settings → AI: the days and the opening
// and closing times, in TZ). The dashboard's response and resolution times count only that part, so
// a message that arrives on Friday evening and is answered on Monday at 09:05 took five minutes.
// Local dates come from the process's clock, which follows TZ (config.ts applyTimeZone); each day's
// opening and closing are built as local times, so a day with a daylight-saving change is right.
import type { BusinessHours } from '../ai/settings';

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minutesOf(hhmm: string): number | undefined {
  const m = TIME.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Whether the hours describe any open time at all (a day, and an opening before the closing). */
export function hasHours(hours: BusinessHours): boolean {
  const open = minutesOf(hours.open);
  const close = minutesOf(hours.close);
  return hours.days.length > 0 && open !== undefined && close !== undefined && open < close;
}

interface Window {
  opens: number;
  closes: number;
}

/** The business windows (opening to closing, epoch ms) of the local days from `from`'s to `to`'s. */
function windowsBetween(from: number, to: number, hours: BusinessHours): Window[] {
  const open = minutesOf(hours.open)!;
  const close = minutesOf(hours.close)!;
  const days = new Set(hours.days);
  const start = new Date(from);
  const out: Window[] = [];
  for (let d = new Date(start.getFullYear(), start.getMonth(), start.getDate()); d.getTime() < to;) {
    const [y, mo, day] = [d.getFullYear(), d.getMonth(), d.getDate()];
    if (days.has(d.getDay()))
      out.push({
        opens: new Date(y, mo, day, Math.floor(open / 60), open % 60).getTime(),
        closes: new Date(y, mo, day, Math.floor(close / 60), close % 60).getTime(),
      });
    d = new Date(y, mo, day + 1);
  }
  return out;
}

/** The first window whose closing is after `t` (windows.length when none). */
function firstClosingAfter(windows: Window[], t: number): number {
  let lo = 0;
  let hi = windows.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (windows[mid].closes > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * businessMs for many stretches inside one span (`from` to `to`): the span's windows are worked
 * out once, with running sums, so each stretch costs two binary searches instead of a walk over
 * its days. A stretch reaching outside the span is counted the slow way.
 */
export function businessClock(hours: BusinessHours, from: number, to: number): (from: number, to: number) => number {
  if (!hasHours(hours)) return () => 0;
  const windows = windowsBetween(from, to, hours);
  const sums = [0];
  for (const w of windows) sums.push(sums[sums.length - 1] + (w.closes - w.opens));
  return (a, b) => {
    if (!(b > a)) return 0;
    if (a < from || b > to) return businessMs(a, b, hours);
    const i = firstClosingAfter(windows, a);
    const j = firstClosingAfter(windows, b); // windows before j close by b; window j may be cut by b
    // Windows i … j-1 close within the stretch: whole, less what of window i came before `a`.
    let total = sums[j] - sums[i];
    if (i < j && a > windows[i].opens) total -= a - windows[i].opens;
    // Window j is open when `b` comes (or not yet open): its part before `b`.
    if (j < windows.length && b > windows[j].opens) total += b - Math.max(windows[j].opens, i === j ? a : 0);
    return total;
  };
}

/**
 * The milliseconds between `from` and `to` (epoch ms) that fall on a business day between its
 * opening and closing time. Zero when `to` is not after `from` or the hours have no open time.
 */
export function businessMs(from: number, to: number, hours: BusinessHours): number {
  if (!(to > from) || !hasHours(hours)) return 0;
  let total = 0;
  for (const w of windowsBetween(from, to, hours)) total += Math.max(0, Math.min(to, w.closes) - Math.max(from, w.opens));
  return total;
}
