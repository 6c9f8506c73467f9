// Deletion requests, from the three doors (staff, the API, Meta's callback) to their deadline 30
// days later. Carrying one out erases the person in ONE transaction across every table that holds
// something of theirs: conversations/erase.ts (contact, conversation, messages, notes, files, labels,
// outbox rows, search index), the jobs queued about them, the webhook receipts naming them, and the
// request itself, which becomes a tombstone. Afterwards, in the background (aftermath.ts), the
// search index's pages that still hold the erased words are rewritten, and the write-ahead log is
// checkpointed and truncated, so the erased pages leave it too (secure_delete has zeroed them in the
// database file).
//
// The deadline job (jobs.ts) runs hourly and at every start, so a deadline that passed while ChatX
// was down is met as soon as it is back.
import type { Config } from '../config';
import type { Db } from '../core/db';
import { notFound } from '../core/errors';
import { log } from '../core/log';
import { forgetJobs } from '../core/queue';
import { erasePerson, forgetErased, type Erased } from '../conversations/erase';
import { personHash } from '../conversations/erased';
import type { Conversations } from '../conversations/service';
import type { ConversationWriter } from '../conversations/writer';
import type { Channel } from '../messenger/channel';
import { psidsOnThisPage } from '../messenger/data-deletion';
import { forgetReceipts } from '../messenger/webhook/receipts';
import { Aftermath } from './aftermath';
import { audit, type AuditEntry } from './audit';
import {
  closeRequest,
  dueRequests,
  dueSoon,
  insertRequest,
  keepTombstone,
  markReminded,
  matchRequest,
  pendingForContact,
  pendingIdsForContact,
  RECEIVED_VIA,
  requestByCode,
  requestsToRemind,
  tombstones,
  type DeletionRequest,
} from './deletion-requests';

const DAY = 24 * 3600 * 1000;

/** Who recorded or carried out a request, as the audit log names them. */
export type Who = Pick<AuditEntry, 'actorUserId' | 'actor' | 'ip'>;

/**
 * Erases a person and everything that refers to them, in the caller's transaction: the
 * conversations domain's rows, the jobs queued about them, the webhook receipts naming them.
 */
async function eraseEverywhere(w: ConversationWriter, contactId: number, now = Date.now()): Promise<Erased | undefined> {
  const gone = await erasePerson(w, contactId, now);
  if (!gone) return undefined;
  await forgetJobs(w.tx, { contactId, conversationIds: gone.conversationIds, attachmentIds: gone.attachmentIds });
  await forgetReceipts(w.tx, gone.person.pageId, gone.person.psid, gone.mids);
  return gone;
}

export class Deletions {
  /** The reminder on the owner's pages, cached: it is read on every page and changes rarely. */
  private soon?: { at: number; value: Promise<{ count: number; first: number | null }> };
  /** The index rewrite and WAL truncation after erasures (aftermath.ts). */
  private readonly aftermath: Aftermath;

  constructor(
    private readonly db: Db,
    private readonly conversations: Conversations,
    private readonly channel: Channel,
    private readonly config: Config,
  ) {
    this.aftermath = new Aftermath(db);
  }

  /** ChatX is stopping: the index rewrite stops after its current step (the next start resumes it). */
  stop(): Promise<void> {
    return this.aftermath.stop();
  }

  /** Resolves when the work after the erasures so far (index rewrite, WAL truncation) is done. */
  settled(): Promise<void> {
    return this.aftermath.settled();
  }

  /** A request recorded by staff (received by email, in a conversation…) or through the API. */
  async request(
    contactId: number,
    input: { source: 'staff' | 'api'; receivedVia?: string; who: Who },
  ): Promise<{ request: DeletionRequest; created: boolean }> {
    const contact = await this.db.get<{ id: number }>('SELECT id FROM contacts WHERE id = ?', [contactId]);
    if (!contact) throw notFound('There is no such contact (it may have been deleted already).');
    return this.record(contactId, input.source, input.receivedVia ?? null, input.who);
  }

  private async record(
    contactId: number,
    source: DeletionRequest['source'],
    receivedVia: string | null,
    who: Who,
  ): Promise<{ request: DeletionRequest; created: boolean }> {
    const result = await this.db.transaction(async (tx) => {
      // One pending request per person: asking twice keeps the first (earlier) deadline.
      const existing = await pendingForContact(tx, contactId);
      if (existing) return { request: existing, created: false };
      const request = await insertRequest(tx, { contactId, source, receivedVia, requestedBy: who.actor, at: Date.now() });
      await audit(tx, { ...who, action: 'deletion.requested', target: request.code, detail: { source, contact: contactId } });
      return { request, created: true };
    });
    this.soon = undefined;
    return result;
  }

  /**
   * Meta's callback: the person with this app-scoped id asked for deletion. Matched to this Page's
   * contact when Meta can say who it is; `no_data` when we hold nothing; kept pending and matched
   * again later when Meta could not be asked.
   */
  async fromMeta(asid: string): Promise<DeletionRequest> {
    const who: Who = { actor: 'meta' };
    const contactId = await this.match(asid);
    if (typeof contactId === 'number') return (await this.record(contactId, 'meta-callback', null, who)).request;
    const request = await this.db.transaction(async (tx) => {
      const r = await insertRequest(tx, {
        contactId: null,
        source: 'meta-callback',
        subjectRef: contactId === 'unknown' ? asid : null,
        status: contactId === 'unknown' ? 'pending' : 'no_data',
        requestedBy: 'meta',
        at: Date.now(),
      });
      await audit(tx, {
        ...who,
        action: 'deletion.requested',
        target: r.code,
        detail: { source: 'meta-callback', matched: false },
      });
      return r;
    });
    if (contactId === 'unknown')
      log.warn('a deletion request from Meta could not be matched yet; retrying hourly', { code: request.code });
    this.soon = undefined;
    return request;
  }

  /** The contact of an app-scoped id: its id, 'none' (we hold nobody), or 'unknown' (ask again later). */
  private async match(asid: string): Promise<number | 'none' | 'unknown'> {
    const state = await this.channel.state();
    const psids = await psidsOnThisPage(this.channel, state, asid);
    if (psids === undefined) return 'unknown';
    if (psids.length === 0) return 'none';
    const row = await this.db.get<{ id: number }>(
      `SELECT id FROM contacts WHERE page_id = ? AND psid IN (SELECT value FROM json_each(?)) ORDER BY id LIMIT 1`,
      [state.pageId, JSON.stringify(psids)],
    );
    return row ? row.id : 'none';
  }

  /** What a person's page shows in its privacy panel: their pending request, if any. */
  async forContact(
    contactId: number,
  ): Promise<{ pending?: DeletionRequest; statusUrl?: string; receivedVia: readonly string[] }> {
    const pending = await pendingForContact(this.db, contactId);
    return { pending, statusUrl: pending && this.statusUrl(pending.code), receivedVia: RECEIVED_VIA };
  }

  byCode(code: string): Promise<DeletionRequest | undefined> {
    return requestByCode(this.db, code);
  }

  /**
   * Carries a request out now (the owner's "Delete now", or its deadline). A request that is no
   * longer pending is returned as it is; the same person's other pending requests close with it.
   */
  async execute(code: string, executedBy: Who, now = Date.now()): Promise<DeletionRequest> {
    let request = await requestByCode(this.db, code);
    if (!request) throw notFound('There is no deletion request with that code.');
    if (request.status !== 'pending') return request;
    if (request.contact_id === null && request.subject_ref) {
      const matched = await this.match(request.subject_ref);
      if (typeof matched === 'number') await matchRequest(this.db, request.id, matched);
      else if (matched === 'unknown' && now < request.deadline) return request; // asked again next hour
      request = (await requestByCode(this.db, code))!;
    }
    const contactId = request.contact_id;
    const erased = await this.conversations.write(async (w) => {
      const ids = contactId === null ? [request!.id] : (await pendingIdsForContact(w.tx, contactId)).map((r) => r.id);
      const gone = contactId === null ? undefined : await eraseEverywhere(w, contactId, now);
      const outcome = gone
        ? { status: 'done' as const, summary: gone.counts, person: personHash(gone.person.pageId, gone.person.psid) }
        : { status: 'no_data' as const, summary: undefined };
      for (const id of ids) await closeRequest(w.tx, id, { ...outcome, executedBy: executedBy.actor, at: now });
      if (gone) await this.aftermath.owed(w.tx);
      await audit(w.tx, {
        ...executedBy,
        action: 'deletion.executed',
        target: code,
        detail: { status: outcome.status, ...(gone?.counts ?? {}) },
      });
      return gone;
    });
    this.soon = undefined;
    if (erased) this.aftermath.start();
    return (await requestByCode(this.db, code))!;
  }

  /**
   * Erases people without a request of their own (retention: no activity for months; a restore
   * bringing back people erased since), one transaction each; the audit log gets one entry with the
   * count. Returns how many were erased.
   */
  async eraseInactive(contactIds: number[], who: Who, reason: string, action = 'retention.erased'): Promise<number> {
    let erased = 0;
    for (const contactId of contactIds) {
      const gone = await this.conversations.write(async (w) => {
        const ids = (await pendingIdsForContact(w.tx, contactId)).map((r) => r.id);
        const result = await eraseEverywhere(w, contactId);
        if (result) await this.aftermath.owed(w.tx);
        if (result)
          for (const id of ids)
            await closeRequest(w.tx, id, {
              status: 'done',
              summary: result.counts,
              executedBy: who.actor,
              at: Date.now(),
              person: personHash(result.person.pageId, result.person.psid),
            });
        return result;
      });
      if (gone) erased++;
    }
    if (erased) {
      await audit(this.db, { ...who, action, detail: { people: erased, reason } });
      this.soon = undefined;
      this.aftermath.start();
    }
    return erased;
  }

  /** The carried-out requests of this database (read before a restore swaps it). */
  tombstones(): Promise<DeletionRequest[]> {
    return tombstones(this.db);
  }

  /**
   * After a restore: the tombstones the database had before are written into the restored one, and
   * everyone they erased who came back with it (the backup was older) is erased again. Returns how
   * many people were erased again.
   */
  async reapply(before: DeletionRequest[]): Promise<number> {
    const erasedPeople = new Set(before.map((t) => t.erased_person).filter((p): p is string => Boolean(p)));
    await this.db.transaction(async (tx) => {
      for (const t of before) await keepTombstone(tx, t);
    });
    let again = 0;
    if (erasedPeople.size > 0) {
      const people = await this.db.all<{ id: number; page_id: string; psid: string }>('SELECT id, page_id, psid FROM contacts');
      const back = people.filter((p) => erasedPeople.has(personHash(p.page_id, p.psid))).map((p) => p.id);
      again = await this.eraseInactive(
        back,
        { actor: 'restore' },
        'erased before, back with a restored backup',
        'deletion.reapplied',
      );
    }
    this.soon = undefined;
    return again;
  }

  /** Erases a contact at once (the owner's "Delete now" on a person without a request yet). */
  async eraseNow(contactId: number, who: Who, receivedVia = 'owner'): Promise<DeletionRequest> {
    const { request } = await this.request(contactId, { source: 'staff', receivedVia, who });
    return this.execute(request.code, who);
  }

  /**
   * The deadline job: carries out every request whose deadline has come, tries again to match
   * Meta's requests not matched yet, gives the reminders, and forgets old erasure guards.
   */
  async pass(now = Date.now()): Promise<{ executed: number }> {
    let executed = 0;
    for (const r of await dueRequests(this.db, now)) {
      const after = await this.execute(r.code, { actor: 'deadline' }, now);
      if (after.status !== 'pending') executed++;
    }
    const unmatched = await this.db.all<{ code: string }>(
      "SELECT code FROM deletion_requests WHERE status = 'pending' AND contact_id IS NULL AND subject_ref IS NOT NULL",
    );
    for (const r of unmatched) await this.rematch(r.code);
    await this.remind(now);
    await forgetErased(this.db, now);
    // An erasure whose index pages were not all rewritten yet (ChatX stopped meanwhile).
    await this.aftermath.resume();
    if (executed) log.info('deletion requests carried out at their deadline', { executed });
    return { executed };
  }

  private async rematch(code: string): Promise<void> {
    const r = await requestByCode(this.db, code);
    if (!r?.subject_ref) return;
    const matched = await this.match(r.subject_ref);
    if (typeof matched === 'number') await matchRequest(this.db, r.id, matched);
    else if (matched === 'none') await closeRequest(this.db, r.id, { status: 'no_data', executedBy: 'deadline', at: Date.now() });
  }

  /** The reminders a week and a day before a deadline: written to the audit log, shown on the owner's pages. */
  private async remind(now: number): Promise<void> {
    for (const level of [7, 1] as const) {
      for (const r of await requestsToRemind(this.db, now, level * DAY, level)) {
        await markReminded(this.db, r.id, level);
        await audit(this.db, {
          actor: 'system',
          action: 'deletion.reminder',
          target: r.code,
          detail: { days: level, deadline: r.deadline },
        });
      }
    }
    this.soon = undefined;
  }

  /** Forget what is cached (the database was reopened: restored, wiped). */
  invalidate(): void {
    this.soon = undefined;
  }

  /** Pending requests due within a week (for the reminder on the owner's pages); cached a minute. */
  dueSoon(now = Date.now()): Promise<{ count: number; first: number | null }> {
    if (!this.soon || now - this.soon.at > 60_000) this.soon = { at: now, value: dueSoon(this.db, now) };
    return this.soon.value;
  }

  /** The public status address of a request (what Meta's callback answers with). */
  statusUrl(code: string): string {
    return `${this.config.publicUrl}/data-deletion/${code}`;
  }
}
