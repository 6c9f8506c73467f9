// What every router and job is built with: the services of one running ChatX. services.ts builds
// them (for the server, the CLI and the tests alike); nothing sets a field on them afterwards.
import type { Assistant } from './ai/assistant';
import type { SourceLimits } from './auth/throttle';
import type { Config } from './config';
import type { Bus } from './core/bus';
import type { Db } from './core/db';
import type { Health } from './core/health';
import type { DatabaseKey } from './core/key';
import type { JobQueue } from './core/queue';
import type { Conversations } from './conversations/service';
import type { Workflow } from './conversations/workflow';
import type { FollowUps } from './crm/follow-ups';
import type { Leads } from './crm/leads';
import type { LiveHub } from './inbox/live';
import type { InboxStats } from './inbox/stats';
import type { Channel } from './messenger/channel';
import type { Outbox } from './messenger/outbox/outbox';
import type { ReadReceipts } from './messenger/read-receipts';
import type { IngestSink } from './messenger/webhook/sink';
import type { Deletions } from './privacy/deletions';
import type { Vault } from './privacy/vault';
import type { Views } from './views';

export interface Deps {
  config: Config;
  databaseKey: DatabaseKey;
  db: Db;
  bus: Bus;
  /** The Messenger channel's state (cached) and its Graph client. */
  channel: Channel;
  /** The only writer of contacts, conversations and messages; announces what changed. */
  conversations: Conversations;
  workflow: Workflow;
  queue: JobQueue;
  /** The one way a reply is sent. */
  outbox: Outbox;
  /** AI answers, drafts and the composer's helpers; hands over to a person when it should. */
  assistant: Assistant;
  readReceipts: ReadReceipts;
  /** Sign-in attempts per source address (the per-account count is in the database). */
  signIns: SourceLimits;
  /** Where webhook bodies are committed (the writer thread in the server). */
  ingest: IngestSink;
  /** The inbox tabs' counts and the unread total, kept between changes. */
  inboxStats: InboxStats;
  live: LiveHub;
  views: Views;
  /** /healthz: the database answers and takes writes. */
  health: Health;
  /** Deletion requests and their deadlines; the one way a person's data is erased. */
  deletions: Deletions;
  /** The database as a whole: backups, restore, key rotation, wipe. */
  vault: Vault;
  /** Follow-ups on contacts: the only writer of follow_ups; the 'follow-ups' job sends or surfaces them. */
  followUps: FollowUps;
  /** Leads and the pipeline's stages: the only writer of lead_stages, leads and lead_events. */
  leads: Leads;
}
