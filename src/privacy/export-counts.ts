// What a full export will hold, counted when it begins: the rows of each table (in one statement,
// so one snapshot), the largest id of each big table (rows added later wait for the next export),
// and the number of records the export writes, which its progress counts towards.
import type { Queryable } from '../core/db';

/** Settings that open doors (the Page token, the app secret, the verify token, the Simulator's secret): never exported. */
export function isSecretSetting(key: string): boolean {
  return key.split(/[._]/).some((word) => ['token', 'secret', 'password', 'key', 'fingerprint'].includes(word.toLowerCase()));
}

/** What the export holds, counted in one statement (one snapshot) when it begins. */
export interface ExportCounts {
  contacts: number;
  conversations: number;
  messages: number;
  attachments: number;
  /** Attachments whose bytes are stored, each a file in the ZIP. */
  files: number;
  labels: number;
  users: number;
  canned_responses: number;
  deletion_requests: number;
  audit_log: number;
  settings: number;
  knowledge: number;
  ai_drafts: number;
  ai_calls: number;
}

export interface Bounds {
  counts: ExportCounts;
  /** The largest id of each table when the export began. */
  upTo: Record<'contacts' | 'conversations' | 'messages' | 'attachments' | 'audit_log' | 'ai_calls', number>;
}

export async function bounds(db: Queryable): Promise<Bounds> {
  const r = (await db.get<Record<string, number | null>>(
    `SELECT (SELECT count(*) FROM contacts) AS contacts, (SELECT max(id) FROM contacts) AS contacts_max,
       (SELECT count(*) FROM conversations) AS conversations, (SELECT max(id) FROM conversations) AS conversations_max,
       (SELECT count(*) FROM messages) AS messages, (SELECT max(id) FROM messages) AS messages_max,
       (SELECT count(*) FROM attachments) AS attachments, (SELECT max(id) FROM attachments) AS attachments_max,
       (SELECT count(*) FROM attachments WHERE state = 'stored' AND data IS NOT NULL) AS files,
       (SELECT count(*) FROM labels) AS labels, (SELECT count(*) FROM users) AS users,
       (SELECT count(*) FROM canned_responses) AS canned_responses,
       (SELECT count(*) FROM deletion_requests) AS deletion_requests,
       (SELECT count(*) FROM audit_log) AS audit_log, (SELECT max(id) FROM audit_log) AS audit_log_max,
       (SELECT count(*) FROM knowledge) AS knowledge, (SELECT count(*) FROM ai_drafts) AS ai_drafts,
       (SELECT count(*) FROM ai_calls) AS ai_calls, (SELECT max(id) FROM ai_calls) AS ai_calls_max`,
  ))!;
  const settings = await db.all<{ key: string }>('SELECT key FROM settings');
  const n = (k: string) => r[k] ?? 0;
  return {
    counts: {
      contacts: n('contacts'),
      conversations: n('conversations'),
      messages: n('messages'),
      attachments: n('attachments'),
      files: n('files'),
      labels: n('labels'),
      users: n('users'),
      canned_responses: n('canned_responses'),
      deletion_requests: n('deletion_requests'),
      audit_log: n('audit_log'),
      settings: settings.filter((s) => !isSecretSetting(s.key)).length,
      knowledge: n('knowledge'),
      ai_drafts: n('ai_drafts'),
      ai_calls: n('ai_calls'),
    },
    upTo: {
      contacts: n('contacts_max'),
      conversations: n('conversations_max'),
      messages: n('messages_max'),
      attachments: n('attachments_max'),
      audit_log: n('audit_log_max'),
      ai_calls: n('ai_calls_max'),
    },
  };
}

/** Records the export writes (a row in any file, or an attachment file): what its progress counts. */
export function exportRecords(c: ExportCounts): number {
  // contacts and conversations are written twice (JSON and CSV).
  return (
    2 * c.contacts +
    2 * c.conversations +
    c.messages +
    c.attachments +
    c.files +
    c.labels +
    c.users +
    c.canned_responses +
    c.deletion_requests +
    c.audit_log +
    c.settings +
    c.knowledge +
    c.ai_drafts +
    c.ai_calls
  );
}
