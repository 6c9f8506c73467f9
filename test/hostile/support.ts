// Shared by the hostile-input suite: the XSS corpus and the checks that an HTML page or an answer is
// safe (no payload unescaped, no script or event handler that came from input, no stack trace or
// internal detail), table snapshots for "a refused request wrote nothing", and fast-check settings.
import assert from 'node:assert/strict';
import type { Express } from 'express';
import fc from 'fast-check';
import type { Queryable } from '../../src/core/db';

/** A product no page computes by itself: finding it means some template evaluated input. */
export const TEMPLATE_PRODUCT = String(91193 * 91193); // 8316163249

/** What a hostile customer or staff member types. */
export const XSS_CORPUS: readonly string[] = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  'javascript:alert(1)',
  ' JaVaScRiPt:alert(1)',
  '</textarea><script>alert(1)</script>',
  '</title><script>alert(1)</script>',
  '{{7*7}}',
  '{{91193*91193}}',
  '${91193*91193}',
  '<%= 91193*91193 %>',
  '<svg onload=alert(1)>',
  "' onmouseover='alert(1)",
  '" onmouseover="alert(1)',
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '&lt;script&gt;alert(1)&lt;/script&gt;',
  '<a href="javascript:alert(1)">x</a>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  'RLO \u202Egnp.exe <b>bold</b>',
  'NUL \u0000 byte <i>x</i>',
  '😀🎉 emoji <u>u</u> 👨‍👩‍👧',
  '--><script>alert(1)</script><!--',
  '<style>*{display:none}</style>',
  'x'.repeat(5000) + '<script>alert(1)</script>',
];

/** Payloads that fit a field of at most `max` characters (labels, names …). */
export function corpusUpTo(max: number): string[] {
  return XSS_CORPUS.filter((p) => p.length <= max);
}

/**
 * Element names ChatX's own templates write (views/**), plus <mark> from search highlights and the
 * dashboard's inline SVG charts (svg, desc, line, rect; their attributes are checked like any other).
 */
const KNOWN_ELEMENTS = new Set(
  (
    'html head body meta title link script noscript main header nav aside article section footer div p span a ' +
    'label input textarea select option optgroup datalist button form fieldset legend details summary dialog ul ol li ' +
    'dl dt dd table caption thead tbody tr th td h1 h2 h3 strong em code kbd br img time mark progress ' +
    'svg desc line rect'
  ).split(' '),
);
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'data', 'background']);

function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);?/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    const named: Record<string, string> = {
      amp: '&',
      lt: '<',
      gt: '>',
      quot: '"',
      apos: "'",
      colon: ':',
      tab: '\t',
      newline: '\n',
    };
    return named[body.toLowerCase()] ?? whole;
  });
}

interface Tag {
  name: string;
  attributes: [string, string][];
  at: number;
}

/** Every start tag in the HTML, with its attributes as a browser reads them (quotes respected). */
export function startTags(html: string): Tag[] {
  const tags: Tag[] = [];
  const opener = /<([a-zA-Z][a-zA-Z0-9:-]*)/g;
  let m: RegExpExecArray | null;
  while ((m = opener.exec(html))) {
    const tag: Tag = { name: m[1].toLowerCase(), attributes: [], at: m.index };
    let i = opener.lastIndex;
    for (;;) {
      while (i < html.length && /[\s/]/.test(html[i])) i++;
      if (i >= html.length || html[i] === '>') break;
      const nameStart = i;
      while (i < html.length && !/[\s/>=]/.test(html[i])) i++;
      const name = html.slice(nameStart, i).toLowerCase();
      while (i < html.length && /\s/.test(html[i])) i++;
      let value = '';
      if (html[i] === '=') {
        i++;
        while (i < html.length && /\s/.test(html[i])) i++;
        const quote = html[i];
        if (quote === '"' || quote === "'") {
          const end = html.indexOf(quote, i + 1);
          value = html.slice(i + 1, end < 0 ? html.length : end);
          i = end < 0 ? html.length : end + 1;
        } else {
          const start = i;
          while (i < html.length && !/[\s>]/.test(html[i])) i++;
          value = html.slice(start, i);
        }
      }
      if (name) tag.attributes.push([name, decodeEntities(value)]);
      else i++;
    }
    opener.lastIndex = i;
    tags.push(tag);
  }
  return tags;
}

const excerpt = (html: string, at: number) => JSON.stringify(html.slice(Math.max(0, at - 60), at + 120));

/**
 * What is wrong with this HTML from a hostile-input point of view: a payload found verbatim (so not
 * escaped), an element ChatX never writes, an inline event handler, a script that is not ours, a
 * javascript: URL, or a template that evaluated input.
 */
export function htmlProblems(html: string, payloads: readonly string[] = XSS_CORPUS): string[] {
  const problems: string[] = [];
  for (const p of payloads) {
    if (!/[<>"']/.test(p)) continue; // nothing to escape: seeing it verbatim is right
    const at = html.indexOf(p);
    if (at >= 0) problems.push(`payload ${JSON.stringify(p.slice(0, 60))} appears unescaped: ${excerpt(html, at)}`);
  }
  for (const tag of startTags(html)) {
    if (!KNOWN_ELEMENTS.has(tag.name)) problems.push(`unexpected <${tag.name}> element: ${excerpt(html, tag.at)}`);
    for (const [name, value] of tag.attributes) {
      if (/^on/.test(name)) problems.push(`inline event handler ${name}= on <${tag.name}>: ${excerpt(html, tag.at)}`);
      if (name === 'srcdoc') problems.push(`srcdoc on <${tag.name}>: ${excerpt(html, tag.at)}`);
      // eslint-disable-next-line no-control-regex -- browsers ignore control characters and spaces in URLs
      const url = value.replace(/[\u0000-\u0020\u007f]/g, '').toLowerCase();
      if (URL_ATTRIBUTES.has(name) && /^(javascript|vbscript|data:text\/html)/.test(url))
        problems.push(`${name}="${value.slice(0, 40)}" on <${tag.name}>: ${excerpt(html, tag.at)}`);
    }
    if (tag.name === 'script') {
      const src = tag.attributes.find(([n]) => n === 'src')?.[1];
      if (!src || !src.startsWith('/static/')) problems.push(`a <script> that is not ChatX's own: ${excerpt(html, tag.at)}`);
    }
  }
  const product = new RegExp(`(^|\\D)${TEMPLATE_PRODUCT}(\\D|$)`).exec(html);
  if (product) problems.push(`a template evaluated input (${TEMPLATE_PRODUCT}): ${excerpt(html, product.index)}`);
  return problems;
}

/** Fails with the problems listed (at most `max`), one a line. */
export function assertNone(problems: string[], heading = '', max = 15): void {
  if (problems.length === 0) return;
  const more = problems.length > max ? `\n… and ${problems.length - max} more` : '';
  assert.fail(`${heading ? `${heading}:\n` : ''}${problems.slice(0, max).join('\n')}${more}`);
}

export function assertSafeHtml(html: string, where: string, payloads: readonly string[] = XSS_CORPUS): void {
  const problems = htmlProblems(html, payloads);
  assert.deepEqual(problems, [], `${where}:\n${problems.slice(0, 8).join('\n')}`);
}

/** Signs of an internal error reaching the user: a stack trace, SQL, file paths, exception names. */
const LEAKS: [RegExp, string][] = [
  [/\n\s+at [^\n]+:\d+:\d+\)?/, 'a stack trace'],
  [/\bat (?:async )?[\w.$<>]+ \([^)]*:\d+:\d+\)/, 'a stack frame'],
  [/SQLITE_[A-Z]+/, 'an SQLite error code'],
  [/\b(?:TypeError|ReferenceError|RangeError|SyntaxError|EvalError):/, 'a JavaScript exception'],
  [/node_modules/, 'a node_modules path'],
  [/\/(?:work|home|usr|tmp)\/[\w./-]+\.(?:ts|js|ejs)/, 'a file path'],
  [/\.(?:ts|ejs):\d+/, 'a source location'],
  [/UNIQUE constraint failed|FOREIGN KEY constraint|NOT NULL constraint|no such (?:table|column)/i, 'an SQL message'],
];

export function leakProblems(body: string): string[] {
  return LEAKS.filter(([re]) => re.test(body)).map(
    ([re, what]) => `${what}: ${JSON.stringify(body.match(re)![0].slice(0, 200))}`,
  );
}

export interface Answer {
  status: number;
  text: string;
  headers?: Record<string, unknown>;
}

/** A body in a few words: an HTML page's title and alert, or the start of anything else. */
export function gist(text: string): string {
  const title = /<title>([^<]*)<\/title>/.exec(text)?.[1];
  if (!title) return JSON.stringify(text.slice(0, 200));
  const alert = /role="alert"[^>]*>([^<]*)</.exec(text)?.[1] ?? /<h1>[^<]*<\/h1>\s*<p>([^<]*)</.exec(text)?.[1];
  return `page "${title.trim()}"${alert ? `: ${alert.trim().slice(0, 160)}` : ''}`;
}

/** Never 5xx; the body shows nothing internal. */
export function saneAnswerProblems(res: Answer, what: string): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`${what} answered ${res.status}: ${gist(res.text)}`);
  for (const leak of leakProblems(res.text ?? '')) problems.push(`${what} shows ${leak}`);
  return problems;
}

export function assertSaneAnswer(res: Answer, what: string): void {
  const problems = saneAnswerProblems(res, what);
  assertNone(problems);
}

/** JSON API errors: {"error": {"code": "kebab-case", "message": "…"}}. */
export function assertJsonError(res: Answer & { body?: unknown }, what: string): void {
  const body = res.body as { error?: { code?: unknown; message?: unknown } } | undefined;
  assert.ok(
    body && body.error && typeof body.error.code === 'string' && /^[a-z0-9]+(-[a-z0-9]+)*$/.test(body.error.code),
    `${what}: a ${res.status} without the JSON error format: ${res.text.slice(0, 200)}`,
  );
  assert.equal(typeof body.error!.message, 'string', `${what}: error without a message`);
}

export type Snapshot = Record<string, unknown[]>;

/** Every row of these tables (optionally some columns left out), in rowid order. */
export async function snapshot(db: Queryable, tables: readonly string[], ignore: readonly string[] = []): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const table of tables) {
    const rows = await db.all<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY rowid`);
    out[table] = rows.map((r) => {
      const row = { ...r };
      for (const column of ignore) delete row[column];
      return row;
    });
  }
  return out;
}

/** Which tables changed between two snapshots (with the first difference, readable). */
export function changedTables(before: Snapshot, after: Snapshot): string[] {
  const changed: string[] = [];
  for (const table of Object.keys(before)) {
    const a = JSON.stringify(before[table]);
    const b = JSON.stringify(after[table]);
    if (a !== b) changed.push(`${table} (${before[table].length} → ${after[table].length} rows)`);
  }
  return changed;
}

/** Rows pointing at nothing, and SQLite's own foreign-key check. */
export async function integrityProblems(db: Queryable): Promise<string[]> {
  const problems: string[] = [];
  const fk = await db.all<Record<string, unknown>>('PRAGMA foreign_key_check');
  if (fk.length) problems.push(`foreign_key_check: ${JSON.stringify(fk.slice(0, 5))}`);
  const orphans: [string, string][] = [
    ['messages without a conversation', 'SELECT id FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)'],
    ['conversations without a contact', 'SELECT id FROM conversations WHERE contact_id NOT IN (SELECT id FROM contacts)'],
    ['attachments without a message', 'SELECT id FROM attachments WHERE message_id NOT IN (SELECT id FROM messages)'],
    ['outbox rows without a message', 'SELECT message_id FROM outbox WHERE message_id NOT IN (SELECT id FROM messages)'],
  ];
  for (const [what, sql] of orphans) {
    const rows = await db.all(sql);
    if (rows.length) problems.push(`${rows.length} ${what}`);
  }
  return problems;
}

/** fast-check run settings: the given number of runs, and a time cap so the suite stays quick. */
export function runs(numRuns: number, timeLimitMs = 40_000) {
  return { numRuns, interruptAfterTimeLimit: timeLimitMs, markInterruptAsFailure: false } as const;
}

/**
 * Checks several properties and reports every one that fails (with its shrunk counterexample), so
 * one broken form does not hide another.
 */
export async function checkEach(checks: [name: string, run: () => Promise<fc.RunDetails<unknown>>][]): Promise<void> {
  const failures: string[] = [];
  for (const [name, run] of checks) {
    const details = await run();
    if (!details.failed) continue;
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    failures.push(
      `${name}\n    ${error.split('\n').slice(0, 6).join('\n    ')}\n    counterexample: ${fc.stringify(details.counterexample).slice(0, 600)}` +
        `\n    (seed ${details.seed}, path "${details.counterexamplePath}")`,
    );
  }
  if (failures.length) assert.fail(`${failures.length} of ${checks.length} properties failed:\n${failures.join('\n')}`);
}

/** Lengths just around the limits the code cuts text at (40, 80, 100, 120, 200, 254 characters …). */
const LIMITS = [20, 32, 40, 64, 80, 100, 120, 128, 200, 254, 500, 1000];
const WIDE = ['😀', '👨‍👩‍👧', '𝒳', 'é', 'e\u0301', '\u202e', '\u0000'];

/**
 * A string that reaches a limit with a character of more than one UTF-16 unit (or a combining or
 * control one) straddling it: what a cut at `.slice(0, limit)` breaks in half.
 */
export const straddling: fc.Arbitrary<string> = fc
  .record({
    limit: fc.constantFrom(...LIMITS),
    shift: fc.integer({ min: -2, max: 1 }),
    prefix: fc.constantFrom('hello ', 'a', ' ', '<b>'),
    pad: fc.constantFrom('a', ' ', 'é'),
    wide: fc.constantFrom(...WIDE),
    tail: fc.constantFrom('', 'z', ' tail'),
  })
  .map(({ limit, shift, prefix, pad, wide, tail }) => {
    const head = prefix + pad.repeat(Math.max(0, limit + shift - prefix.length - 1));
    return head.slice(0, Math.max(0, limit + shift - 1)) + wide + tail;
  });

let address = 0;
/** A different client address for each sign-in attempt (the app trusts X-Forwarded-For from loopback). */
export function nextAddress(): string {
  address += 1;
  return `10.${(address >> 16) & 255}.${(address >> 8) & 255}.${address & 255}`;
}

/** An urlencoded body with these pairs in order (repeated keys stay repeated). */
export function formBody(pairs: readonly (readonly [string, string])[]): string {
  const params = new URLSearchParams();
  for (const [k, v] of pairs) params.append(k, v);
  return params.toString();
}

interface Layer {
  name?: string;
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route Express knows: `METHOD /path`, recursing into mounted routers; static files as `GET /prefix/*`. */
export function routesOf(app: Express): string[] {
  const found = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on) found.add(`${method === '_all' ? 'ALL' : method.toUpperCase()} ${prefix}${String(layer.route.path)}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + mount);
      } else if (layer.name === 'serveStatic') {
        if (!mount) throw new Error('cannot tell where the static files are mounted (layer.rawPath missing)');
        found.add(`GET ${prefix}${mount}/*`);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return [...found].sort();
}

/**
 * Strings of about `limit` characters (starting with `prefix`) whose character at the limit may be
 * one that a cut at `.slice(0, limit)` breaks in half.
 */
export function around(limit: number, prefix = '', pads = ['a', ' ', 'é', '<']): fc.Arbitrary<string> {
  const shift = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constantFrom(-1, 1) });
  const wide = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom('😀', '👨‍👩‍👧', '𝒳') },
    { weight: 1, arbitrary: fc.constantFrom(...WIDE) },
  );
  return fc
    .record({ shift, pad: fc.constantFrom(...pads), wide })
    .map(({ shift, pad, wide }) => prefix + pad.repeat(Math.max(0, limit - 1 + shift - prefix.length)) + wide + 'z');
}
