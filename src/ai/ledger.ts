// The ledger of calls to the AI provider (the only writer of ai_calls): one row per call with its
// purpose, provider, model, token counts, duration and outcome, never content. The daily caps
// count from it, Settings → AI shows it per day, and a run of failures pauses the AI. Each call is
// also written to the audit log (what, with whom, how much; no content).
import type { Queryable } from '../core/db';
import { audit } from '../privacy/audit';
import type { Caps } from './settings';

export type Purpose = 'reply' | 'suggest' | 'improve' | 'shorten' | 'translate' | 'summarize' | 'test';

export interface Call {
  conversationId?: number;
  purpose: Purpose;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  ms: number;
  ok: boolean;
  error?: string;
}

/** The local date (the process follows TZ) the caps count by: "2026-11-29". */
export function dayOf(at = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`;
}

export async function recordCall(db: Queryable, call: Call, actor = 'ai'): Promise<void> {
  const now = Date.now();
  await db.run(
    `INSERT INTO ai_calls (at, day, conversation_id, purpose, provider, model, input_tokens, output_tokens, ms, ok, error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      now,
      dayOf(new Date(now)),
      call.conversationId ?? null,
      call.purpose,
      call.provider,
      call.model,
      call.inputTokens,
      call.outputTokens,
      call.ms,
      call.ok ? 1 : 0,
      call.error?.slice(0, 300) ?? null,
    ],
  );
  await audit(db, {
    actor,
    action: call.ok ? 'ai.call' : 'ai.call_failed',
    target: call.conversationId ? `conversation:${call.conversationId}` : undefined,
    detail: {
      purpose: call.purpose,
      provider: call.provider,
      model: call.model,
      input_tokens: call.inputTokens,
      output_tokens: call.outputTokens,
      ms: call.ms,
    },
  });
}

interface Usage {
  requests: number;
  tokens: number;
}

async function usage(db: Queryable, day: string, conversationId?: number): Promise<Usage> {
  const row = await db.get<Usage>(
    `SELECT COUNT(*) AS requests, COALESCE(SUM(input_tokens + output_tokens), 0) AS tokens FROM ai_calls
     WHERE day = ? ${conversationId === undefined ? '' : 'AND conversation_id = ?'}`,
    conversationId === undefined ? [day] : [day, conversationId],
  );
  return row ?? { requests: 0, tokens: 0 };
}

/** Which daily cap a call would pass, if any (the install's, then the conversation's), as a sentence. */
export async function capReached(db: Queryable, caps: Caps, conversationId?: number): Promise<string | undefined> {
  const day = dayOf();
  const all = await usage(db, day);
  if (all.requests >= caps.requestsPerDay) return `The AI reached today's limit of ${caps.requestsPerDay} calls.`;
  if (all.tokens >= caps.tokensPerDay) return `The AI reached today's limit of ${caps.tokensPerDay} tokens.`;
  if (conversationId === undefined) return undefined;
  const one = await usage(db, day, conversationId);
  if (one.requests >= caps.conversationRequestsPerDay)
    return `The AI reached today's limit of ${caps.conversationRequestsPerDay} calls for this conversation.`;
  if (one.tokens >= caps.conversationTokensPerDay)
    return `The AI reached today's limit of ${caps.conversationTokensPerDay} tokens for this conversation.`;
  return undefined;
}

/** Failed calls since the last one that worked. */
export async function failuresInARow(db: Queryable): Promise<number> {
  const row = await db.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM ai_calls WHERE ok = 0 AND id > COALESCE((SELECT MAX(id) FROM ai_calls WHERE ok = 1), 0)',
  );
  return row?.n ?? 0;
}

export interface DayUsage {
  day: string;
  calls: number;
  failures: number;
  input_tokens: number;
  output_tokens: number;
}

/** Calls, failures and tokens per day, newest first (Settings → AI). */
export async function usageByDay(db: Queryable, days = 14): Promise<DayUsage[]> {
  return db.all<DayUsage>(
    `SELECT day, COUNT(*) AS calls, SUM(ok = 0) AS failures, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens
     FROM ai_calls GROUP BY day ORDER BY day DESC LIMIT ?`,
    [days],
  );
}
