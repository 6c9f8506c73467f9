// Job: download an incoming attachment while Meta's signed URL still works, and keep the bytes in
// the encrypted database. Only Meta's CDN is fetched (download.ts). A 4xx (expired or removed), or a
// URL that may not be fetched, marks it unavailable but keeps the message; anything over the size cap
// is marked too large; network trouble retries, and after a few tries it is unavailable too. Nothing
// leaves an attachment "downloading" for ever: any other failure settles it as unavailable.
// The Simulator's files are not fetched over HTTP at all: in sandbox mode they are taken from its
// own table (simulator.ts names them with an address that can never resolve).
import path from 'node:path';
import type { Db } from '../core/db';
import { clip } from '../core/format';
import { log } from '../core/log';
import { RetryLater } from '../core/queue';
import { pendingDownload, settleDownload } from '../conversations/attachments';
import { MAX_FILE_BYTES } from '../conversations/outbound';
import type { Conversations } from '../conversations/service';
import type { Channel } from './channel';
import { download, DownloadRefused, type DownloadPolicy } from './download';
import { SIMULATOR_HOST, takeSimulatorFile } from './simulator';

const GIVE_UP_AFTER = 5;

/** A percent-encoded name as it was meant, or as it came when it is not valid encoding. */
function decoded(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function fileName(url: URL, contentType: string, disposition: string | null, type: string): string {
  const fromHeader = disposition && /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1];
  if (fromHeader) return clip(decoded(fromHeader), 200);
  const base = path.basename(url.pathname);
  if (base && base.includes('.')) return clip(decoded(base), 200);
  const ext = contentType.split('/')[1]?.split(';')[0] ?? 'bin';
  return `${type}.${ext}`;
}

type Outcome = { state: 'stored'; bytes: Buffer; contentType: string; name: string } | { state: 'unavailable' | 'too_large' };

export function attachmentJob(
  db: Db,
  conversations: Conversations,
  channel: Channel,
  policy: DownloadPolicy,
  cap = MAX_FILE_BYTES,
) {
  /** Fetches the file; throws RetryLater for trouble worth another try. */
  async function fetchFile(url: URL, type: string, attempts: number, signal: AbortSignal): Promise<Outcome> {
    if (url.hostname === SIMULATOR_HOST) {
      const file = (await channel.state()).sandbox ? await takeSimulatorFile(db, url.pathname.split('/')[2] ?? '') : undefined;
      if (!file) return { state: 'unavailable' };
      return file.data.length > cap
        ? { state: 'too_large' }
        : { state: 'stored', bytes: file.data, contentType: file.content_type, name: file.name };
    }
    let res;
    try {
      res = await download(url, policy, { cap, signal });
    } catch (err) {
      if (err instanceof DownloadRefused) {
        log.warn('attachment not fetched', { reason: err.message });
        return { state: 'unavailable' };
      }
      if (signal.aborted) throw err; // shutting down: the job runs again after the restart
      // Give up after a few tries: the URL will have expired by then anyway.
      if (attempts >= GIVE_UP_AFTER) return { state: 'unavailable' };
      throw new RetryLater(`download failed: ${(err as Error).message}`);
    }
    if (res.status >= 400 && res.status < 500) return { state: 'unavailable' };
    if (res.status < 200 || res.status >= 300) {
      if (attempts >= GIVE_UP_AFTER) return { state: 'unavailable' };
      throw new RetryLater(`download answered HTTP ${res.status}`);
    }
    if (res.body === 'too_large') return { state: 'too_large' };
    return {
      state: 'stored',
      bytes: res.body,
      contentType: res.contentType,
      name: fileName(res.url, res.contentType, res.disposition, type),
    };
  }

  return async (payload: Record<string, unknown>, job: { attempts: number; signal: AbortSignal }): Promise<void> => {
    const row = await pendingDownload(db, Number(payload.attachmentId));
    if (!row || row.state !== 'pending' || !row.source_url) return;
    let outcome: Outcome;
    try {
      outcome = await fetchFile(new URL(row.source_url), row.type, job.attempts, job.signal);
    } catch (err) {
      if (err instanceof RetryLater || job.signal.aborted) throw err;
      log.error('attachment download failed', { attachment: row.id, error: (err as Error).message });
      outcome = { state: 'unavailable' };
    }
    await conversations.writeOne((w) =>
      settleDownload(
        w,
        row,
        outcome.state,
        outcome.state === 'stored' ? { bytes: outcome.bytes, contentType: outcome.contentType, name: outcome.name } : undefined,
      ),
    );
  };
}
