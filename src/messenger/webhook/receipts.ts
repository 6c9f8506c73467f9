// The webhook_receipts table, and only here: the natural keys of events that carry no `mid` of
// their own (reactions, referrals, edits), so that Meta's retries are applied once. Keys name the
// Page, the PSID or a message's mid, so they go when that person is erased, and all go after a
// month (Meta retries for at most 36 hours; the reaction order check looks back as far).
import type { Queryable } from '../../core/db';

const KEEP_MS = 30 * 24 * 3600 * 1000;

/** Records the key; false when it was recorded before (the event is a duplicate). */
export async function firstReceipt(db: Queryable, key: string, now = Date.now()): Promise<boolean> {
  const { changes } = await db.run('INSERT OR IGNORE INTO webhook_receipts (key, received_at) VALUES (?, ?)', [key, now]);
  return changes > 0;
}

/**
 * Forgets the receipts about a person: their referrals and reactions (by PSID), the edits of their
 * messages (`edit:<mid>:<number>`, by mid).
 */
export async function forgetReceipts(db: Queryable, pageId: string, psid: string, mids: string[]): Promise<void> {
  const referrals = `referral:${pageId}:${psid}:`;
  await db.run('DELETE FROM webhook_receipts WHERE substr(key, 1, ?) = ?', [referrals.length, referrals]);
  await db.run("DELETE FROM webhook_receipts WHERE key LIKE 'reaction:%' AND instr(key, ?) > 0", [`:${psid}:`]);
  if (mids.length === 0) return;
  await db.run(
    `DELETE FROM webhook_receipts WHERE key LIKE 'edit:%'
       AND substr(key, 6, length(rtrim(substr(key, 6), '0123456789')) - 1) IN (SELECT value FROM json_each(?))`,
    [JSON.stringify(mids)],
  );
}

/** Drops receipts older than a month. */
export async function purgeReceipts(db: Queryable, now = Date.now()): Promise<number> {
  return (await db.run('DELETE FROM webhook_receipts WHERE received_at < ?', [now - KEEP_MS])).changes;
}
