// What the model is told, and how its answer is read. A prompt holds only this conversation's recent
// messages (their text; files as a word in brackets) and the retrieved knowledge: never the PSID,
// never another customer's data, the first name only when the owner allows it. The model answers
// with one JSON object {reply, needs_person, reason}; anything else counts as "hand over".
import type { Queryable } from '../core/db';
import type { KnowledgeEntry } from './knowledge';
import type { Turn } from './providers/provider';

/** Messages of the conversation a prompt holds, newest last. */
const HISTORY = 12;
/** Characters of one message a prompt holds. */
const MESSAGE_CHARS = 1500;
export const MAX_REPLY_CHARS = 1800;

export interface HistoryMessage {
  id: number;
  direction: 'in' | 'out';
  text: string | null;
  attachment: string | null;
}

/** The conversation's last messages (no notes), oldest first. */
export async function recentMessages(db: Queryable, conversationId: number, limit = HISTORY): Promise<HistoryMessage[]> {
  const rows = await db.all<HistoryMessage>(
    `SELECT m.id, m.direction, m.text,
       (SELECT a.type FROM attachments a WHERE a.message_id = m.id ORDER BY a.id LIMIT 1) AS attachment
     FROM messages m WHERE m.conversation_id = ? AND m.kind IN ('message', 'postback') AND m.status != 'failed'
     ORDER BY m.id DESC LIMIT ?`,
    [conversationId, limit],
  );
  return rows.reverse();
}

/** The conversation as alternating turns, starting with the customer's (Anthropic requires it). */
export function turns(history: HistoryMessage[]): Turn[] {
  const out: Turn[] = [];
  for (const m of history) {
    const role = m.direction === 'in' ? 'user' : 'assistant';
    const parts = [m.text?.slice(0, MESSAGE_CHARS), m.attachment ? `[${m.attachment}]` : undefined].filter(Boolean);
    const content = parts.join(' ').trim();
    if (!content) continue;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content += `\n${content}`;
    else out.push({ role, content });
  }
  while (out[0]?.role === 'assistant') out.shift();
  return out;
}

export interface PromptContext {
  businessName: string;
  knowledge: KnowledgeEntry[];
  firstName?: string;
}

export function systemPrompt(ctx: PromptContext): string {
  const business = ctx.businessName || 'the business';
  const knowledge = ctx.knowledge.length
    ? ctx.knowledge.map((k) => `### ${k.title}\n${k.body}`).join('\n\n')
    : '(nothing matches this conversation)';
  return [
    `You answer Facebook Messenger messages from customers of ${business}, on its behalf.`,
    "Answer in the customer's language, briefly and kindly, as plain text (no Markdown), in at most 600 characters.",
    'Use only the business knowledge below. When the answer is not there, when you are unsure, when the customer wants a person,',
    'or when the request needs a decision by staff (refunds, complaints, exceptions), do not guess: hand over to a person.',
    'Never promise anything the knowledge does not state. Never ask for passwords or payment card numbers.',
    ctx.firstName ? `The customer's first name is ${ctx.firstName}.` : '',
    '',
    'Answer with one JSON object and nothing else:',
    '{"reply": "<your message to the customer, or empty>", "needs_person": <true or false>, "reason": "<why a person is needed, else empty>"}',
    '',
    'Business knowledge:',
    knowledge,
  ]
    .filter((line) => line !== '')
    .join('\n');
}

export type ParsedAnswer = { ok: true; reply: string; needsPerson: boolean; reason: string } | { ok: false; reason: string };

/** Reads the model's JSON answer; tolerates a code fence or words around the object. */
export function parseAnswer(text: string): ParsedAnswer {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, reason: 'The AI gave an empty answer.' };
  const start = trimmed.indexOf('{');
  const end = trimmed.lastIndexOf('}');
  if (start < 0 || end <= start) return { ok: false, reason: 'The AI answered in an unexpected form.' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed.slice(start, end + 1));
  } catch {
    return { ok: false, reason: 'The AI answered in an unexpected form.' };
  }
  const v = value as { reply?: unknown; needs_person?: unknown; reason?: unknown };
  if (typeof v !== 'object' || v === null || typeof v.reply !== 'string' || typeof v.needs_person !== 'boolean')
    return { ok: false, reason: 'The AI answered in an unexpected form.' };
  const reply = v.reply.trim().slice(0, MAX_REPLY_CHARS);
  const reason = typeof v.reason === 'string' ? v.reason.trim().replace(/\s+/g, ' ').slice(0, 300) : '';
  if (!v.needs_person && !reply) return { ok: false, reason: 'The AI gave an empty answer.' };
  return { ok: true, reply, needsPerson: v.needs_person, reason };
}

/** The customer asks for a person in words (in a few languages): hand over without asking the model. */
const ASKS_FOR_PERSON =
  /\b(real|actual|live)\s+(person|human|agent)\b|\b(talk|speak|chat)\s+(to|with)\s+(a\s+)?(person|human|someone|agent|staff|manager)\b|\bhuman\s+(please|agent)\b|\bagente\s+humano\b|\bpersona\s+real\b|\bhablar\s+con\s+(una\s+persona|alguien)\b|\bfalar\s+com\s+(uma\s+pessoa|algu[eé]m|atendente)\b|\bmit\s+einem\s+menschen\b|\bparler\s+[àa]\s+(un|une)\s+(humain|personne|conseill[eè]re?)\b/i;

export function asksForPerson(text: string): boolean {
  return ASKS_FOR_PERSON.test(text);
}

/** Prompts for the composer's helpers; the answer is plain text. */
export function helperPrompt(kind: 'improve' | 'shorten' | 'translate' | 'summarize', businessName: string): string {
  const business = businessName || 'a small business';
  switch (kind) {
    case 'improve':
      return `You polish a draft reply that staff of ${business} will send to a customer on Messenger. Fix spelling and grammar, keep the meaning, the language and the facts, keep it friendly and short. Answer with the improved reply only.`;
    case 'shorten':
      return `You shorten a draft reply that staff of ${business} will send to a customer on Messenger. Keep every fact and the language; make it as short as it can be while staying polite. Answer with the shorter reply only.`;
    case 'translate':
      return `You translate a draft reply that staff of ${business} will send to a customer on Messenger into the language the customer writes in (shown in the conversation). Keep the meaning and tone. Answer with the translated reply only.`;
    case 'summarize':
      return `You summarize a Messenger conversation between a customer and ${business} for a colleague taking over: who wants what, what was promised, what is still open. At most five short lines, plain text, in English.`;
  }
}
