// A fresh ChatX per test: its own temp DATA_DIR, a real SQLCipher file, migrations applied,
// and the Express app built the same way server.ts builds it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { Deps } from '../../src/deps';
import { openStore } from '../../src/store';

export const TEST_KEY = 'test passphrase: correct horse battery staple';

export function tempDir(prefix = 'chatx-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function testConfig(env: Record<string, string> = {}, dataDir = tempDir()): Config {
  return loadConfig({ DATA_DIR: dataDir, DATABASE_KEY: TEST_KEY, PUBLIC_URL: 'http://localhost:3000', ...env });
}

export interface TestContext {
  app: Express;
  deps: Deps;
  config: Config;
  dataDir: string;
  close(): Promise<void>;
}

/** The conversation of the person with this PSID (there is one per person); throws if none. */
export async function conversationOf(ctx: Pick<TestContext, 'deps'>, psid: string): Promise<number> {
  const row = await ctx.deps.db.get<{ id: number }>(
    'SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.psid = ?',
    [psid],
  );
  if (!row) throw new Error(`no conversation for ${psid}`);
  return row.id;
}

export async function makeContext(env: Record<string, string> = {}): Promise<TestContext> {
  const config = testConfig(env);
  const deps = await openStore(config);
  return {
    app: createApp(deps),
    deps,
    config,
    dataDir: config.dataDir,
    async close() {
      deps.live.close();
      await deps.outbox.stop();
      await deps.queue.stop();
      await deps.db.close();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
