// Dates and times for views, always in the business's time zone (TZ).
export interface Formatters {
  dateTime(ms: number): string;
  time(ms: number): string;
  day(ms: number): string;
}

export function formatters(timeZone: string, now: () => number = Date.now): Formatters {
  const dateTime = new Intl.DateTimeFormat('en-GB', { timeZone, dateStyle: 'medium', timeStyle: 'short' });
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' });
  const shortDate = new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short' });
  const day = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  const dayKey = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  return {
    dateTime: (ms) => dateTime.format(ms),
    // Today: the clock time; earlier: the date.
    time: (ms) => (dayKey.format(ms) === dayKey.format(now()) ? clock.format(ms) : shortDate.format(ms)),
    day: (ms) => day.format(ms),
  };
}
