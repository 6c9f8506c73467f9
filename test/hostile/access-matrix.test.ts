// The access matrix, generated from the router itself: every route Express knows has exactly one
// rule here (a new route without a rule fails the suite, and so does a rule for a route that is
// gone), and every route is called as each of five actors — anonymous, staff and owner signed in,
// a staff and an owner API token — with a valid CSRF token and ids that exist. An allowed actor is
// never refused (401, 403, 404, or a redirect to the sign-in page); a refused one gets exactly the
// refusal its rule names. Bearer tokens count only under /api/v1: elsewhere a token is anonymous.
import assert from 'node:assert/strict';
import { inboxContext, listen } from '../inbox/support';
import { addUser } from '../support/browser-session';
import { makeContext } from '../support/context';
import { ACTORS, callRoute, fixtures, type Actor, type Answer } from './routes';
import { assertNone, gist, leakProblems, routesOf } from './support';

/**
 * Who may use a route:
 * - public: everyone (a token outside /api/v1 is simply anonymous);
 * - signed-in: staff and owner sessions; anonymous and tokens are sent to /login (303 ?next=);
 * - owner: the owner's session; staff get 403; anonymous and tokens are sent to /login;
 * - api: sessions and tokens of either role; anonymous gets 401 JSON;
 * - api-owner: the owner's session or token; staff (session or token) get 403; anonymous 401 JSON;
 * - setup: nobody once the owner exists (404); see the fresh-install test below.
 */
type Access = 'public' | 'signed-in' | 'owner' | 'api' | 'api-owner' | 'setup';
type Area = 'public' | 'account and users' | 'inbox' | 'conversation' | 'settings' | 'api' | 'whole database';

interface Rule {
  route: string;
  access: Access;
  area: Area;
  /** What an allowed call must get, when more is known than "not refused". */
  allowed?: (res: Answer) => string | undefined;
}

const redirectsTo = (location: string) => (res: Answer) =>
  res.status === 303 && res.location === location
    ? undefined
    : `expected 303 to ${location}, got ${res.status} ${res.location ?? ''}`;
const status =
  (...codes: number[]) =>
  (res: Answer) =>
    codes.includes(res.status) ? undefined : `expected ${codes.join(' or ')}, got ${res.status}`;

const RULES: Rule[] = [
  // Meta, machines and the public
  { route: 'GET /webhooks/messenger', access: 'public', area: 'public', allowed: status(200) },
  { route: 'POST /webhooks/messenger', access: 'public', area: 'public', allowed: status(200) },
  { route: 'POST /webhooks/messenger/data-deletion', access: 'public', area: 'public', allowed: status(200) },
  { route: 'GET /data-deletion/:code', access: 'public', area: 'public', allowed: status(200) },
  { route: 'GET /static/*', access: 'public', area: 'public', allowed: status(200) },
  { route: 'GET /healthz', access: 'public', area: 'public', allowed: status(200) },
  { route: 'GET /manifest.webmanifest', access: 'public', area: 'public', allowed: status(200) },
  { route: 'GET /privacy', access: 'public', area: 'public', allowed: status(200) },
  { route: 'GET /setup', access: 'setup', area: 'public' },
  { route: 'POST /setup', access: 'setup', area: 'public' },
  { route: 'GET /login', access: 'public', area: 'public', allowed: status(200, 303) },
  { route: 'POST /login', access: 'public', area: 'public', allowed: redirectsTo('/') },
  { route: 'POST /logout', access: 'public', area: 'public', allowed: redirectsTo('/login') },
  { route: 'GET /invite/:token', access: 'public', area: 'public', allowed: status(200) },
  { route: 'POST /invite/:token', access: 'public', area: 'public', allowed: redirectsTo('/') },
  { route: 'GET /reset/:token', access: 'public', area: 'public', allowed: status(200) },
  { route: 'POST /reset/:token', access: 'public', area: 'public', allowed: redirectsTo('/') },
  // The signed-in person's own account, and the owner's Users page
  { route: 'GET /account', access: 'signed-in', area: 'account and users', allowed: status(200) },
  { route: 'POST /account/alerts', access: 'signed-in', area: 'account and users', allowed: status(303) },
  {
    route: 'POST /account/shortcuts',
    access: 'signed-in',
    area: 'account and users',
    allowed: redirectsTo('/account?shortcuts=saved#shortcuts'),
  },
  { route: 'POST /account/password', access: 'signed-in', area: 'account and users', allowed: redirectsTo('/account?saved=1') },
  { route: 'GET /users', access: 'owner', area: 'account and users', allowed: status(200) },
  { route: 'POST /users', access: 'owner', area: 'account and users', allowed: status(200) },
  { route: 'POST /users/:user/role', access: 'owner', area: 'account and users', allowed: redirectsTo('/users') },
  { route: 'POST /users/:user/reset-link', access: 'owner', area: 'account and users', allowed: status(200) },
  { route: 'POST /users/:user/disable', access: 'owner', area: 'account and users', allowed: redirectsTo('/users') },
  { route: 'POST /users/:user/enable', access: 'owner', area: 'account and users', allowed: redirectsTo('/users') },
  { route: 'POST /users/:user/delete', access: 'owner', area: 'account and users', allowed: redirectsTo('/users') },
  { route: 'GET /privacy/manage', access: 'owner', area: 'account and users', allowed: status(200) },
  { route: 'POST /privacy/key-banner/dismiss', access: 'owner', area: 'account and users', allowed: redirectsTo('/') },
  { route: 'POST /privacy/deletion-requests/:code/execute', access: 'owner', area: 'account and users', allowed: status(303) },
  {
    route: 'POST /privacy/erase',
    access: 'owner',
    area: 'account and users',
    allowed: redirectsTo('/privacy/manage?bulk=0#deletions'),
  },
  {
    route: 'POST /privacy/retention',
    access: 'owner',
    area: 'account and users',
    allowed: redirectsTo('/privacy/manage?retention=saved#retention'),
  },
  { route: 'GET /privacy/export', access: 'owner', area: 'account and users', allowed: status(200) },
  { route: 'GET /privacy/export/progress/:run', access: 'owner', area: 'account and users', allowed: status(200) },
  { route: 'GET /privacy/audit', access: 'owner', area: 'account and users', allowed: status(200) },
  // The inbox
  { route: 'GET /', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /events', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /search', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /canned', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /contacts', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /dashboard', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /dashboard.json', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /dashboard/:table.csv', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'POST /contacts/:contact/deletion-request', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'POST /contacts/:contact/erase', access: 'owner', area: 'inbox', allowed: status(303) },
  { route: 'GET /contacts/:contact', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /contacts/:contact/export', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'POST /contacts/:contact', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'POST /contacts/:contact/no-ai', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'GET /contacts/:contact/timeline', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'GET /contacts.csv', access: 'owner', area: 'inbox', allowed: status(200) },
  { route: 'GET /contacts/import', access: 'owner', area: 'inbox', allowed: status(200) },
  { route: 'POST /contacts/import', access: 'owner', area: 'inbox', allowed: status(200, 400) },
  { route: 'POST /contacts/import/apply', access: 'owner', area: 'inbox', allowed: status(410) },
  { route: 'GET /settings/contact-fields', access: 'owner', area: 'settings', allowed: status(200) },
  {
    route: 'POST /settings/contact-fields',
    access: 'owner',
    area: 'settings',
    allowed: redirectsTo('/settings/contact-fields?saved=1'),
  },
  {
    route: 'POST /settings/contact-fields/:field',
    access: 'owner',
    area: 'settings',
    allowed: redirectsTo('/settings/contact-fields?saved=1'),
  },
  {
    route: 'POST /settings/contact-fields/:field/delete',
    access: 'owner',
    area: 'settings',
    allowed: redirectsTo('/settings/contact-fields?saved=1'),
  },
  { route: 'POST /contacts/:contact/lead', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'GET /leads', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /leads.csv', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'POST /leads/:lead/stage', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'GET /leads/stages', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'POST /leads/stages', access: 'owner', area: 'settings', allowed: redirectsTo('/leads/stages?saved=1') },
  { route: 'POST /leads/stages/:stage', access: 'owner', area: 'settings', allowed: redirectsTo('/leads/stages?saved=1') },
  { route: 'POST /leads/stages/:stage/move', access: 'owner', area: 'settings', allowed: redirectsTo('/leads/stages?saved=1') },
  { route: 'POST /leads/stages/:stage/delete', access: 'owner', area: 'settings', allowed: redirectsTo('/leads/stages?saved=1') },
  { route: 'GET /follow-ups', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'GET /contacts/:contact/follow-ups', access: 'signed-in', area: 'inbox', allowed: status(200) },
  { route: 'POST /contacts/:contact/follow-ups', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'POST /follow-ups/:followUp/done', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'POST /follow-ups/:followUp/cancel', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'GET /simulator', access: 'owner', area: 'inbox', allowed: status(200) },
  { route: 'GET /simulator/thread', access: 'owner', area: 'inbox', allowed: status(200) },
  { route: 'POST /simulator', access: 'owner', area: 'inbox', allowed: status(303) },
  // A conversation
  { route: 'GET /conversations/:conversation', access: 'signed-in', area: 'conversation', allowed: status(200) },
  { route: 'POST /conversations/:conversation/seen', access: 'signed-in', area: 'conversation', allowed: status(204) },
  { route: 'POST /conversations/:conversation/messages', access: 'signed-in', area: 'conversation', allowed: status(303) },
  {
    route: 'POST /conversations/:conversation/messages/:messageId/retry',
    access: 'signed-in',
    area: 'conversation',
    allowed: status(303),
  },
  { route: 'POST /conversations/:conversation/status', access: 'signed-in', area: 'conversation', allowed: status(303) },
  { route: 'POST /conversations/:conversation/assign', access: 'signed-in', area: 'conversation', allowed: status(303) },
  { route: 'POST /conversations/:conversation/labels', access: 'signed-in', area: 'conversation', allowed: status(303) },
  {
    route: 'POST /conversations/:conversation/labels/:labelId/remove',
    access: 'signed-in',
    area: 'conversation',
    allowed: status(303),
  },
  { route: 'POST /conversations/:conversation/snooze', access: 'signed-in', area: 'conversation', allowed: status(303) },
  { route: 'POST /conversations/:conversation/unread', access: 'signed-in', area: 'conversation', allowed: status(303) },
  { route: 'POST /conversations/:conversation/restore', access: 'signed-in', area: 'conversation', allowed: status(303) },
  { route: 'POST /conversations/bulk', access: 'signed-in', area: 'inbox', allowed: status(303) },
  { route: 'POST /conversations/:conversation/typing', access: 'signed-in', area: 'conversation', allowed: status(204) },
  // The AI in a conversation: the fixtures set no AI up, so asking it answers a readable 409.
  { route: 'POST /conversations/:conversation/ai/suggest', access: 'signed-in', area: 'conversation', allowed: status(409) },
  { route: 'POST /conversations/:conversation/ai/help', access: 'signed-in', area: 'conversation', allowed: status(409) },
  {
    route: 'POST /conversations/:conversation/ai/draft/dismiss',
    access: 'signed-in',
    area: 'conversation',
    allowed: status(303),
  },
  { route: 'POST /conversations/:conversation/ai/hand-back', access: 'signed-in', area: 'conversation', allowed: status(303) },
  { route: 'POST /conversations/:conversation/ai/mode', access: 'signed-in', area: 'conversation', allowed: status(303) },
  // The owner's Settings
  { route: 'GET /settings', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'GET /settings/business', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'GET /settings/messenger', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'GET /settings/canned', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'GET /settings/labels', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'POST /settings/labels/:label', access: 'owner', area: 'settings', allowed: status(303) },
  { route: 'POST /settings/labels/:label/delete', access: 'owner', area: 'settings', allowed: status(303) },
  { route: 'GET /settings/tokens', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'POST /settings/business', access: 'owner', area: 'settings', allowed: redirectsTo('/settings/business?saved=1') },
  { route: 'POST /settings/messenger', access: 'owner', area: 'settings', allowed: status(303) },
  { route: 'POST /settings/messenger/test', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'POST /settings/canned', access: 'owner', area: 'settings', allowed: status(303) },
  { route: 'POST /settings/canned/:id', access: 'owner', area: 'settings', allowed: status(303) },
  { route: 'POST /settings/canned/:id/delete', access: 'owner', area: 'settings', allowed: status(303) },
  { route: 'POST /settings/tokens', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'POST /settings/tokens/:id/revoke', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'GET /settings/ai', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'POST /settings/ai', access: 'owner', area: 'settings', allowed: redirectsTo('/settings/ai?saved=1') },
  { route: 'POST /settings/ai/test', access: 'owner', area: 'settings', allowed: status(200) },
  { route: 'POST /settings/ai/resume', access: 'owner', area: 'settings', allowed: redirectsTo('/settings/ai?resumed=1') },
  {
    route: 'POST /settings/ai/knowledge',
    access: 'owner',
    area: 'settings',
    allowed: redirectsTo('/settings/ai?knowledge=saved#knowledge'),
  },
  {
    route: 'POST /settings/ai/knowledge/:entry',
    access: 'owner',
    area: 'settings',
    allowed: redirectsTo('/settings/ai?knowledge=saved#knowledge'),
  },
  {
    route: 'POST /settings/ai/knowledge/:entry/delete',
    access: 'owner',
    area: 'settings',
    allowed: redirectsTo('/settings/ai?knowledge=deleted#knowledge'),
  },
  // The JSON API
  { route: 'GET /api/v1/conversations', access: 'api', area: 'api', allowed: status(200) },
  { route: 'GET /api/v1/conversations/:conversation/messages', access: 'api', area: 'api', allowed: status(200) },
  { route: 'POST /api/v1/conversations/:conversation/messages', access: 'api', area: 'api', allowed: status(202) },
  { route: 'PATCH /api/v1/conversations/:conversation', access: 'api', area: 'api', allowed: status(200) },
  { route: 'GET /api/v1/attachments/:attachment', access: 'api', area: 'api', allowed: status(200) },
  { route: 'GET /api/v1/contacts/:contact', access: 'api', area: 'api', allowed: status(200) },
  { route: 'GET /api/v1/contacts/:contact/export', access: 'api', area: 'api', allowed: status(200) },
  { route: 'GET /api/v1/export', access: 'api-owner', area: 'api', allowed: status(200) },
  { route: 'PATCH /api/v1/contacts/:contact', access: 'api', area: 'api', allowed: status(200) },
  { route: 'GET /api/v1/leads', access: 'api', area: 'api', allowed: status(200) },
  { route: 'GET /api/v1/contacts/:contact/lead', access: 'api', area: 'api', allowed: status(200) },
  { route: 'PATCH /api/v1/contacts/:contact/lead', access: 'api', area: 'api', allowed: status(200, 201) },
  { route: 'GET /api/v1/follow-ups', access: 'api', area: 'api', allowed: status(200) },
  { route: 'POST /api/v1/contacts/:contact/follow-ups', access: 'api', area: 'api', allowed: status(201) },
  { route: 'PATCH /api/v1/follow-ups/:followUp', access: 'api', area: 'api', allowed: status(200) },
  { route: 'GET /api/v1/tokens', access: 'api-owner', area: 'api', allowed: status(200) },
  { route: 'POST /api/v1/contacts/:contact/deletion-request', access: 'api', area: 'api', allowed: status(200, 201) },
  { route: 'GET /api/v1/deletion-requests', access: 'api', area: 'api', allowed: status(200) },
  { route: 'POST /api/v1/deletion-requests/:code/execute', access: 'api-owner', area: 'api', allowed: status(200) },
  // Backups, restore, key rotation and wipe (the Privacy page); the wipe last, as it ends every session
  { route: 'GET /privacy/backups/:backup', access: 'owner', area: 'whole database', allowed: status(200) },
  { route: 'GET /privacy/backups/:backup/restore', access: 'owner', area: 'whole database', allowed: status(200) },
  { route: 'GET /privacy/key', access: 'owner', area: 'whole database', allowed: status(200) },
  { route: 'GET /privacy/wipe', access: 'owner', area: 'whole database', allowed: status(200) },
  { route: 'POST /privacy/backups', access: 'owner', area: 'whole database', allowed: status(303) },
  {
    route: 'POST /privacy/backups/:backup/delete',
    access: 'owner',
    area: 'whole database',
    allowed: redirectsTo('/privacy/manage#backups'),
  },
  { route: 'POST /privacy/backups/:backup/restore', access: 'owner', area: 'whole database', allowed: status(303) },
  { route: 'POST /privacy/key', access: 'owner', area: 'whole database', allowed: status(200) },
  { route: 'POST /privacy/wipe', access: 'owner', area: 'whole database', allowed: redirectsTo('/setup') },
];

type Outcome = 'allowed' | 'login' | 'unauthorized' | 'forbidden' | 'not-found';

function expectedOutcome(access: Access, actor: Actor): Outcome {
  const session = actor === 'staff' || actor === 'owner';
  const owner = actor === 'owner' || actor === 'owner token';
  switch (access) {
    case 'public':
      return 'allowed';
    case 'setup':
      return 'not-found';
    case 'signed-in':
      return session ? 'allowed' : 'login';
    case 'owner':
      return !session ? 'login' : owner ? 'allowed' : 'forbidden';
    case 'api':
      return actor === 'anonymous' ? 'unauthorized' : 'allowed';
    case 'api-owner':
      return actor === 'anonymous' ? 'unauthorized' : owner ? 'allowed' : 'forbidden';
  }
}

/** What is wrong with this answer for the expected outcome (undefined: it is right). */
function mismatch(rule: Rule, outcome: Outcome, res: Answer): string | undefined {
  const toLogin = res.status === 303 && (res.location ?? '').startsWith('/login?next=');
  const json = (): { error?: { code?: string } } | undefined => {
    try {
      return JSON.parse(res.text) as { error?: { code?: string } };
    } catch {
      return undefined;
    }
  };
  if (res.status >= 500) return `a ${res.status}: ${gist(res.text)}`;
  const leaks = leakProblems(rule.route.startsWith('GET /static') ? '' : res.text);
  if (leaks.length) return leaks.join('; ');
  switch (outcome) {
    case 'allowed':
      if (toLogin || [401, 403, 404].includes(res.status)) return `refused with ${res.status} ${res.location ?? gist(res.text)}`;
      return rule.allowed?.(res);
    case 'login':
      return toLogin ? undefined : `expected 303 to /login?next=…, got ${res.status} ${res.location ?? gist(res.text)}`;
    case 'unauthorized': {
      const code = json()?.error?.code;
      return res.status === 401 && (code === 'unauthorized' || code === 'invalid-token')
        ? undefined
        : `expected 401 JSON, got ${res.status} ${gist(res.text)}`;
    }
    case 'forbidden':
      if (res.status !== 403) return `expected 403, got ${res.status} ${res.location ?? gist(res.text)}`;
      if (rule.route.includes(' /api/'))
        return json()?.error?.code === 'forbidden' ? undefined : `a 403 without code forbidden: ${gist(res.text)}`;
      return /Only the owner/.test(res.text) ? undefined : `a 403 page that does not say why: ${gist(res.text)}`;
    case 'not-found':
      return res.status === 404 ? undefined : `expected 404, got ${res.status}`;
  }
}

describe('The access matrix, from the router itself', function () {
  this.timeout(60_000);

  it('should have exactly one rule for every route the app serves, and none for a route it does not', async () => {
    const ctx = await makeContext();
    try {
      const served = routesOf(ctx.app);
      const ruled = RULES.map((r) => r.route);
      const duplicates = ruled.filter((r, i) => ruled.indexOf(r) !== i);
      assert.deepEqual(duplicates, [], 'a route with two rules');
      assert.deepEqual(
        served.filter((r) => !ruled.includes(r)),
        [],
        'routes without a rule in test/hostile/access-matrix.test.ts (add one: who may use it, and what the others get)',
      );
      assert.deepEqual(
        ruled.filter((r) => !served.includes(r)),
        [],
        'rules for routes the app no longer serves (remove them from test/hostile/access-matrix.test.ts)',
      );
    } finally {
      await ctx.close();
    }
  });

  const areas = [...new Set(RULES.map((r) => r.area))];
  for (const area of areas) {
    const rules = RULES.filter((r) => r.area === area);
    it(`should let each actor use the ${area} routes exactly as the rules say (${rules.length} routes × ${ACTORS.length} actors)`, async () => {
      const ctx = await inboxContext();
      const server = await listen(ctx);
      try {
        const f = await fixtures(ctx, server.url);
        const problems: string[] = [];
        for (const rule of rules) {
          for (const actor of ACTORS) {
            const outcome = expectedOutcome(rule.access, actor);
            const { answer, sent } = await callRoute(f, rule.route, actor);
            const wrong = mismatch(rule, outcome, answer);
            if (wrong) problems.push(`${rule.route} (${rule.access}) as ${actor}: ${sent} should be ${outcome}, but ${wrong}`);
          }
        }
        assertNone(problems);
      } finally {
        await server.close();
        await ctx.close();
      }
    });
  }

  it('should refuse the same whatever the spelling of the path (case, trailing slash, doubled slash, percent-encoding)', async () => {
    const ctx = await inboxContext();
    const server = await listen(ctx);
    try {
      const f = await fixtures(ctx, server.url);
      const spellings: [string, (path: string) => string][] = [
        ['upper case', (p) => p.toUpperCase()],
        ['trailing slash', (p) => `${p}/`],
        ['doubled slash', (p) => p.replace(/\/(?=[^/]*$)/, '//')],
        ['percent-encoded letter', (p) => p.replace(/[a-z]/, (c) => `%${c.charCodeAt(0).toString(16)}`)],
        ['dot segment', (p) => p.replace(/^\/([^/]+)/, '/$1/.')],
      ];
      const problems: string[] = [];
      for (const rule of RULES.filter((r) => r.route.startsWith('GET ') && !['public', 'setup'].includes(r.access))) {
        const path = rule.route
          .slice(4)
          .replace(':conversation', String(f.conversationId))
          .replace(':contact', String(f.contactId))
          .replace(':run', 'progress-0123456789abcdef')
          .replace(':code', 'ABCDEFGHJKLM')
          .replace(':backup', 'chatx-20260101-000000-manual.db')
          .replace(':attachment', String(f.attachmentId))
          .replace(':table', 'agents');
        for (const actor of ACTORS) {
          if (expectedOutcome(rule.access, actor) === 'allowed') continue;
          for (const [how, spell] of spellings) {
            const { answer, sent } = await callRoute(f, `GET ${spell(path)}`, actor);
            if (answer.status < 300 || answer.status >= 500)
              problems.push(
                `${rule.route} spelt with ${how} as ${actor}: ${sent} answered ${answer.status} (${gist(answer.text)})`,
              );
          }
        }
      }
      assertNone(problems);
    } finally {
      await server.close();
      await ctx.close();
    }
  });

  it('should offer /setup only on a fresh install, and send every page there until the owner exists', async () => {
    const ctx = await makeContext();
    const server = await listen(ctx);
    try {
      const get = (path: string) => fetch(`${server.url}${path}`, { redirect: 'manual' });
      assert.equal((await get('/setup')).status, 200);
      assert.equal((await get('/')).headers.get('location'), '/setup');
      assert.equal((await get('/login')).headers.get('location'), '/setup');
      assert.equal((await get('/settings')).status, 303, 'owner pages still ask for a sign-in');
      assert.equal((await get('/api/v1/conversations')).status, 401);
      await addUser(ctx.deps.db, 'owner@example.com', 'owner');
      assert.equal((await get('/setup')).status, 404);
    } finally {
      await server.close();
      await ctx.close();
    }
  });
});
