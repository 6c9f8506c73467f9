// Shared setup for the Messenger channel tests: a ChatX wired to the fake Graph API (live mode) or
// in sandbox mode, signed webhook posts the way Meta sends them, and small DB helpers.
import fs from 'node:fs';
import type { Express } from 'express';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { createApp } from '../../src/app';
import type { Config } from '../../src/config';
import type { Reply } from '../../src/messenger/outbox/outbox';
import { buildServices, type Services } from '../../src/services';
import {
  metaJson,
  pageBody,
  entry,
  signBody,
  startFakeGraph,
  textEvent,
  uniqueMid,
  type FakeGraph,
  type MessagingEvent,
} from '../fakes/graph';
import { conversationOf, tempDir, testConfig } from '../support/context';

export { conversationOf };

export const APP_SECRET = 'test-app-secret-0123456789';
export const APP_ID = '424242424242';
export const PAGE_ID = '1029384756102938';
export const PAGE_TOKEN = 'EAAtestPageToken';
export const HOUR = 3600 * 1000;

export interface Ctx {
  app: Express;
  deps: Services;
  config: Config;
  dataDir: string;
  /** Stops the sender and queue and closes the DB, keeping DATA_DIR (a "restart" reopens it). */
  shutdown(): Promise<void>;
  /** shutdown() and remove DATA_DIR. */
  close(): Promise<void>;
}

/** Like makeContext, but on a chosen DATA_DIR and able to shut down without deleting it. */
export async function openContext(env: Record<string, string> = {}, dataDir = tempDir()): Promise<Ctx> {
  const config = testConfig(env, dataDir);
  const deps = await buildServices(config);
  const shutdown = () => deps.close();
  return {
    app: createApp(deps),
    deps,
    config,
    dataDir,
    shutdown,
    async close() {
      await shutdown();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Gives each test of the suite a fresh fake Graph server and a context of a Page connected to it,
 * both closed after the test: `liveContextPerTest((c, f) => ((ctx = c), (fake = f)))`. Hooks
 * registered after this call see both.
 */
export function liveContextPerTest(use: (ctx: Ctx, fake: FakeGraph) => void): void {
  let opened: { ctx: Ctx; fake: FakeGraph } | undefined;
  beforeEach(async () => {
    const fake = await startFake();
    opened = { fake, ctx: await openContext(liveEnv(fake)) };
    use(opened.ctx, opened.fake);
  });
  afterEach(async () => {
    await opened?.ctx.close();
    await opened?.fake.close(); // closing twice is harmless: a test may close it to play "Meta is down"
    opened = undefined;
  });
}

/** The environment of a connected Page whose Graph API is the fake. */
export function liveEnv(fake: FakeGraph, extra: Record<string, string> = {}): Record<string, string> {
  return {
    FB_APP_ID: APP_ID,
    FB_APP_SECRET: APP_SECRET,
    FB_PAGE_ID: PAGE_ID,
    FB_PAGE_ACCESS_TOKEN: PAGE_TOKEN,
    GRAPH_API_URL: fake.url,
    ...extra,
  };
}

export function startFake(options: Parameters<typeof startFakeGraph>[0] = {}): Promise<FakeGraph> {
  return startFakeGraph({
    validToken: PAGE_TOKEN,
    pageId: PAGE_ID,
    appSecret: APP_SECRET,
    requireAppSecretProof: true,
    ...options,
  });
}

/** The secret the webhook checks signatures with (env, settings or the generated sandbox one). */
export async function secretOf(ctx: Ctx): Promise<string> {
  return (await ctx.deps.channel.state()).appSecret!;
}

/** POSTs a body the way Meta does: `\u`-escaped JSON, signed over those exact bytes. */
export async function postSigned(
  ctx: Ctx,
  body: unknown,
  opts: { signature?: string | null; secret?: string } = {},
): Promise<request.Response> {
  const bytes = typeof body === 'string' || Buffer.isBuffer(body) ? body : metaJson(body);
  const req = request(ctx.app).post('/webhooks/messenger').set('content-type', 'application/json');
  const signature = opts.signature === undefined ? signBody(bytes, opts.secret ?? (await secretOf(ctx))) : opts.signature;
  if (signature !== null) req.set('x-hub-signature-256', signature);
  return req.send(bytes);
}

/** POSTs these events in one entry of the ChatX Page; expects 200. */
export async function postEvents(ctx: Ctx, events: MessagingEvent[], pageId = PAGE_ID): Promise<void> {
  const res = await postSigned(ctx, pageBody([entry(pageId, events)]));
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${res.text}`);
}

/** A customer message arrives; returns its mid. */
export async function inbound(ctx: Ctx, psid: string, text: string, timestamp = Date.now(), pageId = PAGE_ID): Promise<string> {
  const mid = uniqueMid();
  await postEvents(ctx, [textEvent({ pageId, psid, mid, text, timestamp })], pageId);
  return mid;
}

/** Waits for the jobs and the sends the webhook or API started. */
export async function settle(ctx: Ctx): Promise<void> {
  await ctx.deps.queue.kick();
  await ctx.deps.outbox.kick();
}

/** A conversation whose customer wrote `hoursAgo` hours ago. */
export async function conversationAged(ctx: Ctx, psid: string, hoursAgo: number): Promise<number> {
  await inbound(ctx, psid, 'hello', Date.now() - hoursAgo * HOUR);
  await ctx.deps.queue.kick();
  return conversationOf(ctx, psid);
}

export async function setLastInbound(ctx: Ctx, conversationId: number, at: number): Promise<void> {
  await ctx.deps.db.run('UPDATE conversations SET last_inbound_at = ? WHERE id = ?', [at, conversationId]);
}

/** A reply through the outbox, as the inbox sends it (without kicking: the test decides when it goes). */
export function queue(ctx: Ctx, conversationId: number, text: string, extra: Partial<Reply> = {}) {
  return ctx.deps.outbox.queue({ conversationId, text, sentBy: 'user', ...extra });
}

export interface MessageRow {
  id: number;
  mid: string | null;
  direction: string;
  kind: string;
  text: string | null;
  status: string;
  sent_by: string;
  error_code: string | null;
  error_message: string | null;
  created_at: number;
  reaction: string | null;
  quick_reply: string | null;
  reply_to_mid: string | null;
  metadata: string | null;
  edited_at: number | null;
}

export function messages(ctx: Ctx, conversationId?: number): Promise<MessageRow[]> {
  return conversationId === undefined
    ? ctx.deps.db.all<MessageRow>('SELECT * FROM messages ORDER BY created_at, id')
    : ctx.deps.db.all<MessageRow>('SELECT * FROM messages WHERE conversation_id = ? ORDER BY created_at, id', [conversationId]);
}

export async function message(ctx: Ctx, id: number): Promise<MessageRow> {
  return (await ctx.deps.db.get<MessageRow>('SELECT * FROM messages WHERE id = ?', [id]))!;
}

export async function outboxOf(ctx: Ctx, messageId: number) {
  return (await ctx.deps.db.get<{
    state: string;
    attempts: number;
    next_attempt_at: number;
    parts_sent: number;
    parts_total: number;
    last_error: string | null;
  }>('SELECT state, attempts, next_attempt_at, parts_sent, parts_total, last_error FROM outbox WHERE message_id = ?', [
    messageId,
  ]))!;
}

export async function count(ctx: Ctx, table: string): Promise<number> {
  return (await ctx.deps.db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n;
}

/** An API token's Authorization header value. */
export async function bearer(ctx: Ctx, role: 'owner' | 'staff' = 'staff'): Promise<string> {
  return `Bearer ${(await createApiToken(ctx.deps.db, { name: 'tests', role })).token}`;
}

/** Makes the next pass pick up a retry now instead of after its backoff. */
export async function dueNow(ctx: Ctx): Promise<void> {
  await ctx.deps.db.run("UPDATE outbox SET next_attempt_at = 0 WHERE state = 'pending'");
  await ctx.deps.db.run("UPDATE jobs SET run_at = 0 WHERE state = 'pending'");
}

/** Graph parameters of the fake's recorded sends, in order. */
export function sentTexts(fake: FakeGraph): string[] {
  return fake.sends().map((c) => c.params.message?.text);
}
