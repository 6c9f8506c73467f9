// The Messenger channel: which Page, which token, which app secret, whether the token still works,
// and whether a person may answer with the Human Agent tag. The environment wins; values saved in
// Settings live in the encrypted database. The state is read from the database once and cached
// until something here changes it (a settings save, a token found invalid or working again); a read
// never writes. What changes with every event (last event, last send) is read fresh by health().
import crypto from 'node:crypto';
import type { Config } from '../config';
import type { Db, Queryable } from '../core/db';
import { deleteSetting, getSettings, setSetting } from '../settings/store';
import { GraphClient } from './graph';

/** Contacts and conversations made in sandbox mode without FB_PAGE_ID carry this Page id. */
export const SANDBOX_PAGE_ID = 'sandbox';

export interface ChannelState {
  pageId: string;
  /** The Page whose events this install takes; unknown while a connected Page's id is not set (then any). */
  ownPageId?: string;
  token?: string;
  tokenSource?: 'env' | 'settings';
  appSecret?: string;
  appSecretSource?: 'env' | 'settings' | 'sandbox';
  appId?: string;
  sandbox: boolean;
  tokenState: 'ok' | 'invalid';
  tokenError?: string;
  humanAgentEnabled: boolean;
  /** The webhook verify token: FB_VERIFY_TOKEN, or the one generated once and kept in the settings. */
  verifyToken: string;
  verifyTokenSource: 'env' | 'generated';
}

/** What the owner saves in Settings → Messenger; what is left out stays as it is. */
export interface ChannelChange {
  pageId?: string;
  pageToken?: string;
  removeToken?: boolean;
  appSecret?: string;
  humanAgent?: boolean;
}

/** Identifies a token without storing it twice: a new token clears the "invalid" mark by itself. */
export function fingerprint(token: string | undefined): string {
  return token ? crypto.createHash('sha256').update(token).digest('hex').slice(0, 16) : '';
}

export class Channel {
  private cached?: Promise<ChannelState>;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
  ) {}

  state(): Promise<ChannelState> {
    this.cached ??= this.load().catch((err: unknown) => {
      this.cached = undefined;
      throw err;
    });
    return this.cached;
  }

  /** Forget the cached state (after a change, or when the database was reopened). */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<ChannelState> {
    const { config } = this;
    const s = await getSettings(this.db, 'messenger.');
    const token = config.fb.pageAccessToken ?? s['messenger.page_token'];
    const sandbox = !token;
    let appSecret = config.fb.appSecret ?? s['messenger.app_secret'];
    let appSecretSource: ChannelState['appSecretSource'] = config.fb.appSecret ? 'env' : appSecret ? 'settings' : undefined;
    if (!appSecret && sandbox && s['messenger.sandbox_secret']) {
      // In sandbox mode the Simulator plays Meta, so it signs with a secret of its own (made by a migration).
      appSecret = s['messenger.sandbox_secret'];
      appSecretSource = 'sandbox';
    }
    const pageId = config.fb.pageId ?? (s['messenger.page_id'] || SANDBOX_PAGE_ID);
    return {
      pageId,
      ownPageId: sandbox || pageId !== SANDBOX_PAGE_ID ? pageId : undefined,
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
      verifyToken: config.fb.verifyToken ?? s['messenger.verify_token'] ?? '',
      verifyTokenSource: config.fb.verifyToken ? 'env' : 'generated',
    };
  }

  /** When Meta last reached the webhook and when ChatX last sent, for the health line in Settings. */
  async health(): Promise<{ lastEventAt?: number; lastSendAt?: number }> {
    const s = await getSettings(this.db, 'messenger.last_');
    const number = (key: string) => (s[key] ? Number(s[key]) : undefined);
    return { lastEventAt: number('messenger.last_event_at'), lastSendAt: number('messenger.last_send_at') };
  }

  /** The Graph client for the current token, or undefined in sandbox mode; `signal` aborts its calls. */
  graph(state: ChannelState, signal?: AbortSignal): GraphClient | undefined {
    if (!state.token) return undefined;
    return new GraphClient({
      baseUrl: this.config.graphApiUrl,
      version: this.config.graphApiVersion,
      token: state.token,
      appSecret: state.appSecretSource === 'sandbox' ? undefined : state.appSecret,
      signal,
    });
  }

  /**
   * A Graph client with the app access token (`<app id>|<app secret>`), for calls made as the app
   * rather than the Page (ID matching); undefined without FB_APP_ID or a real app secret.
   */
  appGraph(state: ChannelState): GraphClient | undefined {
    if (!state.appId || !state.appSecret || state.appSecretSource === 'sandbox') return undefined;
    return new GraphClient({
      baseUrl: this.config.graphApiUrl,
      version: this.config.graphApiVersion,
      token: `${state.appId}|${state.appSecret}`,
      appSecret: state.appSecret,
      timeoutMs: 5000,
    });
  }

  /** Saves what the owner changed (values the environment sets are not stored). Returns whether the token changed. */
  async save(change: ChannelChange): Promise<{ tokenChanged: boolean }> {
    const { fb } = this.config;
    const before = await this.state();
    await this.db.transaction(async (tx) => {
      if (change.pageId !== undefined && !fb.pageId) await setSetting(tx, 'messenger.page_id', change.pageId);
      if (change.pageToken && !fb.pageAccessToken) await setSetting(tx, 'messenger.page_token', change.pageToken);
      if (change.removeToken && !fb.pageAccessToken) await deleteSetting(tx, 'messenger.page_token');
      if (change.appSecret && !fb.appSecret) await setSetting(tx, 'messenger.app_secret', change.appSecret);
      if (change.humanAgent !== undefined) await setSetting(tx, 'messenger.human_agent', change.humanAgent ? 'on' : 'off');
    });
    this.invalidate();
    return { tokenChanged: (await this.state()).token !== before.token };
  }

  /** Meta answered 190 for this token: it is marked invalid until a new token is saved or it works again. */
  async tokenRejected(token: string | undefined, message: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await setSetting(tx, 'messenger.token_state', 'invalid');
      await setSetting(tx, 'messenger.token_fingerprint', fingerprint(token));
      await setSetting(tx, 'messenger.token_error', message);
    });
    this.invalidate();
  }

  /** The token worked again (a test call succeeded). */
  async tokenAccepted(): Promise<void> {
    await setSetting(this.db, 'messenger.token_state', 'ok');
    this.invalidate();
  }

  /** A send went out (in the sender's transaction): the health line says when. */
  async sent(tx: Queryable, at = Date.now()): Promise<void> {
    await setSetting(tx, 'messenger.last_send_at', String(at));
  }
}
