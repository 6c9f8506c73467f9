// What the inbox shows of the AI in a conversation: in the composer, the AI bar (suggest, the
// helpers) when the AI may help there, a waiting draft, or why it may not help; in the header, the
// per-conversation mode and "Hand back to AI" while the AI is on. Plain view-models for the page
// (inbox/page.ts) and the live stream (inbox/live.ts); the routes are in conversation-routes.ts.
import type { Queryable } from '../core/db';
import { AI_REPLIES_SETTING, type AiMode } from '../conversations/ai-replies';
import type { Assistant } from './assistant';
import { draftOf, type Draft } from './drafts';
import { usable } from './settings';

export interface ComposerAi {
  /** Whether the AI bar (Suggest a reply, Improve, Shorten, Translate, Summarize) is shown. */
  bar: boolean;
  /** Why the AI may not help here although it is set up (paused, this person, off here). */
  unavailable?: string;
  /** A suggested reply waiting in this conversation. */
  draft?: Draft;
}

/** The AI in the composer of conversation `c`. */
export async function composerAi(
  assistant: Assistant,
  db: Queryable,
  c: { id: number; ai_mode: AiMode | null; no_ai: number },
): Promise<ComposerAi> {
  const s = await assistant.settings();
  if (!usable(s)) return { bar: false };
  const unavailable = s.paused
    ? `AI is paused: ${s.paused.reason}`
    : c.no_ai
      ? 'No AI for this person (their contact page has the switch).'
      : c.ai_mode === 'off'
        ? 'AI is off in this conversation.'
        : !c.ai_mode && s.mode === 'off'
          ? 'AI is off (Settings → AI).'
          : undefined;
  return { bar: !unavailable, unavailable, draft: await draftOf(db, c.id) };
}

export interface AiInstall {
  /** A provider is set up and the AI is not paused. */
  on: boolean;
  /** The install's mode (Settings → AI), which a conversation follows unless it has its own. */
  mode: AiMode;
}

/**
 * Whether the AI is on, read from the row the assistant keeps true to its settings (ai/settings.ts):
 * one lookup, so the live stream can ask it for every change without the assistant.
 */
export async function aiInstall(db: Queryable): Promise<AiInstall> {
  const row = await db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [AI_REPLIES_SETTING]);
  if (!row) return { on: false, mode: 'off' };
  try {
    const { mode } = JSON.parse(row.value) as { mode?: AiMode };
    return { on: true, mode: mode === 'auto' || mode === 'suggest' ? mode : 'off' };
  } catch {
    return { on: false, mode: 'off' };
  }
}
