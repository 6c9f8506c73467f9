// Property-based fuzzing of the deletion doors: Meta's callback with arbitrary `signed_request`
// strings (never a 5xx, a request recorded only for a valid signature), validly signed payloads of
// any shape (200 or a clean 400), and the staff and API doors with hostile fields (a request for the
// person, or a clean 4xx that records nothing).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import { signedRequest } from '../fakes/messenger-events';
import { customerWrites, inboxContext, STAFF, type InboxContext } from '../inbox/support';
import { signIn } from '../support/browser-session';
import { XSS_CORPUS, assertNone, checkEach, runs, saneAnswerProblems } from './support';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');
/** fast-check's result typed as checkEach takes it. */
const loose = <T>(run: Promise<fc.RunDetails<T>>) => run as Promise<fc.RunDetails<unknown>>;

describe('Fuzzing the deletion doors', function () {
  this.timeout(120_000);
  let ctx: InboxContext;
  let secret: string;
  let contactId: number;
  beforeEach(async () => {
    ctx = await inboxContext();
    secret = (await ctx.deps.channel.state()).appSecret!;
    const conversationId = await customerWrites(ctx, '9100000000000001', 'hello');
    contactId = (await ctx.deps.db.get<{ contact_id: number }>('SELECT contact_id FROM conversations WHERE id = ?', [
      conversationId,
    ]))!.contact_id;
  });
  afterEach(() => ctx.close());

  const requests = async () => (await ctx.deps.db.get<{ n: number }>('SELECT count(*) AS n FROM deletion_requests'))!.n;
  const callback = (form: string) => request(ctx.app).post('/webhooks/messenger/data-deletion').type('form').send(form);

  it("should answer Meta's callback 200 only for a valid signature, else a clean 400 that records nothing", async () => {
    const unsigned = fc.oneof(
      fc.string(),
      fc.fullUnicodeString({ maxLength: 60 }),
      fc.constantFrom(...XSS_CORPUS),
      fc.tuple(fc.string(), fc.string()).map(([a, b]) => `${a}.${b}`),
      fc.jsonValue().map((v) => `${b64(crypto.randomBytes(32))}.${b64(JSON.stringify(v))}`),
    );
    const payload = fc.record(
      {
        algorithm: fc.oneof(fc.constant('HMAC-SHA256'), fc.constant('hmac-sha256'), fc.jsonValue()),
        user_id: fc.oneof(fc.string(), fc.integer(), fc.bigInt().map(String), fc.jsonValue()),
        issued_at: fc.jsonValue(),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const problems: string[] = [];
    await checkEach([
      [
        'unsigned or badly signed',
        () =>
          loose(
            fc.check(
              fc.asyncProperty(unsigned, fc.constantFrom('signed_request', 'other', 'signed_request[]'), async (value, field) => {
                const before = await requests();
                const res = await callback(`${encodeURIComponent(field)}=${encodeURIComponent(value)}`);
                const found = saneAnswerProblems(res, `signed_request=${JSON.stringify(value).slice(0, 80)}`);
                if (res.status !== 400) found.push(`answered ${res.status}, not 400`);
                if ((await requests()) !== before) found.push('a request was recorded');
                problems.push(...found);
                return found.length === 0;
              }),
              runs(150),
            ),
          ),
      ],
      [
        'validly signed, any payload',
        () =>
          loose(
            fc.check(
              fc.asyncProperty(payload, async (p) => {
                const before = await requests();
                const res = await callback(`signed_request=${encodeURIComponent(signedRequest(p, secret))}`);
                const found = saneAnswerProblems(res, `payload ${JSON.stringify(p).slice(0, 120)}`);
                const valid =
                  typeof p.algorithm === 'string' &&
                  p.algorithm.toUpperCase() === 'HMAC-SHA256' &&
                  ((typeof p.user_id === 'string' && /^\d{1,32}$/.test(p.user_id)) ||
                    (typeof p.user_id === 'number' && Number.isSafeInteger(p.user_id) && p.user_id >= 0));
                if (valid && (res.status !== 200 || (await requests()) !== before + 1))
                  found.push(`valid, answered ${res.status}`);
                if (!valid && (res.status !== 400 || (await requests()) !== before))
                  found.push(`invalid, answered ${res.status}`);
                if (res.status === 200 && !/^[A-Z2-9]{12}$/.test(res.body.confirmation_code)) found.push('no confirmation code');
                problems.push(...found);
                return found.length === 0;
              }),
              runs(150),
            ),
          ),
      ],
    ]);
    assertNone(problems);
  });

  it('should record a request from staff and the API for hostile fields, or refuse cleanly and record nothing', async () => {
    const { agent, csrf } = await signIn(ctx.app, STAFF);
    const { token } = await createApiToken(ctx.deps.db, { name: 'fuzz', role: 'staff' });
    const via = fc.oneof(
      fc.constantFrom('email', 'conversation', 'phone', 'in person', 'other'),
      fc.string(),
      fc.constantFrom(...XSS_CORPUS),
    );
    const problems: string[] = [];
    await checkEach([
      [
        'the form',
        () =>
          loose(
            fc.check(
              fc.asyncProperty(via, async (receivedVia) => {
                await ctx.deps.db.run('DELETE FROM deletion_requests');
                const res = await agent
                  .post(`/contacts/${contactId}/deletion-request`)
                  .type('form')
                  .send({ _csrf: csrf, received_via: receivedVia });
                const found = saneAnswerProblems(res, `received_via=${JSON.stringify(receivedVia)}`);
                const ok = ['email', 'conversation', 'phone', 'in person', 'other'].includes(receivedVia);
                if (ok !== (res.status === 303)) found.push(`received_via ${JSON.stringify(receivedVia)} answered ${res.status}`);
                if ((await requests()) !== (ok ? 1 : 0)) found.push('recorded what it refused, or nothing for what it took');
                problems.push(...found);
                return found.length === 0;
              }),
              runs(60),
            ),
          ),
      ],
      [
        'the API',
        () =>
          loose(
            fc.check(
              fc.asyncProperty(fc.jsonValue(), async (body) => {
                await ctx.deps.db.run('DELETE FROM deletion_requests');
                const res = await request(ctx.app)
                  .post(`/api/v1/contacts/${contactId}/deletion-request`)
                  .set('authorization', `Bearer ${token}`)
                  .send(JSON.stringify(body) ?? 'null')
                  .type('json');
                const found = saneAnswerProblems(res, `body ${JSON.stringify(body).slice(0, 100)}`);
                if (res.status >= 400 && (await requests()) !== 0) found.push(`answered ${res.status} and recorded a request`);
                if (res.status === 201 && (await requests()) !== 1) found.push('answered 201 without one request');
                if (![201, 400].includes(res.status)) found.push(`answered ${res.status}`);
                problems.push(...found);
                return found.length === 0;
              }),
              runs(100),
            ),
          ),
      ],
    ]);
    assertNone(problems);
    assert.ok(await ctx.deps.db.get('SELECT 1 FROM contacts WHERE id = ?', [contactId]), 'nobody was erased by asking');
  });
});
