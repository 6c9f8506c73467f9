// The owner's Settings, one page per section (views/settings/_sections.ejs lists them): the business
// profile (used by the privacy page), the Messenger connection details to paste into Meta's
// dashboard (built from PUBLIC_URL or this request's address), canned responses and API tokens.
// Contact fields, AI, labels and the team have their own routers; the database key is on Privacy.
// Every save comes back to its own section with its message.
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import type { Deps } from '../deps';
import { listApiTokens, tokenStatus } from '../auth/api-tokens';
import { listCanned } from '../inbox/canned';
import { pastedLinkBase } from '../core/public-url';
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

/** The sections this router renders; the others (labels, contact fields, team, AI) are pages of their own. */
export type SettingsSection = 'business' | 'messenger' | 'canned' | 'tokens';

export interface SettingsExtras {
  /** Which section to show; by default the one the other extras belong to, else Business. */
  section?: SettingsSection;
  messengerSaved?: boolean;
  messengerError?: string;
  test?: { ok: boolean; message: string };
  canned?: CannedFormState;
  tokens?: TokensFormState;
  status?: number;
}

const SECTION_TITLES: Record<SettingsSection, string> = {
  business: 'Business',
  messenger: 'Messenger',
  canned: 'Canned responses',
  tokens: 'API tokens',
};

function sectionOf(extra: SettingsExtras): SettingsSection {
  if (extra.section) return extra.section;
  if (extra.canned) return 'canned';
  if (extra.tokens) return 'tokens';
  if (extra.messengerSaved || extra.messengerError || extra.test) return 'messenger';
  return 'business';
}

/** A Settings section; the routers of canned responses and tokens re-render theirs with their errors. */
export async function renderSettings(
  deps: Deps,
  res: Response,
  profile: BusinessProfile,
  problems: Record<string, string> = {},
  saved = false,
  extra: SettingsExtras = {},
): Promise<void> {
  const { db, config } = deps;
  const channel = { ...(await deps.channel.state()), ...(await deps.channel.health()) };
  const base = pastedLinkBase(config, res.req);
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
    title: `${SECTION_TITLES[sectionOf(extra)]} · Settings`,
    section: sectionOf(extra),
    profile,
    problems,
    saved,
    messenger: {
      webhookUrl: `${base}/webhooks/messenger`,
      dataDeletionUrl: `${base}/webhooks/messenger/data-deletion`,
      privacyPolicyUrl: `${base}/privacy`,
      verifyToken: channel.verifyToken,
      verifyTokenFromEnv: channel.verifyTokenSource === 'env',
      pageId: config.fb.pageId,
      sandbox: channel.sandbox,
      appSecretSet: channel.appSecretSource === 'env' || channel.appSecretSource === 'settings',
    },
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

  // /settings shows the first section; old links to /settings#messenger and the like are sent on to
  // their section's page by public/js/settings-sections.js.
  const business = async (req: Request, res: Response) =>
    render(res, await getBusinessProfile(db), {}, req.query.saved === '1', { section: 'business' });
  router.get('/settings', business);
  router.get('/settings/business', business);

  router.get('/settings/messenger', async (req: Request, res: Response) => {
    const messengerSaved = req.query.saved === '1' || req.query.messenger === 'saved';
    await render(res, await getBusinessProfile(db), {}, false, { section: 'messenger', messengerSaved });
  });

  router.get('/settings/canned', async (req: Request, res: Response) => {
    const canned = req.query.canned === 'saved' || req.query.canned === 'deleted' ? { saved: req.query.canned } : {};
    await render(res, await getBusinessProfile(db), {}, false, { section: 'canned', canned });
  });

  router.get('/settings/tokens', async (_req: Request, res: Response) => {
    await render(res, await getBusinessProfile(db), {}, false, { section: 'tokens' });
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
    res.redirect(303, '/settings/messenger?saved=1');
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
    if (Object.keys(problems).length) return render(res, profile, problems, false, { section: 'business' });
    await saveBusinessProfile(db, profile);
    await audit(db, {
      actorUserId: req.session?.user.id,
      actor: req.session?.user.email ?? 'token',
      action: 'settings.business-saved',
      ip: req.ip,
    });
    res.redirect(303, '/settings/business?saved=1');
  });

  return router;
}
