// Group commit for the webhook: bodies that arrive while a commit is in progress are ingested
// together in the next transaction, and each request is answered only once that transaction has
// committed. An idle server commits a lone body at once; a busy one pays for BEGIN/COMMIT once per
// batch instead of once per body. If anything in a batch fails (a bug, never expected), the whole
// batch rolls back and its bodies are retried one transaction each, so only the failing body's
// request gets an error (and Meta retries it); the others still commit.
import type { Db } from '../../core/db';
import { ConversationWriter } from '../../conversations/writer';
import { setSetting } from '../../settings/store';
import { flushPlain, Ingest, type IngestResult, type WebhookBody } from './ingest';

const MAX_BATCH = 256;

interface Waiting {
  body: WebhookBody;
  appId?: string;
  resolve: (result: IngestResult) => void;
  reject: (err: unknown) => void;
}

export class IngestBatcher {
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(private readonly db: Db) {}

  submit(body: WebhookBody, appId?: string): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ body, appId, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        let results: IngestResult[];
        try {
          results = await this.commit(batch);
        } catch {
          // Fall back to one transaction per body, so one bad body cannot sink the others.
          for (const item of batch) await this.commit([item]).then(([r]) => item.resolve(r), item.reject);
          continue;
        }
        batch.forEach((item, i) => item.resolve(results[i]));
      }
    } finally {
      this.flushing = false;
    }
  }

  private commit(batch: Waiting[]): Promise<IngestResult[]> {
    return this.db.transaction(async (tx) => {
      const writer = new ConversationWriter(tx);
      await Ingest.prefetch(
        writer,
        batch.map((item) => item.body),
      );
      const results: IngestResult[] = [];
      for (const item of batch) results.push(await new Ingest(writer, item.appId).body(item.body));
      await flushPlain(writer);
      // The AI's answers to these messages, in the same transaction; they count as the first body's
      // jobs, so its acknowledgement kicks the queue.
      const followUps = await writer.queueFollowUps();
      if (followUps && results[0]) results[0].jobs += followUps;
      // The channel's health in Settings: when Meta last reached us.
      await setSetting(tx, 'messenger.last_event_at', String(Date.now()));
      return results;
    });
  }
}
