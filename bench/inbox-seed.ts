// Seeds an encrypted ChatX database for the inbox benchmark: contacts, one conversation each, and
// messages spread over the last 90 days in arrival order (so ids follow time, as in real use).
// Rows go in through the real schema and its triggers (the FTS index is kept by them), in
// multi-row INSERTs inside transactions of a few thousand rows. Each conversation's first message
// and first answer, which ChatX's writers keep as they go, are filled in at the end.
import type { Queryable } from '../src/core/db';
import type { Deps } from '../src/deps';
import { fillConversationFirsts } from '../test/support/conversation-firsts';

const DAY = 24 * 3600 * 1000;
const PAGE_ID = '1000';
// Rows per transaction: FTS5 flushes its pending index changes once per commit, so bigger
// transactions mean fewer, larger index segments to merge.
const BATCH = Number(process.env.SEED_BATCH ?? 20000);

/** mulberry32: a tiny seeded PRNG, so every run seeds the same data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST =
  'Anna Ben Carla David Eva Felix Greta Hugo Ines Jonas Klara Lukas Mia Noah Olivia Paul Rosa Samuel Tina Umut Vera Zoe José Zoë Björn Chloé Ahmet Şebnem Lena Marco'.split(
    ' ',
  );
const LAST =
  'Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Schröder Neumann Schwarz Braun García Dubois Rossi Nowak Yılmaz Kowalski Jensen Novák Costa Silva Ivanova Smith'.split(
    ' ',
  );

// Common words first: a message draws from the head much more often than from the tail (Zipf-like),
// so the benchmark has both very common words and rare ones.
export const WORDS = (
  'hi hello thanks please order the is a to you my your for and it can we do when price delivery ' +
  'today tomorrow yes no ok great available size color shipping address payment invoice refund ' +
  'return week store open closed hours monday friday weekend still waiting package tracking number ' +
  'send photo picture question booking appointment table reservation menu vegan gluten allergy ' +
  'discount coupon code voucher gift card birthday wedding party catering quote estimate deposit ' +
  'cash transfer paypal receipt warranty repair broken screen battery charger cable bike helmet ' +
  'jacket shoes trousers dress shirt medium large small xl blue black white green red leather ' +
  'cotton wool organic fresh bread cake coffee tea breakfast lunch dinner pickup parking entrance ' +
  'upstairs café crème brûlée naïve façade Grüße Straße Zürich München Köln Mühle über schön ' +
  'voilà señor mañana jalapeño piñata smörgåsbord fjord aurora saffron cardamom pistachio ' +
  'kaleidoscope quinoa persimmon marzipan espresso macchiato tiramisu sourdough ciabatta brioche'
).split(' ');

function pick<T>(list: T[], r: number, skew = 1): T {
  return list[Math.min(list.length - 1, Math.floor(list.length * r ** skew))];
}

export function messageText(i: number): string {
  const rnd = prng(i * 2654435761);
  const n = 3 + Math.floor(rnd() * 14);
  const words: string[] = [];
  for (let w = 0; w < n; w++) words.push(pick(WORDS, rnd(), 2.2));
  const text = words.join(' ');
  return text[0].toUpperCase() + text.slice(1) + (rnd() < 0.3 ? '?' : '.');
}

export interface SeedResult {
  contacts: number;
  messages: number;
  seconds: number;
}

async function insertRows(tx: Queryable, table: string, columns: string[], rows: unknown[][]): Promise<void> {
  const one = `(${columns.map(() => '?').join(',')})`;
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    // The same SQL text for every full chunk, so the statement is prepared once.
    await tx.run(
      `INSERT INTO ${table} (${columns.join(',')}) VALUES ${Array(chunk.length).fill(one).join(',')}`,
      chunk.flat() as never,
    );
  }
}

export async function seedInbox(
  deps: Pick<Deps, 'db'>,
  contacts: number,
  messages: number,
  now = Date.now(),
): Promise<SeedResult> {
  const { db } = deps;
  const started = Date.now();
  // Seeding only: a 400 MB page cache keeps the randomly-inserted index pages (by conversation)
  // from being evicted, encrypted and re-read over and over.
  await db.exec('PRAGMA cache_size = -400000');
  const rnd = prng(42);
  const from = now - 90 * DAY;

  // Which conversation each message belongs to (a few busy threads, many short ones) and when.
  const conversationOf = new Int32Array(messages);
  const at = new Float64Array(messages);
  const inbound = new Uint8Array(messages);
  const note = new Uint8Array(messages);
  const last = new Int32Array(contacts + 1).fill(-1);
  const lastIn = new Float64Array(contacts + 1);
  for (let i = 0; i < messages; i++) {
    const c = 1 + Math.min(contacts - 1, Math.floor(contacts * rnd() ** 1.5));
    conversationOf[i] = c;
    at[i] = Math.floor(from + ((i + rnd()) / messages) * 90 * DAY);
    note[i] = rnd() < 0.01 ? 1 : 0;
    inbound[i] = !note[i] && rnd() < 0.55 ? 1 : 0;
    last[c] = i;
    if (inbound[i]) lastIn[c] = at[i];
  }

  const statuses = ['open', 'open', 'open', 'open', 'pending', 'snoozed', 'resolved', 'resolved', 'resolved', 'resolved'];
  for (let start = 1; start <= contacts; start += 5000) {
    const ids = Array.from({ length: Math.min(5000, contacts - start + 1) }, (_, k) => start + k);
    await db.transaction(async (tx) => {
      await insertRows(
        tx,
        'contacts',
        ['id', 'page_id', 'psid', 'name', 'profile_state', 'created_at', 'updated_at'],
        ids.map((id) => [
          id,
          PAGE_ID,
          String(7100000000000000 + id),
          `${pick(FIRST, rnd())} ${pick(LAST, rnd())}`,
          'fetched',
          from,
          from,
        ]),
      );
      await insertRows(
        tx,
        'conversations',
        [
          'id',
          'page_id',
          'contact_id',
          'status',
          'last_message_at',
          'last_inbound_at',
          'last_message_preview',
          'unread_count',
          'created_at',
          'updated_at',
        ],
        ids.map((id) => {
          const m = last[id];
          const status = statuses[Math.floor(rnd() * statuses.length)];
          return [
            id,
            PAGE_ID,
            id,
            status,
            m >= 0 ? at[m] : null,
            lastIn[id] || null,
            m >= 0 ? messageText(m) : null,
            status === 'open' ? Math.floor(rnd() * 3) : 0,
            from,
            now,
          ];
        }),
      );
    });
  }

  const columns = [
    'conversation_id',
    'mid',
    'direction',
    'kind',
    'text',
    'status',
    'sent_by',
    'created_at',
    'received_at',
    'sent_at',
  ];
  for (let start = 0; start < messages; start += BATCH) {
    const rows: unknown[][] = [];
    for (let i = start; i < Math.min(messages, start + BATCH); i++) {
      const t = at[i];
      if (note[i]) rows.push([conversationOf[i], null, 'out', 'note', `Note: ${messageText(i)}`, 'sent', 'user', t, t, null]);
      else if (inbound[i])
        rows.push([conversationOf[i], `m_seed_${i}`, 'in', 'message', messageText(i), 'received', 'contact', t, t, null]);
      else
        rows.push([conversationOf[i], `m_seed_${i}`, 'out', 'message', messageText(i), 'read', i % 7 ? 'user' : 'ai', t, t, t]);
    }
    await db.transaction((tx) => insertRows(tx, 'messages', columns, rows));
  }
  // As the writers would have: when each conversation began and was first answered.
  await fillConversationFirsts(db);
  return { contacts, messages, seconds: (Date.now() - started) / 1000 };
}
