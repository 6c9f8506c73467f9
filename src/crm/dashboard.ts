// The dashboard's figures for a date range, read-only. A conversation starts with its customer's
// first message (messages.direction = 'in'; created_at is Meta's timestamp). For the conversations
// started in the range: the first response (the first reply after that start written by a person
// or the AI), the resolution (the first 'resolved' status after it, from conversation_events), and
// whether the contact's lead is won (the conversion). Besides: new leads, replies per agent and by
// the AI, leads by stage and by source, and the value won — all in the range. Times are counted on
// the wall clock and, when the owner set business hours (Settings → AI), within them only.
import type { BusinessHours } from '../ai/settings';
import type { Params, Queryable } from '../core/db';
import { businessClock, hasHours } from './business-time';
import type { DashboardRange } from './dashboard-range';

export interface Series {
  total: number;
  points: { day: string; count: number }[];
}

export interface Spread {
  /** Milliseconds; null when nothing was measured. */
  median: number | null;
  p90: number | null;
}

export interface Durations {
  /** Conversations measured (answered, or resolved). */
  count: number;
  /** Conversations started in the range still waiting (no reply yet, or not resolved yet). */
  waiting: number;
  wall: Spread;
  /** Counting business hours only; null when no business hours are set. */
  business: Spread | null;
}

export interface DashboardFigures {
  range: { from: string; to: string; days: number; step: 'day' | 'week' };
  businessHours: BusinessHours | null;
  conversations: Series;
  leads: Series;
  firstResponse: Durations;
  resolution: Durations;
  agents: { userId: number | null; name: string; replies: number }[];
  aiReplies: number;
  stages: { id: number; name: string; kind: string; leads: number; valueCents: number }[];
  sources: { source: string; leads: number }[];
  wonValueCents: number;
  conversion: { contacts: number; won: number; rate: number | null };
}

/** The median (the mean of the two middle values for an even count) and the 90th percentile (nearest rank). */
export function spread(values: number[]): Spread {
  if (values.length === 0) return { median: null, p90: null };
  const sorted = Float64Array.from(values).sort(); // a typed array sorts by value, without a comparator call per step
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return { median, p90: sorted[Math.ceil(0.9 * n) - 1] };
}

function series(range: DashboardRange, times: number[]): Series {
  const { buckets } = range;
  const points = buckets.map((b) => ({ day: b.day, count: 0 }));
  for (const t of times) {
    // The last bucket starting at or before t (buckets are in order and touch).
    let lo = 0;
    let hi = buckets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (buckets[mid].start <= t) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && t < buckets[lo - 1].end) points[lo - 1].count++;
  }
  return { total: times.length, points };
}

interface Started {
  contact_id: number;
  started: number;
  replied: number | null;
  resolved: number | null;
  won: boolean;
}

/**
 * Many small rows as one JSON array that SQLite builds: node-sqlite3 makes a JavaScript object for
 * every row, which for the ~20,000 conversations of a busy 90-day range cost three times the query
 * itself. `sql` selects json_group_array(...) AS rows.
 */
async function tuples<T>(db: Queryable, sql: string, params: Params): Promise<T[]> {
  const row = await db.get<{ rows: string | null }>(sql, params);
  return row?.rows ? (JSON.parse(row.rows) as T[]) : [];
}

/**
 * The conversations whose first customer message lies in the range, with the business's first
 * answer: both are kept on the conversation as they happen (first_inbound_at, first_reply_at), so
 * this is one range of the covering index conversations_first_inbound. Their first resolution after that, and whether
 * the person's lead was won, come from two more queries (the resolutions since the range began, by
 * conversation_events_kind; the won leads, a few thousand at most) matched here, instead of two
 * lookups for each of the tens of thousands of conversations.
 */
async function startedIn(db: Queryable, range: DashboardRange): Promise<Started[]> {
  const [conversations, resolutions, wonLeads] = await Promise.all([
    tuples<[id: number, contactId: number, started: number, replied: number | null]>(
      db,
      `SELECT json_group_array(json_array(c.id, c.contact_id, c.first_inbound_at, c.first_reply_at)) AS rows
       FROM conversations c WHERE c.first_inbound_at >= ? AND c.first_inbound_at < ?`,
      [range.start, range.end],
    ),
    tuples<[conversationId: number, at: number]>(
      db,
      `SELECT json_group_array(json_array(conversation_id, at)) AS rows FROM (SELECT conversation_id, at
       FROM conversation_events WHERE kind = 'status' AND value = 'resolved' AND at >= ? ORDER BY at)`,
      [range.start],
    ),
    db.all<{ contact_id: number }>(
      "SELECT l.contact_id FROM leads l JOIN lead_stages st ON st.id = l.stage_id WHERE st.kind = 'won'",
    ),
  ]);
  // Each conversation's resolutions, oldest first (the query's order).
  const resolvedAt = new Map<number, number[]>();
  for (const [conversationId, at] of resolutions) {
    const list = resolvedAt.get(conversationId);
    if (list) list.push(at);
    else resolvedAt.set(conversationId, [at]);
  }
  const won = new Set(wonLeads.map((l) => l.contact_id));
  return conversations.map(([id, contactId, started, replied]) => ({
    contact_id: contactId,
    started,
    replied,
    resolved: resolvedAt.get(id)?.find((at) => at >= started) ?? null,
    won: won.has(contactId),
  }));
}

function durations(pairs: [number, number | null][], clock: ((from: number, to: number) => number) | undefined): Durations {
  const done = pairs.filter((p): p is [number, number] => p[1] !== null);
  return {
    count: done.length,
    waiting: pairs.length - done.length,
    wall: spread(done.map(([a, b]) => b - a)),
    business: clock ? spread(done.map(([a, b]) => clock(a, b))) : null,
  };
}

export async function dashboardFigures(
  db: Queryable,
  range: DashboardRange,
  hours: BusinessHours | null,
  now = Date.now(),
): Promise<DashboardFigures> {
  const between = [range.start, range.end];
  const started = await startedIn(db, range);
  const leadTimes = await tuples<number>(
    db,
    'SELECT json_group_array(created_at) AS rows FROM leads WHERE created_at >= ? AND created_at < ?',
    between,
  );
  // Replies in the range: one count per agent (and the AI, and removed users: NULL) over a range
  // of messages_replies (0016_dashboard.sql).
  const replies = await db.all<{ sent_by: string; user_id: number | null; replies: number }>(
    `SELECT k.sent_by, k.user_id,
       (SELECT count(*) FROM messages m WHERE m.direction = 'out' AND m.kind = 'message' AND m.sent_by = k.sent_by
          AND m.sent_by_user_id IS k.user_id AND m.created_at >= ? AND m.created_at < ?) AS replies
     FROM (SELECT 'user' AS sent_by, id AS user_id FROM users UNION ALL SELECT 'user', NULL UNION ALL SELECT 'ai', NULL) k`,
    between,
  );
  const users = await db.all<{ id: number; name: string; email: string }>('SELECT id, name, email FROM users');
  const stages = await db.all<{ id: number; name: string; kind: string; leads: number; valueCents: number }>(
    `SELECT st.id, st.name, st.kind, count(l.id) AS leads, coalesce(sum(l.value_cents), 0) AS valueCents
     FROM lead_stages st LEFT JOIN leads l ON l.stage_id = st.id AND l.created_at >= ? AND l.created_at < ?
     GROUP BY st.id ORDER BY st.position, st.id`,
    between,
  );
  const sources = await db.all<{ source: string; leads: number }>(
    `SELECT coalesce(nullif(k.lead_source, ''), 'direct') AS source, count(*) AS leads
     FROM leads l JOIN contacts k ON k.id = l.contact_id WHERE l.created_at >= ? AND l.created_at < ?
     GROUP BY 1 ORDER BY 2 DESC, 1`,
    between,
  );
  const won = await db.get<{ cents: number }>(
    `SELECT coalesce(sum(l.value_cents), 0) AS cents FROM leads l JOIN lead_stages st ON st.id = l.stage_id
     WHERE st.kind = 'won' AND l.closed_at >= ? AND l.closed_at < ?`,
    between,
  );

  const named = new Map(users.map((u) => [u.id, u.name || u.email]));
  const clock = hours && hasHours(hours) ? businessClock(hours, range.start, Math.max(range.end, now) + 86_400_000) : undefined;
  const wonContacts = new Set(started.filter((s) => s.won).map((s) => s.contact_id)).size;
  return {
    range: { from: range.from, to: range.to, days: range.days, step: range.step },
    businessHours: clock ? hours : null,
    conversations: series(
      range,
      started.map((s) => s.started),
    ),
    leads: series(range, leadTimes),
    firstResponse: durations(
      started.map((s) => [s.started, s.replied]),
      clock,
    ),
    resolution: durations(
      started.map((s) => [s.started, s.resolved]),
      clock,
    ),
    agents: replies
      .filter((r) => r.sent_by === 'user' && r.replies > 0)
      .map((r) => ({
        userId: r.user_id,
        name: r.user_id === null ? 'Unknown (removed user)' : (named.get(r.user_id) ?? 'Unknown (removed user)'),
        replies: r.replies,
      }))
      .sort((a, b) => b.replies - a.replies || a.name.localeCompare(b.name)),
    aiReplies: replies.filter((r) => r.sent_by === 'ai').reduce((n, r) => n + r.replies, 0),
    stages,
    sources,
    wonValueCents: won?.cents ?? 0,
    conversion: { contacts: started.length, won: wonContacts, rate: started.length ? wonContacts / started.length : null },
  };
}
