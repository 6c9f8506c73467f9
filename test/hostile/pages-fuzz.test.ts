// Property-based fuzzing of every page's query string (the GET routes the router knows, the live
// stream and static files aside): the parameters each page reads and some it does not, with hostile
// values — markup, control characters, repeated keys, and text that reaches a length limit with a
// character the cut would break in half. Signed in as the owner, on an inbox with enough messages to
// page through search results. Never a 5xx or a stack trace, never markup from the query, and a
// redirect only ever to a local page.
import fc from 'fast-check';
import { inviteUser } from '../../src/auth/users';
import { customersWrite, inboxContext, listen, OWNER, sessionCookie } from '../inbox/support';
import { signIn, type Agent } from '../support/browser-session';
import {
  XSS_CORPUS,
  around,
  assertNone,
  checkEach,
  htmlProblems,
  routesOf,
  runs,
  saneAnswerProblems,
  straddling,
} from './support';

/** The query parameters each page reads (the router does not say; a new page without an entry still gets random ones). */
const PARAMS: Record<string, Record<string, fc.Arbitrary<string>>> = {
  'GET /': {
    status: fc.constantFrom('open', 'pending', 'snoozed', 'resolved', 'all'),
    who: fc.constantFrom('all', 'mine', 'unassigned'),
    unread: fc.constantFrom('1', '0'),
    label: fc.constantFrom('1', '0', '-1', '1.5'),
    cursor: fc.constantFrom('1:1', `${Date.now()}:999`, '-5:0', 'x:y', `${'9'.repeat(400)}:1`),
  },
  'GET /conversations/:conversation': {
    status: fc.constantFrom('open', 'resolved'),
    who: fc.constantFrom('all', 'mine'),
    label: fc.constantFrom('1', 'x'),
  },
  'GET /search': {
    q: fc.oneof(
      fc.constantFrom('hello', 'hello number', 'number 1', '"hello"', 'hello*', 'NEAR(hello number)'),
      around(200, 'hello '),
      around(200, 'hello', [' ']),
      around(200, 'hello number', [' ']),
    ),
    page: fc.constantFrom('1', '2', '3', '50', '51', '-1', 'abc', '1e9', '2.5'),
  },
  'GET /contacts': { q: fc.oneof(fc.constantFrom('Customer', '%', '_', '\\'), around(200, 'Customer ')) },
  'GET /contacts/:contact': { saved: fc.constantFrom('1', '0') },
  'GET /privacy/audit': {
    what: fc.constantFrom('', 'kind:sign-ins', 'kind:contacts', 'kind:nope', 'login', 'contact.updated', 'kind:__proto__'),
    actor: fc.oneof(fc.constantFrom('owner@', '%', '_', '\\', 'token:'), around(254)),
    from: fc.constantFrom('2024-01-01', '2024-02-30', '2999-12-31', '01/02/2024', '', '+002024-01-01'),
    to: fc.constantFrom('2024-01-31', '2023-12-31', 'today', ''),
    before: fc.constantFrom(`${Date.now()}:99`, '0:0', 'x:y', `${'9'.repeat(20)}:1`, '1:2:3', ''),
  },
  'GET /canned': { q: fc.constantFrom('h', '/h', '%', '_', '\\') },
  'GET /simulator': { name: fc.oneof(fc.constantFrom('Alex Rivera', ''), around(80)) },
  'GET /simulator/thread': { name: fc.oneof(fc.constantFrom('Alex Rivera', ''), around(80)) },
  'GET /login': { next: fc.constantFrom('/', '//evil.example', '/\\evil.example', 'https://evil.example', '/\t/evil.example') },
  'GET /account': { saved: fc.constant('1'), alerts: fc.constant('saved') },
  'GET /settings': { saved: fc.constant('1'), canned: fc.constantFrom('saved', 'deleted'), messenger: fc.constant('saved') },
  'GET /privacy/export': { progress: fc.constantFrom('a1b2c3d4e5f6a7b8c9d0e1f2', 'short', '', '../x'.repeat(20)) },
  'GET /webhooks/messenger': {
    'hub.mode': fc.constantFrom('subscribe', 'unsubscribe'),
    'hub.verify_token': fc.constantFrom('VERIFY'),
    'hub.challenge': fc.constantFrom('1158201444', '<script>alert(1)</script>'),
  },
};
const SKIP = new Set(['GET /events', 'GET /static/*']);

const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.fullUnicodeString({ maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom(...XSS_CORPUS) },
  { weight: 2, arbitrary: straddling },
);

/** Query pairs: the page's own parameters (plausible or hostile), sometimes one it does not read. */
function queryArb(known: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<[string, string][]> {
  const per = Object.entries(known).map(([name, plausible]) =>
    fc.option(
      fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 2, arbitrary: hostile }).map((v): [string, string] => [name, v]),
      { nil: undefined, freq: 3 },
    ),
  );
  const extra = fc.array(
    fc.tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('q', 'name', 'next')), hostile),
    {
      maxLength: 2,
    },
  );
  return fc
    .tuple(fc.tuple(...per), extra)
    .map(([pairs, more]) => [...pairs.filter((p): p is [string, string] => p !== undefined), ...more]);
}

describe("Fuzzing every page's query string", function () {
  this.timeout(120_000);

  it('should answer every page, whatever its query string, with 2xx, a local redirect or a clean 4xx, showing no markup from it', async () => {
    const ctx = await inboxContext({ FB_VERIFY_TOKEN: 'VERIFY' });
    try {
      // Enough matches for search to have a second page.
      await customersWrite(
        ctx,
        Array.from({ length: 25 }, (_, i) => ({ psid: `5200000000000${String(i).padStart(3, '0')}`, text: `hello number ${i}` })),
      );
      const conversation = await ctx.deps.db.get<{ id: number }>('SELECT min(id) AS id FROM conversations');
      const contact = await ctx.deps.db.get<{ id: number }>('SELECT min(id) AS id FROM contacts');
      const owner = await signIn(ctx.app, OWNER);
      const routes = routesOf(ctx.app).filter((r) => r.startsWith('GET ') && !r.startsWith('GET /api/') && !SKIP.has(r));
      const pathOf = async (route: string) => {
        let path = route.slice(4);
        if (path.includes(':conversation')) path = path.replace(':conversation', String(conversation!.id));
        if (path.includes(':run')) path = path.replace(':run', 'a1b2c3d4e5f6a7b8c9d0e1f2');
        if (path.includes(':contact')) path = path.replace(':contact', String(contact!.id));
        if (path.includes(':token'))
          path = path.replace(
            ':token',
            (await inviteUser(ctx.deps.db, { email: `q${Math.random()}@example.com`, role: 'staff' })).token,
          );
        return path;
      };
      await checkEach(
        routes.map((route): [string, () => Promise<fc.RunDetails<unknown>>] => [
          route,
          () =>
            fc.check(
              fc.asyncProperty(queryArb(PARAMS[route] ?? {}), async (pairs) => {
                const agent: Agent = owner.agent;
                const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
                const path = `${await pathOf(route)}${query ? `?${query}` : ''}`;
                const res = await agent.get(path);
                const what = `GET ${path.slice(0, 300)}`;
                const problems = saneAnswerProblems(res, what);
                if (/html/.test(String(res.headers['content-type'])))
                  problems.push(...htmlProblems(res.text).map((p) => `${what}: ${p}`));
                if (res.status >= 300 && res.status < 400 && !/^\/(?![/\\])/.test(res.headers.location ?? ''))
                  problems.push(`${what} redirects away: ${res.headers.location}`);
                if (
                  route === 'GET /webhooks/messenger' &&
                  res.status === 200 &&
                  !/^text\/plain/.test(res.headers['content-type'])
                )
                  problems.push(`${what}: the challenge is echoed as ${res.headers['content-type']}`);
                assertNone(problems);
              }),
              runs(route === 'GET /search' ? 150 : 60, 10_000),
            ) as Promise<fc.RunDetails<unknown>>,
        ]),
      );
    } finally {
      await ctx.close();
    }
  });

  it('should open the live stream whatever its query string, and show no markup from it', async () => {
    const ctx = await inboxContext();
    const server = await listen(ctx);
    try {
      const conversation = await customersWrite(ctx, [{ psid: '5300000000000001', text: 'hello from the stream' }]).then(() =>
        ctx.deps.db.get<{ id: number }>('SELECT min(id) AS id FROM conversations'),
      );
      const owner = await sessionCookie(ctx, OWNER);
      const params = {
        ...PARAMS['GET /'],
        conversation: fc.constantFrom(String(conversation!.id), '0', '-1', 'abc', '1e3', '999999', '9'.repeat(30)),
        since: fc.constantFrom(ctx.deps.live.cursor(), 'deadbeef:1', '00000000:99999999999999999999', 'x', ''),
      };
      await fc.assert(
        fc.asyncProperty(queryArb(params), fc.boolean(), async (pairs, lastEventId) => {
          const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
          const controller = new AbortController();
          const headers: Record<string, string> = { cookie: owner.cookie, accept: 'text/event-stream' };
          if (lastEventId) headers['last-event-id'] = pairs[0]?.[1].replace(/[^\x20-\x7e]/g, '') ?? '';
          const res = await fetch(`${server.url}/events?${query}`, { headers, signal: controller.signal });
          let text = '';
          try {
            if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
              const reader = res.body!.getReader();
              const decoder = new TextDecoder();
              const deadline = Date.now() + 150;
              while (Date.now() < deadline && !/\ndata: [^\n]*\n\n/.test(text)) {
                const chunk = await Promise.race([
                  reader.read().catch(() => undefined),
                  new Promise<undefined>((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()))),
                ]);
                if (!chunk || chunk.done) break;
                text += decoder.decode(chunk.value, { stream: true });
              }
            } else text = await res.text();
          } finally {
            controller.abort();
          }
          const what = `GET /events?${query.slice(0, 200)}`;
          const problems = saneAnswerProblems({ status: res.status, text }, what);
          problems.push(...htmlProblems(text).map((p) => `${what}: ${p}`));
          assertNone(problems);
        }),
        runs(40, 15_000),
      );
    } finally {
      await server.close();
      await ctx.close();
    }
  });
});
