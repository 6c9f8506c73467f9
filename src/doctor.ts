// `chatx doctor`: checks configuration, key, database, Messenger and AI reachability, and says
// plainly what is wrong. Messenger is checked with the same channel state and Graph client as the
// server, so a Page connected in Settings is checked too. Returns true when nothing failed
// (warnings do not fail).
import type { Config } from './config';
import { DatabaseKeyError } from './core/db';
import { GraphError } from './messenger/graph';
import { buildServices, type Services } from './services';
import { aiSettingsFrom, usable, type AiSettings } from './ai/settings';

type Outcome = 'ok' | 'warn' | 'fail';

const MARK: Record<Outcome, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

async function reach(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

type Report = (outcome: Outcome, what: string, detail: string) => void;

async function checkDatabase(services: Services, report: Report): Promise<void> {
  const { db, databaseKey } = services;
  const version = await db.get<{ cipher_version: string }>('PRAGMA cipher_version');
  const check = await db.get<{ quick_check: string }>('PRAGMA quick_check');
  const users = await db.get<{ owners: number; total: number }>(
    "SELECT count(*) AS total, sum(role = 'owner' AND status = 'active') AS owners FROM users",
  );
  report(
    databaseKey.source === 'generated' ? 'warn' : 'ok',
    'database key',
    databaseKey.source === 'generated'
      ? `opens the database, but lies beside it in ${databaseKey.file}; move it into a secret`
      : `opens the database (from ${databaseKey.source === 'env' ? 'DATABASE_KEY' : 'DATABASE_KEY_FILE'})`,
  );
  report(
    check?.quick_check === 'ok' ? 'ok' : 'fail',
    'database',
    `${db.file}, SQLCipher ${version?.cipher_version ?? '?'}, integrity ${check?.quick_check ?? 'unknown'}`,
  );
  report(
    users?.owners ? 'ok' : 'warn',
    'accounts',
    users?.owners ? `${users.total} user(s), ${users.owners} active owner(s)` : 'no owner yet; open /setup or run user:add',
  );
}

async function checkMessenger(services: Services, report: Report): Promise<void> {
  const state = await services.channel.state();
  const graph = services.channel.graph(state);
  if (!graph) {
    report('ok', 'messenger', 'sandbox mode (no Page token in FB_PAGE_ACCESS_TOKEN or Settings): nothing is sent to Meta');
  } else {
    const from = state.tokenSource === 'env' ? 'FB_PAGE_ACCESS_TOKEN' : 'Settings';
    try {
      const page = await graph.me();
      report('ok', 'messenger', `the Page token (from ${from}) works for "${page.name ?? page.id}"`);
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      const detail = err.code !== undefined ? `${err.message} (code ${err.code})` : err.message;
      report(
        'fail',
        'messenger',
        err.status === undefined
          ? `cannot reach ${services.config.graphApiUrl}: ${detail}`
          : `Graph API refused the Page token: ${detail} (the token from ${from})`,
      );
    }
  }
  if (!state.sandbox && !state.appSecret)
    report('warn', 'messenger', 'no app secret (FB_APP_SECRET or Settings); webhook signatures from Meta cannot be checked');
}

async function checkAi(ai: AiSettings, report: Report): Promise<void> {
  if (ai.provider === 'none' || ai.mode === 'off') {
    report('ok', 'ai', 'off');
    return;
  }
  if (ai.paused) report('warn', 'ai', `paused since ${new Date(ai.paused.at).toISOString()}: ${ai.paused.reason}`);
  const openai = ai.provider === 'openai';
  const base = openai ? (ai.baseUrl ?? 'https://api.openai.com/v1') : `${ai.baseUrl ?? 'https://api.anthropic.com'}/v1`;
  const headers: Record<string, string> = openai
    ? { authorization: `Bearer ${ai.apiKey ?? ''}` }
    : { 'x-api-key': ai.apiKey ?? '', 'anthropic-version': '2023-06-01' };
  if (!usable(ai)) {
    report('fail', 'ai', `no API key (${openai ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY'} or Settings → AI)`);
    return;
  }
  try {
    const res = await reach(`${base}/models`, headers);
    if (res.status === 200) report('ok', 'ai', `${ai.provider} answers at ${base} (mode ${ai.mode}, model ${ai.model})`);
    else report('fail', 'ai', `${ai.provider} at ${base} answered ${res.status}: ${res.body.slice(0, 120)}`);
  } catch (err) {
    report('fail', 'ai', `cannot reach ${base}: ${(err as Error).message}`);
  }
}

export async function runDoctor(config: Config, print: (line: string) => void = console.log): Promise<boolean> {
  let failed = false;
  const report: Report = (outcome, what, detail) => {
    if (outcome === 'fail') failed = true;
    print(`[${MARK[outcome]}] ${what}: ${detail}`);
  };

  report('ok', 'configuration', `valid; listening on ${config.host}:${config.port}, public URL ${config.publicUrl}`);
  if (!config.publicUrl.startsWith('https:')) {
    report('warn', 'public URL', 'is not https; Meta only calls https webhooks (see the README on the Caddy profile)');
  }

  let services: Services | undefined;
  try {
    services = await buildServices(config);
  } catch (err) {
    report('fail', 'database', err instanceof DatabaseKeyError ? err.message : `cannot be opened: ${(err as Error).message}`);
  }
  // Settings → AI lives in the database; without it, only what the environment says.
  let ai: AiSettings | undefined;
  if (services) {
    try {
      await checkDatabase(services, report);
      await checkMessenger(services, report);
      ai = await services.assistant.settings();
    } finally {
      await services.close();
    }
  } else {
    report('warn', 'messenger', 'not checked: the channel settings live in the database, which did not open');
  }
  await checkAi(ai ?? aiSettingsFrom({}, config), report);
  print(failed ? 'Something needs attention (see FAIL above).' : 'All checks passed.');
  return !failed;
}
