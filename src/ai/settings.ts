// The AI's settings: Settings → AI saves them in the (encrypted) database; the environment wins
// where it sets a value (AI_PROVIDER, AI_MODE, AI_MODEL, the providers' keys and base URLs).
// From them comes the row the webhook's transaction reads to queue an answer (`ai.replies`,
// conversations/ai-replies.ts): present only while a provider is usable and AI is not paused.
import type { Config } from '../config';
import type { Queryable } from '../core/db';
import { AI_REPLIES_SETTING, type AiMode } from '../conversations/ai-replies';
import { deleteSetting, getSettings, setSetting } from '../settings/store';
import { ANTHROPIC_DEFAULT_MODEL } from './providers/anthropic';
import { OPENAI_DEFAULT_MODEL } from './providers/openai';

export type ProviderName = 'openai' | 'anthropic' | 'none';
export type HandoffTo = 'nobody' | 'least-busy' | `user:${number}`;

export interface BusinessHours {
  /** 0 = Sunday … 6 = Saturday, in TZ. */
  days: number[];
  /** "09:00" */
  open: string;
  close: string;
}

export interface Caps {
  requestsPerDay: number;
  tokensPerDay: number;
  conversationRequestsPerDay: number;
  conversationTokensPerDay: number;
}

export interface AiSettings {
  provider: ProviderName;
  mode: AiMode;
  model: string;
  apiKey?: string;
  baseUrl?: string;
  /** Which values the environment set (the page shows them, read-only). */
  fromEnv: { provider: boolean; mode: boolean; model: boolean; apiKey: boolean; baseUrl: boolean };
  /** In auto mode, answer on its own only outside business hours (within them: drafts). */
  autoOutsideHoursOnly: boolean;
  hours: BusinessHours;
  /** Say that the first automatic reply in a conversation comes from an automated assistant. */
  disclose: boolean;
  disclosure: string;
  /** Whether the prompt may hold the customer's first name. */
  useFirstName: boolean;
  handoffTo: HandoffTo;
  caps: Caps;
  timeoutMs: number;
  debounceMs: number;
  paused?: { at: number; reason: string };
}

export const DEFAULT_CAPS: Caps = {
  requestsPerDay: 500,
  tokensPerDay: 1_000_000,
  conversationRequestsPerDay: 30,
  conversationTokensPerDay: 60_000,
};
export const DEFAULT_HOURS: BusinessHours = { days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' };
export const DEFAULT_DISCLOSURE = 'Hi! This is an automated assistant. A person from our team can take over at any time.';
const DEFAULT_TIMEOUT_MS = 30_000;

export function defaultModel(provider: ProviderName): string {
  return provider === 'anthropic' ? ANTHROPIC_DEFAULT_MODEL : provider === 'openai' ? OPENAI_DEFAULT_MODEL : '';
}

function json<T>(value: string | undefined, fallback: T): T {
  if (value === undefined) return fallback;
  try {
    return { ...fallback, ...(JSON.parse(value) as T) };
  } catch {
    return fallback;
  }
}

/** The settings in force: the environment's values over the saved ones over the defaults. */
export async function loadAiSettings(db: Queryable, config: Config): Promise<AiSettings> {
  return aiSettingsFrom(await getSettings(db, 'ai.'), config);
}

/** The same from saved rows already read ({} when the database is not at hand: the doctor). */
export function aiSettingsFrom(s: Record<string, string>, config: Config): AiSettings {
  const env = config.ai;
  const provider: ProviderName = env.fromEnv.provider
    ? env.provider
    : ((['openai', 'anthropic', 'none'] as const).find((p) => p === s['ai.provider']) ?? 'none');
  const savedMode = (['off', 'suggest', 'auto'] as const).find((m) => m === s['ai.mode']);
  const mode: AiMode = provider === 'none' ? 'off' : env.fromEnv.mode ? env.mode : (savedMode ?? 'suggest');
  const envKey = provider === 'openai' ? env.openaiApiKey : provider === 'anthropic' ? env.anthropicApiKey : undefined;
  const envBase = provider === 'openai' ? env.openaiBaseUrl : provider === 'anthropic' ? env.anthropicBaseUrl : undefined;
  const paused = json<{ at: number; reason: string } | undefined>(s['ai.paused'], undefined);
  return {
    provider,
    mode,
    model: (env.fromEnv.model ? env.model : s['ai.model']) || defaultModel(provider),
    apiKey: envKey ?? (s['ai.api_key'] || undefined),
    baseUrl: envBase ?? (s['ai.base_url'] || undefined),
    fromEnv: {
      provider: env.fromEnv.provider,
      mode: env.fromEnv.mode,
      model: env.fromEnv.model,
      apiKey: envKey !== undefined,
      baseUrl: envBase !== undefined,
    },
    autoOutsideHoursOnly: s['ai.auto_outside_hours'] === '1',
    hours: json(s['ai.hours'], DEFAULT_HOURS),
    disclose: s['ai.disclose'] !== '0',
    disclosure: s['ai.disclosure'] || DEFAULT_DISCLOSURE,
    useFirstName: s['ai.first_name'] === '1',
    handoffTo: (s['ai.handoff_to'] as HandoffTo | undefined) ?? 'least-busy',
    caps: json(s['ai.caps'], DEFAULT_CAPS),
    timeoutMs: Number(s['ai.timeout_ms']) > 0 ? Number(s['ai.timeout_ms']) : DEFAULT_TIMEOUT_MS,
    debounceMs: config.ai.debounceMs,
    paused: paused && typeof paused.at === 'number' ? paused : undefined,
  };
}

/** Whether a provider is set up well enough to call (a key, or an OpenAI-compatible local server). */
export function usable(s: AiSettings): boolean {
  if (s.provider === 'none') return false;
  return Boolean(s.apiKey) || (s.provider === 'openai' && Boolean(s.baseUrl));
}

/**
 * What Settings → AI saves: the settings the page edits, with provider, mode, model, key and base
 * URL optional (values the environment sets are not touched; a key left undefined keeps the stored
 * one, '' removes it).
 */
export type SavedAiSettings = Partial<Pick<AiSettings, 'provider' | 'mode' | 'model' | 'apiKey' | 'baseUrl'>> &
  Pick<
    AiSettings,
    'autoOutsideHoursOnly' | 'hours' | 'disclose' | 'disclosure' | 'useFirstName' | 'handoffTo' | 'caps' | 'timeoutMs'
  >;

export async function saveAiSettings(db: Queryable, saved: SavedAiSettings): Promise<void> {
  const put = (key: string, value: string | undefined) =>
    value === undefined ? Promise.resolve() : value === '' ? deleteSetting(db, key) : setSetting(db, key, value);
  await put('ai.provider', saved.provider);
  await put('ai.mode', saved.mode);
  await put('ai.model', saved.model);
  await put('ai.api_key', saved.apiKey);
  await put('ai.base_url', saved.baseUrl);
  await setSetting(db, 'ai.auto_outside_hours', saved.autoOutsideHoursOnly ? '1' : '0');
  await setSetting(db, 'ai.hours', JSON.stringify(saved.hours));
  await setSetting(db, 'ai.disclose', saved.disclose ? '1' : '0');
  await setSetting(db, 'ai.disclosure', saved.disclosure);
  await setSetting(db, 'ai.first_name', saved.useFirstName ? '1' : '0');
  await setSetting(db, 'ai.handoff_to', saved.handoffTo);
  await setSetting(db, 'ai.caps', JSON.stringify(saved.caps));
  await setSetting(db, 'ai.timeout_ms', String(saved.timeoutMs));
}

export async function setPaused(db: Queryable, paused: { at: number; reason: string } | undefined): Promise<void> {
  if (paused) await setSetting(db, 'ai.paused', JSON.stringify(paused));
  else await deleteSetting(db, 'ai.paused');
}

/** Keeps the row the webhook reads (conversations/ai-replies.ts) true to these settings. */
export async function syncRepliesSetting(db: Queryable, s: AiSettings): Promise<void> {
  if (usable(s) && !s.paused)
    await setSetting(db, AI_REPLIES_SETTING, JSON.stringify({ mode: s.mode, debounceMs: s.debounceMs }));
  else await deleteSetting(db, AI_REPLIES_SETTING);
}

/** Whether `at` falls within business hours (in the process's time zone, which follows TZ). */
export function withinHours(hours: BusinessHours, at = new Date()): boolean {
  if (!hours.days.includes(at.getDay())) return false;
  const minutes = at.getHours() * 60 + at.getMinutes();
  const toMinutes = (hhmm: string) => {
    const [h, m] = hhmm.split(':').map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  };
  return minutes >= toMinutes(hours.open) && minutes < toMinutes(hours.close);
}
