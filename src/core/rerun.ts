// Single-flight with a rerun: kick() starts a pass of the work, or, while one runs, asks for one more
// pass after it. Many kicks in a burst (one per webhook, per reply) become at most two passes.
import { log } from './log';

export class Rerunner {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly pass: () => Promise<void>,
  ) {}

  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    })()
      .catch((err: Error) => log.error(`${this.name} pass failed`, { error: err.stack ?? err.message }))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** No new passes; waits for the current one. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }
}
