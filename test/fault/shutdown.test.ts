// Stopping while Meta hangs: SIGTERM while a profile lookup and an attachment download wait on a
// Graph API and CDN that never answer. The stop must end within 10 s (Docker kills at 15 s), and the
// abandoned jobs must not be recorded as done or failed: the next start runs them again. And a
// second server on the same data refuses to start while the first runs.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildOnce, PAGE, postWebhook, ServerProcess, TOKEN } from './support';

describe('Faults: stopping while Meta hangs', function () {
  this.timeout(60_000);
  before(buildOnce);

  it('should stop within 10 s, leaving the abandoned jobs for the next start', async () => {
    const hung: http.ServerResponse[] = [];
    const graph = http.createServer((_req, res) => void hung.push(res));
    await new Promise<void>((resolve) => graph.listen(0, '127.0.0.1', resolve));
    const graphUrl = `http://127.0.0.1:${(graph.address() as AddressInfo).port}`;
    const server = new ServerProcess(undefined, { FB_PAGE_ACCESS_TOKEN: TOKEN, GRAPH_API_URL: graphUrl });
    try {
      await server.start();
      const body = JSON.stringify({
        object: 'page',
        entry: [
          {
            id: PAGE,
            time: Date.now(),
            messaging: [
              {
                sender: { id: '5551' },
                recipient: { id: PAGE },
                timestamp: Date.now(),
                message: { mid: 'm_hang_1', attachments: [{ type: 'image', payload: { url: `${graphUrl}/cdn/photo.jpg` } }] },
              },
            ],
          },
        ],
      });
      assert.equal(await postWebhook(server.url, body), 200);
      // ChatX is now stuck on Meta: the profile lookup and the download both hang.
      for (let i = 0; hung.length < 2 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(hung.length >= 2, `hanging calls: ${hung.length}`);

      const sentAt = Date.now();
      const { code } = await server.stop();
      const took = Date.now() - sentAt;
      assert.equal(code, 0, server.output);
      assert.ok(took < 10_000, `stopped in ${took} ms`);
      const state = await server.db(async (db) => ({
        jobs: await db.all<{ kind: string; state: string }>('SELECT kind, state FROM jobs ORDER BY kind'),
        attachment: (await db.get<{ state: string }>('SELECT state FROM attachments'))!.state,
      }));
      assert.deepEqual(
        state.jobs.map((j) => j.kind),
        ['messenger.attachment', 'messenger.profile'],
      );
      assert.ok(
        state.jobs.every((j) => j.state === 'running' || j.state === 'pending'),
        JSON.stringify(state.jobs),
      );
      assert.equal(state.attachment, 'pending');
    } finally {
      await server.kill9();
      graph.closeAllConnections();
      graph.close();
    }
  });
});

describe('Faults: a second server on the same data', function () {
  this.timeout(60_000);
  before(buildOnce);

  it('should refuse to start beside a running server, and start once that one is gone (even by kill -9)', async () => {
    const first = new ServerProcess();
    const second = new ServerProcess(first.dataDir);
    try {
      await first.start();
      await assert.rejects(second.start(), /exited \(1\)[\s\S]*another ChatX is already running on/);
      assert.equal((await fetch(`${first.url}/healthz`)).status, 200, 'the first one serves on');
      await first.kill9(); // the operating system lets go of its lock
      await second.start();
      assert.equal((await fetch(`${second.url}/healthz`)).status, 200);
    } finally {
      await first.kill9();
      await second.stop();
    }
  });
});
