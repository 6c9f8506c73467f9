// The one HTTP client for Meta's Graph API (Send API, sender actions, profiles, /me, ID matching).
// Errors are classified by code, not by matching message text (docs/messenger.md, Errors).
import crypto from 'node:crypto';

export type GraphErrorKind = 'transient' | 'token' | 'unavailable' | 'window' | 'rejected';

export class GraphError extends Error {
  constructor(
    readonly kind: GraphErrorKind,
    message: string,
    readonly status?: number,
    readonly code?: number,
    readonly subcode?: number,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

const TRANSIENT_CODES = new Set([1, 2, 4, 17, 32, 613]);
const UNAVAILABLE = (code?: number, sub?: number) => code === 551 || sub === 1545041 || (code === 10 && sub === 2018108);
const WINDOW = (code?: number, sub?: number) => code === 10 && (sub === 2018278 || sub === 2534022);

/** Maps Meta's error body to a kind the outbox can act on. */
export function classify(status: number, body: unknown): GraphError {
  const err = (body as { error?: { message?: string; code?: number; error_subcode?: number } })?.error;
  const code = err?.code;
  const sub = err?.error_subcode;
  const message = err?.message ?? `Graph API answered HTTP ${status}`;
  if (code === 190) return new GraphError('token', message, status, code, sub);
  if (UNAVAILABLE(code, sub)) return new GraphError('unavailable', message, status, code, sub);
  if (WINDOW(code, sub)) return new GraphError('window', message, status, code, sub);
  if ((code !== undefined && TRANSIENT_CODES.has(code)) || status >= 500 || status === 429) {
    return new GraphError('transient', message, status, code, sub);
  }
  return new GraphError('rejected', message, status, code, sub);
}

export type MessagingType = 'RESPONSE' | 'UPDATE' | 'MESSAGE_TAG';

export interface OutgoingPart {
  text?: string;
  file?: { data: Buffer; contentType: string; name: string; type: 'image' | 'audio' | 'video' | 'file' };
}

export interface GraphOptions {
  baseUrl: string;
  version: string;
  token: string;
  appSecret?: string;
  timeoutMs?: number;
  /** Aborts the calls in flight (ChatX is stopping). */
  signal?: AbortSignal;
}

export class GraphClient {
  constructor(private readonly options: GraphOptions) {}

  private url(path: string, query: Record<string, string> = {}): string {
    const params = new URLSearchParams({ ...query, access_token: this.options.token });
    if (this.options.appSecret) {
      // Required when the app has "Require App Secret" on (docs/messenger.md, Send API).
      params.set('appsecret_proof', crypto.createHmac('sha256', this.options.appSecret).update(this.options.token).digest('hex'));
    }
    return `${this.options.baseUrl}/${this.options.version}${path}?${params}`;
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    init: { query?: Record<string, string>; body?: string | FormData } = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url(path, init.query), {
        method,
        body: init.body,
        headers: typeof init.body === 'string' ? { 'content-type': 'application/json' } : undefined,
        signal: this.options.signal
          ? AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs ?? 30000), this.options.signal])
          : AbortSignal.timeout(this.options.timeoutMs ?? 30000),
      });
    } catch (err) {
      const e = err as Error;
      throw new GraphError(
        'transient',
        e.name === 'TimeoutError' ? 'Meta did not answer in time' : `cannot reach Meta: ${e.message}`,
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      // The connection dropped (or timed out) while the answer was still arriving.
      throw new GraphError('transient', `cannot read Meta's answer: ${(err as Error).message}`, res.status);
    }
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      body = undefined;
    }
    if (!res.ok || (body as { error?: unknown })?.error) throw classify(res.status, body);
    if (body === undefined)
      throw new GraphError('transient', `Graph API answered something that is not JSON (HTTP ${res.status})`, res.status);
    return body as T;
  }

  /** GET /me: which Page the token belongs to (the "Test connection" button and doctor). */
  me(): Promise<{ id: string; name?: string }> {
    return this.call('GET', '/me', { query: { fields: 'id,name' } });
  }

  /** The display name only: the privacy policy names no other profile field. */
  profile(psid: string): Promise<{ name?: string }> {
    return this.call('GET', `/${encodeURIComponent(psid)}`, { query: { fields: 'name' } });
  }

  async send(input: {
    psid: string;
    messagingType: MessagingType;
    tag?: 'HUMAN_AGENT';
    part: OutgoingPart;
    metadata?: string;
  }): Promise<{ messageId: string }> {
    const recipient = JSON.stringify({ id: input.psid });
    const envelope: Record<string, string> = { messaging_type: input.messagingType };
    if (input.tag) envelope.tag = input.tag;
    const { part } = input;
    let body: string | FormData;
    if (part.file) {
      // Multipart upload with `filedata`: works from a LAN, no public URL for the file needed.
      const form = new FormData();
      form.set('recipient', recipient);
      form.set(
        'message',
        JSON.stringify({ attachment: { type: part.file.type, payload: { is_reusable: false } }, metadata: input.metadata }),
      );
      for (const [k, v] of Object.entries(envelope)) form.set(k, v);
      form.set('filedata', new Blob([new Uint8Array(part.file.data)], { type: part.file.contentType }), part.file.name);
      body = form;
    } else {
      body = JSON.stringify({
        recipient: { id: input.psid },
        ...envelope,
        message: { text: part.text, metadata: input.metadata },
      });
    }
    const res = await this.call<{ message_id?: string }>('POST', '/me/messages', { body });
    if (!res.message_id) throw new GraphError('transient', 'Meta accepted the message but sent no message_id');
    return { messageId: res.message_id };
  }

  /**
   * The Page-scoped ids of the person with this app-scoped id (ID matching); needs the app access
   * token as this client's token (Channel.appGraph).
   */
  async idsForPages(asid: string): Promise<{ id: string; page?: { id: string } }[]> {
    const res = await this.call<{ data?: { id?: unknown; page?: { id?: unknown } }[] }>(
      'GET',
      `/${encodeURIComponent(asid)}/ids_for_pages`,
      { query: { limit: '100' } },
    );
    return (Array.isArray(res.data) ? res.data : [])
      .filter((d) => typeof d.id === 'string' || typeof d.id === 'number')
      .map((d) => ({ id: String(d.id), page: d.page?.id !== undefined ? { id: String(d.page.id) } : undefined }));
  }

  async senderAction(psid: string, action: 'mark_seen' | 'typing_on' | 'typing_off'): Promise<void> {
    await this.call('POST', '/me/messages', { body: JSON.stringify({ recipient: { id: psid }, sender_action: action }) });
  }
}

/** Splits text for Meta's 2,000-character limit at paragraph, line, sentence or word breaks. */
export function splitText(text: string, limit = 2000): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while ([...rest].length > limit) {
    const chars = [...rest];
    const window = chars.slice(0, limit).join('');
    let cut = -1;
    for (const separator of ['\n\n', '\n', '. ', '! ', '? ', ' ']) {
      const at = window.lastIndexOf(separator);
      if (at > limit * 0.5) {
        cut = at + separator.length;
        break;
      }
    }
    if (cut <= 0) cut = window.length; // one very long word: cut hard, never mid-surrogate
    parts.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}
