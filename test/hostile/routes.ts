// Calling any route of the app as any actor, over real HTTP: the fixtures every route needs (a
// conversation, a label, a stored file, API tokens), a value for every route parameter (made afresh
// where a call uses it up: an invitation, a user, a failed reply, a canned response, a token, a
// knowledge entry), a plausible request for each route, and the odd body shapes a hostile client may
// send instead.
import crypto from 'node:crypto';
import { addKnowledge } from '../../src/ai/knowledge';
import { createApiToken } from '../../src/auth/api-tokens';
import { createSession } from '../../src/auth/sessions';
import { createPasswordReset, inviteUser } from '../../src/auth/users';
import { createFieldDef } from '../../src/crm/fields';
import { createCanned } from '../../src/inbox/canned';
import { entry, metaJson, pageBody, signBody, signedRequest, textEvent, uniqueMid } from '../fakes/messenger-events';
import { customerWrites, type InboxContext } from '../inbox/support';
import { addUser, PASSWORD } from '../support/browser-session';

export const ACTORS = ['anonymous', 'staff', 'owner', 'staff token', 'owner token'] as const;
export type Actor = (typeof ACTORS)[number];

/**
 * How the body travels: `plausible` is what the page (or API client) sends; the others are what a
 * hostile or broken client may send instead, always with a valid CSRF token in X-CSRF-Token.
 */
export const ODD_BODIES = [
  'no body (htmx hx-post)',
  'text/plain',
  'a JSON array',
  'JSON with objects for strings',
  'multipart without files',
  'every field twice',
  'a latin1 form',
  'gzip that is not gzip',
] as const;
export type BodyShape = 'plausible' | (typeof ODD_BODIES)[number];

export interface Answer {
  status: number;
  location?: string;
  contentType: string;
  text: string;
}

export interface Fixtures {
  ctx: InboxContext;
  url: string;
  conversationId: number;
  /** The person behind that conversation. */
  contactId: number;
  labelId: number;
  attachmentId: number;
  tokens: { staff: string; owner: string };
  secret: string;
  verifyToken: string;
  n: number;
}

/** What the routes need to exist, on a context with an owner and a staff member (inboxContext). */
export async function fixtures(ctx: InboxContext, url: string): Promise<Fixtures> {
  const conversationId = await customerWrites(ctx, '8800000000000001', 'Hello from the route tests');
  await ctx.deps.workflow.addLabel(conversationId, 'vip');
  const { id: labelId } = (await ctx.deps.db.get<{ id: number }>("SELECT id FROM labels WHERE name = 'vip'"))!;
  const { id: fileMessage } = await ctx.deps.outbox.queue({
    conversationId,
    files: [{ name: 'menu.pdf', contentType: 'application/pdf', data: Buffer.from('%PDF-1.4') }],
    sentBy: 'user',
    userId: ctx.ownerId,
  });
  const attachment = await ctx.deps.db.get<{ id: number }>('SELECT id FROM attachments WHERE message_id = ?', [fileMessage]);
  await addUser(ctx.deps.db, 'login@example.com', 'staff');
  const state = await ctx.deps.channel.state();
  const contact = await ctx.deps.db.get<{ contact_id: number }>('SELECT contact_id FROM conversations WHERE id = ?', [
    conversationId,
  ]);
  return {
    ctx,
    url,
    conversationId,
    contactId: contact!.contact_id,
    labelId,
    attachmentId: attachment!.id,
    tokens: {
      staff: (await createApiToken(ctx.deps.db, { name: 'routes staff', role: 'staff' })).token,
      owner: (await createApiToken(ctx.deps.db, { name: 'routes owner', role: 'owner' })).token,
    },
    secret: state.appSecret!,
    verifyToken: state.verifyToken,
    n: 0,
  };
}

/** A customer who just wrote (their contact id), for calls that erase someone. */
async function freshContact(f: Fixtures): Promise<number> {
  const conversationId = await customerWrites(f.ctx, `88000000${String(f.n).padStart(8, '0')}`, `Hello ${f.n}`);
  return (await f.ctx.deps.db.get<{ contact_id: number }>('SELECT contact_id FROM conversations WHERE id = ?', [conversationId]))!
    .contact_id;
}

const backups = new WeakMap<Fixtures, Promise<string>>();
const newBackup = async (f: Fixtures) => (await f.ctx.deps.vault.backup('manual', { actor: 'test' })).name;
const sharedBackup = (f: Fixtures) => backups.get(f) ?? backups.set(f, newBackup(f)).get(f)!;

/** The value of a route parameter: what exists, made afresh where a call uses it up. */
export async function param(f: Fixtures, route: string, name: string): Promise<string> {
  const { db } = f.ctx.deps;
  f.n += 1;
  switch (name) {
    case 'conversation':
      return String(f.conversationId);
    case 'labelId':
      return String(f.labelId);
    case 'label':
      // Deleting a label uses it up: a new one each time.
      if (!route.endsWith('/delete')) return String(f.labelId);
      await f.ctx.deps.workflow.addLabel(f.conversationId, `gone ${f.n}`);
      return String((await db.get<{ id: number }>('SELECT id FROM labels WHERE name = ?', [`gone ${f.n}`]))!.id);
    case 'attachment':
      return String(f.attachmentId);
    case 'contact':
      // A lead's routes read the person's lead: they are made one (once; again after nothing).
      if (route.endsWith('/lead')) await f.ctx.deps.leads.change(f.contactId, {}, { actor: 'test' });
      // Erasing uses the person up: someone new each time.
      return String(route.endsWith('/erase') ? await freshContact(f) : f.contactId);
    case 'code': {
      // Carrying a request out uses it up: a new person's request each time.
      const { request } = await f.ctx.deps.deletions.request(await freshContact(f), { source: 'api', who: { actor: 'test' } });
      return request.code;
    }
    case 'run':
      // The id the Privacy page makes for an export's progress.
      return `progress-${f.n}-0123456789abcdef`;
    case 'backup':
      // Deleting uses a backup up; the other calls share one.
      return route.endsWith('/delete') ? await newBackup(f) : await sharedBackup(f);
    case 'token':
      // A password-reset link is an active person's; an invitation an invited one's. Each is used up.
      if (route.includes('/reset/'))
        return (await createPasswordReset(db, await addUser(db, `forgetful${f.n}@example.com`, 'staff'))).token;
      return (await inviteUser(db, { email: `invitee${f.n}@example.com`, role: 'staff' })).token;
    case 'user':
      if (route.endsWith('/reset-link')) return String((await addUser(db, `resettable${f.n}@example.com`, 'staff')).id);
      return String((await inviteUser(db, { email: `victim${f.n}@example.com`, role: 'staff' })).user.id);
    case 'messageId': {
      const { id } = await f.ctx.deps.outbox.queue({ conversationId: f.conversationId, text: `failed ${f.n}`, sentBy: 'user' });
      await f.ctx.deps.outbox.kick();
      await db.run("UPDATE messages SET status = 'failed', error_code = 'x', error_message = 'refused' WHERE id = ?", [id]);
      return String(id);
    }
    case 'followUp':
      // Done and cancel use a follow-up up: a new one each time.
      return String(
        (
          await f.ctx.deps.followUps.create(
            f.contactId,
            { dueAt: Date.now() + 3600_000, note: `Call back ${f.n}`, ownerId: f.ctx.staffId },
            { actor: 'test' },
          )
        ).id,
      );
    case 'lead':
      return String((await f.ctx.deps.leads.change(f.contactId, {}, { actor: 'test' })).lead.id);
    case 'stage':
      // Editing, moving and removing a stage: a new, empty one each time.
      return String((await f.ctx.deps.leads.addStage(`Stage ${f.n}`, 'open', { actor: 'test' })).id);
    case 'entry':
      // Deleting uses an entry up: a new one each time.
      return String(await addKnowledge(db, { title: `Opening hours ${f.n}`, body: 'Monday to Friday, 9 to 5.', always: false }));
    case 'field':
      // A contact field of its own each time (editing renames it, deleting uses it up).
      return String(
        await createFieldDef(f.ctx.deps.db, { name: `Field ${f.n}`, type: 'text', choices: [], position: 0 }, { actor: 'test' }),
      );
    case 'table':
      // The dashboard's CSV files.
      return 'agents';
    case 'id':
      if (route.startsWith('POST /settings/canned/'))
        return String(await createCanned(db, { shortcut: `c${f.n}`, text: 'Canned text' }));
      if (route.startsWith('POST /settings/tokens/'))
        return String((await createApiToken(db, { name: `victim token ${f.n}`, role: 'staff' })).id);
  }
  throw new Error(`no value for :${name} in ${route}: add one to test/hostile/routes.ts`);
}

/** A plausible request for the route (so an allowed call succeeds): its query and body. */
export function requestFor(
  f: Fixtures,
  route: string,
): { query?: string; form?: Record<string, string>; json?: Record<string, unknown>; webhook?: true } {
  const n = f.n;
  switch (route) {
    case 'GET /webhooks/messenger':
      return { query: `hub.mode=subscribe&hub.verify_token=${encodeURIComponent(f.verifyToken)}&hub.challenge=challenge${n}` };
    case 'POST /webhooks/messenger':
      return { webhook: true };
    case 'POST /setup':
      return { form: { email: `setup${n}@example.com`, password: PASSWORD } };
    case 'POST /login':
      return { form: { email: 'login@example.com', password: PASSWORD } };
    case 'POST /invite/:token':
      return { form: { name: 'New Member', password: PASSWORD } };
    case 'POST /reset/:token':
      return { form: { password: PASSWORD } };
    case 'POST /account/alerts':
      return { form: { sound: 'on' } };
    case 'POST /account/password':
      return { form: { current_password: PASSWORD, new_password: PASSWORD } };
    case 'POST /users':
      return { form: { email: `invited${n}@example.com`, role: 'staff' } };
    case 'POST /users/:user/role':
      return { form: { role: 'owner' } };
    case 'GET /search':
      return { query: 'q=hello' };
    case 'GET /canned':
      return { query: 'q=h' };
    case 'GET /simulator/thread':
      return { query: 'name=Alex' };
    case 'POST /simulator':
      return { form: { name: 'Alex Rivera', text: 'Hi from the route tests' } };
    case 'GET /events':
      return { query: 'status=open&who=all' };
    case 'POST /conversations/:conversation/messages':
      return { form: { text: `A reply ${n}` } };
    case 'POST /conversations/:conversation/status':
      return { form: { status: 'pending' } };
    case 'POST /conversations/:conversation/assign':
      return { form: { assignee_id: 'me' } };
    case 'POST /conversations/:conversation/labels':
      return { form: { name: 'order' } };
    case 'POST /conversations/:conversation/snooze':
      return { form: { preset: '1h' } };
    case 'POST /conversations/:conversation/restore':
      return { form: { status: 'open' } };
    case 'POST /conversations/bulk':
      return { form: { action: 'read', ids: String(f.conversationId) } };
    case 'POST /settings/labels/:label':
      return { form: { color: 'blue' } };
    case 'POST /conversations/:conversation/ai/help':
      return { form: { kind: 'improve', text: `A draft ${n}` } };
    case 'POST /conversations/:conversation/ai/mode':
      return { form: { mode: 'settings' } };
    case 'POST /contacts/:contact/no-ai':
      return { form: { on: '0' } };
    case 'POST /settings/contact-fields':
    case 'POST /settings/contact-fields/:field':
      return { form: { name: `Customer number ${n}`, type: 'number', choices: '', position: '' } };
    case 'POST /settings/business':
      return { form: { business_name: 'Bakery', contact_email: 'hello@example.com', website: 'example.com' } };
    case 'POST /settings/messenger':
      return { form: { page_id: '' } };
    case 'POST /settings/canned':
      return { form: { shortcut: `new${n}`, text: 'New canned text' } };
    case 'POST /settings/canned/:id':
      return { form: { shortcut: `edited${n}`, text: 'Edited canned text' } };
    case 'POST /settings/ai':
      return {
        form: {
          provider: 'none',
          mode: 'off',
          open: '09:00',
          close: '18:00',
          disclose: 'on',
          disclosure: 'Hi! This is an automated assistant.',
          handoff_to: 'least-busy',
          timeout_s: '30',
          cap_requests: '500',
          cap_tokens: '1000000',
          cap_conversation_requests: '30',
          cap_conversation_tokens: '60000',
        },
      };
    case 'POST /settings/ai/knowledge':
    case 'POST /settings/ai/knowledge/:entry':
      return { form: { title: `Delivery ${n}`, body: 'We deliver within the city in two days.', always: 'on' } };
    case 'POST /settings/tokens':
      return { form: { name: `token ${n}`, role: 'staff', expires: 'never' } };
    case 'POST /api/v1/conversations/:conversation/messages':
      return { json: { text: `An API reply ${n}` } };
    case 'PATCH /api/v1/conversations/:conversation':
      return { json: { status: 'pending' } };
    case 'POST /webhooks/messenger/data-deletion':
      return { form: { signed_request: signedRequest({ algorithm: 'HMAC-SHA256', user_id: `77${n}` }, f.secret) } };
    case 'POST /contacts/:contact/deletion-request':
      return { form: { received_via: 'email' } };
    case 'POST /contacts/:contact/erase':
    case 'POST /privacy/deletion-requests/:code/execute':
      return { form: { password: PASSWORD } };
    case 'POST /privacy/erase':
      // Nobody real: the matrix checks who may, not the erasing (test/privacy/deletion.test.ts).
      return { form: { contact: '999999', password: PASSWORD } };
    case 'POST /privacy/retention':
      return { form: { months: '', password: PASSWORD } };
    case 'POST /api/v1/contacts/:contact/deletion-request':
      return { json: { received_via: 'email' } };
    case 'POST /contacts/:contact':
      return { form: { name: `Corrected Name ${n}`, phone: '+1 555 0100', email: `person${n}@example.com` } };
    case 'POST /contacts/:contact/follow-ups':
      return { form: { due_at: new Date(Date.now() + 3600_000).toISOString().slice(0, 16) + 'Z', note: `Follow up ${n}` } };
    case 'POST /api/v1/contacts/:contact/follow-ups':
      return {
        json: { due_at: new Date(Date.now() + 3600_000).toISOString(), note: `API follow-up ${n}`, owner_id: f.ctx.staffId },
      };
    case 'PATCH /api/v1/follow-ups/:followUp':
      return { json: { note: `Changed ${n}` } };
    case 'POST /contacts/:contact/lead':
      return { form: { value: `${n}.50` } };
    case 'POST /leads/:lead/stage':
      // The second of the stages every install starts with (Contacted).
      return { form: { stage_id: '2' } };
    case 'POST /leads/stages':
      return { form: { name: `New stage ${n}`, kind: 'open' } };
    case 'POST /leads/stages/:stage':
      return { form: { name: `Renamed stage ${n}`, kind: 'open' } };
    case 'POST /leads/stages/:stage/move':
      return { form: { direction: 'up' } };
    case 'PATCH /api/v1/contacts/:contact/lead':
      return { json: { value: n + 0.5 } };
    case 'PATCH /api/v1/contacts/:contact':
      return { json: { name: `API Name ${n}`, fields: { Order: `A-${n}` } } };
    case 'POST /privacy/backups/:backup/restore':
    case 'POST /privacy/key':
      return { form: { password: PASSWORD } };
    case 'POST /privacy/wipe':
      // No business name is set in the fixtures: the phrase a wipe then asks for.
      return { form: { confirm: 'delete everything', password: PASSWORD } };
    default:
      return {};
  }
}

/** Cookies and headers of an actor, and the CSRF token that goes with them. */
async function credentials(f: Fixtures, actor: Actor): Promise<{ headers: Record<string, string>; csrf: string }> {
  if (actor === 'staff' || actor === 'owner') {
    const user = { id: actor === 'owner' ? f.ctx.ownerId : f.ctx.staffId };
    const { token, csrfToken } = await createSession(f.ctx.deps.db, user, {});
    return { headers: { cookie: `chatx_session=${token}` }, csrf: csrfToken };
  }
  // A visitor's pre-session CSRF token, as /login hands it out: valid, so only access decides.
  const csrf = crypto.randomBytes(24).toString('base64url');
  const headers: Record<string, string> = { cookie: `chatx_csrf=${csrf}` };
  if (actor !== 'anonymous') headers.authorization = `Bearer ${actor === 'owner token' ? f.tokens.owner : f.tokens.staff}`;
  return { headers, csrf };
}

const odd = (fields: Record<string, unknown>) => Object.fromEntries(Object.keys(fields).map((k) => [k, { nested: [1, 'two'] }]));

/** The body of an unsafe request in the given shape. */
async function bodyFor(
  f: Fixtures,
  req: ReturnType<typeof requestFor>,
  shape: BodyShape,
  csrf: string,
  headers: Record<string, string>,
): Promise<string | FormData | undefined> {
  const fields: Record<string, string> = { ...req.form };
  const form = () => new URLSearchParams({ _csrf: csrf, ...fields }).toString();
  headers['x-csrf-token'] = csrf;
  switch (shape) {
    case 'plausible':
      if (req.webhook) {
        const state = await f.ctx.deps.channel.state();
        const event = textEvent({ pageId: state.pageId, psid: '8800000000000009', mid: uniqueMid(), text: 'hi' });
        const body = metaJson(pageBody([entry(state.pageId, [event])]));
        headers['content-type'] = 'application/json';
        headers['x-hub-signature-256'] = signBody(body, f.secret);
        return body;
      }
      if (req.json) {
        headers['content-type'] = 'application/json';
        return JSON.stringify(req.json);
      }
      headers['content-type'] = 'application/x-www-form-urlencoded';
      return form();
    case 'no body (htmx hx-post)':
      headers['hx-request'] = 'true';
      return undefined;
    case 'text/plain':
      headers['content-type'] = 'text/plain';
      return form();
    case 'a JSON array':
      headers['content-type'] = 'application/json';
      return JSON.stringify([1, 'two', null, { text: 'x' }]);
    case 'JSON with objects for strings':
      headers['content-type'] = 'application/json';
      return JSON.stringify(odd({ ...fields, ...req.json, text: '', name: '', status: '', role: '', email: '' }));
    case 'multipart without files': {
      const data = new FormData();
      data.append('_csrf', csrf);
      for (const [k, v] of Object.entries(fields)) data.append(k, v);
      return data;
    }
    case 'every field twice': {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const params = new URLSearchParams({ _csrf: csrf });
      for (const [k, v] of Object.entries(fields)) {
        params.append(k, v);
        params.append(k, `${v} again`);
      }
      return params.toString();
    }
    case 'a latin1 form':
      headers['content-type'] = 'application/x-www-form-urlencoded; charset=latin1';
      return form();
    case 'gzip that is not gzip':
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-encoding'] = 'gzip';
      return form();
  }
}

/** Calls the route as this actor over real HTTP (a live stream is read only up to its headers). */
export async function callRoute(
  f: Fixtures,
  route: string,
  actor: Actor,
  shape: BodyShape = 'plausible',
  /** Runs once everything the call needs exists, just before it is sent (a snapshot, say). */
  beforeSend?: () => Promise<void>,
): Promise<{ answer: Answer; sent: string }> {
  const [method, pattern] = route.split(' ');
  let path = pattern;
  for (const [, name] of pattern.matchAll(/:(\w+)/g))
    path = path.replace(`:${name}`, encodeURIComponent(await param(f, route, name)));
  if (path.endsWith('/*')) path = path.replace('/*', '/css/app.css');
  const req = requestFor(f, route);
  if (req.query) path += `?${req.query}`;
  const { headers, csrf } = await credentials(f, actor);
  const body = method === 'GET' ? undefined : await bodyFor(f, req, shape, csrf, headers);
  await beforeSend?.();
  const res = await fetch(`${f.url}${path}`, { method, headers, body, redirect: 'manual' });
  const contentType = res.headers.get('content-type') ?? '';
  let text = '';
  if (contentType.startsWith('text/event-stream')) await res.body?.cancel();
  else text = await res.text();
  return {
    answer: { status: res.status, location: res.headers.get('location') ?? undefined, contentType, text },
    sent: `${method} ${path}${shape === 'plausible' ? '' : ` [${shape}]`}`,
  };
}
