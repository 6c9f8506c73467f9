// Meta unreachable (connections refused), failing (5xx) and slow, while replies wait: each reply
// reaches Meta exactly once, in the order it was written. And a disk that takes no more writes:
// /healthz says so, the webhook answers 5xx so Meta retries, nothing is half-written, and all is
// well again when the space returns. A data dir mounted read-only: said plainly at start, untouched.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startFakeGraph, type FakeGraph } from '../fakes/graph';
import { buildOnce, canMountReadOnly, PAGE, postWebhook, SECRET, ServerProcess, textBody, TOKEN } from './support';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP gate in front of the fake Graph API: down, every connection is refused (or cut). */
async function gateTo(
  target: string,
): Promise<{ url: string; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let listenPort = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(port), hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(listenPort, '127.0.0.1', () => {
        listenPort = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const down = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };
  await up();
  return { url: `http://127.0.0.1:${listenPort}`, up, down, close: down };
}

describe('Faults: Meta down, the disk full', function () {
  this.timeout(120_000);
  before(buildOnce);
  let running: ServerProcess | undefined;
  afterEach(async () => {
    await running?.kill9();
    running = undefined;
  });

  describe('Meta unreachable, failing, then slow', () => {
    let fake: FakeGraph;
    let gate: Awaited<ReturnType<typeof gateTo>>;
    beforeEach(async () => {
      fake = await startFakeGraph({ validToken: TOKEN, pageId: PAGE, appSecret: SECRET, requireAppSecretProof: true });
      gate = await gateTo(fake.url);
    });
    afterEach(async () => {
      await gate.close();
      await fake.close();
    });

    it('should send every reply exactly once, in the order written, once Meta is back', async () => {
      const server = (running = new ServerProcess(undefined, { FB_PAGE_ACCESS_TOKEN: TOKEN, GRAPH_API_URL: gate.url }));
      await server.start();
      assert.equal(await postWebhook(server.url, textBody([{ psid: '6300001', mid: 'm_outage', text: 'are you open?' }])), 200);
      const conversationId = (await server.db((db) => db.get<{ id: number }>('SELECT id FROM conversations')))!.id;
      const auth = `Bearer ${await server.apiToken()}`;
      await gate.down(); // refused
      fake.failSends(1, { status: 503, code: 2 }); // then a 5xx
      fake.delaySends(2500); // then slow, but answered
      for (const text of ['first', 'second', 'third']) {
        const res = await fetch(`${server.url}/api/v1/conversations/${conversationId}/messages`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ text }),
        });
        assert.equal(res.status, 202);
      }
      await sleep(1500);
      assert.equal(fake.sends().length, 0, 'nothing reached Meta while it refused connections');
      await gate.up();
      const delivered = await fake.waitForCalls((c) => c.status === 200 && c.params.message?.text !== undefined, 3, 60_000);
      assert.deepEqual(
        delivered.map((c) => c.params.message.text),
        ['first', 'second', 'third'],
      );
      await sleep(6000); // another sweep: still once each
      assert.deepEqual(
        fake.deliveredSends().map((c) => c.params.message.text),
        ['first', 'second', 'third'],
      );
      const statuses = await server.db((db) =>
        db.all<{ text: string; status: string }>("SELECT text, status FROM messages WHERE direction = 'out' ORDER BY id"),
      );
      assert.deepEqual(
        statuses.map((m) => m.status),
        ['sent', 'sent', 'sent'],
      );
    });
  });

  describe('a disk that takes no more writes', () => {
    it('should say so on /healthz, answer the webhook 5xx so Meta retries, write nothing by halves, and recover', async () => {
      const server = (running = new ServerProcess());
      await server.start();
      assert.equal(
        await postWebhook(server.url, textBody([{ psid: '6400001', mid: 'm_before', text: 'before the disk filled' }])),
        200,
      );
      // No write may go past what the files hold now: as a full disk, each write fails.
      server.fileSizeLimit(4096);
      const during = Array.from({ length: 5 }, (_, i) => ({
        psid: '6400002',
        mid: `m_during_${i}`,
        text: `while the disk is full ${i}`,
      }));
      const statuses: number[] = [];
      for (const e of during) statuses.push(await postWebhook(server.url, textBody([e])));
      assert.ok(
        statuses.every((s) => s >= 500 && s < 600),
        `every webhook answered 5xx: ${statuses.join(', ')}`,
      );
      const health = await fetch(`${server.url}/healthz`);
      assert.equal(health.status, 503);
      assert.deepEqual(await health.json(), { status: 'unavailable', reason: 'the database takes no writes' });
      assert.equal((await fetch(`${server.url}/login`)).status, 200, 'reading still works');

      server.fileSizeLimit('unlimited'); // space returns
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      // Meta retries what failed: stored now, once each, and nothing half-written from before.
      for (const e of during) assert.equal(await postWebhook(server.url, textBody([e])), 200);
      const state = await server.db((db) =>
        db.get<{ messages: number; contacts: number; conversations: number; unread: number; orphans: number }>(
          `SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM contacts) AS contacts,
                  (SELECT count(*) FROM conversations) AS conversations, (SELECT sum(unread_count) FROM conversations) AS unread,
                  (SELECT count(*) FROM contacts k WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.contact_id = k.id)) AS orphans`,
        ),
      );
      assert.deepEqual(state, { messages: 6, contacts: 2, conversations: 2, unread: 6, orphans: 0 });
      assert.equal((await server.db((db) => db.get<{ quick_check: string }>('PRAGMA quick_check')))!.quick_check, 'ok');
      assert.equal(server.child!.exitCode, null, 'the server kept running');
    });
  });

  describe('a data dir mounted read-only', () => {
    it('should refuse to start with a message that names the folder and the cause, change nothing, and start once it is writable', async function () {
      if (!canMountReadOnly()) {
        console.warn('    (skipped: this machine cannot mount a folder read-only in a namespace of its own)');
        return this.skip();
      }
      const server = (running = new ServerProcess());
      await server.start();
      assert.equal(await postWebhook(server.url, textBody([{ psid: '6500001', mid: 'm_ro', text: 'stored before' }])), 200);
      await server.stop();
      const snapshot = () =>
        fs
          .readdirSync(server.dataDir)
          .sort()
          .map((name) => {
            const bytes = fs.readFileSync(path.join(server.dataDir, name));
            return `${name} ${crypto.createHash('sha256').update(bytes).digest('hex')}`;
          });
      const before = snapshot();

      const { code } = await server.startOnReadOnlyDataDir();
      assert.equal(code, 1, server.output);
      assert.match(server.output, new RegExp(`cannot write to DATA_DIR ${server.dataDir}: it is on a read-only file system`));
      assert.doesNotMatch(server.output, /\n\s+at /, 'no stack trace');
      assert.deepEqual(snapshot(), before, 'nothing in the data dir changed');

      await server.start(); // mounted read-write again
      const stored = await server.db((db) => db.all<{ text: string }>('SELECT text FROM messages'));
      assert.deepEqual(stored, [{ text: 'stored before' }]);
    });
  });
});
