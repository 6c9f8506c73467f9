// Deleting one person who wrote 10,000 messages, inside a database of many others: the whole
// erasure as the owner's "Delete now" runs it (one transaction over the contact, conversation,
// messages and their search-index entries). Target: ≤ 1 s. Reported beside it: how long the rewrite
// of the search index without the erased words takes afterwards, in the background.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { setLogLevel } from '../src/core/log';
import { buildServices } from '../src/services';
import { messageText, seedInbox } from './inbox-seed';

const KEY = 'bench deletion key';

export interface DeletionBench {
  backgroundMessages: number;
  personMessages: number;
  /** The erasure itself, as the owner waits for it. */
  ms: number;
  /** The index rewrite and WAL truncation after it, in the background. */
  purgeSeconds: number;
  erased: Record<string, number>;
}

export async function benchDeletion(
  personMessages = 10_000,
  backgroundMessages = Number(process.env.BENCH_DELETION_BACKGROUND ?? 200_000),
): Promise<DeletionBench> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chatx-deletion-'));
  setLogLevel('warn');
  const services = await buildServices(loadConfig({ DATA_DIR: dataDir, DATABASE_KEY: KEY, LOG_LEVEL: 'warn' }));
  try {
    await seedInbox(services, 2000, backgroundMessages);
    const { db } = services;
    const now = Date.now();
    const { lastID: contactId } = await db.run(
      "INSERT INTO contacts (page_id, psid, name, profile_state, created_at, updated_at) VALUES ('1000', '7999999999999999', 'Bench Person', 'fetched', ?, ?)",
      [now, now],
    );
    const { lastID: conversationId } = await db.run(
      "INSERT INTO conversations (page_id, contact_id, status, created_at, updated_at, last_message_at) VALUES ('1000', ?, 'open', ?, ?, ?)",
      [contactId, now, now, now],
    );
    for (let start = 0; start < personMessages; start += 1000) {
      await db.transaction(async (tx) => {
        for (let i = start; i < Math.min(personMessages, start + 1000); i += 100) {
          const rows = Array.from({ length: Math.min(100, personMessages - i) }, (_, k) => i + k);
          await tx.run(
            `INSERT INTO messages (conversation_id, mid, direction, kind, text, status, sent_by, created_at, received_at)
             VALUES ${rows.map(() => "(?, ?, 'in', 'message', ?, 'received', 'contact', ?, ?)").join(', ')}`,
            rows.flatMap((n) => [conversationId, `m_bench_person_${n}`, messageText(900_000 + n), now - n, now - n]),
          );
        }
      });
    }
    await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const started = process.hrtime.bigint();
    const done = await services.deletions.eraseNow(contactId, { actor: 'bench' });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (done.status !== 'done') throw new Error(`the deletion ended ${done.status}`);
    // Then, in the background, the search index is rewritten without the erased words.
    await services.deletions.settled();
    const purgeSeconds = Number(process.hrtime.bigint() - started) / 1e9 - ms / 1000;
    return {
      backgroundMessages,
      personMessages,
      ms,
      purgeSeconds,
      erased: JSON.parse(done.summary ?? '{}') as Record<string, number>,
    };
  } finally {
    await services.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) void benchDeletion().then((r) => console.log(JSON.stringify(r, null, 2)));
