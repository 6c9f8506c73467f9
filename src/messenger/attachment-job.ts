// Job: download an incoming attachment while Meta's signed URL still works, and keep the bytes in
// the encrypted database. A 4xx (expired or removed) marks it unavailable but keeps the message;
// anything over the size cap is marked too large; network trouble retries.
import path from 'node:path';
import type { Bus } from '../core/bus';
import type { Db } from '../core/db';
import { RetryLater } from '../core/queue';

export const MAX_INCOMING_BYTES = 25 * 1024 * 1024;

function fileName(url: URL, contentType: string, disposition: string | null, type: string): string {
  const fromHeader = disposition && /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1];
  if (fromHeader) return decodeURIComponent(fromHeader).slice(0, 200);
  const base = path.basename(url.pathname);
  if (base && base.includes('.')) return decodeURIComponent(base).slice(0, 200);
  const ext = contentType.split('/')[1]?.split(';')[0] ?? 'bin';
  return `${type}.${ext}`;
}

async function readCapped(res: Response, cap: number): Promise<Buffer | 'too_large'> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > cap) {
    await res.body?.cancel();
    return 'too_large';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > cap) return 'too_large';
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

export function attachmentJob(db: Db, bus: Bus, cap = MAX_INCOMING_BYTES) {
  return async (payload: Record<string, unknown>, job: { attempts: number }): Promise<void> => {
    const row = await db.get<{
      id: number;
      message_id: number;
      type: string;
      source_url: string | null;
      state: string;
      conversation_id: number;
    }>(
      `SELECT a.id, a.message_id, a.type, a.source_url, a.state, m.conversation_id
       FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = ?`,
      [Number(payload.attachmentId)],
    );
    if (!row || row.state !== 'pending' || !row.source_url) return;
    const settle = async (
      state: 'stored' | 'unavailable' | 'too_large',
      data?: { bytes: Buffer; contentType: string; name: string },
    ) => {
      await db.run(
        'UPDATE attachments SET state = ?, data = ?, content_type = ?, name = COALESCE(name, ?), size = ? WHERE id = ?',
        [state, data?.bytes ?? null, data?.contentType ?? null, data?.name ?? null, data?.bytes.length ?? null, row.id],
      );
      bus.emit('message', { conversationId: row.conversation_id, messageId: row.message_id, change: 'updated' });
    };
    let res: Response;
    const url = new URL(row.source_url);
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(60000), redirect: 'follow' });
    } catch (err) {
      // Give up after a few tries: the URL will have expired by then anyway.
      if (job.attempts >= 5) return settle('unavailable');
      throw new RetryLater(`download failed: ${(err as Error).message}`);
    }
    if (res.status >= 400 && res.status < 500) {
      await res.body?.cancel();
      return settle('unavailable');
    }
    if (!res.ok) {
      await res.body?.cancel();
      if (job.attempts >= 5) return settle('unavailable');
      throw new RetryLater(`download answered HTTP ${res.status}`);
    }
    const contentType = (res.headers.get('content-type') ?? 'application/octet-stream').split(';')[0].trim();
    let bytes: Buffer | 'too_large';
    try {
      bytes = await readCapped(res, cap);
    } catch (err) {
      // Cut off mid-body: the same as failing to connect.
      if (job.attempts >= 5) return settle('unavailable');
      throw new RetryLater(`download failed: ${(err as Error).message}`);
    }
    if (bytes === 'too_large') return settle('too_large');
    await settle('stored', {
      bytes,
      contentType,
      name: fileName(url, contentType, res.headers.get('content-disposition'), row.type),
    });
  };
}
