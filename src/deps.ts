// What every router and job is built with. store.ts makes one for the server and the CLI; tests too.
import type { Config } from './config';
import type { Bus } from './core/bus';
import type { Db } from './core/db';
import type { DatabaseKey } from './core/key';
import type { JobQueue } from './core/queue';
import type { LiveHub } from './inbox/live';
import type { Workflow } from './inbox/workflow';
import type { IngestSink } from './messenger/ingest-client';
import type { OutboxSender } from './messenger/outbox-sender';

export interface Deps {
  config: Config;
  db: Db;
  databaseKey: DatabaseKey;
  bus: Bus;
  queue: JobQueue;
  outbox: OutboxSender;
  live: LiveHub;
  /** Where webhook bodies are committed (in this thread, or the server's writer thread). */
  ingest: IngestSink;
  workflow: Workflow;
}
