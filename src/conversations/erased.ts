// Who was erased lately: the week-long guard against Meta's late retries (erase.ts writes it). A
// person is kept only as a hash of the Page id and PSID, so the PSID itself does not outlive the
// erasure; the webhook's writer looks people up here before it stores their events.
import crypto from 'node:crypto';
import type { Queryable } from '../core/db';
import { threadKey, type Person } from './threads';

/** The guard's key for a person: a hash, so the PSID itself does not outlive the erasure. */
export function personHash(pageId: string, psid: string): string {
  return crypto.createHash('sha256').update(`chatx-erased:${pageId}:${psid}`).digest('hex');
}

/** When each of these people was erased, if lately (keyed by threadKey); one query per 400 people. */
export async function erasedAt(tx: Queryable, people: Person[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  const byHash = new Map(people.map((p) => [personHash(p.pageId, p.psid), threadKey(p.pageId, p.psid)]));
  const hashes = [...byHash.keys()];
  for (let i = 0; i < hashes.length; i += 400) {
    const chunk = hashes.slice(i, i + 400);
    const rows = await tx.all<{ person: string; erased_at: number }>(
      `SELECT person, erased_at FROM erased_people WHERE person IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    );
    for (const r of rows) found.set(byHash.get(r.person)!, r.erased_at);
  }
  return found;
}
