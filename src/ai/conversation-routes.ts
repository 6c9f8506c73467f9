// The AI in a conversation, for staff and the owner: a suggested reply now ("Suggest a reply",
// Alt+S), the composer's helpers (improve, shorten, translate, summarize), dismissing a waiting
// draft, handing the conversation back to the AI, and this conversation's own AI mode. htmx asks
// for the partials the composer swaps in (views/inbox/_ai-*.ejs, wired by public/js/composer-ai.js);
// when the AI cannot help (off, paused, this person opted out, a cap, the provider failed) the
// answer is a readable message in the composer — a 409, or a 502 for the provider — never an
// error page. A person's "no AI" switch is on their contact page (crm/routes.ts).
import { Router, type Request, type Response } from 'express';
import { requireUser } from '../auth/middleware';
import { AppError, badRequest } from '../core/errors';
import { routeEntity, wantsJson } from '../core/http';
import type { Deps } from '../deps';
import { inboxRow, type InboxRow } from '../inbox/list';
import { renderInbox } from '../inbox/page';
import { auditActor } from '../privacy/audit';
import type { HelperKind } from './assistant';
import { ProviderError } from './providers/provider';

const KINDS: readonly HelperKind[] = ['improve', 'shorten', 'translate', 'summarize'];
/** The mode select's values: "settings" follows Settings → AI. */
const MODES = { settings: null, off: 'off', suggest: 'suggest', auto: 'auto' } as const;

/** A partial for the composer: an htmx request that is not a boosted navigation. */
function wantsPartial(req: Request): boolean {
  return Boolean(req.get('hx-request')) && !req.get('hx-boosted');
}

/** A form field as text (absent: undefined); a repeated or structured value is refused. */
function field(req: Request, name: string): string | undefined {
  const value = (req.body as Record<string, unknown>)[name];
  if (value === undefined || Array.isArray(req.body)) return undefined;
  if (typeof value !== 'string') throw badRequest('invalid-field', `"${name}" must be given once, as text.`);
  return value;
}

/** What the person can be told when the AI could not help; undefined for anything else (a bug). */
function aiProblem(err: unknown): AppError | undefined {
  if (err instanceof ProviderError) return new AppError(502, 'ai-provider-error', err.message);
  if (err instanceof AppError && err.status >= 400 && err.status < 500 && err.status !== 404) return err;
  return undefined;
}

export function aiConversationRouter(deps: Deps): Router {
  const { db, assistant } = deps;
  const router = Router();
  router.use('/conversations', requireUser);
  const conversationOf = routeEntity(router, 'conversation', (id) => inboxRow(db, id), 'That conversation does not exist.');
  const back = (res: Response, c: InboxRow) => res.redirect(303, `/conversations/${c.id}`);

  /** Runs a call to the AI; what went wrong shows in the composer, with what was typed kept. */
  async function inComposer(req: Request, res: Response, c: InboxRow, run: () => Promise<unknown>): Promise<void> {
    try {
      await run();
    } catch (err) {
      const problem = aiProblem(err);
      if (!problem || wantsJson(req)) throw problem ?? err;
      res.status(problem.status);
      if (wantsPartial(req)) {
        res.set({ 'HX-Retarget': '#ai-status', 'HX-Reswap': 'innerHTML' }).render('inbox/_ai-status', { error: problem.message });
        return;
      }
      const typed = typeof req.body?.text === 'string' ? (req.body.text as string) : undefined;
      await renderInbox(deps, req, res, { conversation: c, error: problem.message, draft: typed, status: problem.status });
    }
  }

  router.post('/conversations/:conversation/ai/suggest', async (req, res) => {
    const c = conversationOf(req);
    await inComposer(req, res, c, async () => {
      const text = await assistant.suggest(c.id, auditActor(req).actor);
      if (wantsJson(req)) res.json({ text });
      // Asked for: it replaces what is in the composer (the waiting draft is saved, so a reload shows it too).
      else if (wantsPartial(req)) res.render('inbox/_ai-draft', { conversation: c, aiDraft: { text }, aiDraftState: 'asked' });
      else back(res, c);
    });
  });

  router.post('/conversations/:conversation/ai/help', async (req, res) => {
    const c = conversationOf(req);
    await inComposer(req, res, c, async () => {
      const kind = field(req, 'kind') as HelperKind | undefined;
      if (!kind || !KINDS.includes(kind))
        throw badRequest('invalid-kind', 'Choose what the AI should do: improve, shorten, translate or summarize.');
      const draft = field(req, 'text') ?? '';
      const text = await assistant.help(kind, c.id, draft, auditActor(req).actor);
      if (wantsJson(req)) res.json({ kind, text });
      else if (wantsPartial(req))
        res.render(kind === 'summarize' ? 'inbox/_ai-summary' : 'inbox/_ai-status', {
          aiSummary: text,
          aiFill: text,
          aiKind: kind,
        });
      else
        await renderInbox(deps, req, res, {
          conversation: c,
          draft: kind === 'summarize' ? draft : text,
          aiSummary: kind === 'summarize' ? text : undefined,
        });
    });
  });

  router.post('/conversations/:conversation/ai/draft/dismiss', async (req, res) => {
    const c = conversationOf(req);
    await assistant.dismissDraft(c.id);
    if (wantsJson(req)) res.status(204).end();
    else if (wantsPartial(req)) res.render('inbox/_ai-draft', { conversation: c });
    else back(res, c);
  });

  router.post('/conversations/:conversation/ai/hand-back', async (req, res) => {
    const c = conversationOf(req);
    await assistant.handBack(c.id);
    if (wantsJson(req)) res.status(204).end();
    else back(res, c);
  });

  router.post('/conversations/:conversation/ai/mode', async (req, res) => {
    const c = conversationOf(req);
    const value = field(req, 'mode') ?? '';
    if (!Object.hasOwn(MODES, value))
      throw badRequest('invalid-ai-mode', 'Choose how the AI works here: follow Settings, off, suggest or auto.');
    await assistant.setMode(c.id, MODES[value as keyof typeof MODES]);
    if (wantsJson(req)) res.status(204).end();
    else back(res, c);
  });

  return router;
}
