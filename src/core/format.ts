// Dates and times for views, always in the business's time zone (TZ).
export interface Formatters {
  dateTime(ms: number): string;
  time(ms: number): string;
  /** The clock time alone, for messages already grouped under their day. */
  clock(ms: number): string;
  day(ms: number): string;
}

export function formatters(timeZone: string, now: () => number = Date.now): Formatters {
  const dateTime = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' });
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' });
  const shortDate = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short' });
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const dayKey = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  // Formatting a date costs microseconds, and a list page asks "is this today?" fifty times: today
  // is worked out at most once a minute.
  let today = { key: '', until: 0 };
  const todayKey = () => {
    const t = now();
    if (t >= today.until) today = { key: dayKey.format(t), until: t - (t % 60_000) + 60_000 };
    return today.key;
  };
  return {
    dateTime: (ms) => dateTime.format(ms),
    // Today: the clock time; earlier: the date.
    time: (ms) => (dayKey.format(ms) === todayKey() ? clock.format(ms) : shortDate.format(ms)),
    clock: (ms) => clock.format(ms),
    day: (ms) => day.format(ms),
  };
}

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

/** "5 h 12 min", "12 min", "2 days" until a moment. */
export function timeLeft(until: number, now = Date.now()): string {
  const ms = Math.max(0, until - now);
  if (ms >= 2 * DAY) return `${Math.floor(ms / DAY)} days`;
  const h = Math.floor(ms / HOUR);
  const m = Math.floor((ms % HOUR) / 60000);
  return h > 0 ? `${h} h ${m} min` : `${m} min`;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text cut to at most `max` UTF-16 units without splitting a character (an emoji is two units), and
 * with any half character it came with replaced: a lone surrogate breaks encodeURIComponent, and
 * with it every link built from the text.
 */
export function clip(text: string, max: number): string {
  let cut = text.length > max ? text.slice(0, max) : text;
  if (/[\uD800-\uDBFF]$/.test(cut) && text.length > max) cut = cut.slice(0, -1);
  return cut.replace(LONE_SURROGATE, '\uFFFD');
}
