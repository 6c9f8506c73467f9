// Job: download an incoming attachment while Meta's signed URL still works, and keep the bytes in
// the encrypted database. A 4xx (expired or removed) marks it unavailable but keeps the message;
// anything over the size cap is marked too large; network trouble retries.
import path from 'node:path';
import type { Db } from '../core/db';
import { RetryLater } from '../core/queue';
import { pendingDownload, settleDownload } from '../conversations/attachments';
import { MAX_FILE_BYTES } from '../conversations/outbound';
import type { Conversations } from '../conversations/service';

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

export function attachmentJob(db: Db, conversations: Conversations, cap = MAX_FILE_BYTES) {
  return async (payload: Record<string, unknown>, job: { attempts: number }): Promise<void> => {
    const row = await pendingDownload(db, Number(payload.attachmentId));
    if (!row || row.state !== 'pending' || !row.source_url) return;
    const settle = (state: 'stored' | 'unavailable' | 'too_large', data?: { bytes: Buffer; contentType: string; name: string }) =>
      conversations.writeOne((w) => settleDownload(w, row, state, data));
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
