// Settings → AI, for the owner: the provider and its key, the mode, business hours and the
// disclosure, the handoff rule, the daily caps, the knowledge the AI answers from, the usage per
// day, and a Test button. A refused form shows itself again with its problems and saves nothing;
// every change goes through saveAiSettings, then the assistant re-reads (assistant.changed). The
// stored key is never sent back to the browser, nor written to the audit log.
import { Router, type Request, type Response } from 'express';
import { requireOwner, requireUser } from '../auth/middleware';
import { listActiveUsers } from '../auth/users';
import { conflict } from '../core/errors';
import { formAction, routeEntity } from '../core/http';
import type { Deps } from '../deps';
import { audit, auditActor } from '../privacy/audit';
import { getSetting } from '../settings/store';
import {
  addKnowledge,
  deleteKnowledge,
  listKnowledge,
  MAX_BODY,
  MAX_TITLE,
  updateKnowledge,
  type KnowledgeEntry,
} from './knowledge';
import { dayOf, usageByDay } from './ledger';
import { CAP_FIELDS, changedFields, formOf, MAX_DISCLOSURE, parseAiForm, TIMEOUT_SECONDS, type AiForm } from './settings-form';
import { defaultModel, saveAiSettings, usable, type AiSettings } from './settings';

/** What the page shows besides the settings in force: a refused form, a test's answer, a notice. */
interface PageState {
  status?: number;
  form?: AiForm;
  problems?: Record<string, string>;
  saved?: boolean;
  resumed?: boolean;
  test?: { ok: boolean; message: string };
  knowledge?: { saved?: string; error?: string; editId?: number; draft?: { title: string; body: string; always: boolean } };
}

/** In a few words: whether the AI answers now, and if not, why. */
function statusOf(s: AiSettings): { on: boolean; text: string } {
  if (s.paused) return { on: false, text: 'Paused' };
  if (s.provider === 'none') return { on: false, text: 'Off: no provider chosen' };
  if (!usable(s)) return { on: false, text: 'Not set up: the provider needs an API key' };
  if (s.mode === 'off') return { on: false, text: 'Off' };
  return { on: true, text: s.mode === 'auto' ? 'On: answers customers by itself' : 'On: suggests replies to staff' };
}

export function aiSettingsRouter(deps: Deps): Router {
  const { db, config, assistant } = deps;
  const router = Router();
  router.use('/settings/ai', requireUser, requireOwner);
  const entryOf = routeEntity<KnowledgeEntry>(
    router,
    'entry',
    async (id) => (await listKnowledge(db)).find((e) => e.id === id),
    'That knowledge entry does not exist (any more).',
  );

  async function renderPage(res: Response, state: PageState = {}): Promise<void> {
    const s = await assistant.settings();
    const usage = await usageByDay(db);
    const today = usage.find((d) => d.day === dayOf());
    const openai = s.provider !== 'anthropic';
    res.status(state.status ?? 200).render('ai/settings', {
      title: 'AI settings',
      nav: 'settings',
      problems: state.problems ?? {},
      saved: state.saved ?? false,
      test: state.test,
      users: await listActiveUsers(db),
      ai: {
        form: state.form ?? formOf(s, (await getSetting(db, 'ai.model')) ?? ''),
        status: statusOf(s),
        paused: s.paused,
        resumed: state.resumed ?? false,
        fromEnv: s.fromEnv,
        envNames: {
          apiKey: openai ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY',
          baseUrl: openai ? 'OPENAI_BASE_URL' : 'ANTHROPIC_BASE_URL',
        },
        // Whether a key is saved here: said, never shown.
        keyStored: !s.fromEnv.apiKey && Boolean(s.apiKey),
        defaults: { openai: defaultModel('openai'), anthropic: defaultModel('anthropic'), current: defaultModel(s.provider) },
        caps: CAP_FIELDS,
        timeout: TIMEOUT_SECONDS,
        maxDisclosure: MAX_DISCLOSURE,
        knowledge: {
          items: await listKnowledge(db),
          file: config.ai.knowledgeFile,
          maxTitle: MAX_TITLE,
          maxBody: MAX_BODY,
          ...state.knowledge,
        },
        usage: {
          days: usage,
          today: { calls: today?.calls ?? 0, tokens: (today?.input_tokens ?? 0) + (today?.output_tokens ?? 0) },
          caps: s.caps,
        },
      },
    });
  }

  router.get('/settings/ai', async (req, res) => {
    const done = req.query.knowledge;
    await renderPage(res, {
      saved: req.query.saved === '1',
      resumed: req.query.resumed === '1',
      knowledge: done === 'saved' || done === 'deleted' ? { saved: done } : undefined,
    });
  });

  router.post('/settings/ai', async (req, res) => {
    const before = await assistant.settings();
    const storedModel = (await getSetting(db, 'ai.model')) ?? '';
    const users = await listActiveUsers(db);
    const { form, problems, saved } = parseAiForm(
      req.body as Record<string, unknown>,
      before,
      users.map((u) => u.id),
    );
    if (!saved) return renderPage(res, { status: 400, form, problems });
    await db.transaction((tx) => saveAiSettings(tx, saved));
    await assistant.changed();
    await audit(db, { ...auditActor(req), action: 'settings.ai', detail: { fields: changedFields(before, storedModel, saved) } });
    res.redirect(303, '/settings/ai?saved=1');
  });

  // One real call with the saved settings. htmx swaps the answer into the page; without JS the
  // whole page comes back with it.
  router.post('/settings/ai/test', async (req, res) => {
    const who = auditActor(req);
    const result = await assistant.test(who.actor);
    await audit(db, { ...who, action: 'ai.test', detail: { ok: result.ok } });
    const test = result.ok ? { ok: true, message: result.text } : { ok: false, message: result.error };
    if (req.get('HX-Request') && !req.get('HX-Boosted')) return res.render('ai/_test-result', { test });
    await renderPage(res, { test });
  });

  router.post('/settings/ai/resume', async (req, res) => {
    const paused = (await assistant.settings()).paused;
    if (paused) await assistant.resume();
    await audit(db, { ...auditActor(req), action: 'ai.resume', detail: { was_paused: Boolean(paused) } });
    res.redirect(303, '/settings/ai?resumed=1');
  });

  const entryInput = (req: Request) => {
    const body = req.body as Record<string, unknown>;
    const text = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
    return { title: text('title'), body: text('body'), always: body.always === 'on' };
  };
  const writable = (entry: KnowledgeEntry) => {
    if (entry.source === 'file')
      throw conflict('read-only-entry', `“${entry.title}” comes from the knowledge file (AI_KNOWLEDGE_FILE): change it there.`);
  };

  /** Runs a knowledge change; a refusal the owner can fix shows the page again with the input kept. */
  async function knowledgeChange(
    req: Request,
    res: Response,
    editId: number | undefined,
    work: () => Promise<{ change: 'added' | 'updated' | 'deleted'; id: number }>,
  ) {
    await formAction(
      async () => {
        const { change, id } = await work();
        await audit(db, { ...auditActor(req), action: 'ai.knowledge', target: `knowledge:${id}`, detail: { change } });
        res.redirect(303, `/settings/ai?knowledge=${change === 'deleted' ? 'deleted' : 'saved'}#knowledge`);
      },
      (err) => renderPage(res, { status: err.status, knowledge: { error: err.message, editId, draft: entryInput(req) } }),
    );
  }

  router.post('/settings/ai/knowledge', (req, res) =>
    knowledgeChange(req, res, undefined, async () => {
      return { change: 'added', id: await addKnowledge(db, entryInput(req)) };
    }),
  );

  router.post('/settings/ai/knowledge/:entry', (req, res) => {
    const entry = entryOf(req);
    return knowledgeChange(req, res, entry.id, async () => {
      writable(entry);
      await updateKnowledge(db, entry.id, entryInput(req));
      return { change: 'updated', id: entry.id };
    });
  });

  router.post('/settings/ai/knowledge/:entry/delete', (req, res) => {
    const entry = entryOf(req);
    return knowledgeChange(req, res, entry.id, async () => {
      writable(entry);
      await deleteKnowledge(db, entry.id);
      return { change: 'deleted', id: entry.id };
    });
  });

  return router;
}
