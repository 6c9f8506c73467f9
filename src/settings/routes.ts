// The owner's Settings page: the business profile (used by the privacy page), the Messenger
// connection details to paste into Meta's dashboard, AI status, and where the database key lives.
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import type { Deps } from '../deps';
import { listApiTokens, tokenStatus } from '../auth/api-tokens';
import { listCanned } from '../inbox/canned';
import { GraphError } from '../messenger/graph';
import { audit } from '../privacy/audit';
import { getBusinessProfile, getSetting, saveBusinessProfile, type BusinessProfile } from './store';
import { validateBusinessProfile } from './validate';

/** What the Canned responses section shows after a failed form: the message and the input kept. */
export interface CannedFormState {
  error?: string;
  saved?: string;
  /** The row being edited (undefined: the add form). */
  editId?: number;
  draft?: { shortcut: string; text: string };
}

/** What the API tokens section shows after an action: the new token (once), or the refusal. */
export interface TokensFormState {
  created?: { name: string; token: string };
  revoked?: string;
  error?: string;
  draft?: { name: string; role: string };
}

export interface SettingsExtras {
  messengerSaved?: boolean;
  messengerError?: string;
  test?: { ok: boolean; message: string };
  canned?: CannedFormState;
  tokens?: TokensFormState;
  status?: number;
}

/** The Settings page; other owner areas shown on it (canned responses) re-render it with their errors. */
export async function renderSettings(
  deps: Deps,
  res: Response,
  profile: BusinessProfile,
  problems: Record<string, string> = {},
  saved = false,
  extra: SettingsExtras = {},
): Promise<void> {
  const { db, config, databaseKey } = deps;
  const channel = { ...(await deps.channel.state()), ...(await deps.channel.health()) };
  res.status(extra.status ?? (Object.keys(problems).length || extra.messengerError ? 400 : 200)).render('settings/index', {
    channel,
    env: {
      pageId: Boolean(config.fb.pageId),
      token: Boolean(config.fb.pageAccessToken),
      appSecret: Boolean(config.fb.appSecret),
    },
    storedPageId: (await getSetting(db, 'messenger.page_id')) ?? '',
    messengerSaved: extra.messengerSaved ?? false,
    messengerError: extra.messengerError,
    test: extra.test,
    title: 'Settings',
    profile,
    problems,
    saved,
    messenger: {
      webhookUrl: `${config.publicUrl}/webhooks/messenger`,
      verifyToken: channel.verifyToken,
      verifyTokenFromEnv: channel.verifyTokenSource === 'env',
      pageId: config.fb.pageId,
      sandbox: channel.sandbox,
      appSecretSet: channel.appSecretSource === 'env' || channel.appSecretSource === 'settings',
    },
    key: { source: databaseKey.source, file: databaseKey.file, dataDir: config.dataDir },
    canned: { items: await listCanned(db), ...extra.canned },
    tokens: { items: (await listApiTokens(db)).map((t) => ({ ...t, status: tokenStatus(t) })), ...extra.tokens },
  });
}

export function settingsRouter(deps: Deps): Router {
  const { db, outbox, channel } = deps;
  const router = Router();
  router.use('/settings', requireUser, requireOwner);

  const render = (
    res: Response,
    profile: BusinessProfile,
    problems: Record<string, string> = {},
    saved = false,
    extra: SettingsExtras = {},
  ) => renderSettings(deps, res, profile, problems, saved, extra);

  router.get('/settings', async (req: Request, res: Response) => {
    const canned = req.query.canned === 'saved' || req.query.canned === 'deleted' ? { saved: req.query.canned } : undefined;
    await render(res, await getBusinessProfile(db), {}, req.query.saved === '1', {
      messengerSaved: req.query.messenger === 'saved',
      canned,
    });
  });

  // Page token, app secret and Page id as saved in the encrypted database (the environment wins),
  // and the Human Agent tag switch. A blank secret field keeps the stored value.
  router.post('/settings/messenger', async (req, res) => {
    const body = req.body as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string).trim() : '');
    const pageId = text('page_id');
    if (pageId && !/^\d+$/.test(pageId)) {
      return render(res, await getBusinessProfile(db), {}, false, {
        messengerError: 'The Page id is a number, like 104729385012345.',
      });
    }
    const humanAgent = body.human_agent === 'on';
    const { tokenChanged } = await channel.save({
      pageId,
      pageToken: text('page_token') || undefined,
      removeToken: body.remove_token === 'on',
      appSecret: text('app_secret') || undefined,
      humanAgent,
    });
    // A new token: held replies go out now.
    if (tokenChanged) await outbox.tokenWorks();
    await audit(db, {
      actorUserId: req.session?.user.id,
      actor: req.session?.user.email ?? 'token',
      action: 'settings.messenger-saved',
      detail: { tokenChanged, humanAgent },
      ip: req.ip,
    });
    res.redirect(303, '/settings?messenger=saved#messenger');
  });

  router.post('/settings/messenger/test', async (_req, res) => {
    const state = await channel.state();
    const graph = channel.graph(state);
    let test: { ok: boolean; message: string };
    if (!graph) {
      test = { ok: false, message: 'No Page token yet: ChatX is in sandbox mode.' };
    } else {
      try {
        const page = await graph.me();
        test = { ok: true, message: `Connected to the Page "${page.name ?? page.id}" (${page.id}).` };
        // The token says which Page it is for: until a Page id is set, that one is this install's
        // (and events for any other Page are ignored from now on).
        if (!state.ownPageId && /^\d+$/.test(page.id)) await channel.save({ pageId: page.id });
        if (state.tokenState === 'invalid') await outbox.tokenWorks();
      } catch (err) {
        if (!(err instanceof GraphError)) throw err;
        test = { ok: false, message: `Meta refused: ${err.message}` };
      }
    }
    await render(res, await getBusinessProfile(db), {}, false, { test });
  });

  router.post('/settings/business', async (req, res) => {
    const { profile, problems } = validateBusinessProfile(req.body as Record<string, unknown>);
    if (Object.keys(problems).length) return render(res, profile, problems);
    await saveBusinessProfile(db, profile);
    await audit(db, {
      actorUserId: req.session?.user.id,
      actor: req.session?.user.email ?? 'token',
      action: 'settings.business-saved',
      ip: req.ip,
    });
    res.redirect(303, '/settings?saved=1');
  });

  return router;
}
