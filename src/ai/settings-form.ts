// Settings → AI's form: what its fields show (the settings in force, or what the owner typed when a
// save was refused) and the checks a save passes first. Every problem is keyed by the field's name
// so the form shows it in place; with any problem nothing is saved. Values the environment sets are
// shown read-only and never read from the form.
import type { AiMode } from '../conversations/ai-state';
import type { AiSettings, Caps, HandoffTo, ProviderName, SavedAiSettings } from './settings';

/** The caps' fields, their labels and their upper bounds (a cap is at least 1). */
export const CAP_FIELDS: { key: keyof Caps; name: string; label: string; max: number }[] = [
  { key: 'requestsPerDay', name: 'cap_requests', label: 'Requests per day (whole install)', max: 100_000 },
  { key: 'tokensPerDay', name: 'cap_tokens', label: 'Tokens per day (whole install)', max: 100_000_000 },
  {
    key: 'conversationRequestsPerDay',
    name: 'cap_conversation_requests',
    label: 'Requests per day (one conversation)',
    max: 10_000,
  },
  {
    key: 'conversationTokensPerDay',
    name: 'cap_conversation_tokens',
    label: 'Tokens per day (one conversation)',
    max: 10_000_000,
  },
];
export const TIMEOUT_SECONDS = { min: 5, max: 120 };
export const MAX_DISCLOSURE = 300;

/** What the fields hold: text as typed, so a refused form shows exactly what was sent. */
export interface AiForm {
  provider: string;
  mode: string;
  model: string;
  baseUrl: string;
  autoOutsideHoursOnly: boolean;
  days: number[];
  open: string;
  close: string;
  disclose: boolean;
  disclosure: string;
  useFirstName: boolean;
  handoffTo: string;
  timeoutSeconds: string;
  caps: Record<keyof Caps, string>;
}

/** The form filled from the settings in force; `storedModel` is the model saved here (blank: the default). */
export function formOf(s: AiSettings, storedModel: string): AiForm {
  return {
    provider: s.provider,
    mode: s.mode,
    model: s.fromEnv.model ? s.model : storedModel,
    baseUrl: s.baseUrl ?? '',
    autoOutsideHoursOnly: s.autoOutsideHoursOnly,
    days: s.hours.days,
    open: s.hours.open,
    close: s.hours.close,
    disclose: s.disclose,
    disclosure: s.disclosure,
    useFirstName: s.useFirstName,
    handoffTo: s.handoffTo,
    timeoutSeconds: String(Math.round(s.timeoutMs / 1000)),
    caps: Object.fromEntries(CAP_FIELDS.map((c) => [c.key, String(s.caps[c.key])])) as Record<keyof Caps, string>,
  };
}

const PROVIDERS: ProviderName[] = ['none', 'openai', 'anthropic'];
const MODES: AiMode[] = ['off', 'suggest', 'auto'];
const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const MODEL = /^[\w.:/@+-]{1,100}$/;
const KEY = /^[\x21-\x7e]{1,500}$/;

function wholeNumber(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,12}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

function httpUrl(text: string): string | undefined {
  if (text.length > 300) return undefined;
  try {
    const url = new URL(text);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) return undefined;
    return url.toString().replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

export interface ParsedAiForm {
  form: AiForm;
  problems: Record<string, string>;
  /** What to save, when there is no problem. */
  saved?: SavedAiSettings;
}

/**
 * Reads and checks the posted form against the settings in force (`current`: which fields the
 * environment sets) and the people a handoff may go to.
 */
export function parseAiForm(body: Record<string, unknown>, current: AiSettings, activeUserIds: number[]): ParsedAiForm {
  const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
  const checked = (name: string) => body[name] === 'on';
  const rawDays = body.days === undefined ? [] : Array.isArray(body.days) ? (body.days as unknown[]) : [body.days];
  const problems: Record<string, string> = {};
  const env = current.fromEnv;

  const form: AiForm = {
    provider: env.provider ? current.provider : text('provider'),
    mode: env.mode ? current.mode : text('mode'),
    model: env.model ? current.model : text('model'),
    baseUrl: env.baseUrl ? (current.baseUrl ?? '') : text('base_url'),
    autoOutsideHoursOnly: checked('auto_outside_hours'),
    days: rawDays.filter((d): d is string => typeof d === 'string' && /^[0-6]$/.test(d)).map(Number),
    open: text('open'),
    close: text('close'),
    disclose: checked('disclose'),
    disclosure: typeof body.disclosure === 'string' ? body.disclosure.trim() : '',
    useFirstName: checked('first_name'),
    handoffTo: text('handoff_to'),
    timeoutSeconds: text('timeout_s'),
    caps: Object.fromEntries(CAP_FIELDS.map((c) => [c.key, text(c.name)])) as Record<keyof Caps, string>,
  };

  const provider = PROVIDERS.find((p) => p === form.provider);
  if (!provider) problems.provider = 'Provider: choose none, OpenAI or Anthropic.';
  const mode = MODES.find((m) => m === form.mode);
  if (!mode) problems.mode = 'Mode: choose off, suggest or auto.';
  if (!env.model && form.model && !MODEL.test(form.model))
    problems.model = 'Model: a model name without spaces, up to 100 characters (for example gpt-5-mini).';

  let apiKey: string | undefined;
  if (!env.apiKey) {
    const typed = text('api_key');
    if (typed && !KEY.test(typed)) problems.api_key = 'API key: paste the key alone, without spaces (up to 500 characters).';
    else apiKey = typed || (checked('remove_key') ? '' : undefined);
  }
  let baseUrl: string | undefined;
  if (!env.baseUrl) {
    baseUrl = form.baseUrl ? httpUrl(form.baseUrl) : '';
    if (baseUrl === undefined)
      problems.base_url = 'Base URL: an http or https address, like http://localhost:11434/v1 for Ollama.';
  }

  if (rawDays.length !== form.days.length) problems.days = 'Business days: choose days from the list.';
  else if (form.autoOutsideHoursOnly && form.days.length === 0)
    problems.days = 'Business days: choose at least one day, or untick “auto only outside business hours”.';
  if (!TIME.test(form.open)) problems.open = 'Opening time: a time like 09:00.';
  if (!TIME.test(form.close)) problems.close = 'Closing time: a time like 18:00.';
  else if (TIME.test(form.open) && form.close <= form.open) problems.close = 'Closing time: later than the opening time.';

  if (form.disclose && !form.disclosure)
    problems.disclosure = 'Disclosure: write the sentence the first automatic reply starts with, or untick the box.';
  else if (form.disclosure.length > MAX_DISCLOSURE)
    problems.disclosure = `Disclosure: keep it under ${MAX_DISCLOSURE} characters.`;

  const handoffTo = handoff(form.handoffTo, activeUserIds);
  if (!handoffTo) problems.handoff_to = 'Hand over to: choose nobody, the least busy person, or one of the active users.';
  const timeout = wholeNumber(form.timeoutSeconds, TIMEOUT_SECONDS.min, TIMEOUT_SECONDS.max);
  if (timeout === undefined)
    problems.timeout_s = `Timeout: a whole number of seconds from ${TIMEOUT_SECONDS.min} to ${TIMEOUT_SECONDS.max}.`;

  const caps = {} as Caps;
  for (const c of CAP_FIELDS) {
    const n = wholeNumber(form.caps[c.key], 1, c.max);
    if (n === undefined) problems[c.name] = `${c.label}: a whole number from 1 to ${c.max.toLocaleString('en')}.`;
    else caps[c.key] = n;
  }

  if (Object.keys(problems).length || !provider || !mode || !handoffTo || timeout === undefined) return { form, problems };
  return {
    form,
    problems,
    saved: {
      provider: env.provider ? undefined : provider,
      mode: env.mode ? undefined : mode,
      model: env.model ? undefined : form.model,
      apiKey,
      baseUrl,
      autoOutsideHoursOnly: form.autoOutsideHoursOnly,
      hours: { days: [...new Set(form.days)].sort((a, b) => a - b), open: form.open, close: form.close },
      disclose: form.disclose,
      // Blank (allowed while the disclosure is off): the sentence stays what it was.
      disclosure: form.disclosure || current.disclosure,
      useFirstName: form.useFirstName,
      handoffTo,
      caps,
      timeoutMs: timeout * 1000,
    },
  };
}

function handoff(value: string, activeUserIds: number[]): HandoffTo | undefined {
  if (value === 'nobody' || value === 'least-busy') return value;
  const user = /^user:(\d{1,12})$/.exec(value);
  return user && activeUserIds.includes(Number(user[1])) ? `user:${Number(user[1])}` : undefined;
}

/** The names of the settings a save changes (for the audit log; never a value, never the key). */
export function changedFields(before: AiSettings, storedModel: string, saved: SavedAiSettings): string[] {
  const changed: string[] = [];
  const differs = (name: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) changed.push(name);
  };
  if (saved.provider !== undefined) differs('provider', before.provider, saved.provider);
  if (saved.mode !== undefined) differs('mode', before.mode, saved.mode);
  if (saved.model !== undefined) differs('model', storedModel, saved.model);
  if (saved.apiKey !== undefined) differs('api_key', before.apiKey ?? '', saved.apiKey);
  if (saved.baseUrl !== undefined) differs('base_url', before.baseUrl ?? '', saved.baseUrl);
  differs('auto_outside_hours', before.autoOutsideHoursOnly, saved.autoOutsideHoursOnly);
  differs('hours', before.hours, saved.hours);
  differs('disclose', before.disclose, saved.disclose);
  differs('disclosure', before.disclosure, saved.disclosure);
  differs('first_name', before.useFirstName, saved.useFirstName);
  differs('handoff_to', before.handoffTo, saved.handoffTo);
  differs('caps', before.caps, saved.caps);
  differs('timeout', before.timeoutMs, saved.timeoutMs);
  return changed;
}
