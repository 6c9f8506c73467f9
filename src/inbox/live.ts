// Live updates: one Server-Sent Events stream per browser tab. Every committed change on the bus gets
// a sequence number and is kept in a short ring, so a stream that (re)connects with the last id it
// saw (Last-Event-ID, or `since` from the page it was rendered in) catches up without gaps; after a
// server restart (a new epoch) or a gap too long for the ring it gets a full resync instead. The
// payloads are HTML fragments with hx-swap-oob, swapped in by the htmx SSE extension; every element
// carries an id, so a fragment seen twice replaces rather than duplicates. Besides messages, list
// rows and the open conversation's header and activity lines ("Maria assigned Sam"): an AI draft for the conversation open in a tab, to every tab a toast when the AI hands
// a conversation to a person, and to its owner's tabs a toast when a follow-up comes due.
import crypto from 'node:crypto';
import type { Response } from 'express';
import type { Bus, BusEvents } from '../core/bus';
import type { Db } from '../core/db';
import { log } from '../core/log';
import { listActivity } from '../conversations/events';
import { listMessages, STATUSES, type ShownMessage } from '../conversations/queries';
import { countDue, followUpById, isOverdue } from '../crm/follow-ups';
import { SharedLoads } from './live-loads';
import { filterQuery, listInbox, matchesFilter, type InboxFilter, type InboxRow } from './list';
import type { InboxStats } from './stats';

export type Render = (view: string, locals: Record<string, unknown>) => Promise<string>;

export interface LiveHubOptions {
  db: Db;
  bus: Bus;
  /** The tabs' counts and the unread total, counted once per change. */
  stats: InboxStats;
  /** Renders the same partials the pages include (views.ts). */
  render: Render;
  /** A message arrived in a conversation someone has open: it is being read as it arrives. */
  onViewed?: (conversationId: number) => void;
  /** Which of these sessions are still signed in (checked on a timer: a session can end elsewhere, e.g. the CLI). */
  liveSessions: (sessionIds: string[]) => Promise<Set<string>>;
  sessionCheckMs?: number;
}

interface Change {
  seq: number;
  kind: keyof BusEvents;
  event: BusEvents[keyof BusEvents];
}

/** Who opens a stream, and what their tab shows. */
export interface StreamRequest {
  res: Response;
  /** The sign-in session it belongs to: the stream ends when that session does. */
  sessionId: string;
  userId: number;
  userName: string;
  csrfToken: string;
  filter: InboxFilter;
  conversationId?: number;
  since?: string;
}

interface Client extends Omit<StreamRequest, 'since'> {
  id: number;
  replyingUntil?: number;
  chain: Promise<void>;
}

const RING_SIZE = 5000;
const HEARTBEAT_MS = 25_000;
const SESSION_CHECK_MS = 30_000;
const SIGN_OUT_CLOSE_MS = 2_000;
const REPLYING_MS = 8_000;

export class LiveHub {
  /** Changes on a new server process never mix with ids handed out by the previous one. */
  readonly epoch = crypto.randomBytes(4).toString('hex');
  private seq = 0;
  private ring: Change[] = [];
  private clients = new Set<Client>();
  private nextClientId = 1;
  private heartbeat?: NodeJS.Timeout;
  private sessionCheck?: NodeJS.Timeout;
  private unsubscribe: (() => void)[] = [];
  private readonly db: Db;
  private readonly stats: InboxStats;
  private readonly render: Render;
  private readonly onViewed?: (conversationId: number) => void;
  private readonly options: LiveHubOptions;

  constructor(options: LiveHubOptions) {
    this.options = options;
    this.db = options.db;
    this.stats = options.stats;
    this.render = options.render;
    this.onViewed = options.onViewed;
    this.unsubscribe.push(
      options.bus.on('message', (e) => this.publish('message', e)),
      options.bus.on('conversation', (e) => this.publish('conversation', e)),
      options.bus.on('draft', (e) => this.publish('draft', e)),
      options.bus.on('handoff', (e) => this.publish('handoff', e)),
      options.bus.on('followUp', (e) => this.publish('followUp', e)),
    );
  }

  /** Starts the heartbeat that keeps idle streams open through proxies, and the session check. */
  start(): void {
    this.heartbeat ??= setInterval(() => {
      for (const c of this.clients) c.res.write(': ping\n\n');
    }, HEARTBEAT_MS).unref();
    this.sessionCheck ??= setInterval(
      () => void this.checkSessions().catch((err: Error) => log.warn('live session check failed', { error: err.message })),
      this.options.sessionCheckMs ?? SESSION_CHECK_MS,
    ).unref();
  }

  /** Ends the streams whose sign-in session has ended (signed out, expired, user disabled or removed). */
  async checkSessions(): Promise<void> {
    const ids = [...new Set([...this.clients].map((c) => c.sessionId))];
    if (ids.length === 0) return;
    const live = await this.options.liveSessions(ids);
    this.end((c) => !live.has(c.sessionId));
  }

  /**
   * A session signed out here: its streams get nothing more from now on. The tab that signed out
   * is on its way to the sign-in page, so the stream itself is closed a moment later: closed at
   * once, the browser would report it failing just before it leaves.
   */
  sessionEnded(sessionId: string): void {
    this.end((c) => c.sessionId === sessionId, SIGN_OUT_CLOSE_MS);
  }

  /** Every session of a user ended (disabled, removed, a new password): their streams end now. */
  userSignedOut(userId: number): void {
    this.end((c) => c.userId === userId);
  }

  private end(which: (c: Client) => boolean, closeAfterMs = 0): void {
    for (const c of [...this.clients]) {
      if (!which(c)) continue;
      this.clients.delete(c);
      // The browser reconnects after `retry`; its next stream request finds no session and is sent to sign in.
      if (closeAfterMs) setTimeout(() => c.res.end(), closeAfterMs).unref();
      else c.res.end();
    }
  }

  /** The id a page embeds so its stream starts exactly where the page's data ends. */
  cursor(): string {
    return `${this.epoch}:${this.seq}`;
  }

  get size(): number {
    return this.clients.size;
  }

  private publish<K extends keyof BusEvents>(kind: K, event: BusEvents[K]): void {
    const change: Change = { seq: ++this.seq, kind, event };
    this.ring.push(change);
    if (this.ring.length > RING_SIZE) this.ring.shift();
    if (this.clients.size === 0) return;
    if (kind === 'message') {
      const m = event as BusEvents['message'];
      if (m.change === 'created' && [...this.clients].some((c) => c.conversationId === m.conversationId))
        this.onViewed?.(m.conversationId);
    }
    const shared = new SharedLoads(this.db);
    for (const client of this.clients) this.enqueue(client, () => this.deliver(client, change, shared));
  }

  private enqueue(client: Client, work: () => Promise<void>): void {
    client.chain = client.chain.then(work).catch((err: Error) => log.warn('live update failed', { error: err.message }));
  }

  private write(client: Client, html: string, id?: string): void {
    if (!html.trim()) return;
    const data = html
      .split('\n')
      .map((line) => `data: ${line}`)
      .join('\n');
    client.res.write(`${id ? `id: ${id}\n` : ''}event: update\n${data}\n\n`);
  }

  private async deliver(client: Client, change: Change, shared: SharedLoads): Promise<void> {
    const id = `${this.epoch}:${change.seq}`;
    if (change.kind === 'message') {
      const e = change.event as BusEvents['message'];
      if (client.conversationId !== e.conversationId) return this.write(client, '', id);
      const message = await shared.message(e.messageId, e.conversationId);
      if (!message) return;
      this.write(client, await this.messageHtml(client, message), id);
      return;
    }
    if (change.kind === 'draft') {
      // A suggested reply for the conversation open here: the composer fills it in only if it is empty.
      const e = change.event as BusEvents['draft'];
      if (client.conversationId !== e.conversationId) return;
      const draft = await shared.draft(e.conversationId);
      const conversation = { id: e.conversationId };
      this.write(
        client,
        await this.render('inbox/_ai-draft', { conversation, aiDraft: draft, aiDraftState: 'live', oob: true }),
        id,
      );
      return;
    }
    if (change.kind === 'handoff') {
      // Everyone is told, whatever they have open.
      const e = change.event as BusEvents['handoff'];
      const row = await shared.row(e.conversationId);
      if (row)
        this.write(
          client,
          await this.render('inbox/_handoff-toast', { c: row, handoff: { reason: e.reason, seq: change.seq } }),
          id,
        );
      return;
    }
    if (change.kind === 'followUp') {
      // Only its owner is told: a toast, and their navigation's badge counts it.
      const e = change.event as BusEvents['followUp'];
      if (e.ownerId !== client.userId) return;
      const followUp = await followUpById(this.db, e.id);
      if (!followUp) return;
      const due = await countDue(this.db, client.userId);
      const html = await this.render('crm/_follow-up-toast', { followUp, overdue: isOverdue(followUp), due, seq: change.seq });
      this.write(client, html, id);
      return;
    }
    const e = change.event as BusEvents['conversation'];
    const [row, { counts, unread }] = await Promise.all([shared.row(e.conversationId, client.filter.sort), this.stats.numbers()]);
    let html = await this.unreadHtml(unread);
    html += await this.render('inbox/_tabs', { statuses: STATUSES, counts, filter: client.filter, oob: true });
    html +=
      row && matchesFilter(row, client.filter, client.userId)
        ? await this.rowHtml(client, row)
        : `<li id="conv-row-${e.conversationId}" hx-swap-oob="delete"></li>`;
    // The conversation open in this tab was erased (a deletion request): its messages leave the screen.
    if (!row && client.conversationId === e.conversationId) html += await this.render('inbox/_erased', { oob: true });
    if (row && client.conversationId === e.conversationId) {
      // With the people it can be assigned to, as the page renders it.
      html += await this.render('inbox/_thread-head', {
        conversation: row,
        users: await shared.users(),
        labels: await shared.labels(),
        meId: client.userId,
        aiInstall: await shared.aiInstall(),
        csrfToken: client.csrfToken,
        oob: true,
      });
      // The newest activity lines: the tab inserts the ones it lacks among the messages, by time.
      for (const line of await shared.recentActivity(e.conversationId))
        html += await this.render('inbox/_activity', { line, oob: true });
    }
    this.write(client, html, id);
  }

  private async messageHtml(client: Client, m: ShownMessage): Promise<string> {
    return this.render('inbox/_message', { m, csrfToken: client.csrfToken, oob: true });
  }

  private async rowHtml(client: Client, row: InboxRow): Promise<string> {
    return this.render('inbox/_row', {
      c: row,
      currentId: client.conversationId,
      qs: filterQuery(client.filter),
      filter: client.filter,
      oob: true,
    });
  }

  private unreadHtml(count: number): Promise<string> {
    return this.render('inbox/_unread', { unread: count, oob: true });
  }

  /** Opens a stream for a signed-in tab and catches it up from `since`. */
  async connect(input: StreamRequest): Promise<void> {
    const { res } = input;
    if (this.closed) {
      // Shutting down: no new streams (the browser reconnects to the next process).
      res.status(503).end();
      return;
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const client: Client = { ...input, id: this.nextClientId++, chain: Promise.resolve() };
    // Registered before the catch-up is read, so nothing committed meanwhile can fall in between.
    this.clients.add(client);
    res.on('close', () => {
      this.clients.delete(client);
      if (client.conversationId) this.presenceChanged(client.conversationId);
    });
    const from = this.parseSince(input.since);
    const startSeq = this.seq;
    if (from === undefined) {
      this.enqueue(client, () => this.resync(client, startSeq));
    } else {
      const missed = this.ring.filter((c) => c.seq > from && c.seq <= startSeq);
      const shared = new SharedLoads(this.db);
      for (const change of missed) this.enqueue(client, () => this.deliver(client, change, shared));
    }
    if (client.conversationId) this.presenceChanged(client.conversationId);
  }

  /** The seq to replay from, or undefined when the ring cannot cover it (new epoch, too old). */
  private parseSince(since?: string): number | undefined {
    const m = since ? /^([0-9a-f]{8}):(\d+)$/.exec(since) : null;
    if (!m || m[1] !== this.epoch) return undefined;
    const seq = Number(m[2]);
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    if (seq > this.seq || seq < oldest - 1) return undefined;
    return seq;
  }

  /** Everything the tab shows, rendered afresh: after a restart or a long disconnection. */
  private async resync(client: Client, seq: number): Promise<void> {
    const { rows, nextCursor } = await listInbox(this.db, client.filter, client.userId);
    const qs = filterQuery(client.filter);
    let html = await this.render('inbox/_list', {
      rows,
      nextCursor,
      filter: client.filter,
      qs,
      currentId: client.conversationId,
      oob: true,
    });
    const { counts, unread } = await this.stats.numbers();
    html += await this.unreadHtml(unread);
    html += await this.render('inbox/_tabs', {
      statuses: STATUSES,
      counts,
      filter: client.filter,
      oob: true,
    });
    if (client.conversationId) {
      const messages = await listMessages(this.db, client.conversationId, { includeNotes: true });
      const activity = await listActivity(this.db, client.conversationId);
      html += await this.render('inbox/_messages', { messages, activity, csrfToken: client.csrfToken, oob: true });
    }
    this.write(client, html, `${this.epoch}:${seq}`);
  }

  /** A person typing in a conversation's composer: shown to the others as "… is replying". */
  typing(userId: number, conversationId: number): void {
    for (const c of this.clients)
      if (c.userId === userId && c.conversationId === conversationId) c.replyingUntil = Date.now() + REPLYING_MS;
    this.presenceChanged(conversationId);
    setTimeout(() => this.presenceChanged(conversationId), REPLYING_MS + 100).unref();
  }

  /** Who else is viewing or replying, for every tab on this conversation. */
  private presenceChanged(conversationId: number): void {
    const here = [...this.clients].filter((c) => c.conversationId === conversationId);
    for (const client of here) {
      const others = new Map<number, { name: string; replying: boolean }>();
      for (const o of here) {
        if (o.userId === client.userId) continue;
        const replying = (o.replyingUntil ?? 0) > Date.now();
        others.set(o.userId, { name: o.userName, replying: replying || (others.get(o.userId)?.replying ?? false) });
      }
      this.enqueue(client, async () =>
        this.write(client, await this.render('inbox/_presence', { others: [...others.values()], oob: true })),
      );
    }
  }

  /** Ends every stream (shutdown): the server can then close. */
  private closed = false;

  close(): void {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.sessionCheck) clearInterval(this.sessionCheck);
    this.unsubscribe.forEach((off) => off());
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}
