// What ChatX asks of a language model, whoever serves it: one call with a system text and the
// conversation's turns, answered with text and token counts. One file per provider (openai.ts,
// anthropic.ts) behind this interface; docs/ai.md has the wire facts they rely on.

export interface Turn {
  role: 'user' | 'assistant';
  content: string;
}

export interface Completion {
  system: string;
  turns: Turn[];
  maxTokens: number;
  /** Aborts the call (ChatX stopping). */
  signal?: AbortSignal;
  /** How long to wait for the answer. */
  timeoutMs: number;
}

export interface Answer {
  text: string;
  inputTokens: number;
  outputTokens: number;
  /** The model declined (OpenAI's `refusal`, Anthropic's stop_reason "refusal"). */
  refused: boolean;
}

export interface Provider {
  readonly name: 'openai' | 'anthropic';
  readonly model: string;
  complete(request: Completion): Promise<Answer>;
}

/**
 * A call that did not give an answer. `retryable` for what may pass (429, 408, 409, 5xx, a timeout,
 * no connection), with the provider's own `retryAfterMs` when it said; else a problem a retry will
 * not fix (a wrong key, an unknown model).
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

interface SdkError {
  status?: number;
  headers?: Headers | Record<string, string | null | undefined>;
  message: string;
  name: string;
}

function header(headers: SdkError['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string | undefined>)[name] ?? undefined;
}

/** When the provider asked to wait: retry-after-ms, else retry-after in seconds (0–60 s, as the SDKs honour). */
export function retryAfterMs(headers: SdkError['headers']): number | undefined {
  const ms = Number(header(headers, 'retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0 && header(headers, 'retry-after-ms') !== undefined) return ms;
  const s = Number(header(headers, 'retry-after'));
  if (Number.isFinite(s) && s >= 0 && s <= 60) return s * 1000;
  return undefined;
}

/**
 * The SDKs' errors (the same classes in both) as a ProviderError; an abort stays an abort.
 * `userAbort` is the SDK's APIUserAbortError class.
 */
export function providerError(err: unknown, userAbort: abstract new (...args: never[]) => Error): Error {
  if (err instanceof userAbort) return err as Error;
  const e = err as SdkError;
  if (e.name === 'APIConnectionTimeoutError' || /timed? ?out/i.test(e.message ?? ''))
    return new ProviderError('The AI provider did not answer in time.', true);
  if (e.status === undefined) return new ProviderError(`The AI provider could not be reached (${e.message}).`, true);
  const retryable = e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500;
  const detail = (e.message ?? '').replace(/\s+/g, ' ').slice(0, 200);
  return new ProviderError(`The AI provider answered ${e.status}: ${detail}`, retryable, e.status, retryAfterMs(e.headers));
}
