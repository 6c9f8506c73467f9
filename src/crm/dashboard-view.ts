// What the dashboard page and its CSV files show of the figures (crm/dashboard.ts): the tables, each
// with its CSV file, and the geometry of the server-drawn SVG charts beside them. No script draws
// anything: the strict CSP allows none inline, and a chart that is plain markup prints and reads
// aloud (each has a title, a description and the table with its numbers).
import type { DashboardFigures, Durations } from './dashboard';

export type Cell = string | number | null;
export interface Table {
  /** The CSV's name: /dashboard/<name>.csv */
  name: string;
  caption: string;
  columns: string[];
  rows: Cell[][];
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h"; "—" when there is nothing to show. */
export function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < MINUTE) return `${Math.round(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.round(ms / MINUTE)} min`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ${Math.round((ms % HOUR) / MINUTE)} min`;
  return `${Math.floor(ms / DAY)} d ${Math.round((ms % DAY) / HOUR)} h`;
}

/** Cents as an amount with two decimals and thousands separators ("1,250.00"). */
export function money(cents: number): string {
  return (cents / 100).toLocaleString('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

const seconds = (ms: number | null) => (ms === null ? null : Math.round(ms / SECOND));

function durationRows(label: string, d: Durations): Cell[][] {
  const rows: Cell[][] = [[label, 'wall clock', d.count, d.waiting, seconds(d.wall.median), seconds(d.wall.p90)]];
  if (d.business) rows.push([label, 'business hours', d.count, d.waiting, seconds(d.business.median), seconds(d.business.p90)]);
  return rows;
}

/** Every table of the dashboard, as the page shows it and its CSV file holds it. */
export function dashboardTables(f: DashboardFigures): Record<string, Table> {
  const per = f.range.step === 'week' ? 'week_starting' : 'day';
  const list: Table[] = [
    {
      name: 'conversations',
      caption: `New conversations per ${f.range.step}`,
      columns: [per, 'new_conversations'],
      rows: f.conversations.points.map((p) => [p.day, p.count]),
    },
    {
      name: 'leads',
      caption: `New leads per ${f.range.step}`,
      columns: [per, 'new_leads'],
      rows: f.leads.points.map((p) => [p.day, p.count]),
    },
    {
      name: 'response-times',
      caption: 'First response and resolution times',
      columns: ['measure', 'clock', 'measured', 'waiting', 'median_seconds', 'p90_seconds'],
      rows: [...durationRows('first response', f.firstResponse), ...durationRows('resolution', f.resolution)],
    },
    {
      name: 'agents',
      caption: 'Replies per agent',
      columns: ['agent', 'user_id', 'replies'],
      rows: [...f.agents.map((a): Cell[] => [a.name, a.userId, a.replies]), ['AI assistant', null, f.aiReplies]],
    },
    {
      name: 'stages',
      caption: 'New leads by stage now',
      columns: ['stage', 'kind', 'leads', 'value'],
      rows: f.stages.map((s) => [s.name, s.kind, s.leads, (s.valueCents / 100).toFixed(2)]),
    },
    {
      name: 'sources',
      caption: 'New leads by source',
      columns: ['source', 'leads'],
      rows: f.sources.map((s) => [s.source, s.leads]),
    },
    {
      name: 'conversion',
      caption: 'Conversion from first message to won',
      columns: ['new_contacts', 'won', 'conversion_percent', 'won_value'],
      rows: [
        [
          f.conversion.contacts,
          f.conversion.won,
          f.conversion.rate === null ? null : Number((f.conversion.rate * 100).toFixed(1)),
          (f.wonValueCents / 100).toFixed(2),
        ],
      ],
    },
  ];
  return Object.fromEntries(list.map((t) => [t.name, t]));
}

export interface Column {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  count: number;
}

/** A column chart of counts over time, in a viewBox `width` × `height` (bars fill the plot area). */
export function columnChart(points: { day: string; count: number }[], width = 640, height = 160) {
  const max = Math.max(1, ...points.map((p) => p.count));
  const slot = width / Math.max(1, points.length);
  const gap = Math.min(4, slot * 0.2);
  const columns: Column[] = points.map((p, i) => {
    const h = Math.round((p.count / max) * (height - 4) * 10) / 10;
    return {
      x: Math.round((i * slot + gap / 2) * 10) / 10,
      y: height - h,
      width: Math.max(1, slot - gap),
      height: h,
      label: p.day,
      count: p.count,
    };
  });
  return { width, height, max, columns };
}

/** Horizontal bars for labelled counts, as percentages of the largest (for a width="N%" attribute). */
export function barChart(items: { label: string; count: number }[]) {
  const max = Math.max(1, ...items.map((i) => i.count));
  return items.map((i) => ({ ...i, percent: Math.round((i.count / max) * 1000) / 10 }));
}
