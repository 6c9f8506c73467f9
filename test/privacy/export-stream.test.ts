// How the full export reads and writes: tables a page at a time in id order, only what existed when
// it began, and no faster than the output takes it (a stalled download stalls the reading instead
// of piling rows up in memory). And the small rules of the files: CSV cells and attachment names.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { attachmentPath, csvCell, keyset, PAGE_ROWS } from '../../src/privacy/export-format';
import { exportRecords, writeFullExport, type ExportCounts } from '../../src/privacy/export-full';
import { customerWrites, inboxContext, type InboxContext } from '../inbox/support';
import { unzip, text } from '../support/unzip';
import { seedMessages } from './export-fixtures';

/** A sink that keeps what it is given, and can be held (its writes do not complete) and let go. */
class HeldSink extends Writable {
  chunks: Buffer[] = [];
  private waiting?: () => void;
  held = false;
  constructor() {
    super({ highWaterMark: 1024 });
  }
  _write(chunk: Buffer, _encoding: string, done: (err?: Error) => void): void {
    this.chunks.push(chunk);
    if (this.held) this.waiting = done;
    else done();
  }
  release(): void {
    this.held = false;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("The full export's streaming", function () {
  this.timeout(60_000);
  let ctx: InboxContext;
  let conversationId: number;
  beforeEach(async () => {
    ctx = await inboxContext();
    conversationId = await customerWrites(ctx, '4200000000000001', 'First message');
  });
  afterEach(() => ctx.close());

  it('should read a table a page at a time in id order, up to the last id it was given', async () => {
    await seedMessages(ctx.deps.db, conversationId, 9);
    const pages: number[][] = [];
    for await (const rows of keyset<{ id: number }>(
      ctx.deps.db,
      'SELECT id FROM messages WHERE id > ? AND id <= ? ORDER BY id LIMIT ?',
      [],
      8,
      3,
    ))
      pages.push(rows.map((r) => r.id));
    assert.deepEqual(pages, [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8],
    ]);
  });

  it('should hold only the messages that existed when it began, and count them right', async () => {
    await seedMessages(ctx.deps.db, conversationId, 3 * PAGE_ROWS + 7);
    const sink = new HeldSink();
    let counted: ExportCounts | undefined;
    let total = 0;
    let done = 0;
    const exporting = writeFullExport(ctx.deps.db, sink, {
      onStart: (n, counts) => ((total = n), (counted = counts)),
      onRows: (n) => {
        done += n;
        sink.held = true; // held after the first page
      },
    });
    await settle(300);
    // Written while the export is under way: left for the next export.
    await seedMessages(ctx.deps.db, conversationId, 5);
    sink.release();
    const held = setInterval(() => sink.release(), 5);
    await exporting;
    clearInterval(held);
    assert.equal(counted!.messages, 3 * PAGE_ROWS + 8);
    assert.equal(done, total, 'the progress ends exactly at the total counted at the start');
    assert.equal(total, exportRecords(counted!));
    const zip = unzip(Buffer.concat(sink.chunks));
    const ids = text(zip, 'messages.jsonl')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);
    assert.equal(ids.length, 3 * PAGE_ROWS + 8);
    assert.deepEqual(ids.slice(0, 3), [1, 2, 3], 'in id order from the first');
    assert.equal(new Set(ids).size, ids.length, 'no message twice (pages meet without overlap)');
  });

  it('should stop reading while the output does not take more (backpressure), and go on when it does', async () => {
    await seedMessages(ctx.deps.db, conversationId, 40 * PAGE_ROWS);
    const sink = new HeldSink();
    sink.held = true;
    let total = 0;
    let done = 0;
    const exporting = writeFullExport(ctx.deps.db, sink, { onStart: (n) => (total = n), onRows: (n) => (done += n) });
    await settle(500);
    const whileHeld = done;
    await settle(300);
    assert.equal(done, whileHeld, 'nothing more is read while the output is held');
    // Each stage of the pipe (the entry's stream, checksum, counters, deflate) holds about one chunk.
    assert.ok(
      whileHeld <= 10 * PAGE_ROWS,
      `read ${whileHeld} of ${total} records with the output held: at most a few pages ahead`,
    );
    const held = setInterval(() => sink.release(), 2);
    await exporting;
    clearInterval(held);
    assert.equal(done, total);
    assert.equal(
      text(unzip(Buffer.concat(sink.chunks)), 'messages.jsonl')
        .trim()
        .split('\n').length,
      40 * PAGE_ROWS + 1,
    );
  });

  it('should cut the output off, not finish a valid-looking ZIP, when a read fails half-way', async () => {
    await seedMessages(ctx.deps.db, conversationId, 2 * PAGE_ROWS);
    const sink = new HeldSink();
    let failed = false;
    const exporting = writeFullExport(ctx.deps.db, sink, {
      onRows: () => {
        if (failed) return;
        failed = true;
        // The database goes away under the export (a wipe, a shutdown).
        void ctx.deps.db.close();
      },
    });
    await assert.rejects(exporting, /closed/);
    assert.ok(sink.destroyed, 'the output is destroyed');
    assert.throws(() => unzip(Buffer.concat(sink.chunks)), /no end of central directory/);
  });
});

describe('The rules of the export files', () => {
  it('should quote CSV cells that need it and defuse the ones a spreadsheet would run', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell(42), '42');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell('a, b'), '"a, b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    for (const formula of ['=1+2', '+49 30', '-5', '@SUM(A1)', '\tx', '\r=1'])
      assert.ok(csvCell(formula).replace(/^"/, '').startsWith("'"), `${JSON.stringify(formula)} is defused`);
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell('a = b'), 'a = b', 'only a leading sign counts');
  });

  it('should name attachment files so that they unpack safely anywhere', () => {
    assert.equal(attachmentPath({ id: 7, name: 'menu.pdf' }), 'attachments/7-menu.pdf');
    assert.equal(attachmentPath({ id: 7, name: '../../etc/passwd' }), 'attachments/7-_.._etc_passwd');
    assert.equal(attachmentPath({ id: 7, name: 'C:\\x\\y.txt' }), 'attachments/7-C__x_y.txt');
    assert.equal(attachmentPath({ id: 7, name: 'RLO \u202Egnp.exe' }), 'attachments/7-RLO gnp.exe');
    assert.equal(attachmentPath({ id: 7, name: '.hidden' }), 'attachments/7-hidden');
    assert.equal(attachmentPath({ id: 7, name: null, type: 'image', content_type: 'image/jpeg' }), 'attachments/7-image.jpg');
    assert.equal(attachmentPath({ id: 7, name: '   ' }), 'attachments/7-file');
    const long = attachmentPath({ id: 7, name: `${'é'.repeat(300)}.pdf` });
    assert.equal([...long.slice('attachments/7-'.length)].length, 100);
    assert.ok(long.endsWith('.pdf'));
  });
});
