// Property-based fuzzing of POST /webhooks/messenger: validly signed bodies that are arbitrary JSON
// or mutated real Meta shapes are always answered 200 (what is invalid is dropped, never an error),
// malformed JSON 400, a wrong signature 403 with nothing stored; and afterwards every inbox page and
// API answer still works. Run on the Express route (with the fake Graph API behind profile and file
// jobs) and on the running server's fast path with its writer thread.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fc from 'fast-check';
import request from 'supertest';
import { createApiToken } from '../../src/auth/api-tokens';
import type { Queryable } from '../../src/core/db';
import { start, type RunningServer } from '../../src/server';
import {
  attachmentEvent,
  deliveryEvent,
  echoEvent,
  editEvent,
  entry,
  metaJson,
  pageBody,
  postbackEvent,
  reactionEvent,
  readEvent,
  referralEvent,
  signBody,
  textEvent,
  type FakeGraph,
  type MessagingEvent,
} from '../fakes/graph';
import { liveContextPerTest, PAGE_ID, APP_SECRET, APP_ID, type Ctx } from '../messenger/support';
import { addUser, signIn } from '../support/browser-session';
import { testConfig } from '../support/context';
import {
  XSS_CORPUS,
  around,
  changedTables,
  htmlProblems,
  integrityProblems,
  runs,
  saneAnswerProblems,
  snapshot,
  straddling,
  type Answer,
  assertNone,
} from './support';

const PSIDS = ['7100000000000001', '7100000000000002', '7100000000000003', '7100000000000004'];
const MIDS = ['m_pool_1', 'm_pool_2', 'm_pool_3', 'm_pool_4', 'm_pool_5'];
const STORED = ['contacts', 'conversations', 'messages', 'attachments', 'webhook_receipts', 'jobs', 'outbox'];
/**
 * What the background jobs change meanwhile (a profile lookup retried on its own timer fills in a
 * name and moves its job along): not something the refused body stored.
 */
const BACKGROUND = [
  'state',
  'attempts',
  'run_at',
  'last_error',
  'updated_at',
  'again',
  'name',
  'messenger_name',
  'profile_state',
];
const DELETE = Symbol('delete');

type Json = unknown;
/** Any JSON value, or the key left out. */
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
const hostileText = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.fullUnicodeString({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.constantFrom(...XSS_CORPUS) },
  { weight: 1, arbitrary: straddling },
  { weight: 1, arbitrary: fc.constantFrom(20, 32, 100, 500, 1000, 20_000).chain((limit) => around(limit)) },
  { weight: 1, arbitrary: fc.nat({ max: 25_000 }).map((n) => 'y'.repeat(n)) },
  { weight: 1, arbitrary: anyValue },
);
const psid = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...PSIDS) }, { weight: 1, arbitrary: anyValue });
const mid = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...MIDS) },
  { weight: 2, arbitrary: fc.uuid().map((u) => `m_${u}`) },
  { weight: 1, arbitrary: anyValue },
);
const timestamp = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: -3_600_000, max: 60_000 }).map((d) => Date.now() + d) },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constant(1e300), anyValue) },
);

/** A Meta event of any kind, its fields drawn from the hostile values (cast: the builders expect strings). */
function eventArb(cdn: string): fc.Arbitrary<MessagingEvent> {
  const s = (v: unknown) => v as string;
  const n = (v: unknown) => v as number;
  const base = { pageId: fc.constant(PAGE_ID), psid, timestamp };
  const attachment = fc.record({
    type: fc.oneof(fc.constantFrom('image', 'audio', 'video', 'file', 'sticker', 'fallback', 'reel', 'template'), anyValue),
    payload: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          url: fc.oneof(
            {
              weight: 4,
              arbitrary: fc.constantFrom(
                `${cdn}/cdn/photo.jpg`,
                `${cdn}/cdn/gone.pdf`,
                'javascript:alert(1)',
                'http://127.0.0.1:1/x',
              ),
            },
            { weight: 1, arbitrary: anyValue },
          ),
          title: hostileText,
          sticker_id: anyValue,
        }),
      },
      { weight: 1, arbitrary: anyValue },
    ),
    title: hostileText,
  });
  return fc.oneof(
    fc.record({ ...base, mid, text: hostileText, quick: fc.option(hostileText), replyTo: fc.option(mid) }).map((e) =>
      textEvent({
        ...e,
        psid: s(e.psid),
        timestamp: n(e.timestamp),
        mid: s(e.mid),
        text: s(e.text),
        quickReplyPayload: e.quick === null ? undefined : s(e.quick),
        replyToMid: e.replyTo === null ? undefined : s(e.replyTo),
      }),
    ),
    fc.record({ ...base, mid, attachments: fc.array(attachment, { maxLength: 3 }), text: fc.option(hostileText) }).map((e) =>
      attachmentEvent({
        ...e,
        psid: s(e.psid),
        timestamp: n(e.timestamp),
        mid: s(e.mid),
        text: e.text === null ? undefined : s(e.text),
        attachments: e.attachments as never,
      }),
    ),
    fc.record({ ...base, mid, text: hostileText, appId: fc.oneof(fc.constant(APP_ID), anyValue), metadata: anyValue }).map((e) =>
      echoEvent({
        ...e,
        psid: s(e.psid),
        timestamp: n(e.timestamp),
        mid: s(e.mid),
        text: s(e.text),
        appId: s(e.appId),
        metadata: s(e.metadata),
      }),
    ),
    fc
      .record({ ...base, watermark: timestamp })
      .map((e) => readEvent({ ...e, psid: s(e.psid), timestamp: n(e.timestamp), watermark: n(e.watermark) })),
    fc.record({ ...base, watermark: timestamp, mids: fc.option(fc.array(mid, { maxLength: 3 })) }).map((e) =>
      deliveryEvent({
        ...e,
        psid: s(e.psid),
        timestamp: n(e.timestamp),
        watermark: n(e.watermark),
        mids: (e.mids ?? undefined) as never,
      }),
    ),
    fc
      .record({
        ...base,
        mid,
        emoji: hostileText,
        reaction: hostileText,
        action: fc.oneof(fc.constantFrom('react', 'unreact'), anyValue),
      })
      .map((e) =>
        reactionEvent({
          ...e,
          psid: s(e.psid),
          timestamp: n(e.timestamp),
          mid: s(e.mid),
          emoji: s(e.emoji),
          reaction: s(e.reaction),
          action: e.action as 'react',
        }),
      ),
    fc
      .record({
        ...base,
        mid,
        title: hostileText,
        payload: hostileText,
        referral: fc.option(fc.record({ ref: hostileText, source: hostileText })),
      })
      .map((e) =>
        postbackEvent({
          ...e,
          psid: s(e.psid),
          timestamp: n(e.timestamp),
          mid: s(e.mid),
          title: s(e.title),
          payload: s(e.payload),
          referral: (e.referral ?? undefined) as never,
        }),
      ),
    fc
      .record({ ...base, ref: hostileText, source: hostileText, adId: anyValue })
      .map((e) =>
        referralEvent({ ...e, psid: s(e.psid), timestamp: n(e.timestamp), ref: s(e.ref), source: s(e.source), adId: s(e.adId) }),
      ),
    fc
      .record({ ...base, mid, text: hostileText, numEdit: fc.oneof(fc.nat(), anyValue) })
      .map((e) =>
        editEvent({ ...e, psid: s(e.psid), timestamp: n(e.timestamp), mid: s(e.mid), text: s(e.text), numEdit: n(e.numEdit) }),
      ),
  );
}

/** Every path to a value inside a JSON tree (objects and arrays), root excluded. */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, Json>)) {
      const p = [...prefix, Array.isArray(value) ? Number(k) : k];
      out.push(p);
      paths(v, p, out);
    }
  }
  return out;
}

/** Replaces (or deletes) the value at one of the tree's paths, chosen by `pick`. */
function mutate(value: Json, pick: number, replacement: Json | typeof DELETE): Json {
  const all = paths(value);
  if (all.length === 0) return value;
  const path = all[pick % all.length];
  const copy = structuredClone(value) as Record<string | number, Json>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (replacement === DELETE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

/** A real Meta body (one or two entries, messaging or standby), then up to three structural mutations. */
function metaBodyArb(cdn: string): fc.Arbitrary<Json> {
  const entryArb = fc
    .record({
      events: fc.array(eventArb(cdn), { minLength: 1, maxLength: 4 }),
      standby: fc.boolean(),
      pageId: fc.oneof({ weight: 8, arbitrary: fc.constant(PAGE_ID) }, { weight: 1, arbitrary: fc.constant('999000111') }),
    })
    .map((e) => entry(e.pageId, e.events, { standby: e.standby }));
  const mutation = fc.tuple(fc.nat(), fc.oneof(fc.constant<typeof DELETE>(DELETE), fc.jsonValue({ maxDepth: 2 })));
  return fc
    .record({ entries: fc.array(entryArb, { minLength: 1, maxLength: 2 }), mutations: fc.array(mutation, { maxLength: 3 }) })
    .map(({ entries, mutations }) =>
      mutations.reduce<Json>((body, [pick, replacement]) => mutate(body, pick, replacement), pageBody(entries)),
    );
}

/** Serialised as Meta does (\u-escaped) or as plain JSON: both are signed over the exact bytes. */
const serialise = (body: Json, meta: boolean) => (meta ? metaJson(body) : JSON.stringify(body));

interface Target {
  db: Queryable;
  post(bytes: string | Buffer, signature: string | null): Promise<Answer>;
  get(path: string, auth?: { agent?: ReturnType<typeof request.agent>; bearer?: string }): Promise<Answer & { body: unknown }>;
  signedInAgent(): Promise<ReturnType<typeof request.agent>>;
  bearer(): Promise<string>;
}

/** The inbox, every conversation page, search and the API still answer 200, showing nothing unescaped. */
async function stillServes(target: Target): Promise<void> {
  const problems: string[] = [];
  const agent = await target.signedInAgent();
  const check = (res: Answer, what: string, html: boolean) => {
    if (res.status !== 200) problems.push(`${what} answered ${res.status}: ${res.text.slice(0, 200)}`);
    problems.push(...saneAnswerProblems(res, what));
    if (html) problems.push(...htmlProblems(res.text).map((p) => `${what}: ${p}`));
  };
  for (const status of ['open', 'pending', 'snoozed', 'resolved'])
    check(await target.get(`/?status=${status}`, { agent }), `GET /?status=${status}`, true);
  check(await target.get('/', { agent }), 'GET /', true);
  check(await target.get('/contacts', { agent }), 'GET /contacts', true);
  for (const q of ['y', 'alert', 'script', '<script>', 'emoji', 'm_pool_1', '"', '😀'])
    check(await target.get(`/search?q=${encodeURIComponent(q)}`, { agent }), `GET /search?q=${q}`, true);
  const bearer = await target.bearer();
  let cursor: string | null = null;
  const ids: number[] = [];
  do {
    const res = await target.get(`/api/v1/conversations?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, {
      bearer,
    });
    check(res, 'GET /api/v1/conversations', false);
    if (res.status !== 200) break;
    const body = res.body as { data: { id: number }[]; next_cursor: string | null };
    ids.push(...body.data.map((c) => c.id));
    cursor = body.next_cursor;
  } while (cursor);
  const all = await target.db.all<{ id: number }>('SELECT id FROM conversations ORDER BY id');
  assert.deepEqual(
    [...ids].sort((a, b) => a - b),
    all.map((c) => c.id),
    'the API lists every conversation once',
  );
  for (const { id } of all) {
    check(await target.get(`/conversations/${id}`, { agent }), `GET /conversations/${id}`, true);
    check(
      await target.get(`/api/v1/conversations/${id}/messages`, { bearer }),
      `GET /api/v1/conversations/${id}/messages`,
      false,
    );
  }
  problems.push(...(await integrityProblems(target.db)));
  assertNone(problems);
}

/** A property run: the answer is `expected`, sane, and (for a refusal) nothing was stored. */
async function expectAnswer(target: Target, bytes: string | Buffer, signature: string | null, expected: number): Promise<void> {
  const before = expected === 200 ? undefined : await snapshot(target.db, STORED, BACKGROUND);
  const res = await target.post(bytes, signature);
  const problems = saneAnswerProblems(res, 'POST /webhooks/messenger');
  if (res.status !== expected) problems.push(`answered ${res.status}, expected ${expected}: ${res.text.slice(0, 200)}`);
  if (before) {
    const changed = changedTables(before, await snapshot(target.db, STORED, BACKGROUND));
    if (changed.length) problems.push(`a ${res.status} stored something: ${changed.join(', ')}`);
  }
  assertNone(problems, `body: ${String(bytes).slice(0, 500)}`);
}

function expressTarget(ctx: Ctx): Target {
  return {
    db: ctx.deps.db,
    async post(bytes, signature) {
      const req = request(ctx.app).post('/webhooks/messenger').set('content-type', 'application/json');
      if (signature !== null) req.set('x-hub-signature-256', signature);
      return req.send(bytes);
    },
    get: (path, auth = {}) => {
      const req = auth.agent ? auth.agent.get(path) : request(ctx.app).get(path);
      return auth.bearer ? req.set('authorization', auth.bearer) : req;
    },
    async signedInAgent() {
      await addUser(ctx.deps.db, 'fuzz-staff@example.com', 'staff');
      return (await signIn(ctx.app, 'fuzz-staff@example.com')).agent;
    },
    bearer: async () => `Bearer ${(await createApiToken(ctx.deps.db, { name: 'fuzz', role: 'staff' })).token}`,
  };
}

describe('Fuzzing the webhook with signed hostile bodies', function () {
  this.timeout(120_000);
  let ctx: Ctx;
  let fake: FakeGraph;
  liveContextPerTest((c, f) => ((ctx = c), (fake = f)));

  beforeEach(() => {
    fake.serveFile('/cdn/photo.jpg', Buffer.from('jpeg bytes'), 'image/jpeg');
  });

  it('should answer 200 to any validly signed JSON value, and keep serving every page', async () => {
    const target = expressTarget(ctx);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 5 }), fc.boolean(), async (value, meta) => {
        const bytes = serialise(value, meta);
        await expectAnswer(target, bytes, signBody(bytes, APP_SECRET), 200);
      }),
      runs(100),
    );
    await ctx.deps.queue.kick();
    await stillServes(target);
  });

  it('should answer 200 to signed mutations of real Meta bodies, dropping what is invalid, and keep serving every page', async () => {
    const target = expressTarget(ctx);
    await fc.assert(
      fc.asyncProperty(metaBodyArb(fake.url), fc.boolean(), async (body, meta) => {
        const bytes = serialise(body, meta);
        await expectAnswer(target, bytes, signBody(bytes, APP_SECRET), 200);
      }),
      runs(150),
    );
    await ctx.deps.queue.kick();
    await stillServes(target);
  });

  it('should answer 400 to signed malformed JSON and store nothing', async () => {
    const target = expressTarget(ctx);
    const notJson = fc
      .oneof(
        fc.string(),
        fc.fullUnicodeString({ maxLength: 60 }),
        metaBodyArb(fake.url).chain((body) => {
          const json = metaJson(body);
          return fc.nat({ max: json.length - 1 }).map((cut) => json.slice(0, cut));
        }),
        fc.constantFrom('{"object":"page",}', "{'object':'page'}", '\ufeff{"object":"page","entry":[]}', 'NaN', '{"a":1}{"b":2}'),
      )
      .filter((text) => {
        try {
          JSON.parse(text);
          return false;
        } catch {
          return true;
        }
      });
    await fc.assert(
      fc.asyncProperty(notJson, async (text) => {
        await expectAnswer(target, text, signBody(text, APP_SECRET), 400);
      }),
      runs(60),
    );
  });

  it('should answer 403 to a missing or wrong signature and store nothing', async () => {
    const target = expressTarget(ctx);
    const body = metaBodyArb(fake.url).map((b) => metaJson(b));
    const wrong = (bytes: string) =>
      fc.oneof(
        fc.constant(null),
        fc.constant(''),
        fc.constant('sha256='),
        fc.hexaString({ minLength: 64, maxLength: 64 }).map((h) => `sha256=${h}`),
        fc.string().map((secret) => signBody(bytes, `${APP_SECRET}${secret}x`)),
        fc.constant(signBody(`${bytes} `, APP_SECRET)),
        fc.constant(signBody(bytes, APP_SECRET).replace('sha256=', 'sha1=')),
        fc.constant(signBody(bytes, APP_SECRET).slice(0, -1)),
        fc.constant(`${signBody(bytes, APP_SECRET)}0`),
        fc.constant(`${signBody(bytes, APP_SECRET)}, sha256=00`),
        fc.string({ maxLength: 300 }),
      );
    await fc.assert(
      fc.asyncProperty(
        body.chain((bytes) => fc.tuple(fc.constant(bytes), wrong(bytes))),
        async ([bytes, signature]) => {
          await expectAnswer(target, bytes, signature, 403);
        },
      ),
      runs(80),
    );
  });
});

describe("Fuzzing the running server's webhook fast path (writer thread)", function () {
  this.timeout(120_000);
  const SECRET = 'hostile-fast-path-secret';
  let server: RunningServer;
  let dataDir: string;
  // The writer thread logs at info on its own (its log is not the test process's): keep the output readable.
  const write = process.stderr.write;

  beforeEach(async () => {
    if (!process.env.TEST_LOGS)
      process.stderr.write = ((chunk: unknown, ...rest: never[]) =>
        /^\S+ (INFO|DEBUG) /.test(String(chunk)) ? true : write.call(process.stderr, chunk as string, ...rest)) as typeof write;
    const config = testConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      FB_APP_SECRET: SECRET,
      FB_PAGE_ID: PAGE_ID,
      FB_VERIFY_TOKEN: 'vt',
      LOG_LEVEL: 'error',
    });
    dataDir = config.dataDir;
    server = await start(config);
  });

  afterEach(async () => {
    await server.stop();
    process.stderr.write = write;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('should answer 200 to signed mutations of real Meta bodies and 400 to malformed JSON, and keep serving every page', async () => {
    const target: Target = {
      db: server.services.db,
      async post(bytes, signature) {
        const res = await fetch(`${server.url}/webhooks/messenger`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(signature === null ? {} : { 'x-hub-signature-256': signature }) },
          body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes),
        });
        return { status: res.status, text: await res.text(), headers: Object.fromEntries(res.headers) };
      },
      get: (path, auth = {}) => {
        const req = auth.agent ? auth.agent.get(path) : request(server.url).get(path);
        return auth.bearer ? req.set('authorization', auth.bearer) : req;
      },
      async signedInAgent() {
        await addUser(server.services.db, 'fuzz-staff@example.com', 'staff');
        const agent = request.agent(server.url);
        const login = await agent.get('/login');
        const csrf = /name="_csrf" value="([^"]+)"/.exec(login.text)![1];
        const res = await agent
          .post('/login')
          .type('form')
          .send({ _csrf: csrf, email: 'fuzz-staff@example.com', password: 'a long enough password' });
        assert.equal(res.status, 303);
        return agent;
      },
      bearer: async () => `Bearer ${(await createApiToken(server.services.db, { name: 'fuzz', role: 'staff' })).token}`,
    };
    await fc.assert(
      fc.asyncProperty(metaBodyArb('https://cdn.invalid'), fc.boolean(), async (body, meta) => {
        const bytes = serialise(body, meta);
        await expectAnswer(target, bytes, signBody(bytes, SECRET), 200);
      }),
      runs(80),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string().filter((t) => {
          try {
            JSON.parse(t);
            return false;
          } catch {
            return true;
          }
        }),
        async (text) => expectAnswer(target, text, signBody(text, SECRET), 400),
      ),
      runs(30),
    );
    await stillServes(target);
  });
});
