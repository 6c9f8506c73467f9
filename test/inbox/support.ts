// Shared setup for the inbox tests: a ChatX in sandbox mode (or live with a Page token) with an owner
// and a staff member, customers writing through the real signed webhook, and small DB helpers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { entry, metaJson, pageBody, signBody, textEvent, uniqueMid, type MessagingEvent } from '../fakes/messenger-events';
import { addUser, csrfFrom, PASSWORD } from '../support/browser-session';
import { conversationOf, makeContext, type TestContext } from '../support/context';

export { conversationOf };

export const HOUR = 3600 * 1000;
export const DAY = 24 * HOUR;
export const OWNER = 'owner@example.com';
export const STAFF = 'staff@example.com';

export interface InboxContext extends TestContext {
  ownerId: number;
  staffId: number;
}

export async function inboxContext(env: Record<string, string> = {}): Promise<InboxContext> {
  const ctx = await makeContext(env);
  const owner = await addUser(ctx.deps.db, OWNER, 'owner');
  const staff = await addUser(ctx.deps.db, STAFF, 'staff');
  await ctx.deps.db.run("UPDATE users SET name = 'Olivia Owner' WHERE id = ?", [owner.id]);
  await ctx.deps.db.run("UPDATE users SET name = 'Sam Staff' WHERE id = ?", [staff.id]);
  return Object.assign(ctx, { ownerId: owner.id, staffId: staff.id });
}

export interface CustomerMessage {
  psid: string;
  text: string;
  /** Meta's event timestamp (epoch ms); defaults to now. */
  at?: number;
}

/**
 * Events for this ChatX's Page (sandbox or live), in one POST through the real webhook, signed over
 * the bytes as Meta signs them; expects 200. `events` gets the Page id to address them to.
 */
export async function signedWebhook(ctx: TestContext, events: (pageId: string) => MessagingEvent[]): Promise<void> {
  const state = await ctx.deps.channel.state();
  const bytes = metaJson(pageBody([entry(state.pageId, events(state.pageId))]));
  const res = await request(ctx.app)
    .post('/webhooks/messenger')
    .set('content-type', 'application/json')
    .set('x-hub-signature-256', signBody(bytes, state.appSecret!))
    .send(bytes);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.text}`);
}

/** Customers write, all in one signed webhook POST as Meta batches them; expects 200. */
export async function customersWrite(ctx: TestContext, messages: CustomerMessage[]): Promise<void> {
  await signedWebhook(ctx, (pageId) =>
    messages.map((m) => textEvent({ pageId, psid: m.psid, mid: uniqueMid(), text: m.text, timestamp: m.at ?? Date.now() })),
  );
  // Let the follow-up work (profile names, which announce themselves live) finish, so tests start quiet.
  await ctx.deps.queue.kick();
}

/** One customer message; returns its conversation's id. */
export async function customerWrites(ctx: TestContext, psid: string, text: string, at = Date.now()): Promise<number> {
  await customersWrite(ctx, [{ psid, text, at }]);
  return conversationOf(ctx, psid);
}

export interface ConversationState {
  status: string;
  assignee_id: number | null;
  unread_count: number;
  snoozed_until: number | null;
  last_inbound_at: number | null;
}

export async function conversation(ctx: TestContext, id: number): Promise<ConversationState> {
  return (await ctx.deps.db.get<ConversationState>(
    'SELECT status, assignee_id, unread_count, snoozed_until, last_inbound_at FROM conversations WHERE id = ?',
    [id],
  ))!;
}

export function lastMessage(ctx: TestContext, conversationId: number) {
  return ctx.deps.db.get<{
    id: number;
    direction: string;
    kind: string;
    text: string | null;
    status: string;
    sent_by_user_id: number | null;
  }>(
    'SELECT id, direction, kind, text, status, sent_by_user_id FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1',
    [conversationId],
  );
}

export async function count(ctx: TestContext, sql: string, params: unknown[] = []): Promise<number> {
  return (await ctx.deps.db.get<{ n: number }>(`SELECT count(*) AS n FROM (${sql})`, params as never[]))!.n;
}

export function senderActionJobs(ctx: TestContext, conversationId: number) {
  return ctx.deps.db.all<{ payload: string }>(
    "SELECT payload FROM jobs WHERE kind = 'messenger.sender_action' AND json_extract(payload, '$.conversationId') = ?",
    [conversationId],
  );
}

/** The conversation ids of the list rows on a page, in order. */
export function rowIds(html: string): number[] {
  return [...html.matchAll(/<li id="conv-row-(\d+)"/g)].map((m) => Number(m[1]));
}

/** Signs in through the real form and returns the session cookie, for clients other than supertest. */
export async function sessionCookie(
  ctx: TestContext,
  email: string,
  password = PASSWORD,
): Promise<{ cookie: string; csrf: string }> {
  const login = await request(ctx.app).get('/login');
  const pre = (login.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
  const res = await request(ctx.app)
    .post('/login')
    .set('Cookie', pre)
    .type('form')
    .send({ _csrf: csrfFrom(login.text), email, password });
  if (res.status !== 303) throw new Error(`sign-in failed with ${res.status}`);
  const session = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('chatx_session='));
  const cookie = session!.split(';')[0];
  const account = await request(ctx.app).get('/account').set('Cookie', cookie);
  return { cookie, csrf: csrfFrom(account.text) };
}

/** The app on a real port (SSE needs a streaming client); close() ends open connections too. */
export async function listen(ctx: TestContext): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(ctx.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** A Server-Sent Events client that keeps every event it receives. */
export class SseStream {
  readonly events: SseEvent[] = [];
  private buffer = '';
  private waiters: (() => void)[] = [];
  private req?: http.ClientRequest;
  status = 0;
  /** Resolves when the server ends the stream. */
  ended!: Promise<void>;

  static async open(url: string, headers: Record<string, string>): Promise<SseStream> {
    const stream = new SseStream();
    await new Promise<void>((resolve, reject) => {
      stream.req = http.get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
        stream.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        stream.ended = new Promise((ended) => res.on('end', () => ended()));
        res.on('data', (chunk: string) => stream.receive(chunk));
        res.on('error', () => undefined);
        resolve();
      });
      stream.req.on('error', reject);
    });
    return stream;
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: SseEvent = { data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('data: ')) data.push(line.slice(6));
        else if (line.startsWith('id: ')) event.id = line.slice(4);
        else if (line.startsWith('event: ')) event.event = line.slice(7);
      }
      if (data.length === 0) continue; // retry:, comments and heartbeats
      event.data = data.join('\n');
      this.events.push(event);
    }
    this.waiters.splice(0).forEach((wake) => wake());
  }

  /** The first update whose data matches, waiting for it up to timeoutMs. */
  async waitFor(match: (e: SseEvent) => boolean, timeoutMs = 3000, what = 'an event'): Promise<SseEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; got:\n${this.events.map((e) => e.data.slice(0, 300)).join('\n---\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  waitForData(text: string, timeoutMs?: number): Promise<SseEvent> {
    return this.waitFor((e) => e.event === 'update' && e.data.includes(text), timeoutMs, `data containing ${text}`);
  }

  /** Waits a little and says whether anything matching arrived (for "must not arrive" checks). */
  async seenWithin(text: string, ms = 300): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.events.some((e) => e.data.includes(text));
  }

  close(): void {
    this.req?.destroy();
  }
}
