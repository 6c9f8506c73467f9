// The dashboard on the inbox benchmark's database (20,000 contacts, 1,000,000 messages over 90 days,
// BENCH_MESSAGES), with three agents' replies, a 'resolved' event for every resolved conversation,
// 5,000 leads across the stages and business hours set: the real server (dist/server.js) draws the
// page for the last 90 days, the leads board and table, and people's pages, one request at a time,
// as a person reloading them would.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createUser } from '../src/auth/users';
import { loadConfig } from '../src/config';
import { setLogLevel } from '../src/core/log';
import { lastDays } from '../src/crm/dashboard-range';
import { buildServices } from '../src/services';
import { setSetting } from '../src/settings/store';
import { EMAIL, KEY, measure, PASSWORD, signIn, type Timing } from './inbox';
import { prng, seedInbox } from './inbox-seed';
import { startServer, stopChild } from './server-process';

const DAY = 24 * 3600 * 1000;

export interface DashboardBench {
  contacts: number;
  messages: number;
  leads: number;
  seedSeconds: number;
  page: Timing;
  json: Timing;
  /** The leads board (GET /leads) and table, with all the leads. */
  board: Timing;
  table: Timing;
  /** A person's page (details, lead card, follow-ups, timeline), for contacts with many messages. */
  contact: Timing;
}

export async function benchDashboard(
  messages = Number(process.env.BENCH_MESSAGES ?? 1_000_000),
  contacts = 20_000,
  leads = 5_000,
  requests = 100,
): Promise<DashboardBench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-dashboard-'));
  const config = loadConfig({ DATA_DIR: dataDir, DATABASE_KEY: KEY, LOG_LEVEL: 'warn' });
  setLogLevel('warn');
  const now = Date.now();
  try {
    const services = await buildServices(config);
    const seeded = await seedInbox(services, contacts, messages, now);
    const { db } = services;
    const started = Date.now();
    const agents = [];
    for (const n of [1, 2, 3])
      agents.push((await createUser(db, { email: `agent${n}@example.com`, role: 'staff', password: PASSWORD })).id);
    await createUser(db, { email: EMAIL, role: 'owner', password: PASSWORD });
    await setSetting(db, 'ai.hours', JSON.stringify({ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }));
    await db.run(
      `UPDATE messages SET sent_by_user_id = CASE id % 3 WHEN 0 THEN ? WHEN 1 THEN ? ELSE ? END
       WHERE direction = 'out' AND kind = 'message' AND sent_by = 'user'`,
      agents,
    );
    await db.run(
      `INSERT INTO conversation_events (conversation_id, at, kind, value)
       SELECT id, last_message_at + 3600000, 'status', 'resolved' FROM conversations WHERE status = 'resolved' AND last_message_at IS NOT NULL`,
    );
    const stages = (await db.all<{ id: number; kind: string }>('SELECT id, kind FROM lead_stages ORDER BY position')).map(
      (s) => s,
    );
    const rnd = prng(12);
    const sources = ['ad:spring', 'ad:summer', 'link:menu', null];
    await db.transaction(async (tx) => {
      for (let i = 0; i < leads; i++) {
        const contact = 1 + Math.floor((i * contacts) / leads);
        const stage = stages[Math.floor(rnd() * stages.length)];
        const created = Math.floor(now - rnd() * 90 * DAY);
        const closed = stage.kind === 'open' ? null : created + Math.floor(rnd() * 10 * DAY);
        await tx.run('UPDATE contacts SET lead_source = ? WHERE id = ?', [sources[i % sources.length], contact]);
        await tx.run(
          'INSERT INTO leads (contact_id, stage_id, value_cents, created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?)',
          [contact, stage.id, Math.floor(rnd() * 500_000), created, created, closed],
        );
      }
    });
    await services.close();
    const seedSeconds = seeded.seconds + (Date.now() - started) / 1000;

    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const { child: server, url: base } = await startServer({ DATA_DIR: dataDir, DATABASE_KEY: KEY }, 35000);
    try {
      const browser = { cookie: await signIn(agent, base) };
      const range = lastDays(90);
      const query = `from=${range.from}&to=${range.to}`;
      const page = await measure(agent, base, server.pid!, Array(requests).fill(`/dashboard?${query}`), browser, 5);
      const json = await measure(agent, base, server.pid!, Array(requests).fill(`/dashboard.json?${query}`), browser, 5);
      const board = await measure(agent, base, server.pid!, Array(requests).fill('/leads'), browser, 5);
      const table = await measure(agent, base, server.pid!, Array(requests).fill('/leads?view=table'), browser, 5);
      const people = Array.from({ length: requests }, (_, i) => `/contacts/${1 + ((i * 197) % contacts)}`);
      const contact = await measure(agent, base, server.pid!, people, browser, 5);
      return { contacts, messages, leads, seedSeconds, page, json, board, table, contact };
    } finally {
      agent.destroy();
      await stopChild(server);
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
