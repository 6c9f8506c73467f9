import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Db } from '../../src/core/db';
import { migrate } from '../../src/core/migrate';
import { enqueueJob, JobQueue, requeueJob, RetryLater } from '../../src/core/queue';
import { makeContext, TEST_KEY, tempDir } from '../support/context';

describe('core/queue (the durable job queue)', () => {
  let dir: string;
  let db: Db;
  let queue: JobQueue;

  beforeEach(async () => {
    dir = tempDir();
    db = await Db.open(path.join(dir, 'chatx.db'), TEST_KEY);
    await migrate(db);
    queue = new JobQueue(db);
  });

  afterEach(async () => {
    await queue.stop();
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const states = () => db.all<{ state: string; attempts: number }>('SELECT state, attempts FROM jobs ORDER BY id');

  it('should run due jobs once, queue a dedupe key once, and record the outcome', async () => {
    const seen: unknown[] = [];
    queue.register('echo', async (payload) => void seen.push(payload.n));
    await enqueueJob(db, 'echo', { n: 1 }, { dedupeKey: 'one' });
    await enqueueJob(db, 'echo', { n: 1 }, { dedupeKey: 'one' });
    await enqueueJob(db, 'echo', { n: 2 });
    await queue.kick();
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(await states(), [
      { state: 'done', attempts: 1 },
      { state: 'done', attempts: 1 },
    ]);
  });

  it('should retry RetryLater with backoff and fail other errors for good', async () => {
    queue.register('flaky', async () => {
      throw new RetryLater('not yet', 60_000);
    });
    queue.register('broken', async () => {
      throw new Error('bug');
    });
    await enqueueJob(db, 'flaky', {});
    await enqueueJob(db, 'broken', {});
    await queue.kick();
    const rows = await db.all<{ kind: string; state: string; run_at: number; last_error: string }>(
      'SELECT kind, state, run_at, last_error FROM jobs ORDER BY id',
    );
    assert.equal(rows[0].state, 'pending');
    assert.ok(rows[0].run_at > Date.now() + 50_000, 'retried later, not now');
    assert.deepEqual([rows[1].state, rows[1].last_error], ['failed', 'bug']);
  });

  it('should pick up jobs left running by a crash', async () => {
    let runs = 0;
    queue.register('work', async () => void runs++);
    await enqueueJob(db, 'work', {});
    await db.run("UPDATE jobs SET state = 'running'");
    await queue.kick();
    assert.equal(runs, 0, 'a running job is not taken twice');
    await queue.recover();
    await queue.kick();
    assert.equal(runs, 1);
  });

  it('should wait for a quiet moment while webhooks are busy, then run', async () => {
    let ranAt = 0;
    let lastWebhook = Date.now();
    const burst = setInterval(() => (lastWebhook = Date.now()), 50);
    queue = new JobQueue(db, { busySince: () => lastWebhook });
    queue.register('work', async () => void (ranAt = Date.now()));
    await enqueueJob(db, 'work', {});
    const kicked = Date.now();
    const done = queue.kick();
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(ranAt, 0, 'not during the burst');
    clearInterval(burst);
    await done;
    assert.ok(ranAt - kicked >= 600, 'ran once the webhooks went quiet');
  });

  it('should not wait longer than five seconds however busy the webhooks are', async function () {
    this.timeout(10_000);
    let ranAt = 0;
    queue = new JobQueue(db, { busySince: () => Date.now() });
    queue.register('work', async () => void (ranAt = Date.now()));
    await enqueueJob(db, 'work', {});
    const kicked = Date.now();
    await queue.kick();
    assert.ok(ranAt - kicked >= 4900 && ranAt - kicked < 7000, `ran after ${ranAt - kicked} ms`);
  });
});

describe('core/queue requeueJob (a debounced job)', () => {
  it('should push a pending job back, queue a finished one afresh, and run a running one once more afterwards', async () => {
    const ctx = await makeContext();
    try {
      const { db, queue } = ctx.deps;
      const runs: number[] = [];
      let release: () => void = () => {};
      queue.register('test.debounced', async () => {
        runs.push(Date.now());
        if (runs.length === 1) await new Promise<void>((resolve) => (release = resolve));
      });
      await requeueJob(db, 'test.debounced', {}, 'debounced:1', Date.now() + 60_000);
      await requeueJob(db, 'test.debounced', {}, 'debounced:1', Date.now() - 1);
      assert.equal((await db.all("SELECT id FROM jobs WHERE dedupe_key = 'debounced:1'")).length, 1);
      const first = queue.kick();
      while (runs.length === 0) await new Promise((r) => setTimeout(r, 5));
      // Queued again while it runs: it must run once more.
      await requeueJob(db, 'test.debounced', {}, 'debounced:1', Date.now() - 1);
      release();
      await first;
      await queue.kick();
      assert.equal(runs.length, 2);
      assert.deepEqual(await db.get("SELECT state, again FROM jobs WHERE dedupe_key = 'debounced:1'"), {
        state: 'done',
        again: 0,
      });
      await requeueJob(db, 'test.debounced', {}, 'debounced:1', Date.now() - 1);
      await queue.kick();
      assert.equal(runs.length, 3, 'a finished job under the key is queued afresh');
    } finally {
      await ctx.close();
    }
  });
});
