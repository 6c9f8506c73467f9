import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { classify, GraphClient, GraphError, splitText } from '../../src/messenger/graph';
import type { FakeGraph } from '../fakes/graph';
import { APP_SECRET, PAGE_TOKEN, startFake } from './support';

describe('Graph client', () => {
  let fake: FakeGraph;
  beforeEach(async () => {
    fake = await startFake();
  });
  afterEach(() => fake.close());

  const client = (extra: Partial<ConstructorParameters<typeof GraphClient>[0]> = {}) =>
    new GraphClient({ baseUrl: fake.url, version: 'v25.0', token: PAGE_TOKEN, appSecret: APP_SECRET, ...extra });

  describe('classify', () => {
    const kind = (status: number, code?: number, subcode?: number) =>
      classify(status, code === undefined ? {} : { error: { message: 'm', code, error_subcode: subcode } }).kind;

    it('should map Meta\u2019s codes to what the outbox does, by code and not by text', () => {
      const table: [number, number | undefined, number | undefined, string][] = [
        [400, 190, 463, 'token'],
        [400, 190, undefined, 'token'],
        [400, 551, undefined, 'unavailable'],
        [400, 551, 1545041, 'unavailable'],
        [400, 200, 1545041, 'unavailable'],
        [400, 10, 2018108, 'unavailable'],
        [400, 10, 2018278, 'window'],
        [400, 10, 2534022, 'window'],
        [400, 1, undefined, 'transient'],
        [400, 2, undefined, 'transient'],
        [400, 4, undefined, 'transient'],
        [400, 17, undefined, 'transient'],
        [400, 32, undefined, 'transient'],
        [400, 613, 1996, 'transient'],
        [500, undefined, undefined, 'transient'],
        [503, 100, undefined, 'transient'],
        [429, undefined, undefined, 'transient'],
        [400, 100, 2018001, 'rejected'],
        [400, 10, undefined, 'rejected'],
        [400, 200, 2018028, 'rejected'],
        [403, 368, undefined, 'rejected'],
      ];
      for (const [status, code, subcode, expected] of table)
        assert.equal(kind(status, code, subcode), expected, `${status} ${code}/${subcode}`);
      assert.equal(
        classify(400, { error: { code: 100, message: '(#100) Invalid parameter' } }).message,
        '(#100) Invalid parameter',
      );
    });
  });

  it('should treat a timeout as transient', async () => {
    fake.hangSends(true);
    await assert.rejects(
      client({ timeoutMs: 200 }).send({ psid: '1', messagingType: 'RESPONSE', part: { text: 'hi' } }),
      (err: GraphError) => err instanceof GraphError && err.kind === 'transient' && /did not answer in time/.test(err.message),
    );
  });

  it('should treat an answer that is not JSON as transient', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const c = clientOf(server);
      await assert.rejects(c.profile('1'), (err: GraphError) => err.kind === 'transient' && err.status === 502);
    } finally {
      server.close();
    }
  });

  it('should treat a connection cut in the middle of the answer as transient', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '500' });
      res.write('{"recipient_id":"1","mess');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const c = clientOf(server);
      await assert.rejects(
        c.send({ psid: '1', messagingType: 'RESPONSE', part: { text: 'hi' } }),
        (err: Error) => err instanceof GraphError && err.kind === 'transient',
      );
      await assert.rejects(c.profile('1'), (err: Error) => err instanceof GraphError && err.kind === 'transient');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('should send mark_seen and typing_on as bare sender actions', async () => {
    await client().senderAction('8001', 'mark_seen');
    await client().senderAction('8001', 'typing_on');
    assert.deepEqual(
      fake.senderActions().map((c) => [c.params.sender_action, c.params.recipient.id, c.params.message, c.status]),
      [
        ['mark_seen', '8001', undefined, 200],
        ['typing_on', '8001', undefined, 200],
      ],
    );
  });

  it('should answer /me with the Page of the token, and fail with the fake\u2019s proof check when the secret is wrong', async () => {
    assert.deepEqual(await client().me(), { id: fake.page.id, name: fake.page.name });
    await assert.rejects(
      client({ appSecret: 'wrong' }).me(),
      (err: GraphError) => err.kind === 'rejected' && /appsecret_proof/.test(err.message),
    );
    await assert.rejects(client({ appSecret: undefined }).me(), (err: GraphError) => err.kind === 'rejected');
  });
});

describe('splitText', () => {
  it('should leave a short text whole and trimmed', () => {
    assert.deepEqual(splitText('  hello  '), ['hello']);
    assert.deepEqual(splitText('x'.repeat(2000)), ['x'.repeat(2000)]);
  });

  it('should prefer paragraph, then line, then sentence, then word breaks', () => {
    const a = 'a'.repeat(1200);
    const b = 'b'.repeat(1200);
    assert.deepEqual(splitText(`${a}\n\n${b}`), [a, b]);
    assert.deepEqual(splitText(`${a}\n${b}`), [a, b]);
    assert.deepEqual(splitText(`${a}. ${b}`), [`${a}.`, b]);
    assert.deepEqual(splitText(`${a} ${b}`), [a, b]);
  });

  it('should count characters, not UTF-16 units, and never split a surrogate pair', () => {
    const text = `${'é'.repeat(1000)}${'🎉'.repeat(1500)}`;
    const parts = splitText(text);
    for (const p of parts) {
      assert.ok([...p].length <= 2000);
      assert.doesNotMatch(p, /^[\udc00-\udfff]|[\ud800-\udbff]$/);
    }
    assert.equal(parts.join(''), text);
  });
});

/** A Graph client for a bare local server that plays a broken Meta. */
function clientOf(server: http.Server): GraphClient {
  return new GraphClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, version: 'v25.0', token: 't' });
}
