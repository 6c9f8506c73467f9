// A ZIP written straight into a stream (an HTTP response, a file), one entry at a time, with memory
// that stays flat however big the export: yazl writes each entry's local header, its deflated data
// and a data descriptor as the data flows, and switches to ZIP64 records by itself once a size or
// an offset passes 4 GiB. Each entry's chunks come from an async iterable that is pulled only as
// fast as the output takes them (pipe → backpressure), so a slow client slows the database reads
// down instead of piling rows up in memory.
import { Readable, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';

export interface EntryOptions {
  /** Deflate the entry (text), or store it as it is (pictures, PDFs: compressed already). */
  compress?: boolean;
}

export class ZipStream {
  private readonly zip = new ZipFile();
  private readonly written: Promise<void>;
  /** Rejects when the output ends or fails before the ZIP is finished. */
  private readonly stopped: Promise<never>;
  private failure?: Error;

  constructor(
    sink: Writable,
    private readonly mtime = new Date(),
  ) {
    const output = this.zip.outputStream as unknown as Readable;
    this.zip.on('error', (err: Error) => output.destroy(err));
    this.written = pipeline(output, sink);
    // Remembered, so the entry being written stops at once when the client goes away.
    this.written.catch((err: Error) => (this.failure = err));
    this.stopped = this.written.then(() => {
      throw new Error('the ZIP output closed early');
    });
    this.stopped.catch(() => undefined);
  }

  /** Adds one entry and waits until its last chunk has been taken by the ZIP (not yet by the sink). */
  async add(name: string, chunks: AsyncIterable<string | Buffer>, options: EntryOptions = {}): Promise<void> {
    if (this.failure) throw this.failure;
    const source = Readable.from(chunks, { objectMode: false });
    // yazl keeps every entry (for the central directory) and with it the function that hands over the
    // stream: handed over through a slot that is emptied, the stream (and the bytes it read) can go.
    let handOver: Readable | undefined = source;
    this.zip.addReadStreamLazy(name, { mtime: this.mtime, compress: options.compress ?? true }, (give) => {
      const stream = handOver!;
      handOver = undefined;
      give(null, stream);
    });
    try {
      await Promise.race([finished(source), this.stopped]);
    } catch (err) {
      source.destroy();
      (this.zip.outputStream as unknown as Readable).destroy(err as Error);
      throw err;
    }
  }

  /** Writes the central directory and waits until the sink has everything. */
  async finish(): Promise<void> {
    if (this.failure) throw this.failure;
    this.zip.end();
    await this.written;
  }

  /**
   * Gives up: the sink is destroyed with the error (a client sees a cut-off download, never a valid
   * half); resolves once it is.
   */
  async abort(err: Error): Promise<void> {
    (this.zip.outputStream as unknown as Readable).destroy(err);
    await this.written.catch(() => undefined);
  }
}

/** One chunk as an iterable: small entries (a README, one attachment's bytes). */
export async function* once(chunk: string | Buffer | Promise<string | Buffer>): AsyncGenerator<string | Buffer> {
  yield await chunk;
}
