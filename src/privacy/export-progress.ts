// How far each full export started from the Privacy page has got, so the page can show a progress
// bar while the browser downloads the ZIP itself (a native download streams to disk; a phone never
// holds the whole file in memory). The page makes a random id, asks for the ZIP with it, and polls
// the progress under the same id. Kept in this process's memory: a run lives only as long as its
// download, plus a few minutes for the page to read the end.
export interface ExportRun {
  state: 'running' | 'done' | 'failed';
  /** Records (rows and files) the export writes, counted when it began. */
  total: number;
  /** Records written so far: handed to the ZIP, which takes them only as fast as the download goes. */
  done: number;
  startedAt: number;
  finishedAt?: number;
  /** Why it failed, when that is something the owner can act on. */
  message?: string;
}

/** An id the page made: letters, digits, - and _, 16 to 64 of them. */
export const RUN_ID = /^[A-Za-z0-9_-]{16,64}$/;

const KEEP_MS = 10 * 60 * 1000;
const MAX_RUNS = 100;

export class ExportRuns {
  private readonly runs = new Map<string, ExportRun>();

  /** A new run for this user under the page's id (an id used before starts afresh). */
  start(userId: number, id: string, now = Date.now()): ExportRun {
    this.prune(now);
    const run: ExportRun = { state: 'running', total: 0, done: 0, startedAt: now };
    const key = `${userId}:${id}`;
    this.runs.delete(key);
    this.runs.set(key, run);
    return run;
  }

  /** The run, only for the user who started it. */
  get(userId: number, id: string): ExportRun | undefined {
    return this.runs.get(`${userId}:${id}`);
  }

  /** Finished runs are forgotten after ten minutes; past MAX_RUNS the oldest go first. */
  private prune(now: number): void {
    for (const [key, run] of this.runs) if (run.finishedAt !== undefined && now - run.finishedAt > KEEP_MS) this.runs.delete(key);
    while (this.runs.size >= MAX_RUNS) this.runs.delete(this.runs.keys().next().value as string);
  }
}
