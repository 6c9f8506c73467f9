// `chatx doctor`: checks configuration, key, database, Messenger and AI reachability, and says
// plainly what is wrong. Returns true when nothing failed (warnings do not fail).
import crypto from 'node:crypto';
import type { Config } from './config';
import { DatabaseKeyError } from './core/db';
import { openStore } from './store';

type Outcome = 'ok' | 'warn' | 'fail';

const MARK: Record<Outcome, string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

async function reach(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}

function graphErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string; code?: number } };
    if (parsed.error) return `${parsed.error.message ?? 'error'} (code ${parsed.error.code ?? '?'})`;
  } catch {
    // not JSON
  }
  return body.slice(0, 120);
}

export async function runDoctor(config: Config, print: (line: string) => void = console.log): Promise<boolean> {
  let failed = false;
  const report = (outcome: Outcome, what: string, detail: string) => {
    if (outcome === 'fail') failed = true;
    print(`[${MARK[outcome]}] ${what}: ${detail}`);
  };

  report('ok', 'configuration', `valid; listening on ${config.host}:${config.port}, public URL ${config.publicUrl}`);
  if (!config.publicUrl.startsWith('https:')) {
    report('warn', 'public URL', 'is not https; Meta only calls https webhooks (see the README on the Caddy profile)');
  }

  try {
    const deps = await openStore(config);
    try {
      const version = await deps.db.get<{ cipher_version: string }>('PRAGMA cipher_version');
      const check = await deps.db.get<{ quick_check: string }>('PRAGMA quick_check');
      const users = await deps.db.get<{ owners: number; total: number }>(
        "SELECT count(*) AS total, sum(role = 'owner' AND status = 'active') AS owners FROM users",
      );
      report(
        deps.databaseKey.source === 'generated' ? 'warn' : 'ok',
        'database key',
        deps.databaseKey.source === 'generated'
          ? `opens the database, but lies beside it in ${deps.databaseKey.file}; move it into a secret`
          : `opens the database (from ${deps.databaseKey.source === 'env' ? 'DATABASE_KEY' : 'DATABASE_KEY_FILE'})`,
      );
      report(
        check?.quick_check === 'ok' ? 'ok' : 'fail',
        'database',
        `${deps.db.file}, SQLCipher ${version?.cipher_version ?? '?'}, integrity ${check?.quick_check ?? 'unknown'}`,
      );
      report(
        users?.owners ? 'ok' : 'warn',
        'accounts',
        users?.owners ? `${users.total} user(s), ${users.owners} active owner(s)` : 'no owner yet; open /setup or run user:add',
      );
    } finally {
      await deps.db.close();
    }
  } catch (err) {
    report('fail', 'database', err instanceof DatabaseKeyError ? err.message : `cannot be opened: ${(err as Error).message}`);
  }

  const { fb } = config;
  if (!fb.pageAccessToken) {
    report('ok', 'messenger', 'sandbox mode (no FB_PAGE_ACCESS_TOKEN): nothing is sent to Meta');
  } else {
    const params = new URLSearchParams({ fields: 'id,name', access_token: fb.pageAccessToken });
    if (fb.appSecret) {
      params.set('appsecret_proof', crypto.createHmac('sha256', fb.appSecret).update(fb.pageAccessToken).digest('hex'));
    }
    try {
      const res = await reach(`${config.graphApiUrl}/${config.graphApiVersion}/me?${params}`, {});
      if (res.status === 200) {
        const page = JSON.parse(res.body) as { id?: string; name?: string };
        report('ok', 'messenger', `the Page token works for "${page.name ?? page.id}"`);
      } else {
        report('fail', 'messenger', `Graph API refused the Page token: ${graphErrorMessage(res.body)}`);
      }
    } catch (err) {
      report('fail', 'messenger', `cannot reach ${config.graphApiUrl}: ${(err as Error).message}`);
    }
  }
  if (!fb.appSecret) report('warn', 'messenger', 'FB_APP_SECRET is not set; webhook signatures from Meta cannot be checked');

  const { ai } = config;
  if (ai.provider === 'none' || ai.mode === 'off') {
    report('ok', 'ai', 'off');
  } else {
    const openai = ai.provider === 'openai';
    const key = openai ? ai.openaiApiKey : ai.anthropicApiKey;
    const base = openai
      ? (ai.openaiBaseUrl ?? 'https://api.openai.com/v1')
      : `${ai.anthropicBaseUrl ?? 'https://api.anthropic.com'}/v1`;
    const headers: Record<string, string> = openai
      ? { authorization: `Bearer ${key ?? ''}` }
      : { 'x-api-key': key ?? '', 'anthropic-version': '2023-06-01' };
    if (!key && !(openai && ai.openaiBaseUrl)) {
      report('fail', 'ai', `${openai ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY'} is not set`);
    } else {
      try {
        const res = await reach(`${base}/models`, headers);
        if (res.status === 200) report('ok', 'ai', `${ai.provider} answers at ${base} (mode ${ai.mode})`);
        else report('fail', 'ai', `${ai.provider} at ${base} answered ${res.status}: ${res.body.slice(0, 120)}`);
      } catch (err) {
        report('fail', 'ai', `cannot reach ${base}: ${(err as Error).message}`);
      }
    }
  }
  print(failed ? 'Something needs attention (see FAIL above).' : 'All checks passed.');
  return !failed;
}
