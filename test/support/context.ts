// A fresh ChatX per test: its own temp DATA_DIR, a real SQLCipher file, migrations applied, the
// services built by the same composition root as the server's (services.ts), and the Express app.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { createApp } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { buildServices, type BuildOptions, type Services } from '../../src/services';

export const TEST_KEY = 'test passphrase: correct horse battery staple';

export function tempDir(prefix = 'chatx-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function testConfig(env: Record<string, string> = {}, dataDir = tempDir()): Config {
  // No PUBLIC_URL by default: servers on a random port build pasted links from the request's address.
  return loadConfig({ DATA_DIR: dataDir, DATABASE_KEY: TEST_KEY, ...env });
}

export interface TestContext {
  app: Express;
  deps: Services;
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

export async function makeContext(env: Record<string, string> = {}, options: BuildOptions = {}): Promise<TestContext> {
  const config = testConfig(env);
  const deps = await buildServices(config, options);
  return {
    app: createApp(deps),
    deps,
    config,
    dataDir: config.dataDir,
    async close() {
      await deps.close();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
