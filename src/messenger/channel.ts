// The Messenger channel's settings and health: which Page, which token, which app secret, whether
// the token still works. The environment wins; values saved in Settings live in the encrypted DB.
import crypto from 'node:crypto';
import type { Config } from '../config';
import type { Queryable } from '../core/db';
import { getSettings, setSetting } from '../settings/store';
import { GraphClient } from './graph';

/** Contacts and conversations made in sandbox mode without FB_PAGE_ID carry this Page id. */
export const SANDBOX_PAGE_ID = 'sandbox';

export interface ChannelState {
  pageId: string;
  token?: string;
  tokenSource?: 'env' | 'settings';
  appSecret?: string;
  appSecretSource?: 'env' | 'settings' | 'sandbox';
  appId?: string;
  sandbox: boolean;
  tokenState: 'ok' | 'invalid';
  tokenError?: string;
  humanAgentEnabled: boolean;
  lastEventAt?: number;
  lastSendAt?: number;
}

export async function channelState(db: Queryable, config: Config): Promise<ChannelState> {
  const s = await getSettings(db, 'messenger.');
  const token = config.fb.pageAccessToken ?? s['messenger.page_token'];
  const sandbox = !token;
  let appSecret = config.fb.appSecret ?? s['messenger.app_secret'];
  let appSecretSource: ChannelState['appSecretSource'] = config.fb.appSecret ? 'env' : appSecret ? 'settings' : undefined;
  if (!appSecret && sandbox) {
    // In sandbox mode the Simulator plays Meta, so it needs a secret to sign with; make one.
    appSecret = s['messenger.sandbox_secret'] ?? (await createSandboxSecret(db));
    appSecretSource = 'sandbox';
  }
  const number = (key: string) => (s[key] ? Number(s[key]) : undefined);
  return {
    pageId: config.fb.pageId ?? s['messenger.page_id'] ?? SANDBOX_PAGE_ID,
    token,
    tokenSource: config.fb.pageAccessToken ? 'env' : token ? 'settings' : undefined,
    appSecret,
    appSecretSource,
    appId: config.fb.appId,
    sandbox,
    tokenState:
      s['messenger.token_state'] === 'invalid' && s['messenger.token_fingerprint'] === fingerprint(token) ? 'invalid' : 'ok',
    tokenError: s['messenger.token_error'],
    humanAgentEnabled: s['messenger.human_agent'] === 'on',
    lastEventAt: number('messenger.last_event_at'),
    lastSendAt: number('messenger.last_send_at'),
  };
}

async function createSandboxSecret(db: Queryable): Promise<string> {
  const secret = crypto.randomBytes(24).toString('hex');
  await db.run('INSERT OR IGNORE INTO settings (key, value, updated_at) VALUES (?, ?, ?)', [
    'messenger.sandbox_secret',
    secret,
    Date.now(),
  ]);
  return (await db.get<{ value: string }>("SELECT value FROM settings WHERE key = 'messenger.sandbox_secret'"))!.value;
}

/** Identifies a token without storing it twice: a new token clears the "invalid" mark by itself. */
export function fingerprint(token: string | undefined): string {
  return token ? crypto.createHash('sha256').update(token).digest('hex').slice(0, 16) : '';
}

export async function markTokenInvalid(db: Queryable, token: string | undefined, message: string): Promise<void> {
  await setSetting(db, 'messenger.token_state', 'invalid');
  await setSetting(db, 'messenger.token_fingerprint', fingerprint(token));
  await setSetting(db, 'messenger.token_error', message);
}

export async function markTokenOk(db: Queryable): Promise<void> {
  await setSetting(db, 'messenger.token_state', 'ok');
  await db.run("UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE state = 'held'", [Date.now()]);
}

export function graphClient(config: Config, state: ChannelState): GraphClient | undefined {
  if (!state.token) return undefined;
  return new GraphClient({
    baseUrl: config.graphApiUrl,
    version: config.graphApiVersion,
    token: state.token,
    appSecret: state.appSecretSource === 'sandbox' ? undefined : state.appSecret,
  });
}
