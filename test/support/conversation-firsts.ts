// Rows written straight into the tables (test seeds, the benchmark's million messages) skip the
// writers that keep each conversation's first customer message and first answer
// (conversations.first_inbound_at, first_reply_at). This fills them in by the migration's own
// backfill, so seeds follow the same rule as the data ChatX writes.
import fs from 'node:fs';
import path from 'node:path';
import type { Queryable } from '../../src/core/db';

const MIGRATION = path.join(__dirname, '../../migrations/0017_conversation_firsts.sql');

export async function fillConversationFirsts(db: Queryable): Promise<void> {
  const sql = fs.readFileSync(MIGRATION, 'utf8').replace(/^\s*--.*$/gm, '');
  for (const statement of sql.split(';').filter((s) => /^\s*UPDATE/m.test(s))) await db.run(statement);
}
