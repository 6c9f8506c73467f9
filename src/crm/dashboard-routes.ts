// The dashboard, for everyone signed in: GET /dashboard (the page: a date-range picker, charts with
// their tables), GET /dashboard.json (the same figures for programs) and GET /dashboard/:table.csv
// (one table). The range is ?from=YYYY-MM-DD&to=YYYY-MM-DD in TZ, by default the last 30 days; a
// bad or too long range is a 400 that says what to change (the page keeps its picker).
import { Router, type Request, type Response } from 'express';
import { aiSettingsFrom, type BusinessHours } from '../ai/settings';
import { requireUser } from '../auth/middleware';
import { AppError, notFound } from '../core/errors';
import type { Deps } from '../deps';
import { csv, onePage } from '../privacy/export-format';
import { getSettings } from '../settings/store';
import { dashboardFigures } from './dashboard';
import { lastDays, MAX_RANGE_DAYS, parseRange, PRESETS } from './dashboard-range';
import { barChart, columnChart, dashboardTables, duration, money, type Cell } from './dashboard-view';

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

export function dashboardRouter(deps: Deps): Router {
  const { db, config } = deps;
  const router = Router();

  /** Business hours count only when the owner saved them in Settings → AI. */
  async function businessHours(): Promise<BusinessHours | null> {
    const saved = await getSettings(db, 'ai.');
    return saved['ai.hours'] ? aiSettingsFrom(saved, config).hours : null;
  }

  const figuresFor = async (req: Request) => dashboardFigures(db, parseRange(req.query), await businessHours());
  const presets = () => PRESETS.map((days) => ({ days, ...lastDays(days) }));

  router.get('/dashboard', requireUser, async (req, res) => {
    let figures;
    try {
      figures = await figuresFor(req);
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 400) throw err;
      const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 20) : '');
      res.status(400).render('crm/dashboard', {
        title: 'Dashboard',
        nav: 'dashboard',
        error: err.message,
        dash: { picked: { from: str(req.query.from), to: str(req.query.to) }, presets: presets(), maxDays: MAX_RANGE_DAYS },
      });
      return;
    }
    const tables = dashboardTables(figures);
    const query = new URLSearchParams({ from: figures.range.from, to: figures.range.to }).toString();
    const hours = figures.businessHours;
    res.render('crm/dashboard', {
      title: 'Dashboard',
      nav: 'dashboard',
      error: undefined,
      dash: {
        picked: { from: figures.range.from, to: figures.range.to },
        presets: presets(),
        maxDays: MAX_RANGE_DAYS,
        f: figures,
        tables,
        query,
        duration,
        money,
        hoursText: hours ? `${hours.days.map((d) => DAY_NAMES[d]).join(', ')}, ${hours.open}–${hours.close}` : '',
        charts: {
          conversations: columnChart(figures.conversations.points),
          leads: columnChart(figures.leads.points),
          agents: barChart([
            ...figures.agents.map((a) => ({ label: a.name, count: a.replies })),
            { label: 'AI assistant', count: figures.aiReplies },
          ]),
          stages: barChart(figures.stages.map((s) => ({ label: s.name, count: s.leads }))),
          sources: barChart(figures.sources.map((s) => ({ label: s.source, count: s.leads }))),
        },
      },
    });
  });

  router.get('/dashboard.json', requireUser, async (req, res: Response) => {
    try {
      res.json(await figuresFor(req));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
    }
  });

  router.get('/dashboard/:table.csv', requireUser, async (req, res) => {
    const name = String(req.params.table);
    const figures = await figuresFor(req);
    const tables = dashboardTables(figures);
    if (!Object.hasOwn(tables, name)) throw notFound('There is no dashboard table by that name.');
    const table = tables[name];
    const columns = table.columns.map((column, i) => ({ name: column, value: (row: Cell[]) => row[i] }));
    let body = '';
    for await (const chunk of csv(columns, onePage(Promise.resolve(table.rows)))) body += chunk;
    res.type('text/csv; charset=utf-8').attachment(`chatx-${name}-${figures.range.from}-to-${figures.range.to}.csv`).send(body);
  });

  return router;
}
