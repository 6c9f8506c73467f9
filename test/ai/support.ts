// Shared setup for the AI tests: a ChatX whose Page talks to the fake Graph API and whose AI talks to
// a fake OpenAI or Anthropic server (real HTTP, so the real SDKs run), with small waiting helpers.
import { addKnowledge } from '../../src/ai/knowledge';
import { createUser } from '../../src/auth/users';
import { startAnthropicFake, startOpenAiFake, type AiFake } from '../fakes/ai';
import type { FakeGraph } from '../fakes/graph';
import { liveEnv, openContext, startFake, type Ctx } from '../messenger/support';

export const AI_KEY = 'sk-test-0123456789';

export interface AiCtx {
  ctx: Ctx;
  graph: FakeGraph;
  ai: AiFake;
  close(): Promise<void>;
}

export type ProviderName = 'openai' | 'anthropic';

/** A ChatX with AI on (`mode`), its provider a fake; the webhook then queues AI answers. */
export async function aiContext(
  provider: ProviderName,
  options: { mode?: 'auto' | 'suggest'; debounceMs?: number; env?: Record<string, string>; dataDir?: string } = {},
): Promise<AiCtx> {
  const ai = provider === 'openai' ? await startOpenAiFake({ apiKey: AI_KEY }) : await startAnthropicFake({ apiKey: AI_KEY });
  const graph = await startFake();
  const providerEnv: Record<string, string> =
    provider === 'openai'
      ? { OPENAI_API_KEY: AI_KEY, OPENAI_BASE_URL: ai.url }
      : { ANTHROPIC_API_KEY: AI_KEY, ANTHROPIC_BASE_URL: ai.url };
  const ctx = await openContext(
    liveEnv(graph, {
      AI_PROVIDER: provider,
      AI_MODE: options.mode ?? 'auto',
      AI_DEBOUNCE_MS: String(options.debounceMs ?? 0),
      ...providerEnv,
      ...options.env,
    }),
    options.dataDir,
  );
  await ctx.deps.assistant.start();
  return {
    ctx,
    graph,
    ai,
    async close() {
      await ctx.close();
      await graph.close();
      await ai.close();
    },
  };
}

/** Waits until `check` holds (polling), or fails after `ms`. */
export async function until(check: () => Promise<boolean> | boolean, ms = 8000, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Lets the queue and the outbox run what is due now. */
export async function drain(ctx: Ctx): Promise<void> {
  await ctx.deps.queue.kick();
  await ctx.deps.outbox.kick();
}

export async function jobsOf(
  ctx: Ctx,
  state?: string,
): Promise<{ state: string; attempts: number; last_error: string | null }[]> {
  return ctx.deps.db.all(
    `SELECT state, attempts, last_error FROM jobs WHERE kind = 'ai.reply' ${state ? 'AND state = ?' : ''}`,
    state ? [state] : [],
  );
}

export async function standing(
  ctx: Ctx,
  conversationId: number,
): Promise<{ ai_state: string; ai_reason: string | null; assignee_id: number | null; ai_through: number | null }> {
  return (await ctx.deps.db.get('SELECT ai_state, ai_reason, assignee_id, ai_through FROM conversations WHERE id = ?', [
    conversationId,
  ]))!;
}

export async function outgoing(ctx: Ctx, conversationId: number): Promise<{ text: string; sent_by: string; status: string }[]> {
  return ctx.deps.db.all(
    "SELECT text, sent_by, status FROM messages WHERE conversation_id = ? AND direction = 'out' ORDER BY id",
    [conversationId],
  );
}

export async function knowledge(ctx: Ctx, title: string, body: string, always = false): Promise<void> {
  await addKnowledge(ctx.deps.db, { title, body, always });
}

export const answer = (reply: string, needsPerson = false, reason = '') =>
  JSON.stringify({ reply, needs_person: needsPerson, reason });

/** A staff member (created once per context): the one a handoff is assigned to when alone. */
export async function staffId(t: AiCtx): Promise<number> {
  const known = await t.ctx.deps.db.get<{ id: number }>("SELECT id FROM users WHERE email = 'maria@example.com'");
  if (known) return known.id;
  return (
    await createUser(t.ctx.deps.db, {
      email: 'maria@example.com',
      name: 'Maria',
      role: 'staff',
      password: 'a long enough password',
    })
  ).id;
}
