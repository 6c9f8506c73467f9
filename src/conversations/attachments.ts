// Files on messages. Incoming ones arrive as URLs that expire, so a job downloads their bytes into
// the encrypted database; this file records how that went and reads the bytes back.
import type { Queryable } from '../core/db';
import { messageUpdated } from './changes';
import type { ConversationWriter } from './writer';

export interface PendingDownload {
  id: number;
  message_id: number;
  type: string;
  source_url: string | null;
  state: string;
  conversation_id: number;
}

export function pendingDownload(db: Queryable, attachmentId: number): Promise<PendingDownload | undefined> {
  return db.get<PendingDownload>(
    `SELECT a.id, a.message_id, a.type, a.source_url, a.state, m.conversation_id
     FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.id = ?`,
    [attachmentId],
  );
}

/** A download ended: the bytes are kept, or the file is marked unavailable or too large. One statement. */
export async function settleDownload(
  w: ConversationWriter,
  file: PendingDownload,
  state: 'stored' | 'unavailable' | 'too_large',
  data?: { bytes: Buffer; contentType: string; name: string },
): Promise<void> {
  await w.tx.run(
    'UPDATE attachments SET state = ?, data = ?, content_type = ?, name = COALESCE(name, ?), size = ? WHERE id = ?',
    [state, data?.bytes ?? null, data?.contentType ?? null, data?.name ?? null, data?.bytes.length ?? null, file.id],
  );
  messageUpdated(w.outcome, file.conversation_id, file.message_id);
}

export interface StoredFile {
  state: 'pending' | 'stored' | 'unavailable' | 'too_large';
  data: Buffer | null;
  content_type: string | null;
  name: string | null;
  type: string;
}

export function attachmentFile(db: Queryable, attachmentId: number): Promise<StoredFile | undefined> {
  return db.get<StoredFile>('SELECT state, data, content_type, name, type FROM attachments WHERE id = ?', [attachmentId]);
}
