// Property-based fuzzing of every HTML form: bodies with arbitrary strings, missing fields, repeated
// keys and values up to (and past) the 100 kB body limit, sent with a real session and its CSRF
// token — as a browser form mostly, but also as htmx may send it (no body, the token in
// X-CSRF-Token), as JSON, as text/plain and as multipart. Never a 5xx, a stack trace or markup that
// came from input; every 4xx leaves the tables the form writes exactly as they were; and the pages
// showing what was saved still answer 200. Each form is its own property, so one broken form does
// not hide another.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import request from 'supertest';
import { saveDraft } from '../../src/ai/drafts';
import { addKnowledge, loadKnowledgeFile } from '../../src/ai/knowledge';
import { createApiToken } from '../../src/auth/api-tokens';
import { inviteUser } from '../../src/auth/users';
import type { Queryable } from '../../src/core/db';
import { createCanned } from '../../src/inbox/canned';
import { deleteSetting } from '../../src/settings/store';
import { addUser, csrfOf, PASSWORD, signIn, type Agent } from '../support/browser-session';
import { makeContext, TEST_KEY, type TestContext } from '../support/context';
import { customerWrites, inboxContext, OWNER, STAFF, type InboxContext } from '../inbox/support';
import {
  XSS_CORPUS,
  around,
  changedTables,
  checkEach,
  formBody,
  gist,
  htmlProblems,
  nextAddress,
  runs,
  saneAnswerProblems,
  snapshot,
  straddling,
  assertNone,
} from './support';

type Pairs = [string, string][];
type Encoding = 'form' | 'json' | 'none' | 'text' | 'multipart';

/** What a hostile person types into any field. */
const hostile = fc.oneof(
  { weight: 4, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.fullUnicodeString({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...XSS_CORPUS) },
  { weight: 2, arbitrary: straddling },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u0000',
      '\r\n',
      'on',
      'off',
      'true',
      '1',
      '-1',
      '0',
      'null',
      'NaN',
      'toString',
      'constructor',
      '__proto__',
      'hasOwnProperty',
      'valueOf',
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 110_000 }).map((n) => 'h'.repeat(n)) },
);

/** How the body travels: a browser form mostly; htmx without a body, JSON, text or multipart sometimes. */
const encoding = fc.oneof(
  { weight: 8, arbitrary: fc.constant<Encoding>('form') },
  { weight: 2, arbitrary: fc.constantFrom<Encoding>('json', 'none', 'text', 'multipart') },
);

/**
 * Form fields: each one left out, sent once (a plausible value or a hostile one) or sent twice; then
 * maybe a field the form does not have.
 */
function formPairs(spec: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Pairs> {
  const per: Record<string, fc.Arbitrary<Pairs>> = {};
  for (const [name, plausible] of Object.entries(spec)) {
    const value = fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 2, arbitrary: hostile });
    per[name] = fc.oneof(
      { weight: 1, arbitrary: fc.constant<Pairs>([]) },
      { weight: 6, arbitrary: value.map((v): Pairs => [[name, v]]) },
      {
        weight: 1,
        arbitrary: fc.tuple(value, value).map(([a, b]): Pairs => [
          [name, a],
          [name, b],
        ]),
      },
    );
  }
  const extraName = fc
    .oneof(fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'role[]', 'a[b]', 'mode'))
    .filter((n) => n !== '_csrf' && n !== '');
  const extra = fc.array(fc.tuple(extraName, hostile), { maxLength: 2 });
  return fc.tuple(fc.record(per), extra).map(([groups, more]) => [...Object.values(groups).flat(), ...(more as Pairs)]);
}

/**
 * A form that saves only when every field is right: a valid body with a few of its fields (one to
 * three) fuzzed as formPairs does, so a run both succeeds now and then and is refused for one field.
 */
function fewFuzzed(valid: Pairs, spec: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Pairs> {
  return fc
    .subarray(Object.keys(spec), { minLength: 1, maxLength: 3 })
    .chain((names) =>
      formPairs(Object.fromEntries(names.map((n) => [n, spec[n]]))).map((fuzzed): Pairs => [
        ...valid.filter(([k]) => !names.includes(k)),
        ...fuzzed,
      ]),
    );
}

/** One value of a field, as the route reads it (a repeated key is not a string). */
function single(pairs: Pairs, name: string): string | undefined {
  const values = pairs.filter(([k]) => k === name);
  return values.length === 1 ? values[0][1] : undefined;
}

interface Submitted {
  status: number;
  text: string;
  headers: Record<string, string>;
}

/** The request as sent, short enough to read in a failure. */
function describeSent(path: string, encoding: Encoding, pairs: Pairs): string {
  const body = formBody(pairs);
  return `POST ${path} [${encoding}] ${body.slice(0, 300)}${body.length > 300 ? `… (${body.length} bytes)` : ''}`;
}

/**
 * Sends the form and checks the answer: no 5xx, nothing internal, no markup from input in an HTML
 * answer, and for a 4xx the tables as they were.
 */
async function submit(options: {
  db: Queryable;
  agent: Agent;
  csrf: string;
  path: string;
  pairs: Pairs;
  encoding?: Encoding;
  tables: string[];
  ignore?: string[];
  headers?: Record<string, string>;
}): Promise<Submitted> {
  const { db, agent, csrf, path, pairs, tables, ignore = [], encoding = 'form' } = options;
  const before = await snapshot(db, tables, ignore);
  const req = agent.post(path);
  for (const [k, v] of Object.entries(options.headers ?? {})) req.set(k, v);
  let res: request.Response;
  if (encoding === 'form') {
    res = await req.type('form').send(formBody([['_csrf', csrf], ...pairs]));
  } else if (encoding === 'multipart') {
    req.field('_csrf', csrf);
    for (const [k, v] of pairs) req.field(k, v);
    res = await req;
  } else {
    req.set('X-CSRF-Token', csrf).set('HX-Request', 'true');
    if (encoding === 'none') res = await req;
    else if (encoding === 'text') res = await req.set('content-type', 'text/plain').send(formBody(pairs));
    else {
      const json: Record<string, unknown> = {};
      for (const [k, v] of pairs) json[k] = k in json ? [json[k], v].flat() : v;
      res = await req.set('content-type', 'application/json').send(JSON.stringify(json));
    }
  }
  const what = describeSent(path, encoding, pairs);
  const problems = saneAnswerProblems(res, what);
  if (/html/.test(String(res.headers['content-type']))) problems.push(...htmlProblems(res.text).map((p) => `${what}: ${p}`));
  if (res.status >= 400) {
    const changed = changedTables(before, await snapshot(db, tables, ignore));
    if (changed.length) problems.push(`${what}: answered ${res.status} but changed ${changed.join(', ')}`);
  }
  assertNone(problems);
  return res as unknown as Submitted;
}

/** The pages still answer 200 and show nothing unescaped. */
async function pagesServe(agent: Agent, paths: string[]): Promise<void> {
  const problems: string[] = [];
  for (const path of paths) {
    const res = await agent.get(path);
    if (res.status !== 200) problems.push(`GET ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
    problems.push(...saneAnswerProblems(res, `GET ${path}`));
    if (/html/.test(String(res.headers['content-type'])))
      problems.push(...htmlProblems(res.text).map((p) => `GET ${path}: ${p}`));
  }
  assertNone(problems);
}

/** A path segment: mostly one of these ids, sometimes one that names nothing or is not a number. */
const segment = (ids: number[]) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ids.map(String)) },
    { weight: 1, arbitrary: fc.constantFrom('999999', '0', '-1', 'abc', '1e1', '1.5', '%20', '9'.repeat(30)) },
  );

const SESSION_COLUMNS = ['last_seen_at'];
const RUNS = 40;

interface FormSpec {
  name: string;
  path: fc.Arbitrary<string>;
  fields: Record<string, fc.Arbitrary<string>>;
  tables: string[];
  ignore?: string[];
  numRuns?: number;
  before?: () => Promise<void>;
  /** The body as sent, when formPairs(fields) is not what this form needs (fields then only names it). */
  body?: fc.Arbitrary<Pairs>;
  /** What else this form's answer must show. */
  check?: (res: Submitted, path: string, pairs: Pairs, encoding: Encoding) => void | Promise<void>;
}

/** One property per form, all checked (see checkEach): sent by this agent with its CSRF token. */
function formChecks(db: Queryable, session: () => { agent: Agent; csrf: string }, forms: FormSpec[]) {
  return forms.map(
    (form) =>
      [
        form.name,
        () =>
          fc.check(
            fc.asyncProperty(form.path, form.body ?? formPairs(form.fields), encoding, async (path, pairs, enc) => {
              await form.before?.();
              const { agent, csrf } = session();
              const res = await submit({ db, agent, csrf, path, pairs, encoding: enc, tables: form.tables, ignore: form.ignore });
              await form.check?.(res, path, pairs, enc);
            }),
            runs(form.numRuns ?? RUNS, 15_000),
          ),
      ] as [string, () => Promise<fc.RunDetails<unknown>>],
  );
}

describe('Fuzzing every HTML form with hostile bodies', function () {
  this.timeout(180_000);

  describe('before sign-in', () => {
    let ctx: InboxContext;
    beforeEach(async () => {
      ctx = await inboxContext();
    });
    afterEach(() => ctx.close());

    it('should answer the sign-in form with a local redirect for the right password only, or a clean 4xx that signs no one in', async () => {
      const spec = {
        email: fc.oneof(fc.constantFrom(OWNER, STAFF, ' Owner@Example.COM ', 'nobody@example.com'), around(254)),
        password: fc.constantFrom(PASSWORD, 'not the password at all'),
        next: fc.constantFrom(
          '/',
          '/contacts?x=1',
          '//evil.example',
          '/\\evil.example',
          'https://evil.example',
          'javascript:alert(1)',
          '/\t/evil.example',
          '/%2F/evil.example',
        ),
      };
      const query = fc.option(fc.constantFrom('//evil.example', '/settings', 'javascript:alert(1)', '/\\evil'), {
        nil: undefined,
      });
      const address = fc.oneof(
        { weight: 6, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('not-an-ip', '::1, 10.0.0.1', '', '999.1.1.1', 'a'.repeat(300)) },
      );
      await fc.assert(
        fc.asyncProperty(formPairs(spec), query, encoding, address, async (pairs, next, enc, forwarded) => {
          const agent = request.agent(ctx.app);
          const csrf = await csrfOf(agent, '/login');
          const path = next === undefined ? '/login' : `/login?next=${encodeURIComponent(next)}`;
          const res = await submit({
            db: ctx.deps.db,
            agent,
            csrf,
            path,
            pairs,
            encoding: enc,
            tables: ['users', 'sessions'],
            headers: { 'X-Forwarded-For': forwarded ?? nextAddress() },
          });
          if (res.status === 303) {
            const location = res.headers.location;
            // eslint-disable-next-line no-control-regex -- a browser drops these, which could turn /\t/x into //x
            assert.match(location, /^\/(?![/\\])[^\u0000-\u0020]*$/, `an open redirect after sign-in: ${location}`);
            const email = single(pairs, 'email')?.trim().toLowerCase();
            assert.ok(
              (email === OWNER || email === STAFF) && single(pairs, 'password') === PASSWORD,
              `signed in without the right email and password: ${JSON.stringify(pairs).slice(0, 300)}`,
            );
          }
        }),
        runs(60),
      );
    });

    it('should answer the invitation form with a signed-in new member, or a clean 4xx that changes no account', async () => {
      let n = 0;
      const spec = {
        name: fc.constantFrom('Nina New', '  Spaced   Name  ', ''),
        password: fc.constantFrom(PASSWORD, 'short', 'p'.repeat(201)),
      };
      const mangle = fc.constantFrom<(t: string) => string>(
        (t) => t,
        (t) => t,
        (t) => t,
        (t) => t,
        (t) => t.slice(1),
        (t) => `${t}x`,
        (t) => t.toUpperCase(),
        () => '%00',
        () => 'x'.repeat(300),
      );
      await fc.assert(
        fc.asyncProperty(formPairs(spec), mangle, encoding, async (pairs, change, enc) => {
          n += 1;
          const { user, token } = await inviteUser(ctx.deps.db, { email: `invitee${n}@example.com`, role: 'staff' });
          const agent = request.agent(ctx.app);
          const path = `/invite/${encodeURIComponent(change(token)).replace(/%25/g, '%')}`;
          const page = await agent.get(path);
          const csrf = page.status === 200 ? /name="_csrf" value="([^"]+)"/.exec(page.text)![1] : await csrfOf(agent, '/login');
          const res = await submit({ db: ctx.deps.db, agent, csrf, path, pairs, encoding: enc, tables: ['users', 'sessions'] });
          if (res.status === 303) {
            const row = await ctx.deps.db.get<{ status: string; name: string }>('SELECT status, name FROM users WHERE id = ?', [
              user.id,
            ]);
            assert.equal(row?.status, 'active');
            assert.equal(row?.name, (single(pairs, 'name') ?? '').trim());
          }
        }),
        runs(50),
      );
      const { agent } = await signIn(ctx.app, OWNER);
      await pagesServe(agent, ['/users', '/privacy/manage', '/']);
    });
  });

  it('should answer the first-run setup form with one owner, or a clean 4xx that creates nothing', async () => {
    const ctx: TestContext = await makeContext();
    try {
      const spec = {
        email: fc.constantFrom('first@example.com', ' First@Example.com ', 'not an email', '<script>@x.co'),
        password: fc.constantFrom(PASSWORD, 'short', 'p'.repeat(201)),
        name: fc.constantFrom('Olivia', ''),
      };
      await fc.assert(
        fc.asyncProperty(formPairs(spec), encoding, async (pairs, enc) => {
          const agent = request.agent(ctx.app);
          const csrf = await csrfOf(agent, '/setup');
          const tables = ['users', 'sessions', 'audit_log'];
          const res = await submit({ db: ctx.deps.db, agent, csrf, path: '/setup', pairs, encoding: enc, tables });
          if (res.status === 303) {
            const users = await ctx.deps.db.all<{ role: string; status: string }>('SELECT role, status FROM users');
            assert.deepEqual(users, [{ role: 'owner', status: 'active' }]);
            await pagesServe(agent, ['/', '/users']);
            // Back to a fresh install for the next run.
            for (const table of ['sessions', 'known_devices', 'sign_in_failures', 'audit_log', 'users'])
              await ctx.deps.db.run(`DELETE FROM ${table}`);
          }
        }),
        runs(50),
      );
    } finally {
      await ctx.close();
    }
  });

  describe('signed in', () => {
    let ctx: InboxContext;
    let conversationId: number;
    beforeEach(async () => {
      ctx = await inboxContext({ GRAPH_API_URL: 'http://127.0.0.1:9' });
      conversationId = await customerWrites(ctx, '5100000000000001', 'Hello, is my order ready?');
    });
    afterEach(() => ctx.close());

    it('should answer the account forms (password, alerts) with a redirect, or a clean 4xx that changes nothing', async () => {
      let { agent, csrf } = await signIn(ctx.app, STAFF);
      let current = PASSWORD;
      const password = formPairs({
        current_password: fc.constantFrom(PASSWORD, 'another long password', 'wrong password here'),
        new_password: fc.constantFrom(PASSWORD, 'another long password', 'short', 'p'.repeat(201)),
      });
      const alerts = formPairs({ sound: fc.constantFrom('on', 'off'), notify: fc.constantFrom('on', 'off') });
      const form = fc.oneof(
        password.map((pairs) => ({ path: '/account/password', pairs })),
        alerts.map((pairs) => ({ path: '/account/alerts', pairs })),
      );
      await fc.assert(
        fc.asyncProperty(form, encoding, async ({ path, pairs }, enc) => {
          const res = await submit({
            db: ctx.deps.db,
            agent,
            csrf,
            path,
            pairs,
            encoding: enc,
            tables: ['users', 'sessions'],
            ignore: SESSION_COLUMNS,
          });
          if (path === '/account/password' && res.status === 303) {
            assert.equal(single(pairs, 'current_password'), current, 'the password changed without the current one');
            current = single(pairs, 'new_password')!;
            csrf = await csrfOf(agent, '/account');
          }
          if (path === '/account/alerts') {
            const prefs = await ctx.deps.db.get<{ prefs: string }>('SELECT prefs FROM users WHERE id = ?', [ctx.staffId]);
            const parsed = JSON.parse(prefs!.prefs) as { sound?: string; notify?: string };
            // Never saved yet (every post so far refused, e.g. 413 for an oversized body): both unset.
            // Once saved: both, each on or off.
            const neverSaved = parsed.sound === undefined && parsed.notify === undefined;
            assert.ok(
              neverSaved || (['on', 'off'].includes(parsed.sound!) && ['on', 'off'].includes(parsed.notify!)),
              prefs!.prefs,
            );
          }
        }),
        runs(50),
      );
      ({ agent } = await signIn(ctx.app, STAFF, current));
      await pagesServe(agent, ['/account', '/']);
    });

    it("should answer the Users page's forms (invite, role, disable, enable, delete) with the page or a redirect, or a clean 4xx that changes nothing", async () => {
      const owner = await signIn(ctx.app, OWNER);
      const victims = [ctx.staffId, (await addUser(ctx.deps.db, 'second-owner@example.com', 'owner')).id];
      for (let i = 0; i < 4; i++)
        victims.push((await inviteUser(ctx.deps.db, { email: `victim${i}@example.com`, role: 'staff' })).user.id);
      const role = fc.constantFrom('owner', 'staff', 'admin', 'OWNER');
      const tables = ['users', 'sessions', 'audit_log'];
      const email = fc.oneof(
        fc.constantFrom('new@example.com', 'NEW@example.com ', 'victim1@example.com', '"><b>@x.co', 'bad'),
        around(250).map((s) => `${s}@x.co`),
      );
      const on = (action: string) => segment(victims).map((id) => `/users/${id}/${action}`);
      await checkEach(
        formChecks(ctx.deps.db, () => owner, [
          { name: 'invite (POST /users)', path: fc.constant('/users'), fields: { email, role }, tables, ignore: SESSION_COLUMNS },
          { name: 'change role (POST /users/:user/role)', path: on('role'), fields: { role }, tables, ignore: SESSION_COLUMNS },
          { name: 'disable (POST /users/:user/disable)', path: on('disable'), fields: {}, tables, ignore: SESSION_COLUMNS },
          { name: 'enable (POST /users/:user/enable)', path: on('enable'), fields: {}, tables, ignore: SESSION_COLUMNS },
          {
            name: 'delete (POST /users/:user/delete)',
            path: on('delete'),
            fields: {},
            tables,
            ignore: SESSION_COLUMNS,
            numRuns: 20,
          },
        ]),
      );
      const owners = await ctx.deps.db.get<{ n: number }>(
        "SELECT count(*) AS n FROM users WHERE role = 'owner' AND status = 'active'",
      );
      assert.ok(owners!.n >= 1, 'no active owner left');
      await pagesServe(owner.agent, ['/users', '/privacy/manage', `/conversations/${conversationId}`]);
    });

    it('should answer the Settings forms (business, Messenger, contact fields, canned responses, tokens) and the CSV import with the page or a redirect, or a clean 4xx that changes nothing', async () => {
      const owner = await signIn(ctx.app, OWNER);
      const canned = [
        await createCanned(ctx.deps.db, { shortcut: 'hours', text: 'We are open 9 to 5.' }),
        await createCanned(ctx.deps.db, { shortcut: 'thanks', text: 'Thank you!' }),
      ];
      const tokens = [
        (await createApiToken(ctx.deps.db, { name: 'zapier', role: 'staff' })).id,
        (await createApiToken(ctx.deps.db, { name: 'crm-sync', role: 'staff' })).id,
      ];
      const tables = ['settings', 'canned_responses', 'api_tokens', 'audit_log'];
      const cannedFields = {
        shortcut: fc.oneof(fc.constantFrom('hours', 'new-one', '/slash', 'has space', 'x'.repeat(31)), around(30)),
        text: fc.oneof(fc.constantFrom('Some text', ''), around(2000)),
      };
      await checkEach(
        formChecks(ctx.deps.db, () => owner, [
          {
            name: 'business profile (POST /settings/business)',
            path: fc.constant('/settings/business'),
            fields: {
              business_name: fc.oneof(fc.constantFrom('Bakery Müller', 'b'.repeat(121)), around(120)),
              contact_email: fc.constantFrom('hello@example.com', 'not-an-email', ''),
              website: fc.constantFrom(
                'example.com',
                'https://example.com/path',
                'javascript:alert(1)',
                'http://',
                'data:text/html,<script>alert(1)</script>',
                '',
              ),
            },
            tables,
          },
          {
            name: 'Messenger connection (POST /settings/messenger)',
            path: fc.constant('/settings/messenger'),
            fields: {
              page_id: fc.constantFrom('104729385012345', '', 'abc', ' 123 '),
              page_token: fc.constantFrom('', 'EAAfuzzToken'),
              app_secret: fc.constantFrom('', 'fuzz-secret'),
              remove_token: fc.constantFrom('on', ''),
              human_agent: fc.constantFrom('on', ''),
            },
            tables,
          },
          {
            name: 'test the connection (POST /settings/messenger/test)',
            path: fc.constant('/settings/messenger/test'),
            fields: {},
            tables,
            numRuns: 10,
          },
          {
            name: 'add a contact field (POST /settings/contact-fields)',
            path: fc.constant('/settings/contact-fields'),
            fields: {
              name: fc.oneof(fc.constantFrom('Birthday', '', 'x'.repeat(41)), around(40)),
              type: fc.constantFrom('text', 'number', 'date', 'choice', 'colour', ''),
              choices: fc.oneof(fc.constantFrom('S\nM\nL', '', ','), around(2000)),
              position: fc.constantFrom('', '3', '-1', '1e3', 'x'),
            },
            tables: [...tables, 'contact_field_defs'],
          },
          {
            name: 'import a previewed CSV (POST /contacts/import/apply)',
            path: fc.constant('/contacts/import/apply'),
            fields: { import: fc.oneof(fc.constantFrom('', 'nope'), around(40)) },
            tables: [...tables, 'contacts'],
            numRuns: 20,
          },
          {
            name: 'add a canned response (POST /settings/canned)',
            path: fc.constant('/settings/canned'),
            fields: cannedFields,
            tables,
          },
          {
            name: 'edit a canned response (POST /settings/canned/:id)',
            path: segment(canned).map((id) => `/settings/canned/${id}`),
            fields: cannedFields,
            tables,
          },
          {
            name: 'delete a canned response (POST /settings/canned/:id/delete)',
            path: segment(canned).map((id) => `/settings/canned/${id}/delete`),
            fields: {},
            tables,
            numRuns: 20,
          },
          {
            name: 'create a token (POST /settings/tokens)',
            path: fc.constant('/settings/tokens'),
            fields: {
              name: fc.oneof(fc.constantFrom('zapier', 'new token', '', 'n'.repeat(101)), around(100)),
              role: fc.constantFrom('owner', 'staff', 'admin'),
              expires: fc.constantFrom(
                'never',
                '30d',
                '90d',
                '365d',
                '1d',
                'toString',
                'constructor',
                '__proto__',
                'hasOwnProperty',
              ),
            },
            tables,
          },
          {
            name: 'revoke a token (POST /settings/tokens/:id/revoke)',
            path: segment(tokens).map((id) => `/settings/tokens/${id}/revoke`),
            fields: {},
            tables,
            numRuns: 20,
          },
        ]),
      );
      await pagesServe(owner.agent, ['/settings', '/privacy', '/api/v1/tokens', '/canned?q=h', '/']);
    });

    it('should answer the Settings → AI forms (settings, knowledge add/edit/delete, test, resume) with the page or a redirect, or a clean 4xx that changes nothing', async () => {
      const owner = await signIn(ctx.app, OWNER);
      const { db, assistant } = ctx.deps;
      // Nothing here may call out: a provider a run saves is forgotten before Test, and any fetch to
      // an address other than this machine is refused and listed.
      const outside: string[] = [];
      const realFetch = globalThis.fetch;
      globalThis.fetch = ((input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(input instanceof Request ? input.url : String(input));
        if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
          outside.push(url.href);
          return Promise.reject(new TypeError(`a call outside in a test: ${url.href}`));
        }
        return realFetch(input, init);
      }) as typeof fetch;
      const unconfigured = async () => {
        for (const key of ['ai.provider', 'ai.api_key', 'ai.base_url', 'ai.paused']) await deleteSetting(db, key);
        await assistant.changed();
      };
      try {
        const file = join(ctx.dataDir, 'knowledge.md');
        writeFileSync(file, '# Returns\nWithin 30 days, with the receipt.\n');
        await loadKnowledgeFile(db, file);
        const entries = [
          await addKnowledge(db, { title: 'Opening hours', body: 'Mon–Fri 9:00–18:00.', always: false }),
          await addKnowledge(db, { title: 'Tone', body: 'Friendly, short, no emoji.', always: true }),
          await addKnowledge(db, { title: 'Delivery', body: 'Saturdays too, within the city.', always: false }),
          (await db.get<{ id: number }>("SELECT id FROM knowledge WHERE source = 'file'"))!.id,
        ];
        const tables = ['settings', 'knowledge', 'audit_log', 'ai_calls'];
        const KEY = 'sk-fuzz-key-0123456789';
        const cap = (max: number, usual: string) =>
          fc.constantFrom(usual, '1', '0', String(max), String(max + 1), '-1', '1e3', ' 7 ', '007', '9'.repeat(13));
        const time = fc.constantFrom('09:00', '18:00', '23:59', '00:00', '9:00', '24:00', '09:60', '09:00:00', '');
        const settingsFields = {
          provider: fc.constantFrom('none', 'openai', 'anthropic', 'OpenAI', 'ollama', ''),
          mode: fc.constantFrom('off', 'suggest', 'auto', 'Auto', ''),
          model: fc.oneof(
            fc.constantFrom('gpt-5-mini', 'llama3.1:8b', 'org/model@v1+x', 'has space', 'm'.repeat(100), 'm'.repeat(101), ''),
            around(100),
          ),
          api_key: fc.constantFrom(KEY, '', 'sk with spaces', 'k'.repeat(500), 'k'.repeat(501), 'sk-ключ'),
          remove_key: fc.constantFrom('on', '', 'off'),
          base_url: fc.constantFrom(
            '',
            'http://127.0.0.1:9/v1',
            'http://localhost:9/v1/',
            'https://user:pass@127.0.0.1:9/v1',
            'ftp://127.0.0.1/v1',
            'javascript:alert(1)',
            'http://',
            `http://127.0.0.1:9/${'a'.repeat(300)}`,
          ),
          auto_outside_hours: fc.constantFrom('on', '', 'true'),
          days: fc.constantFrom('0', '1', '6', '7', '-1', '1.0', ' 3'),
          open: time,
          close: time,
          disclose: fc.constantFrom('on', '', 'off'),
          disclosure: fc.oneof(fc.constantFrom('Hi! This is an automated assistant.', '', '   '), around(300)),
          first_name: fc.constantFrom('on', ''),
          handoff_to: fc.constantFrom(
            'nobody',
            'least-busy',
            `user:${ctx.ownerId}`,
            `user:${ctx.staffId}`,
            'user:999999',
            'user:',
            `user:0${ctx.staffId}`,
            `user:${'9'.repeat(13)}`,
          ),
          timeout_s: fc.constantFrom('30', '5', '4', '120', '121', '030', ' 30 ', '1e1', '30.5', '9'.repeat(13)),
          cap_requests: cap(100_000, '500'),
          cap_tokens: cap(100_000_000, '1000000'),
          cap_conversation_requests: cap(10_000, '30'),
          cap_conversation_tokens: cap(10_000_000, '60000'),
        };
        const validSettings: Pairs = [
          ['provider', 'none'],
          ['mode', 'off'],
          ['model', ''],
          ['api_key', ''],
          ['base_url', ''],
          ['days', '1'],
          ['days', '2'],
          ['days', '3'],
          ['open', '09:00'],
          ['close', '18:00'],
          ['disclose', 'on'],
          ['disclosure', 'Hi! This is an automated assistant.'],
          ['handoff_to', 'least-busy'],
          ['timeout_s', '30'],
          ['cap_requests', '500'],
          ['cap_tokens', '1000000'],
          ['cap_conversation_requests', '30'],
          ['cap_conversation_tokens', '60000'],
        ];
        // The stored key is never sent back.
        const noKey = (res: Submitted, p: string) =>
          assert.ok(!res.text.includes(KEY), `POST ${p} answered ${res.status} showing the API key`);
        const knowledgeFields = {
          title: fc.oneof(fc.constantFrom('Opening hours', '  spaced   title  ', '', ' ', 't'.repeat(121)), around(120)),
          body: fc.oneof(fc.constantFrom('Mon–Fri 9:00–18:00.', '', '   ', 'two\nlines'), around(4000)),
          always: fc.constantFrom('on', '', 'off', '1'),
        };
        let pauses = 0;
        await checkEach(
          formChecks(db, () => owner, [
            {
              name: 'settings, every field fuzzed (POST /settings/ai)',
              path: fc.constant('/settings/ai'),
              fields: settingsFields,
              tables,
              numRuns: 25,
              check: noKey,
            },
            {
              name: 'settings, a valid form with a few fields fuzzed (POST /settings/ai)',
              path: fc.constant('/settings/ai'),
              fields: settingsFields,
              body: fewFuzzed(validSettings, settingsFields),
              tables,
              numRuns: 30,
              check: noKey,
            },
            {
              name: 'add knowledge (POST /settings/ai/knowledge)',
              path: fc.constant('/settings/ai/knowledge'),
              fields: knowledgeFields,
              tables,
              numRuns: 25,
            },
            {
              name: 'edit knowledge (POST /settings/ai/knowledge/:entry)',
              path: segment(entries).map((id) => `/settings/ai/knowledge/${id}`),
              fields: knowledgeFields,
              tables,
              numRuns: 25,
            },
            {
              name: 'test the provider, not set up (POST /settings/ai/test)',
              path: fc.constant('/settings/ai/test'),
              fields: {},
              tables,
              numRuns: 15,
              before: unconfigured,
              check: (res, p) => {
                assert.deepEqual(outside, [], `POST ${p} called outside`);
                if (res.status < 400)
                  assert.match(
                    res.text,
                    /AI is not set up/,
                    `POST ${p} answered ${res.status} without saying why: ${gist(res.text)}`,
                  );
              },
            },
            {
              name: 'resume (POST /settings/ai/resume)',
              path: fc.constant('/settings/ai/resume'),
              fields: {},
              tables,
              numRuns: 15,
              before: async () => {
                if (++pauses % 2) await assistant.pause('The AI provider failed 3 times in a row. Last: <b>fuzz</b>');
              },
            },
            {
              name: 'delete knowledge (POST /settings/ai/knowledge/:entry/delete)',
              path: segment(entries).map((id) => `/settings/ai/knowledge/${id}/delete`),
              fields: {},
              tables,
              numRuns: 20,
            },
          ]),
        );
        const file_entry = await db.get<{ title: string }>('SELECT title FROM knowledge WHERE id = ?', [entries[3]]);
        assert.equal(file_entry?.title, 'Returns', 'an entry from the knowledge file changed through the page');
        const audits = await db.all<{ detail: string | null }>('SELECT detail FROM audit_log');
        assert.ok(!audits.some((a) => a.detail?.includes(KEY)), 'the API key is in the audit log');
        await unconfigured();
        await pagesServe(owner.agent, ['/settings/ai', '/settings/ai?saved=1&resumed=1&knowledge=saved', '/settings']);
      } finally {
        globalThis.fetch = realFetch;
      }
      assert.deepEqual(outside, [], 'addresses outside were called');
    });

    it("should answer a conversation's forms (status, assign, labels, snooze, unread, notes, replies, retry, seen, typing) with a redirect, or a clean 4xx that changes nothing", async () => {
      const staff = await signIn(ctx.app, STAFF);
      const other = await customerWrites(ctx, '5100000000000002', 'Second customer');
      await ctx.deps.workflow.addLabel(conversationId, 'vip');
      const labels = (await ctx.deps.db.all<{ id: number }>('SELECT id FROM labels')).map((l) => l.id);
      const { id: failed } = await ctx.deps.outbox.queue({
        conversationId,
        text: 'This one failed',
        sentBy: 'user',
        userId: ctx.staffId,
      });
      await ctx.deps.outbox.kick();
      await ctx.deps.db.run(
        "UPDATE messages SET status = 'failed', error_code = 'x', error_message = 'Meta refused' WHERE id = ?",
        [failed],
      );
      const ids = [conversationId, conversationId, other];
      const query = fc.constantFrom('', '', '?status=open&who=mine', '?status=<script>&who=x&label=-1', '?unread=1&label=1');
      const at = (action: string, extra: fc.Arbitrary<string> = fc.constant(action)) =>
        fc.tuple(segment(ids), extra, query).map(([id, act, qs]) => `/conversations/${id}/${act}${qs}`);
      const tables = ['contacts', 'conversations', 'messages', 'outbox', 'labels', 'conversation_labels', 'attachments', 'jobs'];
      // What earlier runs queued has gone out (or settled) before the next snapshot.
      const settle = async () => {
        await ctx.deps.outbox.kick();
        await ctx.deps.queue.kick();
      };
      const users = [String(ctx.ownerId), String(ctx.staffId)];
      await checkEach(
        formChecks(ctx.deps.db, () => staff, [
          {
            name: 'status (POST /conversations/:id/status)',
            path: at('status'),
            fields: { status: fc.constantFrom('open', 'pending', 'resolved', 'snoozed', 'closed') },
            tables,
            before: settle,
          },
          {
            name: 'assign (POST /conversations/:id/assign)',
            path: at('assign'),
            fields: { assignee_id: fc.constantFrom('', 'me', ...users, '999', 'abc', '1.5', '-1', '0x1', '1e0') },
            tables,
            before: settle,
          },
          {
            name: 'add a label (POST /conversations/:id/labels)',
            path: at('labels'),
            fields: { name: fc.oneof(fc.constantFrom('vip', 'order', '  spaced   out  ', 'l'.repeat(41)), around(40)) },
            tables,
            before: settle,
          },
          {
            name: 'remove a label (POST /conversations/:id/labels/:labelId/remove)',
            path: at(
              'labels',
              segment(labels).map((id) => `labels/${id}/remove`),
            ),
            fields: {},
            tables,
            before: settle,
          },
          {
            name: 'snooze (POST /conversations/:id/snooze)',
            path: at('snooze'),
            fields: {
              preset: fc.constantFrom('1h', 'tomorrow', 'week', 'custom', ''),
              until: fc.constantFrom('', '2099-01-01T09:00', '2000-01-01T00:00', 'garbage', '+275760-09-13T00:00:00.000Z'),
            },
            tables,
            before: settle,
          },
          {
            name: 'mark unread (POST /conversations/:id/unread)',
            path: at('unread'),
            fields: {},
            tables,
            before: settle,
            numRuns: 20,
          },
          {
            name: 'write a note or a reply (POST /conversations/:id/messages)',
            path: at('messages'),
            fields: {
              text: fc.oneof(fc.constantFrom('A note or a reply', '   ', 't'.repeat(20_001)), around(20_000)),
              mode: fc.constantFrom('note', 'reply', ''),
            },
            tables,
            before: settle,
          },
          {
            name: 'retry a failed reply (POST /conversations/:id/messages/:messageId/retry)',
            path: at(
              'retry',
              segment([failed, failed, failed + 1000]).map((id) => `messages/${id}/retry`),
            ),
            fields: {},
            tables,
            before: settle,
            numRuns: 20,
          },
          { name: 'seen (POST /conversations/:id/seen)', path: at('seen'), fields: {}, tables, before: settle, numRuns: 20 },
          {
            name: 'typing (POST /conversations/:id/typing)',
            path: at('typing'),
            fields: {},
            tables,
            before: settle,
            numRuns: 20,
          },
        ]),
      );
      const pages = [
        '/',
        ...['open', 'pending', 'snoozed', 'resolved'].map((s) => `/?status=${s}`),
        '/contacts',
        '/search?q=note',
      ];
      await pagesServe(staff.agent, [...pages, `/conversations/${conversationId}`, `/conversations/${other}`]);
    });

    it("should answer a contact's details form (POST /contacts/:id) with a redirect to the page, or a clean 4xx that changes nothing", async () => {
      const staff = await signIn(ctx.app, STAFF);
      await customerWrites(ctx, '5100000000000003', 'Another person');
      const contacts = (await ctx.deps.db.all<{ id: number }>('SELECT id FROM contacts')).map((c) => c.id);
      const key = fc.oneof(fc.constantFrom('Order no', 'City', ' city ', '', '__proto__', 'k'.repeat(41)), around(40));
      const value = fc.oneof(fc.constantFrom('A-1042', '', 'two\nlines'), around(500));
      await checkEach(
        formChecks(ctx.deps.db, () => staff, [
          {
            name: 'details (POST /contacts/:contact)',
            path: segment(contacts).map((id) => `/contacts/${id}`),
            fields: {
              name: fc.oneof(fc.constantFrom('Ana Lima', '', '  ', 'Ana\nLima'), around(100)),
              phone: fc.constantFrom('+49 (30) 123-4567', '', '12', 'call me', '1'.repeat(31)),
              email: fc.oneof(
                fc.constantFrom('ana@example.com', '', 'nope'),
                around(250).map((s) => `${s}@x.co`),
              ),
              field_key_0: key,
              field_value_0: value,
              field_key_1: key,
              field_value_1: value,
              field_key_33: key,
              field_value_33: value,
            },
            tables: ['contacts', 'audit_log'],
            numRuns: 60,
          },
        ]),
      );
      await pagesServe(staff.agent, [...contacts.map((id) => `/contacts/${id}`), '/contacts', '/', '/search?q=ana']);
    });

    it("should answer a person's follow-up forms (add, done, cancel) with a redirect or the form, or a clean 4xx that changes nothing", async () => {
      const staff = await signIn(ctx.app, STAFF);
      await customerWrites(ctx, '5100000000000004', 'Call me back tomorrow');
      const contacts = (await ctx.deps.db.all<{ id: number }>('SELECT id FROM contacts')).map((c) => c.id);
      const open: number[] = [];
      for (const contactId of contacts.slice(0, 2))
        open.push(
          (
            await ctx.deps.followUps.create(
              contactId,
              { dueAt: Date.now() + 86_400_000, note: 'Ring them' },
              { actor: 'test', actorUserId: ctx.staffId },
            )
          ).id,
        );
      const soon = new Date(Date.now() + 2 * 86_400_000);
      const local = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
      await checkEach(
        formChecks(ctx.deps.db, () => staff, [
          {
            name: 'add a follow-up (POST /contacts/:contact/follow-ups)',
            path: segment(contacts).map((id) => `/contacts/${id}/follow-ups`),
            fields: {
              due_at: fc.constantFrom(local(soon), '2020-01-01T10:00', '2026-02-30T10:00', 'tomorrow', '', '9'.repeat(30)),
              owner_id: fc.constantFrom(String(ctx.staffId), String(ctx.ownerId), '999999', 'me', ''),
              note: fc.oneof(fc.constantFrom('Ask about the cake', ''), around(1000)),
              message: fc.oneof(fc.constantFrom('Hi! Still interested?', ''), around(2000)),
            },
            tables: ['follow_ups', 'audit_log'],
            numRuns: 40,
          },
          {
            name: 'done and cancel (POST /follow-ups/:followUp/done|cancel)',
            path: fc.tuple(segment(open), fc.constantFrom('done', 'cancel')).map(([id, action]) => `/follow-ups/${id}/${action}`),
            fields: { back: fc.constantFrom('/follow-ups', '/contacts/1', 'https://evil.example/', '//evil.example', '') },
            tables: ['follow_ups', 'audit_log'],
            numRuns: 20,
          },
        ]),
      );
      await pagesServe(staff.agent, ['/follow-ups', ...contacts.map((id) => `/contacts/${id}`)]);
    });

    it("should answer a conversation's AI forms (suggest, help, dismiss, hand back, mode) and the person's no-AI switch with a redirect or the page, or a clean 4xx that changes nothing", async () => {
      const staff = await signIn(ctx.app, STAFF);
      const { db, assistant } = ctx.deps;
      const other = await customerWrites(ctx, '5100000000000002', 'Second customer');
      const contacts = (await db.all<{ id: number }>('SELECT id FROM contacts')).map((c) => c.id);
      const ids = [conversationId, conversationId, other];
      const real = new Set(ids.map(String));
      const query = fc.constantFrom('', '', '?status=open&who=mine', '?status=<script>&label=-1');
      const at = (action: string) => fc.tuple(segment(ids), query).map(([id, qs]) => `/conversations/${id}/ai/${action}${qs}`);
      const idOf = (p: string) => /^\/conversations\/([^/]+)\//.exec(p)![1];
      const tables = ['conversations', 'contacts', 'ai_drafts', 'audit_log'];
      // A waiting draft to dismiss (or to drop with the no-AI switch), and now and then a handed-over conversation.
      let turns = 0;
      const setUp = async () => {
        for (const id of [conversationId, other]) await saveDraft(db, id, 'A suggested reply, waiting.');
        if (++turns % 2) await assistant.handOver(conversationId, 'The customer asked for a person.');
      };
      // AI is not set up here: asking it for anything is a readable 409, never a draft or a redirect.
      const notSetUp = (res: Submitted, p: string, ready: boolean) => {
        if (!real.has(idOf(p))) return;
        assert.ok(res.status >= 400, `POST ${p} answered ${res.status} though AI is not set up`);
        if (ready) assert.equal(res.status, 409, `POST ${p}: ${gist(res.text)}`);
        if (res.status === 409) assert.match(res.text, /AI is not set up/, `POST ${p} answered 409 without saying why`);
      };
      const plain = (pairs: Pairs, enc: Encoding) => (enc === 'form' || enc === 'json') && formBody(pairs).length < 90_000;
      const KINDS = ['improve', 'shorten', 'translate', 'summarize'];
      await checkEach(
        formChecks(db, () => staff, [
          {
            name: 'suggest a reply (POST /conversations/:conversation/ai/suggest)',
            path: at('suggest'),
            fields: {},
            tables,
            numRuns: 20,
            before: setUp,
            check: (res, p, pairs, enc) => notSetUp(res, p, enc !== 'multipart' && formBody(pairs).length < 90_000),
          },
          {
            name: 'help with the draft (POST /conversations/:conversation/ai/help)',
            path: at('help'),
            fields: {
              kind: fc.constantFrom(...KINDS, 'Improve', 'rewrite', ''),
              text: fc.oneof(fc.constantFrom('Thanks for waiting, your order is ready.', '', '   '), around(4000)),
            },
            tables,
            numRuns: 30,
            before: setUp,
            check: (res, p, pairs, enc) => {
              const kind = single(pairs, 'kind');
              const oneText = pairs.filter(([k]) => k === 'text').length <= 1;
              notSetUp(res, p, plain(pairs, enc) && kind !== undefined && KINDS.includes(kind) && oneText);
            },
          },
          {
            name: 'dismiss the draft (POST /conversations/:conversation/ai/draft/dismiss)',
            path: at('draft/dismiss'),
            fields: {},
            tables,
            numRuns: 20,
            before: setUp,
          },
          {
            name: 'hand back to the AI (POST /conversations/:conversation/ai/hand-back)',
            path: at('hand-back'),
            fields: {},
            tables,
            numRuns: 20,
            before: setUp,
          },
          {
            name: "this conversation's AI mode (POST /conversations/:conversation/ai/mode)",
            path: at('mode'),
            fields: { mode: fc.constantFrom('settings', 'off', 'suggest', 'auto', 'Auto', 'none', '') },
            tables,
            numRuns: 30,
            before: setUp,
          },
          {
            name: "the person's no-AI switch (POST /contacts/:contact/no-ai)",
            path: segment(contacts).map((id) => `/contacts/${id}/no-ai`),
            fields: { on: fc.constantFrom('1', '0', 'true', 'on', '') },
            tables,
            numRuns: 30,
            before: setUp,
          },
        ]),
      );
      assert.equal(
        await db.get('SELECT COUNT(*) AS n FROM ai_calls').then((r) => (r as { n: number }).n),
        0,
        'the AI was called',
      );
      await pagesServe(staff.agent, [
        `/conversations/${conversationId}`,
        `/conversations/${other}`,
        ...contacts.map((id) => `/contacts/${id}`),
        '/',
      ]);
    });

    it("should answer the Privacy page's restore, key and wipe forms, short of the owner's password, with a clean 4xx that changes nothing", async () => {
      const owner = await signIn(ctx.app, OWNER);
      const { name } = await ctx.deps.vault.backup('manual', { actor: 'test' });
      // Anything but the password (the audit log records the refusals, so it is left out of the comparison).
      const password = fc.oneof(fc.constantFrom('', 'not the password', `${PASSWORD} `, PASSWORD.toUpperCase()), hostile);
      const tables = ['users', 'sessions', 'settings', 'contacts', 'messages'];
      await checkEach(
        formChecks(ctx.deps.db, () => owner, [
          {
            name: 'restore (POST /privacy/backups/:backup/restore)',
            path: fc.constantFrom(`/privacy/backups/${name}/restore`, '/privacy/backups/nope.db/restore'),
            fields: { password, old_key: fc.constantFrom('', 'an old key of some length') },
            tables,
            ignore: SESSION_COLUMNS,
          },
          {
            name: 'rotate the key (POST /privacy/key)',
            path: fc.constant('/privacy/key'),
            fields: { password, new_key: fc.constantFrom('', 'short', 'a perfectly long new key', ' padded key of length ') },
            tables,
            ignore: SESSION_COLUMNS,
          },
          {
            name: 'wipe (POST /privacy/wipe)',
            path: fc.constant('/privacy/wipe'),
            fields: { password, confirm: fc.constantFrom('delete everything', ' DELETE  everything ', '', 'delete') },
            tables,
            ignore: SESSION_COLUMNS,
          },
        ]),
      );
      assert.equal(ctx.deps.databaseKey.passphrase, TEST_KEY);
      assert.deepEqual(
        ctx.deps.vault.backups().map((b) => b.name),
        [name],
      );
      await pagesServe(owner.agent, ['/privacy/manage', '/privacy/key', '/privacy/wipe', `/privacy/backups/${name}/restore`]);
    });

    it('should answer the Simulator form with a redirect to the customer, or a clean 4xx that stores nothing', async () => {
      const owner = await signIn(ctx.app, OWNER);
      const spec = {
        name: fc.oneof(fc.constantFrom('Alex Rivera', '  ', 'Zoë Ümlaut', 'n'.repeat(81)), around(80)),
        text: fc.constantFrom('Hi! Do you deliver on Saturdays?', '', '   '),
      };
      await fc.assert(
        fc.asyncProperty(formPairs(spec), encoding, async (pairs, enc) => {
          const res = await submit({
            db: ctx.deps.db,
            agent: owner.agent,
            csrf: owner.csrf,
            path: '/simulator',
            pairs,
            encoding: enc,
            tables: ['contacts', 'conversations', 'messages', 'attachments', 'settings', 'simulator_files'],
          });
          if (res.status === 303) await pagesServe(owner.agent, [res.headers.location]);
        }),
        runs(60),
      );
      await pagesServe(owner.agent, ['/simulator', '/', '/contacts']);
    });
  });
});
