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

  /**
   * No new passes; waits for the current one. With `graceMs`, a pass still running after that long
   * is told to give up (`abandon`: abort its network calls) and then awaited, so a stop ends soon.
   */
  async stop(graceMs?: number, abandon?: () => void): Promise<void> {
    this.stopped = true;
    const running = this.running;
    if (!running) return;
    if (graceMs === undefined) return void (await running);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const outcome = await Promise.race([running.then(() => 'done' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      abandon?.();
      await running;
    }
  }
}
